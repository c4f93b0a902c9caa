// The numbers /metrics exposes, in Prometheus' text format (version 0.0.4): counters the engine and the poller bump
// through their observer hooks, and gauges read from the pool, the engine and the queue when a scrape asks.
//
// Cost on the warm path: one WeakMap lookup (the version record the engine already holds), two increments and a walk
// of ≤16 bucket bounds per invocation; no string is built and nothing is allocated once a function has its series.
// Everything else (labels, text, the queue's counts) happens at scrape time.
import type { Outcome } from '../runtime/environment.js';
import type { VersionRecord } from '../store/types.js';
import type { AsyncEvent, QueueStat } from '../queue/types.js';

/** Seconds: from a warm 1 ms invoke to Lambda's 900 s limit. */
export const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];
/** Seconds: cold starts. */
export const INIT_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

class Histogram {
  /** Per bucket (not cumulative: made so when written), plus +Inf last. */
  readonly counts: number[];
  sum = 0;
  count = 0;
  constructor(readonly bounds: number[]) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }
  /** Counts `v`; answers its bucket's index. */
  observe(v: number): number {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > b[i]) i++;
    this.counts[i]++;
    this.sum += v;
    this.count++;
    return i;
  }
}

/** One minute of a function, for the dashboard's charts of the last hour (a ring of 60, reused: nothing allocated). */
interface Minute {
  minute: number;
  invocations: number;
  errors: number;
  throttles: number;
  /** Milliseconds run in this minute, summed: their sum over 60,000 is the average concurrency. */
  busyMs: number;
  buckets: number[];
}

const MINUTES = 60;

function minuteOf(s: FunctionSeries, now: number): Minute {
  const m = Math.floor(now / 60_000);
  const slot = s.minutes[m % MINUTES];
  if (slot.minute !== m) {
    slot.minute = m;
    slot.invocations = slot.errors = slot.throttles = slot.busyMs = 0;
    slot.buckets.fill(0);
  }
  return slot;
}

/** The bound below which a share `q` of the counts lies (the bucket's upper bound, as Prometheus' histogram_quantile, without interpolation). */
function quantile(buckets: number[], q: number): number | null {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  let seen = 0;
  for (let i = 0; i < buckets.length; i++) {
    seen += buckets[i];
    if (seen >= q * total) return i < DURATION_BUCKETS.length ? DURATION_BUCKETS[i] : DURATION_BUCKETS[DURATION_BUCKETS.length - 1];
  }
  return null;
}

/** The last hour of a function, a point per minute (epoch seconds), oldest first: what the dashboard charts. */
export interface HourSeries {
  t: number[];
  invocations: number[];
  errors: number[];
  throttles: number[];
  p50: (number | null)[];
  p99: (number | null)[];
  concurrency: number[];
}

export interface FunctionSeries {
  accountId: string;
  functionName: string;
  success: number;
  error: number;
  duration: Histogram;
  init: Histogram;
  /** Epoch ms of the last invocation, and the error count of the dashboard's recent window (see recent). */
  lastInvokedAt: number;
  minutes: Minute[];
}

/** What the scrape reads besides the counters (the composition root wires them to the pool, engine and queue). */
export interface MetricSources {
  /** Environments of this node: function, account and state of each. */
  environments(): Iterable<{ spec: { functionName: string; accountId: string }; state: string }>;
  /** Invocations running now, per engine key (`name`, or `account\0name` for another account than `ownAccount`). */
  inFlight(): ReadonlyMap<string, number>;
  ownAccount: string;
  queueStats(): Promise<QueueStat[]>;
}

export class Metrics {
  private byVersion = new WeakMap<VersionRecord, FunctionSeries>();
  readonly series = new Map<string, FunctionSeries>();
  /** Throttles by `account\0function\0reason` (a throttle is not the warm path: a key string per throttle is fine). */
  readonly throttles = new Map<string, number>();
  /** Async outcomes by `account\0function\0outcome`, and delivery jobs' by outcome. */
  readonly asyncOutcomes = new Map<string, number>();
  readonly deliveries = { complete: 0, retry: 0, fail: 0 };

