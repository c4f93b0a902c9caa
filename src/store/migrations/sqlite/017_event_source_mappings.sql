-- Event source mappings (CreateEventSourceMapping): the columns the pollers and the list filters read, and the rest of
-- AWS's shape as one JSON document. The UUID is unique across accounts (AWS's ARNs name it without the function).
-- `account` '' is the server's own account, as everywhere. A mapping outlives its function, as on AWS (no foreign key).
CREATE TABLE event_source_mappings (
  uuid TEXT PRIMARY KEY,
  account TEXT NOT NULL DEFAULT '',
  function_name TEXT NOT NULL,
  event_source_arn TEXT NOT NULL,
  state TEXT NOT NULL,
  last_modified INTEGER NOT NULL,
  config TEXT NOT NULL,
  -- TagResource's tags on the mapping's ARN (not part of the mapping's shape).
  tags TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX event_source_mappings_account ON event_source_mappings (account, uuid);

-- Where a stream mapping's pollers are in each shard: the sequence number of the last record done with (processed,
-- or sent to the on-failure destination). Written after each batch; read when a poller starts (after a restart, or
-- on the node a lease moved to).
CREATE TABLE event_source_checkpoints (
  uuid TEXT NOT NULL,
  shard_id TEXT NOT NULL,
  sequence_number TEXT NOT NULL,
  PRIMARY KEY (uuid, shard_id)
);
