// Kinesis and DynamoDB Streams mappings end to end: a real Alonzo reading moto_server's streams, found through the AWS
// SDK's own configuration (AWS_ENDPOINT_URL_KINESIS, AWS_ENDPOINT_URL_DYNAMODB_STREAMS), real functions reporting what
// they got to a sink on loopback: the records as Lambda shapes them, StartingPosition, batching in order, retries and
// the OnFailure record, ReportBatchItemFailures with sequence numbers, bisecting, and checkpoints that survive a
// restart and a kill -9 (nothing lost, nothing skipped).
import { serveProcess } from '../helpers/serve.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateEventSourceMappingCommand, CreateFunctionCommand, GetEventSourceMappingCommand, type CreateEventSourceMappingCommandInput, type LambdaClient } from '@aws-sdk/client-lambda';
import { KinesisClient, CreateStreamCommand, DescribeStreamSummaryCommand, PutRecordsCommand, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { DynamoDBClient, CreateTableCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { S3Client, CreateBucketCommand, ListObjectsV2Command, GetObjectCommand } from '@aws-sdk/client-s3';
import { UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { lambdaClient, ROLE, startAlonzo, zipOf, type TestServer } from '../helpers/alonzo.js';
import { eventually, functionLogs, waitActive } from '../helpers/invoke.js';
import { startSink, type Sink } from '../helpers/sink.js';
import { createQueue, MOTO_CREDENTIALS, receiveOne, startMoto, type Moto } from '../helpers/moto.js';
import { oracleFile } from '../helpers/oracle.js';
import { assertAwsError } from '../helpers/api.js';

const streamsOracle = oracleFile('esm-streams.json');
const KINESIS_TEST = 'tests/aws/services/lambda_/event_source_mapping/test_lambda_integration_kinesis.py::TestKinesisSource::';
let moto: Moto;
let sink: Sink;
let s: TestServer;
let kinesis: KinesisClient;
let ddb: DynamoDBClient;

before(async () => {
  process.env.MOTO_ACCOUNT_ID = '000000000000';
  sink = await startSink();
  moto = await startMoto();
  // Where the streams (and the destination queue) are, as the AWS SDKs read it: no Alonzo setting names moto.
  process.env.AWS_ENDPOINT_URL = moto.endpoint;
  process.env.AWS_ACCESS_KEY_ID = MOTO_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = MOTO_CREDENTIALS.secretAccessKey;
  delete process.env.AWS_SESSION_TOKEN;
  const config = { endpoint: moto.endpoint, region: 'us-east-1', credentials: MOTO_CREDENTIALS, maxAttempts: 1 };
  // HTTP/1.1: the Kinesis client defaults to HTTP/2, which moto_server does not speak.
  kinesis = new KinesisClient({ ...config, requestHandler: new NodeHttpHandler() });
  ddb = new DynamoDBClient(config);
  s = await startAlonzo();
});

after(async () => {
  await s?.close();
  kinesis?.destroy();
  ddb?.destroy();
  await moto?.close();
  await sink?.close();
});

interface Batch {
  what: 'start' | 'end';
  event: { Records: any[] };
  at: number;
}

/**
 * A Python function that reports each batch to SINK_URL, then: raises when a record's payload has `raise_error`, or
 * (MODE=partial) reports the sequence numbers of those with `should_fail`, or answers OVERWRITE_RESULT.
 */
const PY_STREAM = `
import base64, json, os, time, urllib.request
def payload(r):
    if 'kinesis' in r:
        try:
            v = json.loads(base64.b64decode(r['kinesis']['data']))
        except Exception:
            return {}
        return v if isinstance(v, dict) else {}
    img = r['dynamodb'].get('NewImage', {})
    return {k: list(v.values())[0] for k, v in img.items()}
def seq(r):
    return r['kinesis']['sequenceNumber'] if 'kinesis' in r else r['dynamodb']['SequenceNumber']
def handler(event, context):
    body = json.dumps({'what': 'start', 'event': event, 'at': time.time()}).encode()
    urllib.request.urlopen(urllib.request.Request(os.environ['SINK_URL'], data=body, method='POST')).read()
    if os.environ.get('SLEEP_S'):
        time.sleep(float(os.environ['SLEEP_S']))
    if 'OVERWRITE_RESULT' in os.environ:
        return json.loads(os.environ['OVERWRITE_RESULT'])
    recs = event['Records']
    if os.environ.get('MODE') == 'partial':
        return {'batchItemFailures': [{'itemIdentifier': seq(r)} for r in recs if payload(r).get('should_fail') in (True, 'true')]}
    if any(payload(r).get('raise_error') in (True, 1, 'true') for r in recs):
        raise Exception('intentional failure')
    return {'count': len(recs)}
`;

async function fn(client: LambdaClient, name: string, env: Record<string, string> = {}): Promise<void> {
  await client.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'python3.12',
      Handler: 'index.handler',
      Role: ROLE,
      Timeout: 30,
      Code: { ZipFile: await zipOf({ 'index.py': PY_STREAM }) },
      Environment: { Variables: { SINK_URL: sink.url(name), ...env } },
    }),
  );
  await waitActive({ client } as TestServer, name);
}

