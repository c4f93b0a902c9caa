// The environment's state machine against a fake supervisor: what each way a runtime can end or misbehave turns into
// (AWS's error types and messages), and that the server-side bookkeeping follows, with no process involved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Environment, type EnvironmentSpec } from '../../src/runtime/environment.js';
import { FrameDecoder } from '../../src/runtime/channel.js';
import { createLogger } from '../../src/core/logger.js';
import { FakeSupervisor, type FakeProcess } from '../helpers/fake-supervisor.js';

const SPEC: EnvironmentSpec = {
  functionName: 'fn', version: '$LATEST', family: 'node', runtime: 'nodejs20.x', handler: 'index.handler', codeDir: '/nowhere/code',
  memoryMb: 128, ephemeralMb: 512, timeoutS: 3, variables: { MINE: 'yes' }, logGroup: '/aws/lambda/fn', region: 'us-east-1', accountId: '000000000000',
};

async function started(spec: Partial<EnvironmentSpec> = {}) {
  const supervisor = new FakeSupervisor();
  const lost: Environment[] = [];
  const env = new Environment({ ...SPEC, ...spec }, { nodePath: '/usr/bin/node', pythonPath: '/usr/bin/python3', bootstrapDir: '/srv/bootstrap', inherited: {}, supervisor }, createLogger('silent'), '/nowhere/sb-1', (e) => lost.push(e));
  await env.start();
  const proc = supervisor.launched[0]!;
  return { env, proc, supervisor, lost };
}

/** The invoke frame the server wrote, decoded. */
function invokeFrame(proc: FakeProcess) {
  const frames = new FrameDecoder().push(Buffer.concat(proc.sent));
  return frames.find((f) => f.header.t === 'invoke')!;
}

async function running(proc: FakeProcess, env: Environment, payload = '{"a":1}') {
  proc.frame({ t: 'ready' });
  const outcome = env.invoke({ requestId: 'req-1', payload: Buffer.from(payload), invokedArn: 'arn:aws:lambda:us-east-1:000000000000:function:fn' });
  await new Promise((r) => setImmediate(r));
  // Wrapped: an async function would otherwise wait for the outcome itself.
  return { outcome };
}

test("the launch carries Lambda's variables and the function's, the sandbox's paths, and nothing of the server's", async () => {
  process.env.AWS_SECRET_ACCESS_KEY = 'server-secret';
  try {
    const { proc, env } = await started();
    const e = proc.spec.env;
    assert.equal(e.MINE, 'yes');
    assert.equal(e.AWS_LAMBDA_FUNCTION_NAME, 'fn');
    assert.equal(e.LAMBDA_TASK_ROOT, '/var/task');
    assert.equal(e.LAMBDA_RUNTIME_DIR, '/var/runtime/node');
    assert.equal(e.AWS_SECRET_ACCESS_KEY, undefined);
    assert.equal(e.TMPDIR, undefined, 'Lambda sets no TMPDIR');
    assert.deepEqual(proc.spec.args.slice(-1), ['/var/runtime/node/bootstrap.cjs']);
    assert.equal(proc.spec.ephemeralMb, 512);
    env.stop();
  } finally {
    delete process.env.AWS_SECRET_ACCESS_KEY;
  }
});

test('ready → busy → ready: a result frame answers the invocation', async () => {
  const { env, proc } = await started();
  const { outcome } = await running(proc, env);
  const inv = invokeFrame(proc);
  assert.equal(inv.header.id, 'req-1');
  assert.equal(inv.body.toString(), '{"a":1}');
  assert.equal(env.state, 'busy');
  proc.frame({ t: 'result', id: 'req-1' }, '"done"');
  const o = await outcome;
  assert.equal(o.kind, 'result');
  assert.equal(o.payload.toString(), '"done"');
  assert.equal(env.state, 'ready');
  await assert.rejects(async () => {
    env.stop();
    await env.invoke({ requestId: 'x', payload: Buffer.from('{}'), invokedArn: 'a' });
  }, /not ready/);
});

