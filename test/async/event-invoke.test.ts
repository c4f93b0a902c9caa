// Event invokes through @aws-sdk/client-lambda against a real server with asyncTimeScale 0.001 (a minute is 60 ms):
// 202 + empty body, retries and their spacing with one request id, destinations and the DLQ in AWS's record shapes,
// throttles that use no attempt, event age, and redrive.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateAliasCommand,
  DeleteFunctionConcurrencyCommand,
  PublishVersionCommand,
  InvokeCommand,
  PutFunctionConcurrencyCommand,
  PutFunctionEventInvokeConfigCommand,
  type PutFunctionEventInvokeConfigCommandInput,
} from '@aws-sdk/client-lambda';
import { startAlonzo, runBoto3, type TestServer } from '../helpers/alonzo.js';
import { closedPort } from '../helpers/ports.js';
import { deploy, eventually, rawInvoke } from '../helpers/invoke.js';
import { startSink, type Sink } from '../helpers/sink.js';
import { arnOf, eventInvoke, failedEvents, normalizeRecord, redrive, runs, sinkRecords, sleep } from './helpers.js';

const SCALE = 0.001;
let s: TestServer;
/** The recorder reports its runs here, one key per test, and the `sink` destination function its records under DEST. */
let sink: Sink;
const DEST = 'destination';

before(async () => {
  sink = await startSink();
  // SQS/SNS targets here are never read: their sends go to a port nothing listens on (destinations-sqs.test.ts covers them).
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  s = await startAlonzo({ asyncTimeScale: SCALE, destinationEndpoint: `http://127.0.0.1:${await closedPort()}` });
  await deploy(s, 'sink', { fixture: 'async-sink', Environment: { Variables: { SINK_URL: sink.url(DEST) } } });
});

after(async () => {
  await s?.close();
  await sink?.close();
});

const putConfig = (input: PutFunctionEventInvokeConfigCommandInput) => s.client.send(new PutFunctionEventInvokeConfigCommand(input));

/** AWS's failure record for a Node.js handler that threw `intentional failure` (oracle test_retries, shape). */
function expectFailureRecord(record: any, fn: string, requestId: string, payload: unknown, condition: string, count: number): void {
  const r = normalizeRecord(record);
  assert.equal(r.responsePayload?.errorType, 'Error');
  assert.equal(r.responsePayload?.errorMessage, 'intentional failure');
  assert.deepEqual(
    { ...r, responsePayload: '<error>' },
    {
      version: '1.0',
      timestamp: 'date',
      requestContext: { requestId, functionArn: arnOf(fn, '$LATEST'), condition, approximateInvokeCount: count },
      requestPayload: payload,
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: '<error>',
    },
  );
  assert.deepEqual(Object.keys(r), ['version', 'timestamp', 'requestContext', 'requestPayload', 'responseContext', 'responsePayload']);
}

test('an Event invoke answers 202 with an empty body and no ExecutedVersion, then runs once', async () => {
  await deploy(s, 'once', { fixture: 'async-recorder' });
  const runsTo = sink.url('once');
  const r = await eventInvoke(s, 'once', { sink: runsTo, tag: 'sdk' });
  assert.equal(r.status, 202);
  assert.equal(r.payloadBytes, 0);
  assert.equal(r.executedVersion, undefined);
  await eventually(async () => runs(sink, 'once', r.requestId).length === 1, 5000, 'the event to run');

  const raw = await rawInvoke(s, 'once', JSON.stringify({ sink: runsTo, tag: 'raw' }), { 'X-Amz-Invocation-Type': 'Event' });
  assert.equal(raw.status, 202);
  assert.equal(raw.text, '');
  assert.equal(raw.headers.get('x-amz-executed-version'), null);
  const rawId = raw.headers.get('x-amzn-requestid')!;
  await eventually(async () => runs(sink, 'once', rawId).length === 1, 5000, 'the raw event to run');
  await sleep(200);
  assert.equal(runs(sink, 'once').length, 2, 'each event ran exactly once');
  assert.deepEqual(await failedEvents(s, 'once'), []);
});

