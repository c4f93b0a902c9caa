// The CloudWatch Logs API over function logs (JSON 1.1, `X-Amz-Target: Logs_20140328.<Operation>`, SigV4 for `logs`):
// DescribeLogGroups, DescribeLogStreams, GetLogEvents and FilterLogEvents, what the AWS CLI (`aws logs tail --follow`,
// `filter-log-events`, `get-log-events`), boto3 and the SDKs call to read a function's logs.
//
// A log group is a function's LoggingConfig.LogGroup (`/aws/lambda/<name>` unless set), in the caller's account only;
// its streams and events are the function's stored log read through its index (log-events.ts). Read-only: there is no
// PutLogEvents, CreateLogGroup or retention here (functions write their logs by running).
import { readCappedBody } from '../core/http-body.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ServiceError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { Authenticator, Principal } from '../auth/index.js';
import type { Store, VersionRecord } from '../store/types.js';
import { logKey, type LogStore } from '../runtime/log-sink.js';
import { readEvents, type LogEvent, type StreamInfo } from './log-events.js';
import { invalidValue, LOGS_ERRORS, LogsError, logsErr, sendLogsError, sendLogsJson } from './logs-errors.js';

export const TARGET_PREFIX = 'Logs_20140328.';
/** CloudWatch Logs takes requests of up to 1 MB; these reads need a few hundred bytes. */
const BODY_LIMIT = 1 << 20;
/** FilterLogEvents and GetLogEvents answer at most 1 MB of events per call, as CloudWatch does. */
const RESPONSE_BYTES = 1 << 20;

export interface LogsApiDeps {
  store: Store;
  logs: LogStore;
  auth: Authenticator;
  /** The server's own account: its functions' log keys carry no account (runtime/log-sink.ts logKey). */
  accountId: string;
  region: string;
  log: Logger;
  /** Hands the observer's waiting index lines to the log store (observer.ts flushIndex). */
  flushIndex?: () => void;
}

type Body = Record<string, unknown>;

interface Group {
  name: string;
  creationTime: number;
  /** The functions logging to this group (usually one). */
  keys: string[];
}

const isLogsTarget = (target: unknown): target is string => typeof target === 'string' && target.startsWith(TARGET_PREFIX);

/** Whether a request is for this API: a POST to `/` naming a CloudWatch Logs operation. */
export function isLogsRequest(req: IncomingMessage, path: string): boolean {
  return path === '/' && isLogsTarget(req.headers['x-amz-target']);
}

// ---- parameters, checked as CloudWatch Logs' model checks them ----

