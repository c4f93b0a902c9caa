// CreateFunction, GetFunction(Configuration), ListFunctions, UpdateFunction*, DeleteFunction checked through @aws-sdk/client-lambda against AWS's recordings (aws-oracle api-functions).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetAccountSettingsCommand,
  GetAliasCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  ListFunctionsCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionActiveV2,
  waitUntilFunctionUpdatedV2,
  waitUntilPublishedVersionActive,
  type FunctionConfiguration,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { startAlonzo, zipOf, ROLE, type TestServer } from '../helpers/alonzo.js';
import {
  KEYS, UUID_RE, ECHO_JS, arnOf, assertKeys, assertDefaults, assertAwsError, assertWireError, rejection, raw, sha256b64, createFunction, waitUpdated,
} from '../helpers/api.js';

let s: TestServer;
let client: LambdaClient;
before(async () => {
  s = await startAlonzo();
  client = s.client;
});
after(() => s.close());

const RUNTIME_ENUM = '[nodejs20.x, python3.14, provided.al2023, python3.12, python3.13, nodejs24.x, nodejs22.x, java25, python3.10, python3.11, java21, ruby3.3, ruby3.4, ruby3.2, python3.8, python3.9, java17, nodejs16.x, dotnet10, dotnet8, java11, dotnet6, nodejs18.x, provided.al2, java8.al2]';
const STRICT_NAME_PATTERN = '(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?';
const LOOSE_NAME_PATTERN = '(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST(\\.PUBLISHED)?|[a-zA-Z0-9-_]+))?';
const notFound = (name: string, q?: string) => ({ name: 'ResourceNotFoundException', status: 404, message: `Function not found: ${arnOf(name, q)}`, typed: true });

async function assertGone(name: string): Promise<void> {
  await assertAwsError(client.send(new GetFunctionCommand({ FunctionName: name })), notFound(name));
}

// ---- CreateFunction ---------------------------------------------------------------------------------------------

test('CreateFunction with every field returns 201 and AWS\'s FunctionConfiguration (Pending)', async () => {
  const zip = await zipOf({ 'index.js': ECHO_JS });
  const r = await client.send(new CreateFunctionCommand({
    FunctionName: 'fn-full',
    Runtime: 'nodejs20.x',
    Handler: 'index.handler',
    Role: ROLE,
    Code: { ZipFile: zip },
    Timeout: 10,
    MemorySize: 256,
    Environment: { Variables: { FOO: 'bar' } },
    Description: 'demo fn',
    Publish: false,
    DeadLetterConfig: { TargetArn: 'arn:aws:sqs:us-east-1:000000000000:dlq' },
    Architectures: ['arm64'],
    Tags: { team: 'alonzo' },
  }));
  assert.equal(r.$metadata.httpStatusCode, 201);
  assert.match(String(r.$metadata.requestId), UUID_RE);
  assertKeys(r, KEYS.created, 'Environment', 'DeadLetterConfig');
  assertDefaults(r as unknown as Record<string, unknown>, 'fn-full');
  assert.equal(r.FunctionArn, arnOf('fn-full'));
  assert.equal(r.Runtime, 'nodejs20.x');
  assert.equal(r.Handler, 'index.handler');
  assert.equal(r.Role, ROLE);
  assert.equal(r.Timeout, 10);
  assert.equal(r.MemorySize, 256);
  assert.equal(r.Description, 'demo fn');
  assert.deepEqual(r.Environment, { Variables: { FOO: 'bar' } });
  assert.deepEqual(r.DeadLetterConfig, { TargetArn: 'arn:aws:sqs:us-east-1:000000000000:dlq' });
  assert.deepEqual(r.Architectures, ['arm64']);
  assert.equal(r.Version, '$LATEST');
  assert.equal(r.CodeSha256, sha256b64(zip));
  assert.equal(r.CodeSize, zip.length);
  assert.equal(r.State, 'Pending');
  assert.equal(r.StateReason, 'The function is being created.');
  assert.equal(r.StateReasonCode, 'Creating');

  // Pending → Active with a new RevisionId, LastUpdateStatus Successful (TestLambdaBaseFeatures::test_function_state).
  const got = await waitUpdated(client, 'fn-full');
  assertKeys(got.Configuration!, KEYS.active, 'Environment', 'DeadLetterConfig');
  assert.notEqual(got.Configuration!.RevisionId, r.RevisionId);
  assert.equal(got.Configuration!.LastModified, r.LastModified);
  // Tags are not part of the FunctionConfiguration; GetFunction shows them beside it.
  assert.deepEqual(got.Tags, { team: 'alonzo' });
});

test('the SDK waiters (function-active-v2, function-updated-v2, published-version-active) see the function settle', async () => {
  const name = 'fn-waiters';
  await createFunction(client, name);
  const active = await waitUntilFunctionActiveV2({ client, maxWaitTime: 10, minDelay: 1 }, { FunctionName: name });
  assert.equal(active.state, 'SUCCESS');
  await client.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, MemorySize: 1024 }));
  const updated = await waitUntilFunctionUpdatedV2({ client, maxWaitTime: 10, minDelay: 1 }, { FunctionName: name });
  assert.equal(updated.state, 'SUCCESS');
  const v = await client.send(new PublishVersionCommand({ FunctionName: name }));
  const published = await waitUntilPublishedVersionActive({ client, maxWaitTime: 10, minDelay: 1 }, { FunctionName: name, Qualifier: v.Version });
  assert.equal(published.state, 'SUCCESS');
});

