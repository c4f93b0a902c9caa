// The asynchronous-invocation ports: the durable event queue and the EventInvokeConfig store, as small interfaces.
//
// Mechanics follow graphile-worker / pg-boss: one claim statement, explicit backoff and age checks, a frozen state
// enum, and the pollers never touching SQL. Adapters: sqlite.ts (embedded) and postgres.ts (cluster mode: claim with
// FOR UPDATE SKIP LOCKED, an owner and a lease per claim, crash recovery by lease instead of at start-up).
import type { AsyncEvent } from '../invoke/types.js';
import type { Page } from '../store/types.js';

export type { AsyncEvent } from '../invoke/types.js';

/** Frozen: the migration's CHECK constraint lists the same three. A succeeded event is deleted. */
export type EventState = 'queued' | 'running' | 'failed';

/**
 * Why an event failed for good: Lambda's two conditions, plus Alonzo's for an event whose function is gone and for one
 * that recursive loop detection stopped (named after the exception a synchronous invoke gets).
 */
export type FailureCondition = 'RetriesExhausted' | 'EventAgeExceeded' | 'FunctionNotFound' | 'RecursiveInvocationException';

/** What the function answered on one attempt. */
export interface AttemptResponse {
  payload: Buffer;
  executedVersion: string;
  /** `Unhandled` / `Handled` when the attempt was a function error. */
  functionError?: string;
}

/** An event as a poller holds it after claiming it. */
export interface ClaimedEvent extends AsyncEvent {
  id: number;
  /** Epoch ms. */
  enqueuedAt: number;
  runAt: number;
  /** Attempts that reached the function so far. */
  attempts: number;
  /** Throttles and system failures since the last attempt. */
  requeues: number;
  /** The last attempt's answer, if there was one. */
  last?: AttemptResponse;
  /** Why the event went back to the queue last time (a throttle, a system failure, a function error). */
  lastError?: string;
}

/** Where one record (or the event itself, for a dead-letter queue) went, or why it could not go. */
export interface Delivery {
  kind: 'OnSuccess' | 'OnFailure' | 'DeadLetterQueue';
  target: string;
  status: 'delivered' | 'failed';
  reason?: string;
  /** For a Lambda destination: the request id of the Event that carries the record. */
  requestId?: string;
  /** For a dead-letter queue: the message as SQS/SNS would have received it. */
  message?: unknown;
}

export interface Failure {
  condition: FailureCondition;
  reason: string;
  /** The attempt that ended it (counted), when the failure followed a function error. */
  attempt?: AttemptResponse;
  /** The destination record (AWS's shape), kept even when no destination is configured. */
  record: unknown;
  deliveries: Delivery[];
}

export interface FailedEvent extends AsyncEvent {
  id: number;
  enqueuedAt: number;
  failedAt: number;
  attempts: number;
  condition: FailureCondition;
  reason: string;
  record: unknown;
  deliveries: Delivery[];
}

/** One function's events in one state (delivery jobs included: their qualifier marks them, destinations.ts). */
export interface QueueStat {
  /** undefined: the server's own account. */
  accountId?: string;
  functionName: string;
  state: EventState;
  count: number;
  /** Epoch ms. */
  oldestEnqueuedAt: number;
}

/** Told of each async outcome written by the poller (src/observe/ counts them): called after the write, never waited on. */
export interface QueueObserver {
  outcome(ev: AsyncEvent, outcome: 'complete' | 'retry' | 'fail', deliveryJob: boolean): void;
}

export interface EventQueue {
  /** Resolves once the event is committed and fsync'd: only then may the 202 go out. */
  enqueue(ev: AsyncEvent): Promise<void>;
  /** Marks up to `limit` due queued events running, oldest first, in one statement. */
  claim(limit: number, now: number): Promise<ClaimedEvent[]>;
  /**
   * Success: the event is done. `then` (records for Lambda destinations) is enqueued in the same transaction.
   *
   * This and the two outcomes below resolve false when the claim was lost (in a cluster: the lease ran out and another
   * node may be running the event): nothing changed, and `then` was not enqueued.
   */
  complete(id: number, then?: AsyncEvent[]): Promise<boolean>;
  /**
   * Back to the queue until `runAt`. With `attempt` the run reached the function (a function error: one attempt
   * used); without it, it was a throttle or a system failure (no attempt used, the backoff grows).
   */
  retryLater(id: number, runAt: number, opts: { attempt?: AttemptResponse; error: string }): Promise<boolean>;
  /** The end: failed with its reason, record and deliveries; `then` enqueued in the same transaction. */
  fail(id: number, failure: Failure, then?: AsyncEvent[]): Promise<boolean>;
  /** `accountId` undefined: the server's own account (as in AsyncEvent). */
  listFailed(functionName: string, opts: { marker?: string; limit: number; accountId?: string }): Promise<Page<FailedEvent>>;
  /** Failed events (all of the function's, or those with these request ids) queued again with a fresh age. */
  redrive(functionName: string, requestIds?: string[], accountId?: string): Promise<number>;
  /** When the next queued event is due (epoch ms), if any. */
  nextRunAt(): Promise<number | undefined>;
  /** Events per function and state, with the oldest one's enqueue time: what /metrics and the dashboard show. Off the invoke path. */
  stats(): Promise<QueueStat[]>;
  /**
   * Start-up: events a crash left running are queued again (same request id, no attempt used). In a cluster only
   * those whose lease ran out: the others belong to live nodes.
   */
  recover(now: number): Promise<number>;
  close(): Promise<void>;
}

/** PutFunctionEventInvokeConfig's settings for one qualifier; absent members are unset (AWS's defaults apply). */
export interface EventInvokeConfigRecord {
  functionName: string;
  /** `$LATEST`, a version number or an alias name. */
  qualifier: string;
  maximumRetryAttempts?: number;
  maximumEventAgeInSeconds?: number;
  onSuccess?: string;
  onFailure?: string;
  /** Epoch seconds. */
  lastModified: number;
}

/** One account's EventInvokeConfigs. */
export interface EventInvokeConfigStore {
  /** Another account's view (undefined: the server's own). */
  forAccount(accountId: string | undefined): EventInvokeConfigStore;
  get(functionName: string, qualifier: string): Promise<EventInvokeConfigRecord | undefined>;
  /** Inserts or replaces. */
  put(rec: EventInvokeConfigRecord): Promise<void>;
  delete(functionName: string, qualifier: string): Promise<boolean>;
  list(functionName: string, opts: { marker?: string; limit: number }): Promise<Page<EventInvokeConfigRecord>>;
}

/** What the composition root hands the API and the pollers. */
export interface AsyncInvokePorts {
  events: EventQueue;
  configs: EventInvokeConfigStore;
  close(): Promise<void>;
}
