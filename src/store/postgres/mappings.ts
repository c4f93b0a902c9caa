// The event source mappings of every account in the cluster's store (migration 010), with the SQLite adapter's records
// and orders. A state change is a conditional UPDATE: two nodes acting on one transition cannot both apply it.
import type pg from 'pg';
import { inTransaction } from './db.js';
import type { MappingRecord, MappingStore } from '../types.js';
import { decodeMarker, page, toMapping, type MappingRow } from '../rows.js';

export function postgresMappings(pool: pg.Pool): { view: (account: string) => MappingStore; all: () => Promise<MappingRow[]> } {
  const rows = async (sql: string, values: unknown[]): Promise<MappingRow[]> => (await pool.query<MappingRow>(sql, values)).rows;
  const values = (a: string, r: MappingRecord) => [r.uuid, a, r.functionName, r.eventSourceArn, r.state, r.lastModified, JSON.stringify(r.config), JSON.stringify(r.tags)];
  return {
    all: () => rows('SELECT * FROM event_source_mappings ORDER BY uuid COLLATE "C"', []),
    view: (a) => ({
      async insert(rec) {
        const r = await pool.query(
          `INSERT INTO event_source_mappings (uuid, account, function_name, event_source_arn, state, last_modified, config, tags)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
          values(a, rec),
        );
        return (r.rowCount ?? 0) > 0;
      },
      async get(uuid) {
        const [r] = await rows('SELECT * FROM event_source_mappings WHERE account = $1 AND uuid = $2', [a, uuid]);
        return r ? toMapping(r) : undefined;
      },
      async replace(rec, expect) {
        const r = await pool.query(
          `UPDATE event_source_mappings SET function_name = $3, event_source_arn = $4, state = $5, last_modified = $6, config = $7, tags = $8
           WHERE uuid = $1 AND account = $2 AND ($9::text IS NULL OR state = $9)`,
          [...values(a, rec), expect ?? null],
        );
        return (r.rowCount ?? 0) > 0;
      },
      async delete(uuid) {
        return inTransaction(pool, async (c) => {
          const gone = ((await c.query('DELETE FROM event_source_mappings WHERE account = $1 AND uuid = $2', [a, uuid])).rowCount ?? 0) > 0;
          if (gone) await c.query('DELETE FROM event_source_checkpoints WHERE uuid = $1', [uuid]);
          return gone;
        });
      },
      async setState(uuid, from, to) {
        const r = await pool.query('UPDATE event_source_mappings SET state = $1 WHERE account = $2 AND uuid = $3 AND state = $4', [to, a, uuid, from]);
        return (r.rowCount ?? 0) > 0;
      },
      async setTags(uuid, tags) {
        const r = await pool.query('UPDATE event_source_mappings SET tags = $1 WHERE account = $2 AND uuid = $3', [JSON.stringify(tags), a, uuid]);
        return (r.rowCount ?? 0) > 0;
      },
      async setLastProcessingResult(uuid, result) {
        await pool.query(`UPDATE event_source_mappings SET config = (config::jsonb || jsonb_build_object('LastProcessingResult', $1::text))::text WHERE account = $2 AND uuid = $3`, [result, a, uuid]);
      },
      async checkpoint(uuid, shardId) {
        const r = await pool.query<{ sequence_number: string }>('SELECT sequence_number FROM event_source_checkpoints WHERE uuid = $1 AND shard_id = $2', [uuid, shardId]);
        return r.rows[0]?.sequence_number;
      },
      async saveCheckpoint(uuid, shardId, seq) {
        await pool.query(
          `INSERT INTO event_source_checkpoints (uuid, shard_id, sequence_number) VALUES ($1, $2, $3)
           ON CONFLICT (uuid, shard_id) DO UPDATE SET sequence_number = excluded.sequence_number`,
          [uuid, shardId, seq],
        );
      },
      async list(opts) {
        const found = await rows(
          `SELECT * FROM event_source_mappings WHERE account = $1 AND uuid COLLATE "C" > $2 AND ($3::text IS NULL OR function_name = $3)
           AND ($4::text IS NULL OR event_source_arn = $4) ORDER BY uuid COLLATE "C" LIMIT $5`,
          [a, decodeMarker(opts.marker) ?? '', opts.functionName ?? null, opts.eventSourceArn ?? null, opts.limit + 1],
        );
        return page(found, opts.limit, toMapping, (r) => r.uuid);
      },
    }),
  };
}
