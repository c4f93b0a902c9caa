// Holds the two runtime transports to one behaviour: the same invocations run on a server whose built-in runtimes use
// the private channel and on one where they speak the Lambda Runtime API over HTTP, and every observable result (status,
// payload, FunctionError, executed version, the Tail log line by line) must be the same, request ids and times aside.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startAlonzo, zipOf, type TestServer } from '../helpers/alonzo.js';
import { decodeLog, deploy, eventually, fixtureFiles, rawInvoke } from '../helpers/invoke.js';
import { startSink, type Sink } from '../helpers/sink.js';
import { eventInvoke, runs } from '../async/helpers.js';

type Transport = 'channel' | 'runtime-api';
const TRANSPORTS: Transport[] = ['channel', 'runtime-api'];
const servers = {} as Record<Transport, TestServer>;
const PY = { Runtime: 'python3.12', Handler: 'lambda_function.lambda_handler' } as const;

/** Prints `n` lines, then answers: the lines must all be in the invocation's log, before its END line. */
const LINES_THEN_RETURN = {
  'index.js': "exports.handler = async (e) => { for (let i = 0; i < e.n; i++) console.log('line ' + i); return e.n; };",
};
const PY_LINES_THEN_RETURN = {
  'lambda_function.py': "def lambda_handler(e, c):\n    for i in range(e['n']):\n        print('line %d' % i)\n    return e['n']\n",
};
/** Calls its own environment's Runtime API from inside an invocation. */
const PROBE_RUNTIME_API = {
  'index.js': `const http = require('node:http');
exports.handler = async (event) => {
  const api = process.env.AWS_LAMBDA_RUNTIME_API;
  if (!api || !event.call) return { api: api ? 'set' : null };
  return new Promise((resolve) => {
    http.get('http://' + api + '/2018-06-01/runtime/invocation/next', (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ api: 'set', status: res.statusCode, body: JSON.parse(body) }));
    });
  });
};`,
};

/** The recorder reports its runs here, under `retried-<transport>`. */
let sink: Sink;

/**
 * An AWS_LAMBDA_EXEC_WRAPPER that runs a Runtime API client of its own (the bash one) instead of the built-in runtime,
 * shipped in the function's zip as users ship one in their package. Named relative to the task root, the cwd the
 * runtime starts in both with the code at /var/task (a sandbox) and with the code where Alonzo unpacked it (isolation
 * none); an absolute path would hold for one of the two only.
 */
const WRAPPER = './own-runtime.sh';

before(async () => {
  sink = await startSink();
  const bashRuntime = await zipOf({ ...fixtureFiles('provided-bash'), 'own-runtime.sh': '#!/bin/bash\nexec "$LAMBDA_TASK_ROOT/bootstrap"\n' }, 0o755);

  await Promise.all(
    TRANSPORTS.map(async (t) => {
      // A minute of the async path is 60 ms, so that an event's two retries take ~0.2 s.
      const s = (servers[t] = await startAlonzo({ runtimeTransport: t, asyncTimeScale: 0.001 }));
      await Promise.all([
        deploy(s, 'echo', { fixture: 'node-echo' }),
        deploy(s, 'context', { fixture: 'node-context' }),
        deploy(s, 'throws', { fixture: 'node-throws' }),
        deploy(s, 'init-error', { fixture: 'node-init-error' }),
        deploy(s, 'exit', { fixture: 'node-exit' }),
        deploy(s, 'hang', { fixture: 'invoke-hang', Timeout: 1 }),
        deploy(s, 'logging', { fixture: 'node-logging' }),
        deploy(s, 'lines', { zip: await zipOf(LINES_THEN_RETURN) }),
        deploy(s, 'probe', { zip: await zipOf(PROBE_RUNTIME_API) }),
        deploy(s, 'retried', { fixture: 'async-recorder' }),
        deploy(s, 'wrapped', { zip: bashRuntime, Handler: 'function.handler', Environment: { Variables: { AWS_LAMBDA_EXEC_WRAPPER: WRAPPER } } }),
        deploy(s, 'py-echo', { fixture: 'python-echo', ...PY }),
        deploy(s, 'py-context', { fixture: 'python-context', ...PY }),
        deploy(s, 'py-raises', { fixture: 'python-raises', ...PY, Handler: 'handler.handler' }),
        deploy(s, 'py-init-error', { fixture: 'python-init-error', ...PY }),
        deploy(s, 'py-logging', { fixture: 'python-logging', ...PY }),
        deploy(s, 'py-lines', { zip: await zipOf(PY_LINES_THEN_RETURN), ...PY }),
      ]);
    }),
  );
});