async function stream(name: string): Promise<string> {
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
  return eventually(async () => {
    const d = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
    return d.StreamDescriptionSummary?.StreamStatus === 'ACTIVE' && d.StreamDescriptionSummary.StreamARN;
  }, 10_000, 'the stream');
}

const put = (name: string, items: { data: unknown; key?: string }[]) =>
  kinesis.send(new PutRecordsCommand({ StreamName: name, Records: items.map((x, i) => ({ Data: Buffer.from(typeof x.data === 'string' ? x.data : JSON.stringify(x.data)), PartitionKey: x.key ?? `test_${i}` })) }));

async function mapping(client: LambdaClient, input: CreateEventSourceMappingCommandInput): Promise<string> {
  const r = await client.send(new CreateEventSourceMappingCommand(input));
  await eventually(async () => (await client.send(new GetEventSourceMappingCommand({ UUID: r.UUID }))).State === 'Enabled', 20_000, 'Enabled');
  return r.UUID!;
}

const starts = (key: string): Batch[] => sink.records<Batch>(key).filter((b) => b.what === 'start');
const seqs = (key: string): string[] => starts(key).flatMap((b) => b.event.Records.map((r: any) => r.kinesis?.sequenceNumber ?? r.dynamodb.SequenceNumber));

test('Kinesis, LATEST: ten records put after the mapping is Enabled arrive in one invocation, in order, as Lambda shapes them; LastProcessingResult becomes OK (test_create_kinesis_event_source_mapping)', async () => {
  const name = 'kin-latest';
  await fn(s.client, name);
  const arn = await stream(name);
  await put(name, [{ data: 'before' }]);
  const uuid = await mapping(s.client, { FunctionName: name, EventSourceArn: arn, StartingPosition: 'LATEST' });
  await put(name, Array.from({ length: 10 }, () => ({ data: 'hello' })));
  const [batch] = await eventually(async () => starts(name).length > 0 && starts(name), 30_000, 'the invocation');
  const want = streamsOracle(`${KINESIS_TEST}test_create_kinesis_event_source_mapping`, { 'resource:1': name })['recorded-content'].kinesis_records.Records;
  assert.equal(batch.event.Records.length, 10, 'all ten in one batch, the record put before the mapping not among them');
  for (const [i, r] of batch.event.Records.entries()) {
    assert.deepEqual(Object.keys(r).sort(), Object.keys(want[i]).sort());
    assert.deepEqual(Object.keys(r.kinesis).sort(), Object.keys(want[i].kinesis).sort());
    assert.equal(r.kinesis.partitionKey, `test_${i}`, 'in order');
    assert.equal(r.kinesis.data, 'aGVsbG8=');
    assert.equal(r.kinesis.kinesisSchemaVersion, '1.0');
    assert.match(String(r.kinesis.approximateArrivalTimestamp), /^\d{10}(\.\d+)?$/, 'epoch seconds');
    assert.equal(r.eventID, `shardId-000000000000:${r.kinesis.sequenceNumber}`);
    assert.deepEqual([r.eventSource, r.eventVersion, r.eventName, r.awsRegion, r.eventSourceARN, r.invokeIdentityArn], ['aws:kinesis', '1.0', 'aws:kinesis:record', 'us-east-1', arn, ROLE]);
  }
  await eventually(async () => (await s.client.send(new GetEventSourceMappingCommand({ UUID: uuid }))).LastProcessingResult === 'OK', 10_000, 'LastProcessingResult OK');
});

test('Kinesis, TRIM_HORIZON with BatchSize 10: twenty old records and ten new ones in three batches of ten, oldest first (test_kinesis_event_source_trim_horizon)', async () => {
  const name = 'kin-trim';
  await fn(s.client, name);
  const arn = await stream(name);
  await put(name, Array.from({ length: 10 }, (_, i) => ({ data: { record_id: i }, key: 'test_0' })));
  await put(name, Array.from({ length: 10 }, (_, i) => ({ data: { record_id: i }, key: 'test_1' })));
  await mapping(s.client, { FunctionName: name, EventSourceArn: arn, StartingPosition: 'TRIM_HORIZON', BatchSize: 10 });
  await put(name, Array.from({ length: 10 }, (_, i) => ({ data: { record_id: i }, key: 'test_3' })));
  await eventually(async () => seqs(name).length >= 30, 30_000, 'thirty records');
  const batches = starts(name).map((b) => b.event.Records.map((r: any) => r.kinesis.partitionKey));
  assert.deepEqual(batches.flat(), [...Array(10).fill('test_0'), ...Array(10).fill('test_1'), ...Array(10).fill('test_3')], 'every record once, in order');
  for (const b of batches) assert.ok(b.length <= 10);
});

