-- The store's list pages in byte order, as SQLite compares TEXT: a database created with a linguistic collation
-- (en_US: 'a' before 'B', '-' and '_' ignored) would otherwise order names, and so markers, differently. The adapter
-- writes COLLATE "C" in its comparisons and ORDER BYs; these indexes are the ones such queries can use.
DROP INDEX versions_latest;
-- ListFunctions: one account's $LATEST rows by name.
CREATE INDEX versions_latest ON versions (account, version, function_name COLLATE "C");
-- ListFunctions with FunctionVersion=ALL (by name, then version) and ListVersionsByFunction (one name, by version).
CREATE INDEX versions_by_name ON versions (account, function_name COLLATE "C", version_order);
