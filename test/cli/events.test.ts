// `alonzo events failed|redrive`, run in-process with captured output against a real server: the failed-events list
// (human and --json), a redrive of some or all, and the error grammar.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PutFunctionConcurrencyCommand, PutFunctionEventInvokeConfigCommand } from '@aws-sdk/client-lambda';
import { main } from '../../src/cli/main.js';
import { startAlonzo, type TestServer } from '../helpers/alonzo.js';
import { deploy, eventually } from '../helpers/invoke.js';
import { closedPort } from '../helpers/ports.js';
import { startSink, type Sink } from '../helpers/sink.js';
import { CREDENTIALS } from '../helpers/sign.js';
import { eventInvoke, failedEvents, runs } from '../async/helpers.js';

let s: TestServer;
/** Where the recorder reports its runs, and the flag that fixes it. */
let sink: Sink;

before(async () => {
  // The server's own credentials for SQS (the endpoint, a port nothing listens on, refuses every send anyway), and
  // the ones the in-process `alonzo` CLI signs with.
  process.env.AWS_ACCESS_KEY_ID = CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = CREDENTIALS.secretAccessKey;
  sink = await startSink();
  s = await startAlonzo({ asyncTimeScale: 0.001, destinationEndpoint: `http://127.0.0.1:${await closedPort()}` });
});
after(async () => {
  await s?.close();
  await sink?.close();
});

async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main([...argv, '--endpoint-url', s.url], { out: (x) => (out += x), err: (x) => (err += x) });
  return { code, out, err };
}

const QUEUE = 'arn:aws:sqs:us-east-1:123456789012:cli-failures';
const BUS = 'arn:aws:events:us-east-1:000000000000:event-bus/default';

test('events failed lists request id, condition, reason, when and deliveries; --json gives the API\'s list; redrive sends them again', async () => {
  await deploy(s, 'flaky', { fixture: 'async-recorder' });
  await s.client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'flaky', MaximumRetryAttempts: 0, DestinationConfig: { OnFailure: { Destination: QUEUE } } }));
  const empty = await run('events', 'failed', 'flaky');
  assert.deepEqual(empty, { code: 0, out: 'No failed events for flaky.\n', err: '' });

  const runsTo = sink.url('flaky');
  const fixed = sink.url('flaky.fixed');
  const a = await eventInvoke(s, 'flaky', { sink: runsTo, failUnless: fixed, tag: 'a' });
  const b = await eventInvoke(s, 'flaky', { sink: runsTo, failUnless: fixed, tag: 'b' });
  // Two failed events and their two OnFailure records, whose sends to the unreachable endpoint failed.
  const list = await eventually(async () => {
    const l = await failedEvents(s, 'flaky');
    return l.length === 4 && l;
  }, 8000, 'two failed events and two failed deliveries');
  const jobOf = (id: string) => list.find((e: any) => e.Payload?.SourceRequestId === id);

  const human = await run('events', 'failed', 'flaky');
  assert.equal(human.code, 0, human.err);
  assert.equal(human.err, '');
  const lines = human.out.split('\n');
  assert.equal(lines[0], 'flaky has 4 failed events:');
  for (const ev of [a, b]) {
    const at = lines.findIndex((l) => l.startsWith(`● ${ev.requestId}  `));
    assert.match(lines[at], new RegExp(`^● ${ev.requestId}  RetriesExhausted  \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z  \\(1 attempt\\)$`));
    assert.equal(lines[at + 1], '  The function failed 1 time (MaximumRetryAttempts 0).');
    const job = jobOf(ev.requestId);
    assert.equal(lines[at + 2], `  OnFailure → ${QUEUE}  not delivered: sending it (${job.RequestId}) failed, listed below`);
    const j = lines.findIndex((l) => l.startsWith(`● ${job.RequestId}  `));
    assert.match(lines[j], new RegExp(`^● ${job.RequestId}  RetriesExhausted  \\S+  \\(OnFailure delivery of ${ev.requestId}\\)$`));
    assert.match(lines[j + 1], /^ {2}The OnFailure delivery of event .* failed 5 times\. Last: SQS GetQueueUrl failed: .*ECONNREFUSED/);
    assert.match(lines[j + 2], new RegExp(`^ {2}OnFailure → ${QUEUE} {2}not delivered: SQS GetQueueUrl failed: .*ECONNREFUSED`));
  }
  assert.equal(lines.at(-2), 'Send them again with: alonzo events redrive flaky [--request-id ID …]');

  const json = await run('events', 'failed', 'flaky', '--json');
  assert.equal(json.code, 0, json.err);
  assert.deepEqual(JSON.parse(json.out), { FailedEvents: await failedEvents(s, 'flaky') });

  // Fix the function, then send only `a` again: it runs with its own request id and leaves the list.
  sink.add('flaky.fixed', 'fixed');
  const one = await run('events', 'redrive', 'flaky', '--request-id', a.requestId);
  assert.deepEqual(one, { code: 0, out: 'Queued 1 failed event of flaky again (same request id).\n', err: '' });
  await eventually(async () => runs(sink, 'flaky', a.requestId).length === 2, 5000, 'a to run again');
  await eventually(async () => (await failedEvents(s, 'flaky')).every((e: any) => e.RequestId !== a.requestId), 5000, 'a to leave the list');

  // Several ids after one flag, and a repeated flag, both name them all; an unknown one is skipped with a warning.
  const jobs = [jobOf(a.requestId).RequestId, jobOf(b.requestId).RequestId];
  const some = await run('events', 'redrive', 'flaky', '--request-id', b.requestId, jobs[0], '--request-id', 'no-such-id', '--json');
  assert.equal(some.code, 0, some.err);
  assert.deepEqual(JSON.parse(some.out), { Redriven: 2, NotFound: ['no-such-id'] });
  await eventually(async () => runs(sink, 'flaky', b.requestId).length === 2, 5000, 'b to run again');

  // What is left (the other delivery, failing again against the same unreachable endpoint) goes with a bare redrive.
  const left = await eventually(async () => {
    const l = await failedEvents(s, 'flaky');
    return l.length === 2 && l.every((e: any) => jobs.includes(e.RequestId)) && l;
  }, 8000, 'only the two deliveries to be left');
  assert.equal(left.length, 2);
  const all = await run('events', 'redrive', 'flaky');
  assert.deepEqual(all, { code: 0, out: 'Queued 2 failed events of flaky again (same request ids).\n', err: '' });
});

