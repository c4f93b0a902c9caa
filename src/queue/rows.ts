// The queue's rows as both adapters read them (the same columns in SQLite and PostgreSQL) and what they become.
import { LATEST, isVersionNumber } from '../core/names.js';
import type { ClaimedEvent, Delivery, EventInvokeConfigRecord, EventState, FailedEvent, FailureCondition, QueueStat } from './types.js';

export { decodeMarker, encodeMarker } from '../store/rows.js';

export interface EventRow {
  id: number;
  request_id: string;
  account: string;
  function_name: string;
  qualifier: string | null;
  payload: Buffer;
  enqueued_at: number;
  run_at: number;
  attempts: number;
  requeues: number;
  last_response: Buffer | null;
  last_function_error: string | null;
  executed_version: string | null;
  failed_at: number | null;
  condition: string | null;
  last_error: string | null;
  record: string | null;
  deliveries: string | null;
  trace_id: string | null;
}

export interface ConfigRow {
  function_name: string;
  qualifier: string;
  sort_key: string;
  maximum_retry_attempts: number | null;
  maximum_event_age_seconds: number | null;
  on_success: string | null;
  on_failure: string | null;
  last_modified: number;
}

/** $LATEST first, then versions by number, then aliases by name (the order AWS lists them in the oracle). */
export const sortKey = (q: string): string => (q === LATEST ? '0' : isVersionNumber(q) ? `1${q.padStart(12, '0')}` : `2${q}`);

export function toClaimed(r: EventRow): ClaimedEvent {
  const ev: ClaimedEvent = {
    id: r.id,
    requestId: r.request_id,
    functionName: r.function_name,
    payload: r.payload,
    enqueuedAt: r.enqueued_at,
    runAt: r.run_at,
    attempts: r.attempts,
    requeues: r.requeues,
  };
  if (r.account !== '') ev.accountId = r.account;
  if (r.qualifier !== null) ev.qualifier = r.qualifier;
  if (r.trace_id !== null) ev.traceId = r.trace_id;
  if (r.last_error !== null) ev.lastError = r.last_error;
  if (r.last_response !== null && r.executed_version !== null) {
    ev.last = { payload: r.last_response, executedVersion: r.executed_version };
    if (r.last_function_error !== null) ev.last.functionError = r.last_function_error;
  }
  return ev;
}

export function toFailed(r: EventRow): FailedEvent {
  const ev: FailedEvent = {
    id: r.id,
    requestId: r.request_id,
    functionName: r.function_name,
    payload: r.payload,
    enqueuedAt: r.enqueued_at,
    failedAt: r.failed_at ?? 0,
    attempts: r.attempts,
    condition: r.condition as FailureCondition,
    reason: r.last_error ?? '',
    record: r.record === null ? null : JSON.parse(r.record),
    deliveries: r.deliveries === null ? [] : (JSON.parse(r.deliveries) as Delivery[]),
  };
  if (r.account !== '') ev.accountId = r.account;
  if (r.qualifier !== null) ev.qualifier = r.qualifier;
  return ev;
}

export function toConfig(r: ConfigRow): EventInvokeConfigRecord {
  const c: EventInvokeConfigRecord = { functionName: r.function_name, qualifier: r.qualifier, lastModified: r.last_modified };
  if (r.maximum_retry_attempts !== null) c.maximumRetryAttempts = r.maximum_retry_attempts;
  if (r.maximum_event_age_seconds !== null) c.maximumEventAgeInSeconds = r.maximum_event_age_seconds;
  if (r.on_success !== null) c.onSuccess = r.on_success;
  if (r.on_failure !== null) c.onFailure = r.on_failure;
  return c;
}

/** A row of the stats query (both dialects): per account, function and state. */
export interface StatRow {
  account: string;
  function_name: string;
  state: EventState;
  n: number | string;
  oldest: number | string;
}

export const toStat = (r: StatRow): QueueStat => ({
  ...(r.account === '' ? {} : { accountId: r.account }),
  functionName: r.function_name,
  state: r.state,
  count: Number(r.n),
  oldestEnqueuedAt: Number(r.oldest),
});
