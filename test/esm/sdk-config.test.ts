// Where the AWS services are, found as the AWS SDKs find them: a profile in the user's ~/.aws files (credentials and
// `endpoint_url`), with no AWS_* key and no Alonzo setting naming the stand-in. With it, an SQS mapping consumes its
// queue, an Event's SQS destination receives its record, and code is deployed from S3, all from moto_server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateEventSourceMappingCommand, CreateFunctionCommand, GetEventSourceMappingCommand, InvokeCommand, PutFunctionEventInvokeConfigCommand } from '@aws-sdk/client-lambda';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { S3Client, CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ROLE, startAlonzo, zipOf, type TestServer } from '../helpers/alonzo.js';
import { eventually, waitActive } from '../helpers/invoke.js';
import { startSink, type Sink } from '../helpers/sink.js';
import { createQueue, MOTO_CREDENTIALS, receiveOne, startMoto, type Moto } from '../helpers/moto.js';

let moto: Moto;
let sink: Sink;
let s: TestServer;
const home = mkdtempSync(join(tmpdir(), 'alonzo-aws-home-'));

before(async () => {
  process.env.MOTO_ACCOUNT_ID = '000000000000';
  moto = await startMoto();
  sink = await startSink();
  // The user's AWS files, as `aws configure` writes them, and nothing else.
  writeFileSync(join(home, 'config'), `[profile local-stack]\nregion = us-east-1\nendpoint_url = ${moto.endpoint}\n`);
  writeFileSync(join(home, 'credentials'), `[local-stack]\naws_access_key_id = ${MOTO_CREDENTIALS.accessKeyId}\naws_secret_access_key = ${MOTO_CREDENTIALS.secretAccessKey}\n`);
  for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_SQS', 'AWS_ENDPOINT_URL_S3']) delete process.env[k];
  process.env.AWS_CONFIG_FILE = join(home, 'config');
  process.env.AWS_SHARED_CREDENTIALS_FILE = join(home, 'credentials');
  process.env.AWS_PROFILE = 'local-stack';
  s = await startAlonzo();
});

after(async () => {
  await s?.close();
  await moto?.close();
  await sink?.close();
  rmSync(home, { recursive: true, force: true });
});

test('an SQS mapping reads the queue the profile points at', async () => {
  await s.client.send(
    new CreateFunctionCommand({
      FunctionName: 'profile-sqs', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE,
      Code: { ZipFile: await zipOf({ 'index.js': `exports.handler = async (e) => { await fetch(process.env.SINK_URL, { method: 'POST', body: JSON.stringify(e.Records.map((r) => r.body)) }); return {}; };` }) },
      Environment: { Variables: { SINK_URL: sink.url('profile-sqs') } },
    }),
  );
  await waitActive(s, 'profile-sqs');
  const q = await createQueue(moto, 'profile-q');
  const { UUID } = await s.client.send(new CreateEventSourceMappingCommand({ FunctionName: 'profile-sqs', EventSourceArn: q.arn }));
  await eventually(async () => (await s.client.send(new GetEventSourceMappingCommand({ UUID }))).State === 'Enabled', 20_000, 'Enabled');
  await moto.sqs.send(new SendMessageCommand({ QueueUrl: q.url, MessageBody: 'through the profile' }));
  const got = await eventually(async () => sink.records<string[]>('profile-sqs').length > 0 && sink.records<string[]>('profile-sqs'), 30_000, 'the message');
  assert.deepEqual(got, [['through the profile']]);
});

test("an Event's SQS on-failure destination and code from S3 go where the profile points too", async () => {
  const s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-1', credentials: MOTO_CREDENTIALS, forcePathStyle: true });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: 'profile-deploys' }));
    await s3.send(new PutObjectCommand({ Bucket: 'profile-deploys', Key: 'fails.zip', Body: await zipOf({ 'index.js': `exports.handler = async () => { throw new Error('from s3'); };` }) }));
  } finally {
    s3.destroy();
  }
  await s.client.send(new CreateFunctionCommand({ FunctionName: 'profile-s3', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { S3Bucket: 'profile-deploys', S3Key: 'fails.zip' } }));
  await waitActive(s, 'profile-s3');
  const dest = await createQueue(moto, 'profile-dest');
  await s.client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'profile-s3', MaximumRetryAttempts: 0, DestinationConfig: { OnFailure: { Destination: dest.arn } } }));
  await s.client.send(new InvokeCommand({ FunctionName: 'profile-s3', InvocationType: 'Event', Payload: Buffer.from('{"n":1}') }));
  const record = JSON.parse((await receiveOne(moto, dest.url, 30_000)).Body!);
  assert.equal(record.requestContext.condition, 'RetriesExhausted');
  assert.equal(record.responsePayload.errorMessage, 'from s3', 'the code came from S3');
});
