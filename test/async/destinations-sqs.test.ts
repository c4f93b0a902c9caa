// SQS and SNS destinations and dead-letter queues, delivered for real through the AWS SDK to moto's server: Alonzo is
// driven with @aws-sdk/client-lambda, the queues and topics are made and read with @aws-sdk/client-sqs/sns. Also: a
// send that keeps failing (endpoint down, queue missing) is kept as failed with its reason and sent again by a redrive,
// and boto3 round-trips SQS/SNS destinations through PutFunctionEventInvokeConfig.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { PutFunctionEventInvokeConfigCommand, type PutFunctionEventInvokeConfigCommandInput } from '@aws-sdk/client-lambda';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { startAlonzo, runBoto3, type TestServer } from '../helpers/alonzo.js';
import { deploy, eventually } from '../helpers/invoke.js';
import { closedPort } from '../helpers/ports.js';
import { createQueue, MOTO_CREDENTIALS, receiveOne, startMoto, type Moto } from '../helpers/moto.js';
import { startSink, type Sink } from '../helpers/sink.js';
import { arnOf, eventInvoke, failedEvents, normalizeRecord, redrive, runs } from './helpers.js';

let moto: Moto;
let s: TestServer;
/** Where the recorder reports its runs, under the function's name. */
let sink: Sink;

before(async () => {
  // The server sends with its own credentials from the environment, as it would to AWS; moto takes any.
  process.env.AWS_ACCESS_KEY_ID = MOTO_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = MOTO_CREDENTIALS.secretAccessKey;
  delete process.env.AWS_SESSION_TOKEN;
  sink = await startSink();
  moto = await startMoto();
  s = await startAlonzo({ asyncTimeScale: 0.001, destinationEndpoint: moto.endpoint });
});

after(async () => {
  await s?.close();
  await moto?.close();
  await sink?.close();
});

const putConfig = (server: TestServer, input: PutFunctionEventInvokeConfigCommandInput) => server.client.send(new PutFunctionEventInvokeConfigCommand(input));

/** AWS's record for a Node.js handler that threw `intentional failure`, every retry used (oracle test_retries). */
function assertFailureRecord(record: any, fn: string, requestId: string, payload: unknown, count: number): void {
  assert.deepEqual(Object.keys(record), ['version', 'timestamp', 'requestContext', 'requestPayload', 'responseContext', 'responsePayload']);
  const r = normalizeRecord(record);
  assert.equal(r.responsePayload.errorType, 'Error');
  assert.equal(r.responsePayload.errorMessage, 'intentional failure');
  assert.deepEqual(
    { ...r, responsePayload: '<error>' },
    {
      version: '1.0',
      timestamp: 'date',
      requestContext: { requestId, functionArn: arnOf(fn, '$LATEST'), condition: 'RetriesExhausted', approximateInvokeCount: count },
      requestPayload: payload,
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: '<error>',
    },
  );
}

test('OnFailure to an SQS queue: the queue gets AWS\'s record (RetriesExhausted, after the 2 retries)', async () => {
  const q = await createQueue(moto, 'on-failure');
  await deploy(s, 'fails', { fixture: 'async-recorder' });
  await putConfig(s, { FunctionName: 'fails', DestinationConfig: { OnFailure: { Destination: q.arn } } });
  const payload = { sink: sink.url('fails'), fail: true };
  const { requestId } = await eventInvoke(s, 'fails', payload);
  const msg = await receiveOne(moto, q.url);
  assertFailureRecord(JSON.parse(msg.Body!), 'fails', requestId, payload, 3);
  assert.equal(msg.MessageAttributes, undefined, 'a destination record carries no message attributes');
  assert.equal(runs(sink, 'fails', requestId).length, 3);

  // The failed event says where its record went: handed to the delivery queue, which sent it (so it is not listed).
  const failed = await eventually(async () => {
    const list = await failedEvents(s, 'fails');
    return list.length > 0 && list;
  }, 5000, 'the failed event');
  assert.equal(failed.length, 1, 'a delivered record leaves no failed delivery behind');
  assert.equal(failed[0].RequestId, requestId);
  assert.deepEqual(failed[0].Record, JSON.parse(msg.Body!));
  assert.deepEqual(failed[0].Deliveries, [{ Kind: 'OnFailure', Target: q.arn, Status: 'delivered', RequestId: failed[0].Deliveries[0].RequestId }]);
  assert.match(failed[0].Deliveries[0].RequestId, /^[0-9a-f-]{36}$/);
});

