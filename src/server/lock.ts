// One server per data dir: a lock file naming the holding process, so that a second server (which would run the first
// one's queued events again and race on its sandboxes) refuses to start and says who holds the directory.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { processAlive } from '../runtime/supervisor/procfs.js';

/** Why a server could not start, in the words the CLI prints: what happened and how to fix it. */
export class StartupError extends Error {
  constructor(
    readonly code: 'data-dir-in-use' | 'data-dir-unusable' | 'port-in-use' | 'cannot-listen' | 'database-unreachable',
    message: string,
    readonly fix: string,
  ) {
    super(message);
  }
}

/** Data dirs locked by servers of this very process (tests start several in one process). */
const mine = new Set<string>();

export interface DataDirLock {
  release(): void;
}

export function lockDataDir(dataDir: string): DataDirLock {
  const path = join(dataDir, 'server.lock');
  const busy = (pid: number) =>
    new StartupError('data-dir-in-use', `The data directory ${dataDir} is in use by another Alonzo server (process ${pid}).`, 'Stop that server first, or give this one another directory with --data-dir.');
  if (mine.has(path)) throw busy(process.pid);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }));
      closeSync(fd);
      mine.add(path);
      let held = true;
      return {
        release() {
          if (!held) return;
          held = false;
          mine.delete(path);
          rmSync(path, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let holder: { pid?: number; host?: string } = {};
      try {
        holder = JSON.parse(readFileSync(path, 'utf8'));
      } catch {
        // written half by a server that died at that moment: stale
      }
      // A lock of another machine (a data dir on a shared disk) cannot be checked from here: it holds.
      if (holder.host && holder.host !== hostname()) throw busy(holder.pid ?? 0);
      if (holder.pid && processAlive(holder.pid) && holder.pid !== process.pid) throw busy(holder.pid);
      // Its server is gone (a crash or kill -9): the directory is free.
      rmSync(path, { force: true });
    }
  }
  throw busy(0);
}
