// Environments past their maximum age (their minted credentials expire) get no further invocation; and each start mints the function's credentials afresh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EnvironmentPool } from '../../src/runtime/pool.js';
import type { EnvironmentSpec } from '../../src/runtime/environment.js';
import { createLogger } from '../../src/core/logger.js';
import { FakeSupervisor } from '../helpers/fake-supervisor.js';

let minted = 0;
const SPEC: EnvironmentSpec = {
  functionName: 'fn', version: '$LATEST', family: 'node', runtime: 'nodejs20.x', handler: 'index.handler', codeDir: '/nowhere/code',
  memoryMb: 128, ephemeralMb: 512, timeoutS: 3, variables: { AWS_ACCESS_KEY_ID: 'set-by-the-function' }, logGroup: '/aws/lambda/fn', region: 'us-east-1', accountId: '000000000000',
  credentials: () => ({ AWS_ACCESS_KEY_ID: `ASIA-minted-${++minted}`, AWS_ENDPOINT_URL_LAMBDA: 'http://127.0.0.1:1' }),
};

/** A pool over a fake supervisor; `cycle` takes an environment, lets it become ready, and gives it back. */
function pool(maxAgeMs: number | undefined) {
  const supervisor = new FakeSupervisor();
  const host = { nodePath: '/usr/bin/node', pythonPath: '/usr/bin/python3', bootstrapDir: '/srv/bootstrap', inherited: {}, supervisor };
  const p = new EnvironmentPool(host, '/nowhere/sandboxes', { maxEnvironments: 10, maxMemoryMb: 10_000, idleTimeoutMs: 600_000, maxAgeMs }, createLogger('silent'));
  const cycle = async () => {
    const env = p.take('k', SPEC)!;
    const n = supervisor.launched.length;
    for (let i = 0; i < 1000 && supervisor.launched.length === n; i++) await new Promise((r) => setImmediate(r));
    supervisor.launched[supervisor.launched.length - 1].frame({ t: 'ready' });
    await new Promise((r) => setImmediate(r));
    assert.equal(env.state, 'ready');
    p.release('k', env);
    return env;
  };
  return { p, supervisor, cycle };
}

test('without a maximum age a warm environment is reused', async () => {
  const { p, supervisor, cycle } = pool(undefined);
  const first = await cycle();
  assert.equal(p.take('k', SPEC), first);
  assert.equal(supervisor.launched.length, 1);
  await p.close();
});

test('an environment past its maximum age is stopped instead of reused, and its successor gets new credentials', async () => {
  // -1: every environment is already too old, without waiting on a clock.
  const { p, supervisor, cycle } = pool(-1);
  const first = await cycle();
  const second = p.take('k', SPEC);
  assert.ok(second && second !== first, 'a new environment');
  // It launches once its Runtime API listens (a few turns of the event loop).
  for (let i = 0; i < 1000 && supervisor.launched.length < 2; i++) await new Promise((r) => setImmediate(r));
  assert.equal(supervisor.launched.length, 2);
  assert.ok(['stopping', 'stopped'].includes(first.state), `the old one is stopped (${first.state})`);
  const [a, b] = supervisor.launched.map((l) => l.spec.env);
  assert.match(a.AWS_ACCESS_KEY_ID, /^ASIA-minted-\d+$/, "the minted credentials win over the function's variables");
  assert.notEqual(a.AWS_ACCESS_KEY_ID, b.AWS_ACCESS_KEY_ID, 'minted afresh at each start');
  assert.equal(b.AWS_ENDPOINT_URL_LAMBDA, 'http://127.0.0.1:1');
  await p.close();
});
