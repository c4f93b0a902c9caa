// The Telemetry API (2022-07-01) and the older Logs API (2020-08-15) for one environment's extensions: subscriptions
// to the platform, function and extension streams, AWS's event records, and delivery by HTTP POST to each
// subscriber's listener (in the environment, on the host's loopback: environments share its network) in batches that
// follow the subscription's buffering (maxItems, maxBytes, timeoutMs), one batch in flight per subscriber, in order.
//
// Events from the start of the environment until init completes are kept (bounded) and replayed to each new
// subscriber, so that an extension subscribing during its init still sees platform.initStart and the function's init
// output, as on Lambda. A subscriber that falls behind loses the oldest undelivered events past its queue bound and
// is told so with platform.logsDropped.
import { request } from 'node:http';
import type { Logger } from '../core/logger.js';

export interface SubscribeAnswer {
  status: number;
  body: unknown;
}

type Stream = 'platform' | 'function' | 'extension';
const STREAMS: readonly Stream[] = ['platform', 'function', 'extension'];
const SCHEMAS = ['2022-07-01', '2022-12-13', '2025-01-29'];
/** The hosts a destination may name: the environment itself (AWS's sandbox.localdomain), reached on loopback. */
const LOCAL_HOSTS = new Set(['sandbox.localdomain', 'sandbox', 'localhost', '127.0.0.1']);
/** AWS's buffering bounds and defaults (the Telemetry API reference). */
const BOUNDS = { maxItems: [1000, 10000, 10000], maxBytes: [262144, 1048576, 262144], timeoutMs: [25, 30000, 1000] } as const;
/** A subscriber's undelivered events are bounded by this many of its batches (oldest dropped past it). */
const QUEUE_BATCHES = 4;
/** The events kept for replay until init completes. */
const BACKLOG_ITEMS = 1000;
const BACKLOG_BYTES = 1024 * 1024;
/** A line of output longer than this becomes several records. */
const MAX_LINE = 256 * 1024;
/** A listener that takes longer than this to answer a batch loses it (the next one is sent). */
const POST_TIMEOUT_MS = 5000;
/** At most this many subscriptions per environment (one per extension, and Lambda allows 10 extensions). */
const MAX_SUBSCRIBERS = 10;
/** The Logs API's END record: the Telemetry API has platform.runtimeDone instead. */
export const LOGS_API_ONLY = 'platform.end';
/** The Logs API's platform records (it predates the Telemetry API's richer ones). */
const LOGS_API_PLATFORM = new Set(['platform.start', 'platform.end', 'platform.report', 'platform.extension', 'platform.logsSubscription', 'platform.logsDropped', 'platform.fault', 'platform.runtimeDone']);

interface Event {
  stream: Stream;
  type: string;
  /** The event as JSON (what a batch carries). */
  json: string;
}

class Subscriber {
  private queue: Event[] = [];
  private bytes = 0;
  private inFlight = false;
  private timer?: NodeJS.Timeout;
  private dropped = { records: 0, bytes: 0 };
  private closed = false;

  constructor(
    readonly extension: string,
    readonly streams: Set<Stream>,
    private readonly buffering: { maxItems: number; maxBytes: number; timeoutMs: number },
    private readonly port: number,
    private readonly path: string,
    readonly logsApi: boolean,
    private readonly log: Logger,
  ) {}

  wants(e: Event): boolean {
    if (!this.streams.has(e.stream)) return false;
    if (e.type === LOGS_API_ONLY) return this.logsApi;
    return !this.logsApi || e.stream !== 'platform' || LOGS_API_PLATFORM.has(e.type);
  }

  add(e: Event): void {
    if (this.closed) return;
    this.queue.push(e);
    this.bytes += e.json.length;
    // Past its bound, the oldest undelivered events go (counted for platform.logsDropped).
    while (this.queue.length > this.buffering.maxItems * QUEUE_BATCHES || this.bytes > this.buffering.maxBytes * QUEUE_BATCHES) {
      const old = this.queue.shift()!;
      this.bytes -= old.json.length;
      this.dropped.records++;
      this.dropped.bytes += old.json.length;
    }
    this.schedule();
  }

