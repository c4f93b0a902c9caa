// Where finished invocations' logs are kept for later reading (`alonzo logs`, the dashboard): the LogStore port, and its
// file adapter (one bounded file per function, single-node mode; PostgreSQL's is cluster/logs.ts).
//
// Off the invoke path: what the invocations of GATHER_MS logged is written with one append per function, and each
// file's size is tracked in memory (an append + stat per invocation cost ~5% of the server's time; an append per
// event-loop turn still cost an open, a write and a close in the threadpool, with their wake-ups, per invoke at one
// client). Readers never see the delay: read() and flush() write what is pending first.
import { mkdirSync, statSync } from 'node:fs';
import { appendFile, open, rename } from 'node:fs/promises';
import { join } from 'node:path';

/** How long appends gather before they are written (PostgreSQL's log store gathers as long: cluster/logs.ts). */
export const GATHER_MS = 100;

/** A function's log file is cut to its newer half past this size. */
export const MAX_LOG_BYTES = 8 << 20;

/**
 * Finished invocations' logs by key (logKey). append never waits and never throws: it runs on the invoke path, after
 * the result. read returns the newest bytes of a key, at most maxBytes (64 KiB by default), appends of this instance
 * included; flush waits until what was appended is stored; close flushes.
 */
export interface LogStore {
  append(key: string, text: Buffer): void;
  read(key: string, maxBytes?: number): Promise<Buffer>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

interface FileState {
  pending: Buffer[];
  size: number;
  /** The write under way, if any; the next one starts after it. */
  writing?: Promise<void>;
}

/**
 * The file a function's logs go to: `<name>` for the server's own account (as before accounts), `<account>.<name>` for
 * another (a function name never has a dot, so the two cannot meet).
 */
export const logKey = (accountId: string | undefined, functionName: string): string => (accountId === undefined ? functionName : `${accountId}.${functionName}`);

export class LogSink implements LogStore {
  private files = new Map<string, FileState>();
  private scheduled?: NodeJS.Timeout;
  private readonly maxFile: number;

  /** `maxBytesPerKey` (default MAX_LOG_BYTES) is there for tests of the bound. */
  constructor(
    private readonly dir: string,
    opts: { maxBytesPerKey?: number } = {},
  ) {
    mkdirSync(dir, { recursive: true });
    this.maxFile = opts.maxBytesPerKey ?? MAX_LOG_BYTES;
  }

  private file(functionName: string): string {
    return join(this.dir, `${functionName}.log`);
  }

  private state(functionName: string): FileState {
    let st = this.files.get(functionName);
    if (!st) {
      let size = 0;
      try {
        size = statSync(this.file(functionName)).size;
      } catch {
        // a new file
      }
      st = { pending: [], size };
      this.files.set(functionName, st);
    }
    return st;
  }

  /** Queues an invocation's log; written in order per function, within GATHER_MS. */
  append(functionName: string, text: Buffer): void {
    this.state(functionName).pending.push(text);
    if (!this.scheduled) {
      this.scheduled = setTimeout(() => this.writeAll(), GATHER_MS);
      // A server that closes flushes (close()); the timer alone must not hold a process open.
      this.scheduled.unref();
    }
  }

  private writeAll(): void {
    this.scheduled = undefined;
    for (const [name, st] of this.files) {
      if (st.pending.length && !st.writing) this.write(name, st);
    }
  }

  private write(name: string, st: FileState): void {
    const chunk = Buffer.concat(st.pending);
    st.pending = [];
    const f = this.file(name);
    st.writing = (async () => {
      await appendFile(f, chunk);
      st.size += chunk.length;
      if (st.size > this.maxFile) st.size = await keepNewerHalf(f);
    })()
      .catch(() => undefined)
      .finally(() => {
        st.writing = undefined;
        if (st.pending.length) this.write(name, st);
      });
  }

  async read(functionName: string, maxBytes = 64 << 10): Promise<Buffer> {
    await this.settled(functionName);
    // Only the tail is read: the file may hold 8 MB.
    let fh;
    try {
      fh = await open(this.file(functionName), 'r');
    } catch {
      return Buffer.alloc(0);
    }
    try {
      const size = (await fh.stat()).size;
      const n = Math.min(size, maxBytes);
      const buf = Buffer.alloc(n);
      const { bytesRead } = await fh.read(buf, 0, n, size - n);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }

  /** Waits until everything appended so far for one function is on disk. */
  private async settled(functionName: string): Promise<void> {
    const st = this.files.get(functionName);
    while (st && (st.writing || st.pending.length)) {
      if (!st.writing) this.write(functionName, st);
      await st.writing;
    }
  }

  async flush(): Promise<void> {
    await Promise.all([...this.files.keys()].map((n) => this.settled(n)));
  }

  close(): Promise<void> {
    return this.flush();
  }
}

const START = Buffer.from('\nSTART RequestId');
/** Bytes read at a time while cutting a file: a whole 8 MB file read at once left the server's RSS ~10 MB higher for good. */
const CUT_CHUNK = 64 << 10;

/**
 * Cuts a log file to its newer half, from the first invocation that starts there, copying through a small buffer into
 * a new file renamed over the old one. Answers the new size.
 */
async function keepNewerHalf(f: string): Promise<number> {
  const src = await open(f, 'r');
  const tmp = `${f}.cut`;
  try {
    const size = (await src.stat()).size;
    const buf = Buffer.allocUnsafe(CUT_CHUNK);
    // Where the first START line after the middle begins (a START split across two reads is found by the overlap).
    let from = Math.floor(size / 2);
    let at = -1;
    for (let pos = from; pos < size && at === -1; pos += CUT_CHUNK - START.length) {
      const { bytesRead } = await src.read(buf, 0, CUT_CHUNK, pos);
      const i = buf.subarray(0, bytesRead).indexOf(START);
      if (i !== -1) at = pos + i + 1;
      if (bytesRead < CUT_CHUNK) break;
    }
    if (at !== -1) from = at;
    const dst = await open(tmp, 'w');
    let kept = 0;
    try {
      for (let pos = from; pos < size; ) {
        const { bytesRead } = await src.read(buf, 0, Math.min(CUT_CHUNK, size - pos), pos);
        if (bytesRead === 0) break;
        await dst.write(buf, 0, bytesRead);
        pos += bytesRead;
        kept += bytesRead;
      }
    } finally {
      await dst.close();
    }
    await rename(tmp, f);
    return kept;
  } finally {
    await src.close();
  }
}
