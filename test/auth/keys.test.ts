// Keys and policies: `alonzo keys create|list|delete` on the data dir, a running server that sees them at once, AWS's AccessDenied, the root key, and start-up refusals.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteFunctionCommand, GetFunctionCommand, ListFunctionsCommand, CreateFunctionCommand, InvokeCommand } from '@aws-sdk/client-lambda';
import { startAlonzo, lambdaClient, runAws, runBoto3, zipOf, ROLE, type TestServer } from '../helpers/alonzo.js';
import { createFunction, assertAwsError } from '../helpers/api.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { startServer } from '../../src/server/index.js';
import { alonzo, createKey, fromCli } from './helpers.js';
import { keysPath } from '../../src/auth/keys.js';

let s: TestServer;

before(async () => {
  s = await startAlonzo({ auth: 'sigv4', rootAccessKeyId: 'ROOTKEYFORTESTS', rootSecretAccessKey: 'root-secret' });
});
after(async () => s?.close());

const root = () => lambdaClient(s.url, { credentials: { accessKeyId: 'ROOTKEYFORTESTS', secretAccessKey: 'root-secret' } });

test('keys create writes the key file 0600 in a 0700 dir and prints the secret once; list never shows secrets; delete removes', async () => {
  const made = await alonzo('keys', 'create', '--data-dir', s.dataDir, '--name', 'alice', '--account-id', '111122223333');
  assert.equal(made.code, 0, made.err);
  const id = /AWS_ACCESS_KEY_ID=(\S+)/.exec(made.out)![1];
  const secret = /AWS_SECRET_ACCESS_KEY=(\S+)/.exec(made.out)![1];
  assert.match(id, /^ALZK[A-Z2-7]{16}$/);
  assert.equal(secret.length, 40);
  assert.match(made.out, /shown only now/);
  assert.equal(statSync(keysPath(s.dataDir)).mode & 0o777, 0o600);
  assert.equal(statSync(join(s.dataDir, 'auth')).mode & 0o777, 0o700);
  for (const args of [['keys', 'list'], ['keys', 'list', '--json']]) {
    const listed = await alonzo(...args, '--data-dir', s.dataDir);
    assert.equal(listed.code, 0);
    assert.ok(listed.out.includes(id), listed.out);
    assert.ok(!listed.out.includes(secret), 'list never shows a secret');
    assert.doesNotMatch(listed.out, /Secret/i);
  }
  const json = JSON.parse((await alonzo('keys', 'list', '--json', '--data-dir', s.dataDir)).out).AccessKeys;
  assert.deepEqual(json.find((k: any) => k.AccessKeyId === id).AccountId, '111122223333');
  // The running server accepts the new key at once, as that account.
  const alice = lambdaClient(s.url, { credentials: { accessKeyId: id, secretAccessKey: secret } });
  await alice.send(new ListFunctionsCommand({}));
  const deleted = await alonzo('keys', 'delete', id, '--data-dir', s.dataDir);
  assert.equal(deleted.code, 0);
  assert.match(deleted.out, /Deleted access key/);
  // …and refuses it once deleted, without a restart.
  await assertAwsError(alice.send(new ListFunctionsCommand({})), { name: 'UnrecognizedClientException', status: 403, message: 'The security token included in the request is invalid.' });
  alice.destroy();
  const again = await alonzo('keys', 'delete', id, '--data-dir', s.dataDir);
  assert.equal(again.code, 1);
  assert.match(again.err, /There is no access key/);
  const bad = await alonzo('keys', 'create', '--data-dir', s.dataDir, '--policy', '{"Statement":[{"Effect":"Allow","Action":"lambda:*","Resource":"*","Condition":{}}]}');
  assert.equal(bad.code, 1);
  assert.match(bad.err, /Condition is not supported/);
});

