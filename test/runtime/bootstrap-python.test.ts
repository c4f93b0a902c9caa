// Runs the Python bootstrap against real function fixtures over the fd-3 channel and checks what AWS Lambda's Python runtime would give.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { BOOTSTRAP_DIR, FUNCTION_FIXTURES } from '../helpers/paths.js';
import { ARN, BootstrapEnv, killLiveEnvs } from '../helpers/bootstrap-env.js';

const BOOTSTRAP = join(BOOTSTRAP_DIR, 'python', 'bootstrap.py');
// Spawned directly: a pyenv shim on PATH costs ~100 ms per start.
const PYTHON = '/usr/bin/python3';

// ---- harness: test/helpers/bootstrap-env.ts --------------------------------------------------------------------------

after(killLiveEnvs);

const newEnv = (fixture: string, handler: string, opts: { python?: string; env?: Record<string, string> } = {}) =>
  new BootstrapEnv(opts.python ?? PYTHON, BOOTSTRAP, fixture, handler, {
    LANG: 'C.UTF-8',
    // As the server does: no __pycache__ written into the fixtures (the runtime's own module still caches).
    PYTHONDONTWRITEBYTECODE: '1',
    AWS_EXECUTION_ENV: 'AWS_Lambda_python3.11',
    ...opts.env,
  });

async function start(fixture: string, handler = 'lambda_function.lambda_handler', opts: { python?: string; env?: Record<string, string> } = {}) {
  const env = newEnv(fixture, handler, opts);
  const init = await env.ready();
  return { env, init };
}

const startFailing = (fixture: string, handler = 'lambda_function.lambda_handler', python?: string) => newEnv(fixture, handler, { python }).initFailure();

const NBSP = '\u00a0';
const LAMBDA_WARNING =
  'LAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the function code. However, in rare cases, a Lambda runtime update can cause unexpected function behavior. For functions using managed runtimes, runtime updates can be triggered by a function change, or can be applied automatically. To determine if the runtime has been updated, check the runtime version in the INIT_START log entry. If this error correlates with a change in the runtime version, you may be able to mitigate this error by temporarily rolling back to the previous runtime version. For more information, see https://docs.aws.amazon.com/lambda/latest/dg/runtimes-update.html';
const DATE = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';

// ---- echo and loading ------------------------------------------------------------------------------------------------

test('echo: ready, print output raw, results as Python json.dumps writes them, warm across invocations', async () => {
  const { env, init } = await start('python-echo');
  assert.equal(init.logs, '');
  const r = await env.invoke('{"a":1,"b":[1,2]}');
  assert.equal(r.frame.header.t, 'result');
  assert.equal(r.frame.header.id, r.id);
  assert.equal(r.body, '{"a": 1, "b": [1, 2]}');
  assert.equal(r.logs, '{"a": 1, "b": [1, 2]}\n');
  // The oracle's Tail log for the python echo function with {}: "{}".
  const r2 = await env.invoke('{}');
  assert.equal(r2.body, '{}');
  assert.equal(r2.logs, '{}\n');
  env.close();
  assert.deepEqual(await env.exited, { code: 0, signal: null });
});

test('echo returns bare JSON values and a 5 MB payload', async () => {
  const { env } = await start('python-echo');
  for (const [input, output] of [
    ['true', 'true'],
    ['false', 'false'],
    ['null', 'null'],
    ['[1,2]', '[1, 2]'],
    ['1', '1'],
    ['"quotes \\" and emoji 😀"', '"quotes \\" and emoji \\ud83d\\ude00"'],
  ]) {
    assert.equal((await env.invoke(input!)).body, output);
  }
  const big = JSON.stringify({ test: 'test123456'.repeat(500_000) });
  const r = await env.invoke(big);
  assert.equal(r.body, big.replace(':', ': '));
  env.close();
});