test('CreateFunction defaults: Timeout 3, MemorySize 128, x86_64, empty Description, no Environment', async () => {
  const r = await createFunction(client, 'fn-defaults');
  assertKeys(r, KEYS.created);
  assert.equal(r.Timeout, 3);
  assert.equal(r.MemorySize, 128);
  assert.deepEqual(r.Architectures, ['x86_64']);
  assert.equal(r.Description, '');
  // Environment is echoed only when given; an empty map is echoed as such (test_function_lifecycle).
  const e = await createFunction(client, 'fn-empty-env', { Environment: { Variables: {} } });
  assertKeys(e, KEYS.created, 'Environment');
  assert.deepEqual(e.Environment, { Variables: {} });
});

test('CreateFunction with Publish answers Version "1" on the unqualified ARN (test_list_functions create_response_1)', async () => {
  const r = await createFunction(client, 'fn-publish-on-create', { Publish: true });
  assert.equal(r.$metadata.httpStatusCode, 201);
  assertKeys(r, KEYS.created);
  assert.equal(r.Version, '1');
  assert.equal(r.FunctionArn, arnOf('fn-publish-on-create'));
  assert.equal(r.State, 'Pending');
  const v1 = await waitUpdated(client, 'fn-publish-on-create', '1');
  assert.equal(v1.Configuration!.FunctionArn, arnOf('fn-publish-on-create', '1'));
});

test('CreateFunction accepts a full ARN and a partial ARN and keeps only the name (test_function_arns)', async () => {
  const full = await createFunction(client, arnOf('fn-arn-full'));
  assert.equal(full.FunctionName, 'fn-arn-full');
  assert.equal(full.FunctionArn, arnOf('fn-arn-full'));
  assertKeys(full, KEYS.created);
  const partial = await createFunction(client, '000000000000:function:fn-arn-partial');
  assert.equal(partial.FunctionName, 'fn-arn-partial');
  assert.equal(partial.FunctionArn, arnOf('fn-arn-partial'));
});

