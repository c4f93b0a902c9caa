// SQS event source mappings end to end: a real Alonzo polling moto_server's SQS, found through the AWS SDK's own
// configuration (AWS_ENDPOINT_URL_SQS and AWS_* credentials, as a user sets them), with real functions reporting what
// they received to a sink on loopback. The event shape, deletes, retries after the visibility timeout, the queue's own
// dead-letter queue, ReportBatchItemFailures, filters, batching, FIFO order, throttles and a restart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateFunctionCommand,
  CreateEventSourceMappingCommand,
  GetEventSourceMappingCommand,
  InvokeCommand,
  PublishVersionCommand,
  PutFunctionConcurrencyCommand,
  UpdateEventSourceMappingCommand,
  UpdateFunctionConfigurationCommand,
  type CreateEventSourceMappingCommandInput,
} from '@aws-sdk/client-lambda';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand, SendMessageCommand, type SendMessageCommandInput } from '@aws-sdk/client-sqs';
import { ROLE, startAlonzo, zipOf, type TestServer } from '../helpers/alonzo.js';
import { deploy, eventually, waitActive } from '../helpers/invoke.js';
import { startSink, type Sink } from '../helpers/sink.js';
import { MOTO_CREDENTIALS, receiveOne, startMoto, type Moto } from '../helpers/moto.js';
import { oracleFile } from '../helpers/oracle.js';

const sqsOracle = oracleFile('esm-sqs.json');
const SQS_TEST = 'tests/aws/services/lambda_/event_source_mapping/test_lambda_integration_sqs.py::';
let moto: Moto;
let sink: Sink;
let s: TestServer;
const dataDir = mkdtempSync(join(tmpdir(), 'alonzo-esm-sqs-'));

before(async () => {
  process.env.MOTO_ACCOUNT_ID = '000000000000';
  sink = await startSink();
  moto = await startMoto();
  // Where SQS is, and with which credentials, as the AWS SDKs read it: no Alonzo setting names moto.
  process.env.AWS_ENDPOINT_URL_SQS = moto.endpoint;
  process.env.AWS_ACCESS_KEY_ID = MOTO_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = MOTO_CREDENTIALS.secretAccessKey;
  delete process.env.AWS_SESSION_TOKEN;
  s = await startAlonzo({ dataDir });
});

after(async () => {
  await s?.close();
  await moto?.close();
  await sink?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Batch {
  what: 'start' | 'end';
  event: { Records: any[] };
  requestId: string;
  version: string;
  at: number;
}

/** A queue in moto with the attributes given (VisibilityTimeout, RedrivePolicy, FifoQueue…): its URL and ARN. */
async function queue(name: string, attributes: Record<string, string> = {}): Promise<{ url: string; arn: string }> {
  const { QueueUrl } = await moto.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const { Attributes } = await moto.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  return { url: QueueUrl!, arn: Attributes!.QueueArn! };
}

/** The recorder fixture as `name`, reporting under its own name. */
async function recorder(name: string, env: Record<string, string> = {}, extra: Record<string, unknown> = {}): Promise<void> {
  await deploy(s, name, { fixture: 'esm-recorder', Runtime: 'nodejs20.x', Handler: 'index.handler', Timeout: 30, Environment: { Variables: { SINK_URL: sink.url(name), ...env } }, ...extra });
  await waitActive(s, name);
}

async function mapping(input: CreateEventSourceMappingCommandInput): Promise<string> {
  const r = await s.client.send(new CreateEventSourceMappingCommand(input));
  await eventually(async () => (await s.client.send(new GetEventSourceMappingCommand({ UUID: r.UUID }))).State !== r.State, 20_000, 'the mapping to settle');
  return r.UUID!;
}

const starts = (key: string): Batch[] => sink.records<Batch>(key).filter((b) => b.what === 'start');
const records = (key: string): any[] => starts(key).flatMap((b) => b.event.Records ?? []);

/** Visible plus in-flight messages: 0 once everything was deleted. */
async function remaining(url: string): Promise<number> {
  const { Attributes } = await moto.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
  return Number(Attributes!.ApproximateNumberOfMessages) + Number(Attributes!.ApproximateNumberOfMessagesNotVisible);
}
const drained = (url: string) => eventually(async () => (await remaining(url)) === 0, 30_000, 'the queue to be empty');

const send = (url: string, body: string, extra: Partial<SendMessageCommandInput> = {}) => moto.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body, ...extra }));

