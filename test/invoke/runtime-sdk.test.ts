// The AWS SDKs Lambda's managed runtimes ship, installed by the real `alonzo runtimes install sdk`: a Node function
// uses @aws-sdk/client-s3 and a Python one boto3 without bundling either, against a real S3 stand-in (moto_server);
// a function's own copy wins over the runtime's; without the install, `import boto3` fails as it does today.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { startAlonzo, zipOf, type TestServer } from '../helpers/alonzo.js';
import { deploy } from '../helpers/invoke.js';
import { alonzoCommand } from '../helpers/bundle.js';
import { MOTO_CREDENTIALS, startMoto, type Moto } from '../helpers/moto.js';

const dataDir = mkdtempSync(join(tmpdir(), 'alonzo-sdk-'));
let s: TestServer;
let moto: Moto;

const alonzo = alonzoCommand;

before(async () => {
  const installed = await alonzo('runtimes', 'install', 'sdk', '--package', '@aws-sdk/client-s3', '--data-dir', dataDir);
  assert.equal(installed.code, 0, installed.out);
  moto = await startMoto();
  s = await startAlonzo({ dataDir });
});
after(async () => {
  await s?.close();
  await moto?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const invokeJson = async (t: TestServer, fn: string, payload: unknown) => {
  const r = await t.client.send(new InvokeCommand({ FunctionName: fn, Payload: Buffer.from(JSON.stringify(payload)) }));
  const text = Buffer.from(r.Payload ?? []).toString();
  return { error: r.FunctionError, body: JSON.parse(text) };
};

test('`alonzo runtimes` says what serves each runtime and that the SDKs are there', async () => {
  const r = await alonzo('runtimes', '--json', '--data-dir', dataDir);
  assert.equal(r.code, 0, r.out);
  const shown = JSON.parse(r.out);
  assert.ok(shown.Sdk.Node.includes('@aws-sdk/client-s3'));
  assert.equal(shown.Sdk.Boto3, true);
  assert.ok(shown.Runtimes.some((x: { Runtime: string }) => x.Runtime === 'python3.12'));
});

test('a Node function uses @aws-sdk/client-s3 with nothing bundled (S3 on moto)', async () => {
  const code = `const { S3Client, CreateBucketCommand, ListBucketsCommand } = require('@aws-sdk/client-s3');
exports.handler = async (e) => {
  const s3 = new S3Client({ endpoint: e.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: ${JSON.stringify(MOTO_CREDENTIALS)} });
  await s3.send(new CreateBucketCommand({ Bucket: 'made-by-node' }));
  const listed = await s3.send(new ListBucketsCommand({}));
  // As a hostile function would: the runtime's SDK is shared by every function, so it must not be writable.
  const tries = {};
  for (const [what, act] of Object.entries({
    write: () => require('node:fs').writeFileSync(require.resolve('@aws-sdk/client-s3'), 'module.exports = {};'),
    create: () => require('node:fs').writeFileSync('/var/lang/sdk/node_modules/evil.js', 'x'),
    remove: () => require('node:fs').rmSync('/var/lang/sdk/node_modules/@aws-sdk', { recursive: true }),
  })) {
    try { act(); tries[what] = 'succeeded'; } catch (err) { tries[what] = err.code; }
  }
  return { buckets: listed.Buckets.map((b) => b.Name), from: require.resolve('@aws-sdk/client-s3'), tries };
};
`;
  await deploy(s, 'node-sdk', { zip: await zipOf({ 'index.js': code }), Timeout: 20, MemorySize: 256 });
  const r = await invokeJson(s, 'node-sdk', { endpoint: moto.endpoint });
  assert.equal(r.error, undefined, JSON.stringify(r.body));
  assert.ok(r.body.buckets.includes('made-by-node'));
  assert.match(r.body.from, /^\/var\/lang\/sdk\/node_modules\/@aws-sdk\/client-s3\//, 'the runtime\'s copy, at its place in the sandbox');
  for (const [what, result] of Object.entries(r.body.tries)) assert.notEqual(result, 'succeeded', `${what} in the runtime's SDK succeeded`);
});

test('a Python function imports boto3 with nothing bundled (S3 on moto)', async () => {
  const code = `import boto3
def handler(event, context):
    s3 = boto3.client('s3', endpoint_url=event['endpoint'], region_name='us-east-1', aws_access_key_id='test', aws_secret_access_key='test')
    s3.create_bucket(Bucket='made-by-python')
    return {'buckets': [b['Name'] for b in s3.list_buckets()['Buckets']], 'from': boto3.__file__}
`;
  await deploy(s, 'python-sdk', { zip: await zipOf({ 'app.py': code }), Runtime: 'python3.12', Handler: 'app.handler', Timeout: 20, MemorySize: 256 });
  const r = await invokeJson(s, 'python-sdk', { endpoint: moto.endpoint });
  assert.equal(r.error, undefined, JSON.stringify(r.body));
  assert.ok(r.body.buckets.includes('made-by-python'));
  assert.match(r.body.from, /^\/var\/lang\/sdk\/python\/boto3\//);
});

test("a function's own copy of the SDK wins over the runtime's", async () => {
  await deploy(s, 'node-own-sdk', {
    zip: await zipOf({
      'index.js': "exports.handler = async () => require('@aws-sdk/client-s3').who;\n",
      'node_modules/@aws-sdk/client-s3/package.json': '{"name":"@aws-sdk/client-s3","main":"index.js"}',
      'node_modules/@aws-sdk/client-s3/index.js': "exports.who = 'bundled';\n",
    }),
  });
  assert.deepEqual(await invokeJson(s, 'node-own-sdk', {}), { error: undefined, body: 'bundled' });
  await deploy(s, 'python-own-sdk', {
    zip: await zipOf({ 'app.py': 'import boto3\ndef handler(e, c):\n    return boto3.WHO\n', 'boto3/__init__.py': "WHO = 'bundled'\n" }),
    Runtime: 'python3.12',
    Handler: 'app.handler',
  });
  assert.deepEqual(await invokeJson(s, 'python-own-sdk', {}), { error: undefined, body: 'bundled' });
});

test('without the install, import boto3 fails with Runtime.ImportModuleError, and `alonzo runtimes` says what to run', async () => {
  const bare = await startAlonzo();
  try {
    await deploy(bare, 'no-sdk', { zip: await zipOf({ 'app.py': 'import boto3\ndef handler(e, c):\n    return 1\n' }), Runtime: 'python3.12', Handler: 'app.handler' });
    const r = await invokeJson(bare, 'no-sdk', {});
    assert.equal(r.error, 'Unhandled');
    assert.equal(r.body.errorType, 'Runtime.ImportModuleError');
    const listed = await alonzo('runtimes', '--data-dir', bare.dataDir);
    assert.match(listed.out, /alonzo runtimes install sdk/);
  } finally {
    await bare.close();
  }
});