test('CreateFunction name errors: pattern, 64-char name, 140-char ARN, other region, other account (test_function_arns)', async () => {
  await assertAwsError(createFunction(client, 'invalid:function:name'), {
    name: 'ValidationException', status: 400,
    message: `1 validation error detected: Value 'invalid:function:name' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${STRICT_NAME_PATTERN}`,
  });
  const long = 'a'.repeat(65);
  await assertAwsError(createFunction(client, long), {
    name: 'InvalidParameterValueException', status: 400, typed: true,
    message: `1 validation error detected: Value '${long}' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 64`,
  });
  const longArn = `arn:aws:lambda:us-east-1:000000000000:function:${'a'.repeat(140 - 47 + 1)}`;
  assert.equal(longArn.length, 141);
  await assertAwsError(createFunction(client, longArn), {
    name: 'ValidationException', status: 400,
    message: `1 validation error detected: Value '${longArn}' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 140`,
  });
  await assertAwsError(createFunction(client, 'arn:aws:lambda:ap-southeast-1:000000000000:function:fn-other-region'), {
    name: 'ResourceNotFoundException', status: 404, typed: true,
    message: "Functions from 'ap-southeast-1' are not reachable in this region ('us-east-1')",
  });
  const denied = await rejection(createFunction(client, 'arn:aws:lambda:us-east-1:123456789012:function:fn-other-account'));
  assert.equal(denied.name, 'AccessDeniedException');
  assert.equal(denied.$metadata.httpStatusCode, 403);

  // Body casing on the wire: InvalidParameterValue has `message`, ResourceNotFound `Message`, AccessDenied a null Message.
  const body = { FunctionName: long, Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: (await zipOf({ 'index.js': ECHO_JS })).toString('base64') } };
  assertWireError(await raw(s.url, 'POST', '/2015-03-31/functions', body), 400, 'InvalidParameterValueException', {
    Type: 'User', message: `1 validation error detected: Value '${long}' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 64`,
  });
  assertWireError(await raw(s.url, 'POST', '/2015-03-31/functions', { ...body, FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:x' }), 403, 'AccessDeniedException', { Message: null });
  assertWireError(await raw(s.url, 'POST', '/2015-03-31/functions', { ...body, FunctionName: 'invalid:function:name' }), 400, 'ValidationException', {
    message: `1 validation error detected: Value 'invalid:function:name' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${STRICT_NAME_PATTERN}`,
  });
  await assertGone('fn-other-region');
  await assertGone('fn-other-account');
});

test('CreateFunction validation errors leave nothing behind (test_create_lambda_exceptions)', async () => {
  const name = 'fn-invalid';
  await assertAwsError(createFunction(client, name, { Role: 'r1' }), {
    name: 'ValidationException', status: 400,
    message: "1 validation error detected: Value 'r1' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+",
  });
  for (const rt of ['non-existent-runtime', 'PYTHON3.9']) {
    await assertAwsError(createFunction(client, name, { Runtime: rt as 'nodejs20.x' }), {
      name: 'InvalidParameterValueException', status: 400, typed: true,
      message: `Value ${rt} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: ${RUNTIME_ENUM} or be a valid ARN`,
    });
  }
  // botocore rejects an empty list itself; SDK v3 sends it, and the model's constraint answers.
  await assertAwsError(createFunction(client, name, { Architectures: [] }), {
    name: 'ValidationException', status: 400,
    message: "1 validation error detected: Value '[]' at 'architectures' failed to satisfy constraint: Member must have length greater than or equal to 1",
  });
  await assertAwsError(createFunction(client, name, { Architectures: ['x86_64', 'arm64'] }), {
    name: 'ValidationException', status: 400,
    message: "1 validation error detected: Value '[x86_64, arm64]' at 'architectures' failed to satisfy constraint: Member must have length less than or equal to 1",
  });
  await assertAwsError(createFunction(client, name, { Architectures: ['X86_64' as 'x86_64'] }), {
    name: 'ValidationException', status: 400,
    message: "1 validation error detected: Value '[X86_64]' at 'architectures' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64], Member must not be null]",
  });
  // Environment: the key pattern (a sensitive member, so no value is quoted), reserved keys, the 4 KB limit.
  await assertAwsError(createFunction(client, name, { Environment: { Variables: { A: 'single-letter keys fail the pattern' } } }), {
    name: 'ValidationException', status: 400,
    message: "1 validation error detected: Value at 'environment.variables' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]",
  });
  await assertAwsError(createFunction(client, name, { Environment: { Variables: { AWS_REGION: 'eu-west-1' } } }), {
    name: 'InvalidParameterValueException', status: 400, typed: true,
    message: 'Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: AWS_REGION',
  });
  const big = await rejection(createFunction(client, name, { Environment: { Variables: { BIG: 'x'.repeat(4100) } } }));
  assert.equal(big.name, 'InvalidParameterValueException');
  assert.match(big.message, /^Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit\. String measured: /);
  await assertAwsError(createFunction(client, name, { Code: { ZipFile: Buffer.from('this is not a zipfile, just a random string') } }), {
    name: 'InvalidParameterValueException', status: 400, typed: true,
    message: 'Could not unzip uploaded file. Please check your file, then try to upload again.',
  });
  await assertGone(name);
});

test('CreateFunction with a deprecated runtime is refused (TestRuntimeValidation)', async () => {
  for (const rt of ['java8', 'go1.x', 'provided', 'ruby2.7', 'nodejs14.x', 'python3.7', 'dotnetcore3.1', 'nodejs12.x']) {
    await assertAwsError(createFunction(client, 'fn-deprecated', { Runtime: rt as 'nodejs20.x' }), {
      name: 'InvalidParameterValueException', status: 400, typed: true,
      message: `The runtime parameter of ${rt} is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions.`,
    });
  }
  await assertGone('fn-deprecated');
});

test('CreateFunction of an existing name is a 409 and leaves the function as it was', async () => {
  const first = await createFunction(client, 'fn-dup', { Description: 'first' });
  await waitUpdated(client, 'fn-dup');
  await assertAwsError(createFunction(client, 'fn-dup', { Description: 'second' }), {
    name: 'ResourceConflictException', status: 409, typed: true, message: 'Function already exist: fn-dup',
  });
  const got = await client.send(new GetFunctionConfigurationCommand({ FunctionName: 'fn-dup' }));
  assert.equal(got.Description, 'first');
  assert.equal(got.CodeSha256, first.CodeSha256);
});

test('a request body that is not JSON is InvalidRequestContentException, not a crash', async () => {
  const r = await raw(s.url, 'POST', '/2015-03-31/functions', '{not json');
  assert.equal(r.status, 400);
  assert.equal(r.headers.get('x-amzn-errortype'), 'InvalidRequestContentException');
  assert.equal(r.json?.Type, 'User');
  assert.match(String(r.json?.message), /^Could not parse request body into json: /);
  assert.doesNotMatch(r.text, /\n\s+at /);
});

// ---- the whole lifecycle ----------------------------------------------------------------------------------------

test('function lifecycle: create, get, update configuration, update code, delete (test_function_lifecycle)', async () => {
  const name = 'fn-lifecycle';
  const zip1 = await zipOf({ 'index.js': ECHO_JS });
  const created = await createFunction(client, name, { MemorySize: 256, Timeout: 5, Environment: { Variables: {} } });
  assertKeys(created, KEYS.created, 'Environment');
  assert.equal(created.State, 'Pending');

  const got = await waitUpdated(client, name);
  assert.equal(got.$metadata.httpStatusCode, 200);
  assert.deepEqual(Object.keys(got).filter((k) => k !== '$metadata').sort(), ['Code', 'Configuration']);
  assert.equal(got.Code!.RepositoryType, 'S3');
  assertKeys(got.Configuration!, KEYS.active, 'Environment');
  assertDefaults(got.Configuration as Record<string, unknown>, name);
  assert.equal(got.Configuration!.State, 'Active');
  assert.equal(got.Configuration!.LastUpdateStatus, 'Successful');
  assert.equal(got.Configuration!.CodeSha256, sha256b64(zip1));
  assert.equal(got.Configuration!.FunctionArn, arnOf(name));

  const upd = await client.send(new UpdateFunctionConfigurationCommand({
    FunctionName: name, Runtime: 'nodejs22.x', Description: 'Changed-Description', MemorySize: 512, Timeout: 10, Environment: { Variables: { ENV_A: 'a' } },
  }));
  assert.equal(upd.$metadata.httpStatusCode, 200);
  assertKeys(upd, KEYS.updating, 'Environment');
  assert.equal(upd.State, 'Active');
  assert.equal(upd.LastUpdateStatus, 'InProgress');
  assert.equal(upd.LastUpdateStatusReason, 'The function is being created.');
  assert.equal(upd.LastUpdateStatusReasonCode, 'Creating');
  assert.equal(upd.Runtime, 'nodejs22.x');
  assert.equal(upd.Description, 'Changed-Description');
  assert.equal(upd.MemorySize, 512);
  assert.equal(upd.Timeout, 10);
  assert.deepEqual(upd.Environment, { Variables: { ENV_A: 'a' } });
  assert.equal(upd.CodeSha256, sha256b64(zip1));
  assert.notEqual(upd.RevisionId, got.Configuration!.RevisionId);

  const afterConf = await waitUpdated(client, name);
  assertKeys(afterConf.Configuration!, KEYS.active, 'Environment');
  assert.notEqual(afterConf.Configuration!.RevisionId, upd.RevisionId);
  assert.equal(afterConf.Configuration!.MemorySize, 512);

  const zip2 = await zipOf({ 'index.js': 'exports.handler = async () => 2;\n' });
  const code = await client.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: zip2 }));
  assertKeys(code, KEYS.updating, 'Environment');
  assert.equal(code.CodeSha256, sha256b64(zip2));
  assert.equal(code.CodeSize, zip2.length);
  assert.equal(code.LastUpdateStatus, 'InProgress');
  assert.equal(code.Description, 'Changed-Description');
  const afterCode = await waitUpdated(client, name);
  assert.equal(afterCode.Configuration!.CodeSha256, sha256b64(zip2));

  const del = await client.send(new DeleteFunctionCommand({ FunctionName: name }));
  assert.equal(del.$metadata.httpStatusCode, 204);
  assert.equal(del.StatusCode, 204);
  await assertAwsError(client.send(new DeleteFunctionCommand({ FunctionName: name })), notFound(name));
  assertWireError(await raw(s.url, 'DELETE', `/2015-03-31/functions/${name}`), 404, 'ResourceNotFoundException', { Type: 'User', Message: `Function not found: ${arnOf(name)}` });
});

