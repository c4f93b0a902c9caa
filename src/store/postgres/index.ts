// The cluster's store: the Store port on PostgreSQL, with the SQLite adapter's records, orders, markers and booleans,
// safe when several nodes write at once.
//
// Concurrency: every multi-statement write runs in one transaction; compare-and-set is a conditional UPDATE (a second
// writer with the same expected revision waits for the first one's row lock, re-reads the row and matches nothing);
// publishVersion bumps next_version under that function row's lock, so nodes publishing together get distinct numbers
// and a failed insert rolls the bump back (no gap).
//
// Caches: generation() is a local counter, bumped by this store's own writes and by a NOTIFY that every write
// transaction sends (delivered at commit). A reader on another node sees a change once the notification arrives,
// normally a few ms after the commit; after a lost connection to the database the listener bumps it on resume, since
// notifications sent meanwhile are gone.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { inTransaction, listen, type PgClient, type PgHandle } from './db.js';
import type { Store, VersionRecord } from '../types.js';
import { postgresLayers } from './layers.js';
import { postgresMappings } from './mappings.js';
import { toMapping } from '../rows.js';
import { decodeMarker, functionUrlParams, page, toAlias, toFunction, toFunctionUrl, toPolicy, toProvisioned, toVersion, versionOrder, type AliasRow, type FunctionRow, type FunctionUrlRow, type PolicyRow, type ProvisionedRow, type VersionRow } from '../rows.js';

export interface PostgresStoreOptions {
  /** The database URL: the listener opens a connection of its own (LISTEN cannot share a pooled one). */
  url: string;
  /** The server's own account (--account-id): its rows carry the sentinel '', as in SQLite (sqlite/012_accounts.sql). */
  accountId?: string;
  /** This node's name, carried in the notifications (for whoever watches the channel). */
  nodeId?: string;
  /** Errors of the listener's connection (it reconnects by itself): for the log. */
  onError?: (e: Error) => void;
}

const FOREIGN_KEY_VIOLATION = '23503';
const isForeignKeyViolation = (e: unknown): boolean => (e as { code?: string }).code === FOREIGN_KEY_VIOLATION;

// Byte order, as SQLite compares TEXT (migration 005 has the matching indexes).
const SQL = {
  getFunction: 'SELECT * FROM functions WHERE account = $1 AND name = $2',
  insertFunction: 'INSERT INTO functions (account, name, next_version, tags, reserved_concurrency, created_at, recursive_loop) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING',
  bumpVersion: 'UPDATE functions SET next_version = next_version + 1 WHERE account = $1 AND name = $2 RETURNING next_version - 1 AS v',
  getVersion: 'SELECT * FROM versions WHERE account = $1 AND function_name = $2 AND version = $3',
  upsertVersion: `INSERT INTO versions (account, function_name, version, version_order, settings, code_sha256, code_size, state, last_update_status, revision_id, last_modified)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
    ON CONFLICT (account, function_name, version) DO UPDATE SET settings = excluded.settings, code_sha256 = excluded.code_sha256, code_size = excluded.code_size,
      state = excluded.state, last_update_status = excluded.last_update_status, revision_id = excluded.revision_id, last_modified = excluded.last_modified`,
  // Compare-and-set in one statement: a concurrent writer holding the row makes this one wait, then re-check the revision.
  // (version_order = $4 always holds when the version does: it keeps the parameters those of upsertVersion.)
  casVersion: `UPDATE versions SET settings = $5, code_sha256 = $6, code_size = $7, state = $8, last_update_status = $9, revision_id = $10, last_modified = $11
    WHERE account = $1 AND function_name = $2 AND version = $3 AND version_order = $4 AND revision_id = $12`,
  listVersions: `SELECT * FROM versions WHERE account = $1 AND function_name COLLATE "C" = $2 AND version_order > $3 ORDER BY version_order LIMIT $4`,
  listLatest: `SELECT * FROM versions WHERE account = $1 AND version = '$LATEST' AND function_name COLLATE "C" > $2 ORDER BY function_name COLLATE "C" LIMIT $3`,
  listAll: `SELECT * FROM versions WHERE account = $1 AND (function_name COLLATE "C", version_order) > ($2, $3)
    ORDER BY function_name COLLATE "C", version_order LIMIT $4`,
  getAlias: 'SELECT * FROM aliases WHERE account = $1 AND function_name = $2 AND name = $3',
  listAliases: `SELECT * FROM aliases WHERE account = $1 AND function_name = $2 AND name COLLATE "C" > $3 AND ($4::text IS NULL OR function_version = $4)
    ORDER BY name COLLATE "C" LIMIT $5`,
  getProvisioned: 'SELECT * FROM provisioned_concurrency WHERE account = $1 AND function_name = $2 AND qualifier = $3',
  listProvisioned: 'SELECT * FROM provisioned_concurrency WHERE account = $1 AND ($2::text IS NULL OR function_name = $2) ORDER BY function_name COLLATE "C", qualifier COLLATE "C"',
  getPolicy: 'SELECT * FROM function_policies WHERE account = $1 AND function_name = $2 AND qualifier = $3',
  getUrl: 'SELECT * FROM function_urls WHERE account = $1 AND function_name = $2 AND qualifier = $3',
  listUrls: `SELECT * FROM function_urls WHERE account = $1 AND function_name = $2 AND ($3::text IS NULL OR qualifier COLLATE "C" > $3)
    ORDER BY qualifier COLLATE "C" LIMIT $4`,
  findUrl: 'SELECT * FROM function_urls WHERE url_id = $1',
  usage: `SELECT (SELECT COUNT(*) FROM functions WHERE account = $1) AS fc, (SELECT COALESCE(SUM(code_size), 0)::bigint FROM versions WHERE account = $1) AS tcs,
    (SELECT COALESCE(SUM(reserved_concurrency), 0)::bigint FROM functions WHERE account = $1) AS rc`,
  accounts: 'SELECT DISTINCT account COLLATE "C" AS account FROM functions ORDER BY 1',
} as const;

