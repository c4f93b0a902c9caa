// The embedded store: SQLite through better-sqlite3 in WAL mode, in <dataDir>/alonzo.db.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { loadMigrations } from '../migrate.js';
import type { FunctionRecord, PolicyRecord, Store, VersionRecord } from '../types.js';
import { sqliteLayers } from './layers.js';
import { sqliteMappings } from './mappings.js';
import { toMapping } from '../rows.js';
import { decodeMarker, functionUrlParams, page, toAlias, toFunction, toFunctionUrl, toPolicy, toProvisioned, toVersion, versionOrder, type AliasRow, type FunctionRow, type FunctionUrlRow, type PolicyRow, type ProvisionedRow, type VersionRow } from '../rows.js';

export interface SqliteStoreOptions {
  /** The server's own account (--account-id): its rows carry the sentinel '' (migration 012). */
  accountId?: string;
}

/** Opens the database and answers the view of the server's own account; `forAccount` gives the others'. */
export function openSqliteStore(dataDir: string, opts: SqliteStoreOptions = {}): Store {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, 'alonzo.db'));
  db.pragma('journal_mode = WAL');
  // FULL: a committed write is fsync'd before the answer goes out (accepted events must survive kill -9 and power loss).
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);

  // Every statement takes the account key first ('' is the server's own account: migration 012).
  const q = {
    getFunction: db.prepare('SELECT * FROM functions WHERE account = ? AND name = ?'),
    insertFunction: db.prepare('INSERT OR IGNORE INTO functions (account, name, next_version, tags, reserved_concurrency, created_at, recursive_loop) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    deleteFunction: db.prepare('DELETE FROM functions WHERE account = ? AND name = ?'),
    setTags: db.prepare('UPDATE functions SET tags = ? WHERE account = ? AND name = ?'),
    setReserved: db.prepare('UPDATE functions SET reserved_concurrency = ? WHERE account = ? AND name = ?'),
    setRecursiveLoop: db.prepare('UPDATE functions SET recursive_loop = ? WHERE account = ? AND name = ?'),
    bumpVersion: db.prepare('UPDATE functions SET next_version = next_version + 1 WHERE account = ? AND name = ? RETURNING next_version - 1 AS v'),
    getVersion: db.prepare('SELECT * FROM versions WHERE account = ? AND function_name = ? AND version = ?'),
    upsertVersion: db.prepare(`INSERT INTO versions (account, function_name, version, version_order, settings, code_sha256, code_size, state, last_update_status, revision_id, last_modified)
      VALUES (@account, @function_name, @version, @version_order, @settings, @code_sha256, @code_size, @state, @last_update_status, @revision_id, @last_modified)
      ON CONFLICT (account, function_name, version) DO UPDATE SET settings = excluded.settings, code_sha256 = excluded.code_sha256, code_size = excluded.code_size,
        state = excluded.state, last_update_status = excluded.last_update_status, revision_id = excluded.revision_id, last_modified = excluded.last_modified`),
    deleteVersion: db.prepare('DELETE FROM versions WHERE account = ? AND function_name = ? AND version = ?'),
    moveLatestRevision: db.prepare(`UPDATE versions SET revision_id = ? WHERE account = ? AND function_name = ? AND version = '$LATEST' AND revision_id = ?`),
    listVersions: db.prepare('SELECT * FROM versions WHERE account = ? AND function_name = ? AND version_order > ? ORDER BY version_order LIMIT ?'),
    listLatest: db.prepare(`SELECT * FROM versions WHERE account = ? AND version = '$LATEST' AND function_name > ? ORDER BY function_name LIMIT ?`),
    listAll: db.prepare(`SELECT * FROM versions WHERE account = @account AND (function_name > @name OR (function_name = @name AND version_order > @order)) ORDER BY function_name, version_order LIMIT @limit`),
    getAlias: db.prepare('SELECT * FROM aliases WHERE account = ? AND function_name = ? AND name = ?'),
    insertAlias: db.prepare('INSERT OR IGNORE INTO aliases (account, function_name, name, function_version, description, routing, revision_id) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    replaceAlias: db.prepare('UPDATE aliases SET function_version = ?, description = ?, routing = ?, revision_id = ? WHERE account = ? AND function_name = ? AND name = ?'),
    deleteAlias: db.prepare('DELETE FROM aliases WHERE account = ? AND function_name = ? AND name = ?'),
    listAliases: db.prepare('SELECT * FROM aliases WHERE account = @account AND function_name = @fn AND name > @after AND (@fv IS NULL OR function_version = @fv) ORDER BY name LIMIT @limit'),
    getProvisioned: db.prepare('SELECT * FROM provisioned_concurrency WHERE account = ? AND function_name = ? AND qualifier = ?'),
    putProvisioned: db.prepare(`INSERT INTO provisioned_concurrency (account, function_name, qualifier, requested, last_modified) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (account, function_name, qualifier) DO UPDATE SET requested = excluded.requested, last_modified = excluded.last_modified`),
    deleteProvisioned: db.prepare('DELETE FROM provisioned_concurrency WHERE account = ? AND function_name = ? AND qualifier = ?'),
    listProvisioned: db.prepare('SELECT * FROM provisioned_concurrency WHERE account = ? AND (? IS NULL OR function_name = ?) ORDER BY function_name, qualifier'),
    getPolicy: db.prepare('SELECT * FROM function_policies WHERE account = ? AND function_name = ? AND qualifier = ?'),
    upsertPolicy: db.prepare(`INSERT INTO function_policies (account, function_name, qualifier, statements, revision_id) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (account, function_name, qualifier) DO UPDATE SET statements = excluded.statements, revision_id = excluded.revision_id`),
    deletePolicy: db.prepare('DELETE FROM function_policies WHERE account = ? AND function_name = ? AND qualifier = ?'),
    getUrl: db.prepare('SELECT * FROM function_urls WHERE account = ? AND function_name = ? AND qualifier = ?'),
    insertUrl: db.prepare(`INSERT OR IGNORE INTO function_urls (account, function_name, qualifier, url_id, auth_type, cors, invoke_mode, creation_time, last_modified_time)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    replaceUrl: db.prepare('UPDATE function_urls SET auth_type = ?, cors = ?, invoke_mode = ?, last_modified_time = ? WHERE account = ? AND function_name = ? AND qualifier = ?'),
    deleteUrl: db.prepare('DELETE FROM function_urls WHERE account = ? AND function_name = ? AND qualifier = ?'),
    listUrls: db.prepare('SELECT * FROM function_urls WHERE account = @a AND function_name = @fn AND (@after IS NULL OR qualifier > @after) ORDER BY qualifier LIMIT @limit'),
    findUrl: db.prepare('SELECT * FROM function_urls WHERE url_id = ?'),
    usage: db.prepare(`SELECT (SELECT COUNT(*) FROM functions WHERE account = @a) AS fc, (SELECT COALESCE(SUM(code_size), 0) FROM versions WHERE account = @a) AS tcs,
      (SELECT COALESCE(SUM(reserved_concurrency), 0) FROM functions WHERE account = @a) AS rc`),
    accounts: db.prepare('SELECT DISTINCT account FROM functions ORDER BY account'),
  };

  const versionRow = (account: string, rec: VersionRecord) => ({
    account,
    function_name: rec.functionName,
    version: rec.version,
    version_order: versionOrder(rec.version),
    settings: JSON.stringify(rec.settings),
    code_sha256: rec.codeSha256,
    code_size: rec.codeSize,
    state: rec.state,
    last_update_status: rec.lastUpdateStatus ?? null,
    revision_id: rec.revisionId,
    last_modified: rec.lastModified,
  });

  const createFunction = db.transaction((a: string, fn: FunctionRecord, versions: VersionRecord[]): boolean => {
    const r = q.insertFunction.run(a, fn.name, fn.nextVersion, JSON.stringify(fn.tags), fn.reservedConcurrency, fn.createdAt, fn.recursiveLoop);
    if (r.changes === 0) return false;
    for (const v of versions) q.upsertVersion.run(versionRow(a, v));
    return true;
  });

  const putVersion = db.transaction((a: string, rec: VersionRecord, expect?: string): boolean => {
    if (expect !== undefined) {
      const cur = q.getVersion.get(a, rec.functionName, rec.version) as VersionRow | undefined;
      if (!cur || cur.revision_id !== expect) return false;
    }
    q.upsertVersion.run(versionRow(a, rec));
    return true;
  });

  const publish = db.transaction((a: string, rec: Omit<VersionRecord, 'version'>, latest?: { from: string; to: string }): string => {
    const row = q.bumpVersion.get(a, rec.functionName) as { v: number } | undefined;
    if (!row) throw new Error(`function ${rec.functionName} vanished while publishing`);
    const version = String(row.v);
    q.upsertVersion.run(versionRow(a, { ...rec, version }));
    if (latest && q.moveLatestRevision.run(latest.to, a, rec.functionName, latest.from).changes !== 1) {
      throw new Error(`$LATEST of ${rec.functionName} changed while publishing`);
    }
    return version;
  });


  // Compare-and-set in one transaction: two AddPermission calls racing cannot both build on the same old policy.
  const putPolicy = db.transaction((a: string, rec: PolicyRecord, expect: string | undefined): boolean => {
    const cur = q.getPolicy.get(a, rec.functionName, rec.qualifier) as PolicyRow | undefined;
    if (cur?.revision_id !== expect) return false;
    if (rec.statements.length === 0) q.deletePolicy.run(a, rec.functionName, rec.qualifier);
    else {
      try {
        q.upsertPolicy.run(a, rec.functionName, rec.qualifier, JSON.stringify(rec.statements), rec.revisionId);
      } catch (e) {
        // The function was deleted meanwhile (its row is what the policy references).
        if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return false;
        throw e;
      }
    }
    return true;
  });

  // One counter for all accounts: a reader's cache is dropped by any write, whoever made it.
  let gen = 0;
  const views = new Map<string, Store>();
  const own = opts.accountId;
  const keyOf = (accountId: string): string => (accountId === own ? '' : accountId);
  // Update locks live in memory: one server per data dir (account and name, joined by a character names cannot hold).
  const locked = new Set<string>();

  const layersOf = sqliteLayers(db);
  const mappingsOf = sqliteMappings(db);

  function view(a: string): Store {
    return {
      layers: layersOf(a),
      mappings: mappingsOf.view(a),
      async allMappings() {
        return (mappingsOf.all()).map((r) => ({ accountId: r.account === '' ? (own ?? '') : r.account, mapping: toMapping(r) }));
      },
      generation: () => gen,
      forAccount,
      async accountIds() {
        return (q.accounts.all() as { account: string }[]).map((r) => (r.account === '' ? (own ?? '') : r.account));
      },
      async getFunction(name) {
        const r = q.getFunction.get(a, name) as FunctionRow | undefined;
        return r ? toFunction(r) : undefined;
      },
      async createFunction(fn, versions) {
        gen++;
        return createFunction(a, fn, versions);
      },
      async deleteFunction(name) {
        gen++;
        return q.deleteFunction.run(a, name).changes > 0;
      },
      async updateFunction(name, patch) {
        gen++;
        if (patch.tags !== undefined) q.setTags.run(JSON.stringify(patch.tags), a, name);
        if (patch.reservedConcurrency !== undefined) q.setReserved.run(patch.reservedConcurrency, a, name);
        if (patch.recursiveLoop !== undefined) q.setRecursiveLoop.run(patch.recursiveLoop, a, name);
      },
      async listFunctions({ marker, limit, allVersions }) {
        const after = decodeMarker(marker) ?? '';
        if (!allVersions) {
          const rows = q.listLatest.all(a, after, limit + 1) as VersionRow[];
          return page(rows, limit, toVersion, (r) => r.function_name);
        }
        const [name = '', order = '-2'] = after.split('\u0000');
        const rows = q.listAll.all({ account: a, name, order: Number(order), limit: limit + 1 }) as VersionRow[];
        return page(rows, limit, toVersion, (r) => `${r.function_name}\u0000${versionOrder(r.version)}`);
      },
      async getVersion(fn, version) {
        const r = q.getVersion.get(a, fn, version) as VersionRow | undefined;
        return r ? toVersion(r) : undefined;
      },
      async putVersion(rec, expect) {
        gen++;
        return putVersion(a, rec, expect);
      },
      async publishVersion(rec, latest) {
        gen++;
        return publish(a, rec, latest);
      },
      async deleteVersion(fn, version) {
        gen++;
        return q.deleteVersion.run(a, fn, version).changes > 0;
      },
      async listVersions(fn, { marker, limit }) {
        const after = Number(decodeMarker(marker) ?? '-2');
        const rows = q.listVersions.all(a, fn, after, limit + 1) as VersionRow[];
        return page(rows, limit, toVersion, (r) => String(versionOrder(r.version)));
      },
      async getAlias(fn, name) {
        const r = q.getAlias.get(a, fn, name) as AliasRow | undefined;
        return r ? toAlias(r) : undefined;
      },
      async insertAlias(al) {
        gen++;
        return q.insertAlias.run(a, al.functionName, al.name, al.functionVersion, al.description, al.routing ? JSON.stringify(al.routing) : null, al.revisionId).changes > 0;
      },
      async replaceAlias(al) {
        gen++;
        q.replaceAlias.run(al.functionVersion, al.description, al.routing ? JSON.stringify(al.routing) : null, al.revisionId, a, al.functionName, al.name);
      },
      async deleteAlias(fn, name) {
        gen++;
        return q.deleteAlias.run(a, fn, name).changes > 0;
      },
      async listAliases(fn, { marker, limit, functionVersion }) {
        const rows = q.listAliases.all({ account: a, fn, after: decodeMarker(marker) ?? '', fv: functionVersion ?? null, limit: limit + 1 }) as AliasRow[];
        return page(rows, limit, toAlias, (r) => r.name);
      },
      async getProvisioned(fn, qualifier) {
        const r = q.getProvisioned.get(a, fn, qualifier) as ProvisionedRow | undefined;
        return r ? toProvisioned(r) : undefined;
      },
      async putProvisioned(p) {
        gen++;
        q.putProvisioned.run(a, p.functionName, p.qualifier, p.requested, p.lastModified);
      },
      async deleteProvisioned(fn, qualifier) {
        gen++;
        return q.deleteProvisioned.run(a, fn, qualifier).changes > 0;
      },
      async listProvisioned(fn) {
        return (q.listProvisioned.all(a, fn ?? null, fn ?? null) as ProvisionedRow[]).map(toProvisioned);
      },
      async getPolicy(fn, qualifier) {
        const r = q.getPolicy.get(a, fn, qualifier) as PolicyRow | undefined;
        return r ? toPolicy(r) : undefined;
      },
      async putPolicy(rec, expect) {
        return putPolicy(a, rec, expect);
      },
      async getFunctionUrl(fn, qualifier) {
        const r = q.getUrl.get(a, fn, qualifier) as FunctionUrlRow | undefined;
        return r ? toFunctionUrl(r) : undefined;
      },
      async insertFunctionUrl(u) {
        gen++;
        try {
          return q.insertUrl.run(a, ...functionUrlParams(u)).changes > 0;
        } catch (e) {
          // The function was deleted meanwhile (its row is what the URL references).
          if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return false;
          throw e;
        }
      },
      async replaceFunctionUrl(u) {
        gen++;
        return q.replaceUrl.run(u.authType, u.cors === null ? null : JSON.stringify(u.cors), u.invokeMode, u.lastModifiedTime, a, u.functionName, u.qualifier).changes > 0;
      },
      async deleteFunctionUrl(fn, qualifier) {
        gen++;
        return q.deleteUrl.run(a, fn, qualifier).changes > 0;
      },
      async listFunctionUrls(fn, { marker, limit }) {
        // The marker is the last qualifier of the page before, prefixed so that '' (the unqualified function) makes one too.
        const after = decodeMarker(marker)?.slice(1) ?? null;
        const rows = q.listUrls.all({ a, fn, after, limit: limit + 1 }) as FunctionUrlRow[];
        return page(rows, limit, toFunctionUrl, (r) => `q${r.qualifier}`);
      },
      async findFunctionUrl(urlId) {
        const r = q.findUrl.get(urlId) as FunctionUrlRow | undefined;
        return r ? { accountId: r.account === '' ? (own ?? '') : r.account, url: toFunctionUrl(r) } : undefined;
      },
      async accountUsage() {
        const r = q.usage.get({ a }) as { fc: number; tcs: number; rc: number };
        return { functionCount: r.fc, totalCodeSize: r.tcs, reservedConcurrency: r.rc };
      },
      async tryLock(name) {
        const key = `${a}\u0000${name}`;
        if (locked.has(key)) return undefined;
        locked.add(key);
        let held = true;
        return async () => {
          // Once: a second call must not free a lock someone else took meanwhile.
          if (held) locked.delete(key);
          held = false;
        };
      },
      async close() {
        db.close();
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

function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const done = new Set((db.prepare('SELECT id FROM schema_migrations').all() as { id: number }[]).map((r) => r.id));
  for (const m of loadMigrations('sqlite')) {
    if (done.has(m.id)) continue;
    // IMMEDIATE takes the write lock first, so two processes opening one data dir apply each migration once.
    db.transaction(() => {
      const again = db.prepare('SELECT 1 FROM schema_migrations WHERE id = ?').get(m.id);
      if (again) return;
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (id, name, applied_at) VALUES (?, ?, ?)').run(m.id, m.name, new Date().toISOString());
    }).immediate();
  }
}