test('the event as Lambda builds it: lower-camel message attributes with their MD5, string attributes, the queue ARN; deleted after success (test_message_body_and_attributes_passed_correctly)', async () => {
  const fn = 'sqs-shape';
  await recorder(fn);
  const q = await queue('sqs-shape');
  await mapping({ FunctionName: fn, EventSourceArn: q.arn, BatchSize: 1 });
  const body = JSON.stringify({ destination: 'x', fail_attempts: 0 });
  const sent = await send(q.url, body, {
    MessageAttributes: { Title: { DataType: 'String', StringValue: 'The Whistler' }, Author: { DataType: 'String', StringValue: 'John Grisham' }, WeeksOn: { DataType: 'Number', StringValue: '6' } },
  });
  const [rec] = await eventually(async () => records(fn).length > 0 && records(fn), 30_000, 'the invocation');
  const want = sqsOracle(`${SQS_TEST}test_message_body_and_attributes_passed_correctly`, { 'resource:1': 'sqs-shape' })['recorded-content'].first_attempt.Messages[0].Body.event.Records[0];
  assert.deepEqual(Object.keys(rec), Object.keys(want), "AWS's members, in AWS's order");
  assert.deepEqual(rec.messageAttributes, want.messageAttributes, 'lower camel case, in the order sent');
  assert.equal(rec.md5OfMessageAttributes, 'd25a6aea97eb8f585bfa92d314504a92', 'the standard MD5 of the three attributes');
  assert.equal(rec.messageId, sent.MessageId);
  assert.equal(rec.body, body, 'the body exactly as sent');
  assert.equal(rec.md5OfBody, sent.MD5OfMessageBody);
  assert.deepEqual(Object.keys(rec.attributes), Object.keys(want.attributes));
  assert.equal(rec.attributes.ApproximateReceiveCount, '1');
  for (const v of Object.values(rec.attributes)) assert.equal(typeof v, 'string');
  assert.deepEqual([rec.eventSource, rec.eventSourceARN, rec.awsRegion], ['aws:sqs', q.arn, 'us-east-1']);
  assert.equal(typeof rec.receiptHandle, 'string');
  await drained(q.url);
  assert.equal(starts(fn).length, 1, 'one message, one invocation');
});

test('with a batching window, a message without attributes has md5OfMessageAttributes null; one message, one invocation, the queue empty after (test_sqs_event_source_mapping)', async () => {
  const fn = 'sqs-window';
  await recorder(fn);
  const q = await queue(fn);
  await mapping({ FunctionName: fn, EventSourceArn: q.arn, MaximumBatchingWindowInSeconds: 1 });
  await send(q.url, JSON.stringify({ foo: 'bar' }));
  await drained(q.url);
  const [rec] = records(fn);
  assert.ok('md5OfMessageAttributes' in rec && rec.md5OfMessageAttributes === null);
  assert.deepEqual(rec.messageAttributes, {});
  assert.equal(starts(fn).length, 1);
});

