-- Accounts: every function (and what hangs off it) belongs to one, and two accounts may each have a function `f`.
--
-- The account is part of each key. '' is a sentinel for "the server's own account" (the configured --account-id):
-- a migration cannot know that setting, and rows written before accounts existed belong to it; the store maps the
-- configured id to '' and back, so changing --account-id later keeps those functions the server's, as before.
-- SQLite cannot change a primary key in place, so each table is rebuilt (children dropped before parents: with
-- foreign keys on, DROP TABLE deletes the rows first, which would cascade).
CREATE TABLE functions_new (
  account TEXT NOT NULL DEFAULT '',
  name TEXT NOT NULL,
  next_version INTEGER NOT NULL,
  tags TEXT NOT NULL,
  reserved_concurrency INTEGER,
  created_at TEXT NOT NULL,
  PRIMARY KEY (account, name)
);
INSERT INTO functions_new (account, name, next_version, tags, reserved_concurrency, created_at)
  SELECT '', name, next_version, tags, reserved_concurrency, created_at FROM functions;

CREATE TABLE versions_new (
  account TEXT NOT NULL DEFAULT '',
  function_name TEXT NOT NULL,
  version TEXT NOT NULL,
  version_order INTEGER NOT NULL,
  settings TEXT NOT NULL,
  code_sha256 TEXT NOT NULL,
  code_size INTEGER NOT NULL,
  state TEXT NOT NULL,
  last_update_status TEXT,
  revision_id TEXT NOT NULL,
  last_modified TEXT NOT NULL,
  PRIMARY KEY (account, function_name, version),
  FOREIGN KEY (account, function_name) REFERENCES functions_new(account, name) ON DELETE CASCADE
);
INSERT INTO versions_new SELECT '', function_name, version, version_order, settings, code_sha256, code_size, state, last_update_status, revision_id, last_modified FROM versions;

CREATE TABLE aliases_new (
  account TEXT NOT NULL DEFAULT '',
  function_name TEXT NOT NULL,
  name TEXT NOT NULL,
  function_version TEXT NOT NULL,
  description TEXT NOT NULL,
  routing TEXT,
  revision_id TEXT NOT NULL,
  PRIMARY KEY (account, function_name, name),
  FOREIGN KEY (account, function_name) REFERENCES functions_new(account, name) ON DELETE CASCADE
);
INSERT INTO aliases_new SELECT '', function_name, name, function_version, description, routing, revision_id FROM aliases;

CREATE TABLE provisioned_concurrency_new (
  account TEXT NOT NULL DEFAULT '',
  function_name TEXT NOT NULL,
  qualifier TEXT NOT NULL,
  requested INTEGER NOT NULL,
  last_modified TEXT NOT NULL,
  PRIMARY KEY (account, function_name, qualifier),
  FOREIGN KEY (account, function_name) REFERENCES functions_new(account, name) ON DELETE CASCADE
);
INSERT INTO provisioned_concurrency_new SELECT '', function_name, qualifier, requested, last_modified FROM provisioned_concurrency;

CREATE TABLE function_policies_new (
  account TEXT NOT NULL DEFAULT '',
  function_name TEXT NOT NULL,
  qualifier TEXT NOT NULL,
  statements TEXT NOT NULL,
  revision_id TEXT NOT NULL,
  PRIMARY KEY (account, function_name, qualifier),
  FOREIGN KEY (account, function_name) REFERENCES functions_new(account, name) ON DELETE CASCADE
);
INSERT INTO function_policies_new SELECT '', function_name, qualifier, statements, revision_id FROM function_policies;

CREATE TABLE event_invoke_configs_new (
  account TEXT NOT NULL DEFAULT '',
  function_name TEXT NOT NULL,
  qualifier TEXT NOT NULL,
  sort_key TEXT NOT NULL,
  maximum_retry_attempts INTEGER,
  maximum_event_age_seconds INTEGER,
  on_success TEXT,
  on_failure TEXT,
  last_modified REAL NOT NULL,
  PRIMARY KEY (account, function_name, qualifier),
  FOREIGN KEY (account, function_name) REFERENCES functions_new(account, name) ON DELETE CASCADE
);
INSERT INTO event_invoke_configs_new SELECT '', function_name, qualifier, sort_key, maximum_retry_attempts, maximum_event_age_seconds, on_success, on_failure, last_modified FROM event_invoke_configs;

DROP TRIGGER function_policies_version_deleted;
DROP TRIGGER function_policies_alias_deleted;
DROP TABLE event_invoke_configs;
DROP TABLE function_policies;
DROP TABLE provisioned_concurrency;
DROP TABLE aliases;
DROP TABLE versions;
DROP TABLE functions;
-- Renaming rewrites the other tables' references to functions_new.
ALTER TABLE functions_new RENAME TO functions;
ALTER TABLE versions_new RENAME TO versions;
ALTER TABLE aliases_new RENAME TO aliases;
ALTER TABLE provisioned_concurrency_new RENAME TO provisioned_concurrency;
ALTER TABLE function_policies_new RENAME TO function_policies;
ALTER TABLE event_invoke_configs_new RENAME TO event_invoke_configs;

CREATE TRIGGER function_policies_version_deleted AFTER DELETE ON versions BEGIN
  DELETE FROM function_policies WHERE account = OLD.account AND function_name = OLD.function_name AND qualifier = OLD.version;
END;

CREATE TRIGGER function_policies_alias_deleted AFTER DELETE ON aliases BEGIN
  DELETE FROM function_policies WHERE account = OLD.account AND function_name = OLD.function_name AND qualifier = OLD.name;
END;

-- Queued events run in their function's account.
ALTER TABLE async_events ADD COLUMN account TEXT NOT NULL DEFAULT '';
DROP INDEX async_events_by_function;
CREATE INDEX async_events_by_function ON async_events (account, function_name, state, id);
