// Alonzo's access keys: one JSON file in the data dir (dir 0700, file 0600, written atomically), read by the server and the `alonzo keys` commands.
//
// The server needs each secret itself (SigV4 is an HMAC), so the file holds them; only the owner of the data dir may
// read it. The running server sees keys created or deleted by `alonzo keys` without a restart: it re-reads the file
// when it changes: one stat per lookup (~2 µs), so a deleted key is refused from the very next request.
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes, randomInt } from 'node:crypto';
import { parsePolicy, type Policy } from './policy.js';

export interface AccessKey {
  accessKeyId: string;
  secretAccessKey: string;
  accountId: string;
  /** The IAM user name in the principal's ARN (`arn:aws:iam::<account>:user/<name>`). */
  userName: string;
  policy: Policy;
  created: string;
}

interface KeyFile {
  version: 1;
  keys: AccessKey[];
}

/**
 * Full access to the Lambda API, the CloudWatch Logs reads of function logs and Alonzo's own routes: the policy of the
 * root key and of a key created without --policy.
 */
export const ADMIN_POLICY: Policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['lambda:*', 'logs:*', 'alonzo:*'], Resource: '*' }] };

export const keysPath = (dataDir: string): string => join(dataDir, 'auth', 'keys.json');

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** An id shaped like AWS's (20 upper-case characters), with Alonzo's own prefix so nobody mistakes it for an AWS key. */
export function newAccessKeyId(): string {
  let s = 'ALZK';
  for (let i = 0; i < 16; i++) s += BASE32[randomInt(32)];
  return s;
}

/** 40 characters, as AWS's secrets are. */
export const newSecret = (): string => randomBytes(30).toString('base64');

export function readKeyFile(dataDir: string): AccessKey[] {
  let text: string;
  try {
    text = readFileSync(keysPath(dataDir), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const parsed = JSON.parse(text) as KeyFile;
  return parsed.keys.map((k) => ({ ...k, policy: parsePolicy(k.policy) }));
}

/** Writes the whole file: a temp file (0600) synced and renamed over the old one, so a reader never sees half a file. */
export function writeKeyFile(dataDir: string, keys: AccessKey[]): void {
  const dir = join(dataDir, 'auth');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const tmp = join(dir, `.keys.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${JSON.stringify({ version: 1, keys } satisfies KeyFile, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, keysPath(dataDir));
}

/** A lock older than this was left by a process that died holding it. */
const STALE_LOCK_MS = 10_000;

/**
 * Reads the key file, applies `change` and writes the result, holding `auth/.lock` (created exclusively) meanwhile:
 * two `alonzo keys create` run at once must not each write the file without the other's key.
 */
export function updateKeyFile<T>(dataDir: string, change: (keys: AccessKey[]) => { keys: AccessKey[]; result: T }): T {
  const dir = join(dataDir, 'auth');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const lock = join(dir, '.lock');
  const deadline = Date.now() + 5_000;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > STALE_LOCK_MS) unlinkSync(lock);
      else if (Date.now() > deadline) throw new Error(`${lock} is held by another alonzo keys command; remove it if none is running`);
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
  try {
    const { keys, result } = change(readKeyFile(dataDir));
    writeKeyFile(dataDir, keys);
    return result;
  } finally {
    unlinkSync(lock);
  }
}

/** Keys another process keeps up to date (cluster mode: the database's, reloaded when any node changes them). */
export interface SharedKeys {
  keys(): Map<string, AccessKey>;
}

/** The server's view of the keys: the file, re-read when it changes, plus the root key from the environment. */
export class Keyring {
  private byId = new Map<string, AccessKey>();
  /** mtime, inode and size of the file as last read: a rename over it (writeKeyFile) changes the inode. */
  private version = '';

  private readonly fixed: Map<string, AccessKey>;

  /**
   * `fixed`: keys that live outside the file (the root key from the environment, the server's own). `shared`: in
   * cluster mode, the keys kept in the database (src/cluster/keys.ts) replace the file.
   */
  constructor(
    private readonly dataDir: string,
    fixed: AccessKey[] = [],
    private readonly shared?: SharedKeys,
  ) {
    this.fixed = new Map(fixed.map((k) => [k.accessKeyId, k]));
    if (!shared) this.reload();
  }

  /** How many keys can sign requests (the fixed ones included). */
  get size(): number {
    return (this.shared ? this.shared.keys().size : this.byId.size) + this.fixed.size;
  }

  find(accessKeyId: string): AccessKey | undefined {
    const fixed = this.fixed.get(accessKeyId);
    if (fixed) return fixed;
    if (this.shared) return this.shared.keys().get(accessKeyId);
    if (this.fileVersion() !== this.version) this.reload();
    return this.byId.get(accessKeyId);
  }

  private fileVersion(): string {
    const st = statSync(keysPath(this.dataDir), { throwIfNoEntry: false });
    return st ? `${st.mtimeMs}:${st.ino}:${st.size}` : 'none';
  }

  /** Why the file could not be read the last time, if it could not (hand-edited into invalid JSON, say). */
  error: string | undefined;

  private reload(): void {
    this.version = this.fileVersion();
    try {
      this.byId = new Map(readKeyFile(this.dataDir).map((k) => [k.accessKeyId, k]));
      this.error = undefined;
    } catch (e) {
      // Fail closed: a file we cannot read may be one a key was just deleted from.
      this.byId = new Map();
      this.error = (e as Error).message;
    }
  }
}
