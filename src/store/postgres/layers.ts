// The layers of one account in the cluster's store (migration 008), with the SQLite adapter's records and orders.
// Publishing bumps the layer's counter under its row lock (INSERT … ON CONFLICT DO UPDATE … RETURNING): nodes
// publishing together get distinct numbers.
import type pg from 'pg';
import { inTransaction } from './db.js';
import type { LayerPolicy, LayerStore } from '../types.js';
import { toLayerVersion as toRecord, type LayerVersionRow as VersionRow } from '../rows.js';

export function postgresLayers(pool: pg.Pool): (account: string) => LayerStore {
  const rows = async (sql: string, values: unknown[]): Promise<VersionRow[]> => (await pool.query<VersionRow>(sql, values)).rows;
  return (a) => ({
    publish(rec) {
      return inTransaction(pool, async (c) => {
        const bumped = await c.query<{ v: number }>(
          `INSERT INTO layers (account, name, next_version) VALUES ($1, $2, 2)
           ON CONFLICT (account, name) DO UPDATE SET next_version = layers.next_version + 1 RETURNING next_version - 1 AS v`,
          [a, rec.layerName],
        );
        const v = bumped.rows[0].v;
        const { layerName: _name, ...doc } = rec;
        await c.query('INSERT INTO layer_versions (account, name, version, record) VALUES ($1, $2, $3, $4)', [a, rec.layerName, v, JSON.stringify(doc)]);
        return v;
      });
    },
    async get(name, version) {
      const [r] = await rows('SELECT * FROM layer_versions WHERE account = $1 AND name = $2 AND version = $3', [a, name, version]);
      return r ? toRecord(r) : undefined;
    },
    async versions(name) {
      return (await rows('SELECT * FROM layer_versions WHERE account = $1 AND name = $2 ORDER BY version DESC', [a, name])).map(toRecord);
    },
    async all() {
      return (await rows('SELECT * FROM layer_versions WHERE account = $1 ORDER BY name COLLATE "C", version DESC', [a])).map(toRecord);
    },
    async delete(name, version) {
      return ((await pool.query('DELETE FROM layer_versions WHERE account = $1 AND name = $2 AND version = $3', [a, name, version])).rowCount ?? 0) > 0;
    },
    async getPolicy(name, version) {
      const [r] = await rows('SELECT * FROM layer_versions WHERE account = $1 AND name = $2 AND version = $3', [a, name, version]);
      return r?.policy ? { statements: JSON.parse(r.policy) as LayerPolicy['statements'], revisionId: r.policy_revision! } : undefined;
    },
    async putPolicy(name, version, policy, expect) {
      // One conditional statement: a concurrent writer holding the row makes this one wait, then re-check the revision.
      const empty = policy.statements.length === 0;
      const r = await pool.query(
        'UPDATE layer_versions SET policy = $1, policy_revision = $2 WHERE account = $3 AND name = $4 AND version = $5 AND policy_revision IS NOT DISTINCT FROM $6',
        [empty ? null : JSON.stringify(policy.statements), empty ? null : policy.revisionId, a, name, version, expect ?? null],
      );
      return (r.rowCount ?? 0) > 0;
    },
  });
}
