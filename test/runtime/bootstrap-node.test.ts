// Runs the Node.js bootstrap against real function fixtures over the fd-3 channel and checks what AWS Lambda's Node.js runtime would give.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { BOOTSTRAP_DIR, FUNCTION_FIXTURES } from '../helpers/paths.js';
import { ARN, BootstrapEnv, killLiveEnvs } from '../helpers/bootstrap-env.js';

const BOOTSTRAP = join(BOOTSTRAP_DIR, 'node', 'bootstrap.cjs');

// ---- harness: test/helpers/bootstrap-env.ts --------------------------------------------------------------------------

after(killLiveEnvs);

const newEnv = (fixture: string, handler: string, extraEnv: Record<string, string> = {}) =>
  new BootstrapEnv(process.execPath, BOOTSTRAP, fixture, handler, { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x', ...extraEnv });

async function start(fixture: string, handler = 'index.handler', extraEnv: Record<string, string> = {}) {
  const env = newEnv(fixture, handler, extraEnv);
  const init = await env.ready();
  return { env, init };
}

/** Starts an environment whose init must fail; returns the init_error step and the exit code. */
const startFailing = (fixture: string, handler = 'index.handler') => newEnv(fixture, handler).initFailure();

const LOG_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t(\S+)\t(TRACE|DEBUG|INFO|WARN|ERROR|FATAL)\t([\s\S]*)$/;

/** Splits concatenated log frames of console.* lines into {id, level, message}. */
function consoleLines(logs: string): { id: string; level: string; message: string }[] {
  return logs
    .split(/\n(?=\d{4}-\d\d-\d\dT)/)
    .filter((l) => l.length > 0)
    .map((l) => {
      const m = LOG_LINE.exec(l.replace(/\n$/, ''));
      assert.ok(m, `not a console log line: ${JSON.stringify(l)}`);
      return { id: m[1]!, level: m[2]!, message: m[3]! };
    });
}

// ---- loading and echo ------------------------------------------------------------------------------------------------

test('echo (CommonJS): ready, then results and INFO log lines in AWS format, warm across invocations', async () => {
  const { env, init } = await start('node-echo');
  assert.equal(init.logs, '');
  const first = await env.invoke('{"a":1}');
  assert.equal(first.frame.header.t, 'result');
  assert.equal(first.frame.header.id, first.id);
  assert.equal(first.body, '{"a":1}');
  assert.deepEqual(consoleLines(first.logs), [{ id: first.id, level: 'INFO', message: '{"a":1}' }]);
  // The oracle's Tail log for the echo function with {}: "<date>\t<id>\tINFO\t{}".
  const second = await env.invoke('{}');
  assert.equal(second.body, '{}');
  assert.match(second.logs, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z\\t${second.id}\\tINFO\\t\\{\\}\\n$`));
  env.close();
  assert.deepEqual(await env.exited, { code: 0, signal: null });
});

test('echo returns bare JSON values and a 5 MB payload unchanged', async () => {
  const { env } = await start('node-echo');
  for (const v of ['true', 'false', 'null', '[1,2]', '1', '"quotes \\" and emoji 😀 [brackets]"']) {
    const r = await env.invoke(v);
    assert.equal(r.body, v);
  }
  const big = JSON.stringify({ test: 'test123456'.repeat(500_000) });
  const r = await env.invoke(big);
  assert.equal(r.body.length, big.length);
  assert.equal(r.body, big);
  env.close();
});

test('ES module (.mjs) with top-level await', async () => {
  const { env } = await start('node-esm');
  const r = await env.invoke('{"event_type":"test_lambda"}');
  // Same shape as the oracle's test_invoke_nodejs_es6_lambda payload.
  assert.deepEqual(JSON.parse(r.body), {
    statusCode: 200,
    body: '"response from esm lambda: {\\"event_type\\":\\"test_lambda\\"}"',
  });
  env.close();
});

test('a .js file under "type": "module" loads as an ES module', async () => {
  const { env } = await start('node-esm-type-module');
  const r = await env.invoke('{"x":1}');
  assert.deepEqual(JSON.parse(r.body), { format: 'esm', event: { x: 1 } });
  env.close();
});

test('nested paths and nested properties in the handler name', async () => {
  const a = await start('node-nested', 'src/app.handler');
  assert.deepEqual(JSON.parse((await a.env.invoke('{}')).body), { from: 'src/app.handler', event: {} });
  a.env.close();
  const b = await start('node-nested', 'src/app.handlers.nested');
  assert.deepEqual(JSON.parse((await b.env.invoke('{}')).body), { from: 'src/app.handlers.nested', event: {} });
  b.env.close();
});

// ---- init errors -----------------------------------------------------------------------------------------------------

test('missing handler module: Runtime.ImportModuleError worded as AWS words it, exit 2', async () => {
  const r = await startFailing('node-echo', 'missing.handler');
  assert.equal(r.frame.header.errorType, 'Runtime.ImportModuleError');
  assert.equal(r.payload.errorType, 'Runtime.ImportModuleError');
  assert.equal(r.payload.errorMessage, "Error: Cannot find module 'missing'\nRequire stack:\n- /var/runtime/index.mjs");
  assert.deepEqual(r.payload.trace.slice(0, 3), [
    "Runtime.ImportModuleError: Error: Cannot find module 'missing'",
    'Require stack:',
    '- /var/runtime/index.mjs',
  ]);
  assert.deepEqual(Object.keys(r.payload), ['errorType', 'errorMessage', 'trace']);
  // AWS logs init failures through its uncaught-exception path, with the request id still undefined.
  const [line] = consoleLines(r.logs);
  assert.equal(line!.id, 'undefined');
  assert.equal(line!.level, 'ERROR');
  assert.ok(line!.message.startsWith('Uncaught Exception \t{"errorType":"Runtime.ImportModuleError"'), line!.message);
  assert.equal(r.code, 2);
});

test('a dependency missing from the package: ImportModuleError with the require stack', async () => {
  const r = await startFailing('node-missing-dep');
  assert.equal(r.payload.errorType, 'Runtime.ImportModuleError');
  assert.equal(
    r.payload.errorMessage,
    `Error: Cannot find module 'a-package-that-is-not-installed'\nRequire stack:\n- ${join(FUNCTION_FIXTURES, 'node-missing-dep', 'index.js')}\n- /var/runtime/index.mjs`,
  );
  assert.equal(r.code, 2);
});

test('a module that throws at import: the error under its own type; init logs carry request id undefined', async () => {
  const r = await startFailing('node-init-error');
  assert.equal(r.frame.header.errorType, 'Error');
  assert.equal(r.payload.errorType, 'Error');
  assert.equal(r.payload.errorMessage, 'init failed on purpose');
  assert.equal(r.payload.trace[0], 'Error: init failed on purpose');
  assert.match(r.payload.trace[1], /node-init-error\/index\.js:3:7\)$/);
  const lines = consoleLines(r.logs);
  assert.deepEqual(lines[0], { id: 'undefined', level: 'INFO', message: 'initialising' });
  assert.equal(r.code, 2);
});

test('syntax error: Runtime.UserCodeSyntaxError', async () => {
  const r = await startFailing('node-syntax-error');
  assert.equal(r.payload.errorType, 'Runtime.UserCodeSyntaxError');
  assert.match(r.payload.errorMessage, /^SyntaxError: /);
  assert.equal(r.code, 2);
});

test('handler not exported, not a function, malformed, or escaping the task root', async () => {
  const notFound = await startFailing('node-echo', 'index.nope');
  assert.equal(notFound.payload.errorType, 'Runtime.HandlerNotFound');
  assert.equal(notFound.payload.errorMessage, 'index.nope is undefined or not exported');

  const notFn = await startFailing('node-nested', 'src/app.notAFunction');
  assert.equal(notFn.payload.errorType, 'Runtime.HandlerNotFound');
  assert.equal(notFn.payload.errorMessage, 'src/app.notAFunction is not a function');

  const malformed = await startFailing('node-echo', 'index');
  assert.equal(malformed.payload.errorType, 'Runtime.MalformedHandlerName');
  assert.equal(malformed.payload.errorMessage, 'Bad handler');

  const escaping = await startFailing('node-echo', '../index.handler');
  assert.equal(escaping.payload.errorType, 'Runtime.MalformedHandlerName');
  assert.equal(
    escaping.payload.errorMessage,
    "'../index.handler' is not a valid handler name. Use absolute paths when specifying root directories in handler names.",
  );
  for (const r of [notFound, notFn, malformed, escaping]) assert.equal(r.code, 2);
});

// ---- context ---------------------------------------------------------------------------------------------------------

test('context: the fields, values and types of the oracle recording, in its order', async () => {
  const { env } = await start('node-context');
  const clientContext = '{"custom":{"foo":"bar"},"client":{"snap":["crackle","pop"]},"env":{"fizz":"buzz"}}';
  const r = await env.invoke('{}', { clientContext, deadlineMs: Date.now() + 3000, traceId: 'Root=1-abc;Sampled=0' });
  const out = JSON.parse(r.body);
  assert.deepEqual(Object.keys(out.context), [
    'callbackWaitsForEmptyEventLoop',
    'functionVersion',
    'functionName',
    'memoryLimitInMB',
    'logGroupName',
    'logStreamName',
    'clientContext',
    'invokedFunctionArn',
    'awsRequestId',
  ]);
  assert.deepEqual(out.context, {
    callbackWaitsForEmptyEventLoop: true,
    functionVersion: '$LATEST',
    functionName: 'fn',
    memoryLimitInMB: '128',
    logGroupName: '/aws/lambda/fn',
    logStreamName: '2026/11/21/[$LATEST]0123456789abcdef',
    clientContext: { custom: { foo: 'bar' }, client: { snap: ['crackle', 'pop'] }, env: { fizz: 'buzz' } },
    invokedFunctionArn: ARN,
    awsRequestId: r.id,
  });
  assert.deepEqual(out.types, {
    callbackWaitsForEmptyEventLoop: 'boolean',
    succeed: 'function',
    fail: 'function',
    done: 'function',
    functionVersion: 'string',
    functionName: 'string',
    memoryLimitInMB: 'string',
    logGroupName: 'string',
    logStreamName: 'string',
    clientContext: 'object',
    identity: 'undefined',
    invokedFunctionArn: 'string',
    awsRequestId: 'string',
    getRemainingTimeInMillis: 'function',
  });
  assert.equal(out.identity, 'undefined');
  assert.ok(out.remainingTimeInMillis > 2000 && out.remainingTimeInMillis <= 3000, String(out.remainingTimeInMillis));
  assert.equal(out.traceId, 'Root=1-abc;Sampled=0');

  // Without client context or trace id, and with a Cognito identity and a qualified ARN.
  const identity = '{"cognitoIdentityId":"id-1","cognitoIdentityPoolId":"pool-1"}';
  const r2 = await env.invoke('{}', { identity, arn: `${ARN}:prod` });
  const out2 = JSON.parse(r2.body);
  assert.equal(out2.context.clientContext, undefined);
  assert.deepEqual(out2.identity, { cognitoIdentityId: 'id-1', cognitoIdentityPoolId: 'pool-1' });
  assert.equal(out2.context.invokedFunctionArn, `${ARN}:prod`);
  assert.equal(out2.traceId, null);
  env.close();
});

test('the function sees Lambda variables, not the channel plumbing', async () => {
  const { env } = await start('node-env', 'index.handler', { MY_VAR: 'x' });
  const { env: seen } = JSON.parse((await env.invoke('{}')).body);
  assert.equal(seen.MY_VAR, 'x');
  assert.equal(seen.AWS_LAMBDA_FUNCTION_NAME, 'fn');
  assert.equal(seen.ALONZO_CHANNEL_FD, undefined);
  assert.equal(seen.NODE_PATH, join(FUNCTION_FIXTURES, 'node-env'));
  env.close();
});

// ---- function errors -------------------------------------------------------------------------------------------------

test('a thrown Error: {errorType, errorMessage, trace} as the oracle shows, logged as "Invoke Error"; environment stays warm', async () => {
  const { env } = await start('node-throws');
  const r = await env.invoke('{"error_msg":"some_error_msg"}');
  assert.equal(r.frame.header.t, 'error');
  assert.equal(r.frame.header.id, r.id);
  assert.equal(r.frame.header.errorType, 'Error');
  const payload = JSON.parse(r.body);
  assert.deepEqual(Object.keys(payload), ['errorType', 'errorMessage', 'trace']);
  assert.equal(payload.errorType, 'Error');
  assert.equal(payload.errorMessage, 'Error: some_error_msg');
  assert.equal(payload.trace[0], 'Error: Error: some_error_msg');
  assert.match(payload.trace[1], /^ {4}at .*node-throws\/index\.js:4:9\)$/);
  assert.match(payload.trace[2], /^ {4}at Runtime\.handleOnceNonStreaming /);
  const [line] = consoleLines(r.logs);
  assert.equal(line!.level, 'ERROR');
  assert.equal(line!.id, r.id);
  const prefix = 'Invoke Error \t';
  assert.ok(line!.message.startsWith(prefix), line!.message);
  const logged = JSON.parse(line!.message.slice(prefix.length));
  assert.equal(logged.errorType, 'Error');
  assert.equal(logged.errorMessage, 'Error: some_error_msg');
  assert.deepEqual(logged.stack, payload.trace);

  const again = await env.invoke('{"error_msg":"second"}');
  assert.equal(JSON.parse(again.body).errorMessage, 'Error: second');
  env.close();
  assert.equal((await env.exited).code, 0);
});

test('thrown non-Error values, custom error classes and synchronous throws', async () => {
  const str = await start('node-throws', 'index.throwsString');
  const s = await str.env.invoke('{}');
  assert.equal(s.frame.header.errorType, 'string');
  assert.equal(s.body, '{"errorType":"string","errorMessage":"just a string","trace":[]}');
  str.env.close();

  const custom = await start('node-throws', 'index.customError');
  const c = JSON.parse((await custom.env.invoke('{}')).body);
  assert.equal(c.errorType, 'ValidationError');
  assert.equal(c.errorMessage, 'email is required');
  assert.equal(c.trace[0], 'ValidationError: email is required');
  custom.env.close();

  const sync = await start('node-throws', 'index.syncThrow');
  const y = JSON.parse((await sync.env.invoke('{}')).body);
  assert.equal(y.errorType, 'TypeError');
  assert.equal(y.errorMessage, 'sync failure');
  sync.env.close();
});

test('a result JSON cannot represent: "Unable to stringify response body", environment stays usable', async () => {
  for (const handler of ['index.handler', 'index.bigint']) {
    const { env } = await start('node-unserializable', handler);
    const r = await env.invoke('{}');
    assert.equal(r.frame.header.t, 'error');
    const payload = JSON.parse(r.body);
    assert.equal(payload.errorType, 'Error');
    assert.equal(payload.errorMessage, 'Unable to stringify response body');
    assert.equal((await env.invoke('{}')).frame.header.t, 'error');
    env.close();
  }
});

test('an async handler that never settles: Runtime.NodeJsExit once the event loop is empty', async () => {
  const { env } = await start('node-never-settles');
  const r = await env.invoke('{}');
  assert.equal(r.frame.header.errorType, 'Runtime.NodeJsExit');
  assert.equal(
    JSON.parse(r.body).errorMessage,
    'The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly caused by a Promise that was never settled. For more information, see https://nodejs.org/docs/latest/api/process.html#exit-codes',
  );
  assert.equal((await env.invoke('{}')).frame.header.errorType, 'Runtime.NodeJsExit');
  env.close();
});

test('an unhandled rejection fails the invocation as Runtime.UnhandledPromiseRejection and exits 128', async () => {
  const { env } = await start('node-unhandled-rejection');
  const r = await env.invoke('{}');
  assert.equal(r.frame.header.errorType, 'Runtime.UnhandledPromiseRejection');
  const payload = JSON.parse(r.body);
  assert.equal(payload.errorType, 'Runtime.UnhandledPromiseRejection');
  assert.equal(payload.errorMessage, 'Error: nobody handles me');
  assert.equal(payload.trace[0], 'Runtime.UnhandledPromiseRejection: Error: nobody handles me');
  assert.ok(consoleLines(r.logs)[0]!.message.startsWith('Unhandled Promise Rejection \t{"errorType":"Runtime.UnhandledPromiseRejection"'));
  assert.deepEqual(await env.exited, { code: 128, signal: null });
});

test('an uncaught exception fails the invocation with its own error and exits 129', async () => {
  const { env } = await start('node-uncaught-exception');
  const r = await env.invoke('{}');
  assert.equal(r.frame.header.errorType, 'Error');
  assert.equal(JSON.parse(r.body).errorMessage, 'thrown from a timer');
  assert.ok(consoleLines(r.logs)[0]!.message.startsWith('Uncaught Exception \t{"errorType":"Error"'));
  assert.deepEqual(await env.exited, { code: 129, signal: null });
});

test('process.exit in the handler simply exits with its code, after its logs', async () => {
  const { env } = await start('node-exit');
  env.send('{"code":3}');
  const log = await env.next();
  assert.equal(log.header.t, 'log');
  assert.match(log.body.toString(), /\tINFO\texiting\n$/);
  assert.deepEqual(await env.exited, { code: 3, signal: null });
});

// ---- callbacks -------------------------------------------------------------------------------------------------------

test('callback handler: the result waits for the empty event loop (callbackWaitsForEmptyEventLoop = true)', async () => {
  const { env } = await start('node-callback');
  const t0 = Date.now();
  const r = await env.invoke('{}');
  assert.ok(Date.now() - t0 >= 90, 'answered before the pending timer ran');
  // The timer's log line comes before the result.
  assert.deepEqual(consoleLines(r.logs).map((l) => l.message), ['timer fired']);
  assert.equal(JSON.parse(r.body).waited, true);
  assert.equal(r.frame.header.t, 'result');
  env.close();
});

test('callbackWaitsForEmptyEventLoop = false: the result goes at once, the timer runs after it', async () => {
  const { env } = await start('node-callback', 'index.noWait');
  const r = await env.invoke('{}');
  assert.equal(r.logs, '');
  assert.deepEqual(JSON.parse(r.body), { waited: false });
  const late = await env.next();
  assert.equal(late.header.t, 'log');
  assert.match(late.body.toString(), /\tINFO\tlate timer fired\n$/);
  // Still serving.
  assert.deepEqual(JSON.parse((await env.invoke('{}')).body), { waited: false });
  env.close();
});

test('context.succeed / fail / done, callback(error), a sync handler that never calls back, and double callbacks', async () => {
  const cases: [string, string, string][] = [
    ['index.succeed', 'result', '{"via":"succeed"}'],
    ['index.done', 'result', '{"via":"done"}'],
    ['index.syncNoCallback', 'result', 'null'],
    ['index.twice', 'result', '"first"'],
  ];
  for (const [handler, t, body] of cases) {
    const { env } = await start('node-callback', handler);
    const r = await env.invoke('{}');
    assert.equal(r.frame.header.t, t, handler);
    assert.equal(r.body, body, handler);
    env.close();
  }
  for (const [handler, message] of [
    ['index.fail', 'failed via context.fail'],
    ['index.callbackError', 'callback failure'],
  ] as const) {
    const { env } = await start('node-callback', handler);
    const r = await env.invoke('{}');
    assert.equal(r.frame.header.t, 'error', handler);
    assert.equal(JSON.parse(r.body).errorMessage, message);
    assert.ok(consoleLines(r.logs)[0]!.message.startsWith('Invoke Error \t'));
    env.close();
  }
});

// ---- logging ---------------------------------------------------------------------------------------------------------

test('console.* and stdout/stderr writes become log frames in order, in Lambda text format', async () => {
  const { env, init } = await start('node-logging');
  assert.deepEqual(consoleLines(init.logs), [{ id: 'undefined', level: 'INFO', message: 'init log' }]);
  const r = await env.invoke('{}');
  assert.equal(r.body, '"logged"');
  const rawStart = r.logs.indexOf('raw stdout\n');
  assert.equal(r.logs.slice(rawStart), 'raw stdout\nraw stderr\n');
  const lines = consoleLines(r.logs.slice(0, rawStart));
  assert.deepEqual(
    lines.map((l) => [l.id, l.level]),
    ['INFO', 'INFO', 'WARN', 'ERROR', 'DEBUG', 'TRACE', 'INFO'].map((level) => [r.id, level]),
  );
  assert.equal(lines[0]!.message, 'log { a: 1 } 42');
  assert.equal(lines[1]!.message, 'info formatted');
  assert.match(lines[3]!.message, /^error Error: logged error\n {4}at /);
  assert.equal(lines[6]!.message, 'multi\nline');
  env.close();
});

test('AWS_LAMBDA_LOG_LEVEL filters console methods; AWS_LAMBDA_LOG_FORMAT=JSON writes JSON lines', async () => {
  const { env } = await start('node-logging', 'index.handler', { AWS_LAMBDA_LOG_LEVEL: 'WARN', AWS_LAMBDA_LOG_FORMAT: 'JSON' });
  const r = await env.invoke('{}');
  const json = r.logs
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    json.map((j) => j.level),
    ['WARN', 'ERROR'],
  );
  assert.equal(json[0].message, 'warn');
  assert.equal(json[0].requestId, r.id);
  assert.match(json[0].timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(json[1].errorType, 'Error');
  assert.equal(json[1].errorMessage, 'logged error');
  env.close();
});

// ---- channel behaviour and speed -------------------------------------------------------------------------------------

test('EOF on the channel ends an idle environment with exit code 0', async () => {
  const { env } = await start('node-echo');
  env.close();
  assert.deepEqual(await env.exited, { code: 0, signal: null });
});

test('cold start and warm round trip (reported, loosely bounded)', async (t) => {
  const colds: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    const env = newEnv('node-echo', 'index.handler');
    await env.ready();
    colds.push(performance.now() - t0);
    env.close();
    await env.exited;
  }
  const { env } = await start('node-esm');
  for (let i = 0; i < 50; i++) await env.invoke('{}');
  const warms: number[] = [];
  for (let i = 0; i < 500; i++) {
    const t0 = performance.now();
    await env.invoke('{"k":"v"}');
    warms.push(performance.now() - t0);
  }
  env.close();
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  t.diagnostic(`node cold start (spawn → ready) median of 10: ${median(colds).toFixed(1)} ms`);
  t.diagnostic(`node warm round trip median of 500: ${(median(warms) * 1000).toFixed(0)} µs`);
  assert.ok(median(colds) < 2000);
  assert.ok(median(warms) < 50);
});
