// The invoke engine's port, as the API sees it.
import type { Readable } from 'node:stream';
import type { VersionRecord } from '../store/types.js';
import type { Outcome } from '../runtime/environment.js';

export type InvocationType = 'RequestResponse' | 'Event' | 'DryRun';

export interface InvokeRequest {
  /** The function's account; undefined: the server's own (--account-id). */
  accountId?: string;
  functionName: string;
  /** As given (version number, alias, $LATEST) or undefined for $LATEST. */
  qualifier?: string;
  invocationType: InvocationType;
  payload: Buffer;
  logTail: boolean;
  /** The decoded ClientContext JSON text. */
  clientContext?: string;
  requestId: string;
  traceId?: string;
}

export interface InvokeResult {
  status: 200 | 202 | 204;
  payload: Buffer;
  functionError?: 'Unhandled' | 'Handled';
  /** base64 of the log's last 4 KB, when LogType Tail was asked for. */
  logResult?: string;
  executedVersion?: string;
  /** The response's bytes went to a stream as the function wrote them (invokeStream): `payload` holds none of them. */
  streamed?: boolean;
  /** The function or runtime error's type (Sandbox.Timedout, Function.ResponseSizeTooLarge…), with functionError. */
  errorType?: string;
}

/** A RequestResponse invocation whose response is streamed (InvokeWithResponseStream; RESPONSE_STREAM function URLs). */
export type StreamInvokeRequest = Omit<InvokeRequest, 'invocationType'>;

/** How a streamed invocation ended. */
export interface StreamCompletion {
  /** 'Unhandled' when the function failed: an error it threw or reported (mid-stream too), a timeout, a crash, too large a response. */
  functionError?: 'Unhandled';
  errorType?: string;
  /** The error as Lambda words it: JSON `{errorType, errorMessage, trace?}`. */
  errorPayload?: Buffer;
  /** base64 of the log's last 4 KB, when the request asked for the Tail. */
  logResult?: string;
}

export interface StreamedInvocation {
  executedVersion: string;
  /**
   * Settles before the first byte of `body` is readable: `streaming` true with the content type the function declared
   * (application/octet-stream unless it set one; `application/vnd.awslambda.http-integration-response` after
   * awslambda.HttpResponseStream.from, whose JSON prelude and 8 NUL bytes then open the body), or false for a handler
   * that does not stream (or a Python one): its whole JSON result is the body.
   */
  head: Promise<{ streaming: boolean; contentType?: string }>;
  /**
   * The response's bytes as the function writes them; backpressure reaches the function. Destroy it when the client
   * goes away: the rest is then dropped, and the invocation still ends normally (or at its timeout).
   */
  body: Readable;
  /** Settles after `body` has ended. */
  done: Promise<StreamCompletion>;
}

/** One account's view of the engine (the server's own, unless from forAccount). */
export interface Invoker {
  /** The same engine seen from another account: its functions, ARNs and environments. Cached per account. */
  forAccount(accountId: string): Invoker;
  invoke(req: InvokeRequest): Promise<InvokeResult>;
  /**
   * Starts a RequestResponse invocation with a streamed response. Rejects as invoke does before anything runs (not
   * found, throttled: the caller can still answer an ordinary error); resolves once the invocation has an environment.
   */
  invokeStream(req: StreamInvokeRequest): Promise<StreamedInvocation>;
  /** Drops warm environments of a function (all versions when version is omitted), e.g. after an update or delete. */
  evict(functionName: string, version?: string): void;
  /** Keeps `count` environments of `version` initialised (provisioned concurrency; 0 ends it). */
  provision(functionName: string, qualifier: string, version: string, count: number): Promise<void>;
  provisionedStatus(functionName: string, version: string, requested: number): { allocated: number; available: number; status: 'IN_PROGRESS' | 'READY' | 'FAILED'; reason?: string };
  close(): Promise<void>;
}

/** An asynchronous (Event) invocation as the queue keeps it; the request id stays the same on every attempt. */
export interface AsyncEvent {
  requestId: string;
  /** The function's account; undefined: the server's own (--account-id). */
  accountId?: string;
  functionName: string;
  /** As the caller gave it (version number or alias name); undefined for $LATEST. Resolved again on every attempt. */
  qualifier?: string;
  payload: Buffer;
  /** The X-Amzn-Trace-Id it runs under: the caller's, with this function's hop counted in its Lineage (trace.ts). */
  traceId?: string;
}

/** Where the engine puts Event invokes: the durable queue. Resolves once the event is committed (before the 202). */
export interface EventSink {
  enqueue(ev: AsyncEvent): Promise<void>;
}

/** How one run of a queued event ended, told apart as the queue's retry policy needs. */
export type EventRunOutcome =
  | { kind: 'success'; payload: Buffer; executedVersion: string }
  | { kind: 'function-error'; payload: Buffer; executedVersion: string; functionError: string }
  /** TooManyRequestsException: the function did not run; the event goes back without using an attempt. */
  | { kind: 'throttled'; reason: string }
  /** The function, version or alias no longer exists. */
  | { kind: 'not-found'; message: string }
  /** Alonzo failed before the function ran; like a throttle, no attempt is used. */
  | { kind: 'system-error'; message: string }
  /** Recursive loop detection stopped it (trace.ts): it fails at once, to its on-failure destination or dead-letter queue. */
  | { kind: 'recursive-loop'; message: string };

/** What the queue's pollers need from the engine. */
export interface EventRunner {
  runEvent(ev: AsyncEvent): Promise<EventRunOutcome>;
}

/**
 * Told of each finished invocation and each throttle (src/observe/ counts them for /metrics and indexes log streams).
 * Called on the warm path with objects that exist anyway: an implementation must not wait and should not allocate.
 */
export interface InvokeObserver {
  /**
   * `accountId` is the function's account; `logKey` the LogStore key its log text (`logText`, as appended) went to;
   * `startedAt` epoch ms when the invocation was handed to `stream`'s environment.
   */
  invoked(accountId: string, v: VersionRecord, requestId: string, stream: string, startedAt: number, outcome: Outcome, logKey: string, logText: Buffer): void;
  /** An invoke refused with 429: `reason` is the Reason AWS gives (ConcurrentInvocationLimitExceeded, …). */
  throttled(accountId: string, functionName: string, reason: string): void;
}
