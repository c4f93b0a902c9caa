// Finished invocations' logs in PostgreSQL (table function_logs, migration 003): the LogStore of cluster mode, where
// every node appends and any node reads a function's log from all of them.
//
// Off the invoke path, like the file adapter: what was appended during WRITE_EVERY_MS goes in one multi-row INSERT,
// one row per key holding that key's invocations in order, one write at a time (so this node's rows keep their order
// in id), and a key's older rows are pruned now and then, not per append. A row per invocation cost PostgreSQL ~200 µs
// of CPU per invoke at one client (bench/cluster.mjs): the warm path of a cluster node ran at 0.7× SQLite's.
import { MAX_LOG_BYTES, type LogStore } from '../runtime/log-sink.js';
import type { PgPool } from '../store/postgres/db.js';

/** Rows per page when reading newest first (a finished invocation's log is typically a few hundred bytes). */
const READ_PAGE = 256;
/** Rows per INSERT, under PostgreSQL's 65,535 parameters (two per row). */
const MAX_ROWS = 10_000;
/**
 * How long appends gather before they are written: the bound on how late another node's `alonzo logs` sees an
 * invocation (plus the INSERT itself). This node's own reads flush first, so they never wait for it.
 */
export const WRITE_EVERY_MS = 100;
const START = Buffer.from('START RequestId: ');

export interface PgLogOptions {
  /** Bytes kept per key (default MAX_LOG_BYTES, as the file adapter). */
  maxBytesPerKey?: number;
  /** Told of each failed write or prune (the composition root logs it); the store itself has no logger. */
  onError?: (e: Error) => void;
}

export class PgLogStore implements LogStore {
  /**
   * Appends lost because their INSERT failed (the database was away). They are dropped, not retried: append must never
   * wait or throw, and holding logs for a database that may be gone for minutes would grow without bound.
   */
  dropped = 0;
  private pending: { key: string; text: Buffer }[] = [];
  private scheduled = false;
  /** The write under way, if any; the next one starts after it. */
  private writing?: Promise<void>;
  /** Bytes this node appended per key since it last pruned that key; a key not here yet is pruned on its first write. */
  private sincePrune = new Map<string, number>();
  private readonly maxBytes: number;

  /** `node` is this node's name (--node-name), kept on each row to say where an invocation ran. */
  constructor(
    private readonly pool: PgPool,
    private readonly node: string,
    private readonly opts: PgLogOptions = {},
  ) {
    this.maxBytes = opts.maxBytesPerKey ?? MAX_LOG_BYTES;
  }

  append(key: string, text: Buffer): void {
    this.pending.push({ key, text });
    this.schedule();
  }

  /** A write WRITE_EVERY_MS from now (if none is due): never one right after another, however busy the node. */
  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setTimeout(() => {
      this.scheduled = false;
      // A write still under way schedules the next one when it ends.
      if (!this.writing) this.write();
    }, WRITE_EVERY_MS).unref();
  }

  private write(): void {
    // One row per key: its invocations of this batch, in the order they were appended.
    const byKey = new Map<string, Buffer[]>();
    for (const { key, text } of this.pending) {
      const list = byKey.get(key);
      if (list) list.push(text);
      else byKey.set(key, [text]);
    }
    const rows = [...byKey].map(([key, texts]) => ({ key, text: texts.length === 1 ? texts[0] : Buffer.concat(texts), appends: texts.length }));
    this.pending = [];
    this.writing = this.insert(rows)
      .then(() => this.prune(rows))
      .finally(() => {
        this.writing = undefined;
        if (this.pending.length) this.schedule();
      });
  }

  private async insert(rows: { key: string; text: Buffer; appends: number }[]): Promise<void> {
    for (let i = 0; i < rows.length; i += MAX_ROWS) {
      const part = rows.slice(i, i + MAX_ROWS);
      const values: unknown[] = [this.node];
      const tuples = part.map((r) => `($1, $${values.push(r.key)}, $${values.push(r.text)})`);
      try {
        await this.pool.query(`INSERT INTO function_logs (node, key, body) VALUES ${tuples.join(', ')}`, values);
      } catch (e) {
        this.dropped += part.reduce((n, r) => n + r.appends, 0);
        this.opts.onError?.(e as Error);
      }
    }
  }

  /**
   * Keeps a key's newest rows within maxBytes, once this node has appended an eighth of that to it since it last did
   * (so each node adds at most maxBytes/8 over the bound between prunes), and on its first write to the key (so that a
   * cluster of nodes that restart often still prunes). The newest row is always kept, however large.
   */
  private async prune(rows: { key: string; text: Buffer }[]): Promise<void> {
    const due = new Set<string>();
    for (const { key, text } of rows) {
      const n = this.sincePrune.get(key);
      const after = (n ?? 0) + text.length;
      this.sincePrune.set(key, after);
      if (n === undefined || after >= this.maxBytes / 8) due.add(key);
    }
    for (const key of due) {
      try {
        await this.pool.query(
          `DELETE FROM function_logs WHERE key = $1 AND id < (
             SELECT min(id) FROM (
               SELECT id, octet_length(body) AS len, sum(octet_length(body)) OVER (ORDER BY id DESC) AS upto FROM function_logs WHERE key = $1
             ) newest WHERE upto <= $2 OR upto = len
           )`,
          [key, this.maxBytes],
        );
        this.sincePrune.set(key, 0);
      } catch (e) {
        // Left due: the next write to the key tries again.
        this.opts.onError?.(e as Error);
      }
    }
  }

  /**
   * The newest rows of a key (every node's) that fit in maxBytes, oldest first: whole invocations, as rows hold whole ones.
   * When even the newest is larger, its last maxBytes. Fetched newest first in pages that stop once maxBytes is
   * reached, along the (key, id) index: a read of the default 64 KiB touches a few hundred rows, not the key's 8 MB.
   */
  async read(key: string, maxBytes = 64 << 10): Promise<Buffer> {
    await this.flush();
    const newest: Buffer[] = [];
    let size = 0;
    let before = Number.MAX_SAFE_INTEGER;
    while (size < maxBytes) {
      const r = await this.pool.query<{ id: number; body: Buffer }>('SELECT id, body FROM function_logs WHERE key = $1 AND id < $2 ORDER BY id DESC LIMIT $3', [key, before, READ_PAGE]);
      for (const { body } of r.rows) {
        if (size + body.length > maxBytes) {
          // A row holds whole invocations: keep those of its newest that fit (from a START line on), or, when not even
          // one does and nothing is kept yet, the newest maxBytes of it.
          const from = body.indexOf(START, body.length - (maxBytes - size));
          if (from !== -1) newest.push(body.subarray(from));
          else if (newest.length === 0) newest.push(body.subarray(body.length - maxBytes));
          return Buffer.concat(newest.reverse());
        }
        newest.push(body);
        size += body.length;
      }
      if (r.rows.length < READ_PAGE) break;
      before = r.rows[r.rows.length - 1].id;
    }
    return Buffer.concat(newest.reverse());
  }

  /** Waits until everything appended so far is written (or counted in dropped). */
  async flush(): Promise<void> {
    while (this.writing || this.pending.length) {
      if (!this.writing) this.write();
      await this.writing;
    }
  }

  /** Flushes; the pool is the composition root's to close. */
  close(): Promise<void> {
    return this.flush();
  }
}
