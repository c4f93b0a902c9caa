// The cluster queue adapter: async events and EventInvokeConfigs in PostgreSQL, shared by every node of the cluster.
//
// Claims have an owner and a lease (graphile-worker's locked_by / locked_at, with an expiry). A node claims due events
// in one statement (FOR UPDATE SKIP LOCKED: two nodes never take the same row, and neither waits for the other),
// renews the leases of the events it is running, and writes an outcome only while its lease holds: an outcome that
// comes too late changes nothing and says so (false), because another node may be running the event by then. Every
// node queues expired leases again, so a dead node's events run elsewhere; none is queued again while its lease holds,
// so a node starting never re-runs the live events of another. Leases use the database's clock, one for all nodes.
//
// Durability: PostgreSQL commits with synchronous_commit (checked at open), so a statement's answer means its WAL is
// flushed, and an enqueue resolves only then: the 202 goes out once the event is on disk. The enqueues of one turn of
// the event loop share one multi-row INSERT (group commit, as in sqlite.ts), and one batch is in flight at a time,
// so under load the batches grow instead of the number of commits. Wake-ups go over LISTEN/NOTIFY, sent in the
// transaction that made events runnable, so another node looks at the queue when there is something to see.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { inTransaction, listen, type Listener, type PgClient, type PgHandle, type PgPool } from '../store/postgres/db.js';
import type { Page } from '../store/types.js';
import type {
  AsyncEvent,
  AsyncInvokePorts,
  AttemptResponse,
  EventInvokeConfigStore,
  EventQueue,
  FailedEvent,
  Failure,
} from './types.js';
import { decodeMarker, encodeMarker, sortKey, toClaimed, toConfig, toFailed, toStat, type ConfigRow, type EventRow, type StatRow } from './rows.js';

/**
 * How long a claim holds without renewal. The bound it gives: a dead node's events are queued again within
 * leaseMs + the reap interval (15 + 3.75 ≈ 19 s by default), well below Lambda's first retry delay (1 min). Shorter
 * leases return them sooner but make every node write renewals more often and lose events to shorter stalls.
 */
export const LEASE_MS = 15_000;

/** The owner renews every third of a lease: a lease runs out only after two renewals in a row failed (a 10 s stall). */
const RENEW_FRACTION = 3;
/** Every node looks for expired leases every quarter lease, and at start-up (recover). */
const REAP_FRACTION = 4;

/** The database's clock in epoch ms: leases are compared against one clock, whatever the nodes' clocks say. */
const NOW_MS = `(extract(epoch FROM clock_timestamp()) * 1000)::bigint`;

export interface PostgresQueueOptions {
  /** The database URL (the handle's), for the LISTEN connection. */
  url: string;
  /** This node's name: the owner of its claims. */
  nodeId: string;
  /** The server's own account: its rows carry the sentinel '' (as in the store). */
  accountId?: string;
  /**
   * Called when events became runnable: after this node's own commit (`accepted` = the new Events of that batch, which
   * the pollers read as the accept rate), on a notification from another node (0), and when the LISTEN connection
   * comes back after an outage, since notifications sent meanwhile are lost (0).
   */
  onWork?: (accepted: number) => void;
  /** How long a claim holds without renewal (default LEASE_MS). */
  leaseMs?: number;
}

// ---- statements ------------------------------------------------------------------------------------------------------
// An outcome applies only to the owner's live lease ($1 the id, $2 the owner): otherwise it matches no row.
const HELD = `id = $1 AND owner = $2 AND state = 'running' AND lease_until > ${NOW_MS}`;