test('handlers in packages and by path', async () => {
  const a = await start('python-nested', 'pkg.mod.handler');
  assert.deepEqual(JSON.parse((await a.env.invoke('{"x":1}')).body), { from: 'pkg.mod.handler', event: { x: 1 } });
  a.env.close();
  const b = await start('python-nested', 'src/app.handler');
  assert.deepEqual(JSON.parse((await b.env.invoke('{}')).body), { from: 'src/app.handler', event: {} });
  b.env.close();
});

test('the function sees Lambda variables, not the channel plumbing, and the task root first on sys.path', async () => {
  const { env } = await start('python-env', 'lambda_function.lambda_handler', { env: { MY_VAR: 'x' } });
  const out = JSON.parse((await env.invoke('{}')).body);
  assert.equal(out.env.MY_VAR, 'x');
  assert.equal(out.env.ALONZO_CHANNEL_FD, undefined);
  assert.equal(out.path[0], join(FUNCTION_FIXTURES, 'python-env'));
  assert.ok(!out.path.includes(join(BOOTSTRAP_DIR, 'python')));
  env.close();
});

// ---- context ---------------------------------------------------------------------------------------------------------

test('context: awslambdaric field names and values, client_context and identity objects, remaining time', async () => {
  const { env } = await start('python-context');
  const clientContext = '{"custom":{"foo":"bar"},"client":{"installation_id":"i-1","snap":["crackle"]},"env":{"fizz":"buzz"}}';
  const identity = '{"cognitoIdentityId":"id-1","cognitoIdentityPoolId":"pool-1"}';
  const r = await env.invoke('{}', { clientContext, identity, arn: `${ARN}:1`, traceId: 'Root=1-abc' });
  const out = JSON.parse(r.body);
  const remaining = out.remaining_time_in_millis;
  delete out.remaining_time_in_millis;
  assert.ok(remaining > 2000 && remaining <= 3000, String(remaining));
  assert.deepEqual(out, {
    aws_request_id: r.id,
    function_name: 'fn',
    function_version: '$LATEST',
    invoked_function_arn: `${ARN}:1`,
    memory_limit_in_mb: '128',
    log_group_name: '/aws/lambda/fn',
    log_stream_name: '2026/11/21/[$LATEST]0123456789abcdef',
    client_context: { custom: { foo: 'bar' }, env: { fizz: 'buzz' }, client: { installation_id: 'i-1' } },
    identity: { cognito_identity_id: 'id-1', cognito_identity_pool_id: 'pool-1' },
    trace_id: 'Root=1-abc',
  });
  // No client context: None, as the oracle's test_invocation_with_qualifier shows; identity is still an object.
  const r2 = JSON.parse((await env.invoke('{}', { deadlineMs: Date.now() - 5 })).body);
  assert.equal(r2.client_context, null);
  assert.deepEqual(r2.identity, { cognito_identity_id: null, cognito_identity_pool_id: null });
  assert.equal(r2.trace_id, null);
  assert.equal(r2.remaining_time_in_millis, 0);
  env.close();
});

// ---- function errors -------------------------------------------------------------------------------------------------

test('a raised Exception: the oracle payload exactly (key order, requestId, stackTrace) and the [ERROR] log entry', async () => {
  const { env } = await start('python-raises', 'handler.handler');
  const r = await env.invoke('{}');
  assert.equal(r.frame.header.t, 'error');
  assert.equal(r.frame.header.id, r.id);
  assert.equal(r.frame.header.errorType, 'Exception');
  const file = join(FUNCTION_FIXTURES, 'python-raises', 'handler.py');
  const payload = JSON.parse(r.body);
  assert.deepEqual(Object.keys(payload), ['errorMessage', 'errorType', 'requestId', 'stackTrace']);
  assert.deepEqual(payload, {
    errorMessage: 'Handler fails',
    errorType: 'Exception',
    requestId: r.id,
    stackTrace: [`  File "${file}", line 3, in handler\n    raise Exception("Handler fails")\n`],
  });
  assert.equal(
    r.logs,
    `[ERROR] Exception: Handler fails\nTraceback (most recent call last):\n${NBSP}${NBSP}File "${file}", line 3, in handler\n${NBSP.repeat(4)}raise Exception("Handler fails")\n`,
  );
  // The environment keeps serving.
  const custom = await start('python-raises', 'handler.custom');
  const c = await custom.env.invoke('{}');
  assert.equal(c.frame.header.errorType, 'CustomException');
  assert.equal(JSON.parse(c.body).errorMessage, 'some error occurred');
  assert.ok(c.logs.startsWith('[ERROR] CustomException: some error occurred\nTraceback (most recent call last):\n'));
  assert.equal((await env.invoke('{}')).frame.header.t, 'error');
  env.close();
  custom.env.close();
});