test('a function error is retried twice by default, ~1 min then ~2 min later (scaled), always with the same request id', async () => {
  await deploy(s, 'retries', { fixture: 'async-recorder' });
  await putConfig({ FunctionName: 'retries', DestinationConfig: { OnFailure: { Destination: arnOf('sink') } } });
  const runsTo = sink.url('retries');
  const payload = { sink: runsTo, fail: true };
  const { requestId } = await eventInvoke(s, 'retries', payload);
  await eventually(async () => runs(sink, 'retries').length >= 3, 5000, 'three attempts');
  const [a, b, c] = runs(sink, 'retries');
  assert.deepEqual([a, b, c].map((x) => x.requestId), [requestId, requestId, requestId]);
  const gap1 = b.at - a.at;
  const gap2 = c.at - b.at;
  assert.ok(gap1 >= 60_000 * SCALE && gap1 < 60_000 * SCALE + 1500, `first retry after ~60 ms, got ${gap1}`);
  assert.ok(gap2 >= 120_000 * SCALE && gap2 < 120_000 * SCALE + 1500, `second retry after ~120 ms, got ${gap2}`);

  // The OnFailure destination (a Lambda function) gets AWS's record, with approximateInvokeCount 3.
  const [got] = await eventually(async () => sinkRecords(sink, DEST, requestId).length > 0 && sinkRecords(sink, DEST, requestId), 5000, 'the failure record');
  expectFailureRecord(got.event, 'retries', requestId, payload, 'RetriesExhausted', 3);
  assert.notEqual(got.requestId, requestId, 'the record travels as a new Event of the destination function');

  await sleep(300);
  assert.equal(runs(sink, 'retries').length, 3, 'no fourth attempt');
  const [failed] = await failedEvents(s, 'retries');
  assert.equal(failed.RequestId, requestId);
  assert.equal(failed.Condition, 'RetriesExhausted');
  assert.equal(failed.ApproximateInvokeCount, 3);
  assert.deepEqual(failed.Payload, payload);
  assert.deepEqual(failed.Record, got.event);
  assert.deepEqual(failed.Deliveries, [{ Kind: 'OnFailure', Target: arnOf('sink'), Status: 'delivered', RequestId: got.requestId }]);
});

test('MaximumRetryAttempts 0: one attempt; OnSuccess gets the success record', async () => {
  await deploy(s, 'zero', { fixture: 'async-recorder' });
  await putConfig({ FunctionName: 'zero', MaximumRetryAttempts: 0, DestinationConfig: { OnSuccess: { Destination: arnOf('sink') }, OnFailure: { Destination: arnOf('sink') } } });
  const runsTo = sink.url('zero');
  const failing = await eventInvoke(s, 'zero', { sink: runsTo, fail: true, tag: 'f' });
  const ok = await eventInvoke(s, 'zero', { sink: runsTo, tag: 'ok' });
  const [fail] = await eventually(async () => sinkRecords(sink, DEST, failing.requestId).length > 0 && sinkRecords(sink, DEST, failing.requestId), 5000, 'the failure record');
  expectFailureRecord(fail.event, 'zero', failing.requestId, { sink: runsTo, fail: true, tag: 'f' }, 'RetriesExhausted', 1);
  const [success] = await eventually(async () => sinkRecords(sink, DEST, ok.requestId).length > 0 && sinkRecords(sink, DEST, ok.requestId), 5000, 'the success record');
  // Oracle test_assess_lambda_destination_invocation[payload0]: no functionError member on success.
  assert.deepEqual(normalizeRecord(success.event), {
    version: '1.0',
    timestamp: 'date',
    requestContext: { requestId: ok.requestId, functionArn: arnOf('zero', '$LATEST'), condition: 'Success', approximateInvokeCount: 1 },
    requestPayload: { sink: runsTo, tag: 'ok' },
    responseContext: { statusCode: 200, executedVersion: '$LATEST' },
    responsePayload: { ok: true, tag: 'ok' },
  });
  assert.equal(runs(sink, 'zero', failing.requestId).length, 1);
});

test('a throttled event (reserved concurrency 0) goes back to the queue without using an attempt', async () => {
  await deploy(s, 'throttled', { fixture: 'async-recorder' });
  await putConfig({ FunctionName: 'throttled', MaximumRetryAttempts: 0, DestinationConfig: { OnSuccess: { Destination: arnOf('sink') } } });
  await s.client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'throttled', ReservedConcurrentExecutions: 0 }));
  const runsTo = sink.url('throttled');
  const { requestId, status } = await eventInvoke(s, 'throttled', { sink: runsTo, tag: 't' });
  assert.equal(status, 202, 'an Event is accepted without a concurrency check');
  // Backoff 1 s, 2 s, 4 s … scaled: about eight throttles in 400 ms, none of them a run.
  await sleep(400);
  assert.equal(runs(sink, 'throttled').length, 0);
  assert.deepEqual(await failedEvents(s, 'throttled'), []);
  await s.client.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'throttled' }));
  const [rec] = await eventually(async () => sinkRecords(sink, DEST, requestId).length > 0 && sinkRecords(sink, DEST, requestId), 5000, 'the run after the throttle lifted');
  assert.equal(rec.event.requestContext.condition, 'Success');
  assert.equal(rec.event.requestContext.approximateInvokeCount, 1, 'throttles are not attempts');
  assert.equal(runs(sink, 'throttled', requestId).length, 1);
});

