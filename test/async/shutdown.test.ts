// Graceful shutdown of the async path: close() stops claiming, waits a moment for running events, and leaves the rest
// to run again (same request id) at the next start on the same data dir; no poller or environment outlives close().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAlonzo } from '../helpers/alonzo.js';
import { childPids, deploy, eventually } from '../helpers/invoke.js';
import { startSink } from '../helpers/sink.js';
import { eventInvoke, runs } from './helpers.js';

test('an event still running at close() runs again after a restart, with the same request id', { timeout: 30_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'alonzo-shutdown-'));
  // The recorder reports each start under 'starts' and each finished run under 'runs'.
  const sink = await startSink();
  try {
    const first = await startAlonzo({ dataDir, asyncTimeScale: 0.001 });
    await deploy(first, 'slow', { fixture: 'async-recorder', Timeout: 30 });
    const { requestId } = await eventInvoke(first, 'slow', { sink: sink.url('runs'), starts: sink.url('starts'), sleepMs: 20_000, sleepOnce: true });
    await eventually(async () => sink.records('starts').length > 0, 10_000, 'the run to start');
    const t0 = Date.now();
    await first.close();
    const took = Date.now() - t0;
    assert.ok(took < 8000, `close() waits a grace period, not for the function (${took} ms)`);
    assert.deepEqual(runs(sink, 'runs'), [], 'the interrupted run never finished');
    assert.deepEqual(childPids(), [], 'no environment outlives close()');

    const second = await startAlonzo({ dataDir, asyncTimeScale: 0.001 });
    try {
      await eventually(async () => runs(sink, 'runs', requestId).length === 1, 10_000, 'the event to run again');
      assert.deepEqual(sink.records('starts'), [{ requestId }, { requestId }]);
    } finally {
      await second.close();
    }
  } finally {
    await sink.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