test('redundant configuration updates are accepted and still go through InProgress (test_redundant_updates)', async () => {
  const name = 'fn-redundant';
  await createFunction(client, name, { Description: 'Initial description' });
  await waitUpdated(client, name);
  const first = await client.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Description: '1st update description' }));
  assert.equal(first.LastUpdateStatus, 'InProgress');
  const conf = (await waitUpdated(client, name)).Configuration!;
  const viaConfig = await client.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
  assertKeys(viaConfig, KEYS.active);
  assert.equal(viaConfig.RevisionId, conf.RevisionId);
  const again = await client.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Description: '1st update description' }));
  assertKeys(again, KEYS.updating);
  assert.equal(again.LastUpdateStatus, 'InProgress');
  assert.notEqual(again.RevisionId, conf.RevisionId);
  const settled = (await waitUpdated(client, name)).Configuration!;
  assert.notEqual(settled.RevisionId, again.RevisionId);
  assert.equal(settled.Description, '1st update description');
});

test('UpdateFunctionConfiguration errors change nothing (test_update_lambda_exceptions)', async () => {
  const name = 'fn-update-errors';
  await createFunction(client, name);
  const before = (await waitUpdated(client, name)).Configuration!;
  await assertAwsError(client.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Role: 'r1' })), {
    name: 'ValidationException', status: 400,
    message: "1 validation error detected: Value 'r1' at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:(aws[a-zA-Z-]*)?:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+",
  });
  for (const rt of ['non-existent-runtime', 'PYTHON3.9']) {
    await assertAwsError(client.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Runtime: rt as 'nodejs20.x' })), {
      name: 'InvalidParameterValueException', status: 400, typed: true,
      message: `Value ${rt} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: ${RUNTIME_ENUM} or be a valid ARN`,
    });
  }
  // A valid field next to an invalid one is not applied either.
  await assertAwsError(client.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Description: 'changed', Timeout: 0 })), {
    name: 'ValidationException', status: 400,
    message: "1 validation error detected: Value '0' at 'timeout' failed to satisfy constraint: Member must have value greater than or equal to 1",
  });
  await assertAwsError(client.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Description: 'changed', RevisionId: 'wrong' })), {
    name: 'PreconditionFailedException', status: 412, typed: true,
    message: 'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
  });
  await assertAwsError(client.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: Buffer.from('not a zip') })), {
    name: 'InvalidParameterValueException', status: 400, typed: true,
    message: 'Could not unzip uploaded file. Please check your file, then try to upload again.',
  });
  await assertAwsError(client.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: await zipOf({ 'index.js': 'x' }), RevisionId: 'wrong' })), {
    name: 'PreconditionFailedException', status: 412, typed: true,
    message: 'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
  });
  const after = await client.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
  assert.equal(after.RevisionId, before.RevisionId);
  assert.equal(after.Description, '');
  assert.equal(after.CodeSha256, before.CodeSha256);
  assertWireError(await raw(s.url, 'PUT', `/2015-03-31/functions/${name}/configuration`, { RevisionId: 'wrong' }), 412, 'PreconditionFailedException', {
    Type: 'User', message: 'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
  });
});

test('RevisionId: the right one is accepted, and every write and settle changes it (test_function_revisions_basic)', async () => {
  const name = 'fn-revisions';
  const rev1 = (await createFunction(client, name)).RevisionId;
  const rev2 = (await waitUpdated(client, name)).Configuration!.RevisionId;
  assert.notEqual(rev1, rev2);
  const rev3 = (await client.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: await zipOf({ 'index.js': ECHO_JS }), RevisionId: rev2 }))).RevisionId;
  assert.notEqual(rev3, rev2);
  const rev4 = (await waitUpdated(client, name)).Configuration!.RevisionId;
  assert.notEqual(rev4, rev3);
  const rev5 = (await client.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Timeout: 7, RevisionId: rev4 }))).RevisionId;
  assert.notEqual(rev5, rev4);
  const rev6 = (await waitUpdated(client, name)).Configuration!.RevisionId;
  assert.notEqual(rev6, rev5);
  for (const r of [rev1, rev2, rev3, rev4, rev5, rev6]) assert.match(String(r), UUID_RE);
});

test('UpdateFunctionCode on a qualified name is refused', async () => {
  const name = 'fn-code-qualified';
  await createFunction(client, name, { Publish: true });
  await waitUpdated(client, name);
  await assertAwsError(client.send(new UpdateFunctionCodeCommand({ FunctionName: `${name}:1`, ZipFile: await zipOf({ 'index.js': ECHO_JS }) })), {
    name: 'InvalidParameterValueException', status: 400, typed: true,
    message: 'Current operation does not support versions other than $LATEST. Please set version to $LATEST or do not set a version in your request.',
  });
});