test('a delivery that could not even start is shown with its reason', async () => {
  await deploy(s, 'to-bus', { fixture: 'async-recorder' });
  await s.client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'to-bus', MaximumRetryAttempts: 0, DestinationConfig: { OnFailure: { Destination: BUS } } }));
  const { requestId } = await eventInvoke(s, 'to-bus', { fail: true });
  await eventually(async () => (await failedEvents(s, 'to-bus')).length === 1, 5000, 'the failed event');
  const r = await run('events', 'failed', 'to-bus');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, new RegExp(`^to-bus has 1 failed event:\n\n● ${requestId}  RetriesExhausted  \\S+  \\(1 attempt\\)\n`));
  assert.match(r.out, new RegExp(`\n  OnFailure → ${BUS} {2}not delivered: Alonzo cannot deliver to Amazon EventBridge yet`));
});

test('events: mistakes say what happened and how to fix it; service errors print as the AWS CLI does', async () => {
  const noVerb = await run('events');
  assert.equal(noVerb.code, 1);
  assert.equal(noVerb.err, '✘ events needs a command: list, failed or redrive.\n  Write: alonzo events list [my-fn], alonzo events failed my-fn, or alonzo events redrive my-fn [--request-id ID …]\n');
  const badVerb = await run('events', 'purge', 'x');
  assert.equal(badVerb.code, 1);
  assert.match(badVerb.err, /^✘ Unknown events command 'purge'\.\n/);
  const noName = await run('events', 'failed');
  assert.equal(noName.code, 1);
  assert.match(noName.err, /^✘ events failed needs a function name\.\n/);

  const missing = await run('events', 'failed', 'nope');
  assert.deepEqual(missing, { code: 1, out: '', err: '✘ There is no function nope, and no failed events are kept for that name.\n  Check the name: aws lambda list-functions lists the functions.\n' });
  // A service error prints as the AWS CLI prints it.
  const invalid = await run('events', 'failed', 'bad:name:x:y');
  assert.equal(invalid.code, 254);
  assert.match(invalid.err, /^\nAn error occurred \(\w+\) when calling the ListFailedEvents operation: /);

  await deploy(s, 'clean', { fixture: 'async-recorder' });
  const unknown = await run('events', 'redrive', 'clean', '--request-id', 'abc');
  assert.deepEqual(unknown, { code: 1, out: '', err: '✘ clean has no failed event with request id abc.\n  List them with: alonzo events failed clean\n' });
  const none = await run('events', 'redrive', 'clean');
  assert.deepEqual(none, { code: 0, out: 'No failed events of clean to send again.\n', err: '' });
  const dangling = await run('events', 'redrive', 'clean', '--request-id');
  assert.equal(dangling.code, 1);
  assert.match(dangling.err, /^✘ --request-id needs a value\./);

  const help = await run('--help');
  assert.match(help.out, /events list \[NAME\] \[--json\]/);
  assert.match(help.out, /events failed NAME \[--json\]/);
  assert.match(help.out, /events redrive NAME \[--request-id ID …\]/);
});

