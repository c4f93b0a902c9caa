// LoggingConfig on CreateFunction / UpdateFunctionConfiguration and Get/PutFunctionRecursionConfig through boto3, compared
// with AWS's recorded answers (test/api/oracle/logging-recursion.json, from reference/aws-oracle/api-logging-recursion.snapshot.json);
// then validation, what the function's environment gets, and the other clients. AWS CLI v2 is left out here: Debian's
// 2.9.19 predates both LoggingConfig (2023-11) and the recursion config (2024-08), so it has neither.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import {
  GetFunctionRecursionConfigCommand, InvokeCommand, PutFunctionRecursionConfigCommand, UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { startAlonzo, runAws, zipOf, type TestServer, type CliResult } from '../helpers/alonzo.js';
import { boto3Calls as boto3CallsOn } from '../helpers/boto3-calls.js';
import { createFunction, arnOf, assertAwsError, waitUpdated, ECHO_JS } from '../helpers/api.js';
import { oracleFile } from '../helpers/oracle.js';

const entries = oracleFile('logging-recursion.json');
let s: TestServer;
let zip: string;

before(async () => {
  s = await startAlonzo();
  zip = (await zipOf({ 'index.js': ECHO_JS })).toString('base64');
});
after(() => s.close());

/**
 * Function answers cut to what these tests are about: LoggingConfig, the state fields and the status. The rest of the
 * configuration is functions.test.ts's business; the oracle's functions are python3.12 ones with other settings.
 */
const CFG = `
def cfg(key, method, **kw):
    try:
        r = getattr(client, method)(**kw)
    except client.exceptions.ClientError as e:
        out[key] = norm(e.response)
        return
    c = r.get('Configuration', r)
    out[key] = {'LoggingConfig': c.get('LoggingConfig'), 'State': c.get('State'), 'LastUpdateStatus': c.get('LastUpdateStatus'), 'HTTPStatusCode': r['ResponseMetadata']['HTTPStatusCode']}
def create(fn, **kw):
    cfg('create_response', 'create_function', FunctionName=fn, Runtime='nodejs20.x', Handler='index.handler',
        Role='arn:aws:iam::000000000000:role/lambda-role', Code={'ZipFile': base64.b64decode(ZIP)}, **kw)
    cfg('get_function_response', 'get_function', FunctionName=fn)
    cfg('function_config', 'get_function_configuration', FunctionName=fn)
`;

/** The same cut applied to the oracle (its create_response is the test helper's wrapper around CreateFunction's answer). */
function cut(recorded: Record<string, any>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(recorded).map(([k, v]) => {
      const r = v.CreateFunctionResponse ?? v;
      const c = r.Configuration ?? r;
      if (!('LoggingConfig' in c)) return [k, v];
      return [k, { LoggingConfig: c.LoggingConfig, State: c.State ?? null, LastUpdateStatus: c.LastUpdateStatus ?? null, HTTPStatusCode: r.ResponseMetadata.HTTPStatusCode }];
    }),
  );
}

const oracle = (testName: string, fn: string) => cut(entries(testName, { 'function-name:1': fn }));
const boto3Calls = (body: string) => boto3CallsOn(s.url, `ZIP = '${zip}'\n${CFG}\n${body}`) as Promise<Record<string, any>>;

test('JSON logs fill both levels with INFO; any log group name is taken (TestLoggingConfig::test_function_advanced_logging_configuration)', async () => {
  const fn = 'logging-json';
  const got = await boto3Calls(`
create('${fn}', LoggingConfig={'LogFormat': 'JSON'})
cfg('updated_config', 'update_function_configuration', FunctionName='${fn}', LoggingConfig={'LogFormat': 'JSON', 'ApplicationLogLevel': 'INFO', 'SystemLogLevel': 'INFO', 'LogGroup': 'cool_lambda'})
cfg('received_config', 'get_function_configuration', FunctionName='${fn}')
`);
  assert.deepEqual(got, oracle('TestLoggingConfig::test_function_advanced_logging_configuration', fn));
});