after(async () => {
  await Promise.all(TRANSPORTS.map((t) => servers[t]?.close()));
  await sink?.close();
});

interface Observed {
  status: number;
  functionError: string | null;
  executedVersion: string | null;
  payload: string;
  log: string[];
}

/** What may differ between two runs of the same invocation: ids, times, durations, memory, paths, random names. */
function normalize(text: string, s: TestServer): string {
  return text
    .split(s.dataDir)
    .join('<data>')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')
    .replace(/\d{4}\/\d\d\/\d\d\/\[\$LATEST\][0-9a-f]{32}/g, '<stream>')
    .replace(/Root=1-[0-9a-f]{8}-[0-9a-f]{24}[^"]*/g, '<trace>')
    .replace(/("remainingTimeInMillis"|"remaining_time_in_millis"): ?\d+/g, '$1: "<n>"')
    .replace(/"deadlineMs":"\d+"/g, '"deadlineMs":"<n>"')
    .replace(/(Duration|Billed Duration|Max Memory Used|Init Duration): [\d.]+/g, '$1: <n>');
}

async function observe(t: Transport, fn: string, payload: string, headers: Record<string, string>): Promise<Observed> {
  const s = servers[t];
  const r = await rawInvoke(s, fn, payload, { 'X-Amz-Log-Type': 'Tail', ...headers });
  return {
    status: r.status,
    functionError: r.headers.get('x-amz-function-error'),
    executedVersion: r.headers.get('x-amz-executed-version'),
    payload: normalize(r.text, s),
    log: normalize(decodeLog(r.headers.get('x-amz-log-result')), s).split('\n'),
  };
}

/** Runs one invocation on both transports at once; asserts they agree and returns what they agreed on. */
async function both(fn: string, payload: unknown = {}, headers: Record<string, string> = {}): Promise<Observed> {
  const body = JSON.stringify(payload);
  const [channel, api] = await Promise.all(TRANSPORTS.map((t) => observe(t, fn, body, headers)));
  assert.deepEqual(api, channel, `${fn}: runtime-api and channel differ`);
  return channel!;
}

const json = (o: Observed) => JSON.parse(o.payload);
const START = /^START RequestId: <id> Version: \$LATEST$/;
const REPORT = /^REPORT RequestId: <id>\tDuration: <n> ms\tBilled Duration: <n> ms\tMemory Size: 128 MB\tMax Memory Used: <n> MB\t/;

describe('Node.js', () => {
  test('echo, cold then warm: payload, START / log line / END / REPORT (Init Duration only when cold)', async () => {
    const cold = await both('echo', { hello: 'wörld' });
    assert.equal(cold.status, 200);
    assert.equal(cold.functionError, null);
    assert.equal(cold.executedVersion, '$LATEST');
    assert.deepEqual(json(cold), { hello: 'wörld' });
    assert.match(cold.log[0]!, START);
    assert.equal(cold.log[1], '<time>\t<id>\tINFO\t{"hello":"wörld"}');
    assert.equal(cold.log[2], 'END RequestId: <id>');
    assert.match(cold.log[3]!, REPORT);
    assert.match(cold.log[3]!, /Init Duration: <n> ms\t$/);
    const warm = await both('echo', [1, 'two', null]);
    assert.deepEqual(json(warm), [1, 'two', null]);
    assert.doesNotMatch(warm.log[3]!, /Init Duration/);
  });

  test('context, with a ClientContext holding line breaks and non-ASCII text', async () => {
    const cc = { custom: { note: 'héllo 🎉 \u007f "quoted"' }, env: { locale: 'fr' }, client: { installation_id: 'i-1' } };
    const r = await both('context', {}, { 'X-Amz-Client-Context': Buffer.from(JSON.stringify(cc, null, 2)).toString('base64') });
    const body = json(r);
    assert.deepEqual(body.context.clientContext, cc);
    assert.equal(body.context.functionName, 'context');
    assert.equal(body.context.awsRequestId, '<id>');
    assert.equal(body.remainingTimeInMillis, '<n>');
    assert.equal(body.traceId, '<trace>');
  });

  test('a thrown Error: Unhandled, {errorType, errorMessage, trace}, the "Invoke Error" line', async () => {
    const r = await both('throws', { error_msg: 'boom' });
    assert.equal(r.functionError, 'Unhandled');
    const body = json(r);
    assert.equal(body.errorType, 'Error');
    assert.equal(body.errorMessage, 'Error: boom');
    assert.match(r.log[1]!, /^<time>\t<id>\tERROR\tInvoke Error \t\{"errorType":"Error"/);
  });

  test('an init error: the init lines before START, Status: error, the same payload', async () => {
    const r = await both('init-error');
    assert.equal(r.functionError, 'Unhandled');
    assert.equal(json(r).errorMessage, 'init failed on purpose');
    assert.match(r.log[0]!, /^<time>\tundefined\tINFO\tinitialising$/);
    assert.match(r.log.find((l) => l.startsWith('REPORT'))!, /Status: error\t$/);
  });

  test('process.exit in the handler: Runtime.ExitError, and the line printed before exiting is in the log', async () => {
    const r = await both('exit', { code: 3 });
    assert.deepEqual(json(r), { errorType: 'Runtime.ExitError', errorMessage: 'RequestId: <id> Error: Runtime exited with error: exit status 3' });
    assert.equal(r.log[r.log.indexOf('END RequestId: <id>') - 1], '<time>\t<id>\tINFO\texiting');
  });

  test('a timeout: Sandbox.Timedout, the lines before it, and the "Task timed out" line', async () => {
    const r = await both('hang', { ms: 3000 });
    assert.equal(json(r).errorType, 'Sandbox.Timedout');
    assert.deepEqual(r.log.slice(1, 3), ['<time>\t<id>\tINFO\tstarting wait', '<time> <id> Task timed out after 1.00 seconds']);
    assert.match(r.log.find((l) => l.startsWith('REPORT'))!, /Status: timeout\t$/);
  });

  test('Tail: every console method, raw stdout and stderr, multi-line entries, in order', async () => {
    const r = await both('logging');
    assert.deepEqual(json(r), 'logged');
    const text = r.log.join('\n');
    assert.match(text, /^<time>\tundefined\tINFO\tinit log\nSTART /);
    assert.match(text, /INFO\tmulti\nline\nraw stdout\nraw stderr\nEND RequestId/);
  });

  test('lines printed right before the response are all in their own invocation (100 warm invokes)', async () => {
    await checkLinesBeforeEnd('lines');
  });

  test('AWS_LAMBDA_RUNTIME_API is set in both; with the channel, a Runtime API call from the function gets 403', async () => {
    assert.deepEqual(json(await both('probe', { call: false })), { api: 'set' });
    // Over the Runtime API transport the same call would be a second runtime polling for work, as on AWS: not made.
    const channel = await observe('channel', 'probe', '{"call":true}', {});
    assert.deepEqual(JSON.parse(channel.payload), {
      api: 'set',
      status: 403,
      body: { errorType: 'InvalidStateTransition', errorMessage: "State transition failed for runtime. Error: this environment's runtime is connected over Alonzo's private channel" },
    });
  });

  test('an async event that fails is retried twice with the same request id, on the warm environment', async () => {
    const sameId = await Promise.all(
      TRANSPORTS.map(async (t) => {
        const key = `retried-${t}`;
        const { requestId } = await eventInvoke(servers[t], 'retried', { sink: sink.url(key), fail: true });
        await eventually(async () => runs(sink, key).length >= 3, 5000, `three attempts over ${t}`);
        await new Promise((ok) => setTimeout(ok, 200));
        return runs(sink, key).map((r) => r.requestId === requestId);
      }),
    );
    assert.deepEqual(sameId, [
      [true, true, true],
      [true, true, true],
    ]);
  });

  test('an exec wrapper that runs its own Runtime API client instead of the built-in runtime is served', async () => {
    const r = await both('wrapped', { hi: 1 });
    assert.equal(r.functionError, null, r.payload);
    const body = json(r);
    assert.deepEqual(body.event, { hi: 1 });
    assert.equal(body.requestId, '<id>');
    assert.equal(r.log[0], 'bash runtime: ready for function.handler');
  });
});

describe('Python', () => {
  test('echo: payload and the printed line', async () => {
    const r = await both('py-echo', { a: [1, 2] });
    assert.deepEqual(json(r), { a: [1, 2] });
    assert.equal(r.log[1], '{"a": [1, 2]}');
  });

  test('context, with a ClientContext', async () => {
    const cc = { custom: { k: 'vé' }, env: { e: '1' }, client: { installation_id: 'i-2' } };
    const r = await both('py-context', {}, { 'X-Amz-Client-Context': Buffer.from(JSON.stringify(cc)).toString('base64') });
    const body = json(r);
    assert.deepEqual(body.client_context, { custom: cc.custom, env: cc.env, client: { installation_id: 'i-2' } });
    assert.equal(body.function_name, 'py-context');
    assert.equal(body.log_stream_name, '<stream>');
  });

  test('raise: Unhandled, the awslambdaric payload and the [ERROR] lines', async () => {
    const r = await both('py-raises');
    assert.equal(r.functionError, 'Unhandled');
    const body = json(r);
    assert.equal(body.errorType, 'Exception');
    assert.equal(body.errorMessage, 'Handler fails');
    assert.ok(r.log.includes('[ERROR] Exception: Handler fails'), r.log.join('\n'));
  });

  test('an init error: the traceback payload, the LAMBDA_WARNING and [ERROR] lines before START', async () => {
    const r = await both('py-init-error');
    assert.equal(r.functionError, 'Unhandled');
    const body = json(r);
    assert.equal(body.errorMessage, 'Runtime startup fails');
    assert.equal(body.requestId, '');
    assert.match(r.log.join('\n'), /LAMBDA_WARNING: Unhandled exception[\s\S]*\[ERROR\] Exception: Runtime startup fails[\s\S]*\nSTART RequestId/);
  });

  test('logging module and print, in order', async () => {
    const r = await both('py-logging');
    assert.equal(r.functionError, null, r.payload);
    assert.ok(r.log.length > 4);
  });

  test('lines printed right before the response are all in their own invocation (100 warm invokes)', async () => {
    await checkLinesBeforeEnd('py-lines');
  });
});

/** Without draining the pipes first, 37 and 55 of 500 such invokes over the Runtime API lost their lines (measured). */
async function checkLinesBeforeEnd(fn: string): Promise<void> {
  const n = 5;
  const expected = Array.from({ length: n }, (_, i) => (fn.startsWith('py') ? `line ${i}` : `<time>\t<id>\tINFO\tline ${i}`));
  for (let i = 0; i < 100; i++) {
    const r = await both(fn, { n });
    const end = r.log.indexOf('END RequestId: <id>');
    assert.deepEqual(r.log.slice(end - n, end), expected, `invoke ${i}: ${r.log.join('\n')}`);
  }
}
