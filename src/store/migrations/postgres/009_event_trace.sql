-- Recursive loop detection: the X-Amzn-Trace-Id an Event carries (`trace_id`: its caller's, with this function's hop
-- added to the Lineage it counts; NULL for events queued before, which start a fresh trace), and a fourth failure
-- condition, `RecursiveInvocationException`, for an event it stopped.
ALTER TABLE async_events ADD COLUMN trace_id TEXT;
ALTER TABLE async_events DROP CONSTRAINT async_events_condition_check;
ALTER TABLE async_events ADD CONSTRAINT async_events_condition_check
  CHECK (condition IS NULL OR condition IN ('RetriesExhausted', 'EventAgeExceeded', 'FunctionNotFound', 'RecursiveInvocationException'));