test('an exit during an invocation is Runtime.ExitError with "exit status N"; the supervisor is told to clean up', async () => {
  const { env, proc, lost } = await started();
  const { outcome } = await running(proc, env);
  proc.exit(3, null);
  const o = await outcome;
  assert.equal(o.errorType, 'Runtime.ExitError');
  assert.deepEqual(JSON.parse(o.payload.toString()), { errorType: 'Runtime.ExitError', errorMessage: 'RequestId: req-1 Error: Runtime exited with error: exit status 3' });
  await new Promise((r) => setImmediate(r));
  assert.equal(env.state, 'stopped');
  assert.equal(proc.disposed, 1);
  assert.deepEqual(lost, [env]);
});

test('memory over MemorySize during an invocation: the environment is killed, Runtime.OutOfMemory', async () => {
  const { env, proc } = await started();
  const { outcome } = await running(proc, env);
  proc.memory = 129;
  const o = await outcome;
  assert.equal(o.errorType, 'Runtime.OutOfMemory');
  assert.match(JSON.parse(o.payload.toString()).errorMessage, /signal: killed$/);
  assert.ok(proc.killed >= 1);
});

test("the kernel's OOM kill (a cgroup) is Runtime.OutOfMemory too", async () => {
  const { env, proc } = await started();
  const { outcome } = await running(proc, env);
  proc.oom = true;
  proc.exit(null, 'SIGKILL');
  assert.equal((await outcome).errorType, 'Runtime.OutOfMemory');
});

test('bytes on the channel that are not a frame end the environment, never the server', async () => {
  const { env, proc } = await started();
  const { outcome } = await running(proc, env);
  const bad = Buffer.alloc(12);
  bad.writeUInt32BE(4, 0);
  bad.write('nope', 8);
  proc.rawBytes(bad);
  const o = await outcome;
  assert.equal(o.errorType, 'Runtime.ExitError');
  assert.ok(proc.killed >= 1);
});

test('a frame announcing 4 GB is refused before it is buffered: Function.ResponseSizeTooLarge', async () => {
  const { env, proc } = await started();
  const { outcome } = await running(proc, env);
  const huge = Buffer.alloc(8);
  huge.writeUInt32BE(16, 0);
  huge.writeUInt32BE(0xffffffff, 4);
  proc.rawBytes(huge);
  const o = await outcome;
  assert.equal(o.errorType, 'Function.ResponseSizeTooLarge');
  assert.ok(proc.killed >= 1);
});

test("an error type from the runtime that is not one (a header injection) becomes Runtime.Unknown", async () => {
  const { env, proc } = await started();
  const { outcome } = await running(proc, env);
  proc.frame({ t: 'error', id: 'req-1', errorType: 'Bad\r\nX-Injected: 1' }, '{"errorMessage":"x"}');
  assert.equal((await outcome).errorType, 'Runtime.Unknown');
  env.stop();
});

test('a frame for another request id is ignored; the invocation still waits for its own answer', async () => {
  const { env, proc } = await started();
  const { outcome } = await running(proc, env);
  proc.frame({ t: 'result', id: 'someone-else' }, '"forged"');
  proc.frame({ t: 'result', id: 42 }, '"forged"');
  await new Promise((r) => setImmediate(r));
  assert.equal(env.state, 'busy');
  proc.frame({ t: 'result', id: 'req-1' }, '"real"');
  assert.equal((await outcome).payload.toString(), '"real"');
  env.stop();
});

// ---- streamed responses ----------------------------------------------------------------------------------------------

async function streaming(t: { after(fn: () => void): void }, opts: { limit?: number; receiver?: boolean } = {}) {
  const supervisor = new FakeSupervisor();
  const host = { nodePath: '/usr/bin/node', pythonPath: '/usr/bin/python3', bootstrapDir: '/srv/bootstrap', inherited: {}, supervisor, streamLimitBytes: opts.limit };
  const env = new Environment(SPEC, host, createLogger('silent'), '/nowhere/sb-1', () => undefined);
  await env.start();
  const proc = supervisor.launched[0]!;
  // Its Runtime API listens until the process is gone.
  t.after(() => proc.exit(0, null));
  proc.frame({ t: 'ready' });
  const got: string[] = [];
  const receiver = opts.receiver === false ? undefined : { begin: (ct: string) => got.push(`begin ${ct}`), write: (b: Buffer) => got.push(b.toString()) };
  const outcome = env.invoke({ requestId: 'req-1', payload: Buffer.from('{}'), invokedArn: 'arn:aws:lambda:us-east-1:000000000000:function:fn', receiver });
  await new Promise((r) => setImmediate(r));
  const settle = () => new Promise((r) => setImmediate(r));
  return { env, proc, got, outcome, settle };
}