  private full(): boolean {
    return this.queue.length >= this.buffering.maxItems || this.bytes >= this.buffering.maxBytes;
  }

  private schedule(): void {
    if (this.inFlight || !this.queue.length) return;
    if (this.full()) return this.send();
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.send();
      }, this.buffering.timeoutMs);
      this.timer.unref();
    }
  }

  /** Sends what is queued now (at most one batch), whatever the buffering. */
  flush(): void {
    if (!this.inFlight && this.queue.length) this.send();
  }

  private send(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.inFlight || !this.queue.length || this.closed) return;
    const batch: string[] = [];
    let size = 0;
    if (this.dropped.records) {
      batch.push(JSON.stringify({ time: new Date().toISOString(), type: 'platform.logsDropped', record: { reason: 'Consumer seems to have fallen behind as it has not acknowledged receipt of logs.', droppedRecords: this.dropped.records, droppedBytes: this.dropped.bytes } }));
      this.dropped = { records: 0, bytes: 0 };
    }
    while (this.queue.length && batch.length < this.buffering.maxItems && (size === 0 || size + this.queue[0].json.length <= this.buffering.maxBytes)) {
      const e = this.queue.shift()!;
      this.bytes -= e.json.length;
      size += e.json.length;
      batch.push(e.json);
    }
    const body = Buffer.from(`[${batch.join(',')}]`);
    this.inFlight = true;
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      this.inFlight = false;
      this.schedule();
    };
    const req = request({ host: '127.0.0.1', port: this.port, path: this.path, method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': body.length }, timeout: POST_TIMEOUT_MS }, (res) => {
      // The answer's body is not wanted: read and dropped, never kept.
      res.resume();
      res.on('end', done);
      res.on('error', done);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', (e) => {
      this.log.debug('telemetry:delivery-failed', { extension: this.extension, error: e.message });
      done();
    });
    req.end(body);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.queue = [];
  }
}

export class Telemetry {
  private subscribers: Subscriber[] = [];
  /** Events since the environment started, replayed to a subscriber that comes during init; dropped after it. */
  private backlog?: Event[] = [];
  private backlogBytes = 0;
  /** Partial lines of output, per source, until their newline arrives. */
  private partial = new Map<string, string>();

  constructor(
    private readonly log: Logger,
    /** The function's LoggingConfig has the JSON format: its output lines are JSON records. */
    private readonly jsonLogs: boolean,
  ) {}

  get active(): boolean {
    return this.subscribers.length > 0 || this.backlog !== undefined;
  }