const SQL = {
  // Many events, one statement: arrays unnested into rows. Notifies once if anything was inserted (the data-modifying
  // CTE runs to completion whatever the outer query reads).
  insert: `WITH ins AS (
      INSERT INTO async_events (request_id, account, function_name, qualifier, payload, state, enqueued_at, run_at, trace_id)
      SELECT r, a, f, q, p, 'queued', $6, $6, tr FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[], $9::text[]) AS t (r, a, f, q, p, tr)
      RETURNING 1)
    SELECT pg_notify($7, $8) FROM (SELECT 1 FROM ins LIMIT 1) AS any_row`,
  // The one claim statement: due events, oldest first, each locked by one claimer only (others skip it).
  claim: `UPDATE async_events e SET state = 'running', claimed_at = $1, owner = $3, lease_until = ${NOW_MS} + $4
    FROM (SELECT id FROM async_events WHERE state = 'queued' AND run_at <= $1 ORDER BY run_at, id LIMIT $2 FOR UPDATE SKIP LOCKED) AS due
    WHERE e.id = due.id
    RETURNING e.*`,
  renew: `UPDATE async_events SET lease_until = ${NOW_MS} + $3
    WHERE id = ANY($1::bigint[]) AND owner = $2 AND state = 'running' AND lease_until > ${NOW_MS}
    RETURNING id`,
  complete: `DELETE FROM async_events WHERE ${HELD}`,
  retry: `WITH back AS (
      UPDATE async_events SET state = 'queued', run_at = $3, claimed_at = NULL, owner = NULL, lease_until = NULL, last_error = $4,
        attempts = attempts + $5, requeues = CASE WHEN $5 = 1 THEN 0 ELSE requeues + 1 END,
        last_response = CASE WHEN $5 = 1 THEN $6::bytea ELSE last_response END,
        last_function_error = CASE WHEN $5 = 1 THEN $7::text ELSE last_function_error END,
        executed_version = CASE WHEN $5 = 1 THEN $8::text ELSE executed_version END
      WHERE ${HELD}
      RETURNING 1)
    SELECT pg_notify($9, $10) FROM back`,
  fail: `UPDATE async_events SET state = 'failed', failed_at = $3, claimed_at = NULL, owner = NULL, lease_until = NULL, condition = $4,
      last_error = $5, record = $6, deliveries = $7, attempts = attempts + $8,
      last_response = CASE WHEN $8 = 1 THEN $9::bytea ELSE last_response END,
      last_function_error = CASE WHEN $8 = 1 THEN $10::text ELSE last_function_error END,
      executed_version = CASE WHEN $8 = 1 THEN $11::text ELSE executed_version END
    WHERE ${HELD}`,
  listFailed: `SELECT * FROM async_events WHERE account = $1 AND function_name = $2 AND state = 'failed' AND id > $3 ORDER BY id LIMIT $4`,
  redrive: `UPDATE async_events SET state = 'queued', enqueued_at = $3, run_at = $3, attempts = 0, requeues = 0,
      failed_at = NULL, condition = NULL, last_error = NULL, record = NULL, deliveries = NULL,
      last_response = NULL, last_function_error = NULL, executed_version = NULL
    WHERE account = $1 AND function_name = $2 AND state = 'failed' AND ($4::text[] IS NULL OR request_id = ANY($4::text[]))`,
  nextRunAt: `SELECT MIN(run_at) AS t FROM async_events WHERE state = 'queued'`,
  stats: `SELECT account, function_name, state, COUNT(*)::int AS n, MIN(enqueued_at) AS oldest FROM async_events GROUP BY account, function_name, state`,
  // Expired leases back to the queue, as a crash found at start-up: same request id, no attempt used.
  reap: `UPDATE async_events SET state = 'queued', claimed_at = NULL, owner = NULL, lease_until = NULL, run_at = LEAST(run_at, $1)
    WHERE state = 'running' AND lease_until <= ${NOW_MS}`,
  getConfig: 'SELECT * FROM event_invoke_configs WHERE account = $1 AND function_name = $2 AND qualifier = $3',
  putConfig: `INSERT INTO event_invoke_configs (account, function_name, qualifier, sort_key, maximum_retry_attempts, maximum_event_age_seconds, on_success, on_failure, last_modified)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
    ON CONFLICT (account, function_name, qualifier) DO UPDATE SET maximum_retry_attempts = excluded.maximum_retry_attempts,
      maximum_event_age_seconds = excluded.maximum_event_age_seconds, on_success = excluded.on_success,
      on_failure = excluded.on_failure, last_modified = excluded.last_modified`,
  deleteConfig: 'DELETE FROM event_invoke_configs WHERE account = $1 AND function_name = $2 AND qualifier = $3',
  listConfigs: 'SELECT * FROM event_invoke_configs WHERE account = $1 AND function_name = $2 AND sort_key > $3 ORDER BY sort_key LIMIT $4',
};