test('OnSuccess to an SQS queue: the queue gets the success record', async () => {
  const q = await createQueue(moto, 'on-success');
  await deploy(s, 'succeeds', { fixture: 'async-recorder' });
  await putConfig(s, { FunctionName: 'succeeds', DestinationConfig: { OnSuccess: { Destination: q.arn } } });
  const payload = { tag: 'fine' };
  const { requestId } = await eventInvoke(s, 'succeeds', payload);
  const msg = await receiveOne(moto, q.url);
  // Oracle test_assess_lambda_destination_invocation: no functionError member on success.
  assert.deepEqual(normalizeRecord(JSON.parse(msg.Body!)), {
    version: '1.0',
    timestamp: 'date',
    requestContext: { requestId, functionArn: arnOf('succeeds', '$LATEST'), condition: 'Success', approximateInvokeCount: 1 },
    requestPayload: payload,
    responseContext: { statusCode: 200, executedVersion: '$LATEST' },
    responsePayload: { ok: true, tag: 'fine' },
  });
  await eventually(async () => (await failedEvents(s, 'succeeds')).length === 0, 2000, 'nothing failed');
});

test('DeadLetterConfig to an SQS queue: the original event as the body, RequestID / ErrorCode / ErrorMessage as attributes', async () => {
  const q = await createQueue(moto, 'dead-letters');
  await deploy(s, 'dlq-sqs', { fixture: 'async-recorder', DeadLetterConfig: { TargetArn: q.arn } });
  await putConfig(s, { FunctionName: 'dlq-sqs', MaximumRetryAttempts: 0 });
  const body = JSON.stringify({ fail: true, tag: 'dead', nested: { n: 1 } });
  const { requestId } = await eventInvoke(s, 'dlq-sqs', JSON.parse(body));
  const msg = await receiveOne(moto, q.url);
  // Lambda's DLQ contract: the event payload unmodified, the error in three message attributes.
  assert.deepEqual(JSON.parse(msg.Body!), JSON.parse(body));
  assert.deepEqual(msg.MessageAttributes, {
    RequestID: { DataType: 'String', StringValue: requestId },
    ErrorCode: { DataType: 'Number', StringValue: '200' },
    ErrorMessage: { DataType: 'String', StringValue: 'intentional failure' },
  });
  const [failed] = await failedEvents(s, 'dlq-sqs');
  assert.equal(failed.RequestId, requestId);
  assert.deepEqual(failed.Deliveries.map((d: any) => [d.Kind, d.Status]), [['DeadLetterQueue', 'delivered']]);
});

test('a dead letter\'s ErrorMessage is cut to 1 KB, on a character boundary, as Lambda cuts it', async () => {
  const q = await createQueue(moto, 'long-errors');
  await deploy(s, 'long-error', { fixture: 'node-throws', DeadLetterConfig: { TargetArn: q.arn } });
  await putConfig(s, { FunctionName: 'long-error', MaximumRetryAttempts: 0 });
  // `Error: ` + 1,500 × 'é' (2 bytes each): 3,007 bytes.
  const { requestId } = await eventInvoke(s, 'long-error', { error_msg: 'é'.repeat(1500) });
  const msg = await receiveOne(moto, q.url);
  const error = msg.MessageAttributes!.ErrorMessage.StringValue!;
  assert.equal(error, `Error: ${'é'.repeat(508)}`, 'the 1,024th byte would split an é: 1,023 bytes are kept');
  assert.equal(Buffer.byteLength(error), 1023);
  assert.equal(msg.MessageAttributes!.RequestID.StringValue, requestId);
});

