// Event source mappings, attacked: another account's key going after a mapping or a function that is not its own, a
// key whose policy does not allow mappings, hostile filter patterns, and hostile messages in a mapped queue.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateEventSourceMappingCommand,
  DeleteEventSourceMappingCommand,
  GetEventSourceMappingCommand,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { lambdaClient, startAlonzo, type TestServer } from '../helpers/alonzo.js';
import { assertAwsError, createFunction, arnOf } from '../helpers/api.js';
import { eventually, fixtureFiles } from '../helpers/invoke.js';
import { createQueue, MOTO_CREDENTIALS, startMoto, type Moto } from '../helpers/moto.js';
import { startSink, type Sink } from '../helpers/sink.js';
import { createKey } from '../auth/helpers.js';

const SERVER_SECRET = `server-secret-${Date.now()}-never-in-a-function`;
let moto: Moto;
let sink: Sink;
let s: TestServer;
let admin: LambdaClient;

before(async () => {
  process.env.MOTO_ACCOUNT_ID = '000000000000';
  // The server's own AWS credentials (what the pollers read queues with): moto takes any, so a distinctive secret
  // shows whether it reaches a function.
  process.env.AWS_ACCESS_KEY_ID = 'AKIASERVERPOLLER0001';
  process.env.AWS_SECRET_ACCESS_KEY = SERVER_SECRET;
  delete process.env.AWS_SESSION_TOKEN;
  moto = await startMoto();
  sink = await startSink();
  s = await startAlonzo({ auth: 'sigv4', destinationEndpoint: moto.endpoint });
  admin = lambdaClient(s.url, { credentials: await createKey(s.dataDir) });
});

after(async () => {
  admin?.destroy();
  await s?.close();
  await moto?.close();
  await sink?.close();
});

test("another account's key cannot see, change or delete a mapping, nor point one of its own at a function that is not its own", async () => {
  await createFunction(admin, 'esm-victim');
  const q = await createQueue(moto, 'esm-victim-q');
  const { UUID } = await admin.send(new CreateEventSourceMappingCommand({ FunctionName: 'esm-victim', EventSourceArn: q.arn, Enabled: false }));
  const key = await createKey(s.dataDir, '--account-id', '222222222222', '--name', 'mallory');
  const mallory = lambdaClient(s.url, { credentials: key });
  try {
    const missing = { name: 'ResourceNotFoundException', status: 404, message: 'The resource you requested does not exist.' };
    await assertAwsError(mallory.send(new GetEventSourceMappingCommand({ UUID })), missing);
    await assertAwsError(mallory.send(new UpdateEventSourceMappingCommand({ UUID, Enabled: true, FunctionName: 'esm-victim' })), missing);
    await assertAwsError(mallory.send(new DeleteEventSourceMappingCommand({ UUID })), missing);
    assert.deepEqual((await mallory.send(new ListEventSourceMappingsCommand({}))).EventSourceMappings, []);
    assert.deepEqual((await mallory.send(new ListEventSourceMappingsCommand({ EventSourceArn: q.arn }))).EventSourceMappings, []);
    // Feeding the victim's function from a queue Mallory writes to would invoke it with her payloads.
    const r = await mallory.send(new CreateEventSourceMappingCommand({ FunctionName: arnOf('esm-victim'), EventSourceArn: q.arn })).then(
      () => undefined,
      (e) => e,
    );
    assert.equal(r?.name, 'AccessDeniedException');
    assert.equal(r?.$metadata.httpStatusCode, 403);
    const still = await admin.send(new GetEventSourceMappingCommand({ UUID }));
    assert.equal(still.State, 'Disabled', 'unchanged');
    assert.equal((await admin.send(new ListEventSourceMappingsCommand({ FunctionName: 'esm-victim' }))).EventSourceMappings!.length, 1, 'nothing added');
  } finally {
    mallory.destroy();
  }
});

test('a key whose policy does not allow lambda:CreateEventSourceMapping gets AccessDenied, and nothing is created', async () => {
  await createFunction(admin, 'esm-guarded');
  const q = await createQueue(moto, 'esm-guarded-q');
  const policy = join(s.dataDir, 'no-esm.json');
  writeFileSync(policy, JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['lambda:Get*', 'lambda:List*'], Resource: '*' }] }));
  const key = await createKey(s.dataDir, '--name', 'reader', '--policy', policy);
  const reader = lambdaClient(s.url, { credentials: key });
  try {
    await assertAwsError(reader.send(new CreateEventSourceMappingCommand({ FunctionName: 'esm-guarded', EventSourceArn: q.arn })), {
      name: 'AccessDeniedException',
      status: 403,
      message: 'User: arn:aws:iam::000000000000:user/reader is not authorized to perform: lambda:CreateEventSourceMapping on resource: * because no identity-based policy allows the lambda:CreateEventSourceMapping action',
    });
    assert.deepEqual((await reader.send(new ListEventSourceMappingsCommand({ FunctionName: 'esm-guarded' }))).EventSourceMappings, []);
  } finally {
    reader.destroy();
  }
});