test('Text by default; JSON adds the levels and Text takes them away again (TestLoggingConfig::test_advanced_logging_configuration_format_switch)', async () => {
  const fn = 'logging-switch';
  const got = await boto3Calls(`
create('${fn}')
cfg('updated_config', 'update_function_configuration', FunctionName='${fn}', LoggingConfig={'LogFormat': 'JSON'})
cfg('received_config', 'get_function_configuration', FunctionName='${fn}')
cfg('updated_config_v2', 'update_function_configuration', FunctionName='${fn}', LoggingConfig={'LogFormat': 'Text'})
cfg('received_config_v2', 'get_function_configuration', FunctionName='${fn}')
`);
  assert.deepEqual(got, oracle('TestLoggingConfig::test_advanced_logging_configuration_format_switch', fn));
});

const PARTIAL = [
  "{'LogFormat': 'JSON'}",
  "{'LogFormat': 'JSON', 'ApplicationLogLevel': 'DEBUG'}",
  "{'LogFormat': 'JSON', 'SystemLogLevel': 'DEBUG'}",
  "{'LogGroup': 'cool_lambda'}",
];
PARTIAL.forEach((config, i) => {
  test(`a partial update keeps what it does not send: ${config} (TestLoggingConfig::test_function_partial_advanced_logging_configuration_update[partial_config${i}])`, async () => {
    const fn = `logging-partial-${i}`;
    const got = await boto3Calls(`
create('${fn}')
cfg('updated_config', 'update_function_configuration', FunctionName='${fn}', LoggingConfig=${config})
cfg('received_config', 'get_function_configuration', FunctionName='${fn}')
`);
    assert.deepEqual(got, oracle(`TestLoggingConfig::test_function_partial_advanced_logging_configuration_update[partial_config${i}]`, fn));
  });
});

test('RecursiveLoop: Terminate by default, Allow once put, an unknown value refused (TestLambdaRecursion::*)', async () => {
  const fn = 'recursion';
  await createFunction(s.client, fn);
  const got = await boto3Calls(`
call('get_recursion_default_terminate_response', 'get_function_recursion_config', FunctionName='${fn}')
call('put_recursion_invalid_value_error', 'put_function_recursion_config', FunctionName='${fn}', RecursiveLoop='InvalidValue')
call('put_recursion_config_response', 'put_function_recursion_config', FunctionName='${fn}', RecursiveLoop='Allow')
call('get_recursion_config_response', 'get_function_recursion_config', FunctionName='${fn}')
`);
  assert.deepEqual(
    { get_recursion_default_terminate_response: got.get_recursion_default_terminate_response },
    entries('TestLambdaRecursion::test_put_function_recursion_config_default_terminate'),
  );
  assert.deepEqual({ put_recursion_invalid_value_error: got.put_recursion_invalid_value_error }, entries('TestLambdaRecursion::test_put_function_recursion_config_invalid_value'));
  assert.deepEqual(
    { put_recursion_config_response: got.put_recursion_config_response, get_recursion_config_response: got.get_recursion_config_response },
    entries('TestLambdaRecursion::test_put_function_recursion_config_allow'),
  );
});

test('the recursion config: by ARN, back to Terminate, a missing function, a qualified name, no value', async () => {
  const fn = 'recursion-edges';
  await createFunction(s.client, fn);
  const put = (FunctionName: string, RecursiveLoop?: string) => s.client.send(new PutFunctionRecursionConfigCommand({ FunctionName, RecursiveLoop: RecursiveLoop as 'Allow' }));
  assert.equal((await put(arnOf(fn), 'Allow')).RecursiveLoop, 'Allow');
  assert.equal((await s.client.send(new GetFunctionRecursionConfigCommand({ FunctionName: fn }))).RecursiveLoop, 'Allow');
  assert.equal((await put(fn, 'Terminate')).RecursiveLoop, 'Terminate');
  assert.equal((await s.client.send(new GetFunctionRecursionConfigCommand({ FunctionName: arnOf(fn) }))).RecursiveLoop, 'Terminate');
  const missing = { name: 'ResourceNotFoundException', status: 404, message: `Function not found: ${arnOf('nope')}`, typed: true };
  await assertAwsError(s.client.send(new GetFunctionRecursionConfigCommand({ FunctionName: 'nope' })), missing);
  await assertAwsError(put('nope', 'Allow'), missing);
  const e = await assertAwsError(put(`${fn}:1`, 'Allow'), {
    name: 'ValidationException',
    status: 400,
    message: `1 validation error detected: Value '${fn}:1' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)`,
  });
  assert.equal(e.Type, undefined);
  await assertAwsError(put(fn), { name: 'ValidationException', status: 400, message: "1 validation error detected: Value null at 'recursiveLoop' failed to satisfy constraint: Member must not be null" });
});

