-- What the nodes of a cluster know of each other: who is alive, the concurrency slots each holds, the access keys and
-- the secret that signs function credentials (so that every node accepts what any node issued).

-- One row per running node (a node's id is new at every start). A node is alive while its heartbeat is recent
-- (src/cluster/membership.ts states the bound); a node that stops cleanly deletes its row.
CREATE TABLE nodes (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  url TEXT NOT NULL,
  started_at BIGINT NOT NULL,
  -- epoch ms, on the database's clock (every node compares against the same clock)
  heartbeat_at BIGINT NOT NULL,
  -- what `alonzo cluster status` shows: environments, invocations running, provisioned environments ready, by key
  environments INTEGER NOT NULL DEFAULT 0,
  running INTEGER NOT NULL DEFAULT 0,
  provisioned TEXT NOT NULL DEFAULT '{}'
);

-- Concurrency slots a node holds, per account and scope ('' for the account's concurrency, else a function name for
-- its reserved concurrency). The slots of live nodes never add up beyond the limit (src/cluster/concurrency.ts).
CREATE TABLE concurrency_leases (
  account TEXT NOT NULL,
  scope TEXT NOT NULL,
  node TEXT NOT NULL,
  slots INTEGER NOT NULL CHECK (slots >= 0),
  PRIMARY KEY (account, scope, node)
);
CREATE INDEX concurrency_leases_by_node ON concurrency_leases (node);

-- Alonzo's access keys (in a single server: <dataDir>/auth/keys.json). `key` is the JSON of one AccessKey.
CREATE TABLE access_keys (
  access_key_id TEXT PRIMARY KEY,
  key TEXT NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Secrets the nodes share (in a single server: files under <dataDir>/auth/), made once by whichever node comes first.
CREATE TABLE cluster_secrets (
  name TEXT PRIMARY KEY,
  value BYTEA NOT NULL
);

-- The database's clock in epoch ms: heartbeats and leases are compared on one clock, whatever the nodes' say.
CREATE FUNCTION alonzo_now_ms() RETURNS BIGINT AS $$ SELECT (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT $$ LANGUAGE sql VOLATILE;

-- Grows a node's slots in one scope towards `wanted`, never past what the live nodes leave free; answers the node's
-- slots afterwards (never fewer than it held). The advisory lock serialises takers of one scope, and each statement
-- of a volatile function reads a fresh snapshot, so two nodes cannot both count the same free slot.
CREATE FUNCTION alonzo_take_slots(p_account TEXT, p_scope TEXT, p_node TEXT, p_wanted INTEGER, p_limit INTEGER, p_lock BIGINT, p_dead_ms BIGINT)
RETURNS INTEGER AS $$
DECLARE
  others INTEGER;
  mine INTEGER;
  granted INTEGER;
BEGIN
  PERFORM pg_advisory_xact_lock(p_lock);
  SELECT COALESCE(SUM(l.slots), 0) INTO others FROM concurrency_leases l JOIN nodes n ON n.id = l.node
    WHERE l.account = p_account AND l.scope = p_scope AND l.node <> p_node AND n.heartbeat_at > alonzo_now_ms() - p_dead_ms;
  SELECT COALESCE((SELECT slots FROM concurrency_leases WHERE account = p_account AND scope = p_scope AND node = p_node), 0) INTO mine;
  granted := GREATEST(mine, LEAST(p_wanted, p_limit - others));
  INSERT INTO concurrency_leases (account, scope, node, slots) VALUES (p_account, p_scope, p_node, granted)
    ON CONFLICT (account, scope, node) DO UPDATE SET slots = EXCLUDED.slots;
  RETURN granted;
END;
$$ LANGUAGE plpgsql VOLATILE;
