// The embedded queue adapter: async events and EventInvokeConfigs in <dataDir>/alonzo.db, on a connection of its own.
//
// Durability without a throughput cap (group commit): every write asked for during one turn of the event loop is
// applied in a single transaction (each in its own savepoint, so one failing write rejects only itself), and all
// their promises resolve after that one commit. A batch holding a write that must survive (an enqueue, a redrive)
// resolves only after the WAL is fsync'd, so an Event's 202 goes out once the event is on disk: the guarantee of
// synchronous=FULL. The fsync is not left to SQLite, though: FULL fsyncs inside the commit, and better-sqlite3 runs
// that on the event loop. An fsync costs ≈ 4.6 ms on this machine's disk, which capped the whole server (HTTP
// included) at ≈ 120 events/s with two fsyncs per event, and ≈ 750 accepts/s with grouped enqueues alone. So the
// connection commits with synchronous=NORMAL (in WAL mode: no fsync per commit, but the WAL is synced before every
// checkpoint and the database after it, so a checkpoint never loses a synced frame), and durable batches then
// fdatasync the WAL on libuv's thread pool while the loop goes on accepting the next batch. Bookkeeping (claims and
// outcomes) is never waited on: a killed process loses none of it, and what an OS crash loses only makes an event
// run again, at least once as Lambda promises. The tables come from migration 010, applied by the store, which the
// composition root opens first.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { open, type FileHandle } from 'node:fs/promises';
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


