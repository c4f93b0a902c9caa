// The event source mappings of every account in the embedded store (migration 017): one row per mapping.
import type Database from 'better-sqlite3';
import type { MappingRecord, MappingStore } from '../types.js';
import { decodeMarker, page, toMapping, type MappingRow } from '../rows.js';

/** The statements, prepared once; `view(account)` answers one account's MappingStore, `all()` every account's rows. */
export function sqliteMappings(db: Database.Database): { view: (account: string) => MappingStore; all: () => MappingRow[] } {
  const q = {
    insert: db.prepare(`INSERT OR IGNORE INTO event_source_mappings (uuid, account, function_name, event_source_arn, state, last_modified, config, tags)
      VALUES (@uuid, @account, @function_name, @event_source_arn, @state, @last_modified, @config, @tags)`),
    setState: db.prepare('UPDATE event_source_mappings SET state = ? WHERE account = ? AND uuid = ? AND state = ?'),
    setTags: db.prepare('UPDATE event_source_mappings SET tags = ? WHERE account = ? AND uuid = ?'),
    get: db.prepare('SELECT * FROM event_source_mappings WHERE account = ? AND uuid = ?'),
    replace: db.prepare(`UPDATE event_source_mappings SET function_name = @function_name, event_source_arn = @event_source_arn, state = @state,
      last_modified = @last_modified, config = @config, tags = @tags WHERE account = @account AND uuid = @uuid AND (@expect IS NULL OR state = @expect)`),
    delete: db.prepare('DELETE FROM event_source_mappings WHERE account = ? AND uuid = ?'),
    deleteCheckpoints: db.prepare('DELETE FROM event_source_checkpoints WHERE uuid = ?'),
    setResult: db.prepare("UPDATE event_source_mappings SET config = json_set(config, '$.LastProcessingResult', ?) WHERE account = ? AND uuid = ?"),
    checkpoint: db.prepare('SELECT sequence_number FROM event_source_checkpoints WHERE uuid = ? AND shard_id = ?'),
    saveCheckpoint: db.prepare(`INSERT INTO event_source_checkpoints (uuid, shard_id, sequence_number) VALUES (?, ?, ?)
      ON CONFLICT (uuid, shard_id) DO UPDATE SET sequence_number = excluded.sequence_number`),
    list: db.prepare(`SELECT * FROM event_source_mappings WHERE account = @account AND uuid > @after
      AND (@fn IS NULL OR function_name = @fn) AND (@src IS NULL OR event_source_arn = @src) ORDER BY uuid LIMIT @limit`),
    all: db.prepare('SELECT * FROM event_source_mappings ORDER BY uuid'),
  };
  const params = (a: string, r: MappingRecord) => ({
    uuid: r.uuid,
    account: a,
    function_name: r.functionName,
    event_source_arn: r.eventSourceArn,
    state: r.state,
    last_modified: r.lastModified,
    config: JSON.stringify(r.config),
    tags: JSON.stringify(r.tags),
  });
  return {
    all: () => q.all.all() as MappingRow[],
    view: (a) => ({
      async insert(rec) {
        return q.insert.run(params(a, rec)).changes > 0;
      },
      async get(uuid) {
        const r = q.get.get(a, uuid) as MappingRow | undefined;
        return r ? toMapping(r) : undefined;
      },
      async replace(rec, expect) {
        return q.replace.run({ ...params(a, rec), expect: expect ?? null }).changes > 0;
      },
      async delete(uuid) {
        return db.transaction(() => {
          const gone = q.delete.run(a, uuid).changes > 0;
          if (gone) q.deleteCheckpoints.run(uuid);
          return gone;
        })();
      },
      async setState(uuid, from, to) {
        return q.setState.run(to, a, uuid, from).changes > 0;
      },
      async setTags(uuid, tags) {
        return q.setTags.run(JSON.stringify(tags), a, uuid).changes > 0;
      },
      async setLastProcessingResult(uuid, result) {
        q.setResult.run(result, a, uuid);
      },
      async checkpoint(uuid, shardId) {
        return (q.checkpoint.get(uuid, shardId) as { sequence_number: string } | undefined)?.sequence_number;
      },
      async saveCheckpoint(uuid, shardId, seq) {
        q.saveCheckpoint.run(uuid, shardId, seq);
      },
      async list(opts) {
        const rows = q.list.all({ account: a, after: decodeMarker(opts.marker) ?? '', fn: opts.functionName ?? null, src: opts.eventSourceArn ?? null, limit: opts.limit + 1 }) as MappingRow[];
        return page(rows, opts.limit, toMapping, (r) => r.uuid);
      },
    }),
  };
}