test('Kinesis: a raising function with MaximumRetryAttempts 1 runs twice, then the queue gets AWS\'s on-failure record (test_kinesis_event_source_mapping_with_on_failure_destination_config)', async () => {
  const name = 'kin-onfailure';
  await fn(s.client, name);
  const arn = await stream(name);
  const q = await createQueue(moto, 'kin-onfailure-dest');
  await mapping(s.client, { FunctionName: name, EventSourceArn: arn, StartingPosition: 'TRIM_HORIZON', BatchSize: 1, MaximumBatchingWindowInSeconds: 1, MaximumRetryAttempts: 1, DestinationConfig: { OnFailure: { Destination: q.arn } } });
  await put(name, [{ data: { input: 'hello', value: 'world', raise_error: 1 } }]);
  const msg = await receiveOne(moto, q.url, 30_000);
  const body = JSON.parse(msg.Body!);
  const want = streamsOracle(`${KINESIS_TEST}test_kinesis_event_source_mapping_with_on_failure_destination_config`, { 'resource:2': name, 'resource:3': name })['recorded-content'].sqs_payload.Messages[0].Body;
  assert.deepEqual(Object.keys(body), Object.keys(want), "the record's members in AWS's order");
  assert.deepEqual(Object.keys(body.KinesisBatchInfo), Object.keys(want.KinesisBatchInfo));
  assert.deepEqual({ ...body.requestContext, requestId: 'id' }, { ...want.requestContext, requestId: 'id' });
  assert.deepEqual(body.responseContext, want.responseContext);
  const [seq] = seqs(name);
  assert.deepEqual(
    { ...body.KinesisBatchInfo, approximateArrivalOfFirstRecord: 't', approximateArrivalOfLastRecord: 't' },
    { shardId: 'shardId-000000000000', startSequenceNumber: seq, endSequenceNumber: seq, approximateArrivalOfFirstRecord: 't', approximateArrivalOfLastRecord: 't', batchSize: 1, streamArn: arn },
  );
  assert.match(body.timestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  assert.match(body.KinesisBatchInfo.approximateArrivalOfFirstRecord, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  assert.equal(starts(name).length, 2, 'the first try and one retry');
});

test('Kinesis, MaximumRecordAgeInSeconds: a record that keeps failing past its age goes to the destination as RecordAgeExceeded, with no responseContext (test_kinesis_maximum_record_age_exceeded)', async () => {
  const name = 'kin-age';
  await fn(s.client, name);
  const arn = await stream(name);
  const q = await createQueue(moto, 'kin-age-dest');
  await put(name, [{ data: { raise_error: 1 } }]);
  // 2 s instead of AWS's minimum 60: the same path, without a minute's wait.
  await mapping(s.client, { FunctionName: name, EventSourceArn: arn, StartingPosition: 'TRIM_HORIZON', BatchSize: 1, MaximumRetryAttempts: -1, MaximumRecordAgeInSeconds: 2, DestinationConfig: { OnFailure: { Destination: q.arn } } });
  const body = JSON.parse((await receiveOne(moto, q.url, 60_000)).Body!);
  assert.deepEqual(Object.keys(body), ['requestContext', 'version', 'timestamp', 'KinesisBatchInfo']);
  assert.equal(body.requestContext.condition, 'RecordAgeExceeded');
  assert.equal(body.requestContext.approximateInvokeCount, starts(name).length, 'the invocations made before it expired');
  assert.equal(body.KinesisBatchInfo.batchSize, 1);
});

test('Kinesis, ReportBatchItemFailures: only the reported record (and what follows) is retried; after 3 retries it goes to the destination with functionError null (test_kinesis_report_batch_item_failures)', async () => {
  const name = 'kin-partial';
  await fn(s.client, name, { MODE: 'partial' });
  const arn = await stream(name);
  const q = await createQueue(moto, 'kin-partial-dest');
  await put(name, Array.from({ length: 6 }, (_, i) => ({ data: { record: i + 1, should_fail: i === 5 }, key: `key-${i + 1}` })));
  await mapping(s.client, {
    FunctionName: name, EventSourceArn: arn, StartingPosition: 'TRIM_HORIZON', BatchSize: 3, MaximumBatchingWindowInSeconds: 1, MaximumRetryAttempts: 3,
    DestinationConfig: { OnFailure: { Destination: q.arn } }, FunctionResponseTypes: ['ReportBatchItemFailures'],
  });
  const body = JSON.parse((await receiveOne(moto, q.url, 60_000)).Body!);
  const all = seqs(name);
  const sixth = starts(name).flatMap((b) => b.event.Records).find((r: any) => r.kinesis.partitionKey === 'key-6').kinesis.sequenceNumber;
  assert.equal(body.requestContext.condition, 'RetryAttemptsExhausted');
  assert.equal(body.requestContext.approximateInvokeCount, 4);
  assert.equal(body.responseContext.functionError, null, 'the function answered; it did not raise');
  assert.deepEqual([body.KinesisBatchInfo.startSequenceNumber, body.KinesisBatchInfo.endSequenceNumber, body.KinesisBatchInfo.batchSize], [sixth, sixth, 1]);
  const counts = new Map<string, number>();
  for (const q2 of all) counts.set(q2, (counts.get(q2) ?? 0) + 1);
  assert.deepEqual([...counts.values()].sort(), [1, 1, 1, 1, 1, 4], 'records 1 to 5 once, the sixth four times');
});

test('Kinesis, ReportBatchItemFailures: an unknown, empty or missing itemIdentifier fails the whole batch; [], null, {} succeed (test_kinesis_report_batch_item_failure_scenarios, _success_scenarios)', async () => {
  const failing = [{ batchItemFailures: [{ itemIdentifier: 123 }] }, { batchItemFailures: [{ itemIdentifier: '' }] }, { batchItemFailures: [{ foo: 123 }] }];
  const succeeding = [[], null, {}, { batchItemFailures: [] }];
  await Promise.all([
    ...failing.map(async (answer, i) => {
      const name = `kin-rbif-bad-${i}`;
      await fn(s.client, name, { OVERWRITE_RESULT: JSON.stringify(answer) });
      const arn = await stream(name);
      const q = await createQueue(moto, `${name}-dest`);
      await mapping(s.client, { FunctionName: name, EventSourceArn: arn, StartingPosition: 'TRIM_HORIZON', BatchSize: 1, MaximumRetryAttempts: 2, FunctionResponseTypes: ['ReportBatchItemFailures'], DestinationConfig: { OnFailure: { Destination: q.arn } } });
      await put(name, [{ data: 'hello' }]);
      const body = JSON.parse((await receiveOne(moto, q.url, 60_000)).Body!);
      assert.equal(body.requestContext.approximateInvokeCount, 3, JSON.stringify(answer));
      assert.equal(body.responseContext.functionError, null);
      assert.equal(starts(name).length, 3, JSON.stringify(answer));
    }),
    ...succeeding.map(async (answer, i) => {
      const name = `kin-rbif-ok-${i}`;
      await fn(s.client, name, { OVERWRITE_RESULT: JSON.stringify(answer) });
      const arn = await stream(name);
      const uuid = await mapping(s.client, { FunctionName: name, EventSourceArn: arn, StartingPosition: 'TRIM_HORIZON', BatchSize: 1, MaximumRetryAttempts: 2, FunctionResponseTypes: ['ReportBatchItemFailures'] });
      await put(name, [{ data: 'one' }]);
      await eventually(async () => (await s.client.send(new GetEventSourceMappingCommand({ UUID: uuid }))).LastProcessingResult === 'OK', 30_000, 'OK');
      // A retry would come before the next record: the second record's batch proves the first was not retried.
      await put(name, [{ data: 'two' }]);
      await eventually(async () => starts(name).length >= 2, 30_000, 'the second record');
      assert.deepEqual(starts(name).map((b) => Buffer.from(b.event.Records[0].kinesis.data, 'base64').toString()), ['one', 'two'], JSON.stringify(answer));
    }),
  ]);
});

test('Kinesis, BisectBatchOnFunctionError: a failing batch is split until the poisoned record is alone; only it reaches the destination', async () => {
  const name = 'kin-bisect';
  await fn(s.client, name);
  const arn = await stream(name);
  const q = await createQueue(moto, 'kin-bisect-dest');
  await put(name, [1, 2, 3, 4].map((n) => ({ data: { n, raise_error: n === 3 } })));
  await mapping(s.client, { FunctionName: name, EventSourceArn: arn, StartingPosition: 'TRIM_HORIZON', BatchSize: 4, MaximumBatchingWindowInSeconds: 1, MaximumRetryAttempts: 0, BisectBatchOnFunctionError: true, DestinationConfig: { OnFailure: { Destination: q.arn } } });
  const body = JSON.parse((await receiveOne(moto, q.url, 60_000)).Body!);
  const byN = (b: Batch) => b.event.Records.map((r: any) => JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString()).n);
  await eventually(async () => starts(name).some((b) => byN(b).join() === '4'), 30_000, 'record 4 alone');
  assert.deepEqual(starts(name).map(byN), [[1, 2, 3, 4], [1, 2], [3, 4], [3], [4]]);
  assert.equal(body.KinesisBatchInfo.batchSize, 1);
  assert.equal(body.KinesisBatchInfo.startSequenceNumber, starts(name)[3].event.Records[0].kinesis.sequenceNumber);
});

test('DynamoDB Streams: an INSERT as Lambda shapes it, binary attributes in base64 (test_dynamodb_event_source_mapping); a missing stream is refused (test_esm_with_not_existing_dynamodb_stream)', async () => {
  const name = 'ddb-insert';
  await fn(s.client, name);
  const t = await ddb.send(
    new CreateTableCommand({
      TableName: name, KeySchema: [{ AttributeName: 'my_partition_key', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'my_partition_key', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST', StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
    }),
  );
  const arn = t.TableDescription!.LatestStreamArn!;
  await mapping(s.client, { FunctionName: name, EventSourceArn: arn, StartingPosition: 'TRIM_HORIZON', BatchSize: 1, MaximumBatchingWindowInSeconds: 1, MaximumRetryAttempts: 1 });
  await ddb.send(new PutItemCommand({ TableName: name, Item: { my_partition_key: { S: 'hello world' }, binary_key: { B: Buffer.from('foobar') } } }));
  const [batch] = await eventually(async () => starts(name).length > 0 && starts(name), 30_000, 'the invocation');
  const [r] = batch.event.Records;
  const want = streamsOracle('tests/aws/services/lambda_/event_source_mapping/test_lambda_integration_dynamodbstreams.py::TestDynamoDBEventSourceMapping::test_dynamodb_event_source_mapping')['recorded-content'];
  const wantRecord = (Object.values(want).find((v: any) => Array.isArray(v) && v[0]?.Records) as any)?.[0].Records[0] ?? (Object.values(want).find((v: any) => v?.Records) as any).Records[0];
  assert.deepEqual(Object.keys(r).sort(), Object.keys(wantRecord).sort());
  assert.deepEqual(Object.keys(r.dynamodb).sort(), Object.keys(wantRecord.dynamodb).sort());
  assert.deepEqual(r.dynamodb.NewImage, { my_partition_key: { S: 'hello world' }, binary_key: { B: 'Zm9vYmFy' } });
  assert.deepEqual(r.dynamodb.Keys, { my_partition_key: { S: 'hello world' } });
  assert.deepEqual([r.eventName, r.eventVersion, r.eventSource, r.awsRegion, r.eventSourceARN, r.dynamodb.StreamViewType], ['INSERT', '1.1', 'aws:dynamodb', 'us-east-1', arn, 'NEW_IMAGE']);
  assert.match(String(r.dynamodb.ApproximateCreationDateTime), /^\d{10}$/);
  const missing = arn.replace(`table/${name}/`, 'table/test-table-4a53f4e8/');
  await assertAwsError(s.client.send(new CreateEventSourceMappingCommand({ FunctionName: name, EventSourceArn: missing, StartingPosition: 'TRIM_HORIZON' })), { name: 'InvalidParameterValueException', status: 400, message: `Stream not found: ${missing}` });
});

test('Kinesis, AT_TIMESTAMP: only the records that arrived from that time on', async () => {
  const name = 'kin-at-timestamp';
  await fn(s.client, name);
  const arn = await stream(name);
  await put(name, [1, 2, 3].map((n) => ({ data: { n, when: 'before' } })));
  // Spacing, not a measurement: the stream's arrival times and this clock are the machine's, a second apart at least.
  await new Promise((ok) => setTimeout(ok, 1100));
  const since = new Date();
  await new Promise((ok) => setTimeout(ok, 100));
  await put(name, [4, 5, 6].map((n) => ({ data: { n, when: 'after' } })));
  await mapping(s.client, { FunctionName: name, EventSourceArn: arn, StartingPosition: 'AT_TIMESTAMP', StartingPositionTimestamp: since, BatchSize: 10 });
  await eventually(async () => seqs(name).length >= 3, 30_000, 'the later records');
  const got = starts(name).flatMap((b) => b.event.Records.map((r: any) => JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString()).n));
  assert.deepEqual(got, [4, 5, 6]);
});

test('Kinesis, an S3 on-failure destination: an object under aws/lambda/<UUID>/<shard>/<date>/ holding the record and the payload (test_kinesis_event_source_mapping_with_s3_on_failure_destination)', async () => {
  const name = 'kin-s3-dest';
  await fn(s.client, name);
  const arn = await stream(name);
  const s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-1', credentials: MOTO_CREDENTIALS, forcePathStyle: true });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: 'kin-s3-dest' }));
    const uuid = await mapping(s.client, { FunctionName: name, EventSourceArn: arn, StartingPosition: 'TRIM_HORIZON', BatchSize: 1, MaximumRetryAttempts: 1, DestinationConfig: { OnFailure: { Destination: 'arn:aws:s3:::kin-s3-dest' } } });
    await put(name, [{ data: { input: 'hello', raise_error: 1 } }]);
    const [obj] = await eventually(async () => (await s3.send(new ListObjectsV2Command({ Bucket: 'kin-s3-dest' }))).Contents ?? false, 30_000, 'the object');
    const today = new Date().toISOString();
    assert.ok(obj.Key!.startsWith(`aws/lambda/${uuid}/shardId-000000000000/${today.slice(0, 4)}/${today.slice(5, 7)}/`), obj.Key);
    const body = JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: 'kin-s3-dest', Key: obj.Key }))).Body!.transformToString());
    assert.deepEqual(Object.keys(body), ['requestContext', 'responseContext', 'version', 'timestamp', 'KinesisBatchInfo', 'payload']);
    assert.equal(body.requestContext.approximateInvokeCount, 2);
    assert.equal(body.payload.Records.length, 1);
    assert.deepEqual(JSON.parse(Buffer.from(body.payload.Records[0].kinesis.data, 'base64').toString()), { input: 'hello', raise_error: 1 });
  } finally {
    s3.destroy();
  }
});

