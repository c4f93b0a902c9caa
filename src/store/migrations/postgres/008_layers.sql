-- Lambda layers: a layer is a name with numbered versions. `next_version` survives deletes (AWS never reuses a number,
-- even after every version is gone), so the row stays when its versions do. A version's record (description, license,
-- compatibility lists, code digest and size, date) is one JSON document; its resource-based policy (AddLayerVersionPermission)
-- sits beside it with its RevisionId. `account` '' is the server's own account, as everywhere.
CREATE TABLE layers (
  account TEXT NOT NULL DEFAULT '',
  name TEXT NOT NULL,
  next_version INTEGER NOT NULL,
  PRIMARY KEY (account, name)
);

CREATE TABLE layer_versions (
  account TEXT NOT NULL DEFAULT '',
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  record TEXT NOT NULL,
  policy TEXT,
  policy_revision TEXT,
  PRIMARY KEY (account, name, version),
  FOREIGN KEY (account, name) REFERENCES layers (account, name)
);
