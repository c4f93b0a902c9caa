// Cluster mode's access keys and shared secrets, in the database instead of <dataDir>/auth/: every node verifies the
// same keys (reloaded when any node or `alonzo keys` changes them) and the function credentials any node minted.
import { randomBytes } from 'node:crypto';
import { parsePolicy } from '../auth/policy.js';
import type { AccessKey, SharedKeys } from '../auth/keys.js';
import { inTransaction, type PgHandle } from '../store/postgres/db.js';
import type { Logger } from '../core/logger.js';
import type { ClusterBus } from './bus.js';

/** How often keys are re-read even without a message (a lost notification delays a new or deleted key this long). */
const RELOAD_MS = 5_000;

export async function listKeys(h: PgHandle): Promise<AccessKey[]> {
  const r = await h.pool.query<{ key: string }>('SELECT key FROM access_keys ORDER BY created_at, access_key_id');
  return r.rows.map((x) => {
    const k = JSON.parse(x.key) as AccessKey;
    return { ...k, policy: parsePolicy(k.policy) };
  });
}

/** Applies `change` to the keys under a lock (two `alonzo keys create` at once keep both), then tells the nodes. */
export async function updateKeys<T>(h: PgHandle, change: (keys: AccessKey[]) => { keys: AccessKey[]; result: T }): Promise<T> {
  const result = await inTransaction(h.pool, async (c) => {
    await c.query('SELECT pg_advisory_xact_lock($1::bigint)', [h.lockKey('keys')]);
    const before = (await c.query<{ key: string }>('SELECT key FROM access_keys ORDER BY created_at, access_key_id')).rows.map((x) => JSON.parse(x.key) as AccessKey);
    const { keys, result } = change(before);
    const kept = new Set(keys.map((k) => k.accessKeyId));
    for (const k of before) if (!kept.has(k.accessKeyId)) await c.query('DELETE FROM access_keys WHERE access_key_id = $1', [k.accessKeyId]);
    const had = new Set(before.map((k) => k.accessKeyId));
    for (const k of keys) if (!had.has(k.accessKeyId)) await c.query('INSERT INTO access_keys (access_key_id, key) VALUES ($1, $2)', [k.accessKeyId, JSON.stringify(k)]);
    await c.query('SELECT pg_notify($1, $2)', [h.channel('keys'), JSON.stringify({ kind: 'changed' })]);
    return result;
  });
  return result;
}

/** A secret all nodes share: made by the first node that asks, read by the others. */
export async function sharedSecret(h: PgHandle, name: string, bytes = 32): Promise<Buffer> {
  await h.pool.query('INSERT INTO cluster_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [name, randomBytes(bytes)]);
  const r = await h.pool.query<{ value: Buffer }>('SELECT value FROM cluster_secrets WHERE name = $1', [name]);
  return r.rows[0].value;
}

/** The server's copy of the database's keys, kept current by messages, a resume and a periodic reload. */
export class ClusterKeys implements SharedKeys {
  private byId = new Map<string, AccessKey>();
  private timer?: NodeJS.Timeout;
  private loading?: Promise<void>;

  constructor(
    private readonly h: PgHandle,
    bus: ClusterBus,
    private readonly log: Logger,
  ) {
    bus.on('keys', () => void this.reload());
  }

  keys(): Map<string, AccessKey> {
    return this.byId;
  }

  async start(): Promise<void> {
    await this.reload();
    this.timer = setInterval(() => void this.reload(), RELOAD_MS);
    this.timer.unref();
  }

  reload(): Promise<void> {
    this.loading ??= listKeys(this.h)
      .then((keys) => {
        this.byId = new Map(keys.map((k) => [k.accessKeyId, k]));
      })
      .catch((e) => this.log.warn('cluster:keys-reload-failed', { error: (e as Error).message }))
      .finally(() => (this.loading = undefined));
    return this.loading;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
