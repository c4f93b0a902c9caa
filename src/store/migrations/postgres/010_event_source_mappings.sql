-- Event source mappings (CreateEventSourceMapping): the columns the pollers and the list filters read, and the rest of
-- AWS's shape as one JSON document. The UUID is unique across accounts (AWS's ARNs name it without the function).
-- `account` '' is the server's own account, as everywhere. A mapping outlives its function, as on AWS (no foreign key).
CREATE TABLE event_source_mappings (
  uuid TEXT PRIMARY KEY,
  account TEXT NOT NULL DEFAULT '',
  function_name TEXT NOT NULL,
  event_source_arn TEXT NOT NULL,
  state TEXT NOT NULL,
  last_modified BIGINT NOT NULL,
  config TEXT NOT NULL
);
CREATE INDEX event_source_mappings_account ON event_source_mappings (account, uuid COLLATE "C");
