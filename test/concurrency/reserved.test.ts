// Reserved concurrency: the Put/Get/Delete API with AWS's validation, and throttling with the right Reason through the real clients.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateFunctionCommand,
  DeleteFunctionConcurrencyCommand,
  GetFunctionCommand,
  GetFunctionConcurrencyCommand,
  InvokeCommand,
  PutFunctionConcurrencyCommand,
  GetAccountSettingsCommand,
  TooManyRequestsException,
} from '@aws-sdk/client-lambda';
import { rejection } from '../helpers/api.js';
import { CREDENTIALS } from '../helpers/sign.js';
import { startAlonzo, zipOf, ROLE, runBoto3, lambdaClient, type TestServer } from '../helpers/alonzo.js';

let s: TestServer;
before(async () => {
  s = await startAlonzo();
  const slow = await zipOf({ 'index.js': 'exports.handler = async (e) => { await new Promise((r) => setTimeout(r, e.ms ?? 300)); return "done"; };' });
  for (const name of ['slow', 'crud', 'zero']) {
    await s.client.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: slow } }));
  }
});
after(() => s.close());


test('Put/Get/Delete FunctionConcurrency, as AWS answers them', async () => {
  assert.deepEqual((await s.client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'crud', ReservedConcurrentExecutions: 0 }))).ReservedConcurrentExecutions, 0);
  const got = await s.client.send(new GetFunctionConcurrencyCommand({ FunctionName: 'crud' }));
  assert.equal(got.ReservedConcurrentExecutions, 0);
  await s.client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'crud', ReservedConcurrentExecutions: 3 }));
  const fn = await s.client.send(new GetFunctionCommand({ FunctionName: 'crud' }));
  assert.deepEqual(fn.Concurrency, { ReservedConcurrentExecutions: 3 });
  const settings = await s.client.send(new GetAccountSettingsCommand({}));
  assert.equal(settings.AccountLimit?.UnreservedConcurrentExecutions, 997);
  const del = await s.client.send(new DeleteFunctionConcurrencyCommand({ FunctionName: 'crud' }));
  assert.equal(del.$metadata.httpStatusCode, 204);
  const after = await s.client.send(new GetFunctionConcurrencyCommand({ FunctionName: 'crud' }));
  assert.equal(after.ReservedConcurrentExecutions, undefined);

  const missing = await rejection(s.client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'doesnotexist', ReservedConcurrentExecutions: 1 })));
  assert.equal(missing.name, 'ResourceNotFoundException');
  assert.equal(missing.message, 'Function not found: arn:aws:lambda:us-east-1:000000000000:function:doesnotexist:$LATEST');
  const qualified = await rejection(s.client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:crud:$LATEST', ReservedConcurrentExecutions: 1 })));
  assert.equal(qualified.name, 'InvalidParameterValueException');
  assert.match(qualified.message, /^This operation is permitted on Lambda functions only\./);
  const tooMuch = await rejection(s.client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'crud', ReservedConcurrentExecutions: 901 })));
  assert.equal(tooMuch.name, 'InvalidParameterValueException');
  assert.equal(tooMuch.message, "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [100].");
});

test('with reserved concurrency R, N > R parallel invokes: exactly N − R get the 429 with the reserved Reason', async () => {
  const R = 2;
  const N = 6;
  await s.client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'slow', ReservedConcurrentExecutions: R }));
  // Warm R environments first so that the race is about concurrency, not start-up.
  await Promise.all(Array.from({ length: R }, () => s.client.send(new InvokeCommand({ FunctionName: 'slow', Payload: '{"ms":1}' }))));
  const results = await Promise.allSettled(Array.from({ length: N }, () => s.client.send(new InvokeCommand({ FunctionName: 'slow', Payload: '{"ms":500}' }))));
  const ok = results.filter((r) => r.status === 'fulfilled');
  const throttled = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason);
  assert.equal(ok.length, R);
  assert.equal(throttled.length, N - R);
  for (const e of throttled) {
    assert.ok(e instanceof TooManyRequestsException, String(e));
    assert.equal(e.Reason, 'ReservedFunctionConcurrentInvocationLimitExceeded');
    assert.equal(e.message, 'Rate Exceeded.');
    assert.equal(e.Type, 'User');
    assert.equal(e.$metadata.httpStatusCode, 429);
    assert.equal(e.retryAfterSeconds, '1');
  }
});

test('reserved 0 throttles every invoke; the SDK retries a 429 (3 attempts) and boto3 parses its Reason', async () => {
  await s.client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'zero', ReservedConcurrentExecutions: 0 }));
  const retrying = lambdaClient(s.url, { maxAttempts: 3 });
  const e = await rejection(retrying.send(new InvokeCommand({ FunctionName: 'zero' })));
  retrying.destroy();
  assert.equal(e.name, 'TooManyRequestsException');
  assert.equal(e.$metadata.attempts, 3);
  assert.equal(e.Reason, 'ReservedFunctionConcurrentInvocationLimitExceeded');
  const py = await runBoto3(
    s.url,
    `try:
    client.invoke(FunctionName='zero')
    print(json.dumps({'ok': True}))
except client.exceptions.TooManyRequestsException as e:
    print(json.dumps({'code': e.response['Error']['Code'], 'reason': e.response.get('Reason'), 'message': e.response['Error']['Message'], 'status': e.response['ResponseMetadata']['HTTPStatusCode']}))`,
  );
  assert.equal(py.code, 0, py.stderr);
  assert.deepEqual(JSON.parse(py.stdout), { code: 'TooManyRequestsException', reason: 'ReservedFunctionConcurrentInvocationLimitExceeded', message: 'Rate Exceeded.', status: 429 });
  // boto3 with its own retries on (standard mode; botocore's max_attempts counts retries) retries the 429, then raises it with its Reason.
  const retried = await runBoto3(
    s.url,
    `c = boto3.client('lambda', endpoint_url=ENDPOINT, region_name='us-east-1', aws_access_key_id=${JSON.stringify(CREDENTIALS.accessKeyId)}, aws_secret_access_key=${JSON.stringify(CREDENTIALS.secretAccessKey)}, config=Config(retries={'mode': 'standard', 'max_attempts': 2}))
try:
    c.invoke(FunctionName='zero')
except c.exceptions.TooManyRequestsException as e:
    print(json.dumps({'reason': e.response.get('Reason'), 'retries': e.response['ResponseMetadata']['RetryAttempts']}))`,
  );
  assert.equal(retried.code, 0, retried.stderr);
  assert.deepEqual(JSON.parse(retried.stdout), { reason: 'ReservedFunctionConcurrentInvocationLimitExceeded', retries: 2 });
});