test("batches stay under Lambda's 6 MB payload limit whatever BatchSize says: 30 messages of 250 KB arrive in parts, each once", async () => {
  const fn = 'sqs-big';
  // Reports only the bodies' first bytes and the event's size, not the 7.5 MB.
  const code = `exports.handler = async (event) => {
  const size = Buffer.byteLength(JSON.stringify(event));
  await fetch(process.env.SINK_URL, { method: 'POST', body: JSON.stringify({ size, ids: event.Records.map((r) => r.body.slice(0, 8)) }) });
  return {};
};`;
  await s.client.send(new CreateFunctionCommand({ FunctionName: fn, Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Timeout: 30, Code: { ZipFile: await zipOf({ 'index.js': code }) }, Environment: { Variables: { SINK_URL: sink.url(fn) } } }));
  await waitActive(s, fn);
  const q = await queue(fn, { VisibilityTimeout: '120' });
  for (let i = 0; i < 30; i++) await send(q.url, `${String(i).padStart(8, '0')}${'x'.repeat(250_000)}`);
  await mapping({ FunctionName: fn, EventSourceArn: q.arn, BatchSize: 30, MaximumBatchingWindowInSeconds: 2 });
  await drained(q.url);
  const got = sink.records<{ size: number; ids: string[] }>(fn);
  assert.deepEqual(got.flatMap((b) => b.ids).sort(), Array.from({ length: 30 }, (_, i) => String(i).padStart(8, '0')));
  for (const b of got) assert.ok(b.size <= 6_291_456, `an event of ${b.size} bytes`);
});

test('a failed batch comes back after the visibility timeout with a new receipt handle and a higher receive count, then is deleted (test_failing_lambda_retries_after_visibility_timeout)', async () => {
  const fn = 'sqs-retry';
  await recorder(fn);
  const q = await queue('sqs-retry', { VisibilityTimeout: '2' });
  await mapping({ FunctionName: fn, EventSourceArn: q.arn, BatchSize: 1 });
  await send(q.url, JSON.stringify({ fail_attempts: 1 }));
  const [first, second] = await eventually(async () => records(fn).length >= 2 && records(fn), 30_000, 'the second attempt');
  assert.equal(first.messageId, second.messageId);
  assert.equal(first.body, second.body);
  assert.notEqual(first.receiptHandle, second.receiptHandle);
  assert.deepEqual([first.attributes.ApproximateReceiveCount, second.attributes.ApproximateReceiveCount], ['1', '2']);
  await drained(q.url);
  assert.equal(records(fn).length, 2, 'deleted after the success: no third attempt');
});

test("ReportBatchItemFailures on a FIFO queue: only the reported messages come back, the rest are deleted; the queue's DLQ gets the last one with its MessageId (test_report_batch_item_failures)", async () => {
  const fn = 'sqs-partial';
  await recorder(fn, { MODE: 'partial' });
  const dlq = await queue('sqs-partial-dlq.fifo', { FifoQueue: 'true' });
  const q = await queue('sqs-partial.fifo', { FifoQueue: 'true', VisibilityTimeout: '2', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 2 }) });
  const sent = await moto.sqs.send(
    new SendMessageBatchCommand({
      QueueUrl: q.url,
      Entries: [0, 1, 1, 2].map((fail, i) => ({ Id: `m${i + 1}`, MessageBody: JSON.stringify({ message: i + 1, fail_attempts: fail }), MessageGroupId: '1', MessageDeduplicationId: `dedup-${i + 1}` })),
    }),
  );
  const ids = sent.Successful!.map((e) => e.MessageId!);
  const uuid = await mapping({ FunctionName: fn, EventSourceArn: q.arn, BatchSize: 10, MaximumBatchingWindowInSeconds: 0, FunctionResponseTypes: ['ReportBatchItemFailures'] });
  assert.deepEqual((await s.client.send(new GetEventSourceMappingCommand({ UUID: uuid }))).FunctionResponseTypes, ['ReportBatchItemFailures']);
  const dead = await receiveOne(moto, dlq.url, 30_000);
  assert.equal(dead.MessageId, ids[3], 'the DLQ holds message 4 with the same MessageId');
  assert.equal(JSON.parse(dead.Body!).message, 4);
  await drained(q.url);
  const batches = starts(fn).map((b) => b.event.Records.map((r: any) => [r.messageId, r.attributes.ApproximateReceiveCount]));
  assert.deepEqual(batches[0], ids.map((id) => [id, '1']), 'all four, in order, with the FIFO attributes');
  // AWS hands 2, 3 and 4 back in one batch; moto_server may split them (it does not keep a group's order on
  // redelivery), so what is asserted is what the mapping decides: 1 never comes back, 2 to 4 come back once each.
  const again = batches.slice(1).flat();
  assert.deepEqual(again.map(([id]: string[]) => id).sort(), ids.slice(1).sort(), 'then only 2, 3 and 4, once each');
  for (const [, count] of again) assert.equal(count, '2');
  const first = starts(fn)[0].event.Records[0];
  assert.equal(first.attributes.MessageGroupId, '1');
  assert.equal(first.attributes.MessageDeduplicationId, 'dedup-1');
  assert.equal(typeof first.attributes.SequenceNumber, 'string');
});

