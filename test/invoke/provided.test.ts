// A custom runtime (provided.al2023) written in bash and curl as the zip's executable `bootstrap`, speaking the Lambda
// Runtime API: /invocation/next long polls, responses, invocation errors, init errors, and a runtime that exits.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvokeCommand, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { startAlonzo, type TestServer } from '../helpers/alonzo.js';
import { childPids, decodeLog, deploy, eventually, fixtureZip } from '../helpers/invoke.js';

const text = (r: InvokeCommandOutput) => Buffer.from(r.Payload ?? new Uint8Array()).toString('utf8');
const json = (r: InvokeCommandOutput) => JSON.parse(text(r));
const arn = (fn: string, q?: string) => `arn:aws:lambda:us-east-1:000000000000:function:${fn}${q === undefined ? '' : `:${q}`}`;

let s: TestServer;

before(async () => {
  s = await startAlonzo();
  const zip = await fixtureZip('provided-bash', 0o755);
  await Promise.all([
    deploy(s, 'bash-runtime', { zip, Runtime: 'provided.al2023', Handler: 'function.handler', Environment: { Variables: { OWN_VAR: 'own value' } } }),
    deploy(s, 'bash-init-fails', { zip, Runtime: 'provided.al2023', Handler: 'init.fail' }),
  ]);
});

after(() => s.close());

async function invoke(fn: string, payload: unknown, extra: Partial<ConstructorParameters<typeof InvokeCommand>[0]> = {}): Promise<InvokeCommandOutput> {
  return s.client.send(new InvokeCommand({ FunctionName: fn, Payload: Buffer.from(JSON.stringify(payload)), ...extra }));
}

describe('provided.al2023 with a bash + curl bootstrap', () => {
  test('each invocation reaches the runtime loop with its headers and environment; the answer is the posted response', async () => {
    const t0 = Date.now();
    const r = await invoke('bash-runtime', { hello: 'world' }, { LogType: 'Tail' });
    assert.equal(r.StatusCode, 200);
    assert.equal(r.FunctionError, undefined, text(r));
    assert.equal(r.ExecutedVersion, '$LATEST');
    const body = json(r);
    const id = r.$metadata.requestId!;
    assert.deepEqual(body.event, { hello: 'world' });
    assert.equal(body.requestId, id);
    assert.equal(body.invokedArn, arn('bash-runtime'));
    const deadline = Number(body.deadlineMs);
    assert.ok(deadline > t0 && deadline <= Date.now() + 3000, `deadline ${deadline}`);
    assert.equal(body.functionName, 'bash-runtime');
    assert.equal(body.version, '$LATEST');
    assert.equal(body.memory, '128');
    assert.equal(body.handler, 'function.handler');
    assert.ok(body.taskRoot);
    assert.equal(body.ownVar, 'own value');
    const log = decodeLog(r.LogResult);
    assert.match(log, new RegExp(`START RequestId: ${id} Version: \\$LATEST\\nbash runtime: handling ${id}\\nEND RequestId: ${id}\\nREPORT RequestId: ${id}\\t.*\\tInit Duration: `));
    // The runtime printed its own start-up line during init, before the first START.
    assert.match(log, /^bash runtime: ready for function.handler\n/);
  });

  test('the same runtime process serves the next invocations (warm), in order', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await invoke('bash-runtime', { i }, { LogType: 'Tail' });
      assert.deepEqual(json(r).event, { i });
      assert.doesNotMatch(decodeLog(r.LogResult), /Init Duration/);
    }
  });

  test('ClientContext reaches the runtime as Lambda-Runtime-Client-Context', async () => {
    const cc = { custom: { foo: 'bar' } };
    const r = await invoke('bash-runtime', {}, { ClientContext: Buffer.from(JSON.stringify(cc)).toString('base64') });
    assert.deepEqual(JSON.parse(json(r).clientContext), cc);
  });

  test('a qualified invoke gives the runtime the qualified ARN', async () => {
    const r = await invoke('bash-runtime:$LATEST', {});
    assert.equal(json(r).invokedArn, arn('bash-runtime', '$LATEST'));
  });

  test('POST /invocation/{id}/error → 200, Unhandled, the posted error; the runtime keeps serving', async () => {
    const r = await invoke('bash-runtime', { fail: true });
    assert.equal(r.StatusCode, 200);
    assert.equal(r.FunctionError, 'Unhandled');
    assert.deepEqual(json(r), { errorMessage: 'failed on request', errorType: 'HandlerError' });
    const next = await invoke('bash-runtime', { after: 'error' }, { LogType: 'Tail' });
    assert.deepEqual(json(next).event, { after: 'error' });
    assert.doesNotMatch(decodeLog(next.LogResult), /Init Duration/, 'the same runtime answered');
  });

  test('a runtime that exits mid-invocation → Runtime.ExitError; the next invoke starts a new one', async () => {
    const r = await invoke('bash-runtime', { exit: true });
    assert.equal(r.FunctionError, 'Unhandled');
    assert.deepEqual(json(r), { errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${r.$metadata.requestId} Error: Runtime exited with error: exit status 3` });
    const next = await invoke('bash-runtime', { after: 'exit' }, { LogType: 'Tail' });
    assert.deepEqual(json(next).event, { after: 'exit' });
    assert.match(decodeLog(next.LogResult), /Init Duration/);
  });

  test('POST /runtime/init/error → the posted init error on every invoke', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await invoke('bash-init-fails', {}, { LogType: 'Tail' });
      assert.equal(r.StatusCode, 200);
      assert.equal(r.FunctionError, 'Unhandled');
      assert.deepEqual(json(r), { errorMessage: 'bash runtime could not start', errorType: 'Runtime.InitError' });
      assert.match(decodeLog(r.LogResult), /bash runtime: failing init on purpose/);
    }
  });

  test('Event invokes run on the runtime too', async () => {
    const r = await invoke('bash-runtime', { async: 1 }, { InvocationType: 'Event' });
    assert.equal(r.StatusCode, 202);
    const check = await invoke('bash-runtime', { sync: 1 });
    assert.deepEqual(json(check).event, { sync: 1 });
  });

  test('closing the server stops the runtime processes (bash and its curl long poll)', async () => {
    assert.ok(childPids().length > 0);
    await s.close();
    await eventually(async () => childPids().length === 0, 5000, 'runtime processes to exit');
  });
});