test('a second code update while one is in progress gets 409 (test_lambda_concurrent_code_updates)', async () => {
  const name = 'fn-concurrent';
  await createFunction(client, name);
  await waitUpdated(client, name);
  // Distinct, incompressible packages so that each update really unpacks while the others arrive.
  const zips = await Promise.all([0, 1, 2, 3].map(() => zipOf(Object.fromEntries([0, 1, 2, 3, 4, 5, 6, 7].map((i) => [`f${i}.bin`, randomBytes(128 * 1024)])))));
  const results = await Promise.allSettled(zips.map((z) => client.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: z }))));
  const ok = results.filter((r) => r.status === 'fulfilled');
  const conflicts = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  assert.ok(ok.length >= 1, 'one update goes through');
  assert.ok(conflicts.length >= 1, 'a concurrent one is refused');
  for (const c of conflicts) {
    assert.equal(c.reason.name, 'ResourceConflictException');
    assert.equal(c.reason.$metadata.httpStatusCode, 409);
    assert.equal(c.reason.message, `The operation cannot be performed at this time. An update is in progress for resource: ${arnOf(name)}`);
  }
  await waitUpdated(client, name);
});

// ---- GetFunction --------------------------------------------------------------------------------------------------

test('GetFunction Code.Location downloads the exact zip; CodeSha256 is base64 SHA-256, CodeSize its length (test_lambda_code_location_zipfile)', async () => {
  const name = 'fn-code-location';
  const zip1 = await zipOf({ 'index.js': ECHO_JS, 'lib/data.txt': 'first' });
  const created = await client.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: zip1 } }));
  assertKeys(created, KEYS.created);
  const got = await client.send(new GetFunctionCommand({ FunctionName: name }));
  const dl = await fetch(got.Code!.Location!);
  assert.equal(dl.status, 200);
  assert.deepEqual(Buffer.from(await dl.arrayBuffer()), zip1);
  assert.equal(got.Configuration!.CodeSha256, sha256b64(zip1));
  assert.equal(got.Configuration!.CodeSize, zip1.length);

  const zip2 = await zipOf({ 'index.js': ECHO_JS, 'lib/data.txt': 'second' });
  const upd = await client.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: zip2 }));
  assertKeys(upd, KEYS.updating);
  const got2 = await client.send(new GetFunctionCommand({ FunctionName: name }));
  assert.deepEqual(Buffer.from(await (await fetch(got2.Code!.Location!)).arrayBuffer()), zip2);
  assert.equal(got2.Configuration!.CodeSha256, sha256b64(zip2));
  assert.notEqual(got2.Configuration!.CodeSha256, got.Configuration!.CodeSha256);
  assert.equal(got2.Configuration!.CodeSize, zip2.length);
});

test('GetFunction / GetFunctionConfiguration / DeleteFunction on a missing function: 404 with the unqualified ARN (test_ops_on_nonexisting_fn)', async () => {
  const name = 'i-dont-exist-x1';
  await assertAwsError(client.send(new GetFunctionCommand({ FunctionName: name })), notFound(name));
  await assertAwsError(client.send(new GetFunctionConfigurationCommand({ FunctionName: name })), notFound(name));
  await assertAwsError(client.send(new DeleteFunctionCommand({ FunctionName: name })), notFound(name));
  assertWireError(await raw(s.url, 'GET', `/2015-03-31/functions/${name}`), 404, 'ResourceNotFoundException', { Type: 'User', Message: `Function not found: ${arnOf(name)}` });
});

test('a missing version of an existing function is a 404 naming the version (test_ops_on_nonexisting_version)', async () => {
  const name = 'i-exist-version';
  await createFunction(client, name, { Description: 'Initial description' });
  await assertAwsError(client.send(new GetFunctionCommand({ FunctionName: name, Qualifier: '1221' })), notFound(name, '1221'));
  await assertAwsError(client.send(new GetFunctionConfigurationCommand({ FunctionName: name, Qualifier: '1221' })), notFound(name, '1221'));
});

test('a qualifier in the name must match the Qualifier parameter (test_ops_with_arn_qualifier_mismatch)', async () => {
  const mismatch = { name: 'InvalidParameterValueException', status: 400, typed: true, message: 'The derived qualifier from the function name does not match the specified qualifier.' };
  const v1 = arnOf('some-function', '1');
  const latest = arnOf('some-function', '$LATEST');
  await assertAwsError(client.send(new DeleteFunctionCommand({ FunctionName: v1, Qualifier: '$LATEST' })), mismatch);
  await assertAwsError(client.send(new GetFunctionCommand({ FunctionName: v1, Qualifier: '$LATEST' })), mismatch);
  await assertAwsError(client.send(new GetFunctionConfigurationCommand({ FunctionName: v1, Qualifier: '$LATEST' })), mismatch);
  await assertAwsError(client.send(new DeleteFunctionCommand({ FunctionName: latest, Qualifier: '$LATEST' })), {
    name: 'InvalidParameterValueException', status: 400, typed: true, message: '$LATEST version cannot be deleted without deleting the function.',
  });
  await assertAwsError(client.send(new GetFunctionCommand({ FunctionName: latest, Qualifier: '$LATEST' })), notFound('some-function', '$LATEST'));
  await assertAwsError(client.send(new GetFunctionConfigurationCommand({ FunctionName: latest, Qualifier: '$LATEST' })), notFound('some-function', '$LATEST'));
  // The same on the wire, with the qualifier in both places (as all clients send it).
  assertWireError(await raw(s.url, 'GET', `/2015-03-31/functions/${encodeURIComponent(v1)}?Qualifier=%24LATEST`), 400, 'InvalidParameterValueException', {
    Type: 'User', message: mismatch.message,
  });
});