test('a streamed response: the receiver gets the content type, then the bytes as they come; the outcome holds none', async (t) => {
  const { env, proc, got, outcome, settle } = await streaming(t);
  proc.frame({ t: 'stream_start', id: 'req-1', contentType: 'text/plain' });
  proc.frame({ t: 'stream', id: 'req-1' }, 'one,');
  await settle();
  assert.deepEqual(got, ['begin text/plain', 'one,']);
  proc.frame({ t: 'stream', id: 'other' }, 'not mine');
  proc.frame({ t: 'stream', id: 'req-1' }, 'two');
  proc.frame({ t: 'stream_end', id: 'req-1' });
  const o = await outcome;
  assert.deepEqual(got, ['begin text/plain', 'one,', 'two']);
  assert.equal(o.kind, 'result');
  assert.equal(o.streamed, true);
  assert.equal(o.payload.length, 0);
  assert.equal(env.state, 'ready');
});

test('an error mid-stream ends the invocation with it; a content type that could not be a header is replaced', async (t) => {
  const { proc, got, outcome } = await streaming(t);
  proc.frame({ t: 'stream_start', id: 'req-1', contentType: 'text/plain\r\nX-Evil: 1' });
  proc.frame({ t: 'stream', id: 'req-1' }, 'partial');
  proc.frame({ t: 'stream_error', id: 'req-1', errorType: 'Error' }, '{"errorType":"Error","errorMessage":"boom"}');
  const o = await outcome;
  assert.deepEqual(got, ['begin application/octet-stream', 'partial']);
  assert.equal(o.kind, 'error');
  assert.equal(o.errorType, 'Error');
  assert.equal(JSON.parse(o.payload.toString()).errorMessage, 'boom');
});

test('without a receiver (plain Invoke) the bytes are collected into the payload, up to the 6 MB response limit', async (t) => {
  const { proc, outcome } = await streaming(t, { receiver: false });
  proc.frame({ t: 'stream_start', id: 'req-1', contentType: 'text/plain' });
  proc.frame({ t: 'stream', id: 'req-1' }, 'whole ');
  proc.frame({ t: 'stream', id: 'req-1' }, 'body');
  proc.frame({ t: 'stream_end', id: 'req-1' });
  const o = await outcome;
  assert.equal(o.payload.toString(), 'whole body');
  assert.equal(o.streamed, false);
});

test('past the stream limit: Function.ResponseSizeTooLarge, the environment is replaced, nothing more reaches the receiver', async (t) => {
  const { env, proc, got, outcome } = await streaming(t, { limit: 10 });
  proc.frame({ t: 'stream', id: 'req-1' }, '0123456789');
  proc.frame({ t: 'stream', id: 'req-1' }, 'x');
  const o = await outcome;
  assert.deepEqual(got, ['begin application/octet-stream', '0123456789']);
  assert.equal(o.errorType, 'Function.ResponseSizeTooLarge');
  assert.equal(JSON.parse(o.payload.toString()).errorMessage, 'Response payload size exceeded maximum allowed payload size (10 bytes).');
  assert.equal(o.environmentLost, true);
  assert.equal(env.state, 'failed');
  assert.ok(proc.killed >= 1);
});

test('pauseRuntime stops reading the channel until resumeRuntime, and the end of an invocation resumes it', async (t) => {
  const { env, proc, got, outcome, settle } = await streaming(t);
  env.pauseRuntime();
  proc.frame({ t: 'stream', id: 'req-1' }, 'held');
  await settle();
  assert.deepEqual(got, []);
  env.resumeRuntime();
  await settle();
  assert.deepEqual(got, ['begin application/octet-stream', 'held']);
  env.pauseRuntime();
  // A timeout ends the invocation while reads are paused: the channel is read again for the next one.
  (env as unknown as { timedOut(): void }).timedOut();
  assert.equal((await outcome).errorType, 'Sandbox.Timedout');
  assert.equal((proc.channel as unknown as { isPaused(): boolean }).isPaused(), false);
});
