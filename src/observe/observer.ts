// What the invoke engine and the async poller tell src/observe/ (invoke/types.ts InvokeObserver, queue/types.ts
// QueueObserver): the log index line that lets the CloudWatch Logs API name streams and times (log-events.ts), and
// the counters /metrics exposes (metrics.ts).
import type { InvokeObserver } from '../invoke/types.js';
import type { AsyncEvent, QueueObserver } from '../queue/types.js';
import type { Outcome } from '../runtime/environment.js';
import type { LogStore } from '../runtime/log-sink.js';
import type { VersionRecord } from '../store/types.js';
import { indexKey, indexLine } from './log-events.js';
import { Metrics } from './metrics.js';

/** How long index lines wait before they go to the log store (a read flushes them first, so it never waits). */
export const INDEX_EVERY_MS = 1000;

export class Observer implements InvokeObserver, QueueObserver {
  readonly metrics = new Metrics();
  /** Index lines not yet appended, by log key. */
  private pendingIndex = new Map<string, string[]>();
  private timer?: NodeJS.Timeout;

  /** Hands the waiting index lines to the log store: before a read of the index, and at shutdown. */
  flushIndex(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    for (const [key, lines] of this.pendingIndex) this.logs.append(indexKey(key), Buffer.from(lines.join('')));
    this.pendingIndex.clear();
  }
  /** Live tails by log key: what each finished invocation's log is handed to. */
  private tails = new Map<string, Set<(text: Buffer) => void>>();

  /** Hands each finished invocation's log of `logKey` to `f` until the returned function is called. */
  tail(logKey: string, f: (text: Buffer) => void): () => void {
    let set = this.tails.get(logKey);
    if (!set) this.tails.set(logKey, (set = new Set()));
    set.add(f);
    return () => {
      set.delete(f);
      if (set.size === 0) this.tails.delete(logKey);
    };
  }

  constructor(
    private readonly logs: LogStore,
    /** The server's own account (async events of it carry no account). */
    private readonly ownAccount: string,
  ) {}

  invoked(accountId: string, v: VersionRecord, requestId: string, stream: string, startedAt: number, outcome: Outcome, logKey: string, logText: Buffer): void {
    const now = Date.now();
    this.metrics.invoked(accountId, v, outcome, now);
    // One short line per invocation, gathered here and appended to the store once a second (and before any read): an
    // append per invocation, a second write of the store's per turn, cost ~70 µs of server CPU per warm invoke.
    let lines = this.pendingIndex.get(logKey);
    if (lines === undefined) this.pendingIndex.set(logKey, (lines = []));
    lines.push(indexLine(requestId, startedAt, now, stream, logText.length, outcome.kind === 'error' ? (outcome.errorType ?? 'error') : 'ok', outcome.durationMs, outcome.initDurationMs));
    if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flushIndex(), INDEX_EVERY_MS);
      this.timer.unref();
    }
    // Someone watches this function's log (the dashboard's live tail).
    if (this.tails.size !== 0) this.tails.get(logKey)?.forEach((f) => f(logText));
  }

  throttled(accountId: string, functionName: string, reason: string): void {
    this.metrics.throttled(accountId, functionName, reason);
  }

  outcome(ev: AsyncEvent, outcome: 'complete' | 'retry' | 'fail', deliveryJob: boolean): void {
    this.metrics.asyncOutcome(ev.accountId ?? this.ownAccount, ev, outcome, deliveryJob);
  }
}
