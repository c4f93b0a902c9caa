// External Lambda extensions in a layer (extensions/ at the layer's root, /opt/extensions in the environment), written
// to AWS's documented Extensions API in bash + curl and in Node.js, through the JavaScript SDK: registration and its
// answer, INVOKE events with their fields, the environment kept busy after the runtime's answer while an extension
// works (the REPORT line counts it), SHUTDOWN when the environment stops, and extensions that fail at init.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvokeCommand, PublishLayerVersionCommand, PutFunctionConcurrencyCommand, TooManyRequestsException, UpdateFunctionConfigurationCommand, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { startAlonzo, zipOf, type TestServer } from '../helpers/alonzo.js';
import { decodeLog, deploy, eventually, fixtureZip, functionLogs, waitActive } from '../helpers/invoke.js';
import { startSink, type Sink } from '../helpers/sink.js';
import { FIXTURES } from '../helpers/paths.js';

const ext = (name: string): string => readFileSync(join(FIXTURES, 'extensions', name), 'utf8');
const text = (r: InvokeCommandOutput): string => Buffer.from(r.Payload ?? new Uint8Array()).toString('utf8');

async function layer(s: TestServer, name: string, files: Record<string, string>): Promise<string> {
  const zip = await zipOf(files, 0o755);
  return (await s.client.send(new PublishLayerVersionCommand({ LayerName: name, Content: { ZipFile: zip } }))).LayerVersionArn!;
}

const ECHO = { 'index.js': 'exports.handler = async (e) => { console.log("handler ran"); return { echo: e }; };\n' };