test('a malformed batchItemFailures answer fails the whole batch: delivered again, then in the DLQ (test_report_batch_item_failures_invalid_result_json_batch_fails)', async () => {
  const fn = 'sqs-partial-bad';
  await recorder(fn, { OVERWRITE_RESULT: JSON.stringify({ batchItemFailures: [{ foo: 'notvalid' }] }) });
  const dlq = await queue('sqs-partial-bad-dlq');
  const q = await queue('sqs-partial-bad', { VisibilityTimeout: '2', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 2 }) });
  await mapping({ FunctionName: fn, EventSourceArn: q.arn, BatchSize: 10, FunctionResponseTypes: ['ReportBatchItemFailures'] });
  const sent = await send(q.url, 'hello');
  const dead = await receiveOne(moto, dlq.url, 30_000);
  assert.equal(dead.MessageId, sent.MessageId);
  assert.deepEqual(records(fn).map((r) => r.attributes.ApproximateReceiveCount), ['1', '2']);
});

test('answers that count as success with ReportBatchItemFailures ({}, null, [], an empty list) delete the batch at once', async () => {
  for (const [i, answer] of ['{}', 'null', '[]', '{"batchItemFailures":[]}', '{"batchItemFailures":null}'].entries()) {
    const fn = `sqs-partial-ok-${i}`;
    await recorder(fn, { OVERWRITE_RESULT: answer });
    const q = await queue(fn, { VisibilityTimeout: '60' });
    await mapping({ FunctionName: fn, EventSourceArn: q.arn, FunctionResponseTypes: ['ReportBatchItemFailures'] });
    await send(q.url, JSON.stringify({ fail_attempts: 5 }));
    // A message left behind would stay invisible for 60 s: an empty queue now means it was deleted.
    await drained(q.url);
    assert.equal(records(fn).length, 1, answer);
  }
});

