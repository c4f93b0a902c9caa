-- Functions, their versions ($LATEST and published) and aliases.
CREATE TABLE functions (
  name TEXT PRIMARY KEY,
  next_version INTEGER NOT NULL,
  tags TEXT NOT NULL,
  reserved_concurrency INTEGER,
  created_at TEXT NOT NULL
);

CREATE TABLE versions (
  function_name TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
  version TEXT NOT NULL,
  -- numeric order of published versions; -1 for $LATEST so that it lists first
  version_order INTEGER NOT NULL,
  settings TEXT NOT NULL,
  code_sha256 TEXT NOT NULL,
  code_size INTEGER NOT NULL,
  state TEXT NOT NULL,
  last_update_status TEXT,
  revision_id TEXT NOT NULL,
  last_modified TEXT NOT NULL,
  PRIMARY KEY (function_name, version)
);

CREATE TABLE aliases (
  function_name TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
  name TEXT NOT NULL,
  function_version TEXT NOT NULL,
  description TEXT NOT NULL,
  routing TEXT,
  revision_id TEXT NOT NULL,
  PRIMARY KEY (function_name, name)
);
