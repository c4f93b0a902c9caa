-- Asynchronous invocation for cluster mode: the durable event queue (src/queue/postgres.ts) and each function's
-- EventInvokeConfig, as SQLite has them after its migrations 010 and 012, plus the claim's owner and lease.
--
-- An event's state is a frozen enum. queued → running → deleted on success, back to queued (a retry, a throttle, a
-- system failure, or a lease that ran out) or failed. A running event belongs to `owner` (a node name) until
-- `lease_until`; its owner renews the lease while it runs the event, and any node queues it again once the lease has
-- passed. A failed row keeps why (`condition`), the last response, the destination record and where it was delivered.
CREATE TABLE async_events (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  -- the function's account; '' is the server's own (see 001_store.sql)
  account TEXT NOT NULL DEFAULT '',
  -- the Invoke's request id; the same on every attempt (Lambda's rule)
  request_id TEXT NOT NULL,
  function_name TEXT NOT NULL,
  -- as the caller gave it (version number or alias name); NULL for $LATEST. Resolved again on every attempt.
  qualifier TEXT,
  payload BYTEA NOT NULL,
  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'failed')),
  -- epoch milliseconds (the enqueuing node's clock); the event's age counts from enqueued_at
  enqueued_at BIGINT NOT NULL,
  run_at BIGINT NOT NULL,
  -- invocations that reached the function (the record's approximateInvokeCount)
  attempts INTEGER NOT NULL DEFAULT 0,
  -- throttles and system failures since the last attempt: they drive the backoff and never use an attempt
  requeues INTEGER NOT NULL DEFAULT 0,
  claimed_at BIGINT,
  -- the node running the event, and until when (epoch ms, the database's clock: one clock for every node)
  owner TEXT,
  lease_until BIGINT,
  failed_at BIGINT,
  condition TEXT CHECK (condition IS NULL OR condition IN ('RetriesExhausted', 'EventAgeExceeded', 'FunctionNotFound')),
  last_error TEXT,
  -- the last attempt's answer: its payload, X-Amz-Function-Error and executed version
  last_response BYTEA,
  last_function_error TEXT,
  executed_version TEXT,
  -- JSON: the destination record built at the final failure, and where it (and the event) went or why not
  record TEXT,
  deliveries TEXT,
  -- exactly the running events have an owner and a lease
  CHECK ((state = 'running') = (owner IS NOT NULL AND lease_until IS NOT NULL))
);

-- The claim statement's scan: due queued events, oldest first. Partial: failed rows (kept until a redrive) and running
-- ones never slow it down.
CREATE INDEX async_events_due ON async_events (run_at, id) WHERE state = 'queued';
-- ListFailed / redrive, per function.
CREATE INDEX async_events_by_function ON async_events (account, function_name, state, id);
-- The reaper's scan for leases that ran out (and the renewals): only running rows, a few per node's concurrency.
CREATE INDEX async_events_leases ON async_events (lease_until) WHERE state = 'running';

CREATE TABLE event_invoke_configs (
  account TEXT NOT NULL DEFAULT '',
  function_name TEXT NOT NULL,
  -- '$LATEST', a version number or an alias name
  qualifier TEXT NOT NULL,
  -- list order: $LATEST, then versions by number, then aliases by name
  sort_key TEXT NOT NULL,
  maximum_retry_attempts INTEGER,
  maximum_event_age_seconds INTEGER,
  on_success TEXT,
  on_failure TEXT,
  -- epoch seconds (the API returns LastModified as a number)
  last_modified DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (account, function_name, qualifier),
  FOREIGN KEY (account, function_name) REFERENCES functions (account, name) ON DELETE CASCADE
);
