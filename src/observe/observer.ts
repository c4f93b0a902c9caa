// What the invoke engine tells src/observe/ of each invocation (invoke/types.ts InvokeObserver): the log index line that
// lets the CloudWatch Logs API name streams and times (log-events.ts), and the counters /metrics exposes (metrics.ts).
import type { InvokeObserver } from '../invoke/types.js';
import type { Outcome } from '../runtime/environment.js';
import type { LogStore } from '../runtime/log-sink.js';
import type { VersionRecord } from '../store/types.js';
import { indexKey, indexLine } from './log-events.js';

export class Observer implements InvokeObserver {
  constructor(private readonly logs: LogStore) {}

  invoked(accountId: string, v: VersionRecord, requestId: string, stream: string, startedAt: number, outcome: Outcome, logKey: string, logBytes: number): void {
    // One short line per invocation, batched with the log text by the store (the same write, another key).
    this.logs.append(indexKey(logKey), Buffer.from(indexLine(requestId, startedAt, Date.now(), stream, logBytes)));
  }

  throttled(accountId: string, functionName: string, reason: string): void {}
}
