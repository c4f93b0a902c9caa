// Faulty functions (oracle invoke-errors-timeouts and the error entries of invoke-runtimes): for each fault the server
// survives, the answer is AWS's (200 + X-Amz-Function-Error: Unhandled + the exact payload), and the next invoke of
// the same function is answered by a working environment.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GetFunctionCommand, InvokeCommand, UpdateFunctionCodeCommand, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { startAlonzo, type TestServer } from '../helpers/alonzo.js';
import { childPids, decodeLog, deploy, eventually, fixtureZip, functionLogs, waitActive } from '../helpers/invoke.js';
import { startSink, type Sink } from '../helpers/sink.js';

const text = (r: InvokeCommandOutput) => Buffer.from(r.Payload ?? new Uint8Array()).toString('utf8');
const json = (r: InvokeCommandOutput) => JSON.parse(text(r));

let s: TestServer;
/** Where a process the `spawns` function started reports that it is alive, then gone. */
let sink: Sink;

before(async () => {
  sink = await startSink();
  s = await startAlonzo();
  await Promise.all([
    deploy(s, 'healthy', { fixture: 'node-echo' }),
    deploy(s, 'throws', { fixture: 'node-throws' }),
    deploy(s, 'exits', { fixture: 'node-exit' }),
    deploy(s, 'signals', { fixture: 'invoke-signal' }),
    deploy(s, 'spawns', { fixture: 'invoke-child-process', Timeout: 1 }),
    deploy(s, 'hangs', { fixture: 'invoke-hang', Timeout: 1 }),
    deploy(s, 'oom', { fixture: 'invoke-oom', MemorySize: 128, Timeout: 10 }),
    deploy(s, 'prints', { fixture: 'invoke-print-100mb', Timeout: 20 }),
    deploy(s, 'big-response', { fixture: 'invoke-big-response', Timeout: 10 }),
    deploy(s, 'never-settles', { fixture: 'node-never-settles' }),
    deploy(s, 'init-fails', { fixture: 'node-init-error' }),
    deploy(s, 'tmp-state', { fixture: 'invoke-tmp-state', Timeout: 1 }),
    deploy(s, 'py-raises', { fixture: 'python-raises', Runtime: 'python3.12', Handler: 'handler.handler' }),
    deploy(s, 'py-exits', { fixture: 'python-exit', Runtime: 'python3.12', Handler: 'lambda_function.lambda_handler' }),
    deploy(s, 'py-init-fails', { fixture: 'python-init-error', Runtime: 'python3.13', Handler: 'lambda_function.lambda_handler' }),
    deploy(s, 'py-init-exits', { fixture: 'python-init-exit', Runtime: 'python3.12', Handler: 'lambda_function.lambda_handler' }),
    deploy(s, 'bad-wrapper', { fixture: 'python-echo', Runtime: 'python3.12', Handler: 'lambda_function.lambda_handler', Environment: { Variables: { AWS_LAMBDA_EXEC_WRAPPER: '/idontexist.sh' } } }),
  ]);
});

after(async () => {
  await s?.close();
  await sink?.close();
});

async function invoke(fn: string, payload: unknown = {}, tail = true): Promise<InvokeCommandOutput> {
  return s.client.send(new InvokeCommand({ FunctionName: fn, Payload: Buffer.from(JSON.stringify(payload)), LogType: tail ? 'Tail' : undefined }));
}

/** A function error as AWS answers it: HTTP 200, FunctionError Unhandled, $LATEST ran. */
function assertUnhandled(r: InvokeCommandOutput): any {
  assert.equal(r.StatusCode, 200);
  assert.equal(r.FunctionError, 'Unhandled', text(r));
  assert.equal(r.ExecutedVersion, '$LATEST');
  return json(r);
}

/** The server still serves the API and other functions. */
async function assertServerAlive(): Promise<void> {
  const r = await invoke('healthy', { alive: true }, false);
  assert.deepEqual(json(r), { alive: true });
  const g = await s.client.send(new GetFunctionCommand({ FunctionName: 'healthy' }));
  assert.equal(g.Configuration?.State, 'Active');
}

const isCold = (r: InvokeCommandOutput) => /\tInit Duration: [\d.]+ ms\t/.test(decodeLog(r.LogResult));