test('an event throttled past MaximumEventAgeInSeconds takes the failure path (EventAgeExceeded); the DLQ message and SQS delivery are planned', async () => {
  const dlq = 'arn:aws:sqs:us-east-1:000000000000:dead-letters';
  const q = 'arn:aws:sqs:us-east-1:000000000000:failures';
  await deploy(s, 'expires', { fixture: 'async-recorder', DeadLetterConfig: { TargetArn: dlq } });
  await putConfig({ FunctionName: 'expires', MaximumEventAgeInSeconds: 60, DestinationConfig: { OnFailure: { Destination: q } } });
  await s.client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'expires', ReservedConcurrentExecutions: 0 }));
  const runsTo = sink.url('expires');
  const payload = { sink: runsTo, tag: 'old' };
  const { requestId } = await eventInvoke(s, 'expires', payload);
  const [failed] = await eventually(async () => (await failedEvents(s, 'expires')).filter((e) => e.RequestId === requestId).length > 0 && failedEvents(s, 'expires'), 5000, 'the expired event');
  assert.equal(failed.Condition, 'EventAgeExceeded');
  assert.equal(failed.ApproximateInvokeCount, 0);
  assert.match(failed.Reason, /MaximumEventAgeInSeconds \(60 s/);
  // Never ran: the record has no responseContext / responsePayload.
  assert.deepEqual(normalizeRecord(failed.Record), {
    version: '1.0',
    timestamp: 'date',
    requestContext: { requestId, functionArn: arnOf('expires', '$LATEST'), condition: 'EventAgeExceeded', approximateInvokeCount: 0 },
    requestPayload: payload,
  });
  const [onFailure, deadLetter] = failed.Deliveries;
  assert.equal(onFailure.Kind, 'OnFailure');
  assert.equal(onFailure.Target, q);
  // Handed to the delivery queue (a job with its own request id), which sends it to SQS after this commit.
  assert.equal(onFailure.Status, 'delivered');
  assert.match(onFailure.RequestId, /^[0-9a-f-]{36}$/);
  assert.equal(deadLetter.Kind, 'DeadLetterQueue');
  assert.equal(deadLetter.Target, dlq);
  assert.equal(deadLetter.Status, 'delivered');
  // Oracle test_dead_letter_queue: the body is the original event, the error in message attributes.
  assert.deepEqual(JSON.parse(deadLetter.Message.Body), payload);
  assert.deepEqual(Object.keys(deadLetter.Message.MessageAttributes).sort(), ['ErrorMessage', 'RequestID']);
  assert.equal(deadLetter.Message.MessageAttributes.RequestID.StringValue, requestId);
  assert.equal(runs(sink, 'expires').length, 0);
});

test('a queued event runs with the configuration in force when it executes, not when it was accepted', async () => {
  await deploy(s, 'later', { fixture: 'async-recorder' });
  await s.client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'later', ReservedConcurrentExecutions: 0 }));
  const runsTo = sink.url('later');
  const { requestId } = await eventInvoke(s, 'later', { sink: runsTo, fail: true });
  await sleep(50);
  // Accepted under the defaults (2 retries, no destination); changed while it waits in the queue.
  await putConfig({ FunctionName: 'later', MaximumRetryAttempts: 0, DestinationConfig: { OnFailure: { Destination: arnOf('sink') } } });
  await s.client.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'later' }));
  const [rec] = await eventually(async () => sinkRecords(sink, DEST, requestId).length > 0 && sinkRecords(sink, DEST, requestId), 5000, 'the failure record');
  assert.equal(rec.event.requestContext.approximateInvokeCount, 1);
  await sleep(200);
  assert.equal(runs(sink, 'later', requestId).length, 1, 'no retry under the new configuration');
});

