// The LogStore contract, run against each adapter (a file per function, PostgreSQL), then what only PostgreSQL's does:
// two nodes on one schema reading each other's invocations, one INSERT per event-loop turn, failures counted.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogSink, logKey, type LogStore } from '../../src/runtime/log-sink.js';
import { openPostgres, type PgHandle } from '../../src/store/postgres/db.js';
import { PgLogStore } from '../../src/cluster/logs.js';
import { pgSchema, type PgSchema } from '../helpers/pg.js';

interface Opened {
  open(opts?: { maxBytesPerKey?: number }): LogStore;
  /** What is stored for a key, read behind the store's back (the file; the rows in id order). */
  stored(key: string): Promise<Buffer>;
  close(): Promise<void>;
}

const adapters: { name: string; setup(): Promise<Opened> }[] = [
  {
    name: 'file',
    async setup() {
      const dirs: string[] = [];
      return {
        open(opts) {
          // A folder per instance: two LogSinks on one folder is not a supported setup (sizes are kept in memory).
          const dir = mkdtempSync(join(tmpdir(), 'alonzo-logs-'));
          dirs.push(dir);
          return new LogSink(dir, opts);
        },
        async stored(key) {
          const all = dirs.map((d) => {
            try {
              return readFileSync(join(d, `${key}.log`));
            } catch {
              return Buffer.alloc(0);
            }
          });
          return Buffer.concat(all);
        },
        async close() {
          for (const d of dirs) rmSync(d, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'postgres',
    async setup() {
      const schema = await pgSchema('logs');
      const pg = await openPostgres(schema.url);
      return {
        open: (opts) => new PgLogStore(pg.pool, 'node-a', opts),
        async stored(key) {
          const r = await schema.query<{ body: Buffer }>('SELECT body FROM function_logs WHERE key = $1 ORDER BY id', [key]);
          return Buffer.concat(r.rows.map((row) => row.body));
        },
        async close() {
          await pg.close();
          await schema.drop();
        },
      };
    },
  },
];

/** One finished invocation's log, framed as InvocationLog frames it. */
const invocation = (id: string, output = `hello from ${id}\n`) =>
  Buffer.from(`START RequestId: ${id} Version: $LATEST\n${output}END RequestId: ${id}\nREPORT RequestId: ${id}\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\t\n`);

const turn = () => new Promise((ok) => setImmediate(ok));

for (const adapter of adapters) {
  describe(`LogStore contract: ${adapter.name}`, () => {
    let a: Opened;
    const stores: LogStore[] = [];
    const open = (opts?: { maxBytesPerKey?: number }) => {
      const s = a.open(opts);
      stores.push(s);
      return s;
    };
    before(async () => {
      a = await adapter.setup();
    });
    after(async () => {
      for (const s of stores) await s.close();
      await a?.close();
    });

    test('reads return appends in order, within a turn and across turns, without waiting for a flush', async () => {
      const logs = open();
      const key = logKey(undefined, 'order');
      const parts = ['one', 'two', 'three', 'four'].map((id) => invocation(id));
      logs.append(key, parts[0]);
      logs.append(key, parts[1]);
      await turn();
      logs.append(key, parts[2]);
      logs.append(key, parts[3]);
      assert.deepEqual(await logs.read(key), Buffer.concat(parts));
    });

    test('keys are kept apart; an unknown key reads empty', async () => {
      const logs = open();
      const [k1, k2] = [logKey(undefined, 'fn-a'), logKey('111122223333', 'fn-a')];
      for (let i = 0; i < 5; i++) {
        logs.append(k1, invocation(`a${i}`));
        logs.append(k2, invocation(`b${i}`));
      }
      assert.deepEqual(await logs.read(k1), Buffer.concat([0, 1, 2, 3, 4].map((i) => invocation(`a${i}`))));
      assert.deepEqual(await logs.read(k2), Buffer.concat([0, 1, 2, 3, 4].map((i) => invocation(`b${i}`))));
      assert.equal((await logs.read('nobody')).length, 0);
    });

    test('read(key, maxBytes) returns the newest bytes: a suffix, at most maxBytes, the newest invocation whole', async () => {
      const logs = open();
      const key = 'cut';
      const parts = Array.from({ length: 20 }, (_, i) => invocation(`cut-${i}`));
      for (const p of parts) logs.append(key, p);
      const all = Buffer.concat(parts);
      const max = parts[19].length * 3 + 50;
      const got = await logs.read(key, max);
      assert.ok(got.length <= max && got.length > max - parts[19].length, `${got.length} bytes for ${max}`);
      assert.ok(all.subarray(all.length - got.length).equals(got), 'a suffix of what was appended');
      assert.ok(got.subarray(got.length - parts[19].length).equals(parts[19]));
      // One invocation larger than maxBytes: its newest bytes.
      const big = invocation('big', 'x'.repeat(5000) + '\n');
      logs.append(key, big);
      assert.deepEqual(await logs.read(key, 1000), big.subarray(big.length - 1000));
      assert.equal((await logs.read(key, 0)).length, 0);
    });

    test('a read gathers many small invocations (more than one page of rows)', async () => {
      const logs = open();
      const parts = Array.from({ length: 700 }, (_, i) => invocation(`many-${i}`, ''));
      for (const [i, p] of parts.entries()) {
        logs.append('many', p);
        if (i % 100 === 99) await turn();
      }
      assert.deepEqual(await logs.read('many', 1 << 20), Buffer.concat(parts));
    });

    test('flush waits until everything appended is stored', async () => {
      const logs = open();
      const parts = Array.from({ length: 30 }, (_, i) => invocation(`flush-${i}`));
      for (const p of parts.slice(0, 10)) logs.append('flushed', p);
      await turn();
      for (const p of parts.slice(10)) logs.append('flushed', p);
      await logs.flush();
      assert.deepEqual(await a.stored('flushed'), Buffer.concat(parts));
      await logs.flush();
    });

    test('retention: a key keeps about its byte budget of newest invocations; other keys are untouched', async () => {
      const budget = 16 << 10;
      const logs = open({ maxBytesPerKey: budget });
      const parts = Array.from({ length: 400 }, (_, i) => invocation(`ret-${i}`, `${'r'.repeat(300)}\n`));
      // Flushed every 20 (6 KB): at a pace the store keeps up with, as a server's appends are. (The file adapter cuts
      // to the newer half of what it holds after a write, so a single write far larger than the budget stays larger.)
      for (const [i, p] of parts.entries()) {
        logs.append('retained', p);
        if (i % 20 === 19) await logs.flush();
      }
      logs.append('small', invocation('small'));
      await logs.flush();
      const kept = await a.stored('retained');
      const all = Buffer.concat(parts);
      assert.ok(kept.length <= budget * 1.25, `${kept.length} bytes kept for a budget of ${budget}`);
      assert.ok(kept.length >= budget / 2 - parts[0].length, `${kept.length} bytes kept for a budget of ${budget}`);
      assert.ok(all.subarray(all.length - kept.length).equals(kept), 'the newest part, in order');
      assert.ok(kept.subarray(0, 16).equals(Buffer.from('START RequestId:')), 'cut at an invocation\'s start');
      assert.deepEqual(await a.stored('small'), invocation('small'));
    });
  });
}

describe('PgLogStore: a cluster\'s nodes on one schema', () => {
  let schema: PgSchema;
  let pg: PgHandle;
  const stores: PgLogStore[] = [];
  const node = (name: string) => {
    const s = new PgLogStore(pg.pool, name);
    stores.push(s);
    return s;
  };
  before(async () => {
    schema = await pgSchema('logs');
    pg = await openPostgres(schema.url);
  });
  after(async () => {
    for (const s of stores) await s.close();
    await pg?.close();
    await schema?.drop();
  });

  test('two nodes see each other\'s appends after a flush, in the order they were written', async () => {
    // Each node its own pool, as two processes would have.
    const other = await openPostgres(schema.url);
    try {
      const a = node('node-a');
      const b = new PgLogStore(other.pool, 'node-b');
      a.append('shared', invocation('from-a-1'));
      await a.flush();
      b.append('shared', invocation('from-b-1'));
      await b.flush();
      a.append('shared', invocation('from-a-2'));
      await a.flush();
      const expected = Buffer.concat([invocation('from-a-1'), invocation('from-b-1'), invocation('from-a-2')]);
      assert.deepEqual(await a.read('shared'), expected);
      assert.deepEqual(await b.read('shared'), expected);
      const nodes = await schema.query<{ node: string }>('SELECT node FROM function_logs WHERE key = $1 ORDER BY id', ['shared']);
      assert.deepEqual(nodes.rows.map((r) => r.node), ['node-a', 'node-b', 'node-a']);
    } finally {
      await other.close();
    }
  });

  test('a read cut by maxBytes starts at an invocation (each row is one)', async () => {
    const logs = node('node-a');
    const parts = Array.from({ length: 10 }, (_, i) => invocation(`whole-${i}`));
    for (const p of parts) logs.append('whole', p);
    const got = await logs.read('whole', parts[0].length * 3 + parts[0].length / 2);
    assert.deepEqual(got, Buffer.concat(parts.slice(7)));
  });

  test('what is appended within WRITE_EVERY_MS is one INSERT of one row per key, whole invocations in order', async () => {
    const logs = node('node-a');
    for (let i = 0; i < 50; i++) logs.append('batched', invocation(`batch-${i}`));
    logs.append('batched-other', invocation('other-0'));
    await logs.flush();
    for (let i = 0; i < 3; i++) logs.append('batched', invocation(`batch2-${i}`));
    await logs.flush();
    const r = await schema.query<{ n: number; turns: number }>('SELECT count(*)::int AS n, count(DISTINCT at)::int AS turns FROM function_logs WHERE key = $1', ['batched']);
    assert.deepEqual(r.rows[0], { n: 2, turns: 2 }, 'two batches, one row each');
    const text = (await logs.read('batched', 1 << 20)).toString();
    const ids = [...text.matchAll(/START RequestId: (\S+)/g)].map((m) => m[1]);
    assert.deepEqual(ids, [...Array.from({ length: 50 }, (_, i) => `batch-${i}`), 'batch2-0', 'batch2-1', 'batch2-2']);
    // A read that cannot hold a whole batch row still starts at an invocation.
    const cut = (await logs.read('batched', 2_000)).toString();
    assert.match(cut, /^START RequestId: /);
    assert.match(cut, /batch2-2/);
  });

  test('a write that fails is counted in dropped and reported; append neither waits nor throws', async () => {
    const gone = await openPostgres(schema.url);
    await gone.close();
    const errors: Error[] = [];
    const logs = new PgLogStore(gone.pool, 'node-gone', { onError: (e) => errors.push(e) });
    logs.append('lost', invocation('lost-1'));
    logs.append('lost', invocation('lost-2'));
    await logs.flush();
    assert.equal(logs.dropped, 2);
    assert.ok(errors.length >= 1, 'the failure was reported');
    const r = await schema.query('SELECT 1 FROM function_logs WHERE key = $1', ['lost']);
    assert.equal(r.rowCount, 0);
  });
});