test('DynamoDB Streams: Update(Enabled=False) answers Disabling with LastProcessingResult OK, and a later item is not delivered until it is enabled again (test_disabled_dynamodb_event_source_mapping)', async () => {
  const name = 'ddb-disabled';
  await fn(s.client, name);
  const t = await ddb.send(new CreateTableCommand({ TableName: name, KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST', StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' } }));
  const uuid = await mapping(s.client, { FunctionName: name, EventSourceArn: t.TableDescription!.LatestStreamArn!, StartingPosition: 'TRIM_HORIZON', MaximumBatchingWindowInSeconds: 1 });
  await ddb.send(new PutItemCommand({ TableName: name, Item: { id: { S: 'one' } } }));
  await eventually(async () => starts(name).length === 1 && (await s.client.send(new GetEventSourceMappingCommand({ UUID: uuid }))).LastProcessingResult === 'OK', 30_000, 'the first item');
  const disabling = await s.client.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: false }));
  assert.deepEqual([disabling.State, disabling.LastProcessingResult, disabling.BatchSize, disabling.MaximumRetryAttempts], ['Disabling', 'OK', 100, -1]);
  await eventually(async () => (await s.client.send(new GetEventSourceMappingCommand({ UUID: uuid }))).State === 'Disabled', 20_000, 'Disabled');
  await ddb.send(new PutItemCommand({ TableName: name, Item: { id: { S: 'two' } } }));
  // Enabled again, it goes on from its checkpoint: the second item arrives then, once, and the first is not repeated.
  await s.client.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: true }));
  await eventually(async () => starts(name).length === 2, 30_000, 'the second item');
  assert.deepEqual(starts(name).map((b) => b.event.Records.map((r: any) => r.dynamodb.Keys.id.S)), [['one'], ['two']]);
});