describe('Node.js faults', () => {
  test('a handler that throws → {errorType, errorMessage, trace}; the environment stays warm', async () => {
    const r = await invoke('throws', { error_msg: 'some_error_msg' });
    const body = assertUnhandled(r);
    assert.deepEqual(Object.keys(body), ['errorType', 'errorMessage', 'trace']);
    assert.equal(body.errorType, 'Error');
    assert.equal(body.errorMessage, 'Error: some_error_msg');
    assert.ok(Array.isArray(body.trace) && body.trace[0] === 'Error: Error: some_error_msg', JSON.stringify(body.trace));
    assert.match(decodeLog(r.LogResult), /\tERROR\tInvoke Error \t\{"errorType":"Error","errorMessage":"Error: some_error_msg"/);
    const again = await invoke('throws', { error_msg: 'second' });
    assert.equal(assertUnhandled(again).errorMessage, 'Error: second');
    assert.equal(isCold(again), false, 'a thrown error does not cost the environment');
    await assertServerAlive();
  });

  test('process.exit(1) → Runtime.ExitError "exit status 1"; the next invoke gets a fresh environment', async () => {
    const r = await invoke('exits');
    const id = r.$metadata.requestId!;
    assert.deepEqual(assertUnhandled(r), { errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${id} Error: Runtime exited with error: exit status 1` });
    assert.match(decodeLog(r.LogResult), /exiting/);
    const again = await invoke('exits', { code: 0 });
    assert.equal(isCold(again), true, 'a new environment answered');
    assert.deepEqual(assertUnhandled(again), {
      errorType: 'Runtime.ExitError',
      errorMessage: `RequestId: ${again.$metadata.requestId} Error: Runtime exited without providing a reason`,
    });
    await assertServerAlive();
  });

  test('a runtime killed by a signal → Runtime.ExitError naming the signal as AWS does', async () => {
    for (const [signal, words] of [
      ['SIGTERM', 'terminated'],
      ['SIGSEGV', 'segmentation fault'],
      ['SIGKILL', 'killed'],
    ]) {
      const r = await invoke('signals', { signal });
      assert.deepEqual(assertUnhandled(r), {
        errorType: 'Runtime.ExitError',
        errorMessage: `RequestId: ${r.$metadata.requestId} Error: Runtime exited with error: signal: ${words}`,
      });
      assert.match(decodeLog(r.LogResult), new RegExp(`raising ${signal}`));
    }
    await assertServerAlive();
  });

  test('a handler past its 1 s timeout → Sandbox.Timedout after ~1 s; the next invoke works (oracle test_lambda_invoke_with_timeout)', async () => {
    const t0 = Date.now();
    const r = await invoke('hangs', { ms: 5000 });
    const took = Date.now() - t0;
    const id = r.$metadata.requestId!;
    assert.deepEqual(assertUnhandled(r), { errorType: 'Sandbox.Timedout', errorMessage: `RequestId: ${id} Error: Task timed out after 1.00 seconds` });
    assert.equal(text(r), `{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: ${id} Error: Task timed out after 1.00 seconds"}`);
    assert.ok(took >= 950 && took < 2500, `took ${took} ms`);
    const log = decodeLog(r.LogResult);
    assert.match(log, /starting wait/);
    assert.doesNotMatch(log, /done waiting/);
    assert.match(log, new RegExp(`Task timed out after 1\\.00 seconds\\nEND RequestId: ${id}\\nREPORT RequestId: ${id}\\tDuration: \\d+\\.\\d\\d ms`));
    const ok = await invoke('hangs', { ms: 10 });
    assert.equal(ok.FunctionError, undefined);
    assert.deepEqual(json(ok), { waited: 10 });
    assert.equal(isCold(ok), true, 'the timed-out runtime was replaced');
    // The killed invocation never finishes later in the background.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal((await functionLogs(s, 'hangs')).match(/done waiting/g)?.length, 1, 'only the second invocation finished its wait');
    await assertServerAlive();
  });

  test('processes the function started die with its environment on a timeout', async () => {
    const r = await invoke('spawns', { sink: sink.url('child') });
    assert.equal(assertUnhandled(r).errorType, 'Sandbox.Timedout');
    assert.deepEqual(sink.records('child').slice(0, 1), [{ held: 'open' }], 'the child was running during the invocation');
    await eventually(async () => sink.records('child').length === 2, 2000, "the function's child to be killed");
    assert.deepEqual(sink.records('child'), [{ held: 'open' }, { held: 'closed' }]);
  });

  test('a timeout restarts the runtime but keeps /tmp: the file survives, the global resets (oracle test_lambda_invoke_timed_out_environment_reuse)', async () => {
    assert.equal(text(await invoke('tmp-state', { action: 'write', content: 'some-content' }, false)), 'null');
    assert.deepEqual(json(await invoke('tmp-state', { action: 'read' }, false)), { content: 'some-content' });
    assert.equal(text(await invoke('tmp-state', { action: 'set', number: 42 }, false)), 'null');
    assert.deepEqual(json(await invoke('tmp-state', { action: 'get' }, false)), { number: 42 });
    const timedOut = await invoke('tmp-state', { action: 'sleep', ms: 2000 }, false);
    assert.equal(assertUnhandled(timedOut).errorType, 'Sandbox.Timedout');
    assert.deepEqual(json(await invoke('tmp-state', { action: 'read' }, false)), { content: 'some-content' });
    assert.deepEqual(json(await invoke('tmp-state', { action: 'get' }, false)), { number: 0 });
  });

  test('allocating twice its MemorySize → Runtime.OutOfMemory; a small request afterwards works', async () => {
    const r = await invoke('oom');
    const id = r.$metadata.requestId!;
    assert.deepEqual(assertUnhandled(r), { errorType: 'Runtime.OutOfMemory', errorMessage: `RequestId: ${id} Error: Runtime exited with error: signal: killed` });
    assert.match(decodeLog(r.LogResult), /\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\t/);
    const ok = await invoke('oom', { mb: 8 });
    assert.equal(ok.FunctionError, undefined, text(ok));
    assert.deepEqual(json(ok), { allocatedMb: 8 });
    await assertServerAlive();
  });

  test('printing 100 MB: the invocation succeeds, its log is bounded, the Tail is 4 KB', async () => {
    const rss = process.memoryUsage().rss;
    const r = await invoke('prints');
    assert.equal(r.FunctionError, undefined, text(r).slice(0, 300));
    assert.deepEqual(json(r), { printedMb: 100 });
    const tail = Buffer.from(r.LogResult!, 'base64');
    assert.equal(tail.length, 4096);
    assert.match(tail.toString(), /printed\nEND RequestId: [\s\S]*\nREPORT RequestId: /);
    const stored = await functionLogs(s, 'prints');
    assert.ok(stored.length < 4 << 20, `stored log is ${stored.length} bytes`);
    assert.ok(process.memoryUsage().rss - rss < 200 << 20, 'the server did not hold the output');
    const again = await invoke('prints', { mb: 1 }, false);
    assert.deepEqual(json(again), { printedMb: 1 });
    await assertServerAlive();
  });

  test('a 7 MiB response → Function.ResponseSizeTooLarge, twice; exactly 6 MiB is fine (oracle test_lambda_too_large_response)', async () => {
    const expected = '{"errorMessage":"Response payload size exceeded maximum allowed payload size (6291556 bytes).","errorType":"Function.ResponseSizeTooLarge"}';
    for (let i = 0; i < 2; i++) {
      const r = await invoke('big-response');
      assertUnhandled(r);
      assert.equal(text(r), expected);
      assert.match(decodeLog(r.LogResult), /building response/);
    }
    const exact = await invoke('big-response', { size: 6 * 1024 * 1024 }, false);
    assert.equal(exact.FunctionError, undefined);
    assert.equal(exact.Payload!.length, 6 * 1024 * 1024 + 2);
    await assertServerAlive();
  });

  test('an async handler whose promise never settles → Runtime.NodeJsExit; the next invoke is answered too', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await invoke('never-settles');
      const body = assertUnhandled(r);
      assert.equal(body.errorType, 'Runtime.NodeJsExit');
      assert.match(body.errorMessage, /^The Lambda runtime client detected an unexpected Node\.js exit code\. This is most commonly caused by a Promise that was never settled\./);
    }
    await assertServerAlive();
  });

  test('a module that throws at init → the init error on each invoke; fixed code then runs', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await invoke('init-fails');
      const body = assertUnhandled(r);
      assert.equal(body.errorType, 'Error');
      assert.equal(body.errorMessage, 'init failed on purpose');
      assert.ok(Array.isArray(body.trace));
      const log = decodeLog(r.LogResult);
      assert.match(log, /initialising/);
      assert.match(log, new RegExp(`END RequestId: ${r.$metadata.requestId}\\nREPORT RequestId: ${r.$metadata.requestId}\\t`));
    }
    await s.client.send(new UpdateFunctionCodeCommand({ FunctionName: 'init-fails', ZipFile: await fixtureZip('node-echo') }));
    await waitActive(s, 'init-fails');
    const ok = await invoke('init-fails', { fixed: true }, false);
    assert.deepEqual(json(ok), { fixed: true });
    await assertServerAlive();
  });
});

