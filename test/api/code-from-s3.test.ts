// Code from S3, as deploy tools send it: CreateFunction and UpdateFunctionCode with `Code.S3Bucket` / `S3Key` /
// `S3ObjectVersion`, and a layer's `Content.S3*`, fetched from a real S3 stand-in (moto_server) through
// `--s3-endpoint`, by the JavaScript SDK, boto3 and the AWS CLI; AWS's errors for a missing bucket, key or version.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { S3Client, CreateBucketCommand, PutObjectCommand, PutBucketVersioningCommand } from '@aws-sdk/client-s3';
import { CreateFunctionCommand, GetFunctionCommand, InvokeCommand, PublishLayerVersionCommand, UpdateFunctionCodeCommand } from '@aws-sdk/client-lambda';
import { startAlonzo, runAws, runBoto3, zipOf, ROLE, type TestServer } from '../helpers/alonzo.js';
import { assertAwsError, rejection, sha256b64 } from '../helpers/api.js';
import { closedPort } from '../helpers/ports.js';
import { waitActive } from '../helpers/invoke.js';
import { MOTO_CREDENTIALS, startMoto, type Moto } from '../helpers/moto.js';

let moto: Moto;
let s3: S3Client;
let s: TestServer;
const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

before(async () => {
  // The server signs its GetObject calls with its own credentials from the environment (moto takes any).
  process.env.AWS_ACCESS_KEY_ID = MOTO_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = MOTO_CREDENTIALS.secretAccessKey;
  moto = await startMoto();
  s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-1', credentials: MOTO_CREDENTIALS, forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: 'deploys' }));
  s = await startAlonzo({ s3Endpoint: moto.endpoint });
});
after(async () => {
  await s.close();
  s3.destroy();
  await moto.close();
  process.env.AWS_ACCESS_KEY_ID = saved.id;
  process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
  if (saved.id === undefined) delete process.env.AWS_ACCESS_KEY_ID;
  if (saved.secret === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
});

const handler = (tag: string) => zipOf({ 'index.js': `exports.handler = async () => ${JSON.stringify(tag)};\n` });
const put = async (key: string, body: Buffer) => (await s3.send(new PutObjectCommand({ Bucket: 'deploys', Key: key, Body: body }))).VersionId;
const invokeText = async (fn: string) => Buffer.from((await s.client.send(new InvokeCommand({ FunctionName: fn }))).Payload!).toString();

test('CreateFunction and UpdateFunctionCode take the zip from S3 (JavaScript SDK); the CodeSha256 is the object\'s', async () => {
  const v1 = await handler('from s3 v1');
  await put('app/v1.zip', v1);
  const created = await s.client.send(new CreateFunctionCommand({ FunctionName: 's3-fn', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { S3Bucket: 'deploys', S3Key: 'app/v1.zip' } }));
  assert.equal(created.CodeSha256, sha256b64(v1));
  assert.equal(created.CodeSize, v1.length);
  await waitActive(s, 's3-fn');
  assert.equal(await invokeText('s3-fn'), '"from s3 v1"');
  const v2 = await handler('from s3 v2');
  await put('app/v2.zip', v2);
  const updated = await s.client.send(new UpdateFunctionCodeCommand({ FunctionName: 's3-fn', S3Bucket: 'deploys', S3Key: 'app/v2.zip' }));
  assert.equal(updated.CodeSha256, sha256b64(v2));
  await waitActive(s, 's3-fn');
  assert.equal(await invokeText('s3-fn'), '"from s3 v2"');
  // GetFunction serves the very zip.
  const got = await s.client.send(new GetFunctionCommand({ FunctionName: 's3-fn' }));
  assert.deepEqual(Buffer.from(await (await fetch(got.Code!.Location!)).arrayBuffer()), v2);
});

test('S3ObjectVersion picks an older version of the object', async () => {
  await s3.send(new PutBucketVersioningCommand({ Bucket: 'deploys', VersioningConfiguration: { Status: 'Enabled' } }));
  const first = await put('versioned.zip', await handler('first'));
  await put('versioned.zip', await handler('second'));
  assert.ok(first, 'moto gave a version id');
  await s.client.send(new CreateFunctionCommand({ FunctionName: 's3-versioned', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { S3Bucket: 'deploys', S3Key: 'versioned.zip', S3ObjectVersion: first } }));
  await waitActive(s, 's3-versioned');
  assert.equal(await invokeText('s3-versioned'), '"first"');
});

test('boto3 and the AWS CLI deploy from S3 too', async () => {
  await put('tools.zip', await handler('tools'));
  const r = await runBoto3(
    s.url,
    `client.create_function(FunctionName='s3-boto3', Runtime='nodejs20.x', Handler='index.handler', Role='${ROLE}', Code={'S3Bucket': 'deploys', 'S3Key': 'tools.zip'})
print(json.dumps({'ok': True}))`,
  );
  assert.equal(r.code, 0, r.stderr);
  await waitActive(s, 's3-boto3');
  assert.equal(await invokeText('s3-boto3'), '"tools"');
  const cli = await runAws('v1', s.url, ['lambda', 'update-function-code', '--function-name', 's3-boto3', '--s3-bucket', 'deploys', '--s3-key', 'app/v1.zip']);
  assert.equal(cli.code, 0, cli.stderr);
  await waitActive(s, 's3-boto3');
  assert.equal(await invokeText('s3-boto3'), '"from s3 v1"');
});

test("a layer's Content from S3", async () => {
  const zip = await zipOf({ 'nodejs/node_modules/s3lib/index.js': "module.exports = 'layer from s3';\n" });
  await put('layers/lib.zip', zip);
  const layer = await s.client.send(new PublishLayerVersionCommand({ LayerName: 's3-layer', Content: { S3Bucket: 'deploys', S3Key: 'layers/lib.zip' } }));
  assert.equal(layer.Content?.CodeSha256, sha256b64(zip));
  // No compatibility lists were sent: AWS's answer has neither key (oracle test_layer_s3_content).
  assert.equal(layer.CompatibleRuntimes, undefined);
  assert.equal(layer.CompatibleArchitectures, undefined);
  await s.client.send(new CreateFunctionCommand({ FunctionName: 's3-layered', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Layers: [layer.LayerVersionArn!], Code: { ZipFile: await zipOf({ 'index.js': "exports.handler = async () => require('s3lib');\n" }) } }));
  await waitActive(s, 's3-layered');
  assert.equal(await invokeText('s3-layered'), '"layer from s3"');
});

test("a bucket, key or version that is not there: AWS's InvalidParameterValueException quoting S3, and nothing created", async () => {
  const create = (code: Record<string, string>) =>
    s.client.send(new CreateFunctionCommand({ FunctionName: 's3-missing', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: code }));
  await assertAwsError(create({ S3Bucket: 'deploys', S3Key: 'nothing-here.zip' }), {
    name: 'InvalidParameterValueException',
    status: 400,
    message: 'Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist.',
  });
  await assertAwsError(create({ S3Bucket: 'no-such-bucket', S3Key: 'app.zip' }), {
    name: 'InvalidParameterValueException',
    status: 400,
    message: 'Error occurred while GetObject. S3 Error Code: NoSuchBucket. S3 Error Message: The specified bucket does not exist',
  });
  const e = await assertAwsError(create({ S3Bucket: 'deploys', S3Key: 'app/v1.zip', S3ObjectVersion: 'no-such-version' }), {
    name: 'InvalidParameterValueException',
    status: 400,
    message: 'Error occurred while GetObject. S3 Error Code: NoSuchVersion. S3 Error Message: The specified version does not exist.',
  });
  assert.ok(e);
  // An object that is not a zip: the usual message for a broken package.
  await put('not-a-zip.zip', Buffer.from('hello'));
  await assertAwsError(create({ S3Bucket: 'deploys', S3Key: 'not-a-zip.zip' }), {
    name: 'InvalidParameterValueException',
    status: 400,
    message: 'Could not unzip uploaded file. Please check your file, then try to upload again.',
  });
  await assertAwsError(s.client.send(new GetFunctionCommand({ FunctionName: 's3-missing' })), {
    name: 'ResourceNotFoundException',
    status: 404,
    message: 'Function not found: arn:aws:lambda:us-east-1:000000000000:function:s3-missing',
  });
});

test('an unreachable S3 endpoint is said plainly, with what to set', async () => {
  const endpoint = `http://127.0.0.1:${await closedPort()}`;
  const t = await startAlonzo({ s3Endpoint: endpoint });
  try {
    const e = await rejection(t.client.send(new CreateFunctionCommand({ FunctionName: 'nowhere', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { S3Bucket: 'deploys', S3Key: 'a.zip' } })));
    assert.equal(e.name, 'InvalidParameterValueException');
    assert.equal(e.$metadata.httpStatusCode, 400);
    assert.ok(e.message.startsWith(`Error occurred while GetObject. Alonzo could not reach S3 at ${endpoint}: `), e.message);
    assert.match(e.message, /Set --s3-endpoint \(ALONZO_S3_ENDPOINT\)/);
  } finally {
    await t.close();
  }
});
