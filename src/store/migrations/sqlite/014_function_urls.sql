-- Function URLs (CreateFunctionUrlConfig): one per function and qualifier ('' for the unqualified function, else an
-- alias name; AWS refuses versions). The url id is the URL's host label and names no account, so it is unique across
-- accounts: the endpoint finds the config, and its account, from the id alone. A URL goes with its function or alias
-- (deleting an alias deletes its URL, as on AWS).
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
  FOREIGN KEY (account, function_name) REFERENCES functions(account, name) ON DELETE CASCADE
);

CREATE TRIGGER function_urls_alias_deleted AFTER DELETE ON aliases BEGIN
  DELETE FROM function_urls WHERE account = OLD.account AND function_name = OLD.function_name AND qualifier = OLD.name;
END;
