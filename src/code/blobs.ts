// Where code packages (the zips, by the hex of their SHA-256) are kept for every node to fetch: a port and its local-file adapter.
import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The zips of code packages, content-addressed. `put` is idempotent (same hex, same bytes) and durable once it
 * resolves; `get` returns what is stored under the hex, unverified: CodeStore checks the SHA-256 before unpacking.
 */
export interface BlobStore {
  put(hex: string, zip: Buffer): Promise<void>;
  get(hex: string): Promise<Buffer | undefined>;
}

/** A package's name: 64 lowercase hex digits (it becomes a file and folder name, so nothing else is accepted). */
export const isHex = (hex: string): boolean => /^[0-9a-f]{64}$/.test(hex);

export function assertHex(hex: string): void {
  if (!isHex(hex)) throw new Error(`not a code package's SHA-256 (64 lowercase hex digits): ${JSON.stringify(hex)}`);
}

/** `<dir>/<hex>.zip`, the files CodeStore kept before blobs had a port (single-node mode). */
export class FileBlobStore implements BlobStore {
  private seq = 0;

  constructor(readonly dir: string) {}

  path(hex: string): string {
    return join(this.dir, `${hex}.zip`);
  }

  async put(hex: string, zip: Buffer): Promise<void> {
    assertHex(hex);
    const p = this.path(hex);
    if (existsSync(p)) return;
    // Written aside and renamed: a crash mid-write must not leave a short zip that a later put would take as stored.
    // The `.tmp-` prefix is what CodeStore sweeps at start-up when this folder is its root.
    const tmp = join(this.dir, `.tmp-${hex}-${process.pid}-${++this.seq}.zip`);
    try {
      writeFileSync(tmp, zip);
      renameSync(tmp, p);
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  async get(hex: string): Promise<Buffer | undefined> {
    assertHex(hex);
    try {
      return await readFile(this.path(hex));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }
}