for (const isolation of ['auto', 'none'] as const) describe(`extensions [${isolation}]`, () => {
  let s: TestServer;
  let sink: Sink;
  before(async () => {
    s = await startAlonzo({ isolation });
    sink = await startSink();
  });
  after(async () => {
    await s.close();
    await sink.close();
  });

  test('a bash + curl extension registers, gets INVOKE with its fields for each invocation, and SHUTDOWN when the environment stops', async () => {
    const fn = `ext-recorder-${isolation}`;
    const arn = await layer(s, `recorder-${isolation}`, { 'extensions/recorder': ext('recorder.sh') });
    await deploy(s, fn, { zip: await zipOf(ECHO), Layers: [arn], Environment: { Variables: { SINK_URL: sink.url(fn) } } });
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await s.client.send(new InvokeCommand({ FunctionName: fn, Payload: Buffer.from(JSON.stringify({ i })), LogType: 'Tail' }));
      assert.equal(r.FunctionError, undefined, text(r));
      assert.deepEqual(JSON.parse(text(r)), { echo: { i } });
      ids.push(r.$metadata.requestId!);
      if (i === 0) {
        const log = decodeLog(r.LogResult);
        assert.match(log, /EXTENSION\tName: recorder\tState: Ready\tEvents: \[INVOKE,SHUTDOWN\]\n/);
        // Init output (the extension's line, the EXTENSION line) comes before the first START.
        assert.ok(log.indexOf('EXTENSION\tName') < log.indexOf('START RequestId'), log);
      }
    }
    // The extension's own output is in the function's log too.
    await eventually(async () => /recorder extension registered\n/.test(await functionLogs(s, fn)), 10_000, "the extension's output in the log");
    const records = await eventually(async () => {
      const r = sink.records(fn);
      return r.filter((x) => x.eventType === 'INVOKE').length >= 2 && r;
    }, 10_000, 'two INVOKE events');
    const reg = records[0];
    assert.deepEqual(reg.registered, { functionName: fn, functionVersion: '$LATEST', handler: 'index.handler', accountId: '000000000000' });
    assert.match(reg.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(reg.fn, fn, 'extensions get the function\'s environment variables');
    const invokes = records.filter((x) => x.eventType === 'INVOKE');
    assert.deepEqual(invokes.map((x) => x.requestId), ids);
    for (const e of invokes) {
      assert.equal(e.invokedFunctionArn, `arn:aws:lambda:us-east-1:000000000000:function:${fn}`);
      assert.ok(Number.isInteger(e.deadlineMs) && e.deadlineMs > Date.now() - 60_000, `deadlineMs ${e.deadlineMs}`);
      assert.equal(e.tracing.type, 'X-Amzn-Trace-Id');
      assert.match(e.tracing.value, /^Root=1-/);
    }
    // A configuration change retires the warm environment: its extension gets SHUTDOWN, with a deadline, and exits.
    await s.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: fn, Description: 'changed' }));
    await waitActive(s, fn);
    const shutdown = await eventually(async () => sink.records(fn).find((x) => x.eventType === 'SHUTDOWN'), 10_000, 'SHUTDOWN');
    assert.equal(shutdown.shutdownReason, 'spindown');
    assert.ok(Number.isInteger(shutdown.deadlineMs), `deadlineMs ${shutdown.deadlineMs}`);
  });

  test('extensions work beside every runtime family: Python, and a provided.al2023 bash runtime on the Runtime API', async () => {
    const arn = await layer(s, `recorder-families-${isolation}`, { 'extensions/recorder': ext('recorder.sh') });
    const fns = [
      { fn: `ext-python-${isolation}`, opts: { zip: await fixtureZip('python-echo'), Runtime: 'python3.12' as const, Handler: 'lambda_function.lambda_handler' } },
      { fn: `ext-provided-${isolation}`, opts: { zip: await fixtureZip('provided-bash', 0o755), Runtime: 'provided.al2023' as const, Handler: 'function.handler' } },
    ];
    for (const { fn, opts } of fns) {
      await deploy(s, fn, { ...opts, Layers: [arn], Environment: { Variables: { SINK_URL: sink.url(fn) } } });
      const r = await s.client.send(new InvokeCommand({ FunctionName: fn, Payload: Buffer.from('{"k":"v"}') }));
      assert.equal(r.FunctionError, undefined, text(r));
      const id = r.$metadata.requestId!;
      await eventually(async () => sink.records(fn).some((x) => x.eventType === 'INVOKE' && x.requestId === id), 10_000, `INVOKE for ${fn}`);
    }
  });

  test('the caller gets the answer when the runtime answers; the environment stays busy until the extension calls next, and REPORT counts that time', async () => {
    const fn = `ext-slow-${isolation}`;
    const arn = await layer(s, `slow-${isolation}`, { 'extensions/slow.js': ext('slow.js') });
    // Extensions count in the environment's memory, as on Lambda: a Node.js extension beside a Node.js runtime needs room.
    await deploy(s, fn, { zip: await zipOf(ECHO), Layers: [arn], MemorySize: 512, Environment: { Variables: { SINK_URL: sink.url(fn) } } });
    const r = await s.client.send(new InvokeCommand({ FunctionName: fn, Payload: Buffer.from('{"n":1}') }));
    assert.equal(r.FunctionError, undefined, text(r));
    assert.deepEqual(JSON.parse(text(r)), { echo: { n: 1 } });
    const id = r.$metadata.requestId!;
    const answered = Date.now();
    // The extension has the INVOKE, and has not finished: it waits for the test.
    await eventually(async () => sink.records(fn).some((x) => x.got === 'INVOKE' && x.requestId === id), 10_000, 'INVOKE at the extension');
    assert.equal(sink.records(fn).some((x) => x.done === id), false);
    // Meanwhile the environment is busy: a second invocation gets an environment of its own (a second cold start).
    const r2 = await s.client.send(new InvokeCommand({ FunctionName: fn, Payload: Buffer.from('{"n":2}'), LogType: 'Tail' }));
    assert.deepEqual(JSON.parse(text(r2)), { echo: { n: 2 } });
    assert.match(decodeLog(r2.LogResult), /EXTENSION\tName: slow\.js\tState: Ready\tEvents: \[INVOKE\]/, 'a fresh environment');
    const released = Date.now();
    sink.add(`${fn}-release`, { requestId: id });
    sink.add(`${fn}-release`, { requestId: r2.$metadata.requestId });
    await eventually(async () => sink.records(fn).some((x) => x.done === id), 10_000, 'the extension done');
    const logs = await eventually(async () => {
      const l = await functionLogs(s, fn);
      return new RegExp(`REPORT RequestId: ${id}`).test(l) && l;
    }, 10_000, 'the REPORT line');
    // The extension's output after the answer belongs to that invocation, before its END/REPORT.
    const mine = logs.slice(logs.indexOf(`START RequestId: ${id}`));
    assert.ok(mine.indexOf(`slow extension done with ${id}`) < mine.indexOf(`END RequestId: ${id}`), mine);
    // The REPORT's Duration covers the time the extension held the environment (at least until the test released it).
    const duration = Number(new RegExp(`REPORT RequestId: ${id}\\tDuration: ([0-9.]+) ms`).exec(logs)![1]);
    assert.ok(duration >= released - answered, `Duration ${duration} ms, held ${released - answered} ms after the answer`);
    // Once the extension called next, the environment is free: a third invocation is warm.
    const r3 = await s.client.send(new InvokeCommand({ FunctionName: fn, Payload: Buffer.from('{"n":3}'), LogType: 'Tail' }));
    assert.doesNotMatch(decodeLog(r3.LogResult), /Init Duration/);
    sink.add(`${fn}-release`, { requestId: r3.$metadata.requestId });
  });

  test('while an extension works after the answer, the invocation still counts against reserved concurrency (429 meanwhile), as on AWS', async () => {
    const fn = `ext-reserved-${isolation}`;
    const arn = await layer(s, `slow-reserved-${isolation}`, { 'extensions/slow.js': ext('slow.js') });
    await deploy(s, fn, { zip: await zipOf(ECHO), Layers: [arn], MemorySize: 512, Environment: { Variables: { SINK_URL: sink.url(fn) } } });
    await s.client.send(new PutFunctionConcurrencyCommand({ FunctionName: fn, ReservedConcurrentExecutions: 1 }));
    const r = await s.client.send(new InvokeCommand({ FunctionName: fn, Payload: Buffer.from('{"n":1}') }));
    assert.deepEqual(JSON.parse(text(r)), { echo: { n: 1 } });
    const id = r.$metadata.requestId!;
    await eventually(async () => sink.records(fn).some((x) => x.got === 'INVOKE' && x.requestId === id), 10_000, 'INVOKE at the extension');
    await assert.rejects(
      s.client.send(new InvokeCommand({ FunctionName: fn, Payload: Buffer.from('{"n":2}') })),
      (e: unknown) => e instanceof TooManyRequestsException && (e as { Reason?: string }).Reason === 'ReservedFunctionConcurrentInvocationLimitExceeded',
    );
    sink.add(`${fn}-release`, { requestId: id });
    await eventually(async () => sink.records(fn).some((x) => x.done === id), 10_000, 'the extension done');
    const r3 = await eventually(async () => {
      try {
        return await s.client.send(new InvokeCommand({ FunctionName: fn, Payload: Buffer.from('{"n":3}') }));
      } catch (e) {
        if (e instanceof TooManyRequestsException) return false;
        throw e;
      }
    }, 10_000, 'a free slot once the extension is done');
    assert.deepEqual(JSON.parse(text(r3)), { echo: { n: 3 } });
    sink.add(`${fn}-release`, { requestId: r3.$metadata.requestId });
  });

  test('an extension that has not called next again by the invocation\'s deadline loses its environment; the REPORT says so', async () => {
    const fn = `ext-late-${isolation}`;
    const arn = await layer(s, `late-${isolation}`, { 'extensions/slow.js': ext('slow.js') });
    await deploy(s, fn, { zip: await zipOf(ECHO), Timeout: 1, Layers: [arn], MemorySize: 512, Environment: { Variables: { SINK_URL: sink.url(fn) } } });
    const r = await s.client.send(new InvokeCommand({ FunctionName: fn, Payload: Buffer.from('{"n":1}') }));
    // The caller has its answer; the extension never gets its release, so the 1 s Timeout ends the environment.
    assert.deepEqual(JSON.parse(text(r)), { echo: { n: 1 } });
    const id = r.$metadata.requestId!;
    await eventually(async () => new RegExp(`REPORT RequestId: ${id}\\t.*Status: error`).test(await functionLogs(s, fn)), 10_000, 'the REPORT line with Status: error');
    const r2 = await s.client.send(new InvokeCommand({ FunctionName: fn, Payload: Buffer.from('{"n":2}'), LogType: 'Tail' }));
    // (Its Tail has no REPORT yet: its own extension holds it in turn.)
    assert.match(decodeLog(r2.LogResult), /EXTENSION\tName: slow\.js\tState: Ready/, 'a new environment');
    sink.add(`${fn}-release`, { requestId: r2.$metadata.requestId });
  });

  test('an extension that exits at init fails the init with Extension.Crash, as AWS reports it', async () => {
    const fn = `ext-crash-${isolation}`;
    const arn = await layer(s, `crash-${isolation}`, { 'extensions/crash': ext('crash.sh') });
    await deploy(s, fn, { zip: await zipOf(ECHO), Layers: [arn] });
    const r = await s.client.send(new InvokeCommand({ FunctionName: fn, Payload: Buffer.from('{}'), LogType: 'Tail' }));
    assert.equal(r.FunctionError, 'Unhandled');
    const id = r.$metadata.requestId!;
    assert.deepEqual(JSON.parse(text(r)), { errorType: 'Extension.Crash', errorMessage: `RequestId: ${id} Error: exit status 3` });
    assert.match(decodeLog(r.LogResult), /crash extension: giving up/);
    assert.doesNotMatch(decodeLog(r.LogResult), /handler ran/);
  });

  test('an extension that reports exit/error during an invocation ends it with its error type; the next invocation gets a new environment', async () => {
    const fn = `ext-exit-error-${isolation}`;
    const arn = await layer(s, `exit-error-${isolation}`, { 'extensions/exit-error': ext('exit-error.sh') });
    await deploy(s, fn, { zip: await zipOf({ 'index.js': 'exports.handler = () => new Promise((ok) => setTimeout(() => ok("late"), 5000));\n' }), Timeout: 10, Layers: [arn] });
    const r = await s.client.send(new InvokeCommand({ FunctionName: fn, Payload: Buffer.from('{}') }));
    assert.equal(r.FunctionError, 'Unhandled');
    assert.deepEqual(JSON.parse(text(r)), { errorType: 'Extension.Fatal', errorMessage: `RequestId: ${r.$metadata.requestId} Error: Extension exit error reported by exit-error` });
    const r2 = await s.client.send(new InvokeCommand({ FunctionName: fn, Payload: Buffer.from('{}'), LogType: 'Tail' }));
    assert.match(decodeLog(r2.LogResult), /EXTENSION\tName: exit-error\tState: Ready/, 'a new environment');
  });

  test('an internal extension (NODE_OPTIONS --require from a layer) registers during the runtime\'s init and gets INVOKE; SHUTDOWN is refused to it', async () => {
    const fn = `ext-internal-${isolation}`;
    const arn = await layer(s, `internal-${isolation}`, { 'nodejs/internal.js': ext('internal.js') });
    await deploy(s, fn, {
      zip: await zipOf({ 'index.js': 'exports.handler = async () => ({ pid: process.pid });\n' }),
      Layers: [arn],
      MemorySize: 256,
      Environment: { Variables: { SINK_URL: sink.url(fn), NODE_OPTIONS: '--require /opt/nodejs/internal.js' } },
    });
    if (isolation === 'none') {
      // Without a sandbox there is no /opt: the layer's folder stands in, which NODE_OPTIONS cannot name in advance.
      return;
    }
    const r = await s.client.send(new InvokeCommand({ FunctionName: fn, Payload: Buffer.from('{}') }));
    assert.equal(r.FunctionError, undefined, text(r));
    const { pid } = JSON.parse(text(r));
    const records = await eventually(async () => {
      const list = sink.records(fn);
      return list.some((x) => x.event === 'INVOKE') && list;
    }, 10_000, 'INVOKE at the internal extension');
    assert.deepEqual(records[0], { refused: 403, body: { errorMessage: 'SHUTDOWN: ShutdownEventNotSupportedForInternalExtension', errorType: 'Extension.InvalidEventType' } });
    assert.equal(records[1].registered, 200);
    assert.equal(records[1].pid, pid, 'it runs in the runtime\'s own process');
    assert.equal(records.find((x) => x.event === 'INVOKE').requestId, r.$metadata.requestId);
  });

  test('an extension that reports an init error fails the init with its error type', async () => {
    const fn = `ext-init-error-${isolation}`;
    const arn = await layer(s, `init-error-${isolation}`, { 'extensions/init-error': ext('init-error.sh') });
    await deploy(s, fn, { zip: await zipOf(ECHO), Layers: [arn] });
    const r = await s.client.send(new InvokeCommand({ FunctionName: fn, Payload: Buffer.from('{}') }));
    assert.equal(r.FunctionError, 'Unhandled');
    assert.equal(JSON.parse(text(r)).errorType, 'Extension.ConfigInvalid');
  });
});

test('stopping the server sends SHUTDOWN to the extensions and waits for them before it kills their environments', async () => {
  const s = await startAlonzo();
  const sink = await startSink();
  try {
    const fn = 'ext-server-stop';
    const arn = await layer(s, 'recorder-stop', { 'extensions/recorder': ext('recorder.sh') });
    await deploy(s, fn, { zip: await zipOf(ECHO), Layers: [arn], Environment: { Variables: { SINK_URL: sink.url(fn) } } });
    const r = await s.client.send(new InvokeCommand({ FunctionName: fn, Payload: Buffer.from('{}') }));
    assert.equal(r.FunctionError, undefined, text(r));
    await s.close();
    // By the time close() resolves, the extension has had its SHUTDOWN and reported it (it exits right after).
    const shutdown = sink.records(fn).find((x) => x.eventType === 'SHUTDOWN');
    assert.ok(shutdown, JSON.stringify(sink.records(fn)));
    assert.equal(shutdown.shutdownReason, 'spindown');
  } finally {
    await sink.close();
  }
});
