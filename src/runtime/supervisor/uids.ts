// Unprivileged user ids for sandboxes, from a configured range: one per sandbox, never shared with another sandbox,
// even of another server on the same machine (each uid in use is claimed by a lock file naming the claiming process).
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive } from './procfs.js';

const LOCK_DIR = '/run/alonzo/uids';

/** Parses "FIRST-LAST" into a range, or says what is wrong. */
export function parseUidRange(text: string): { first: number; last: number } | string {
  const m = /^(\d+)-(\d+)$/.exec(text.trim());
  if (!m) return `sandboxUids must look like 3000000-3099999, got '${text}'`;
  const first = Number(m[1]);
  const last = Number(m[2]);
  if (first < 1000 || last < first || last > 4_294_967_294) return `sandboxUids must be a range of unprivileged ids (1000 and up), got '${text}'`;
  return { first, last };
}

export class UidAllocator {
  private next: number;
  private readonly held = new Map<string, number>();

  constructor(private readonly range: { first: number; last: number }) {
    mkdirSync(LOCK_DIR, { recursive: true, mode: 0o700 });
    // Start at a random place so that servers sharing the range rarely compete for the same ids.
    this.next = range.first + Math.floor(Math.random() * (range.last - range.first + 1));
  }

  /** The uid of a sandbox: the same for the sandbox's whole life (its /tmp files belong to it). */
  acquire(sandbox: string): number {
    const have = this.held.get(sandbox);
    if (have !== undefined) return have;
    const size = this.range.last - this.range.first + 1;
    for (let tries = 0; tries < size; tries++) {
      const uid = this.next;
      this.next = uid === this.range.last ? this.range.first : uid + 1;
      if (this.claim(uid)) {
        this.held.set(sandbox, uid);
        return uid;
      }
    }
    throw new Error(`every uid of the sandbox range ${this.range.first}-${this.range.last} is in use`);
  }

  private claim(uid: number): boolean {
    const path = join(LOCK_DIR, String(uid));
    for (let i = 0; i < 2; i++) {
      try {
        const fd = openSync(path, 'wx', 0o600);
        writeSync(fd, String(process.pid));
        closeSync(fd);
        return true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        let owner = NaN;
        try {
          owner = Number(readFileSync(path, 'latin1'));
        } catch {
          // removed meanwhile: try again
        }
        if (owner === process.pid || (Number.isInteger(owner) && owner > 0 && processAlive(owner))) return false;
        // A claim of a process that is gone: its sandboxes went with it.
        rmSync(path, { force: true });
      }
    }
    return false;
  }

  release(sandbox: string): void {
    const uid = this.held.get(sandbox);
    if (uid === undefined) return;
    this.held.delete(sandbox);
    rmSync(join(LOCK_DIR, String(uid)), { force: true });
  }

  uidOf(sandbox: string): number | undefined {
    return this.held.get(sandbox);
  }

  close(): void {
    for (const sandbox of [...this.held.keys()]) this.release(sandbox);
  }
}
