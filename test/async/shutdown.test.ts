// Graceful shutdown of the async path: close() stops claiming, waits a moment for running events, and leaves the rest
// to run again (same request id) at the next start on the same data dir; no poller or environment outlives close().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAlonzo } from '../helpers/alonzo.js';
import { childPids, deploy, eventually } from '../helpers/invoke.js';
import { eventInvoke, runs } from './helpers.js';

test('an event still running at close() runs again after a restart, with the same request id', { timeout: 30_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'alonzo-shutdown-'));
  const file = join(dataDir, 'runs.txt');
  const startFile = join(dataDir, 'starts.txt');
  try {
    const first = await startAlonzo({ dataDir, asyncTimeScale: 0.001 });
    await deploy(first, 'slow', { fixture: 'async-recorder', Timeout: 30 });
    const { requestId } = await eventInvoke(first, 'slow', { file, startFile, sleepMs: 20_000, sleepOnce: true });
    await eventually(async () => existsSync(startFile), 10_000, 'the run to start');
    const t0 = Date.now();
    await first.close();
    const took = Date.now() - t0;
    assert.ok(took < 8000, `close() waits a grace period, not for the function (${took} ms)`);
    assert.deepEqual(runs(file), [], 'the interrupted run never finished');
    assert.deepEqual(childPids(), [], 'no environment outlives close()');

    const second = await startAlonzo({ dataDir, asyncTimeScale: 0.001 });
    try {
      await eventually(async () => runs(file, requestId).length === 1, 10_000, 'the event to run again');
      assert.deepEqual(readFileSync(startFile, 'utf8').trim().split('\n'), [requestId, requestId]);
    } finally {
      await second.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