test('after a function error the DLQ message carries the error, as AWS sends it', async () => {
  const dlq = 'arn:aws:sqs:us-east-1:000000000000:dlq-errors';
  await deploy(s, 'dlq', { fixture: 'async-recorder', DeadLetterConfig: { TargetArn: dlq } });
  await putConfig({ FunctionName: 'dlq', MaximumRetryAttempts: 0 });
  const runsTo = sink.url('dlq');
  const { requestId } = await eventInvoke(s, 'dlq', { sink: runsTo, fail: true });
  const [failed] = await eventually(async () => (await failedEvents(s, 'dlq')).length > 0 && failedEvents(s, 'dlq'), 5000, 'the failed event');
  assert.equal(failed.Condition, 'RetriesExhausted');
  const [d] = failed.Deliveries;
  assert.equal(d.Kind, 'DeadLetterQueue');
  assert.deepEqual(d.Message.MessageAttributes, {
    RequestID: { DataType: 'String', StringValue: requestId },
    ErrorCode: { DataType: 'Number', StringValue: '200' },
    ErrorMessage: { DataType: 'String', StringValue: 'intentional failure' },
  });
});

test('redrive queues failed events again with the same request id', async () => {
  await deploy(s, 'redrive', { fixture: 'async-recorder' });
  await putConfig({ FunctionName: 'redrive', MaximumRetryAttempts: 0 });
  const runsTo = sink.url('redrive');
  const fixed = sink.url('redrive.fixed');
  const { requestId } = await eventInvoke(s, 'redrive', { sink: runsTo, failUnless: fixed });
  const [failed] = await eventually(async () => (await failedEvents(s, 'redrive')).length > 0 && failedEvents(s, 'redrive'), 5000, 'the failed event');
  assert.equal(failed.RequestId, requestId);
  sink.add('redrive.fixed', 'fixed');
  assert.equal(await redrive(s, 'redrive'), 1);
  await eventually(async () => runs(sink, 'redrive', requestId).length === 2, 5000, 'the redriven run');
  await eventually(async () => (await failedEvents(s, 'redrive')).length === 0, 5000, 'the failed list to empty');
  assert.equal(await redrive(s, 'redrive'), 0, 'nothing left to redrive');
});

test("an Event to an alias runs the alias's version under the alias's own EventInvokeConfig", async () => {
  await deploy(s, 'aliased', { fixture: 'async-recorder' });
  await s.client.send(new PublishVersionCommand({ FunctionName: 'aliased' }));
  await s.client.send(new CreateAliasCommand({ FunctionName: 'aliased', Name: 'live', FunctionVersion: '1' }));
  await putConfig({ FunctionName: 'aliased', Qualifier: 'live', MaximumRetryAttempts: 0, DestinationConfig: { OnFailure: { Destination: arnOf('sink') } } });
  const runsTo = sink.url('aliased');
  const { requestId } = await eventInvoke(s, 'aliased', { sink: runsTo, fail: true }, 'live');
  const [rec] = await eventually(async () => sinkRecords(sink, DEST, requestId).length > 0 && sinkRecords(sink, DEST, requestId), 5000, 'the failure record');
  assert.equal(rec.event.requestContext.functionArn, arnOf('aliased', 'live'));
  assert.equal(rec.event.requestContext.approximateInvokeCount, 1, "the alias's MaximumRetryAttempts 0, not $LATEST's default 2");
  assert.equal(rec.event.responseContext.executedVersion, '1');
});

test('InvokeAsync (boto3 invoke_async) queues the event the same way and answers {"Status": 202}', async () => {
  await deploy(s, 'legacy', { fixture: 'async-recorder' });
  const runsTo = sink.url('legacy');
  const r = await runBoto3(s.url, `r = client.invoke_async(FunctionName='legacy', InvokeArgs=json.dumps({'sink': ${JSON.stringify(runsTo)}, 'tag': 'legacy'}))
print(json.dumps({'Status': r['Status'], 'RequestId': r['ResponseMetadata']['RequestId']}))`);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.Status, 202);
  await eventually(async () => runs(sink, 'legacy', out.RequestId).length === 1, 5000, 'the InvokeAsync event to run');
});

test('an Event for a missing function is a 404 at once, and a sync invoke is unchanged by the queue', async () => {
  await assert.rejects(
    s.client.send(new InvokeCommand({ FunctionName: 'nope', InvocationType: 'Event', Payload: Buffer.from('{}') })),
    (e: any) => e.name === 'ResourceNotFoundException' && e.$metadata.httpStatusCode === 404,
  );
  await deploy(s, 'sync', { fixture: 'async-recorder' });
  const r = await s.client.send(new InvokeCommand({ FunctionName: 'sync', Payload: Buffer.from(JSON.stringify({ tag: 'sync' })) }));
  assert.equal(r.StatusCode, 200);
  assert.deepEqual(JSON.parse(Buffer.from(r.Payload!).toString()), { ok: true, tag: 'sync' });
});
