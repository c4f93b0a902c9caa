// MaximumEventAgeInSeconds after function errors (oracle test_maxeventage), at asyncTimeScale 0.02 so that a cold start
// stays small next to the scaled minute (1.2 s): age 60 → no retry fits, EventAgeExceeded after 1 run, before the age
// is up; age 90 → one retry, then EventAgeExceeded after 2 runs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { InvokeCommand, PutFunctionEventInvokeConfigCommand } from '@aws-sdk/client-lambda';
import { startAlonzo, type TestServer } from '../helpers/alonzo.js';
import { deploy, eventually } from '../helpers/invoke.js';
import { startSink, type Sink } from '../helpers/sink.js';
import { arnOf, eventInvoke, failedEvents, normalizeRecord, runs, sinkRecords } from './helpers.js';

const SCALE = 0.02;
let s: TestServer;
/** The recorder reports its runs here under the function's name, and the `sink` destination function under DEST. */
let sink: Sink;
const DEST = 'destination';

before(async () => {
  sink = await startSink();
  s = await startAlonzo({ asyncTimeScale: SCALE });
  await deploy(s, 'sink', { fixture: 'async-sink', Environment: { Variables: { SINK_URL: sink.url(DEST) } } });
});

after(async () => {
  await s?.close();
  await sink?.close();
});

async function ageCase(fn: string, maxAge: number) {
  await deploy(s, fn, { fixture: 'async-recorder' });
  await s.client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: fn, MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: maxAge, DestinationConfig: { OnFailure: { Destination: arnOf('sink') } } }));
  // Warm: the first attempt should not pay a cold start.
  await s.client.send(new InvokeCommand({ FunctionName: fn, Payload: Buffer.from('{}') }));
  const payload = { sink: sink.url(fn), fail: true };
  const { requestId } = await eventInvoke(s, fn, payload);
  const [rec] = await eventually(async () => sinkRecords(sink, DEST, requestId).length > 0 && sinkRecords(sink, DEST, requestId), 10_000, 'the failure record');
  const [failed] = (await failedEvents(s, fn)).filter((e) => e.RequestId === requestId);
  return { record: normalizeRecord(rec.event), failed, runs: runs(sink, fn, requestId), requestId, payload };
}

test('MaximumEventAgeInSeconds 60: the first retry would be too late, so the event fails at once with EventAgeExceeded', async () => {
  const r = await ageCase('age60', 60);
  assert.equal(r.runs.length, 1);
  assert.deepEqual({ ...r.record, responsePayload: '<error>' }, {
    version: '1.0',
    timestamp: 'date',
    requestContext: { requestId: r.requestId, functionArn: arnOf('age60', '$LATEST'), condition: 'EventAgeExceeded', approximateInvokeCount: 1 },
    requestPayload: r.payload,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: '<error>',
  });
  const failedAfter = Date.parse(r.failed.FailedAt) - Date.parse(r.failed.EnqueuedAt);
  assert.ok(failedAfter < 60_000 * SCALE, `the record comes before the age is up (${failedAfter} ms)`);
});

test('MaximumEventAgeInSeconds 90: one retry fits, the second does not → EventAgeExceeded after 2 runs', async () => {
  const r = await ageCase('age90', 90);
  assert.equal(r.runs.length, 2);
  assert.ok(r.runs[1].at - r.runs[0].at >= 60_000 * SCALE, 'the retry waited the scaled minute');
  assert.equal(r.record.requestContext.condition, 'EventAgeExceeded');
  assert.equal(r.record.requestContext.approximateInvokeCount, 2);
  assert.equal(r.failed.Condition, 'EventAgeExceeded');
});
