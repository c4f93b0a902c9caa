// The queue port's contract, run against every adapter (SQLite, and PostgreSQL on a schema of its own), then what only
// a cluster has (two nodes on one schema: claims, owners, leases, wake-ups), plus the retry policy's pure functions.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { openSqliteQueue } from '../../src/queue/sqlite.js';
import { openPostgresQueue } from '../../src/queue/postgres.js';
import { openPostgres, type PgHandle } from '../../src/store/postgres/db.js';
import { pgSchema, type PgSchema } from '../helpers/pg.js';
import { afterFunctionError, afterRequeue, backoffMs, effectivePolicy, retryDelayMs } from '../../src/queue/policy.js';
import { Poller } from '../../src/queue/poller.js';
import { createLogger } from '../../src/core/logger.js';
import type { Store } from '../../src/store/types.js';
import type { AsyncInvokePorts, AsyncEvent } from '../../src/queue/types.js';

interface Harness {
  readonly ports: AsyncInvokePorts;
  /** Counts rows by state through a separate connection: what a crash right now would leave on disk. */
  onDisk(): Promise<Record<string, number>>;
  /**
   * The process dies and starts again: the queue goes without a word (its events stay running) and a new one opens on
   * the same data. For PostgreSQL, as long as the claims' leases, so that what the old process held is free to take.
   */
  restart(): Promise<void>;
  woken(): number;
  createFunction(name: string): Promise<void>;
  deleteFunction(name: string): Promise<void>;
  close(): Promise<void>;
}