test('a FunctionName from another region is unreachable (test_get_function_wrong_region)', async () => {
  const name = 'i-exist-region';
  await createFunction(client, name);
  const other = `arn:aws:lambda:eu-central-1:000000000000:function:${name}`;
  const want = { name: 'ResourceNotFoundException', status: 404, typed: true, message: "Functions from 'eu-central-1' are not reachable in this region ('us-east-1')" };
  await assertAwsError(client.send(new GetFunctionCommand({ FunctionName: other })), want);
  await assertAwsError(client.send(new GetFunctionConfigurationCommand({ FunctionName: other })), want);
  await assertAwsError(client.send(new DeleteFunctionCommand({ FunctionName: other })), want);
  await client.send(new GetFunctionCommand({ FunctionName: name }));
});

test('a FunctionName that fails the pattern is a ValidationException quoting the Get pattern (test_invalid_invoke)', async () => {
  const bad = 'arn:aws:lambda:us-east-1:123400000000@function:myfn';
  await assertAwsError(client.send(new GetFunctionCommand({ FunctionName: bad })), {
    name: 'ValidationException', status: 400,
    message: `1 validation error detected: Value '${bad}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${LOOSE_NAME_PATTERN}`,
  });
});

test('GetFunction with Qualifier: $LATEST gets the :$LATEST ARN, a version its own (test_publish_version_on_create)', async () => {
  const name = 'fn-get-qualified';
  await createFunction(client, name, { Publish: true });
  await waitUpdated(client, name);
  const plain = await client.send(new GetFunctionCommand({ FunctionName: name }));
  const latest = await client.send(new GetFunctionCommand({ FunctionName: name, Qualifier: '$LATEST' }));
  const one = await client.send(new GetFunctionCommand({ FunctionName: name, Qualifier: '1' }));
  assert.equal(plain.Configuration!.FunctionArn, arnOf(name));
  assert.equal(latest.Configuration!.FunctionArn, arnOf(name, '$LATEST'));
  assert.equal(latest.Configuration!.Version, '$LATEST');
  assert.equal(latest.Configuration!.RevisionId, plain.Configuration!.RevisionId);
  assert.equal(one.Configuration!.FunctionArn, arnOf(name, '1'));
  assert.equal(one.Configuration!.Version, '1');
  for (const r of [plain, latest, one]) assertKeys(r.Configuration!, KEYS.active);
  // name:1 in the path works the same as ?Qualifier=1.
  const inName = await client.send(new GetFunctionConfigurationCommand({ FunctionName: `${name}:1` }));
  assert.equal(inName.FunctionArn, arnOf(name, '1'));
  assert.equal(inName.RevisionId, one.Configuration!.RevisionId);
});

// ---- DeleteFunction -----------------------------------------------------------------------------------------------

test('DeleteFunction of a missing version is a no-op; once the function is gone both forms 404 (test_delete_on_nonexisting_version)', async () => {
  const name = 'i-exist-delete';
  await createFunction(client, name, { Description: 'Initial description' });
  const a = await client.send(new DeleteFunctionCommand({ FunctionName: name, Qualifier: '1233' }));
  assert.equal(a.$metadata.httpStatusCode, 204);
  await client.send(new DeleteFunctionCommand({ FunctionName: name, Qualifier: '1233' }));
  await client.send(new GetFunctionCommand({ FunctionName: name }));
  await client.send(new DeleteFunctionCommand({ FunctionName: name }));
  await assertAwsError(client.send(new DeleteFunctionCommand({ FunctionName: name })), notFound(name));
  await assertAwsError(client.send(new DeleteFunctionCommand({ FunctionName: name, Qualifier: '1233' })), notFound(name));
});

test('DeleteFunction forms: Qualifier=N deletes that version only, name:N the same, $LATEST is refused', async () => {
  const name = 'fn-delete-forms';
  await createFunction(client, name, { Publish: true });
  await waitUpdated(client, name);
  await client.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Description: 'two' }));
  await waitUpdated(client, name);
  await client.send(new PublishVersionCommand({ FunctionName: name }));
  const versions = async () => (await client.send(new ListVersionsByFunctionCommand({ FunctionName: name }))).Versions!.map((v) => v.Version);
  assert.deepEqual(await versions(), ['$LATEST', '1', '2']);
  await assertAwsError(client.send(new DeleteFunctionCommand({ FunctionName: name, Qualifier: '$LATEST' })), {
    name: 'InvalidParameterValueException', status: 400, typed: true, message: '$LATEST version cannot be deleted without deleting the function.',
  });
  await client.send(new DeleteFunctionCommand({ FunctionName: name, Qualifier: '1' }));
  assert.deepEqual(await versions(), ['$LATEST', '2']);
  await client.send(new DeleteFunctionCommand({ FunctionName: `${name}:2` }));
  assert.deepEqual(await versions(), ['$LATEST']);
  await assertAwsError(client.send(new GetFunctionCommand({ FunctionName: name, Qualifier: '2' })), notFound(name, '2'));
  // Deleting the function takes its versions and aliases with it; the name can be reused (TestLambdaCleanup::test_recreate_function).
  await client.send(new DeleteFunctionCommand({ FunctionName: name }));
  const again = await createFunction(client, name);
  assert.equal(again.State, 'Pending');
  assert.equal(again.Version, '$LATEST');
  assert.deepEqual(await versions(), ['$LATEST']);
});

