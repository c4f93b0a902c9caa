// A burst on a small machine: 200 parallel invokes of a 100 ms function all complete or get a clean 429, and the server stays up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CreateFunctionCommand, InvokeCommand, GetAccountSettingsCommand } from '@aws-sdk/client-lambda';
import { startAlonzo, zipOf, ROLE } from '../helpers/alonzo.js';

async function burst(overrides: Parameters<typeof startAlonzo>[0]) {
  const s = await startAlonzo(overrides);
  try {
    const zip = await zipOf({ 'index.js': 'exports.handler = async (e) => { await new Promise((r) => setTimeout(r, 100)); return e.i; };' });
    await s.client.send(new CreateFunctionCommand({ FunctionName: 'burst', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: zip } }));
    const results = await Promise.allSettled(
      Array.from({ length: 200 }, (_, i) => s.client.send(new InvokeCommand({ FunctionName: 'burst', Payload: JSON.stringify({ i }) }))),
    );
    let ok = 0;
    let throttled = 0;
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') {
        assert.equal(r.value.FunctionError, undefined);
        assert.equal(Buffer.from(r.value.Payload!).toString(), String(i));
        ok++;
      } else {
        const e = r.reason;
        assert.equal(e.name, 'TooManyRequestsException', String(e));
        assert.equal(e.Reason, 'ConcurrentInvocationLimitExceeded');
        throttled++;
      }
    });
    assert.equal(ok + throttled, 200);
    // The server is still up and answering.
    const after = await s.client.send(new InvokeCommand({ FunctionName: 'burst', Payload: '{"i":-1}' }));
    assert.equal(Buffer.from(after.Payload!).toString(), '-1');
    await s.client.send(new GetAccountSettingsCommand({}));
    return { ok, throttled };
  } finally {
    await s.close();
  }
}

test('200 parallel invokes with the default limits: every one completes', async () => {
  const { ok } = await burst({});
  assert.equal(ok, 200);
});

test('200 parallel invokes on a machine capped at 8 environments: each completes or gets a clean 429', async () => {
  const { ok, throttled } = await burst({ maxEnvironments: 8, queueWaitMs: 300 });
  assert.ok(ok >= 8, `at least the 8 environments' worth completed (ok ${ok}, throttled ${throttled})`);
});
