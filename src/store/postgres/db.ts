// PostgreSQL for cluster mode: one connection pool per node (node-postgres), the numbered migrations applied under an
// advisory lock, and the names that must not collide when several clusters (or test schemas) share one database.
//
// A cluster lives in one schema: the URL's `options=-c search_path=<schema>` picks it (default `public`). Tables are
// per schema, but LISTEN/NOTIFY channels and advisory locks are per database, so both are derived from the schema name.
import pg from 'pg';
import { createHash } from 'node:crypto';
import { loadMigrations } from '../migrate.js';

export type PgPool = pg.Pool;
export type PgClient = pg.PoolClient;

/** BIGINT (epoch ms, ids) comes back as a JS number: every value Alonzo stores fits in 2^53. */
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export interface PgHandle {
  pool: pg.Pool;
  /** The schema the URL selected (its search_path's first entry). */
  schema: string;
  /** A LISTEN/NOTIFY channel name for this cluster: `alonzo_<topic>_<hash of the schema>`. */
  channel(topic: string): string;
  /** A 64-bit advisory-lock key for this cluster and a name (as a decimal string, what pg_advisory_lock takes). */
  lockKey(name: string): string;
  close(): Promise<void>;
}

export interface PgOptions {
  /** Pool size: enough for the API, the queue's pollers and the cluster's bookkeeping at once. */
  max?: number;
  /** Called for errors on idle clients (a restarted database): logged, never thrown, the pool reconnects. */
  onError?: (e: Error) => void;
}

/** Opens the pool, checks the database answers, applies the migrations. */
export async function openPostgres(url: string, opts: PgOptions = {}): Promise<PgHandle> {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 16,
    idleTimeoutMillis: 30_000,
    // A database that does not answer fails the request (AWS's 5xx) instead of holding it forever.
    connectionTimeoutMillis: 5_000,
    application_name: 'alonzo',
  });
  pool.on('error', (e) => opts.onError?.(e));
  let schema: string;
  try {
    const r = await pool.query<{ s: string }>('SELECT current_schema() AS s');
    schema = r.rows[0].s;
    if (!schema) throw new Error('the search_path names no schema that exists (create it, or fix options=-c search_path=… in the URL)');
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw e;
  }
  const h = createHash('sha256').update(schema).digest();
  const handle: PgHandle = {
    pool,
    schema,
    channel: (topic) => `alonzo_${topic}_${h.subarray(0, 6).toString('hex')}`,
    lockKey: (name) => createHash('sha256').update(`${schema}\u0000${name}`).digest().readBigInt64BE(0).toString(),
    close: () => pool.end(),
  };
  try {
    await migrate(handle);
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw e;
  }
  return handle;
}

/**
 * Applies what is not applied yet, each migration in its own transaction, holding a session advisory lock: nodes that
 * start together wait for each other and the second finds everything applied.
 */
async function migrate(h: PgHandle): Promise<void> {
  const c = await h.pool.connect();
  try {
    await c.query('SELECT pg_advisory_lock($1::bigint)', [h.lockKey('migrate')]);
    try {
      await c.query('CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
      const done = new Set((await c.query<{ id: number }>('SELECT id FROM schema_migrations')).rows.map((r) => r.id));
      for (const m of loadMigrations('postgres')) {
        if (done.has(m.id)) continue;
        await c.query('BEGIN');
        try {
          await c.query(m.sql);
          await c.query('INSERT INTO schema_migrations (id, name) VALUES ($1, $2)', [m.id, m.name]);
          await c.query('COMMIT');
        } catch (e) {
          await c.query('ROLLBACK').catch(() => undefined);
          throw new Error(`migration ${m.name} failed: ${(e as Error).message}`);
        }
      }
    } finally {
      await c.query('SELECT pg_advisory_unlock($1::bigint)', [h.lockKey('migrate')]).catch(() => undefined);
    }
  } finally {
    c.release();
  }
}

/** Runs `work` in a transaction on one client of the pool. */
export async function inTransaction<T>(pool: pg.Pool, work: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    const r = await work(c);
    await c.query('COMMIT');
    return r;
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    c.release();
  }
}

export interface Listener {
  /** Resolves once every channel is listened to for the first time (what was notified before may be missed). */
  ready: Promise<void>;
  close(): Promise<void>;
}

/**
 * A connection of its own that LISTENs on `channels` and hands each notification to `onNotify`. When the database goes
 * away it reconnects (every second) and calls `onResume`: notifications sent meanwhile are lost, so a consumer treats
 * a resume as "anything may have changed" (drop caches, look for work).
 */
export function listen(
  url: string,
  channels: string[],
  onNotify: (channel: string, payload: string) => void,
  opts: { onResume?: () => void; onError?: (e: Error) => void } = {},
): Listener {
  let client: pg.Client | undefined;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let first = true;
  let markReady!: () => void;
  const ready = new Promise<void>((ok) => (markReady = ok));
  const connect = async () => {
    if (closed) return;
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000, application_name: 'alonzo-listen' });
    c.on('notification', (n) => onNotify(n.channel, n.payload ?? ''));
    c.on('error', (e) => {
      opts.onError?.(e);
      retry(c);
    });
    c.on('end', () => retry(c));
    try {
      await c.connect();
      for (const ch of channels) await c.query(`LISTEN ${pg.escapeIdentifier(ch)}`);
      if (closed) {
        await c.end().catch(() => undefined);
        return;
      }
      client = c;
      markReady();
      if (!first) opts.onResume?.();
      first = false;
    } catch (e) {
      opts.onError?.(e as Error);
      retry(c);
    }
  };
  const retry = (c: pg.Client) => {
    if (client === c) client = undefined;
    c.removeAllListeners('end');
    c.end().catch(() => undefined);
    if (closed || timer) return;
    first = false;
    timer = setTimeout(() => {
      timer = undefined;
      void connect();
    }, 1000);
    timer.unref();
  };
  void connect();
  return {
    ready,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      const c = client;
      client = undefined;
      if (c) {
        c.removeAllListeners('end');
        await c.end().catch(() => undefined);
      }
    },
  };
}