// ---- ListFunctions ------------------------------------------------------------------------------------------------

async function listAll(params: { FunctionVersion?: 'ALL' }, pageSize: number): Promise<FunctionConfiguration[]> {
  const out: FunctionConfiguration[] = [];
  let marker: string | undefined;
  do {
    const page = await client.send(new ListFunctionsCommand({ ...params, MaxItems: pageSize, Marker: marker }));
    assert.ok(page.Functions!.length <= pageSize);
    if (page.NextMarker) assert.equal(page.Functions!.length, pageSize);
    out.push(...page.Functions!);
    marker = page.NextMarker;
  } while (marker);
  return out;
}

test('ListFunctions: FunctionVersion=ALL adds versions and suffixes $LATEST; paging with Marker/MaxItems (test_list_functions)', async () => {
  const fn1 = 'list-fn-1-a';
  const fn2 = 'list-fn-2-a';
  const c1 = await createFunction(client, fn1, { Publish: true });
  assert.equal(c1.Version, '1');
  const c2 = await createFunction(client, fn2);
  assert.equal(c2.Version, '$LATEST');
  await waitUpdated(client, fn1);
  await waitUpdated(client, fn2);

  await assertAwsError(client.send(new ListFunctionsCommand({ FunctionVersion: 'invalid' as 'ALL' })), {
    name: 'ValidationException', status: 400,
    message: "1 validation error detected: Value 'invalid' at 'functionVersion' failed to satisfy constraint: Member must satisfy enum value set: [ALL]",
  });

  const mine = (fs: FunctionConfiguration[]) => fs.filter((f) => f.FunctionName === fn1 || f.FunctionName === fn2).sort((a, b) => a.FunctionArn!.localeCompare(b.FunctionArn!));
  const all = mine(await listAll({ FunctionVersion: 'ALL' }, 1));
  assert.deepEqual(all.map((f) => f.FunctionArn), [arnOf(fn1, '$LATEST'), arnOf(fn1, '1'), arnOf(fn2, '$LATEST')]);
  assert.deepEqual(all.map((f) => f.Version), ['$LATEST', '1', '$LATEST']);
  for (const f of all) {
    assertKeys(f, KEYS.listed);
    assertDefaults(f as Record<string, unknown>, f.FunctionName!);
  }
  const def = mine(await listAll({}, 1));
  assert.deepEqual(def.map((f) => f.FunctionArn), [arnOf(fn1), arnOf(fn2)]);
  for (const f of def) assertKeys(f, KEYS.listed);
  // Same entries in one page as in pages of one.
  assert.deepEqual(mine((await client.send(new ListFunctionsCommand({}))).Functions!).map((f) => f.RevisionId), def.map((f) => f.RevisionId));
});

test('ListFunctions returns at most 50 per page even when MaxItems asks for more', async () => {
  await Promise.all(Array.from({ length: 52 }, (_, i) => createFunction(client, `fn-many-${String(i).padStart(2, '0')}`)));
  const page = await client.send(new ListFunctionsCommand({ MaxItems: 1000 }));
  assert.equal(page.Functions!.length, 50);
  assert.ok(page.NextMarker);
  const unpaged = await client.send(new ListFunctionsCommand({}));
  assert.equal(unpaged.Functions!.length, 50);
  await assertAwsError(client.send(new ListFunctionsCommand({ MaxItems: 0 })), {
    name: 'ValidationException', status: 400,
    message: "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1",
  });
  await Promise.all(Array.from({ length: 52 }, (_, i) => client.send(new DeleteFunctionCommand({ FunctionName: `fn-many-${String(i).padStart(2, '0')}` }))));
});

// ---- the wire: paths, encodings, request ids, unknown routes -------------------------------------------------------

test('paths: trailing slashes and percent-encoded names, qualifiers and $ are accepted (WIRE.md §0)', async () => {
  const name = 'fn-wire-paths';
  await createFunction(client, name, { Publish: true });
  await waitUpdated(client, name);
  const list = await raw(s.url, 'GET', '/2015-03-31/functions/');
  assert.equal(list.status, 200);
  assert.ok(Array.isArray(list.json?.Functions));
  assert.equal((await raw(s.url, 'GET', '/2015-03-31/functions')).status, 200);
  const cases: [string, string][] = [
    [`/2015-03-31/functions/${name}`, arnOf(name)],
    [`/2015-03-31/functions/${name}/`, arnOf(name)],
    [`/2015-03-31/functions/${encodeURIComponent(arnOf(name))}`, arnOf(name)],
    [`/2015-03-31/functions/${name}%3A1`, arnOf(name, '1')],
    [`/2015-03-31/functions/${name}%3A%24LATEST?Qualifier=%24LATEST`, arnOf(name, '$LATEST')],
    [`/2015-03-31/functions/000000000000%3Afunction%3A${name}?Qualifier=1`, arnOf(name, '1')],
    [`/2015-03-31/functions/${encodeURIComponent(arnOf(name, '1'))}`, arnOf(name, '1')],
  ];
  for (const [path, arn] of cases) {
    const r = await raw(s.url, 'GET', path);
    assert.equal(r.status, 200, path);
    assert.equal((r.json?.Configuration as { FunctionArn: string }).FunctionArn, arn, path);
  }
  const conf = await raw(s.url, 'GET', `/2015-03-31/functions/${name}%3A1/configuration/`);
  assert.equal(conf.json?.FunctionArn, arnOf(name, '1'));
});

