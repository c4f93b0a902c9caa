// The management API driven by the real clients users run: AWS CLI v1 (`aws`), AWS CLI v2 (/usr/bin/aws) and boto3.
// A missing client fails the test (with what is missing): these are the clients Alonzo promises to work with.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAlonzo, zipOf, runAws, runBoto3, ROLE, AWS_CLI, type TestServer, type CliResult } from '../helpers/alonzo.js';
import { UUID_RE, ECHO_JS, arnOf, sha256b64 } from '../helpers/api.js';

let s: TestServer;
let dir: string;
let zip: Buffer;
before(async () => {
  s = await startAlonzo();
  dir = mkdtempSync(join(tmpdir(), 'alonzo-clients-'));
  zip = await zipOf({ 'index.js': ECHO_JS });
  writeFileSync(join(dir, 'fn.zip'), zip);
});
after(async () => {
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

function requireClient(which: 'v1' | 'v2' | 'boto3'): void {
  if (which === 'v1') {
    const found = spawnSync('sh', ['-c', `command -v ${AWS_CLI.v1}`], { encoding: 'utf8' });
    if (found.status !== 0) assert.fail(`AWS CLI v1 is missing: no '${AWS_CLI.v1}' on PATH (install it with pip: pip install awscli)`);
    const v = spawnSync(AWS_CLI.v1, ['--version'], { encoding: 'utf8' });
    if (!/^aws-cli\/1\./.test(`${v.stdout}${v.stderr}`)) assert.fail(`'${AWS_CLI.v1}' on PATH is not AWS CLI v1: ${v.stdout}${v.stderr}`);
  } else if (which === 'v2') {
    if (!existsSync(AWS_CLI.v2)) assert.fail(`AWS CLI v2 is missing: no ${AWS_CLI.v2} (install Debian's awscli package)`);
    const v = spawnSync(AWS_CLI.v2, ['--version'], { encoding: 'utf8' });
    if (!/^aws-cli\/2\./.test(`${v.stdout}${v.stderr}`)) assert.fail(`${AWS_CLI.v2} is not AWS CLI v2: ${v.stdout}${v.stderr}`);
  } else {
    const py = spawnSync('python3', ['-c', 'import boto3'], { encoding: 'utf8' });
    if (py.error) assert.fail('python3 is missing, so boto3 cannot run');
    if (py.status !== 0) assert.fail(`boto3 is missing: python3 cannot import it (${py.stderr.trim()})`);
  }
}

function json(r: CliResult, what: string): Record<string, any> {
  assert.equal(r.code, 0, `${what} exited ${r.code}: ${r.stderr}`);
  try {
    return JSON.parse(r.stdout);
  } catch {
    return assert.fail(`${what} printed no JSON: ${r.stdout}\n${r.stderr}`);
  }
}

async function cliFlow(cli: 'v1' | 'v2'): Promise<void> {
  requireClient(cli);
  const name = `cli-${cli}-fn`;
  const aws = (...args: string[]) => runAws(cli, s.url, ['lambda', ...args], dir);

  const created = json(await aws(
    'create-function', '--function-name', name, '--runtime', 'nodejs20.x', '--handler', 'index.handler', '--role', ROLE,
    '--zip-file', 'fileb://fn.zip', '--timeout', '10', '--memory-size', '256', '--environment', 'Variables={FOO=bar}', '--description', 'demo fn',
  ), 'create-function');
  assert.equal(created.FunctionName, name);
  assert.equal(created.FunctionArn, arnOf(name));
  assert.equal(created.Version, '$LATEST');
  assert.equal(created.State, 'Pending');
  assert.equal(created.CodeSha256, sha256b64(zip));
  assert.equal(created.CodeSize, zip.length);
  assert.equal(created.Timeout, 10);
  assert.equal(created.MemorySize, 256);
  assert.equal(created.Description, 'demo fn');
  assert.deepEqual(created.Environment, { Variables: { FOO: 'bar' } });

  const got = json(await aws('get-function', '--function-name', name), 'get-function');
  assert.deepEqual(Object.keys(got).sort(), ['Code', 'Configuration']);
  assert.equal(got.Configuration.FunctionArn, arnOf(name));
  assert.equal(got.Configuration.State, 'Active');
  assert.equal(got.Configuration.LastUpdateStatus, 'Successful');
  assert.equal(got.Code.RepositoryType, 'S3');
  assert.deepEqual(Buffer.from(await (await fetch(got.Code.Location)).arrayBuffer()), zip);

  const listed = json(await aws('list-functions'), 'list-functions');
  const mine = listed.Functions.filter((f: { FunctionName: string }) => f.FunctionName === name);
  assert.equal(mine.length, 1);
  assert.equal(mine[0].FunctionArn, arnOf(name));
  assert.equal(mine[0].State, undefined);

  const published = json(await aws('publish-version', '--function-name', name, '--description', 'first'), 'publish-version');
  assert.equal(published.Version, '1');
  assert.equal(published.FunctionArn, arnOf(name, '1'));
  assert.equal(published.Description, 'first');

  const alias = json(await aws('create-alias', '--function-name', name, '--name', 'prod', '--function-version', '1', '--description', 'prod alias'), 'create-alias');
  assert.deepEqual(Object.keys(alias).sort(), ['AliasArn', 'Description', 'FunctionVersion', 'Name', 'RevisionId']);
  assert.equal(alias.AliasArn, arnOf(name, 'prod'));
  assert.equal(alias.FunctionVersion, '1');
  assert.match(alias.RevisionId, UUID_RE);

  const gotAlias = json(await aws('get-alias', '--function-name', name, '--name', 'prod'), 'get-alias');
  assert.deepEqual(gotAlias, alias);

  const delAlias = await aws('delete-alias', '--function-name', name, '--name', 'prod');
  assert.equal(delAlias.code, 0, delAlias.stderr);
  assert.equal(delAlias.stdout, '');

  // CLI v1 1.45 knows the newer model's StatusCode member of DeleteFunction's output; v2 2.9.19 prints nothing.
  const del = await aws('delete-function', '--function-name', name);
  assert.equal(del.code, 0, del.stderr);
  if (cli === 'v1') assert.deepEqual(JSON.parse(del.stdout), { StatusCode: 204 });
  else assert.equal(del.stdout, '');

  // Errors: the CLIs exit 255 (v1) / 254 (v2) and print AWS's code and message.
  const missing = await aws('get-function', '--function-name', name);
  assert.equal(missing.code, cli === 'v1' ? 255 : 254);
  assert.match(missing.stderr, new RegExp(`An error occurred \\(ResourceNotFoundException\\) when calling the GetFunction operation: Function not found: ${arnOf(name).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
}

test('AWS CLI v1 and v2 and boto3 manage a function end to end', { concurrency: true }, async (t) => {
  await Promise.all([
    t.test('AWS CLI v1 (aws)', () => cliFlow('v1')),
    t.test('AWS CLI v2 (/usr/bin/aws)', () => cliFlow('v2')),
    t.test('boto3', async () => {
      requireClient('boto3');
      const name = 'boto3-fn';
      const r = await runBoto3(s.url, `
out = {}
def meta(resp):
    md = resp.pop('ResponseMetadata')
    return {'status': md['HTTPStatusCode'], 'requestId': md['RequestId']}
with open(${JSON.stringify(join(dir, 'fn.zip'))}, 'rb') as f:
    code = f.read()
c = client.create_function(FunctionName=${JSON.stringify(name)}, Runtime='nodejs20.x', Handler='index.handler', Role=${JSON.stringify(ROLE)},
                           Code={'ZipFile': code}, Timeout=10, MemorySize=256, Environment={'Variables': {'FOO': 'bar'}}, Description='demo fn')
out['create'] = {'meta': meta(c), 'body': c}
g = client.get_function(FunctionName=${JSON.stringify(name)})
out['get'] = {'meta': meta(g), 'body': g}
fns = [f for page in client.get_paginator('list_functions').paginate() for f in page['Functions'] if f['FunctionName'] == ${JSON.stringify(name)}]
out['list'] = fns
p = client.publish_version(FunctionName=${JSON.stringify(name)}, Description='first')
out['publish'] = {'meta': meta(p), 'body': p}
a = client.create_alias(FunctionName=${JSON.stringify(name)}, Name='prod', FunctionVersion='1', Description='prod alias')
out['alias'] = {'meta': meta(a), 'body': a}
ga = client.get_alias(FunctionName=${JSON.stringify(name)}, Name='prod')
out['getAlias'] = {'meta': meta(ga), 'body': ga}
da = client.delete_alias(FunctionName=${JSON.stringify(name)}, Name='prod')
out['deleteAlias'] = meta(da)
d = client.delete_function(FunctionName=${JSON.stringify(name)})
out['delete'] = {'meta': meta(d), 'body': d}
try:
    client.get_function(FunctionName=${JSON.stringify(name)})
    out['missing'] = None
except client.exceptions.ResourceNotFoundException as e:
    out['missing'] = {'error': e.response['Error'], 'Type': e.response.get('Type'), 'Message': e.response.get('Message'), 'status': e.response['ResponseMetadata']['HTTPStatusCode']}
print(json.dumps(out))
`);
      const out = json(r, 'boto3 script');
      assert.equal(out.create.meta.status, 201);
      for (const step of ['create', 'get', 'publish', 'alias', 'getAlias', 'delete']) assert.match(out[step].meta.requestId, UUID_RE, step);
      assert.equal(out.create.body.FunctionArn, arnOf(name));
      assert.equal(out.create.body.State, 'Pending');
      assert.equal(out.create.body.StateReasonCode, 'Creating');
      assert.equal(out.create.body.CodeSha256, sha256b64(zip));
      assert.deepEqual(out.create.body.Environment, { Variables: { FOO: 'bar' } });
      assert.equal(out.get.meta.status, 200);
      assert.equal(out.get.body.Configuration.State, 'Active');
      assert.equal(out.get.body.Code.RepositoryType, 'S3');
      assert.equal(out.list.length, 1);
      assert.equal(out.list[0].FunctionArn, arnOf(name));
      assert.equal(out.publish.meta.status, 201);
      assert.equal(out.publish.body.Version, '1');
      assert.equal(out.publish.body.FunctionArn, arnOf(name, '1'));
      assert.equal(out.alias.meta.status, 201);
      assert.deepEqual(out.getAlias.body, out.alias.body);
      assert.equal(out.alias.body.AliasArn, arnOf(name, 'prod'));
      assert.equal(out.deleteAlias.status, 204);
      assert.equal(out.delete.meta.status, 204);
      assert.deepEqual(out.delete.body, { StatusCode: 204 });
      // botocore lifts the modeled `Message` (capital M) and `Type` to the top of e.response, as AWS's recordings show.
      assert.deepEqual(out.missing, {
        error: { Code: 'ResourceNotFoundException', Message: `Function not found: ${arnOf(name)}` },
        Type: 'User',
        Message: `Function not found: ${arnOf(name)}`,
        status: 404,
      });
    }),
  ]);
});