const adapters: Record<string, () => Promise<Harness>> = {
  async sqlite() {
    const dir = mkdtempSync(join(tmpdir(), 'alonzo-queue-'));
    const store = openSqliteStore(dir);
    let wakes = 0;
    let ports = openSqliteQueue(dir, { onWork: () => wakes++ });
    const reader = new Database(join(dir, 'alonzo.db'), { readonly: true });
    return {
      get ports() {
        return ports;
      },
      async restart() {
        await ports.close();
        ports = openSqliteQueue(dir, { onWork: () => wakes++ });
      },
      async onDisk() {
        const rows = reader.prepare('SELECT state, COUNT(*) AS n FROM async_events GROUP BY state').all() as { state: string; n: number }[];
        return Object.fromEntries(rows.map((r) => [r.state, r.n]));
      },
      woken: () => wakes,
      async createFunction(name) {
        await store.createFunction({ name, nextVersion: 1, tags: {}, reservedConcurrency: null, createdAt: new Date().toISOString(), recursiveLoop: null }, []);
      },
      async deleteFunction(name) {
        await store.deleteFunction(name);
      },
      async close() {
        reader.close();
        await ports.close();
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  async postgres() {
    const s = await pgSchema('queue');
    let wakes = 0;
    let db: PgHandle | undefined;
    let ports: AsyncInvokePorts | undefined;
    const leaseMs = 1000;
    const openNode = async () => {
      db = await openPostgres(s.url);
      ports = await openPostgresQueue(db, { url: s.url, nodeId: 'node-a', onWork: () => wakes++, leaseMs });
    };
    try {
      await openNode();
      // A warm reader: its count goes out at once, before a batch of this turn can commit.
      await s.query('SELECT 1');
    } catch (e) {
      await ports?.close();
      await db?.close();
      await s.drop();
      throw e;
    }
    return {
      get ports() {
        return ports!;
      },
      async restart() {
        await ports!.close();
        await db!.close();
        await sleep(leaseMs + 50);
        await openNode();
      },
      async onDisk() {
        const r = await s.query<{ state: string; n: number }>('SELECT state, COUNT(*)::int AS n FROM async_events GROUP BY state');
        return Object.fromEntries(r.rows.map((x) => [x.state, x.n]));
      },
      woken: () => wakes,
      async createFunction(name) {
        await s.query(`INSERT INTO functions (account, name, next_version, tags, created_at) VALUES ('', $1, 1, '{}', $2)`, [name, new Date().toISOString()]);
      },
      async deleteFunction(name) {
        await s.query(`DELETE FROM functions WHERE account = '' AND name = $1`, [name]);
      },
      async close() {
        await ports!.close();
        await db!.close();
        await s.drop();
      },
    };
  },
};

const sleep = (ms: number) => new Promise<void>((ok) => setTimeout(ok, ms));

const ev = (n: number, fn = 'fn'): AsyncEvent => ({ requestId: `req-${n}`, functionName: fn, payload: Buffer.from(JSON.stringify({ n })) });
const attempt = { payload: Buffer.from('{"errorMessage":"x"}'), executedVersion: '$LATEST', functionError: 'Unhandled' };

for (const [name, open] of Object.entries(adapters)) {
  describe(`queue contract: ${name}`, () => {
    test('an enqueue resolves only once committed; concurrent enqueues share one transaction', async () => {
      const h = await open();
      try {
        const all = Array.from({ length: 500 }, (_, i) => h.ports.events.enqueue(ev(i)));
        assert.deepEqual(await h.onDisk(), {}, 'nothing is on disk before the batch commits');
        await Promise.all(all);
        assert.deepEqual(await h.onDisk(), { queued: 500 });
        assert.equal(h.woken(), 1, 'one commit, one wake-up');
      } finally {
        await h.close();
      }
    });

    test('claim takes due events oldest first, each once; complete deletes; nextRunAt tells when more is due', async () => {
      const h = await open();
      const q = h.ports.events;
      try {
        for (let i = 0; i < 5; i++) await q.enqueue(ev(i));
        const now = Date.now() + 1;
        const first = await q.claim(3, now);
        const second = await q.claim(3, now);
        assert.deepEqual(first.map((e) => e.requestId), ['req-0', 'req-1', 'req-2']);
        assert.deepEqual(second.map((e) => e.requestId), ['req-3', 'req-4']);
        assert.deepEqual(await q.claim(3, now), []);
        assert.equal(first[0].attempts, 0);
        assert.deepEqual(JSON.parse(first[0].payload.toString()), { n: 0 });
        assert.equal(await q.complete(first[0].id), true);
        assert.equal(await q.retryLater(first[1].id, now + 1000, { error: 'throttled' }), true);
        assert.equal(await q.retryLater(first[2].id, now + 500, { attempt, error: 'function error' }), true);
        assert.equal(await q.nextRunAt(), now + 500);
        assert.deepEqual(await q.claim(10, now + 499), []);
        const [retried] = await q.claim(10, now + 500);
        assert.equal(retried.requestId, 'req-2');
        assert.equal(retried.attempts, 1, 'a function error uses an attempt');
        assert.equal(retried.requeues, 0);
        assert.deepEqual(retried.last, attempt);
        const [throttled] = await q.claim(10, now + 1000);
        assert.equal(throttled.requestId, 'req-1');
        assert.equal(throttled.attempts, 0, 'a throttle does not');
        assert.equal(throttled.requeues, 1);
        assert.deepEqual(await h.onDisk(), { running: 4 });
      } finally {
        await h.close();
      }
    });

    test('stats counts events per account, function and state, with the oldest enqueue time (what /metrics shows)', async () => {
      const h = await open();
      const q = h.ports.events;
      try {
        const before = Date.now();
        for (let i = 0; i < 3; i++) await q.enqueue(ev(i, 'alpha'));
        await q.enqueue(ev(3, 'beta'));
        await q.enqueue({ ...ev(4, 'alpha'), accountId: '111122223333' });
        const [claimed] = await q.claim(1, Date.now() + 1);
        assert.equal(claimed.functionName, 'alpha');
        const stats = (await q.stats()).map((r) => ({ ...r, oldestEnqueuedAt: r.oldestEnqueuedAt >= before && r.oldestEnqueuedAt <= Date.now() }));
        const key = (r: { accountId?: string; functionName: string; state: string }) => `${r.accountId ?? ''}/${r.functionName}/${r.state}`;
        stats.sort((a, b) => (key(a) < key(b) ? -1 : 1));
        assert.deepEqual(stats, [
          { functionName: 'alpha', state: 'queued', count: 2, oldestEnqueuedAt: true },
          { functionName: 'alpha', state: 'running', count: 1, oldestEnqueuedAt: true },
          { functionName: 'beta', state: 'queued', count: 1, oldestEnqueuedAt: true },
          { accountId: '111122223333', functionName: 'alpha', state: 'queued', count: 1, oldestEnqueuedAt: true },
        ]);
      } finally {
        await h.close();
      }
    });

    test('fail keeps the event with its reason and record; redrive queues it again with a fresh age and the same request id', async () => {
      const h = await open();
      const q = h.ports.events;
      try {
        await q.enqueue(ev(1));
        await q.enqueue(ev(2, 'other'));
        const [a, b] = await q.claim(10, Date.now() + 1);
        const dest: AsyncEvent = { requestId: 'dest-1', functionName: 'sink', payload: Buffer.from('{"record":1}') };
        assert.equal(await q.fail(a.id, { condition: 'RetriesExhausted', reason: 'r', attempt, record: { version: '1.0' }, deliveries: [{ kind: 'OnFailure', target: 'arn', status: 'delivered', requestId: 'dest-1' }] }, [dest]), true);
        assert.equal(await q.fail(b.id, { condition: 'EventAgeExceeded', reason: 'old', record: {}, deliveries: [] }), true);
        const page = await q.listFailed('fn', { limit: 10 });
        assert.equal(page.items.length, 1);
        const f = page.items[0];
        assert.equal(f.requestId, 'req-1');
        assert.equal(f.condition, 'RetriesExhausted');
        assert.equal(f.attempts, 1);
        assert.deepEqual(f.record, { version: '1.0' });
        assert.equal(f.deliveries[0].requestId, 'dest-1');
        const [handedOver] = await q.claim(10, Date.now() + 1);
        assert.equal(handedOver.functionName, 'sink', 'the destination event was enqueued with the failure');
        assert.equal(await q.redrive('fn', ['nope']), 0);
        assert.equal(await q.redrive('fn'), 1);
        assert.equal((await q.listFailed('fn', { limit: 10 })).items.length, 0);
        const [again] = await q.claim(10, Date.now() + 1);
        assert.equal(again.requestId, 'req-1');
        assert.equal(again.attempts, 0);
        assert.ok(Date.now() - again.enqueuedAt < 5000);
        assert.equal((await q.listFailed('other', { limit: 10 })).items.length, 1);
      } finally {
        await h.close();
      }
    });

    test('listFailed pages with a marker', async () => {
      const h = await open();
      const q = h.ports.events;
      try {
        for (let i = 0; i < 5; i++) await q.enqueue(ev(i));
        for (const c of await q.claim(10, Date.now() + 1)) await q.fail(c.id, { condition: 'RetriesExhausted', reason: '', record: {}, deliveries: [] });
        const p1 = await q.listFailed('fn', { limit: 2 });
        const p2 = await q.listFailed('fn', { limit: 2, marker: p1.nextMarker });
        const p3 = await q.listFailed('fn', { limit: 2, marker: p2.nextMarker });
        assert.deepEqual([...p1.items, ...p2.items, ...p3.items].map((e) => e.requestId), ['req-0', 'req-1', 'req-2', 'req-3', 'req-4']);
        assert.equal(p3.nextMarker, undefined);
      } finally {
        await h.close();
      }
    });

    test('recover queues again what a crash left running, without using an attempt', async () => {
      const h = await open();
      try {
        await h.ports.events.enqueue(ev(1));
        await h.ports.events.claim(1, Date.now() + 1);
        assert.deepEqual(await h.onDisk(), { running: 1 });
        await h.restart();
        const q = h.ports.events;
        assert.deepEqual(await h.onDisk(), { running: 1 }, 'the restart itself changes nothing');
        assert.equal(await q.recover(Date.now()), 1);
        const [back] = await q.claim(1, Date.now() + 1);
        assert.equal(back.requestId, 'req-1');
        assert.equal(back.attempts, 0);
      } finally {
        await h.close();
      }
    });

    test('EventInvokeConfigs: put replaces, list orders $LATEST, versions, aliases, and pages', async () => {
      const h = await open();
      const c = h.ports.configs;
      try {
        await h.createFunction('f');
        for (const q of ['prod', '10', '$LATEST', '2']) await c.put({ functionName: 'f', qualifier: q, maximumRetryAttempts: 1, lastModified: 1 });
        await c.put({ functionName: 'f', qualifier: 'prod', maximumEventAgeInSeconds: 60, onFailure: 'arn:x', lastModified: 2 });
        assert.deepEqual(await c.get('f', 'prod'), { functionName: 'f', qualifier: 'prod', maximumEventAgeInSeconds: 60, onFailure: 'arn:x', lastModified: 2 });
        const p1 = await c.list('f', { limit: 3 });
        const p2 = await c.list('f', { limit: 3, marker: p1.nextMarker });
        assert.deepEqual([...p1.items, ...p2.items].map((x) => x.qualifier), ['$LATEST', '2', '10', 'prod']);
        assert.equal(p2.nextMarker, undefined);
        assert.equal(await c.delete('f', '2'), true);
        assert.equal(await c.delete('f', '2'), false);
        assert.equal(await c.get('f', '2'), undefined);
        await h.deleteFunction('f');
        assert.deepEqual((await c.list('f', { limit: 10 })).items, [], 'deleting the function deletes its configs');
      } finally {
        await h.close();
      }
    });
  });
}

interface Node {
  name: string;
  db: PgHandle;
  ports: AsyncInvokePorts;
  /** The `accepted` of every onWork call, in order. */
  wakes: number[];
}

/** Two nodes on one schema, each with its own pool and LISTEN connection, as two processes would have. */
async function cluster(leaseMs: number): Promise<{ a: Node; b: Node; s: PgSchema; close(): Promise<void> }> {
  const s = await pgSchema('cluster');
  const nodes: Node[] = [];
  const close = async () => {
    for (const n of nodes) {
      await n.ports.close();
      await n.db.close();
    }
    await s.drop();
  };
  try {
    for (const name of ['node-a', 'node-b']) {
      const db = await openPostgres(s.url);
      const wakes: number[] = [];
      const ports = await openPostgresQueue(db, { url: s.url, nodeId: name, leaseMs, onWork: (n) => wakes.push(n) }).catch(async (e) => {
        await db.close();
        throw e;
      });
      nodes.push({ name, db, ports, wakes });
    }
  } catch (e) {
    await close();
    throw e;
  }
  return { a: nodes[0], b: nodes[1], s, close };
}

const row = async (s: PgSchema, id: number) => (await s.query('SELECT state, owner, attempts, requeues, lease_until FROM async_events WHERE id = $1', [id])).rows[0];
const dbNow = async (s: PgSchema) => Number((await s.query(`SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS t`)).rows[0].t);

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('queue in a cluster: two nodes on one PostgreSQL schema', () => {
  test('parallel claims from both nodes hand every event to exactly one of them', async () => {
    const c = await cluster(30_000);
    try {
      const total = 500;
      await Promise.all(Array.from({ length: total }, (_, i) => c.a.ports.events.enqueue(ev(i))));
      const got = new Map<string, number[]>([['node-a', []], ['node-b', []]]);
      // Four claim loops per node, small random batches, until the queue is empty for everyone.
      const loop = async (n: Node) => {
        for (;;) {
          const claimed = await n.ports.events.claim(1 + Math.floor(Math.random() * 8), Date.now() + 1);
          if (claimed.length === 0) return;
          got.get(n.name)!.push(...claimed.map((e) => e.id));
        }
      };
      await Promise.all([c.a, c.b].flatMap((n) => [loop(n), loop(n), loop(n), loop(n)]));
      const ids = [...got.get('node-a')!, ...got.get('node-b')!];
      assert.equal(ids.length, total, 'no event claimed twice');
      assert.equal(new Set(ids).size, total, 'and every event claimed');
      assert.ok(got.get('node-a')!.length > 0 && got.get('node-b')!.length > 0, 'both nodes claimed (the loops did run side by side)');
      const owners = await c.s.query<{ owner: string; ids: number[] }>(`SELECT owner, array_agg(id::int ORDER BY id) AS ids FROM async_events WHERE state = 'running' GROUP BY owner ORDER BY owner`);
      assert.deepEqual(
        owners.rows.map((r) => [r.owner, r.ids]),
        ['node-a', 'node-b'].map((n) => [n, [...got.get(n)!].sort((x, y) => x - y)]),
        'each event is owned by the node that got it',
      );
    } finally {
      await c.close();
    }
  });

  test("another node's outcome for an event it does not own changes nothing", async () => {
    const c = await cluster(30_000);
    try {
      await c.a.ports.events.enqueue(ev(1));
      const [e] = await c.a.ports.events.claim(1, Date.now() + 1);
      const before = await row(c.s, e.id);
      const q = c.b.ports.events;
      assert.equal(await q.complete(e.id, [ev(2, 'dest')]), false);
      assert.equal(await q.retryLater(e.id, Date.now(), { attempt, error: 'x' }), false);
      assert.equal(await q.fail(e.id, { condition: 'RetriesExhausted', reason: 'x', record: {}, deliveries: [] }, [ev(3, 'dest')]), false);
      assert.deepEqual(await row(c.s, e.id), before);
      assert.equal((await c.s.query('SELECT COUNT(*)::int AS n FROM async_events')).rows[0].n, 1, 'no destination event was handed over');
      assert.equal(await c.a.ports.events.complete(e.id), true, 'the owner still may');
    } finally {
      await c.close();
    }
  });

  test("a live owner's lease is renewed past leaseMs; another node neither reaps nor claims the event", async () => {
    // A lease long enough that a loaded machine (CI runs two suites at once) never delays a renewal past it.
    const leaseMs = 1500;
    const c = await cluster(leaseMs);
    try {
      await c.a.ports.events.enqueue(ev(1));
      const [e] = await c.a.ports.events.claim(1, Date.now() + 1);
      const first = (await row(c.s, e.id)).lease_until;
      await sleep(leaseMs + 1000);
      const later = await row(c.s, e.id);
      assert.equal(later.owner, 'node-a');
      assert.ok(later.lease_until > first, 'renewed');
      assert.ok(later.lease_until > (await dbNow(c.s)), 'and live');
      assert.equal(await c.b.ports.events.recover(Date.now()), 0);
      assert.deepEqual(await c.b.ports.events.claim(10, Date.now() + 1), []);
      assert.equal(await c.a.ports.events.complete(e.id), true);
    } finally {
      await c.close();
    }
  });

  test('a lease that ran out (the owner stalled) returns the event to the queue; the late owner can no longer finish it', async () => {
    const leaseMs = 300;
    const c = await cluster(leaseMs);
    try {
      await c.a.ports.events.enqueue(ev(1));
      const [e] = await c.a.ports.events.claim(1, Date.now() + 1);
      // node-a's event loop stalls (a long GC pause, a CPU-bound handler) for longer than the lease: no renewal goes out.
      const stall = Date.now() + leaseMs + 200;
      while (Date.now() < stall);
      const wakesBefore = c.b.wakes.length;
      const taken = await until('node-b to claim the event', async () => {
        const [x] = await c.b.ports.events.claim(1, Date.now() + 1);
        return x;
      });
      assert.equal(taken.id, e.id);
      assert.equal(taken.attempts, 0, 'no attempt used');
      // Whichever node reaped it, node-b's pollers hear of it: at once if node-b did, by NOTIFY (a moment after the
      // requeue, possibly after node-b's claim above) if node-a did.
      await until('the requeue to wake node-b', async () => (c.b.wakes.length > wakesBefore ? true : undefined));
      assert.equal(await c.a.ports.events.complete(e.id, [ev(2, 'dest')]), false, 'the lease was lost');
      assert.equal(await c.a.ports.events.retryLater(e.id, Date.now(), { error: 'x' }), false);
      const now = await row(c.s, e.id);
      assert.equal(now.state, 'running');
      assert.equal(now.owner, 'node-b');
      assert.equal((await c.s.query('SELECT COUNT(*)::int AS n FROM async_events')).rows[0].n, 1);
      assert.equal(await c.b.ports.events.complete(e.id), true);
    } finally {
      await c.close();
    }
  });

  test("a node that goes away leaves its events to the others after its lease, not before", async () => {
    const leaseMs = 400;
    const c = await cluster(leaseMs);
    try {
      await c.a.ports.events.enqueue(ev(1));
      await c.a.ports.events.enqueue(ev(2));
      const claimed = await c.a.ports.events.claim(2, Date.now() + 1);
      const t0 = Date.now();
      await c.a.ports.close();
      assert.deepEqual(await c.b.ports.events.claim(10, Date.now() + 1), [], 'still node-a’s right after it closed');
      const back = await until('node-b to get the events', async () => {
        const got = await c.b.ports.events.claim(10, Date.now() + 1);
        return got.length > 0 ? got : undefined;
      });
      const waited = Date.now() - t0;
      assert.deepEqual(back.map((x) => x.id).sort(), claimed.map((x) => x.id).sort());
      assert.ok(waited >= leaseMs - 50, `not before the lease ran out (${waited} ms)`);
      // The bound: the lease, plus one reap interval, plus the test's own polling and a busy machine's slack (CI runs
      // two suites at once on two cores).
      assert.ok(waited <= leaseMs + leaseMs / 4 + 3000, `within the lease and a reap interval (${waited} ms)`);
    } finally {
      await c.close();
    }
  });

  test("recover on a node that starts leaves another node's running events alone", async () => {
    const c = await cluster(30_000);
    try {
      for (let i = 0; i < 3; i++) await c.a.ports.events.enqueue(ev(i));
      await c.a.ports.events.claim(3, Date.now() + 1);
      assert.equal(await c.b.ports.events.recover(Date.now()), 0);
      const r = await c.s.query(`SELECT state, owner, COUNT(*)::int AS n FROM async_events GROUP BY state, owner`);
      assert.deepEqual(r.rows, [{ state: 'running', owner: 'node-a', n: 3 }]);
    } finally {
      await c.close();
    }
  });

  test('a poller that loses its lease while the event runs logs async:lease-lost and hands over no destination', async () => {
    const leaseMs = 300;
    const c = await cluster(leaseMs);
    const logged: { level: string; event: string; outcome?: string; requestId?: string }[] = [];
    let poller: Poller | undefined;
    try {
      for (const name of ['fn', 'dest']) await c.s.query(`INSERT INTO functions (account, name, next_version, tags, created_at) VALUES ('', $1, 1, '{}', '')`, [name]);
      await c.a.ports.configs.put({ functionName: 'fn', qualifier: '$LATEST', onSuccess: 'arn:aws:lambda:us-east-1:123456789012:function:dest', lastModified: 1 });
      await c.a.ports.events.enqueue(ev(1));
      let takenByB: number | undefined;
      poller = new Poller({
        events: c.a.ports.events,
        configs: c.a.ports.configs,
        // The engine is not what is under test: this one runs past the lease (the loop stalls) and succeeds only
        // once node-b has taken the event over.
        runner: {
          async runEvent() {
            const stall = Date.now() + leaseMs + 200;
            while (Date.now() < stall);
            takenByB = await until('node-b to take the event over', async () => (await c.b.ports.events.claim(1, Date.now() + 1))[0]?.id);
            return { kind: 'success', payload: Buffer.from('{}'), executedVersion: '$LATEST' };
          },
        },
        // Only what a Lambda destination's planning reads.
        store: { getFunction: async (name: string) => (name === 'dest' ? {} : undefined) } as unknown as Store,
        account: { region: 'us-east-1', accountId: '123456789012' },
        log: createLogger('warn', {}, (line) => logged.push(JSON.parse(line))),
        timeScale: 1,
        concurrency: 1,
      });
      await poller.start();
      const lost = await until('async:lease-lost', async () => logged.find((l) => l.event === 'async:lease-lost'));
      assert.equal(lost.level, 'warn');
      assert.equal(lost.outcome, 'complete');
      assert.equal(lost.requestId, 'req-1');
      const rows = await c.s.query('SELECT function_name, state, owner FROM async_events');
      assert.deepEqual(rows.rows, [{ function_name: 'fn', state: 'running', owner: 'node-b' }], 'node-b holds the event; no OnSuccess event was handed over');
      assert.equal(await c.b.ports.events.complete(takenByB!), true);
    } finally {
      await poller?.stop(1000);
      await poller?.drain();
      await c.close();
    }
  });

  test("an enqueue on one node wakes the other's pollers over NOTIFY (accepted counts only on the node that accepted)", async () => {
    const c = await cluster(30_000);
    try {
      const [a0, b0] = [c.a.wakes.length, c.b.wakes.length];
      await Promise.all([c.a.ports.events.enqueue(ev(1)), c.a.ports.events.enqueue(ev(2))]);
      assert.deepEqual(c.a.wakes.slice(a0), [2], 'one local wake-up for the batch, with its count');
      await until('node-b to be woken', async () => (c.b.wakes.length > b0 ? true : undefined), 3000);
      assert.deepEqual(c.b.wakes.slice(b0), [0]);
      await sleep(100);
      assert.deepEqual(c.a.wakes.slice(a0), [2], 'its own notification does not wake node-a again');
      const [e] = await c.b.ports.events.claim(1, Date.now() + 1);
      const b1 = c.a.wakes.length;
      assert.equal(await c.b.ports.events.retryLater(e.id, Date.now(), { error: 'throttled' }), true);
      await until('node-a to hear of the requeue', async () => (c.a.wakes.length > b1 ? true : undefined), 3000);
    } finally {
      await c.close();
    }
  });
});

test('retry policy: delays, backoff, age and the decisions AWS makes', () => {
  assert.equal(retryDelayMs(1, 1), 60_000);
  assert.equal(retryDelayMs(2, 1), 120_000);
  assert.deepEqual([0, 1, 2, 8, 9, 30].map((n) => backoffMs(n, 1)), [1000, 2000, 4000, 256_000, 300_000, 300_000]);
  assert.equal(backoffMs(0, 0.001), 1);
  const defaults = effectivePolicy(undefined, 1);
  assert.deepEqual(defaults, { maxRetryAttempts: 2, maxAgeMs: 21_600_000, onSuccess: undefined, onFailure: undefined });
  assert.equal(effectivePolicy(undefined, 0).maxAgeMs, Infinity, 'a time scale of 0 does not expire everything');
  const t0 = 1_000_000;
  assert.deepEqual(afterFunctionError(1, t0, t0 + 100, defaults, 1), { action: 'retry', runAt: t0 + 100 + 60_000 });
  assert.deepEqual(afterFunctionError(2, t0, t0 + 100, defaults, 1), { action: 'retry', runAt: t0 + 100 + 120_000 });
  assert.equal((afterFunctionError(3, t0, t0 + 100, defaults, 1) as { condition: string }).condition, 'RetriesExhausted');
  // Oracle test_maxeventage: age 60 s → no retry (EventAgeExceeded after 1 run); age 90 s → one retry, then EventAgeExceeded.
  const age60 = effectivePolicy({ functionName: 'f', qualifier: '$LATEST', lastModified: 0, maximumEventAgeInSeconds: 60 }, 1);
  assert.equal((afterFunctionError(1, t0, t0 + 1000, age60, 1) as { condition: string }).condition, 'EventAgeExceeded');
  const age90 = effectivePolicy({ functionName: 'f', qualifier: '$LATEST', lastModified: 0, maximumEventAgeInSeconds: 90 }, 1);
  assert.equal(afterFunctionError(1, t0, t0 + 1000, age90, 1).action, 'retry');
  assert.equal((afterFunctionError(2, t0, t0 + 62_000, age90, 1) as { condition: string }).condition, 'EventAgeExceeded');
  assert.deepEqual(afterRequeue(0, t0, t0, defaults, 1), { action: 'retry', runAt: t0 + 1000 });
  assert.equal((afterRequeue(5, t0, t0 + 59_000, age60, 1) as { condition: string }).condition, 'EventAgeExceeded');
});