test('OnFailure and DeadLetterConfig to SNS topics: a queue subscribed to each topic gets the record and the event', async () => {
  const records = await createQueue(moto, 'sns-records');
  const letters = await createQueue(moto, 'sns-letters');
  const { TopicArn: recordTopic } = await moto.sns.send(new CreateTopicCommand({ Name: 'failures' }));
  const { TopicArn: letterTopic } = await moto.sns.send(new CreateTopicCommand({ Name: 'dead-letters' }));
  await moto.sns.send(new SubscribeCommand({ TopicArn: recordTopic, Protocol: 'sqs', Endpoint: records.arn }));
  await moto.sns.send(new SubscribeCommand({ TopicArn: letterTopic, Protocol: 'sqs', Endpoint: letters.arn }));
  await deploy(s, 'fails-sns', { fixture: 'async-recorder', DeadLetterConfig: { TargetArn: letterTopic } });
  await putConfig(s, { FunctionName: 'fails-sns', MaximumRetryAttempts: 1, DestinationConfig: { OnFailure: { Destination: recordTopic } } });
  const payload = { fail: true, tag: 'sns' };
  const { requestId } = await eventInvoke(s, 'fails-sns', payload);

  // SNS wraps what was published in its notification envelope.
  const note = JSON.parse((await receiveOne(moto, records.url)).Body!);
  assert.equal(note.Type, 'Notification');
  assert.equal(note.TopicArn, recordTopic);
  assertFailureRecord(JSON.parse(note.Message), 'fails-sns', requestId, payload, 2);

  const letter = JSON.parse((await receiveOne(moto, letters.url)).Body!);
  assert.equal(letter.TopicArn, letterTopic);
  assert.deepEqual(JSON.parse(letter.Message), payload);
  assert.deepEqual(letter.MessageAttributes, {
    RequestID: { Type: 'String', Value: requestId },
    ErrorCode: { Type: 'Number', Value: '200' },
    ErrorMessage: { Type: 'String', Value: 'intentional failure' },
  });
});

test('a queue that does not exist: the send is retried, then kept as failed with the reason; a redrive sends it', async () => {
  const missing = 'arn:aws:sqs:us-east-1:123456789012:created-later';
  await deploy(s, 'late-queue', { fixture: 'async-recorder' });
  await putConfig(s, { FunctionName: 'late-queue', MaximumRetryAttempts: 0, DestinationConfig: { OnFailure: { Destination: missing } } });
  const payload = { fail: true, tag: 'late' };
  const { requestId } = await eventInvoke(s, 'late-queue', payload);
  const list = await eventually(async () => {
    const l = await failedEvents(s, 'late-queue');
    return l.length === 2 && l;
  }, 5000, 'the failed event and its failed delivery');
  const event = list.find((e: any) => e.RequestId === requestId);
  const delivery = list.find((e: any) => e.RequestId !== requestId);
  assert.equal(event.Deliveries[0].RequestId, delivery.RequestId, 'the event points at its delivery');
  assert.equal(delivery.Condition, 'RetriesExhausted');
  assert.match(delivery.Reason, new RegExp(`^The OnFailure delivery of event ${requestId} to ${missing} failed 5 times\\. Last: SQS GetQueueUrl failed: .*`));
  assert.match(delivery.Deliveries[0].Reason, /QueueDoesNotExist|NonExistentQueue/);
  assert.deepEqual({ ...delivery.Deliveries[0], Reason: '…' }, { Kind: 'OnFailure', Target: missing, Status: 'failed', Reason: '…' });
  // Nothing is lost: the failed delivery keeps the record it carries.
  assert.deepEqual(delivery.Record, event.Record);

  const q = await createQueue(moto, 'created-later');
  assert.equal(q.arn, missing);
  assert.equal(await redrive(s, 'late-queue', [delivery.RequestId]), 1);
  const msg = await receiveOne(moto, q.url);
  assert.deepEqual(JSON.parse(msg.Body!), event.Record);
  await eventually(async () => (await failedEvents(s, 'late-queue')).length === 1, 5000, 'the delivery to leave the failed list');
});

