-- Asynchronous invocation: the durable event queue (src/queue/) and each function's EventInvokeConfig.
--
-- An event's state is a frozen enum. queued → running → deleted on success, back to queued (a retry, a throttle, a
-- system failure, or a crash found at start-up) or failed. A failed row keeps why (`condition`), the last response,
-- the destination record and where it was delivered, so nothing accepted disappears without a trace.
CREATE TABLE async_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  -- the Invoke's request id; the same on every attempt (Lambda's rule)
  request_id TEXT NOT NULL,
  function_name TEXT NOT NULL,
  -- as the caller gave it (version number or alias name); NULL for $LATEST. Resolved again on every attempt.
  qualifier TEXT,
  payload BLOB NOT NULL,
  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'failed')),
  -- epoch milliseconds; the event's age counts from enqueued_at
  enqueued_at INTEGER NOT NULL,
  run_at INTEGER NOT NULL,
  -- invocations that reached the function (the record's approximateInvokeCount)
  attempts INTEGER NOT NULL DEFAULT 0,
  -- throttles and system failures since the last attempt: they drive the backoff and never use an attempt
  requeues INTEGER NOT NULL DEFAULT 0,
  claimed_at INTEGER,
  failed_at INTEGER,
  condition TEXT CHECK (condition IS NULL OR condition IN ('RetriesExhausted', 'EventAgeExceeded', 'FunctionNotFound')),
  last_error TEXT,
  -- the last attempt's answer: its payload, X-Amz-Function-Error and executed version
  last_response BLOB,
  last_function_error TEXT,
  executed_version TEXT,
  -- JSON: the destination record built at the final failure, and where it (and the event) went or why not
  record TEXT,
  deliveries TEXT
);

-- The claim statement's scan: due queued events, oldest first.
CREATE INDEX async_events_due ON async_events (state, run_at, id);
CREATE INDEX async_events_by_function ON async_events (function_name, state, id);

CREATE TABLE event_invoke_configs (
  function_name TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
  -- '$LATEST', a version number or an alias name
  qualifier TEXT NOT NULL,
  -- list order: $LATEST, then versions by number, then aliases by name
  sort_key TEXT NOT NULL,
  maximum_retry_attempts INTEGER,
  maximum_event_age_seconds INTEGER,
  on_success TEXT,
  on_failure TEXT,
  -- epoch seconds (the API returns LastModified as a number)
  last_modified REAL NOT NULL,
  PRIMARY KEY (function_name, qualifier)
);