test('hostile filter patterns are refused with AWS\'s errors and store nothing: too long, too deep for a quick look, not patterns at all', async () => {
  await createFunction(admin, 'esm-patterns');
  const q = await createQueue(moto, 'esm-patterns-q');
  const create = (pattern: string) => admin.send(new CreateEventSourceMappingCommand({ FunctionName: 'esm-patterns', EventSourceArn: q.arn, FilterCriteria: { Filters: [{ Pattern: pattern }] } }));
  const long = JSON.stringify({ body: { k: ['x'.repeat(5000)] } });
  const r = await create(long).then(() => undefined, (e) => e);
  assert.equal(r?.name, 'ValidationException');
  assert.match(r?.message, /Member must have length less than or equal to 4096/);
  for (const bad of ['[]', '"x"', '{}', '{"body": []}', '{"body": [{"numeric": [">", "1"]}]}', '{"body": [{"prefix": 1}]}', `${'{"a":'.repeat(300)}[1]${'}'.repeat(300)}x`]) {
    await assertAwsError(create(bad), { name: 'InvalidParameterValueException', status: 400, message: 'Invalid filter pattern definition.' });
  }
  // Deep, but within the length limit: accepted and harmless.
  const deep = `${'{"a":'.repeat(500)}["v"]${'}'.repeat(500)}`;
  assert.equal((await create(deep)).State, 'Creating');
});

test('hostile messages (deeply nested JSON, not JSON, binary-looking text) are filtered out and deleted; the poller goes on with the next', async () => {
  const code = fixtureFiles('esm-recorder')['index.js'].toString();
  await createFunction(admin, 'esm-hostile-msgs', { Timeout: 30, Environment: { Variables: { SINK_URL: sink.url('esm-hostile-msgs') } } }, code);
  const q = await createQueue(moto, 'esm-hostile-q');
  for (const body of ['['.repeat(200_000), `${'['.repeat(5000)}${']'.repeat(5000)}`, '\u0000\u0001{"k":', JSON.stringify({ k: 'v', deep: JSON.parse(`${'['.repeat(2000)}${']'.repeat(2000)}`) })]) {
    await moto.sqs.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: body }));
  }
  await moto.sqs.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: JSON.stringify({ k: 'wanted' }) }));
  await admin.send(new CreateEventSourceMappingCommand({ FunctionName: 'esm-hostile-msgs', EventSourceArn: q.arn, MaximumBatchingWindowInSeconds: 1, FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ body: { k: ['wanted'] } }) }] } }));
  const got = await eventually(async () => sink.records('esm-hostile-msgs').length > 0 && sink.records('esm-hostile-msgs'), 30_000, 'the wanted message');
  assert.deepEqual(got.flatMap((b: any) => b.event.Records.map((r: any) => r.body)), [JSON.stringify({ k: 'wanted' })]);
});

test("a function fed by a mapping never sees the server's AWS credentials the pollers use", async () => {
  // It reports its environment and whatever process environments and files it can read that might hold them.
  const code = `const fs = require('node:fs');
exports.handler = async (event) => {
  const seen = [JSON.stringify(process.env)];
  for (const p of fs.readdirSync('/proc').filter((x) => /^[0-9]+$/.test(x))) {
    try { seen.push(fs.readFileSync('/proc/' + p + '/environ', 'latin1')); } catch {}
  }
  for (const f of [process.env.HOME + '/.aws/credentials', '/root/.aws/credentials']) {
    try { seen.push(fs.readFileSync(f, 'latin1')); } catch {}
  }
  await fetch(process.env.SINK_URL, { method: 'POST', body: JSON.stringify({ seen: seen.join('\\n'), keyId: process.env.AWS_ACCESS_KEY_ID || '' }) });
  return {};
};`;
  await createFunction(admin, 'esm-env-reader', { Timeout: 30, Environment: { Variables: { SINK_URL: sink.url('esm-env-reader') } } }, code);
  const q = await createQueue(moto, 'esm-env-q');
  await admin.send(new CreateEventSourceMappingCommand({ FunctionName: 'esm-env-reader', EventSourceArn: q.arn }));
  await moto.sqs.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: 'hello' }));
  const [report] = await eventually(async () => sink.records<{ seen: string; keyId: string }>('esm-env-reader').length > 0 && sink.records<{ seen: string; keyId: string }>('esm-env-reader'), 30_000, 'the report');
  assert.ok(report.seen.length > 0);
  assert.ok(!report.seen.includes(SERVER_SECRET), "the server's secret key is nowhere the function can read");
  assert.notEqual(report.keyId, 'AKIASERVERPOLLER0001', 'the function has credentials of its own');
});
