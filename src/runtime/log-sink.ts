// Where finished invocations' logs are kept for later reading (`alonzo logs`, the dashboard): the LogStore port, and its
// file adapter (one bounded file per function, single-node mode; PostgreSQL's is cluster/logs.ts).
//
// Off the invoke path: what the invocations of one event-loop turn logged is written with one append per function,
// and each file's size is tracked in memory (an append + stat per invocation cost ~5% of the server's time).
import { mkdirSync, statSync } from 'node:fs';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

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
  private scheduled = false;
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

  /** Queues an invocation's log; written in order per function, once per event-loop turn. */
  append(functionName: string, text: Buffer): void {
    this.state(functionName).pending.push(text);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.writeAll());
    }
  }

  private writeAll(): void {
    this.scheduled = false;
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
      if (st.size > this.maxFile) {
        const all = await readFile(f);
        const cut = all.indexOf('\nSTART RequestId', all.length / 2);
        const kept = all.subarray(cut === -1 ? all.length / 2 : cut + 1);
        await writeFile(f, kept);
        st.size = kept.length;
      }
    })()
      .catch(() => undefined)
      .finally(() => {
        st.writing = undefined;
        if (st.pending.length) this.write(name, st);
      });
  }

  async read(functionName: string, maxBytes = 64 << 10): Promise<Buffer> {
    await this.settled(functionName);
    try {
      const all = await readFile(this.file(functionName));
      return all.subarray(Math.max(0, all.length - maxBytes));
    } catch {
      return Buffer.alloc(0);
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