  /** PUT /2022-07-01/telemetry (or /2020-08-15/logs) from a registered extension. */
  subscribe(extension: string, body: Buffer, logsApi: boolean, closed: boolean): SubscribeAnswer {
    const api = logsApi ? 'Logs' : 'Telemetry';
    if (closed) return { status: 403, body: { errorMessage: `${api} API subscription is closed already`, errorType: `${api}.SubscriptionClosed` } };
    const invalid = (message: string): SubscribeAnswer => ({ status: 400, body: { errorType: 'ValidationError', errorMessage: message } });
    let req: Record<string, any>;
    try {
      req = JSON.parse(body.toString('utf8'));
    } catch (e) {
      return invalid(`Invalid JSON: ${(e as Error).message}`);
    }
    if (!req || typeof req !== 'object' || Array.isArray(req)) return invalid('Invalid JSON: the request is not an object');
    if (!logsApi && !SCHEMAS.includes(req.schemaVersion)) return invalid(`schemaVersion: must be one of ${SCHEMAS.join(', ')}`);
    const types = req.types;
    if (!Array.isArray(types) || types.length === 0 || types.some((t) => !STREAMS.includes(t))) return invalid('types: must be a non-empty list of "platform", "function", "extension"');
    const d = req.destination;
    if (!d || typeof d !== 'object') return invalid('destination: required');
    if (d.protocol !== 'HTTP') return invalid(`Invalid destination: protocol ${JSON.stringify(d.protocol)} is not supported here (HTTP only)`);
    let url: URL;
    try {
      url = new URL(String(d.URI));
    } catch {
      return invalid(`Invalid destination: URI ${JSON.stringify(d.URI)} is not a URL`);
    }
    // Only the environment's own listener: a subscription cannot make the server send requests elsewhere.
    if (url.protocol !== 'http:' || !LOCAL_HOSTS.has(url.hostname) || !url.port) return invalid('Invalid destination: the URI must be http://sandbox.localdomain:PORT/… (a listener in the environment)');
    const b = req.buffering ?? {};
    if (typeof b !== 'object') return invalid('buffering: must be an object');
    const buffering = { maxItems: 0, maxBytes: 0, timeoutMs: 0 };
    for (const k of ['maxItems', 'maxBytes', 'timeoutMs'] as const) {
      const [min, max, dflt] = BOUNDS[k];
      const v = b[k];
      if (v === undefined) buffering[k] = dflt;
      else if (!Number.isInteger(v) || v < min || v > max) return invalid(`buffering.${k}: must be an integer from ${min} to ${max}`);
      else buffering[k] = v;
    }
    if (this.subscribers.length >= MAX_SUBSCRIBERS) return invalid(`At most ${MAX_SUBSCRIBERS} subscriptions per environment`);
    // A second subscription from the same extension replaces its first.
    this.subscribers = this.subscribers.filter((s) => {
      if (s.extension !== extension) return true;
      s.close();
      return false;
    });
    const sub = new Subscriber(extension, new Set(types as Stream[]), buffering, Number(url.port), `${url.pathname}${url.search}`, logsApi, this.log);
    this.subscribers.push(sub);
    for (const e of this.backlog ?? []) if (sub.wants(e)) sub.add(e);
    this.platform(logsApi ? 'platform.logsSubscription' : 'platform.telemetrySubscription', { name: extension, state: 'Subscribed', types });
    return { status: 200, body: 'OK' };
  }

  /** A platform event, with AWS's record for it. */
  platform(type: string, record: Record<string, unknown>): void {
    if (!this.active) return;
    this.emit({ stream: 'platform', type, json: JSON.stringify({ time: new Date().toISOString(), type, record }) });
  }

  /** Output of the function (stream 'function') or of an extension ('extension', keyed by its name): one record per line. */
  output(chunk: Buffer, stream: 'function' | 'extension' = 'function', source = ''): void {
    if (!this.active) return;
    const key = `${stream}\0${source}`;
    let text = (this.partial.get(key) ?? '') + chunk.toString('utf8');
    let nl: number;
    while ((nl = text.indexOf('\n')) >= 0) {
      this.line(stream, text.slice(0, nl));
      text = text.slice(nl + 1);
    }
    while (text.length > MAX_LINE) {
      this.line(stream, text.slice(0, MAX_LINE));
      text = text.slice(MAX_LINE);
    }
    if (text) this.partial.set(key, text);
    else this.partial.delete(key);
  }

  private line(stream: 'function' | 'extension', text: string): void {
    let record: unknown = text;
    if (this.jsonLogs && text.startsWith('{')) {
      try {
        record = JSON.parse(text);
      } catch {
        // not JSON: the text itself
      }
    }
    this.emit({ stream, type: stream, json: JSON.stringify({ time: new Date().toISOString(), type: stream, record }) });
  }

  private emit(e: Event): void {
    if (this.backlog) {
      if (this.backlog.length < BACKLOG_ITEMS && this.backlogBytes + e.json.length <= BACKLOG_BYTES) {
        this.backlog.push(e);
        this.backlogBytes += e.json.length;
      }
    }
    for (const s of this.subscribers) if (s.wants(e)) s.add(e);
  }

  /** Init is complete: no more subscriptions, and nothing more to replay. */
  initDone(): void {
    this.backlog = undefined;
    this.backlogBytes = 0;
  }

  /** Sends every subscriber what it has queued now (before SHUTDOWN). */
  flush(): void {
    for (const s of this.subscribers) s.flush();
  }

  close(): void {
    for (const s of this.subscribers) s.close();
    this.subscribers = [];
    this.backlog = undefined;
    this.partial.clear();
  }
}
