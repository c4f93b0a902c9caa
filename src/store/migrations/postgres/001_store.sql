-- Cluster mode's store: functions, their versions ($LATEST and published), aliases, provisioned concurrency and
-- resource-based policies, as in the SQLite dialect after its migration 012 (one migration here: there is no history
-- to replay). `account` '' is the sentinel for the server's own account (see sqlite/012_accounts.sql).
CREATE TABLE functions (
  account TEXT NOT NULL DEFAULT '',
  name TEXT NOT NULL,
  next_version INTEGER NOT NULL,
  tags TEXT NOT NULL,
  reserved_concurrency INTEGER,
  created_at TEXT NOT NULL,
  PRIMARY KEY (account, name)
);

CREATE TABLE versions (
  account TEXT NOT NULL DEFAULT '',
  function_name TEXT NOT NULL,
  version TEXT NOT NULL,
  -- numeric order of published versions; -1 for $LATEST so that it lists first
  version_order INTEGER NOT NULL,
  settings TEXT NOT NULL,
  code_sha256 TEXT NOT NULL,
  code_size BIGINT NOT NULL,
  state TEXT NOT NULL,
  last_update_status TEXT,
  revision_id TEXT NOT NULL,
  last_modified TEXT NOT NULL,
  PRIMARY KEY (account, function_name, version),
  FOREIGN KEY (account, function_name) REFERENCES functions (account, name) ON DELETE CASCADE
);
CREATE INDEX versions_latest ON versions (account, version, function_name);

CREATE TABLE aliases (
  account TEXT NOT NULL DEFAULT '',
  function_name TEXT NOT NULL,
  name TEXT NOT NULL,
  function_version TEXT NOT NULL,
  description TEXT NOT NULL,
  routing TEXT,
  revision_id TEXT NOT NULL,
  PRIMARY KEY (account, function_name, name),
  FOREIGN KEY (account, function_name) REFERENCES functions (account, name) ON DELETE CASCADE
);

CREATE TABLE provisioned_concurrency (
  account TEXT NOT NULL DEFAULT '',
  function_name TEXT NOT NULL,
  qualifier TEXT NOT NULL,
  requested INTEGER NOT NULL,
  last_modified TEXT NOT NULL,
  PRIMARY KEY (account, function_name, qualifier),
  FOREIGN KEY (account, function_name) REFERENCES functions (account, name) ON DELETE CASCADE
);

CREATE TABLE function_policies (
  account TEXT NOT NULL DEFAULT '',
  function_name TEXT NOT NULL,
  qualifier TEXT NOT NULL,
  statements TEXT NOT NULL,
  revision_id TEXT NOT NULL,
  PRIMARY KEY (account, function_name, qualifier),
  FOREIGN KEY (account, function_name) REFERENCES functions (account, name) ON DELETE CASCADE
);

-- A policy goes with its version or alias.
CREATE FUNCTION function_policies_gone() RETURNS trigger AS $$
BEGIN
  IF TG_TABLE_NAME = 'versions' THEN
    DELETE FROM function_policies WHERE account = OLD.account AND function_name = OLD.function_name AND qualifier = OLD.version;
  ELSE
    DELETE FROM function_policies WHERE account = OLD.account AND function_name = OLD.function_name AND qualifier = OLD.name;
  END IF;
  RETURN OLD;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER function_policies_version_deleted AFTER DELETE ON versions FOR EACH ROW EXECUTE FUNCTION function_policies_gone();
CREATE TRIGGER function_policies_alias_deleted AFTER DELETE ON aliases FOR EACH ROW EXECUTE FUNCTION function_policies_gone();