async function table(name: string, view: 'NEW_IMAGE' | 'NEW_AND_OLD_IMAGES' = 'NEW_IMAGE'): Promise<string> {
  const t = await ddb.send(new CreateTableCommand({ TableName: name, KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST', StreamSpecification: { StreamEnabled: true, StreamViewType: view } }));
  return t.TableDescription!.LatestStreamArn!;
}

test('DynamoDB Streams: a raising function with an SNS on-failure topic: the notification carries DDBStreamBatchInfo (test_dynamodb_event_source_mapping_with_sns_on_failure_destination_config)', async () => {
  const name = 'ddb-sns';
  await fn(s.client, name);
  const arn = await table(name);
  const { TopicArn } = await moto.sns.send(new CreateTopicCommand({ Name: 'ddb-sns-topic' }));
  const q = await createQueue(moto, 'ddb-sns-sub');
  await moto.sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: q.arn }));
  await mapping(s.client, { FunctionName: name, EventSourceArn: arn, StartingPosition: 'TRIM_HORIZON', BatchSize: 1, MaximumBatchingWindowInSeconds: 1, MaximumRetryAttempts: 1, DestinationConfig: { OnFailure: { Destination: TopicArn! } } });
  await ddb.send(new PutItemCommand({ TableName: name, Item: { id: { S: 'x' }, raise_error: { BOOL: true } } }));
  const note = JSON.parse((await receiveOne(moto, q.url, 60_000)).Body!);
  assert.equal(note.Type, 'Notification');
  assert.equal(note.TopicArn, TopicArn);
  const record = JSON.parse(note.Message);
  assert.deepEqual(Object.keys(record), ['requestContext', 'responseContext', 'version', 'timestamp', 'DDBStreamBatchInfo']);
  assert.deepEqual([record.requestContext.condition, record.requestContext.approximateInvokeCount, record.responseContext.functionError], ['RetryAttemptsExhausted', 2, 'Unhandled']);
  assert.deepEqual(Object.keys(record.DDBStreamBatchInfo), ['shardId', 'startSequenceNumber', 'endSequenceNumber', 'approximateArrivalOfFirstRecord', 'approximateArrivalOfLastRecord', 'batchSize', 'streamArn']);
  assert.match(record.DDBStreamBatchInfo.approximateArrivalOfFirstRecord, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/, 'no milliseconds, as AWS writes it for DynamoDB');
  assert.equal(record.DDBStreamBatchInfo.streamArn, arn);
});