test('a key whose policy denies DeleteFunction gets AWS\'s AccessDenied from every client, and its allowed calls work', async () => {
  const admin = root();
  await createFunction(admin, 'guarded');
  const policyFile = join(s.dataDir, 'no-delete.json');
  writeFileSync(
    policyFile,
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['lambda:Get*', 'lambda:List*', 'lambda:InvokeFunction', 'lambda:DeleteFunction'], Resource: '*' },
        { Effect: 'Deny', Action: 'lambda:deletefunction', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:guarded*' },
      ],
    }),
  );
  const key = await createKey(s.dataDir, '--name', 'ci', '--policy', policyFile);
  const c = lambdaClient(s.url, { credentials: key });
  assert.equal((await c.send(new GetFunctionCommand({ FunctionName: 'guarded' }))).Configuration?.FunctionName, 'guarded');
  assert.equal((await c.send(new InvokeCommand({ FunctionName: 'guarded', Payload: Buffer.from('{"ok":1}') }))).StatusCode, 200);
  const arn = 'arn:aws:lambda:us-east-1:000000000000:function:guarded';
  const denied = `User: arn:aws:iam::000000000000:user/ci is not authorized to perform: lambda:DeleteFunction on resource: ${arn} with an explicit deny in an identity-based policy`;
  await assertAwsError(c.send(new DeleteFunctionCommand({ FunctionName: 'guarded' })), { name: 'AccessDeniedException', status: 403, message: denied });
  // Not allowed at all (no statement): IAM's other wording. Nothing was created.
  const notAllowed = `User: arn:aws:iam::000000000000:user/ci is not authorized to perform: lambda:CreateFunction on resource: arn:aws:lambda:us-east-1:000000000000:function:sneaky because no identity-based policy allows the lambda:CreateFunction action`;
  await assertAwsError(c.send(new CreateFunctionCommand({ FunctionName: 'sneaky', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: await zipOf({ 'index.js': '' }) } })), { name: 'AccessDeniedException', status: 403, message: notAllowed });
  c.destroy();
  const env = { AWS_ACCESS_KEY_ID: key.accessKeyId, AWS_SECRET_ACCESS_KEY: key.secretAccessKey };
  for (const v of ['v1', 'v2'] as const) {
    assert.deepEqual(fromCli(await runAws(v, s.url, ['lambda', 'delete-function', '--function-name', 'guarded'], undefined, env)), { ok: false, code: 'AccessDeniedException', message: denied }, v);
  }
  const py = await runBoto3(
    s.url,
    `try:
    client.delete_function(FunctionName='guarded')
except client.exceptions.ClientError as e:
    print(json.dumps({'code': e.response['Error']['Code'], 'message': e.response['Error']['Message'], 'status': e.response['ResponseMetadata']['HTTPStatusCode']}))`,
    key,
  );
  assert.deepEqual(JSON.parse(py.stdout), { code: 'AccessDeniedException', message: denied, status: 403 });
  const names = (await admin.send(new ListFunctionsCommand({}))).Functions!.map((f) => f.FunctionName);
  assert.ok(names.includes('guarded') && !names.includes('sneaky'), String(names));
  admin.destroy();
});

test('the root key from ALONZO_ROOT_* may do everything, Alonzo\'s own routes included; the alonzo CLI signs with AWS_* credentials', async () => {
  const admin = root();
  await createFunction(admin, 'rooted');
  admin.destroy();
  const env = { ...process.env };
  process.env.AWS_ACCESS_KEY_ID = 'ROOTKEYFORTESTS';
  process.env.AWS_SECRET_ACCESS_KEY = 'root-secret';
  try {
    const logs = await alonzo('logs', 'rooted', '--endpoint-url', s.url);
    assert.equal(logs.code, 0, logs.err);
    process.env.AWS_SECRET_ACCESS_KEY = 'wrong';
    const refused = await alonzo('events', 'failed', 'rooted', '--endpoint-url', s.url);
    assert.equal(refused.code, 254);
    assert.match(refused.err, /An error occurred \(InvalidSignatureException\) when calling the ListFailedEvents operation/);
  } finally {
    process.env.AWS_ACCESS_KEY_ID = env.AWS_ACCESS_KEY_ID;
    process.env.AWS_SECRET_ACCESS_KEY = env.AWS_SECRET_ACCESS_KEY;
    if (env.AWS_ACCESS_KEY_ID === undefined) delete process.env.AWS_ACCESS_KEY_ID;
    if (env.AWS_SECRET_ACCESS_KEY === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
  }
  // Alonzo's own routes need a signature like the rest.
  const bare = await fetch(`${s.url}/_alonzo/functions/rooted/logs`);
  assert.equal(bare.status, 403);
});

test('keys create run several times at once keeps every key (the file is updated under a lock)', async () => {
  const dataDir = join(s.dataDir, 'concurrent');
  const run = () =>
    new Promise<string>((resolve, reject) => {
      const proc = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'alonzo.js'), 'keys', 'create', '--data-dir', dataDir, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      proc.stdout!.on('data', (c) => (out += c));
      proc.stderr!.on('data', (c) => (err += c));
      proc.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out).AccessKey.AccessKeyId) : reject(new Error(err))));
    });
  const ids = await Promise.all(Array.from({ length: 6 }, run));
  const listed = JSON.parse((await alonzo('keys', 'list', '--json', '--data-dir', dataDir)).out).AccessKeys.map((k: any) => k.AccessKeyId);
  assert.deepEqual([...listed].sort(), [...ids].sort());
  assert.equal(new Set(ids).size, 6);
});