test('LoggingConfig validation: the enums, the log group pattern, and levels with the Text format', async () => {
  const fn = 'logging-invalid';
  await createFunction(s.client, fn);
  const update = (LoggingConfig: Record<string, string>) => s.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: fn, LoggingConfig: LoggingConfig as never }));
  const invalid = (value: string, field: string, constraint: string) => ({
    name: 'ValidationException',
    status: 400,
    message: `1 validation error detected: Value '${value}' at 'loggingConfig.${field}' failed to satisfy constraint: ${constraint}`,
  });
  await assertAwsError(update({ LogFormat: 'YAML' }), invalid('YAML', 'logFormat', 'Member must satisfy enum value set: [JSON, Text]'));
  await assertAwsError(update({ LogFormat: 'JSON', ApplicationLogLevel: 'LOUD' }), invalid('LOUD', 'applicationLogLevel', 'Member must satisfy enum value set: [TRACE, DEBUG, INFO, WARN, ERROR, FATAL]'));
  await assertAwsError(update({ LogFormat: 'JSON', SystemLogLevel: 'ERROR' }), invalid('ERROR', 'systemLogLevel', 'Member must satisfy enum value set: [DEBUG, INFO, WARN]'));
  await assertAwsError(update({ LogGroup: 'has space' }), invalid('has space', 'logGroup', 'Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+'));
  const textWithLevel = {
    name: 'InvalidParameterValueException',
    status: 400,
    message: 'LogLevel is not supported when LogFormat is set to "Text". Remove LogLevel from your request or change the LogFormat to "Json" and try again.',
    typed: true,
  };
  await assertAwsError(update({ ApplicationLogLevel: 'DEBUG' }), textWithLevel);
  await assertAwsError(update({ LogFormat: 'Text', SystemLogLevel: 'WARN' }), textWithLevel);
  await assertAwsError(
    createFunction(s.client, 'logging-invalid-2', { LoggingConfig: { LogFormat: 'Text', ApplicationLogLevel: 'INFO' } }),
    textWithLevel,
  );
  // Nothing was changed by the refused updates.
  assert.deepEqual((await waitUpdated(s.client, fn)).Configuration?.LoggingConfig, { LogFormat: 'Text', LogGroup: `/aws/lambda/${fn}` });
});

const ENV_JS = `exports.handler = async () => ({ format: process.env.AWS_LAMBDA_LOG_FORMAT ?? null, level: process.env.AWS_LAMBDA_LOG_LEVEL ?? null });\n`;

test('JSON logs reach the function as AWS_LAMBDA_LOG_FORMAT and AWS_LAMBDA_LOG_LEVEL (the ApplicationLogLevel); Text sets neither', async () => {
  const fn = 'logging-env';
  await createFunction(s.client, fn, { LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: 'DEBUG' } }, ENV_JS);
  const seen = async () => JSON.parse(Buffer.from((await s.client.send(new InvokeCommand({ FunctionName: fn }))).Payload!).toString());
  assert.deepEqual(await seen(), { format: 'JSON', level: 'DEBUG' });
  await s.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: fn, LoggingConfig: { LogFormat: 'Text' } }));
  await waitUpdated(s.client, fn);
  assert.deepEqual(await seen(), { format: null, level: null });
  await s.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: fn, LoggingConfig: { LogFormat: 'JSON' } }));
  await waitUpdated(s.client, fn);
  assert.deepEqual(await seen(), { format: 'JSON', level: 'INFO' });
});

