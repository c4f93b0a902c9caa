-- Resource-based policies (AddPermission / GetPolicy / RemovePermission): one per function and qualifier ('' for the
-- unqualified function), with the RevisionId GetPolicy reports. A policy goes with its function, version or alias.
CREATE TABLE function_policies (
  function_name TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
  qualifier TEXT NOT NULL,
  statements TEXT NOT NULL,
  revision_id TEXT NOT NULL,
  PRIMARY KEY (function_name, qualifier)
);

CREATE TRIGGER function_policies_version_deleted AFTER DELETE ON versions BEGIN
  DELETE FROM function_policies WHERE function_name = OLD.function_name AND qualifier = OLD.version;
END;

CREATE TRIGGER function_policies_alias_deleted AFTER DELETE ON aliases BEGIN
  DELETE FROM function_policies WHERE function_name = OLD.function_name AND qualifier = OLD.name;
END;