test('results json cannot encode: Runtime.MarshalError worded as AWS words it', async () => {
  const { env } = await start('python-marshal', 'lambda_function.unserializable');
  const r = await env.invoke('{}');
  assert.equal(r.frame.header.errorType, 'Runtime.MarshalError');
  assert.deepEqual(JSON.parse(r.body), {
    errorMessage: 'Unable to marshal response: Object of type set is not JSON serializable',
    errorType: 'Runtime.MarshalError',
    requestId: r.id,
    stackTrace: [],
  });
  assert.equal(
    r.logs,
    '[ERROR] Runtime.MarshalError: Unable to marshal response: Object of type set is not JSON serializable\nTraceback (most recent call last):\n',
  );
  env.close();
});

test('Decimals keep their exact digits, bytes go out raw, non-ASCII is escaped (simplejson defaults)', async () => {
  const dec = await start('python-marshal', 'lambda_function.decimals');
  assert.equal((await dec.env.invoke('{}')).body, '{"price": 19.90, "count": 3, "big": 1E+2}');
  dec.env.close();
  const raw = await start('python-marshal', 'lambda_function.raw_bytes');
  assert.equal((await raw.env.invoke('{}')).body, 'not json');
  raw.env.close();
  const uni = await start('python-marshal', 'lambda_function.unicode');
  assert.equal((await uni.env.invoke('{}')).body, '{"text": "h\\u00e9llo \\u2603"}');
  uni.env.close();
  // AWS's python3.12 runtime alone turns ensure_ascii off.
  const uni12 = await start('python-marshal', 'lambda_function.unicode', { env: { AWS_EXECUTION_ENV: 'AWS_Lambda_python3.12' } });
  assert.equal((await uni12.env.invoke('{}')).body, '{"text": "héllo ☃"}');
  uni12.env.close();
});

// ---- init errors -----------------------------------------------------------------------------------------------------

test('a module raising at import: its own type, requestId "", importlib frames first, the LAMBDA_WARNING log; exit 2', async () => {
  const r = await startFailing('python-init-error');
  assert.equal(r.frame.header.errorType, 'Exception');
  assert.deepEqual(Object.keys(r.payload), ['errorMessage', 'errorType', 'requestId', 'stackTrace']);
  assert.equal(r.payload.errorMessage, 'Runtime startup fails');
  assert.equal(r.payload.errorType, 'Exception');
  assert.equal(r.payload.requestId, '');
  const st: string[] = r.payload.stackTrace;
  assert.match(st[0]!, /^ {2}File ".*\/importlib\/__init__\.py", line \d+, in import_module\n {4}return _bootstrap\._gcd_import\(name\[level:\], package, level\)\n$/);
  assert.match(st[1]!, /^ {2}File "<frozen importlib\._bootstrap>", line \d+, in _gcd_import\n$/);
  assert.equal(
    st[st.length - 1],
    `  File "${join(FUNCTION_FIXTURES, 'python-init-error', 'lambda_function.py')}", line 2, in <module>\n    raise Exception("Runtime startup fails")\n`,
  );
  assert.ok(!st.some((frame) => frame.includes('/bootstrap.py') || frame.includes('_alonzo_runtime.py')));
  const [warning, ...rest] = r.logs.split('\n');
  assert.match(warning!, new RegExp(`^\\[WARNING\\]\\t${DATE}\\t\\t`));
  assert.ok(warning!.endsWith(`\t${LAMBDA_WARNING}`));
  assert.equal(rest[0], '[ERROR] Exception: Runtime startup fails');
  assert.equal(rest[1], 'Traceback (most recent call last):');
  assert.equal(r.code, 2);
});