test('DynamoDB Streams, ReportBatchItemFailures: the sixth item alone is retried, then given up with functionError null (test_dynamodb_report_batch_item_failures)', async () => {
  const name = 'ddb-partial';
  await fn(s.client, name, { MODE: 'partial' });
  const arn = await table(name);
  const q = await createQueue(moto, 'ddb-partial-dest');
  for (let i = 1; i <= 6; i++) await ddb.send(new PutItemCommand({ TableName: name, Item: { id: { S: `item-${i}` }, should_fail: { BOOL: i === 6 } } }));
  await mapping(s.client, { FunctionName: name, EventSourceArn: arn, StartingPosition: 'TRIM_HORIZON', BatchSize: 3, MaximumBatchingWindowInSeconds: 1, MaximumRetryAttempts: 3, FunctionResponseTypes: ['ReportBatchItemFailures'], DestinationConfig: { OnFailure: { Destination: q.arn } } });
  const record = JSON.parse((await receiveOne(moto, q.url, 60_000)).Body!);
  assert.deepEqual([record.requestContext.approximateInvokeCount, record.responseContext.functionError, record.DDBStreamBatchInfo.batchSize], [4, null, 1]);
  const ids = starts(name).flatMap((b) => b.event.Records.map((r: any) => r.dynamodb.Keys.id.S));
  const counts = Object.fromEntries([1, 2, 3, 4, 5, 6].map((i) => [`item-${i}`, ids.filter((x) => x === `item-${i}`).length]));
  assert.deepEqual(counts, { 'item-1': 1, 'item-2': 1, 'item-3': 1, 'item-4': 1, 'item-5': 1, 'item-6': 4 });
});

