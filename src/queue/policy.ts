// Lambda's asynchronous retry policy as pure functions: retry delays, throttle backoff, event age, and the decision after a run.
//
// Every delay is multiplied by the time scale (config `asyncTimeScale`; tests use 0.001, so a minute becomes 60 ms).
import type { EventInvokeConfigRecord, FailureCondition } from './types.js';

export const DEFAULT_MAX_RETRY_ATTEMPTS = 2;
export const DEFAULT_MAX_EVENT_AGE_SECONDS = 21_600;
/** Lambda waits about a minute before the first retry and two before the second (oracle test_retries). */
export const RETRY_DELAY_MS = 60_000;
/** Throttles and system failures: back off from 1 s, doubling, to at most 5 min (LAMBDA-SPEC.md). */
export const BACKOFF_MIN_MS = 1_000;
export const BACKOFF_MAX_MS = 300_000;

export interface EffectivePolicy {
  maxRetryAttempts: number;
  /** Already scaled. */
  maxAgeMs: number;
  onSuccess?: string;
  onFailure?: string;
}

/** The configuration current now (a queued event runs with the one in force when it executes), defaults filled in. */
export function effectivePolicy(cfg: EventInvokeConfigRecord | undefined, scale: number): EffectivePolicy {
  return {
    maxRetryAttempts: cfg?.maximumRetryAttempts ?? DEFAULT_MAX_RETRY_ATTEMPTS,
    // A time scale of 0 removes every wait; it must not also make every event instantly too old.
    maxAgeMs: scale > 0 ? (cfg?.maximumEventAgeInSeconds ?? DEFAULT_MAX_EVENT_AGE_SECONDS) * 1000 * scale : Infinity,
    onSuccess: cfg?.onSuccess,
    onFailure: cfg?.onFailure,
  };
}

/** The wait before retry number `attemptsMade` (1 → ~1 min, 2 → ~2 min). */
export const retryDelayMs = (attemptsMade: number, scale: number): number => RETRY_DELAY_MS * attemptsMade * scale;

/** The wait after the n-th throttle or system failure in a row (n from 0): 1 s, 2 s, 4 s … 5 min. */
export const backoffMs = (requeues: number, scale: number): number =>
  Math.min(BACKOFF_MIN_MS * 2 ** Math.min(requeues, 20), BACKOFF_MAX_MS) * scale;

/** True when the event is older than its maximum age at `at`. */
export const tooOld = (enqueuedAt: number, at: number, p: EffectivePolicy): boolean => at - enqueuedAt > p.maxAgeMs;

export type Decision = { action: 'retry'; runAt: number } | { action: 'fail'; condition: FailureCondition; reason: string };

/**
 * After a function error. `attemptsMade` includes the run that just failed. Like Lambda, an event whose next retry
 * would come after its maximum age fails at once with EventAgeExceeded (oracle test_maxeventage: age 60 s, retry
 * delay 60 s → the record arrives before 60 s with approximateInvokeCount 1).
 */
export function afterFunctionError(attemptsMade: number, enqueuedAt: number, now: number, p: EffectivePolicy, scale: number): Decision {
  if (attemptsMade > p.maxRetryAttempts) {
    return { action: 'fail', condition: 'RetriesExhausted', reason: `The function failed ${attemptsMade} time${attemptsMade === 1 ? '' : 's'} (MaximumRetryAttempts ${p.maxRetryAttempts}).` };
  }
  const runAt = now + retryDelayMs(attemptsMade, scale);
  if (tooOld(enqueuedAt, runAt, p)) return { action: 'fail', condition: 'EventAgeExceeded', reason: ageReason(p, scale) };
  return { action: 'retry', runAt };
}

/** After a throttle or a system failure: back to the queue with a growing backoff, no attempt used. */
export function afterRequeue(requeues: number, enqueuedAt: number, now: number, p: EffectivePolicy, scale: number): Decision {
  const runAt = now + backoffMs(requeues, scale);
  if (tooOld(enqueuedAt, runAt, p)) return { action: 'fail', condition: 'EventAgeExceeded', reason: ageReason(p, scale) };
  return { action: 'retry', runAt };
}

export function ageReason(p: EffectivePolicy, scale: number): string {
  const seconds = Math.round(p.maxAgeMs / 1000 / (scale || 1));
  return `The event is older than MaximumEventAgeInSeconds (${seconds} s${scale === 1 ? '' : `, × time scale ${scale}`}).`;
}
