-- Cluster mode's shared files: code packages (the zips, by SHA-256, which every node fetches and unpacks for itself)
-- and finished invocations' logs (every node appends; `alonzo logs` on any node reads them all).
CREATE TABLE code_blobs (
  sha256_hex TEXT PRIMARY KEY,
  size BIGINT NOT NULL,
  data BYTEA NOT NULL,
  created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- A zip is compressed already: TOAST's compression would spend CPU on every put for nothing.
ALTER TABLE code_blobs ALTER COLUMN data SET STORAGE EXTERNAL;

-- One row per finished invocation; a function's log is its rows in id order, from all nodes. Older rows are pruned
-- per key past a byte budget (cluster/logs.ts).
CREATE TABLE function_logs (
  id BIGSERIAL PRIMARY KEY,
  key TEXT NOT NULL,
  node TEXT NOT NULL,
  at TIMESTAMPTZ NOT NULL DEFAULT now(),
  body BYTEA NOT NULL
);
CREATE INDEX function_logs_key ON function_logs (key, id);
