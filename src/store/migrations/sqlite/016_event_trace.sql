-- Recursive loop detection: the X-Amzn-Trace-Id an Event carries (`trace_id`: its caller's, with this function's hop
-- added to the Lineage it counts; NULL for events queued before, which start a fresh trace), and a fourth failure
-- condition, `RecursiveInvocationException`, for an event it stopped. SQLite cannot change a CHECK constraint in
-- place, so the table is rebuilt with the same columns, rows and indexes.
CREATE TABLE async_events_new (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  request_id TEXT NOT NULL,
  function_name TEXT NOT NULL,
  qualifier TEXT,
  payload BLOB NOT NULL,
  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'failed')),
  enqueued_at INTEGER NOT NULL,
  run_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  requeues INTEGER NOT NULL DEFAULT 0,
  claimed_at INTEGER,
  failed_at INTEGER,
  condition TEXT CHECK (condition IS NULL OR condition IN ('RetriesExhausted', 'EventAgeExceeded', 'FunctionNotFound', 'RecursiveInvocationException')),
  last_error TEXT,
  last_response BLOB,
  last_function_error TEXT,
  executed_version TEXT,
  record TEXT,
  deliveries TEXT,
  account TEXT NOT NULL DEFAULT '',
  trace_id TEXT
);

INSERT INTO async_events_new (id, request_id, function_name, qualifier, payload, state, enqueued_at, run_at, attempts, requeues, claimed_at,
  failed_at, condition, last_error, last_response, last_function_error, executed_version, record, deliveries, account)
SELECT id, request_id, function_name, qualifier, payload, state, enqueued_at, run_at, attempts, requeues, claimed_at,
  failed_at, condition, last_error, last_response, last_function_error, executed_version, record, deliveries, account
FROM async_events;

-- Ids keep growing past any the old table handed out (its AUTOINCREMENT counter goes with it).
INSERT INTO sqlite_sequence (name, seq)
  SELECT 'async_events_new', COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'async_events'), 0)
  WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'async_events_new');
UPDATE sqlite_sequence SET seq = MAX(COALESCE(seq, 0), COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'async_events'), 0))
  WHERE name = 'async_events_new';

DROP TABLE async_events;
ALTER TABLE async_events_new RENAME TO async_events;
CREATE INDEX async_events_due ON async_events (state, run_at, id);
CREATE INDEX async_events_by_function ON async_events (account, function_name, state, id);