function str(b: Body, field: string, opts: { min?: number; max?: number } = {}): string | undefined {
  const v = b[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw logsErr('SerializationException', `STRING_VALUE can not be converted to ${field}`);
  if (opts.min !== undefined && v.length < opts.min) throw invalidValue(v, field, `Member must have length greater than or equal to ${opts.min}`);
  if (opts.max !== undefined && v.length > opts.max) throw invalidValue(v, field, `Member must have length less than or equal to ${opts.max}`);
  return v;
}

function int(b: Body, field: string, min: number, max: number): number | undefined {
  const v = b[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw logsErr('SerializationException', `NUMBER_VALUE can not be converted to ${field}`);
  if (v < min) throw invalidValue(v, field, `Member must have value greater than or equal to ${min}`);
  if (v > max) throw invalidValue(v, field, `Member must have value less than or equal to ${max}`);
  return v;
}

function bool(b: Body, field: string): boolean | undefined {
  const v = b[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw logsErr('SerializationException', `${field} must be a boolean`);
  return v;
}

function strList(b: Body, field: string, max: number): string[] | undefined {
  const v = b[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw logsErr('SerializationException', `${field} must be a list of strings`);
  if (v.length < 1) throw invalidValue(`[]`, field, 'Member must have length greater than or equal to 1');
  if (v.length > max) throw invalidValue(`[${v.join(', ')}]`, field, `Member must have length less than or equal to ${max}`);
  return v as string[];
}

/** Opaque page tokens: the position to continue from, base64url so that clients pass them back untouched. */
const token = (s: string): string => Buffer.from(s).toString('base64url');
function untoken(b: Body, field = 'nextToken'): string | undefined {
  const t = str(b, field, { min: 1 });
  if (t === undefined) return undefined;
  const s = Buffer.from(t, 'base64url').toString('utf8');
  if (!s || token(s) !== t) throw logsErr('InvalidParameterException', 'The specified nextToken is invalid.');
  return s;
}

// ---- filter patterns: plain terms ----

/**
 * CloudWatch's plain-term patterns: every bare term (or "quoted phrase") must appear, at least one `?term` when any
 * is given, no `-term`; case-sensitive. JSON (`{ … }`) and space-delimited (`[ … ]`) patterns are not served.
 */
export function compilePattern(pattern: string | undefined): (message: string) => boolean {
  const p = (pattern ?? '').trim();
  if (p === '') return () => true;
  if (p.startsWith('{') || p.startsWith('[')) {
    throw logsErr('InvalidParameterException', 'Alonzo supports plain terms in filterPattern ("term", "?term", "-term", "a quoted phrase"); JSON and space-delimited patterns are not supported.');
  }
  const all: string[] = [];
  const any: string[] = [];
  const none: string[] = [];
  const re = /([?-]?)(?:"((?:[^"\\]|\\.)*)"|(\S+))/g;
  for (const m of p.matchAll(re)) {
    const term = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3];
    if (term === '') continue;
    (m[1] === '?' ? any : m[1] === '-' ? none : all).push(term);
  }
  return (msg) => all.every((t) => msg.includes(t)) && (any.length === 0 || any.some((t) => msg.includes(t))) && !none.some((t) => msg.includes(t));
}

// ---- the API ----

export class LogsApi {
  constructor(private readonly d: LogsApiDeps) {}

  /** Answers one request, its errors included (never throws); says which operation and principal, for the access log. */
  async handle(req: IncomingMessage, res: ServerResponse, ctx: { requestId: string; path: string; rawQuery: string }): Promise<{ operation: string; principal?: Principal }> {
    const target = String(req.headers['x-amz-target']);
    const operation = target.slice(TARGET_PREFIX.length);
    let principal: Principal | undefined;
    try {
      this.d.auth.admit(req.headers, ctx.rawQuery);
      const { body } = await readCappedBody(req, BODY_LIMIT);
      if (body === undefined) throw logsErr('InvalidParameterException', `Request must be smaller than ${BODY_LIMIT} bytes`);
      principal = await this.d.auth.authenticate({ method: req.method ?? 'POST', rawPath: ctx.path, rawQuery: ctx.rawQuery, headers: req.headers, body }, 'logs');
      if (req.method !== 'POST') throw logsErr('UnknownOperationException', '');
      const op = this.ops[operation as keyof LogsApi['ops']];
      if (!op) throw logsErr('UnknownOperationException', '');
      let input: unknown;
      try {
        input = body.length ? JSON.parse(body.toString('utf8')) : {};
      } catch {
        throw logsErr('SerializationException', '');
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input)) throw logsErr('SerializationException', '');
      const out = await op(principal, input as Body);
      sendLogsJson(res, ctx.requestId, 200, out);
    } catch (e) {
      sendLogsError(res, ctx.requestId, this.asLogsError(e, ctx.requestId));
    }
    return { operation, principal };
  }

  private asLogsError(e: unknown, requestId: string): LogsError {
    if (e instanceof LogsError) return e;
    if (e instanceof ServiceError && e.code in LOGS_ERRORS) return logsErr(e.code as keyof typeof LOGS_ERRORS, e.message);
    if (e instanceof ServiceError && e.code === 'IncompleteSignatureException') return logsErr('InvalidSignatureException', e.message);
    if (e instanceof ServiceError && e.code === 'ExpiredTokenException') return logsErr('UnrecognizedClientException', e.message);
    this.d.log.error('api:internal-error', { requestId, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    return logsErr('ServiceUnavailableException', 'An internal error occurred. See the Alonzo server log for the request id.');
  }

  private groupArn(accountId: string, name: string): string {
    return `arn:aws:logs:${this.d.region}:${accountId}:log-group:${name}`;
  }

  private authorize(p: Principal, action: string, resource: string): void {
    this.d.auth.authorizeAction(p, `logs:${action}`, () => resource);
  }

  /** The caller's account's log groups, by name: one per LoggingConfig.LogGroup among its functions. */
  private async groups(accountId: string): Promise<Map<string, Group>> {
    const store = accountId === this.d.accountId ? this.d.store : this.d.store.forAccount(accountId);
    const other = accountId === this.d.accountId ? undefined : accountId;
    const out = new Map<string, Group>();
    let marker: string | undefined;
    do {
      const page = await store.listFunctions({ marker, limit: 1000, allVersions: false });
      for (const v of page.items as VersionRecord[]) {
        const name = v.settings.LoggingConfig?.LogGroup ?? `/aws/lambda/${v.functionName}`;
        const fn = await store.getFunction(v.functionName);
        const created = fn ? Date.parse(fn.createdAt) : Date.parse(v.lastModified.replace('+0000', 'Z'));
        const g = out.get(name);
        if (g) {
          g.keys.push(logKey(other, v.functionName));
          g.creationTime = Math.min(g.creationTime, created);
        } else out.set(name, { name, creationTime: created, keys: [logKey(other, v.functionName)] });
      }
      marker = page.nextMarker;
    } while (marker);
    return out;
  }

  /** The group a request names (logGroupName or logGroupIdentifier, a name or an ARN), in the caller's account. */
  private async group(p: Principal, b: Body, action: string): Promise<Group> {
    const name = str(b, 'logGroupName', { min: 1, max: 512 });
    const ident = str(b, 'logGroupIdentifier', { min: 1, max: 2048 });
    if (name !== undefined && ident !== undefined) throw logsErr('InvalidParameterException', 'LogGroup name and LogGroup ARN are mutually exclusive parameters.');
    if (name === undefined && ident === undefined) throw logsErr('InvalidParameterException', 'Either logGroupName or logGroupIdentifier must be specified.');
    let groupName = (name ?? ident)!;
    const arn = /^arn:[^:]+:logs:([^:]*):(\d{12}):log-group:([^:]+)(?::\*)?$/.exec(groupName);
    if (ident !== undefined && arn) {
      // Another account's group, or another region's, is not there for this caller.
      if (arn[2] !== p.accountId || arn[1] !== this.d.region) throw logsErr('ResourceNotFoundException', 'The specified log group does not exist.');
      groupName = arn[3];
    }
    this.authorize(p, action, `${this.groupArn(p.accountId, groupName)}:*`);
    const g = (await this.groups(p.accountId)).get(groupName);
    if (!g) throw logsErr('ResourceNotFoundException', 'The specified log group does not exist.');
    return g;
  }

  private async events(g: Group): Promise<{ events: LogEvent[]; streams: Map<string, StreamInfo> }> {
    if (g.keys.length === 1) return readEvents(this.d.logs, g.keys[0], this.d.flushIndex);
    const all = await Promise.all(g.keys.map((k) => readEvents(this.d.logs, k, this.d.flushIndex)));
    const events = all.flatMap((a) => a.events).sort((a, b) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
    const streams = new Map<string, StreamInfo>();
    for (const a of all) for (const [k, s] of a.streams) streams.set(k, s);
    return { events, streams };
  }

  private readonly ops = {
    DescribeLogGroups: async (p: Principal, b: Body) => {
      this.authorize(p, 'DescribeLogGroups', `arn:aws:logs:${this.d.region}:${p.accountId}:log-group:*`);
      const prefix = str(b, 'logGroupNamePrefix', { min: 1, max: 512 });
      const pattern = str(b, 'logGroupNamePattern', { min: 0, max: 512 });
      if (prefix !== undefined && pattern !== undefined) throw logsErr('InvalidParameterException', 'LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.');
      const limit = int(b, 'limit', 1, 50) ?? 50;
      const after = untoken(b);
      const needle = pattern?.toLowerCase();
      const names = [...(await this.groups(p.accountId)).values()]
        .filter((g) => (prefix === undefined || g.name.startsWith(prefix)) && (needle === undefined || g.name.toLowerCase().includes(needle)))
        .filter((g) => after === undefined || g.name > after)
        .sort((a, c) => (a.name < c.name ? -1 : 1));
      const page = names.slice(0, limit);
      const out: Body = {
        logGroups: page.map((g) => ({
          logGroupName: g.name,
          creationTime: g.creationTime,
          metricFilterCount: 0,
          arn: `${this.groupArn(p.accountId, g.name)}:*`,
          storedBytes: 0,
          logGroupClass: 'STANDARD',
          logGroupArn: this.groupArn(p.accountId, g.name),
        })),
      };
      if (names.length > limit) out.nextToken = token(page[page.length - 1].name);
      return out;
    },

    DescribeLogStreams: async (p: Principal, b: Body) => {
      const prefix = str(b, 'logStreamNamePrefix', { min: 1, max: 512 });
      const orderBy = str(b, 'orderBy');
      if (orderBy !== undefined && orderBy !== 'LogStreamName' && orderBy !== 'LastEventTime') throw invalidValue(orderBy, 'orderBy', 'Member must satisfy enum value set: [LogStreamName, LastEventTime]');
      const descending = bool(b, 'descending') ?? false;
      const limit = int(b, 'limit', 1, 50) ?? 50;
      const after = untoken(b);
      if (prefix !== undefined && orderBy === 'LastEventTime') throw logsErr('InvalidParameterException', 'Cannot order by LastEventTime with a logStreamNamePrefix.');
      const g = await this.group(p, b, 'DescribeLogStreams');
      const { streams } = await this.events(g);
      const list = [...streams.values()].filter((s) => prefix === undefined || s.name.startsWith(prefix));
      const key = (s: StreamInfo) => (orderBy === 'LastEventTime' ? `${String(s.lastEventTimestamp).padStart(16, '0')}${s.name}` : s.name);
      list.sort((a, c) => (key(a) < key(c) ? -1 : key(a) > key(c) ? 1 : 0));
      if (descending) list.reverse();
      const from = after === undefined ? 0 : Number(after);
      if (!Number.isSafeInteger(from) || from < 0) throw logsErr('InvalidParameterException', 'The specified nextToken is invalid.');
      const page = list.slice(from, from + limit);
      const out: Body = {
        logStreams: page.map((s) => ({
          logStreamName: s.name,
          creationTime: s.firstEventTimestamp,
          firstEventTimestamp: s.firstEventTimestamp,
          lastEventTimestamp: s.lastEventTimestamp,
          lastIngestionTime: s.lastIngestionTime,
          uploadSequenceToken: '0',
          arn: `${this.groupArn(p.accountId, g.name)}:log-stream:${s.name}`,
          storedBytes: 0,
        })),
      };
      if (list.length > from + limit) out.nextToken = token(String(from + limit));
      return out;
    },

    GetLogEvents: async (p: Principal, b: Body) => {
      const streamName = str(b, 'logStreamName', { min: 1, max: 512 });
      if (streamName === undefined) throw invalidValue('null', 'logStreamName', 'Member must not be null');
      const startTime = int(b, 'startTime', 0, Number.MAX_SAFE_INTEGER);
      const endTime = int(b, 'endTime', 0, Number.MAX_SAFE_INTEGER);
      const limit = int(b, 'limit', 1, 10_000) ?? 10_000;
      const startFromHead = bool(b, 'startFromHead') ?? false;
      const raw = str(b, 'nextToken', { min: 1 });
      const tok = raw === undefined ? undefined : /^([fb])\/(\d{42})$/.exec(raw);
      if (raw !== undefined && !tok) throw logsErr('InvalidParameterException', 'The specified nextToken is invalid.');
      const g = await this.group(p, b, 'GetLogEvents');
      const { events, streams } = await this.events(g);
      if (!streams.has(streamName)) throw logsErr('ResourceNotFoundException', 'The specified log stream does not exist.');
      const inRange = events.filter((e) => e.stream === streamName && (startTime === undefined || e.timestamp >= startTime) && (endTime === undefined || e.timestamp < endTime));
      let page: LogEvent[];
      let forward: boolean;
      if (tok) {
        forward = tok[1] === 'f';
        const at = tok[2];
        page = forward ? inRange.filter((e) => e.eventId > at).slice(0, limit) : inRange.filter((e) => e.eventId < at).slice(-limit);
      } else {
        forward = startFromHead;
        page = startFromHead ? inRange.slice(0, limit) : inRange.slice(-limit);
      }
      page = capBytes(page, forward);
      // With nothing (new) to give, the tokens stay where they were: a client that follows nextForwardToken stops.
      const first = page[0]?.eventId ?? tok?.[2] ?? (startFromHead ? '0'.repeat(42) : (inRange[inRange.length - 1]?.eventId ?? '0'.repeat(42)));
      const last = page[page.length - 1]?.eventId ?? tok?.[2] ?? first;
      return {
        events: page.map((e) => ({ timestamp: e.timestamp, message: e.message, ingestionTime: e.ingestionTime })),
        nextForwardToken: `f/${last}`,
        nextBackwardToken: `b/${first}`,
      };
    },

    FilterLogEvents: async (p: Principal, b: Body) => {
      const names = strList(b, 'logStreamNames', 100);
      const prefix = str(b, 'logStreamNamePrefix', { min: 1, max: 512 });
      if (names !== undefined && prefix !== undefined) throw logsErr('InvalidParameterException', 'logStreamNames and logStreamNamePrefix are mutually exclusive parameters.');
      const startTime = int(b, 'startTime', 0, Number.MAX_SAFE_INTEGER);
      const endTime = int(b, 'endTime', 0, Number.MAX_SAFE_INTEGER);
      const limit = int(b, 'limit', 1, 10_000) ?? 10_000;
      const match = compilePattern(str(b, 'filterPattern', { min: 0, max: 1024 }));
      const after = untoken(b);
      if (after !== undefined && !/^\d{42}$/.test(after)) throw logsErr('InvalidParameterException', 'The specified nextToken is invalid.');
      const g = await this.group(p, b, 'FilterLogEvents');
      const { events } = await this.events(g);
      const wanted = names && new Set(names);
      const hits = events.filter(
        (e) =>
          (after === undefined || e.eventId > after) &&
          (startTime === undefined || e.timestamp >= startTime) &&
          (endTime === undefined || e.timestamp <= endTime) &&
          (!wanted || wanted.has(e.stream)) &&
          (prefix === undefined || e.stream.startsWith(prefix)) &&
          match(e.message),
      );
      const page = capBytes(hits.slice(0, limit), true);
      const out: Body = {
        events: page.map((e) => ({ logStreamName: e.stream, timestamp: e.timestamp, message: e.message, ingestionTime: e.ingestionTime, eventId: e.eventId })),
        searchedLogStreams: [],
      };
      if (hits.length > page.length) out.nextToken = token(page[page.length - 1].eventId);
      return out;
    },
  };
}

/** At most RESPONSE_BYTES of messages (at least one event): from the start of the page when reading forward, else from its end. */
function capBytes(page: LogEvent[], forward: boolean): LogEvent[] {
  let total = 0;
  if (forward) {
    for (let i = 0; i < page.length; i++) {
      total += page[i].message.length + 26;
      if (total > RESPONSE_BYTES && i > 0) return page.slice(0, i);
    }
    return page;
  }
  for (let i = page.length - 1; i >= 0; i--) {
    total += page[i].message.length + 26;
    if (total > RESPONSE_BYTES && i < page.length - 1) return page.slice(i + 1);
  }
  return page;
}