function cliJson(r: CliResult, what: string): Record<string, any> {
  assert.equal(r.code, 0, `${what} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

test('AWS CLI v1: --logging-config on create and update, put/get-function-recursion-config', async () => {
  const fn = 'logging-cli-v1';
  await createFunction(s.client, fn);
  const aws = (...args: string[]) => runAws('v1', s.url, ['lambda', ...args]);
  const updated = cliJson(await aws('update-function-configuration', '--function-name', fn, '--logging-config', 'LogFormat=JSON,ApplicationLogLevel=WARN'), 'update-function-configuration');
  assert.deepEqual(updated.LoggingConfig, { LogFormat: 'JSON', ApplicationLogLevel: 'WARN', SystemLogLevel: 'INFO', LogGroup: `/aws/lambda/${fn}` });
  assert.deepEqual(cliJson(await aws('get-function-recursion-config', '--function-name', fn), 'get-function-recursion-config'), { RecursiveLoop: 'Terminate' });
  assert.deepEqual(cliJson(await aws('put-function-recursion-config', '--function-name', fn, '--recursive-loop', 'Allow'), 'put-function-recursion-config'), { RecursiveLoop: 'Allow' });
  assert.deepEqual(cliJson(await aws('get-function-recursion-config', '--function-name', arnOf(fn)), 'get-function-recursion-config'), { RecursiveLoop: 'Allow' });
  const refused = await aws('put-function-recursion-config', '--function-name', fn, '--recursive-loop', 'Sometimes');
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /An error occurred \(ValidationException\) when calling the PutFunctionRecursionConfig operation: 1 validation error detected: Value 'Sometimes' at 'recursiveLoop' failed to satisfy constraint: Member must satisfy enum value set: \[Terminate, Allow\]/);
});

test('the recursion config survives a restart', async () => {
  const first = await startAlonzo({}, { keepData: true });
  const dataDir = first.dataDir;
  try {
    await createFunction(first.client, 'recursion-kept');
    await first.client.send(new PutFunctionRecursionConfigCommand({ FunctionName: 'recursion-kept', RecursiveLoop: 'Allow' }));
    await first.close();
    const second = await startAlonzo({ dataDir });
    try {
      assert.equal((await second.client.send(new GetFunctionRecursionConfigCommand({ FunctionName: 'recursion-kept' }))).RecursiveLoop, 'Allow');
    } finally {
      await second.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('JSON logs: the platform records are JSON too (platform.start, platform.report with its metrics), filtered by the SystemLogLevel; Text keeps START/END/REPORT', async () => {
  const fn = 'logging-platform';
  await createFunction(s.client, fn, { LoggingConfig: { LogFormat: 'JSON' } }, "exports.handler = async () => { console.log('hello'); return 1; };\n");
  const tail = async () => {
    const r = await s.client.send(new InvokeCommand({ FunctionName: fn, LogType: 'Tail' }));
    return { requestId: r.$metadata.requestId!, lines: Buffer.from(r.LogResult!, 'base64').toString().trim().split('\n') };
  };
  const first = await tail();
  const records = first.lines.map((l) => JSON.parse(l));
  const start = records.find((r) => r.type === 'platform.start');
  const report = records.find((r) => r.type === 'platform.report');
  assert.deepEqual(start?.record, { requestId: first.requestId, version: '$LATEST' });
  assert.match(start.time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  assert.equal(report?.record.requestId, first.requestId);
  assert.equal(report.record.status, 'success');
  assert.deepEqual(Object.keys(report.record.metrics).sort(), ['billedDurationMs', 'durationMs', 'initDurationMs', 'maxMemoryUsedMB', 'memorySizeMB'].sort(), 'a cold start reports its init duration');
  assert.equal(report.record.metrics.memorySizeMB, 128);
  const app = records.find((r) => r.message === 'hello');
  assert.equal(app?.level, 'INFO');
  assert.equal(app?.requestId, first.requestId);
  assert.ok(!first.lines.some((l) => l.startsWith('START ') || l.startsWith('REPORT ')), 'no text platform lines');
  // SystemLogLevel WARN: the platform's INFO records are left out; the function's own INFO line stays (its level is INFO).
  await s.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: fn, LoggingConfig: { LogFormat: 'JSON', SystemLogLevel: 'WARN' } }));
  await waitUpdated(s.client, fn);
  const quiet = await tail();
  assert.deepEqual(quiet.lines.map((l) => JSON.parse(l).type ?? 'app'), ['app']);
  // Text: Lambda's START / END / REPORT lines.
  await s.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: fn, LoggingConfig: { LogFormat: 'Text' } }));
  await waitUpdated(s.client, fn);
  const text = await tail();
  assert.ok(text.lines[0].startsWith(`START RequestId: ${text.requestId} Version: $LATEST`));
  assert.ok(text.lines.some((l) => l.startsWith(`REPORT RequestId: ${text.requestId}`)));
});