test('filters: the matching message runs, the other is deleted without an invocation (test_sqs_event_filter: single, or, exists, numeric, prefix, plain strings)', async () => {
  const cases: [string, unknown, string, string][] = [
    ['single', { body: { 'my-key': ['my-value'] } }, '{"my-key": "my-value"}', '{"my-key": "other-value"}'],
    ['or', { body: { 'my-key': ['my-value-one', 'my-value-two'] } }, '{"my-key": "my-value-two"}', '{"my-key": "other-value"}'],
    ['exists', { body: { 'my-key': [{ exists: true }] } }, '{"my-key": "any-value-one"}', '{"other-key": "any-value-two"}'],
    ['numeric-bigger', { body: { 'my-number': [{ numeric: ['>', 100] }] } }, '{"my-number": 101}', '{"my-number": 100}'],
    ['numeric-smaller', { body: { 'my-number': [{ numeric: ['<', 100] }] } }, '{"my-number": 99}', '{"my-number": 100}'],
    ['prefix', { body: { 'my-key': [{ prefix: 'yes' }] } }, '{"my-key": "yes-value"}', '{"my-key": "no-value"}'],
    ['numeric-vs-plain-string', { body: { test2: [{ numeric: ['>', 100] }] } }, '{"test2": 105}', 'this is a test string'],
    ['plain-string', { body: ['plain text'] }, 'plain text', 'other text'],
    ['and-attributes', { body: { k: ['v'] }, attributes: { ApproximateReceiveCount: ['1'] } }, '{"k": "v"}', '{"k": "w"}'],
  ];
  await Promise.all(
    cases.map(async ([name, pattern, match, other]) => {
      const fn = `sqs-filter-${name}`;
      await recorder(fn);
      const q = await queue(fn, { VisibilityTimeout: '60' });
      await send(q.url, match);
      await send(q.url, other);
      const uuid = await mapping({ FunctionName: fn, EventSourceArn: q.arn, MaximumBatchingWindowInSeconds: 1, FilterCriteria: { Filters: [{ Pattern: JSON.stringify(pattern) }] } });
      await drained(q.url);
      assert.deepEqual(records(fn).map((r) => r.body), [match], `${name}: exactly the matching message, and the other deleted`);
      assert.equal(starts(fn).length, 1, name);
      assert.deepEqual(JSON.parse((await s.client.send(new GetEventSourceMappingCommand({ UUID: uuid }))).FilterCriteria!.Filters![0].Pattern!), pattern);
    }),
  );
});

test('BatchSize above 10 with a batching window: all 15 messages arrive, each once, in batches of at most 15 (test_sqs_event_source_mapping_batch_size[15])', async () => {
  const fn = 'sqs-batch-15';
  await recorder(fn);
  const q = await queue(fn, { VisibilityTimeout: '60' });
  await mapping({ FunctionName: fn, EventSourceArn: q.arn, BatchSize: 15, MaximumBatchingWindowInSeconds: 2 });
  const entries = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ Id: `m${from + i}`, MessageBody: `message-${String(from + i).padStart(2, '0')}` }));
  await moto.sqs.send(new SendMessageBatchCommand({ QueueUrl: q.url, Entries: entries(0, 10) }));
  await moto.sqs.send(new SendMessageBatchCommand({ QueueUrl: q.url, Entries: entries(10, 5) }));
  await drained(q.url);
  assert.deepEqual(records(fn).map((r) => r.body).sort(), entries(0, 15).map((e) => e.MessageBody));
  for (const b of starts(fn)) assert.ok(b.event.Records.length <= 15);
});

test('reserved concurrency 2 and ScalingConfig 2: 30 messages in batches of up to 20, never more than 2 invocations at once (test_sqs_event_source_mapping_batching_reserved_concurrency)', async () => {
  const fn = 'sqs-scaling';
  await recorder(fn, { SLEEP_MS: '300' });
  await s.client.send(new PutFunctionConcurrencyCommand({ FunctionName: fn, ReservedConcurrentExecutions: 2 }));
  const q = await queue(fn, { VisibilityTimeout: '60' });
  for (let i = 0; i < 3; i++) {
    await moto.sqs.send(new SendMessageBatchCommand({ QueueUrl: q.url, Entries: Array.from({ length: 10 }, (_, j) => ({ Id: `m${j}`, MessageBody: `m-${i * 10 + j}` })) }));
  }
  const uuid = await mapping({ FunctionName: fn, EventSourceArn: q.arn, BatchSize: 20, MaximumBatchingWindowInSeconds: 1, ScalingConfig: { MaximumConcurrency: 2 } });
  assert.deepEqual((await s.client.send(new GetEventSourceMappingCommand({ UUID: uuid }))).ScalingConfig, { MaximumConcurrency: 2 });
  await drained(q.url);
  assert.equal(records(fn).length, 30, 'every message once');
  assert.equal(new Set(records(fn).map((r) => r.messageId)).size, 30);
  assert.ok(starts(fn).some((b) => b.event.Records.length > 10), 'a batch from a standard queue can hold more than 10 messages');
  // Each invocation reports its start and its end; at no start may two others be running.
  const events = sink.records<Batch>(fn).map((b) => [b.requestId, b.what] as const);
  let running = 0;
  let most = 0;
  for (const [, what] of events) {
    running += what === 'start' ? 1 : -1;
    most = Math.max(most, running);
  }
  assert.ok(most <= 2, `at most 2 at once (saw ${most})`);
});

