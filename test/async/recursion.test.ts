// Recursive loop detection, as a user meets it: a function that invokes itself through the AWS SDK (Event invokes,
// the trace header forwarded by the SDK's own recursion-detection middleware), and a function whose OnSuccess
// destination is itself, are stopped at the 17th invocation in the chain under the default `Terminate`, and run on
// with `Allow`; a synchronous invoke past the limit gets AWS's RecursiveInvocationException.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { InvokeCommand, PutFunctionEventInvokeConfigCommand, PutFunctionRecursionConfigCommand } from '@aws-sdk/client-lambda';
import { startAlonzo, zipOf, type TestServer } from '../helpers/alonzo.js';
import { deploy, eventually, rawInvoke } from '../helpers/invoke.js';
import { startSink, type Sink } from '../helpers/sink.js';
import { packageFiles } from '../helpers/bundle.js';
import { failedEvents } from './helpers.js';
import { lineageKey, nextHop } from '../../src/invoke/trace.js';

let s: TestServer;
let sink: Sink;

/** Reports each run to the sink, then invokes itself (Event) with n + 1 until n reaches `max`. Nothing about traces. */
const SELF_INVOKER = `const { LambdaClient, InvokeCommand } = require('@aws-sdk/client-lambda');
const http = require('node:http');
const client = new LambdaClient({ maxAttempts: 1 });
const report = (url, body) => new Promise((ok, fail) => {
  const req = http.request(url, { method: 'POST', agent: false }, (res) => { res.resume(); res.on('end', ok); });
  req.on('error', fail);
  req.end(JSON.stringify(body));
});
exports.handler = async (event) => {
  await report(event.sink, { n: event.n });
  if (event.n < event.max) {
    await client.send(new InvokeCommand({ FunctionName: process.env.AWS_LAMBDA_FUNCTION_NAME, InvocationType: 'Event', Payload: JSON.stringify({ ...event, n: event.n + 1 }) }));
  }
  return { n: event.n };
};
`;

before(async () => {
  // Lambda's delays at 1/1000: a destination or a retry is not waited for.
  s = await startAlonzo({ asyncTimeScale: 0.001 });
  sink = await startSink();
  const zip = await zipOf({ 'index.js': SELF_INVOKER, ...packageFiles('@aws-sdk/client-lambda') });
  for (const fn of ['loops', 'loops-allowed']) await deploy(s, fn, { zip, Timeout: 10, MemorySize: 256 });
});
after(async () => {
  await s.close();
  await sink.close();
});

const runsOf = (key: string) => sink.records<{ n: number }>(key).map((r) => r.n);

test('a function invoking itself through the SDK is stopped at the 17th invocation (Terminate, the default); the stopped event fails as such', async () => {
  await s.client.send(new InvokeCommand({ FunctionName: 'loops', InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ n: 1, max: 40, sink: sink.url('loops') })) }));
  const failed = await eventually(async () => {
    const f = await failedEvents(s, 'loops');
    return f.length > 0 ? f : undefined;
  }, 60_000, 'the 17th invocation to be stopped');
  assert.equal(failed.length, 1);
  assert.equal(failed[0].Condition, 'RecursiveInvocationException');
  assert.equal(failed[0].Payload.n, 17, 'the event stopped is the 17th');
  assert.equal(failed[0].ApproximateInvokeCount, 0, 'it never ran');
  assert.deepEqual(runsOf('loops'), Array.from({ length: 16 }, (_, i) => i + 1), 'runs 1 to 16, each once');
});

test('with RecursiveLoop Allow the same chain runs on', async () => {
  await s.client.send(new PutFunctionRecursionConfigCommand({ FunctionName: 'loops-allowed', RecursiveLoop: 'Allow' }));
  await s.client.send(new InvokeCommand({ FunctionName: 'loops-allowed', InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ n: 1, max: 20, sink: sink.url('allowed') })) }));
  await eventually(async () => runsOf('allowed').length >= 20, 60_000, 'twenty runs');
  assert.deepEqual(runsOf('allowed'), Array.from({ length: 20 }, (_, i) => i + 1));
  assert.deepEqual(await failedEvents(s, 'loops-allowed'), []);
});

