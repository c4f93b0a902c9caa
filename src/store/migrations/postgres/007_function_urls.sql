-- Function URLs, as in SQLite (sqlite/014_function_urls.sql): one per function and qualifier ('' or an alias name),
-- the url id unique across accounts, gone with the function or the alias.
CREATE TABLE function_urls (
  account TEXT NOT NULL DEFAULT '',
  function_name TEXT NOT NULL,
  qualifier TEXT NOT NULL,
  url_id TEXT NOT NULL UNIQUE,
  auth_type TEXT NOT NULL,
  cors TEXT,
  invoke_mode TEXT,
  creation_time TEXT NOT NULL,
  last_modified_time TEXT NOT NULL,
  PRIMARY KEY (account, function_name, qualifier),
  FOREIGN KEY (account, function_name) REFERENCES functions (account, name) ON DELETE CASCADE
);

CREATE FUNCTION function_urls_alias_gone() RETURNS trigger AS $$
BEGIN
  DELETE FROM function_urls WHERE account = OLD.account AND function_name = OLD.function_name AND qualifier = OLD.name;
  RETURN OLD;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER function_urls_alias_deleted AFTER DELETE ON aliases FOR EACH ROW EXECUTE FUNCTION function_urls_alias_gone();