test('a key file the server cannot read counts as holding no keys (fail closed); the root key still works', async () => {
  const dataDir = join(s.dataDir, 'broken');
  const key = await createKey(dataDir);
  const server = await startAlonzo({ auth: 'sigv4', dataDir, rootAccessKeyId: 'ROOTKEYFORTESTS', rootSecretAccessKey: 'root-secret' });
  try {
    const c = lambdaClient(server.url, { credentials: key });
    await c.send(new ListFunctionsCommand({}));
    writeFileSync(keysPath(dataDir), '{ this is not json');
    await assertAwsError(c.send(new ListFunctionsCommand({})), { name: 'UnrecognizedClientException', status: 403, message: 'The security token included in the request is invalid.' });
    c.destroy();
    const admin = lambdaClient(server.url, { credentials: { accessKeyId: 'ROOTKEYFORTESTS', secretAccessKey: 'root-secret' } });
    await admin.send(new ListFunctionsCommand({}));
    admin.destroy();
  } finally {
    await server.close();
  }
});

test('listening beyond loopback without sigv4 refuses to start, saying why and how to make a key', async () => {
  await assert.rejects(startServer({ host: '0.0.0.0', port: 0, logLevel: 'silent', dataDir: join(s.dataDir, 'never') }), /beyond loopback.*alonzo keys create.*ALONZO_ROOT_ACCESS_KEY_ID/s);
  const proc = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'alonzo.js'), 'serve', '--host', '0.0.0.0', '--port', '0'], { env: { ...process.env, ALONZO_DATA_DIR: join(s.dataDir, 'never') }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (c) => (err += c));
  const code = await new Promise<number | null>((r) => proc.on('exit', r));
  assert.equal(code, 1);
  assert.match(err, /host '0\.0\.0\.0' is beyond loopback/);
  assert.match(err, /alonzo keys create/);
});

test('every request\'s principal (key id, account) is in the structured log; a 12-digit key id selects that account in local mode', async () => {
  const proc = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'alonzo.js'), 'serve', '--port', '0', '--auth', 'local', '--log-level', 'info'], {
    env: { ...process.env, ALONZO_DATA_DIR: join(s.dataDir, 'logged') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (c) => (err += c));
  const url = await new Promise<string>((resolve, reject) => {
    proc.stdout!.on('data', (c) => {
      out += c;
      const m = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]);
    });
    proc.on('exit', () => reject(new Error(err)));
  });
  try {
    const c = lambdaClient(url, { credentials: { accessKeyId: '123456789012', secretAccessKey: 'anything' } });
    await c.send(new ListFunctionsCommand({}));
    c.destroy();
    await fetch(`${url}/2015-03-31/functions`);
  } finally {
    const done = new Promise((r) => proc.on('exit', r));
    proc.kill('SIGTERM');
    await done;
  }
  const lines = err.split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((l) => l.event === 'api:request');
  assert.ok(lines.some((l) => l.operation === 'ListFunctions' && l.status === 200 && l.accessKeyId === '123456789012' && l.accountId === '123456789012'), err);
  assert.ok(lines.some((l) => l.status === 403 && l.accessKeyId === undefined), 'the refused unsigned request is logged too');
  assert.equal(readFileSync(keysPath(s.dataDir), 'utf8').includes('root-secret'), false, 'the root key is never written to the key file');
});