describe('Python faults', () => {
  test('a handler that raises → {errorMessage, errorType, requestId, stackTrace} (oracle test_lambda_handler_error)', async () => {
    const r = await invoke('py-raises');
    const body = assertUnhandled(r);
    assert.deepEqual(Object.keys(body), ['errorMessage', 'errorType', 'requestId', 'stackTrace']);
    assert.equal(body.errorMessage, 'Handler fails');
    assert.equal(body.errorType, 'Exception');
    assert.equal(body.requestId, r.$metadata.requestId);
    assert.equal(body.stackTrace.length, 1);
    assert.match(body.stackTrace[0], /^ {2}File "[^"]*\/handler\.py", line 3, in handler\n {4}raise Exception\("Handler fails"\)\n$/);
    assert.match(decodeLog(r.LogResult), /\[ERROR\] Exception: Handler fails\nTraceback \(most recent call last\):/);
    const again = await invoke('py-raises');
    assert.equal(assertUnhandled(again).requestId, again.$metadata.requestId);
    assert.equal(isCold(again), false);
    await assertServerAlive();
  });

  test('sys.exit() in the handler → Runtime.ExitError (oracle test_lambda_handler_exit); the next invoke is answered by a new runtime', async () => {
    const r = await invoke('py-exits');
    assert.deepEqual(assertUnhandled(r), {
      errorType: 'Runtime.ExitError',
      errorMessage: `RequestId: ${r.$metadata.requestId} Error: Runtime exited without providing a reason`,
    });
    const again = await invoke('py-exits', { code: 1 });
    assert.equal(isCold(again), true);
    assert.deepEqual(assertUnhandled(again), {
      errorType: 'Runtime.ExitError',
      errorMessage: `RequestId: ${again.$metadata.requestId} Error: Runtime exited with error: exit status 1`,
    });
    await assertServerAlive();
  });

  test('an exception at import → the init error with an empty requestId (oracle test_lambda_runtime_error)', async () => {
    const r = await invoke('py-init-fails');
    const body = assertUnhandled(r);
    assert.deepEqual(Object.keys(body), ['errorMessage', 'errorType', 'requestId', 'stackTrace']);
    assert.equal(body.errorMessage, 'Runtime startup fails');
    assert.equal(body.errorType, 'Exception');
    assert.equal(body.requestId, '');
    assert.match(body.stackTrace.at(-1), /lambda_function\.py", line 2, in <module>\n {4}raise Exception\("Runtime startup fails"\)\n$/);
    assert.equal(assertUnhandled(await invoke('py-init-fails')).errorMessage, 'Runtime startup fails');
  });

  test('sys.exit(0) at import → Runtime.ExitError (oracle test_lambda_runtime_exit)', async () => {
    const r = await invoke('py-init-exits');
    assert.deepEqual(assertUnhandled(r), {
      errorType: 'Runtime.ExitError',
      errorMessage: `RequestId: ${r.$metadata.requestId} Error: Runtime exited without providing a reason`,
    });
  });

  test('AWS_LAMBDA_EXEC_WRAPPER that does not exist → exit status 127 (oracle test_lambda_runtime_wrapper_not_found)', async () => {
    const r = await invoke('bad-wrapper');
    assert.deepEqual(assertUnhandled(r), {
      errorType: 'Runtime.ExitError',
      errorMessage: `RequestId: ${r.$metadata.requestId} Error: Runtime exited with error: exit status 127`,
    });
  });
});

describe('clean-up', () => {
  test('closing the server leaves no environment process behind', async () => {
    assert.ok(childPids().length > 0, 'environments were running');
    await s.close();
    await eventually(async () => childPids().length === 0, 5000, 'environments to exit');
  });
});