test('throttles never lose a message: with the reserved concurrency taken by a long invoke, the batches wait and run once each', async () => {
  const fn = 'sqs-throttled';
  await recorder(fn);
  await s.client.send(new PutFunctionConcurrencyCommand({ FunctionName: fn, ReservedConcurrentExecutions: 1 }));
  const q = await queue(fn, { VisibilityTimeout: '60' });
  await mapping({ FunctionName: fn, EventSourceArn: q.arn, BatchSize: 1 });
  // The only slot is busy until the test says so; the mapping's invokes get 429s meanwhile.
  const long = s.client.send(new InvokeCommand({ FunctionName: fn, Payload: Buffer.from(JSON.stringify({ sleep_ms: 1500 })) }));
  await eventually(async () => starts(fn).length === 1, 20_000, 'the long invoke to start');
  for (let i = 0; i < 3; i++) await send(q.url, `throttled-${i}`);
  await long;
  await drained(q.url);
  assert.deepEqual(records(fn).map((r) => r.body).sort(), ['throttled-0', 'throttled-1', 'throttled-2'], 'each once');
});

test('FIFO: the messages of a group run one batch at a time, in order; groups are independent', async () => {
  const fn = 'sqs-fifo-order';
  await recorder(fn, { SLEEP_MS: '100' });
  const q = await queue('sqs-fifo-order.fifo', { FifoQueue: 'true', ContentBasedDeduplication: 'true', VisibilityTimeout: '60' });
  for (let i = 0; i < 5; i++) for (const g of ['a', 'b']) await send(q.url, `${g}-${i}`, { MessageGroupId: g });
  await mapping({ FunctionName: fn, EventSourceArn: q.arn, BatchSize: 1, ScalingConfig: { MaximumConcurrency: 4 } });
  await drained(q.url);
  for (const g of ['a', 'b']) {
    const mine = sink.records<Batch>(fn).filter((b) => b.event.Records[0].attributes.MessageGroupId === g);
    assert.deepEqual(mine.filter((b) => b.what === 'start').map((b) => b.event.Records[0].body), [0, 1, 2, 3, 4].map((i) => `${g}-${i}`), `group ${g} in order`);
    // Within a group, each start follows the previous end (the sink records in arrival order).
    assert.deepEqual(mine.map((b) => b.what), Array(5).fill(['start', 'end']).flat(), `group ${g}: never two at once`);
  }
});

test('UpdateEventSourceMapping to another version: the next message runs it (test_sqs_event_source_mapping_update)', async () => {
  const fn = 'sqs-update';
  // A short visibility timeout: a long poll of the replaced poller that the queue answers after its client went away
  // takes the message with it until the timeout (SQS and moto alike), which must not outlast the test's wait.
  await recorder(fn, { CUSTOM_VAR: 'a' }, { Timeout: 5 });
  await s.client.send(new PublishVersionCommand({ FunctionName: fn }));
  await s.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: fn, Environment: { Variables: { SINK_URL: sink.url(fn), CUSTOM_VAR: 'b' } } }));
  await waitActive(s, fn);
  await s.client.send(new PublishVersionCommand({ FunctionName: fn }));
  const q = await queue(fn, { VisibilityTimeout: '5' });
  const arn = `arn:aws:lambda:us-east-1:000000000000:function:${fn}`;
  const uuid = await mapping({ FunctionName: `${arn}:1`, EventSourceArn: q.arn, MaximumBatchingWindowInSeconds: 1 });
  await send(q.url, 'first');
  await eventually(async () => starts(fn).length === 1, 30_000, 'the first invocation');
  const updated = await s.client.send(new UpdateEventSourceMappingCommand({ UUID: uuid, FunctionName: `${arn}:2` }));
  assert.equal(updated.State, 'Updating');
  assert.equal(updated.FunctionArn, `${arn}:2`);
  await eventually(async () => (await s.client.send(new GetEventSourceMappingCommand({ UUID: uuid }))).State === 'Enabled', 20_000, 'Enabled again');
  await send(q.url, 'second');
  await eventually(async () => starts(fn).length === 2, 60_000, 'the second invocation');
  assert.deepEqual(starts(fn).map((b) => [b.event.Records[0].body, b.version]), [['first', '1'], ['second', '2']]);
});