interface PendingWrite {
  run: () => unknown;
  /** Must be fsync'd before it resolves. */
  durable: boolean;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

export interface SqliteQueueOptions {
  /**
   * Called after a commit that made events runnable (an enqueue, a redrive, a destination hand-off): wakes the pollers.
   * `accepted` counts the new Events of that commit that callers wait on (Invoke's 202s), which the pollers read as
   * the rate at which Events are being accepted.
   */
  onWork?: (accepted: number) => void;
  /** The server's own account: its rows carry the sentinel '' (migration 012), as events without an accountId do. */
  accountId?: string;
}

export function openSqliteQueue(dataDir: string, opts: SqliteQueueOptions = {}): AsyncInvokePorts {
  const dbPath = join(dataDir, 'alonzo.db');
  const db = new Database(dbPath);
  db.pragma('journal_mode = WAL');
  // NORMAL: commits do not fsync on the event loop; durable batches fsync the WAL off it (syncWal below).
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  const present = db.prepare(`SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN ('async_events', 'event_invoke_configs')`).get() as { n: number };
  if (present.n !== 2) {
    db.close();
    throw new Error('the async queue tables are missing: open the store (which applies the migrations) before the queue');
  }

  const q = {
    insert: db.prepare(`INSERT INTO async_events (request_id, account, function_name, qualifier, payload, state, enqueued_at, run_at, trace_id)
      VALUES (?, ?, ?, ?, ?, 'queued', ?, ?, ?)`),
    // The one claim statement: due events, oldest first, marked running atomically (SQLite has one writer, so no
    // SKIP LOCKED is needed; the PostgreSQL adapter adds it).
    claim: db.prepare(`UPDATE async_events SET state = 'running', claimed_at = @now
      WHERE id IN (SELECT id FROM async_events WHERE state = 'queued' AND run_at <= @now ORDER BY run_at, id LIMIT @limit)
      RETURNING *`),
    complete: db.prepare(`DELETE FROM async_events WHERE id = ? AND state = 'running'`),
    retry: db.prepare(`UPDATE async_events SET state = 'queued', run_at = @runAt, claimed_at = NULL, last_error = @error,
        attempts = attempts + @used, requeues = CASE WHEN @used = 1 THEN 0 ELSE requeues + 1 END,
        last_response = CASE WHEN @used = 1 THEN @response ELSE last_response END,
        last_function_error = CASE WHEN @used = 1 THEN @functionError ELSE last_function_error END,
        executed_version = CASE WHEN @used = 1 THEN @executedVersion ELSE executed_version END
      WHERE id = @id AND state = 'running'`),
    fail: db.prepare(`UPDATE async_events SET state = 'failed', failed_at = @now, claimed_at = NULL, condition = @condition,
        last_error = @reason, record = @record, deliveries = @deliveries, attempts = attempts + @used,
        last_response = CASE WHEN @used = 1 THEN @response ELSE last_response END,
        last_function_error = CASE WHEN @used = 1 THEN @functionError ELSE last_function_error END,
        executed_version = CASE WHEN @used = 1 THEN @executedVersion ELSE executed_version END
      WHERE id = @id AND state = 'running'`),
    listFailed: db.prepare(`SELECT * FROM async_events WHERE account = ? AND function_name = ? AND state = 'failed' AND id > ? ORDER BY id LIMIT ?`),
    redrive: db.prepare(`UPDATE async_events SET state = 'queued', enqueued_at = @now, run_at = @now, attempts = 0, requeues = 0,
        failed_at = NULL, condition = NULL, last_error = NULL, record = NULL, deliveries = NULL,
        last_response = NULL, last_function_error = NULL, executed_version = NULL
      WHERE account = @account AND function_name = @fn AND state = 'failed' AND (@ids IS NULL OR request_id IN (SELECT value FROM json_each(@ids)))`),
    nextRunAt: db.prepare(`SELECT MIN(run_at) AS t FROM async_events WHERE state = 'queued'`),
    stats: db.prepare(`SELECT account, function_name, state, COUNT(*) AS n, MIN(enqueued_at) AS oldest FROM async_events GROUP BY account, function_name, state`),
    recover: db.prepare(`UPDATE async_events SET state = 'queued', claimed_at = NULL, run_at = MIN(run_at, @now) WHERE state = 'running'`),
    getConfig: db.prepare('SELECT * FROM event_invoke_configs WHERE account = ? AND function_name = ? AND qualifier = ?'),
    putConfig: db.prepare(`INSERT INTO event_invoke_configs (account, function_name, qualifier, sort_key, maximum_retry_attempts, maximum_event_age_seconds, on_success, on_failure, last_modified)
      VALUES (@account, @fn, @q, @sortKey, @retries, @age, @onSuccess, @onFailure, @lastModified)
      ON CONFLICT (account, function_name, qualifier) DO UPDATE SET maximum_retry_attempts = excluded.maximum_retry_attempts,
        maximum_event_age_seconds = excluded.maximum_event_age_seconds, on_success = excluded.on_success,
        on_failure = excluded.on_failure, last_modified = excluded.last_modified`),
    deleteConfig: db.prepare('DELETE FROM event_invoke_configs WHERE account = ? AND function_name = ? AND qualifier = ?'),
    listConfigs: db.prepare('SELECT * FROM event_invoke_configs WHERE account = ? AND function_name = ? AND sort_key > ? ORDER BY sort_key LIMIT ?'),
  };

  // ---- durability: fdatasync of the WAL on the thread pool ------------------------------------------------------------
  // The -wal file lives as long as any connection is open (the store's is, for the server's life), and SQLite reuses
  // it in place after checkpoints, so one handle stays valid; it is reopened if a sync ever fails.
  let wal: Promise<FileHandle> | undefined;
  const syncs = new Set<Promise<void>>();
  async function syncWal(): Promise<void> {
    wal ??= open(`${dbPath}-wal`, 'r');
    try {
      await (await wal).datasync();
    } catch {
      const stale = wal;
      stale.then((h) => h.close()).catch(() => {});
      // Once more with a fresh handle; a second failure is the caller's error (the 202 becomes a 500).
      wal = open(`${dbPath}-wal`, 'r');
      await (await wal).datasync();
    }
  }
  // One fsync at a time, each covering every commit made before it started: commits that arrive while one runs wait
  // for the next, which then covers all of them (so the number of fsyncs does not grow with the load).
  let syncing: Promise<void> | undefined;
  let waiting: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  function startSync(): void {
    const batchOfWaiters = waiting;
    waiting = [];
    syncing = syncWal().then(
      () => batchOfWaiters.forEach((w) => w.resolve()),
      (e) => batchOfWaiters.forEach((w) => w.reject(e)),
    );
    const p = syncing.finally(() => {
      syncs.delete(p);
      syncing = undefined;
      if (waiting.length > 0) startSync();
    });
    syncs.add(p);
  }
  /** Resolves once everything committed so far is on disk. */
  function durably(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      waiting.push({ resolve, reject });
      if (!syncing) startSync();
    });
  }

  // ---- grouped writes ------------------------------------------------------------------------------------------------
  let pending: PendingWrite[] = [];
  let flushScheduled = false;
  let closed = false;
  let wake = false;
  let accepted = 0;
  const savepoint = db.transaction((run: () => unknown) => run());
  const batch = db.transaction((writes: PendingWrite[]) => {
    const results: { ok: boolean; value?: unknown; error?: unknown }[] = [];
    for (const w of writes) {
      try {
        results.push({ ok: true, value: savepoint(w.run) });
      } catch (error) {
        results.push({ ok: false, error });
      }
    }
    return results;
  });

  function flush(): void {
    flushScheduled = false;
    const writes = pending;
    pending = [];
    if (writes.length === 0) return;
    let results: { ok: boolean; value?: unknown; error?: unknown }[];
    try {
      results = batch(writes);
    } catch (e) {
      for (const w of writes) w.reject(e);
      return;
    }
    // Committed: the pollers may run the events now; the callers hear back once what must be durable is.
    if (wake) {
      const n = accepted;
      wake = false;
      accepted = 0;
      opts.onWork?.(n);
    }
    const settle = () => writes.forEach((w, i) => (results[i].ok ? w.resolve(results[i].value) : w.reject(results[i].error)));
    if (writes.some((w) => w.durable)) {
      durably().then(settle, (e) => {
        for (const w of writes) w.reject(e);
      });
    } else settle();
  }

  /** Queues a write for this turn's transaction; resolves after the commit (fsync'd when durable). */
  function write<T>(run: () => T, { durable = false, makesWork = false } = {}): Promise<T> {
    if (closed) return Promise.reject(new Error('the async queue is closed'));
    return new Promise<T>((resolve, reject) => {
      pending.push({
        run: () => {
          const v = run();
          if (makesWork) wake = true;
          return v;
        },
        resolve: resolve as (v: unknown) => void,
        reject,
        durable,
      });
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
    });
  }

  const keyOf = (accountId: string | undefined): string => (accountId === undefined || accountId === opts.accountId ? '' : accountId);
  const insertEvent = (ev: AsyncEvent, now: number) => q.insert.run(ev.requestId, keyOf(ev.accountId), ev.functionName, ev.qualifier ?? null, ev.payload, now, now, ev.traceId ?? null);

  const attemptParams = (a: AttemptResponse | undefined) => ({
    used: a ? 1 : 0,
    response: a?.payload ?? null,
    functionError: a?.functionError ?? null,
    executedVersion: a?.executedVersion ?? null,
  });

  const events: EventQueue = {
    enqueue(ev) {
      return write(() => {
        insertEvent(ev, Date.now());
        accepted++;
      }, { durable: true, makesWork: true });
    },
    async claim(limit, now) {
      if (closed) return [];
      const rows = q.claim.all({ now, limit }) as EventRow[];
      return rows.map(toClaimed).sort((a, b) => a.runAt - b.runAt || a.id - b.id);
    },
    complete(id, then = []) {
      return write(() => {
        q.complete.run(id);
        const now = Date.now();
        for (const ev of then) insertEvent(ev, now);
        // One process, no leases: its claims cannot be lost.
        return true;
      }, { makesWork: then.length > 0 });
    },
    retryLater(id, runAt, { attempt, error }) {
      return write(() => {
        q.retry.run({ id, runAt, error, ...attemptParams(attempt) });
        return true;
      }, { makesWork: true });
    },
    fail(id, f: Failure, then = []) {
      return write(() => {
        const now = Date.now();
        q.fail.run({
          id,
          now,
          condition: f.condition,
          reason: f.reason,
          record: JSON.stringify(f.record),
          deliveries: JSON.stringify(f.deliveries),
          ...attemptParams(f.attempt),
        });
        for (const ev of then) insertEvent(ev, now);
        return true;
      }, { makesWork: then.length > 0 });
    },
    async listFailed(functionName, { marker, limit, accountId }): Promise<Page<FailedEvent>> {
      const after = Number(decodeMarker(marker) ?? '0') || 0;
      const rows = q.listFailed.all(keyOf(accountId), functionName, after, limit + 1) as EventRow[];
      const more = rows.length > limit;
      const items = (more ? rows.slice(0, limit) : rows).map(toFailed);
      return more ? { items, nextMarker: encodeMarker(String(items[items.length - 1].id)) } : { items };
    },
    redrive(functionName, requestIds, accountId) {
      return write(() => q.redrive.run({ account: keyOf(accountId), fn: functionName, now: Date.now(), ids: requestIds ? JSON.stringify(requestIds) : null }).changes, { durable: true, makesWork: true });
    },
    async stats() {
      if (closed) return [];
      return (q.stats.all() as StatRow[]).map(toStat);
    },
    async nextRunAt() {
      if (closed) return undefined;
      const r = q.nextRunAt.get() as { t: number | null };
      return r.t ?? undefined;
    },
    recover(now) {
      return write(() => q.recover.run({ now }).changes, { durable: true, makesWork: true });
    },
    async close() {
      // Whatever is still waiting for its commit is written (and synced) before the connection goes.
      flush();
      closed = true;
      while (syncs.size > 0) await Promise.allSettled([...syncs]);
      await wal?.then((h) => h.close()).catch(() => {});
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
      const r = q.getConfig.get(a, fn, qualifier) as ConfigRow | undefined;
      return r ? toConfig(r) : undefined;
    },
    async put(c) {
      q.putConfig.run({
        account: a,
        fn: c.functionName,
        q: c.qualifier,
        sortKey: sortKey(c.qualifier),
        retries: c.maximumRetryAttempts ?? null,
        age: c.maximumEventAgeInSeconds ?? null,
        onSuccess: c.onSuccess ?? null,
        onFailure: c.onFailure ?? null,
        lastModified: c.lastModified,
      });
      await durably();
    },
    async delete(fn, qualifier) {
      const gone = q.deleteConfig.run(a, fn, qualifier).changes > 0;
      await durably();
      return gone;
    },
    async list(fn, { marker, limit }) {
      const rows = q.listConfigs.all(a, fn, decodeMarker(marker) ?? '', limit + 1) as ConfigRow[];
      const more = rows.length > limit;
      const items = (more ? rows.slice(0, limit) : rows).map(toConfig);
      return more ? { items, nextMarker: encodeMarker(sortKey(items[items.length - 1].qualifier)) } : { items };
    },
  });

  return {
    events,
    configs: configsOf(undefined),
    async close() {
      await events.close();
      db.close();
    },
  };
}