test('every response carries x-amzn-RequestId as a fresh lowercase UUID; JSON ones Content-Type application/json', async () => {
  const name = 'fn-wire-ids';
  const created = await createFunction(client, name);
  const got = await client.send(new GetFunctionCommand({ FunctionName: name }));
  const failed = await rejection(client.send(new GetFunctionCommand({ FunctionName: 'fn-wire-missing' })));
  const ids = [created.$metadata.requestId, got.$metadata.requestId, failed.$metadata.requestId];
  for (const path of ['/2015-03-31/functions', '/2016-08-19/account-settings', '/2015-03-31/nope', `/2015-03-31/functions/${name}/versions`]) {
    const r = await raw(s.url, 'GET', path);
    ids.push(r.headers.get('x-amzn-requestid') ?? undefined);
    assert.match(String(r.headers.get('content-type')), /^application\/json/, path);
  }
  const deleted = await raw(s.url, 'DELETE', `/2015-03-31/functions/${name}`);
  assert.equal(deleted.status, 204);
  assert.equal(deleted.text, '');
  ids.push(deleted.headers.get('x-amzn-requestid') ?? undefined);
  for (const id of ids) assert.match(String(id), UUID_RE);
  assert.equal(new Set(ids).size, ids.length);
});

test('unknown routes and methods answer a JSON 404 with no stack trace', async () => {
  for (const [method, path] of [['GET', '/2015-03-31/nope'], ['PATCH', '/2015-03-31/functions'], ['GET', '/'], ['POST', '/2015-03-31/functions/x/y/z'], ['GET', '/2015-03-31/functions/%E0%A4%A']]) {
    const r = await raw(s.url, method, path);
    assert.equal(r.status, 404, `${method} ${path}`);
    assert.ok(r.headers.get('x-amzn-errortype'), `${method} ${path}`);
    assert.match(String(r.headers.get('x-amzn-requestid')), UUID_RE);
    assert.ok(r.json !== undefined, 'a JSON body');
    assert.doesNotMatch(r.text, /\n\s+at |\.js:\d+|\.ts:\d+/);
  }
});

// ---- persistence --------------------------------------------------------------------------------------------------

test('functions, versions, aliases and code survive a server restart on the same data dir', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'alonzo-restart-'));
  const name = 'fn-restart';
  const zip = await zipOf({ 'index.js': ECHO_JS });
  const snapshot = async (c: LambdaClient) => {
    const strip = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([k]) => k !== '$metadata'));
    const fn = await c.send(new GetFunctionCommand({ FunctionName: name }));
    return {
      latest: strip(fn.Configuration!),
      v1: strip((await c.send(new GetFunctionCommand({ FunctionName: name, Qualifier: '1' }))).Configuration!),
      versions: (await c.send(new ListVersionsByFunctionCommand({ FunctionName: name }))).Versions,
      alias: strip(await c.send(new GetAliasCommand({ FunctionName: name, Name: 'live' }))),
      listed: (await c.send(new ListFunctionsCommand({ FunctionVersion: 'ALL' }))).Functions,
      usage: (await c.send(new GetAccountSettingsCommand({}))).AccountUsage,
      zip: Buffer.from(await (await fetch(fn.Code!.Location!)).arrayBuffer()),
    };
  };
  try {
    const s1 = await startAlonzo({ dataDir });
    let before;
    try {
      await s1.client.send(new CreateFunctionCommand({
        FunctionName: name, Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: zip }, Publish: true, Environment: { Variables: { GREETING: 'hi' } },
      }));
      await waitUpdated(s1.client, name);
      await s1.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Description: 'second' }));
      await waitUpdated(s1.client, name);
      await s1.client.send(new PublishVersionCommand({ FunctionName: name }));
      await s1.client.send(new CreateAliasCommand({ FunctionName: name, Name: 'live', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { 2: 0.25 } } }));
      before = await snapshot(s1.client);
    } finally {
      await s1.close();
    }
    const s2 = await startAlonzo({ dataDir });
    try {
      const after = await snapshot(s2.client);
      assert.deepEqual(after, before);
      assert.deepEqual(after.zip, zip);
      // Still writable, and the version counter carried over.
      await s2.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Description: 'third' }));
      await waitUpdated(s2.client, name);
      assert.equal((await s2.client.send(new PublishVersionCommand({ FunctionName: name }))).Version, '3');
    } finally {
      await s2.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("a PackageType outside AWS's enum gets its ValidationException; another account's role gets AWS's 403; neither creates anything", async () => {
  await assertAwsError(createFunction(s.client, 'bad-package', { PackageType: 'Jar' as never }), {
    name: 'ValidationException',
    status: 400,
    message: "1 validation error detected: Value 'Jar' at 'packageType' failed to satisfy constraint: Member must satisfy enum value set: [Image, Zip]",
  });
  await assertAwsError(createFunction(s.client, 'foreign-role', { Role: 'arn:aws:iam::123456789012:role/theirs' }), {
    name: 'AccessDeniedException',
    status: 403,
    message: 'Cross-account pass role is not allowed.',
  });
  for (const fn of ['bad-package', 'foreign-role']) {
    await assertAwsError(s.client.send(new GetFunctionCommand({ FunctionName: fn })), {
      name: 'ResourceNotFoundException',
      status: 404,
      message: `Function not found: arn:aws:lambda:us-east-1:000000000000:function:${fn}`,
    });
  }
  // An update to another account's role is refused the same way, and changes nothing.
  await createFunction(s.client, 'own-role');
  await assertAwsError(s.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'own-role', Role: 'arn:aws:iam::123456789012:role/theirs' })), {
    name: 'AccessDeniedException',
    status: 403,
    message: 'Cross-account pass role is not allowed.',
  });
  assert.equal((await s.client.send(new GetFunctionConfigurationCommand({ FunctionName: 'own-role' }))).Role, ROLE);
});