test('import, syntax, handler-name and built-in-module failures use the Runtime.* types and messages of awslambdaric', async () => {
  const imp = await startFailing('python-import-error');
  assert.deepEqual(imp.payload, {
    errorMessage: "Unable to import module 'lambda_function': No module named 'a_module_that_is_not_installed'",
    errorType: 'Runtime.ImportModuleError',
    requestId: '',
    stackTrace: [],
  });
  assert.ok(
    imp.logs.endsWith(
      "[ERROR] Runtime.ImportModuleError: Unable to import module 'lambda_function': No module named 'a_module_that_is_not_installed'\nTraceback (most recent call last):\n",
    ),
  );

  const missing = await startFailing('python-echo', 'nosuchmodule.handler');
  assert.equal(missing.payload.errorMessage, "Unable to import module 'nosuchmodule': No module named 'nosuchmodule'");

  const syntax = await startFailing('python-syntax-error');
  assert.equal(syntax.payload.errorType, 'Runtime.UserCodeSyntaxError');
  assert.match(syntax.payload.errorMessage, /^Syntax error in module 'lambda_function': .*\(lambda_function\.py, line 2\)$/);
  assert.deepEqual(syntax.payload.stackTrace, [
    `  File "${join(FUNCTION_FIXTURES, 'python-syntax-error', 'lambda_function.py')}" Line 2\n    def lambda_handler(event, context)\n`,
  ]);

  const notFound = await startFailing('python-echo', 'lambda_function.nope');
  assert.deepEqual(notFound.payload, {
    errorMessage: "Handler 'nope' missing on module 'lambda_function'",
    errorType: 'Runtime.HandlerNotFound',
    requestId: '',
    stackTrace: [],
  });

  const malformed = await startFailing('python-echo', 'lambda_function');
  assert.equal(malformed.payload.errorType, 'Runtime.MalformedHandlerName');
  assert.equal(malformed.payload.errorMessage, "Bad handler 'lambda_function': not enough values to unpack (expected 2, got 1)");

  const builtin = await startFailing('python-echo', 'sys.exit');
  assert.equal(builtin.payload.errorType, 'Runtime.BuiltInModuleConflict');
  assert.equal(builtin.payload.errorMessage, 'Cannot use built-in module sys as a handler module');

  for (const r of [imp, missing, syntax, notFound, malformed, builtin]) assert.equal(r.code, 2);
});

// ---- exits -----------------------------------------------------------------------------------------------------------

test('sys.exit in the handler exits the process with its code, after its output', async () => {
  const { env } = await start('python-exit');
  env.send('{"code":5}');
  let logs = '';
  for (;;) {
    try {
      logs += (await env.next()).body.toString();
    } catch {
      break;
    }
  }
  assert.equal(logs, 'exiting\n');
  assert.deepEqual(await env.exited, { code: 5, signal: null });
});

test('sys.exit(0) at import exits before ready', async () => {
  const env = newEnv('python-init-exit', 'lambda_function.lambda_handler');
  await assert.rejects(env.next(), /environment exited/);
  assert.deepEqual(await env.exited, { code: 0, signal: null });
});

// ---- logging ---------------------------------------------------------------------------------------------------------

test('print, logging on the root logger, sys.stdout/stderr and context.log become log frames in Lambda formats', async () => {
  const { env, init } = await start('python-logging');
  assert.equal(init.logs, 'init print\n');
  const r = await env.invoke('{}');
  assert.equal(r.body, '"logged"');
  const lines = r.logs.split('\n');
  assert.equal(lines[0], 'Lambda log message - print function');
  // The oracle: "[INFO]\t<date>\t<request id>\tLambda log message - logging module".
  assert.match(lines[1]!, new RegExp(`^\\[INFO\\]\\t${DATE}\\t${r.id}\\tLambda log message - logging module$`));
  assert.match(lines[2]!, new RegExp(`^\\[WARNING\\]\\t${DATE}\\t${r.id}\\tfrom a child logger$`));
  assert.deepEqual(lines.slice(3), ['raw stdout', 'raw stderr', 'raw bytes', 'context log', '']);
  env.close();
});