test('events list counts the Event invokes queued, running and failed per function (all of the account, or NAME\'s), as a table or --json', async () => {
  // Reserved concurrency 0: Lambda keeps the events and retries them (throttled), so they stay queued.
  await deploy(s, 'held', { fixture: 'async-recorder' });
  await s.client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'held', ReservedConcurrentExecutions: 0 }));
  const before = Date.now();
  for (const tag of ['x', 'y']) await eventInvoke(s, 'held', { sink: sink.url('held'), tag });
  const one = await run('events', 'list', 'held', '--json');
  assert.equal(one.code, 0, one.err);
  const [row] = JSON.parse(one.out).Functions;
  assert.equal(row.FunctionName, 'held');
  assert.equal(row.Queued + row.Running, 2);
  assert.equal(row.Failed, 0);
  if (row.Queued) assert.ok(Date.parse(row.OldestQueuedAt) >= before - 1000, row.OldestQueuedAt);
  const table = await run('events', 'list');
  assert.equal(table.code, 0, table.err);
  const lines = table.out.trimEnd().split('\n');
  assert.match(lines[0], /^FUNCTION +QUEUED +RUNNING +FAILED +OLDEST QUEUED$/);
  assert.ok(lines.some((l) => /^held +\d+ +\d+ +0 +/.test(l)), table.out);
  // A function without events: zeros, not an error; one that does not exist: AWS's error, as the CLI prints it.
  await deploy(s, 'idle-one', { fixture: 'async-recorder' });
  assert.deepEqual(JSON.parse((await run('events', 'list', 'idle-one', '--json')).out), { Functions: [{ FunctionName: 'idle-one', Queued: 0, Running: 0, Failed: 0 }] });
  const missing = await run('events', 'list', 'nope');
  assert.equal(missing.code, 254);
  assert.match(missing.err, /An error occurred \(ResourceNotFoundException\) when calling the GetEventCounts operation: Function not found/);
});

test('events list as an attacker: another account sees none of mine and cannot name my function; a key without alonzo:GetEventCounts is refused', async () => {
  const { lambdaClient } = await import('../helpers/alonzo.js');
  const { createFunction } = await import('../helpers/api.js');
  const { createKey } = await import('../auth/helpers.js');
  const { InvokeCommand } = await import('@aws-sdk/client-lambda');
  const root = { accessKeyId: 'ROOTKEYFOREVENTS', secretAccessKey: 'root-secret' };
  const strict = await startAlonzo({ auth: 'sigv4', rootAccessKeyId: root.accessKeyId, rootSecretAccessKey: root.secretAccessKey });
  const admin = lambdaClient(strict.url, { credentials: root });
  try {
    await createFunction(admin, 'mine');
    await admin.send(new PutFunctionConcurrencyCommand({ FunctionName: 'mine', ReservedConcurrentExecutions: 0 }));
    await admin.send(new InvokeCommand({ FunctionName: 'mine', InvocationType: 'Event', Payload: Buffer.from('{}') }));
    const other = await createKey(strict.dataDir, '--account-id', '111111111111', '--name', 'other');
    const narrow = await createKey(strict.dataDir, '--name', 'narrow', '--policy', JSON.stringify({ Statement: [{ Effect: 'Allow', Action: ['lambda:GetFunction'], Resource: '*' }] }));
    const as = async (k: { accessKeyId: string; secretAccessKey: string }, ...argv: string[]) => {
      const saved = [process.env.AWS_ACCESS_KEY_ID, process.env.AWS_SECRET_ACCESS_KEY];
      process.env.AWS_ACCESS_KEY_ID = k.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = k.secretAccessKey;
      let out = '';
      let err = '';
      try {
        const code = await main([...argv, '--endpoint-url', strict.url], { out: (x) => (out += x), err: (x) => (err += x) });
        return { code, out, err };
      } finally {
        [process.env.AWS_ACCESS_KEY_ID, process.env.AWS_SECRET_ACCESS_KEY] = saved;
      }
    };
    const own = await as(root, 'events', 'list', 'mine', '--json');
    assert.equal(JSON.parse(own.out).Functions[0].Queued + JSON.parse(own.out).Functions[0].Running, 1, own.err);
    assert.deepEqual(JSON.parse((await as(other, 'events', 'list', '--json')).out), { Functions: [] });
    const named = await as(other, 'events', 'list', 'mine');
    assert.equal(named.code, 254);
    assert.match(named.err, /ResourceNotFoundException\) when calling the GetEventCounts operation: Function not found: arn:aws:lambda:us-east-1:111111111111:function:mine/);
    const refused = await as(narrow, 'events', 'list');
    assert.equal(refused.code, 254);
    assert.match(refused.err, /AccessDeniedException\) when calling the GetEventCounts operation: User: arn:aws:iam::000000000000:user\/narrow is not authorized to perform: alonzo:GetEventCounts/);
  } finally {
    admin.destroy();
    await strict.close();
  }
});