interface PendingEnqueue {
  ev: AsyncEvent;
  resolve: () => void;
  reject: (e: unknown) => void;
}

export async function openPostgresQueue(handle: PgHandle, opts: PostgresQueueOptions): Promise<AsyncInvokePorts> {
  const { pool } = handle;
  const leaseMs = opts.leaseMs ?? LEASE_MS;
  const owner = opts.nodeId;
  const channel = handle.channel('events');
  // Tells this instance's own notifications from other nodes' (their wake-up was already called locally).
  const me = randomUUID();

  const sync = (await pool.query<{ s: string }>('SHOW synchronous_commit')).rows[0].s;
  if (sync === 'off') throw new Error('synchronous_commit is off: an Event would be acknowledged (202) before it is durable; turn it on for the Alonzo database');
  const present = await pool.query<{ n: number }>(
    `SELECT COUNT(*)::int AS n FROM information_schema.tables WHERE table_schema = $1 AND table_name IN ('async_events', 'event_invoke_configs')`,
    [handle.schema],
  );
  if (present.rows[0].n !== 2) throw new Error('the async queue tables are missing: open the database (which applies the migrations) before the queue');

  // Bookkeeping (claims, outcomes, lease renewals and reaping) commits without waiting for the WAL to reach the disk,
  // on connections of its own: a node killed meanwhile loses none of it (the database has it), and what a crash of
  // the database itself loses (the last few hundred ms) only makes events run again, at least once as Lambda promises.
  // Enqueues and redrives stay synchronous: a 202 means on disk. With every claim and outcome waiting for an fsync,
  // three nodes on this 2-core machine accepted ~650 Events/s while running them.
  const book: PgPool = new pg.Pool({ connectionString: opts.url, max: 6, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 5_000, application_name: 'alonzo-queue' });
  book.on('error', () => undefined);
  book.on('connect', (c) => void c.query('SET synchronous_commit TO off').catch(() => undefined));

  let closed = false;
  const wake = (accepted: number) => {
    if (!closed) opts.onWork?.(accepted);
  };

  const keyOf = (accountId: string | undefined): string => (accountId === undefined || accountId === opts.accountId ? '' : accountId);

  /** Inserts queued events in one statement (its own transaction, or the caller's) and notifies the other nodes. */
  const insertEvents = (db: PgPool | PgClient, evs: AsyncEvent[], now: number) =>
    db.query(SQL.insert, [
      evs.map((e) => e.requestId),
      evs.map((e) => keyOf(e.accountId)),
      evs.map((e) => e.functionName),
      evs.map((e) => e.qualifier ?? null),
      evs.map((e) => e.payload),
      now,
      channel,
      me,
      evs.map((e) => e.traceId ?? null),
    ]);

  /** A statement that may queue events again, plus the notification when it did, in one transaction. */
  const requeueing = async (sql: string, params: unknown[], db: PgPool = pool): Promise<number> => {
    const n = await inTransaction(db, async (c) => {
      const changed = (await c.query(sql, params)).rowCount ?? 0;
      if (changed > 0) await c.query('SELECT pg_notify($1, $2)', [channel, me]);
      return changed;
    });
    if (n > 0) wake(0);
    return n;
  };

  /**
   * An outcome with events to hand over: the outcome first and, only if the lease held, the events, in one
   * transaction (a lost lease commits nothing: its statement matched no row).
   */
  const outcomeThen = async (sql: string, params: unknown[], then: AsyncEvent[]): Promise<boolean> => {
    if (then.length === 0) return ((await book.query(sql, params)).rowCount ?? 0) > 0;
    const held = await inTransaction(book, async (c) => {
      if (((await c.query(sql, params)).rowCount ?? 0) === 0) return false;
      await insertEvents(c, then, Date.now());
      return true;
    });
    if (held) wake(0);
    return held;
  };

  // ---- grouped enqueues ----------------------------------------------------------------------------------------------
  // One batch in flight at a time: enqueues that arrive while it commits go in the next one. A failed INSERT rejects
  // its whole batch (unlike SQLite's savepoints, nothing in an event can fail the statement but the database itself).
  let pending: PendingEnqueue[] = [];
  let scheduled = false;
  let flushing: Promise<void> | undefined;
  const schedule = () => {
    if (scheduled || flushing || pending.length === 0) return;
    scheduled = true;
    setImmediate(flush);
  };
  function flush(): void {
    scheduled = false;
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    flushing = insertEvents(
      pool,
      batch.map((p) => p.ev),
      Date.now(),
    )
      .then(
        () => {
          // Committed: the pollers may run the events now, and the callers may answer 202.
          wake(batch.length);
          for (const p of batch) p.resolve();
        },
        (e) => {
          for (const p of batch) p.reject(e);
        },
      )
      .finally(() => {
        flushing = undefined;
        schedule();
      });
  }

  // ---- leases ----------------------------------------------------------------------------------------------------------
  // Renewal by id, not by owner: a node restarted under the same name must not keep alive the leases of events its
  // previous process claimed and will never finish; those expire and are reaped like any dead node's.
  const held = new Set<number>();
  let renewing: Promise<void> | undefined;
  const renew = () => {
    if (renewing || held.size === 0) return;
    const ids = [...held];
    renewing = book
      .query<{ id: number }>(SQL.renew, [ids, owner, leaseMs])
      .then((r) => {
        // A lease that had already run out stays lost (another node may be running the event): stop renewing it.
        const kept = new Set(r.rows.map((x) => x.id));
        for (const id of ids) if (!kept.has(id)) held.delete(id);
      })
      // A failed renewal is tried again at the next tick; if the database stays away, the leases run out, which is
      // what a node cut off from the cluster should see.
      .catch(() => undefined)
      .finally(() => (renewing = undefined));
  };
  let reaping: Promise<number> | undefined;
  const reap = (now: number): Promise<number> => {
    reaping ??= requeueing(SQL.reap, [now], book).finally(() => (reaping = undefined));
    return reaping;
  };
  const renewTimer = setInterval(renew, Math.max(1, Math.floor(leaseMs / RENEW_FRACTION)));
  const reapTimer = setInterval(() => void reap(Date.now()).catch(() => undefined), Math.max(1, Math.floor(leaseMs / REAP_FRACTION)));

  const listener: Listener = listen(
    opts.url,
    [channel],
    (_ch, from) => {
      if (from !== me) wake(0);
    },
    { onResume: () => wake(0) },
  );
  await listener.ready;

  const attemptParams = (a: AttemptResponse | undefined) => [a ? 1 : 0, a?.payload ?? null, a?.functionError ?? null, a?.executedVersion ?? null];

  /** Runs an outcome for a claimed event; the event is this node's no longer, whatever the answer. */
  const settle = async (id: number, outcome: () => Promise<boolean>): Promise<boolean> => {
    if (closed) throw new Error('the async queue is closed');
    try {
      return await outcome();
    } finally {
      held.delete(id);
    }
  };

  const events: EventQueue = {
    enqueue(ev) {
      if (closed) return Promise.reject(new Error('the async queue is closed'));
      return new Promise<void>((resolve, reject) => {
        pending.push({ ev, resolve, reject });
        schedule();
      });
    },
    async claim(limit, now) {
      if (closed || limit <= 0) return [];
      const r = await book.query<EventRow>(SQL.claim, [now, limit, owner, leaseMs]);
      for (const row of r.rows) held.add(row.id);
      return r.rows.map(toClaimed).sort((a, b) => a.runAt - b.runAt || a.id - b.id);
    },
    complete(id, then = []) {
      return settle(id, () => outcomeThen(SQL.complete, [id, owner], then));
    },
    retryLater(id, runAt, { attempt, error }) {
      return settle(id, async () => {
        const n = (await book.query(SQL.retry, [id, owner, runAt, error, ...attemptParams(attempt), channel, me])).rowCount ?? 0;
        if (n > 0) wake(0);
        return n > 0;
      });
    },
    fail(id, f: Failure, then = []) {
      return settle(id, () =>
        outcomeThen(SQL.fail, [id, owner, Date.now(), f.condition, f.reason, JSON.stringify(f.record), JSON.stringify(f.deliveries), ...attemptParams(f.attempt)], then),
      );
    },
    async listFailed(functionName, { marker, limit, accountId }): Promise<Page<FailedEvent>> {
      const after = Number(decodeMarker(marker) ?? '0') || 0;
      const rows = (await pool.query<EventRow>(SQL.listFailed, [keyOf(accountId), functionName, after, limit + 1])).rows;
      const more = rows.length > limit;
      const items = (more ? rows.slice(0, limit) : rows).map(toFailed);
      return more ? { items, nextMarker: encodeMarker(String(items[items.length - 1].id)) } : { items };
    },
    redrive(functionName, requestIds, accountId) {
      if (closed) return Promise.reject(new Error('the async queue is closed'));
      return requeueing(SQL.redrive, [keyOf(accountId), functionName, Date.now(), requestIds ?? null]);
    },
    async stats() {
      if (closed) return [];
      return (await pool.query<StatRow>(SQL.stats)).rows.map(toStat);
    },
    async nextRunAt() {
      if (closed) return undefined;
      const r = await pool.query<{ t: number | null }>(SQL.nextRunAt);
      return r.rows[0].t ?? undefined;
    },
    // Not every running event, as SQLite's does: those of live nodes are theirs. Only expired leases, which is
    // also what the reap timer does; this is the start-up's look, before the first tick.
    async recover(now) {
      if (closed) return 0;
      return reap(now);
    },
    // Stops the timers and the listener once the last batch of enqueues is committed; the pool is the caller's.
    // Events still held keep their lease until it runs out (≤ leaseMs), then any node queues them again: the queue
    // cannot tell whether the work behind a claim has really stopped, and a lease that runs out is the one signal
    // that is safe either way (the poller already puts back what it abandons while the queue is open).
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(renewTimer);
      clearInterval(reapTimer);
      while (scheduled || flushing) {
        if (scheduled) flush();
        await flushing;
      }
      await Promise.allSettled([renewing, reaping]);
      await listener.close();
      await book.end().catch(() => undefined);
    },
  };

  const configViews = new Map<string, EventInvokeConfigStore>();
  const configsOf = (accountId: string | undefined): EventInvokeConfigStore => {
    const a = keyOf(accountId);
    let v = configViews.get(a);
    if (!v) configViews.set(a, (v = configView(a)));
    return v;
  };
  const configView = (a: string): EventInvokeConfigStore => ({
    forAccount: configsOf,
    async get(fn, qualifier) {
      const r = (await pool.query<ConfigRow>(SQL.getConfig, [a, fn, qualifier])).rows[0];
      return r ? toConfig(r) : undefined;
    },
    async put(c) {
      await pool.query(SQL.putConfig, [
        a,
        c.functionName,
        c.qualifier,
        sortKey(c.qualifier),
        c.maximumRetryAttempts ?? null,
        c.maximumEventAgeInSeconds ?? null,
        c.onSuccess ?? null,
        c.onFailure ?? null,
        c.lastModified,
      ]);
    },
    async delete(fn, qualifier) {
      return ((await pool.query(SQL.deleteConfig, [a, fn, qualifier])).rowCount ?? 0) > 0;
    },
    async list(fn, { marker, limit }) {
      const rows = (await pool.query<ConfigRow>(SQL.listConfigs, [a, fn, decodeMarker(marker) ?? '', limit + 1])).rows;
      const more = rows.length > limit;
      const items = (more ? rows.slice(0, limit) : rows).map(toConfig);
      return more ? { items, nextMarker: encodeMarker(sortKey(items[items.length - 1].qualifier)) } : { items };
    },
  });

  return { events, configs: configsOf(undefined), close: () => events.close() };
}