/** A statement's parameters in SQL.upsertVersion's order ($1…$11). */
const versionParams = (account: string, rec: VersionRecord): unknown[] => [
  account,
  rec.functionName,
  rec.version,
  versionOrder(rec.version),
  JSON.stringify(rec.settings),
  rec.codeSha256,
  rec.codeSize,
  rec.state,
  rec.lastUpdateStatus ?? null,
  rec.revisionId,
  rec.lastModified,
];

/**
 * Listens for the other nodes' writes, then answers the view of the server's own account; `forAccount` gives the
 * others'. The pool stays the caller's: close() ends the listener and the locks this store holds, not the pool.
 */
export async function openPostgresStore(handle: PgHandle, opts: PostgresStoreOptions): Promise<Store> {
  const { pool } = handle;
  const channel = handle.channel('store');
  // This store's own notifications come back to its listener too; they are not news (its writes bumped already).
  const self = randomUUID();
  const node = opts.nodeId ?? self;

  // One counter for all accounts, as in SQLite: a reader's cache is dropped by any write, whoever made it.
  let gen = 0;
  const listener = listen(
    opts.url,
    [channel],
    (_channel, payload) => {
      let from: unknown;
      try {
        from = (JSON.parse(payload) as { store?: unknown }).store;
      } catch {
        // Not ours to read: count it as a change.
      }
      if (from !== self) gen++;
    },
    { onResume: () => gen++, onError: opts.onError },
  );
  await listener.ready;

  /** Named statements are prepared once per pooled connection: the warm path's reads skip parsing and planning. */
  const rows = async <R extends pg.QueryResultRow>(name: keyof typeof SQL, values: unknown[]): Promise<R[]> =>
    (await pool.query<R>({ name: `alonzo_store_${name}`, text: SQL[name], values })).rows;

  /**
   * One write transaction, with the notification the other nodes' generation counters wait for. The counter moves
   * before and after: a read that ran while the write was under way is never kept under the generation that follows it.
   */
  async function write<T>(account: string, fn: string, work: (c: PgClient) => Promise<T>): Promise<T> {
    gen++;
    try {
      return await inTransaction(pool, async (c) => {
        const r = await work(c);
        await c.query('SELECT pg_notify($1, $2)', [channel, JSON.stringify({ node, store: self, account, fn })]);
        return r;
      });
    } finally {
      gen++;
    }
  }

  /**
   * Update locks this store holds, by the pooled client carrying each: a session advisory lock lives as long as its
   * connection. `lost` is set when that connection broke while held (the server ended the session, and the lock).
   */
  const held = new Map<PgClient, { key: string; lost?: Error; onError: (e: Error) => void }>();

  async function unlock(c: PgClient): Promise<void> {
    const h = held.get(c);
    if (!h) return;
    held.delete(c);
    c.removeListener('error', h.onError);
    if (h.lost) return c.release(h.lost);
    try {
      await c.query('SELECT pg_advisory_unlock($1::bigint)', [h.key]);
      c.release();
    } catch (e) {
      // Destroying a connection that failed ends its session on the server, and the lock with it.
      c.release(e as Error);
    }
  }

  const views = new Map<string, Store>();
  const own = opts.accountId;
  const keyOf = (accountId: string): string => (accountId === own ? '' : accountId);
  let closed: Promise<void> | undefined;

  const layersOf = postgresLayers(pool);
  const mappingsOf = postgresMappings(pool);

  function view(a: string): Store {
    return {
      layers: layersOf(a),
      mappings: mappingsOf.view(a),
      async allMappings() {
        return (await mappingsOf.all()).map((r) => ({ accountId: r.account === '' ? (own ?? '') : r.account, mapping: toMapping(r) }));
      },
      generation: () => gen,
      forAccount,
      async accountIds() {
        return (await rows<{ account: string }>('accounts', [])).map((r) => (r.account === '' ? (own ?? '') : r.account));
      },
      async getFunction(name) {
        const [r] = await rows<FunctionRow>('getFunction', [a, name]);
        return r ? toFunction(r) : undefined;
      },
      async createFunction(fn, versions) {
        // A second node creating the same name waits on the first one's key, then inserts nothing.
        return write(a, fn.name, async (c) => {
          const r = await c.query(SQL.insertFunction, [a, fn.name, fn.nextVersion, JSON.stringify(fn.tags), fn.reservedConcurrency, fn.createdAt, fn.recursiveLoop]);
          if (r.rowCount === 0) return false;
          for (const v of versions) await c.query(SQL.upsertVersion, versionParams(a, v));
          return true;
        });
      },
      async deleteFunction(name) {
        return write(a, name, async (c) => ((await c.query('DELETE FROM functions WHERE account = $1 AND name = $2', [a, name])).rowCount ?? 0) > 0);
      },
      async updateFunction(name, patch) {
        await write(a, name, async (c) => {
          if (patch.tags !== undefined) await c.query('UPDATE functions SET tags = $3 WHERE account = $1 AND name = $2', [a, name, JSON.stringify(patch.tags)]);
          if (patch.reservedConcurrency !== undefined) {
            await c.query('UPDATE functions SET reserved_concurrency = $3 WHERE account = $1 AND name = $2', [a, name, patch.reservedConcurrency]);
          }
          if (patch.recursiveLoop !== undefined) await c.query('UPDATE functions SET recursive_loop = $3 WHERE account = $1 AND name = $2', [a, name, patch.recursiveLoop]);
        });
      },
      async listFunctions({ marker, limit, allVersions }) {
        const after = decodeMarker(marker) ?? '';
        if (!allVersions) {
          return page(await rows<VersionRow>('listLatest', [a, after, limit + 1]), limit, toVersion, (r) => r.function_name);
        }
        const [name = '', order = '-2'] = after.split('\u0000');
        const found = await rows<VersionRow>('listAll', [a, name, Number(order), limit + 1]);
        return page(found, limit, toVersion, (r) => `${r.function_name}\u0000${versionOrder(r.version)}`);
      },
      async getVersion(fn, version) {
        const [r] = await rows<VersionRow>('getVersion', [a, fn, version]);
        return r ? toVersion(r) : undefined;
      },
      async putVersion(rec, expect) {
        return write(a, rec.functionName, async (c) => {
          // Without an expectation, an upsert (a vanished function throws the foreign-key error, as in SQLite).
          if (expect === undefined) {
            await c.query(SQL.upsertVersion, versionParams(a, rec));
            return true;
          }
          return (await c.query(SQL.casVersion, [...versionParams(a, rec), expect])).rowCount === 1;
        });
      },
      async publishVersion(rec, latest) {
        return write(a, rec.functionName, async (c) => {
          // The function row stays locked until commit: another node's publish waits here and takes the next number.
          const { rows: bumped } = await c.query<{ v: number }>(SQL.bumpVersion, [a, rec.functionName]);
          if (bumped.length === 0) throw new Error(`function ${rec.functionName} vanished while publishing`);
          const version = String(bumped[0].v);
          await c.query(SQL.upsertVersion, versionParams(a, { ...rec, version }));
          if (latest) {
            const moved = await c.query(`UPDATE versions SET revision_id = $4 WHERE account = $1 AND function_name = $2 AND version = '$LATEST' AND revision_id = $3`, [a, rec.functionName, latest.from, latest.to]);
            if (moved.rowCount !== 1) throw new Error(`$LATEST of ${rec.functionName} changed while publishing`);
          }
          return version;
        });
      },
      async deleteVersion(fn, version) {
        return write(a, fn, async (c) => ((await c.query('DELETE FROM versions WHERE account = $1 AND function_name = $2 AND version = $3', [a, fn, version])).rowCount ?? 0) > 0);
      },
      async listVersions(fn, { marker, limit }) {
        const after = Number(decodeMarker(marker) ?? '-2');
        return page(await rows<VersionRow>('listVersions', [a, fn, after, limit + 1]), limit, toVersion, (r) => String(versionOrder(r.version)));
      },
      async getAlias(fn, name) {
        const [r] = await rows<AliasRow>('getAlias', [a, fn, name]);
        return r ? toAlias(r) : undefined;
      },
      async insertAlias(al) {
        return write(a, al.functionName, async (c) => {
          const r = await c.query(
            'INSERT INTO aliases (account, function_name, name, function_version, description, routing, revision_id) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING',
            [a, al.functionName, al.name, al.functionVersion, al.description, al.routing ? JSON.stringify(al.routing) : null, al.revisionId],
          );
          return r.rowCount === 1;
        });
      },
      async replaceAlias(al) {
        await write(a, al.functionName, (c) =>
          c.query('UPDATE aliases SET function_version = $4, description = $5, routing = $6, revision_id = $7 WHERE account = $1 AND function_name = $2 AND name = $3', [
            a,
            al.functionName,
            al.name,
            al.functionVersion,
            al.description,
            al.routing ? JSON.stringify(al.routing) : null,
            al.revisionId,
          ]),
        );
      },
      async deleteAlias(fn, name) {
        return write(a, fn, async (c) => ((await c.query('DELETE FROM aliases WHERE account = $1 AND function_name = $2 AND name = $3', [a, fn, name])).rowCount ?? 0) > 0);
      },
      async listAliases(fn, { marker, limit, functionVersion }) {
        const found = await rows<AliasRow>('listAliases', [a, fn, decodeMarker(marker) ?? '', functionVersion ?? null, limit + 1]);
        return page(found, limit, toAlias, (r) => r.name);
      },
      async getProvisioned(fn, qualifier) {
        const [r] = await rows<ProvisionedRow>('getProvisioned', [a, fn, qualifier]);
        return r ? toProvisioned(r) : undefined;
      },
      async putProvisioned(p) {
        await write(a, p.functionName, (c) =>
          c.query(
            `INSERT INTO provisioned_concurrency (account, function_name, qualifier, requested, last_modified) VALUES ($1, $2, $3, $4, $5)
              ON CONFLICT (account, function_name, qualifier) DO UPDATE SET requested = excluded.requested, last_modified = excluded.last_modified`,
            [a, p.functionName, p.qualifier, p.requested, p.lastModified],
          ),
        );
      },
      async deleteProvisioned(fn, qualifier) {
        return write(a, fn, async (c) => ((await c.query('DELETE FROM provisioned_concurrency WHERE account = $1 AND function_name = $2 AND qualifier = $3', [a, fn, qualifier])).rowCount ?? 0) > 0);
      },
      async listProvisioned(fn) {
        return (await rows<ProvisionedRow>('listProvisioned', [a, fn ?? null])).map(toProvisioned);
      },
      async getPolicy(fn, qualifier) {
        const [r] = await rows<PolicyRow>('getPolicy', [a, fn, qualifier]);
        return r ? toPolicy(r) : undefined;
      },
      async putPolicy(rec, expect) {
        const key = [a, rec.functionName, rec.qualifier];
        try {
          return await write(a, rec.functionName, async (c) => {
            // Each branch is one conditional statement: two AddPermission calls racing cannot both build on the same old policy.
            if (rec.statements.length === 0) {
              if (expect === undefined) return (await c.query('SELECT 1 FROM function_policies WHERE account = $1 AND function_name = $2 AND qualifier = $3', key)).rowCount === 0;
              return (await c.query('DELETE FROM function_policies WHERE account = $1 AND function_name = $2 AND qualifier = $3 AND revision_id = $4', [...key, expect])).rowCount === 1;
            }
            const statements = JSON.stringify(rec.statements);
            if (expect === undefined) {
              const r = await c.query('INSERT INTO function_policies (account, function_name, qualifier, statements, revision_id) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING', [
                ...key,
                statements,
                rec.revisionId,
              ]);
              return r.rowCount === 1;
            }
            const r = await c.query('UPDATE function_policies SET statements = $4, revision_id = $5 WHERE account = $1 AND function_name = $2 AND qualifier = $3 AND revision_id = $6', [
              ...key,
              statements,
              rec.revisionId,
              expect,
            ]);
            return r.rowCount === 1;
          });
        } catch (e) {
          // The function was deleted meanwhile (its row is what the policy references).
          if (isForeignKeyViolation(e)) return false;
          throw e;
        }
      },
      async getFunctionUrl(fn, qualifier) {
        const [r] = await rows<FunctionUrlRow>('getUrl', [a, fn, qualifier]);
        return r ? toFunctionUrl(r) : undefined;
      },
      async insertFunctionUrl(u) {
        try {
          return await write(a, u.functionName, async (c) => {
            const r = await c.query(
              `INSERT INTO function_urls (account, function_name, qualifier, url_id, auth_type, cors, invoke_mode, creation_time, last_modified_time)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (account, function_name, qualifier) DO NOTHING`,
              [a, ...functionUrlParams(u)],
            );
            return r.rowCount === 1;
          });
        } catch (e) {
          // The function was deleted meanwhile (its row is what the URL references).
          if (isForeignKeyViolation(e)) return false;
          throw e;
        }
      },
      async replaceFunctionUrl(u) {
        return write(a, u.functionName, async (c) => {
          const r = await c.query('UPDATE function_urls SET auth_type = $4, cors = $5, invoke_mode = $6, last_modified_time = $7 WHERE account = $1 AND function_name = $2 AND qualifier = $3', [
            a,
            u.functionName,
            u.qualifier,
            u.authType,
            u.cors === null ? null : JSON.stringify(u.cors),
            u.invokeMode,
            u.lastModifiedTime,
          ]);
          return r.rowCount === 1;
        });
      },
      async deleteFunctionUrl(fn, qualifier) {
        return write(a, fn, async (c) => ((await c.query('DELETE FROM function_urls WHERE account = $1 AND function_name = $2 AND qualifier = $3', [a, fn, qualifier])).rowCount ?? 0) > 0);
      },
      async listFunctionUrls(fn, { marker, limit }) {
        // As in SQLite: the marker is the last qualifier of the page before, prefixed (the unqualified function's is '').
        const after = decodeMarker(marker)?.slice(1) ?? null;
        return page(await rows<FunctionUrlRow>('listUrls', [a, fn, after, limit + 1]), limit, toFunctionUrl, (r) => `q${r.qualifier}`);
      },
      async findFunctionUrl(urlId) {
        const [r] = await rows<FunctionUrlRow>('findUrl', [urlId]);
        return r ? { accountId: r.account === '' ? (own ?? '') : r.account, url: toFunctionUrl(r) } : undefined;
      },
      async accountUsage() {
        const [r] = await rows<{ fc: number; tcs: number; rc: number }>('usage', [a]);
        return { functionCount: r.fc, totalCodeSize: r.tcs, reservedConcurrency: r.rc };
      },
      async tryLock(name) {
        // Per account and name across the cluster; the key is hashed per schema (db.ts), so test schemas never collide.
        const key = handle.lockKey(`update:${a}:${name}`);
        if (closed) throw new Error('the store is closed');
        // A pooled connection stays checked out while the lock is held (an update takes seconds at most): a second
        // tryLock on this node gets another connection, and session advisory locks do not stack across sessions.
        const c = await pool.connect();
        let ok: boolean;
        try {
          ok = (await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [key])).rows[0].ok;
        } catch (e) {
          c.release(e as Error);
          throw e;
        }
        if (!ok) {
          c.release();
          return undefined;
        }
        // A checked-out client has no error listener of the pool's: without this one, a connection the server ends
        // while the lock is held (a restart, pg_terminate_backend) would be an uncaught 'error' event.
        const h = { key, lost: undefined as Error | undefined, onError: (e: Error) => ((h.lost = e), opts.onError?.(e)) };
        c.on('error', h.onError);
        held.set(c, h);
        let done: Promise<void> | undefined;
        return () => (done ??= unlock(c));
      },
      close() {
        return (closed ??= (async () => {
          await Promise.all([...held.keys()].map(unlock));
          await listener.close();
        })());
      },
    };
  }

  function forAccount(accountId: string): Store {
    const a = keyOf(accountId);
    let v = views.get(a);
    if (!v) views.set(a, (v = view(a)));
    return v;
  }

  return forAccount(own ?? '');
}