test('AWS_LAMBDA_LOG_FORMAT=JSON writes logging records as JSON lines', async () => {
  const { env } = await start('python-logging', 'lambda_function.lambda_handler', { env: { AWS_LAMBDA_LOG_FORMAT: 'JSON' } });
  const r = await env.invoke('{}');
  const records = r.logs
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
  assert.equal(records.length, 2);
  assert.deepEqual(
    { ...records[0], timestamp: 'date' },
    { timestamp: 'date', level: 'INFO', message: 'Lambda log message - logging module', logger: 'root', requestId: r.id },
  );
  assert.match(records[0].timestamp, new RegExp(`^${DATE}$`));
  assert.equal(records[1].logger, 'child');
  env.close();
});

// ---- channel behaviour, speed, other Python versions -----------------------------------------------------------------

test('EOF on the channel ends an idle environment with exit code 0', async () => {
  const { env } = await start('python-echo');
  env.close();
  assert.deepEqual(await env.exited, { code: 0, signal: null });
});

test('cold start and warm round trip (reported, loosely bounded)', async (t) => {
  const colds: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    const env = newEnv('python-echo', 'lambda_function.lambda_handler');
    await env.ready();
    colds.push(performance.now() - t0);
    env.close();
    await env.exited;
  }
  const { env } = await start('python-nested', 'pkg.mod.handler');
  for (let i = 0; i < 50; i++) await env.invoke('{}');
  const warms: number[] = [];
  for (let i = 0; i < 500; i++) {
    const t0 = performance.now();
    await env.invoke('{"k":"v"}');
    warms.push(performance.now() - t0);
  }
  env.close();
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  t.diagnostic(`python cold start (spawn → ready) median of 10: ${median(colds).toFixed(1)} ms`);
  t.diagnostic(`python warm round trip median of 500: ${(median(warms) * 1000).toFixed(0)} µs`);
  assert.ok(median(colds) < 2000);
  assert.ok(median(warms) < 50);
});

// Other interpreters this machine kind has (pyenv builds, called directly): the bootstrap targets 3.9–3.13.
const otherPythons = (() => {
  const dir = join(homedir(), '.pyenv', 'versions');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((v) => /^3\.(9|1[0-3])\.\d+$/.test(v))
    .map((v) => join(dir, v, 'bin', 'python3'))
    .filter((p) => existsSync(p));
})();

for (const python of otherPythons) {
  test(`echo, context, errors and init errors under ${python}`, async () => {
    const { env } = await start('python-echo', 'lambda_function.lambda_handler', { python });
    assert.equal((await env.invoke('{"a":1}')).body, '{"a": 1}');
    env.close();

    const raises = await start('python-raises', 'handler.handler', { python });
    const r = await raises.env.invoke('{}');
    assert.deepEqual(JSON.parse(r.body).stackTrace, [
      `  File "${join(FUNCTION_FIXTURES, 'python-raises', 'handler.py')}", line 3, in handler\n    raise Exception("Handler fails")\n`,
    ]);
    raises.env.close();

    const init = await startFailing('python-init-error', 'lambda_function.lambda_handler', python);
    assert.equal(init.payload.errorMessage, 'Runtime startup fails');
    assert.match(init.payload.stackTrace[0], /in import_module\n/);
    assert.equal(init.code, 2);

    const dec = await start('python-marshal', 'lambda_function.decimals', { python });
    assert.equal((await dec.env.invoke('{}')).body, '{"price": 19.90, "count": 3, "big": 1E+2}');
    dec.env.close();
  });
}