  seriesOf(accountId: string, functionName: string): FunctionSeries {
    const key = `${accountId}\u0000${functionName}`;
    let s = this.series.get(key);
    if (!s) {
      const minutes = Array.from({ length: MINUTES }, (): Minute => ({ minute: -1, invocations: 0, errors: 0, throttles: 0, busyMs: 0, buckets: new Array<number>(DURATION_BUCKETS.length + 1).fill(0) }));
      s = { accountId, functionName, success: 0, error: 0, duration: new Histogram(DURATION_BUCKETS), init: new Histogram(INIT_BUCKETS), lastInvokedAt: 0, minutes };
      this.series.set(key, s);
    }
    return s;
  }

  /** On the warm path: see the file's comment. */
  invoked(accountId: string, v: VersionRecord, outcome: Outcome, now: number): void {
    let s = this.byVersion.get(v);
    if (s === undefined) {
      s = this.seriesOf(accountId, v.functionName);
      this.byVersion.set(v, s);
    }
    const m = minuteOf(s, now);
    m.invocations++;
    m.busyMs += outcome.durationMs;
    if (outcome.kind === 'error') {
      s.error++;
      m.errors++;
    } else s.success++;
    m.buckets[s.duration.observe(outcome.durationMs / 1000)]++;
    if (outcome.initDurationMs !== undefined) s.init.observe(outcome.initDurationMs / 1000);
    s.lastInvokedAt = now;
  }

  throttled(accountId: string, functionName: string, reason: string): void {
    const k = `${accountId}\u0000${functionName}\u0000${reason}`;
    this.throttles.set(k, (this.throttles.get(k) ?? 0) + 1);
    minuteOf(this.seriesOf(accountId, functionName), Date.now()).throttles++;
  }

  /** The last hour of one function, a point per minute (zeros where nothing ran). */
  hour(accountId: string, functionName: string, now = Date.now()): HourSeries {
    const s = this.series.get(`${accountId}\u0000${functionName}`);
    const out: HourSeries = { t: [], invocations: [], errors: [], throttles: [], p50: [], p99: [], concurrency: [] };
    const current = Math.floor(now / 60_000);
    for (let m = current - MINUTES + 1; m <= current; m++) {
      const slot = s?.minutes[m % MINUTES];
      const live = slot && slot.minute === m ? slot : undefined;
      out.t.push(m * 60);
      out.invocations.push(live?.invocations ?? 0);
      out.errors.push(live?.errors ?? 0);
      out.throttles.push(live?.throttles ?? 0);
      out.p50.push(live ? quantile(live.buckets, 0.5) : null);
      out.p99.push(live ? quantile(live.buckets, 0.99) : null);
      out.concurrency.push(live ? Number((live.busyMs / 60_000).toFixed(3)) : 0);
    }
    return out;
  }

  asyncOutcome(accountId: string, ev: AsyncEvent, outcome: 'complete' | 'retry' | 'fail', deliveryJob: boolean): void {
    if (deliveryJob) {
      this.deliveries[outcome]++;
      return;
    }
    const k = `${accountId}\u0000${ev.functionName}\u0000${outcome}`;
    this.asyncOutcomes.set(k, (this.asyncOutcomes.get(k) ?? 0) + 1);
  }