test('DynamoDB Streams, FilterCriteria on eventName and the new image: only matching records run', async () => {
  const name = 'ddb-filter';
  await fn(s.client, name);
  const arn = await table(name, 'NEW_AND_OLD_IMAGES');
  await mapping(s.client, {
    FunctionName: name, EventSourceArn: arn, StartingPosition: 'TRIM_HORIZON', MaximumBatchingWindowInSeconds: 1,
    FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT'], dynamodb: { NewImage: { kind: { S: [{ prefix: 'keep' }] } } } }) }] },
  });
  await ddb.send(new PutItemCommand({ TableName: name, Item: { id: { S: 'a' }, kind: { S: 'drop-me' } } }));
  await ddb.send(new PutItemCommand({ TableName: name, Item: { id: { S: 'b' }, kind: { S: 'keep-me' } } }));
  await ddb.send(new PutItemCommand({ TableName: name, Item: { id: { S: 'b' }, kind: { S: 'keep-me-too' } } }));
  await ddb.send(new PutItemCommand({ TableName: name, Item: { id: { S: 'c' }, kind: { S: 'keep-this' } } }));
  await eventually(async () => starts(name).flatMap((b) => b.event.Records).some((r: any) => r.dynamodb.Keys.id.S === 'c'), 30_000, 'the last matching item');
  const got = starts(name).flatMap((b) => b.event.Records.map((r: any) => `${r.eventName}:${r.dynamodb.NewImage.kind.S}`));
  assert.deepEqual(got, ['INSERT:keep-me', 'INSERT:keep-this'], 'a MODIFY and a non-matching INSERT filtered out');
});

test('Kinesis: a provided.al2023 runtime answering with an empty body counts as success: one invocation per record, LastProcessingResult OK (test_kinesis_empty_provided)', async () => {
  const name = 'kin-empty-provided';
  const bootstrap = `#!/bin/bash
set -euo pipefail
API="http://\${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
HEADERS="$(mktemp)"
while true; do
  curl -sS -D "$HEADERS" "$API/invocation/next" >/dev/null
  ID="$(grep -i '^Lambda-Runtime-Aws-Request-Id:' "$HEADERS" | cut -d' ' -f2 | tr -d '\r\n')"
  curl -sS -X POST "$API/invocation/$ID/response" --data-binary '' >/dev/null
done
`;
  await s.client.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'provided.al2023', Handler: 'x', Role: ROLE, Code: { ZipFile: await zipOf({ bootstrap }, 0o755) } }));
  await waitActive(s, name);
  const arn = await stream(name);
  const uuid = await mapping(s.client, { FunctionName: name, EventSourceArn: arn, StartingPosition: 'TRIM_HORIZON', BatchSize: 1, MaximumBatchingWindowInSeconds: 1, MaximumRetryAttempts: 2 });
  await put(name, [{ data: 'one' }]);
  await eventually(async () => (await s.client.send(new GetEventSourceMappingCommand({ UUID: uuid }))).LastProcessingResult === 'OK', 30_000, 'LastProcessingResult OK');
  // A retry of the first record would come before the second record's batch: two records, two REPORT lines.
  await put(name, [{ data: 'two' }]);
  const reports = async () => (await functionLogs(s, name)).split('\n').filter((l) => l.startsWith('REPORT')).length;
  await eventually(async () => (await reports()) >= 2, 30_000, 'the second record');
  assert.equal(await reports(), 2);
  assert.equal((await s.client.send(new GetEventSourceMappingCommand({ UUID: uuid }))).State, 'Enabled');
});

test('Kinesis, ParallelizationFactor 2: two batches of one shard run at once, each partition key in order', async () => {
  const name = 'kin-parallel';
  // Each invocation reports its start, then waits (up to 20 s) until the sink has seen two starts: with one batch at a
  // time the first would wait alone, and says so.
  const code = `exports.handler = async (event) => {
  const keys = event.Records.map((r) => r.kinesis.partitionKey + ':' + Buffer.from(r.kinesis.data, 'base64').toString());
  const post = (what) => fetch(process.env.SINK_URL, { method: 'POST', body: JSON.stringify({ what, keys }) });
  await post('start');
  let together = false;
  for (let i = 0; i < 200 && !together; i++) {
    const seen = await (await fetch(process.env.SINK_URL)).json();
    together = seen.filter((x) => x.what === 'start').length >= 2;
    if (!together) await new Promise((ok) => setTimeout(ok, 100));
  }
  await post(together ? 'together' : 'alone');
  return {};
};`;
  await s.client.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Timeout: 30, Code: { ZipFile: await zipOf({ 'index.js': code }) }, Environment: { Variables: { SINK_URL: sink.url(name) } } }));
  await waitActive(s, name);
  const arn = await stream(name);
  await put(name, [0, 1, 2, 3].flatMap((i) => [{ data: String(i), key: 'a' }, { data: String(i), key: 'b' }]));
  const uuid = await mapping(s.client, { FunctionName: name, EventSourceArn: arn, StartingPosition: 'TRIM_HORIZON', BatchSize: 10, MaximumBatchingWindowInSeconds: 1, ParallelizationFactor: 2 });
  assert.equal((await s.client.send(new GetEventSourceMappingCommand({ UUID: uuid }))).ParallelizationFactor, 2);
  const records = () => sink.records<{ what: string; keys: string[] }>(name);
  await eventually(async () => records().filter((r) => r.what !== 'start').length >= 2, 60_000, 'both batches');
  assert.deepEqual(records().filter((r) => r.what === 'alone'), [], 'no batch ran alone');
  const seen = records().filter((r) => r.what === 'start').flatMap((r) => r.keys);
  for (const k of ['a', 'b']) assert.deepEqual(seen.filter((x) => x.startsWith(`${k}:`)), [0, 1, 2, 3].map((i) => `${k}:${i}`), `key ${k} in order`);
});