test('an unreachable endpoint: every delivery is kept as failed with the network error, and nothing is lost', async () => {
  const down = await startAlonzo({ asyncTimeScale: 0.001, destinationEndpoint: `http://127.0.0.1:${await closedPort()}` });
  try {
    const q = 'arn:aws:sqs:us-east-1:123456789012:unreachable';
    const topic = 'arn:aws:sns:us-east-1:123456789012:unreachable';
    await deploy(down, 'down', { fixture: 'async-recorder', DeadLetterConfig: { TargetArn: topic } });
    await putConfig(down, { FunctionName: 'down', MaximumRetryAttempts: 0, DestinationConfig: { OnSuccess: { Destination: q }, OnFailure: { Destination: q } } });
    const ok = await eventInvoke(down, 'down', { tag: 'ok' });
    const bad = await eventInvoke(down, 'down', { fail: true, tag: 'bad' });
    // The failed event, plus three failed deliveries: its record, its dead letter, and the success record of `ok`.
    const list = await eventually(async () => {
      const l = await failedEvents(down, 'down');
      return l.length === 4 && l;
    }, 8000, 'four failed entries');
    const event = list.find((e: any) => e.RequestId === bad.requestId);
    assert.deepEqual(event.Deliveries.map((d: any) => [d.Kind, d.Status]), [['OnFailure', 'delivered'], ['DeadLetterQueue', 'delivered']]);
    const deliveries = list.filter((e: any) => e !== event);
    for (const d of deliveries) {
      assert.equal(d.Condition, 'RetriesExhausted');
      assert.match(d.Reason, /failed 5 times\. Last: (SQS GetQueueUrl|SNS Publish) failed: .*ECONNREFUSED/);
      assert.equal(d.Deliveries[0].Status, 'failed');
      assert.match(d.Deliveries[0].Reason, /ECONNREFUSED/);
    }
    const byKind = (kind: string, source: string) => deliveries.find((d: any) => d.Deliveries[0].Kind === kind && d.Payload.SourceRequestId === source);
    // The failure record and the dead letter of `bad`, the success record of `ok`: each kept whole.
    assert.deepEqual(byKind('OnFailure', bad.requestId).Record, event.Record);
    const letter = byKind('DeadLetterQueue', bad.requestId);
    assert.equal(letter.Deliveries[0].Target, topic);
    assert.deepEqual(JSON.parse(letter.Record.Body), { fail: true, tag: 'bad' });
    assert.equal(letter.Record.MessageAttributes.RequestID.StringValue, bad.requestId);
    const success = byKind('OnSuccess', ok.requestId).Record;
    assert.equal(success.requestContext.condition, 'Success');
    assert.deepEqual(success.requestPayload, { tag: 'ok' });
    assert.deepEqual(success.responsePayload, { ok: true, tag: 'ok' });
  } finally {
    await down.close();
  }
});

test('boto3: PutFunctionEventInvokeConfig with SQS and SNS destinations round-trips', async () => {
  await deploy(s, 'boto-dest', { fixture: 'async-recorder' });
  const sqsArn = 'arn:aws:sqs:us-east-1:123456789012:boto-success';
  const snsArn = 'arn:aws:sns:us-east-1:123456789012:boto-failure';
  const r = await runBoto3(
    s.url,
    [
      `dc = {'OnSuccess': {'Destination': ${JSON.stringify(sqsArn)}}, 'OnFailure': {'Destination': ${JSON.stringify(snsArn)}}}`,
      "put = client.put_function_event_invoke_config(FunctionName='boto-dest', MaximumRetryAttempts=1, DestinationConfig=dc)",
      "got = client.get_function_event_invoke_config(FunctionName='boto-dest')",
      "print(json.dumps({'put': put['DestinationConfig'], 'get': got['DestinationConfig'], 'retries': got['MaximumRetryAttempts'], 'arn': got['FunctionArn']}))",
    ].join('\n'),
  );
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  const expected = { OnSuccess: { Destination: sqsArn }, OnFailure: { Destination: snsArn } };
  assert.deepEqual(out.put, expected);
  assert.deepEqual(out.get, expected);
  assert.equal(out.retries, 1);
  assert.equal(out.arn, arnOf('boto-dest', '$LATEST'));
});