  /** The exposition: every family with HELP and TYPE, samples sorted by label for stable output. */
  async render(src: MetricSources, now = Date.now()): Promise<string> {
    const out: string[] = [];
    const family = (name: string, type: string, help: string) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    const series = [...this.series.values()].sort((a, b) => (a.accountId + a.functionName < b.accountId + b.functionName ? -1 : 1));
    const fnLabels = (accountId: string, fn: string) => `function="${esc(fn)}",account="${esc(accountId)}"`;

    family('alonzo_invocations_total', 'counter', 'Invocations that ran on this node, by function and outcome (error: a function or runtime error).');
    for (const s of series) {
      out.push(`alonzo_invocations_total{${fnLabels(s.accountId, s.functionName)},outcome="success"} ${s.success}`);
      out.push(`alonzo_invocations_total{${fnLabels(s.accountId, s.functionName)},outcome="error"} ${s.error}`);
    }
    const histogram = (name: string, help: string, pick: (s: FunctionSeries) => Histogram) => {
      family(name, 'histogram', help);
      for (const s of series) {
        const h = pick(s);
        const l = fnLabels(s.accountId, s.functionName);
        let cum = 0;
        for (let i = 0; i < h.bounds.length; i++) {
          cum += h.counts[i];
          out.push(`${name}_bucket{${l},le="${h.bounds[i]}"} ${cum}`);
        }
        out.push(`${name}_bucket{${l},le="+Inf"} ${h.count}`, `${name}_sum{${l}} ${h.sum}`, `${name}_count{${l}} ${h.count}`);
      }
    };
    histogram('alonzo_invocation_duration_seconds', 'How long invocations ran (the REPORT line\'s Duration).', (s) => s.duration);
    histogram('alonzo_init_duration_seconds', 'Cold starts: how long an environment\'s init took, reported with its first invocation.', (s) => s.init);

    family('alonzo_throttles_total', 'counter', 'Invokes refused with 429, by the Reason Lambda gives.');
    for (const [k, n] of [...this.throttles].sort()) {
      const [account, fn, reason] = k.split('\u0000');
      out.push(`alonzo_throttles_total{${fnLabels(account, fn)},reason="${esc(reason)}"} ${n}`);
    }

    // Destination sends waiting or failed (delivery jobs) are rows of the function whose event they carry: counted there.
    family('alonzo_async_events', 'gauge', 'Events in the async queue, by function and state (queued, running, failed); destination sends included.');
    const events = await src.queueStats();
    for (const q of events) out.push(`alonzo_async_events{${fnLabels(q.accountId ?? src.ownAccount, q.functionName)},state="${q.state}"} ${q.count}`);
    family('alonzo_async_oldest_event_age_seconds', 'gauge', 'Age of the oldest event in each state, by function (queued: how far behind the queue is).');
    for (const q of events) out.push(`alonzo_async_oldest_event_age_seconds{${fnLabels(q.accountId ?? src.ownAccount, q.functionName)},state="${q.state}"} ${Math.max(0, (now - q.oldestEnqueuedAt) / 1000)}`);

    family('alonzo_async_outcomes_total', 'counter', 'Async event runs written by this node: complete (done), retry (back to the queue), fail (failed for good).');
    for (const [k, n] of [...this.asyncOutcomes].sort()) {
      const [account, fn, outcome] = k.split('\u0000');
      out.push(`alonzo_async_outcomes_total{${fnLabels(account, fn)},outcome="${outcome}"} ${n}`);
    }
    family('alonzo_destination_deliveries_total', 'counter', 'Sends to SQS and SNS destinations and dead-letter queues: complete (delivered), retry (to be sent again), fail (given up).');
    for (const o of ['complete', 'retry', 'fail'] as const) out.push(`alonzo_destination_deliveries_total{outcome="${o}"} ${this.deliveries[o]}`);

    family('alonzo_environments', 'gauge', 'Execution environments on this node, by function and state.');
    const envs = new Map<string, number>();
    for (const e of src.environments()) {
      const k = `${e.spec.accountId}\u0000${e.spec.functionName}\u0000${e.state}`;
      envs.set(k, (envs.get(k) ?? 0) + 1);
    }
    for (const [k, n] of [...envs].sort()) {
      const [account, fn, state] = k.split('\u0000');
      out.push(`alonzo_environments{${fnLabels(account, fn)},state="${state}"} ${n}`);
    }

    family('alonzo_concurrent_executions', 'gauge', 'Invocations running on this node now, by function.');
    for (const [k, n] of [...src.inFlight()].sort()) {
      const i = k.indexOf('\u0000');
      const [account, fn] = i === -1 ? [src.ownAccount, k] : [k.slice(0, i), k.slice(i + 1)];
      out.push(`alonzo_concurrent_executions{${fnLabels(account, fn)}} ${n}`);
    }
    return `${out.join('\n')}\n`;
  }
}

/** A label value as the text format wants it: backslash, double quote and line feed escaped. */
const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
