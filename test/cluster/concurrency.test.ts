// Cluster-wide concurrency slots (src/cluster/concurrency.ts) between two nodes' worth of parts on one real PostgreSQL
// schema: limits hold across nodes, a node's idle slots go to a node that wants them, a dead node's stop counting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPostgres, type PgHandle } from '../../src/store/postgres/db.js';
import { ClusterBus } from '../../src/cluster/bus.js';
import { Membership, DEAD_AFTER_MS } from '../../src/cluster/membership.js';
import { ClusterConcurrency } from '../../src/cluster/concurrency.js';
import { createLogger } from '../../src/core/logger.js';
import { ServiceError } from '../../src/core/errors.js';
import { pgSchema } from '../helpers/pg.js';

const log = createLogger('silent');

interface Part {
  h: PgHandle;
  membership: Membership;
  bus: ClusterBus;
  slots: ClusterConcurrency;
  close(clean?: boolean): Promise<void>;
}

async function node(url: string, accountLimit: number): Promise<Part> {
  const h = await openPostgres(url, { max: 4 });
  const membership = new Membership(h, 'n', '', () => ({ environments: 0, running: 0, provisioned: {} }), log);
  const bus = new ClusterBus(h, url, membership.id, log);
  await bus.ready;
  const slots = new ClusterConcurrency(h, bus, membership.id, accountLimit, log);
  await membership.start('http://test');
  return {
    h,
    membership,
    bus,
    slots,
    async close(clean = true) {
      slots.close();
      if (clean) await membership.stop();
      await bus.close();
      await h.close();
    },
  };
}

/** Acquires one slot; the 429's Reason when refused. */
async function take(p: Part, fn: string, reserved: number | null): Promise<'ok' | string> {
  try {
    const r = p.slots.acquire('111111111111', fn, reserved);
    if (r !== true) await r;
    return 'ok';
  } catch (e) {
    assert.ok(e instanceof ServiceError && e.code === 'TooManyRequestsException', `a 429, not ${e}`);
    return String(e.extra.Reason);
  }
}

test('reserved concurrency holds across two nodes, and a slot freed on one is usable on the other at once', { timeout: 30_000 }, async () => {
  const schema = await pgSchema('slots');
  const [a, b] = [await node(schema.url, 1000), await node(schema.url, 1000)];
  try {
    assert.equal(await take(a, 'f', 2), 'ok');
    assert.equal(await take(b, 'f', 2), 'ok');
    assert.equal(await take(a, 'f', 2), 'ReservedFunctionConcurrentInvocationLimitExceeded');
    assert.equal(await take(b, 'f', 2), 'ReservedFunctionConcurrentInvocationLimitExceeded');
    // Sequential invocations spread over nodes (a load balancer's round robin) are never throttled by an idle slot.
    a.slots.release('111111111111', 'f', 2);
    assert.equal(await take(b, 'f', 2), 'ok');
    b.slots.release('111111111111', 'f', 2);
    b.slots.release('111111111111', 'f', 2);
    for (let i = 0; i < 6; i++) {
      const p = i % 2 ? a : b;
      assert.equal(await take(p, 'g', 1), 'ok', `invoke ${i} of a reserved-1 function, alternating nodes`);
      p.slots.release('111111111111', 'g', 1);
    }
    const held = await schema.query<{ n: number }>(`SELECT COALESCE(SUM(slots), 0)::int AS n FROM concurrency_leases WHERE scope = 'f'`);
    assert.ok(held.rows[0].n <= 2, `the database never counts more than the limit (${held.rows[0].n})`);
    assert.equal(await take(a, 'z', 0), 'ReservedFunctionConcurrentInvocationLimitExceeded', 'reserved 0 throttles everything');
  } finally {
    await a.close();
    await b.close();
    await schema.drop();
  }
});

test('the account limit holds across nodes; spare slots one node keeps go to the node that asks', { timeout: 30_000 }, async () => {
  const schema = await pgSchema('slots');
  const limit = 32;
  const [a, b] = [await node(schema.url, limit), await node(schema.url, limit)];
  try {
    // A takes one invocation's slot and a couple spare, then goes idle keeping them (they linger a while).
    assert.equal(await take(a, 'x', null), 'ok');
    a.slots.release('111111111111', 'x', null);
    const aHeld = await schema.query<{ n: number }>(`SELECT slots AS n FROM concurrency_leases WHERE node = $1 AND scope = ''`, [a.membership.id]);
    assert.ok(aHeld.rows[0].n > 1, `node A keeps spare slots (${aHeld.rows[0].n})`);
    // B can still use all 32: A gives its idle ones back when B asks.
    const results = [];
    for (let i = 0; i < limit; i++) results.push(await take(b, 'y', null));
    assert.deepEqual(results, Array(limit).fill('ok'), 'B runs 32 at once');
    assert.equal(await take(b, 'y', null), 'ConcurrentInvocationLimitExceeded');
    assert.equal(await take(a, 'x', null), 'ConcurrentInvocationLimitExceeded', 'and A gets none while B holds them all');
  } finally {
    await a.close();
    await b.close();
    await schema.drop();
  }
});

test("a node that dies holding slots stops counting once it is dead", { timeout: 30_000 }, async () => {
  const schema = await pgSchema('slots');
  const [a, b] = [await node(schema.url, 1000), await node(schema.url, 1000)];
  try {
    assert.equal(await take(a, 'f', 1), 'ok');
    assert.equal(await take(b, 'f', 1), 'ReservedFunctionConcurrentInvocationLimitExceeded');
    // A dies: no clean stop, its heartbeats just end.
    await a.close(false);
    const died = Date.now();
    let result = '';
    while (Date.now() - died < DEAD_AFTER_MS + 5_000) {
      result = await take(b, 'f', 1);
      if (result === 'ok') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(result, 'ok', 'the slot came back');
    const waited = Date.now() - died;
    assert.ok(waited >= DEAD_AFTER_MS - 1_500, `not before the node was dead (${waited} ms)`);
  } finally {
    await b.close();
    await schema.drop();
  }
});