test('LATEST survives a restart before its first record: records put while the server was down are not skipped', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'alonzo-esm-latest-'));
  let server = await startAlonzo({ dataDir });
  try {
    const name = 'kin-latest-restart';
    await fn(server.client, name);
    const arn = await stream(name);
    await mapping(server.client, { FunctionName: name, EventSourceArn: arn, StartingPosition: 'LATEST' });
    await server.close();
    await put(name, [{ data: 'while-down' }]);
    server = await startAlonzo({ dataDir });
    await put(name, [{ data: 'after' }]);
    await eventually(async () => seqs(name).length >= 2, 30_000, 'both records');
    assert.deepEqual(starts(name).flatMap((b) => b.event.Records.map((r: any) => Buffer.from(r.kinesis.data, 'base64').toString())), ['while-down', 'after']);
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

// ---- checkpoints across a restart and a kill -9, with the real server process ----------------------------------

const serve = (dataDir: string) => serveProcess(dataDir, { AWS_ENDPOINT_URL_KINESIS: moto.endpoint });
const exited = (p: ChildProcess) => new Promise<void>((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.once('exit', () => r())));
function descendants(pid: number): number[] {
  try {
    const kids = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n').map((l) => Number(l.trim())).filter((n) => n > 0);
    return kids.flatMap((k) => [k, ...descendants(k)]);
  } catch {
    return [];
  }
}

test('checkpoints: a graceful restart repeats nothing, a kill -9 mid-stream loses and skips nothing (only the batch in flight may run again)', { timeout: 180_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'alonzo-esm-crash-'));
  const name = 'kin-crash';
  const procs: ChildProcess[] = [];
  const orphans: number[] = [];
  const total = 40;
  try {
    let server = await serve(dataDir);
    procs.push(server.proc);
    let client = lambdaClient(server.url);
    await fn(client, name, { SLEEP_S: '0.2' });
    const arn = await stream(name);
    await mapping(client, { FunctionName: name, EventSourceArn: arn, StartingPosition: 'TRIM_HORIZON', BatchSize: 2 });
    for (let i = 0; i < total; i++) await kinesis.send(new PutRecordCommand({ StreamName: name, Data: Buffer.from(String(i)), PartitionKey: 'k' }));
    const numbers = () => starts(name).flatMap((b) => b.event.Records.map((r: any) => Number(Buffer.from(r.kinesis.data, 'base64').toString())));

    // A graceful stop: the batch in flight finishes and is checkpointed, so the restart repeats nothing.
    await eventually(async () => numbers().length >= 6, 60_000, 'a few batches');
    client.destroy();
    server.proc.kill('SIGTERM');
    await exited(server.proc);
    const afterStop = numbers().length;
    server = await serve(dataDir);
    procs.push(server.proc);
    client = lambdaClient(server.url);
    await eventually(async () => numbers().length >= afterStop + 6, 60_000, 'batches after the restart');
    assert.deepEqual(numbers().slice(0, afterStop + 6), Array.from({ length: afterStop + 6 }, (_, i) => i), 'in order, none repeated, none skipped');

    // kill -9 in the middle of a batch.
    await eventually(async () => numbers().length >= afterStop + 10, 60_000, 'more batches');
    orphans.push(...descendants(server.proc.pid!));
    server.proc.kill('SIGKILL');
    await exited(server.proc);
    client.destroy();
    server = await serve(dataDir);
    procs.push(server.proc);
    await eventually(async () => new Set(numbers()).size === total, 120_000, 'every record');
    const seen = numbers();
    const repeats = seen.length - total;
    assert.ok(repeats <= 2, `at most the batch in flight (2 records) ran again; ${repeats} repeats: ${seen.join(',')}`);
    // Order holds within the stream: each record after its predecessor's first appearance.
    for (let i = 1; i < total; i++) assert.ok(seen.indexOf(i) > seen.indexOf(i - 1), `record ${i} after ${i - 1}`);
  } finally {
    // The last server stops as a server should (its environments and sandboxes with it); the killed one's leftovers go.
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
    await Promise.all(procs.map(exited));
    for (const pid of orphans) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone with its server already.
      }
    }
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await eventually(async () => !orphans.some(alive), 10_000, "the killed server's environments to be gone");
    rmSync(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  }
});