test('a mapping lives in the store: after a restart it is Enabled and consumes again', async () => {
  const fn = 'sqs-restart';
  // As above: the closed server's last long poll may take the next message until the visibility timeout.
  await recorder(fn, {}, { Timeout: 5 });
  const q = await queue(fn, { VisibilityTimeout: '5' });
  const uuid = await mapping({ FunctionName: fn, EventSourceArn: q.arn });
  await send(q.url, 'before');
  await eventually(async () => records(fn).length === 1, 30_000, 'the first message');
  await s.close();
  s = await startAlonzo({ dataDir });
  assert.equal((await s.client.send(new GetEventSourceMappingCommand({ UUID: uuid }))).State, 'Enabled');
  await send(q.url, 'after');
  await eventually(async () => records(fn).length === 2, 60_000, 'the message sent after the restart');
  assert.deepEqual(records(fn).map((r) => r.body), ['before', 'after']);
});

test("a batch in flight on a mapping being updated holds no other mapping up: the other's message runs meanwhile", async () => {
  // The held function reports its start, then waits (up to 25 s) until the other mapping's function has run.
  const held = `exports.handler = async () => {
  const post = (what) => fetch(process.env.SINK_URL, { method: 'POST', body: JSON.stringify({ what }) });
  await post('start');
  let seen = false;
  for (let i = 0; i < 250 && !seen; i++) {
    seen = (await (await fetch(process.env.RELEASE_URL)).json()).length > 0;
    if (!seen) await new Promise((ok) => setTimeout(ok, 100));
  }
  await post(seen ? 'together' : 'alone');
  return {};
};`;
  await s.client.send(new CreateFunctionCommand({ FunctionName: 'sqs-held', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Timeout: 30, Code: { ZipFile: await zipOf({ 'index.js': held }) }, Environment: { Variables: { SINK_URL: sink.url('sqs-held'), RELEASE_URL: sink.url('sqs-release') } } }));
  await waitActive(s, 'sqs-held');
  await deploy(s, 'sqs-release', { fixture: 'esm-recorder', Timeout: 30, Environment: { Variables: { SINK_URL: sink.url('sqs-release') } } });
  const qa = await queue('sqs-held', { VisibilityTimeout: '60' });
  const qb = await queue('sqs-release');
  const a = await mapping({ FunctionName: 'sqs-held', EventSourceArn: qa.arn });
  await send(qa.url, 'hold');
  await eventually(async () => sink.records('sqs-held').length > 0, 30_000, 'the held batch to start');
  // Restarting A's poller waits for its batch; the rest of the mappings must not.
  await s.client.send(new UpdateEventSourceMappingCommand({ UUID: a, BatchSize: 2 }));
  await mapping({ FunctionName: 'sqs-release', EventSourceArn: qb.arn });
  await send(qb.url, 'release');
  const outcome = await eventually(async () => sink.records<{ what: string }>('sqs-held').find((r) => r.what !== 'start'), 40_000, 'the held batch to end');
  assert.equal(outcome.what, 'together');
  await eventually(async () => (await s.client.send(new GetEventSourceMappingCommand({ UUID: a }))).State === 'Enabled', 30_000, 'A Enabled again');
  await drained(qa.url);
});
