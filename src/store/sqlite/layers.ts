// The layers of one account in the embedded store (migration 015): a counter row per layer, a JSON record per version.
import type Database from 'better-sqlite3';
import type { LayerPolicy, LayerStore, LayerVersionRecord } from '../types.js';
import { toLayerVersion as toRecord, type LayerVersionRow as VersionRow } from '../rows.js';

/** The statements of every account's layers, prepared once; `view(account)` answers one account's LayerStore. */
export function sqliteLayers(db: Database.Database): (account: string) => LayerStore {
  const q = {
    ensureLayer: db.prepare('INSERT INTO layers (account, name, next_version) VALUES (?, ?, 1) ON CONFLICT (account, name) DO NOTHING'),
    bump: db.prepare('UPDATE layers SET next_version = next_version + 1 WHERE account = ? AND name = ? RETURNING next_version - 1 AS v'),
    insert: db.prepare('INSERT INTO layer_versions (account, name, version, record) VALUES (?, ?, ?, ?)'),
    get: db.prepare('SELECT * FROM layer_versions WHERE account = ? AND name = ? AND version = ?'),
    versions: db.prepare('SELECT * FROM layer_versions WHERE account = ? AND name = ? ORDER BY version DESC'),
    all: db.prepare('SELECT * FROM layer_versions WHERE account = ? ORDER BY name, version DESC'),
    delete: db.prepare('DELETE FROM layer_versions WHERE account = ? AND name = ? AND version = ?'),
    setPolicy: db.prepare('UPDATE layer_versions SET policy = ?, policy_revision = ? WHERE account = ? AND name = ? AND version = ? AND policy_revision IS ?'),
  };

  const publish = db.transaction((a: string, rec: Omit<LayerVersionRecord, 'version'>): number => {
    q.ensureLayer.run(a, rec.layerName);
    const { v } = q.bump.get(a, rec.layerName) as { v: number };
    const { layerName: _name, ...doc } = rec;
    q.insert.run(a, rec.layerName, v, JSON.stringify(doc));
    return v;
  });

  return (a) => ({
    async publish(rec) {
      return publish(a, rec);
    },
    async get(name, version) {
      const r = q.get.get(a, name, version) as VersionRow | undefined;
      return r ? toRecord(r) : undefined;
    },
    async versions(name) {
      return (q.versions.all(a, name) as VersionRow[]).map(toRecord);
    },
    async all() {
      return (q.all.all(a) as VersionRow[]).map(toRecord);
    },
    async delete(name, version) {
      return q.delete.run(a, name, version).changes > 0;
    },
    async getPolicy(name, version) {
      const r = q.get.get(a, name, version) as VersionRow | undefined;
      return r?.policy ? { statements: JSON.parse(r.policy) as LayerPolicy['statements'], revisionId: r.policy_revision! } : undefined;
    },
    async putPolicy(name, version, policy, expect) {
      // One conditional statement: two AddLayerVersionPermission calls racing cannot both build on the same old policy.
      const empty = policy.statements.length === 0;
      return q.setPolicy.run(empty ? null : JSON.stringify(policy.statements), empty ? null : policy.revisionId, a, name, version, expect ?? null).changes > 0;
    },
  });
}