test('two functions that are each other\'s OnSuccess destination: the loop through destinations is stopped too', async () => {
  // AWS refuses a function as its own destination ("You can't specify the function as a destination for itself."): a ring of two.
  const code = `const http = require('node:http');
exports.handler = async (event) => {
  const sink = event.sink ?? event.responsePayload?.sink;
  await new Promise((ok, fail) => { const r = http.request(sink, { method: 'POST', agent: false }, (res) => { res.resume(); res.on('end', ok); }); r.on('error', fail); r.end(JSON.stringify({ fn: process.env.AWS_LAMBDA_FUNCTION_NAME })); });
  return { sink };
};
`;
  for (const fn of ['ring-a', 'ring-b']) await deploy(s, fn, { zip: await zipOf({ 'index.js': code }) });
  const arn = (fn: string) => `arn:aws:lambda:us-east-1:000000000000:function:${fn}`;
  await s.client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'ring-a', DestinationConfig: { OnSuccess: { Destination: arn('ring-b') } } }));
  await s.client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'ring-b', DestinationConfig: { OnSuccess: { Destination: arn('ring-a') } } }));
  await s.client.send(new InvokeCommand({ FunctionName: 'ring-a', InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ sink: sink.url('ring') })) }));
  const failed = await eventually(async () => {
    const f = await failedEvents(s, 'ring-a');
    return f.length > 0 ? f : undefined;
  }, 60_000, 'the ring to be stopped');
  assert.equal(failed[0].Condition, 'RecursiveInvocationException');
  // a, b, a, b, … 16 runs each; ring-a's 17th is the one stopped.
  const runs = sink.records<{ fn: string }>('ring').map((r) => r.fn);
  assert.equal(runs.length, 32);
  assert.deepEqual(runs, Array.from({ length: 32 }, (_, i) => (i % 2 === 0 ? 'ring-a' : 'ring-b')));
  assert.deepEqual(await failedEvents(s, 'ring-b'), []);
});

test("a synchronous invoke past the limit: 400 RecursiveInvocationException, AWS's body; one below it runs", async () => {
  const key = lineageKey('000000000000', 'loops');
  // What a caller 16 hops deep forwards: this function's count at 16 (the 17th invoke is refused), then at 15.
  let trace = undefined as string | undefined;
  for (let i = 0; i < 16; i++) trace = nextHop(trace, key).traceId;
  const refused = await rawInvoke(s, 'loops', JSON.stringify({ n: 99, max: 0, sink: sink.url('sync') }), { 'X-Amzn-Trace-Id': trace! });
  assert.equal(refused.status, 400);
  assert.equal(refused.headers.get('x-amzn-errortype'), 'RecursiveInvocationException');
  assert.deepEqual(refused.json, { Type: 'User', Message: "Lambda has detected your function being invoked in a recursive loop with other AWS resources and stopped your function's invocation." });
  assert.deepEqual(runsOf('sync'), [], 'the function did not run');
  let fifteen = undefined as string | undefined;
  for (let i = 0; i < 15; i++) fifteen = nextHop(fifteen, key).traceId;
  const ran = await rawInvoke(s, 'loops', JSON.stringify({ n: 99, max: 0, sink: sink.url('sync') }), { 'X-Amzn-Trace-Id': fifteen! });
  assert.equal(ran.status, 200, ran.text);
  assert.deepEqual(runsOf('sync'), [99]);
  // Another function's count does not stop this one.
  const other = await rawInvoke(s, 'loops-allowed', JSON.stringify({ n: 5, max: 0, sink: sink.url('sync') }), { 'X-Amzn-Trace-Id': trace! });
  assert.equal(other.status, 200, other.text);
});
