// A function's stored log text seen as CloudWatch Logs sees it: events with timestamps, in Lambda's log streams.
//
// The LogStore keeps each function's finished invocations as text (what `alonzo logs` prints). Next to it, under
// indexKey(key), the observer (observer.ts) appends one short line per invocation: its request id, start and end
// (epoch ms), its environment's log stream, its text's length in bytes, its status and durations. Read together, the
// index cuts the text back into invocations (each ends with its report line, which names its request id) and names
// their streams and times; each line of text becomes an event. Nothing of this runs on the invoke path but the
// observer's gathering of index lines.
import { createHash } from 'node:crypto';
import type { LogStore } from '../runtime/log-sink.js';

/** The key of a function's index next to its log key (a function name has no dot, so it meets no other key). */
export const indexKey = (key: string): string => `${key}.streams`;

/**
 * One index line: `requestId \t startedAt \t endedAt \t stream \t bytes \t status \t durationMs \t initDurationMs \n`;
 * status is `ok` or the error type (`Runtime.ExitError`…), initDurationMs empty when the invocation was warm.
 */
export const indexLine = (requestId: string, startedAt: number, endedAt: number, stream: string, bytes: number, status: string, durationMs: number, initDurationMs: number | undefined): string =>
  `${requestId}\t${startedAt}\t${endedAt}\t${stream}\t${bytes}\t${status}\t${durationMs.toFixed(2)}\t${initDurationMs === undefined ? '' : initDurationMs.toFixed(2)}\n`;

/** How much of a function's log text one read looks at (its newest part): 1 MiB, about 3,000 invocations of 300 bytes. */
export const READ_BYTES = 1 << 20;
/** The index's newest part read with it (lines of ~100 bytes: more invocations than READ_BYTES of text holds). */
const INDEX_BYTES = 512 << 10;

export interface LogEvent {
  stream: string;
  timestamp: number;
  ingestionTime: number;
  message: string;
  /** Digits, the same on every read: fixed-width, so that their order is the events' (time, invocation, line). */
  eventId: string;
}

export interface StreamInfo {
  name: string;
  firstEventTimestamp: number;
  lastEventTimestamp: number;
  lastIngestionTime: number;
  storedBytes: number;
}

export interface IndexEntry {
  requestId: string;
  startedAt: number;
  endedAt: number;
  stream: string;
  bytes: number;
  status: string;
  durationMs: number;
  initDurationMs?: number;
}

const REQUEST_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Lines the Node.js runtime writes begin with their time (`2026-11-29T10:00:00.000Z\t<request id>\tINFO\t…`). */
const ISO_PREFIX = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\t/;
/** The platform's lines: events of their own, never a continuation of the line before. */
const PLATFORM = /^(START|END|REPORT|INIT_START) RequestId: |^\{"time":"[^"]*","type":"platform\./;

function parseIndex(buf: Buffer): IndexEntry[] {
  const out: IndexEntry[] = [];
  // The first line may be cut (the store keeps a key's newest bytes): an entry is taken only when every field parses.
  for (const line of buf.toString('utf8').split('\n')) {
    const f = line.split('\t');
    if (f.length !== 8 || !REQUEST_ID.test(f[0])) continue;
    const [startedAt, endedAt, bytes] = [Number(f[1]), Number(f[2]), Number(f[4])];
    if (!Number.isSafeInteger(startedAt) || !Number.isSafeInteger(endedAt) || !Number.isSafeInteger(bytes) || bytes < 0) continue;
    const e: IndexEntry = { requestId: f[0], startedAt, endedAt, stream: f[3], bytes, status: f[5], durationMs: Number(f[6]) };
    if (f[7] !== '') e.initDurationMs = Number(f[7]);
    out.push(e);
  }
  return out;
}

const digits = (n: number, width: number): string => String(n).padStart(width, '0');

/** 20 decimal digits from the request id: the same invocation always gets the same ones. */
function invocationDigits(requestId: string): string {
  const h = createHash('sha1').update(requestId).digest();
  return digits(h.readUInt32BE(0), 10) + digits(h.readUInt32BE(4), 10);
}

const REPORT = Buffer.from('REPORT RequestId: ');
const PLATFORM_REPORT = Buffer.from('"type":"platform.report"');
const REQUEST_ID_FIELD = Buffer.from('"requestId":"');

/** Each request id's report line's end (the offset just past its newline) in the text: where its invocation ends. */
function reportEnds(text: Buffer): Map<string, number> {
  const ends = new Map<string, number>();
  const lineEnd = (from: number) => {
    const nl = text.indexOf(10, from);
    return nl === -1 ? text.length : nl + 1;
  };
  for (let at = text.indexOf(REPORT); at !== -1; at = text.indexOf(REPORT, at + 1)) {
    const id = text.toString('latin1', at + REPORT.length, at + REPORT.length + 36);
    if (REQUEST_ID.test(id)) ends.set(id, lineEnd(at));
  }
  for (let at = text.indexOf(PLATFORM_REPORT); at !== -1; at = text.indexOf(PLATFORM_REPORT, at + 1)) {
    const stop = lineEnd(at);
    const f = text.indexOf(REQUEST_ID_FIELD, text.lastIndexOf(10, at) + 1);
    if (f === -1 || f > stop) continue;
    const id = text.toString('latin1', f + REQUEST_ID_FIELD.length, f + REQUEST_ID_FIELD.length + 36);
    if (REQUEST_ID.test(id)) ends.set(id, stop);
  }
  return ends;
}

/** One invocation's text as events: a line each, continuation lines of a timestamped line kept with it (a multi-line console.log). */
function eventsOf(e: IndexEntry, text: string, out: LogEvent[]): void {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const inv = invocationDigits(e.requestId);
  let t = e.startedAt;
  let current: LogEvent | undefined;
  let currentStamped = false;
  let n = 0;
  for (const line of lines) {
    const iso = ISO_PREFIX.exec(line);
    const platform = PLATFORM.test(line);
    if (!iso && !platform && current && currentStamped) {
      current.message += `${line}\n`;
      continue;
    }
    if (iso) t = Math.max(t, Math.min(Date.parse(iso[1]), e.endedAt));
    else if (line.startsWith('END RequestId: ') || line.startsWith('REPORT RequestId: ') || line.includes('"type":"platform.report"')) t = Math.max(t, e.endedAt);
    current = { stream: e.stream, timestamp: t, ingestionTime: e.endedAt, message: `${line}\n`, eventId: `${digits(t, 16)}${inv}${digits(n++, 6)}` };
    currentStamped = iso !== null;
    out.push(current);
  }
}

/**
 * The function's invocations whose text is still stored, oldest first, each with its text: each index entry's text
 * ends at its report line and is as long as the entry says.
 */
export async function readInvocations(logs: LogStore, key: string, flush?: () => void, maxBytes = READ_BYTES): Promise<{ e: IndexEntry; text: Buffer }[]> {
  // The waiting index lines first (observer.ts), then the text, then the index: an invocation that ends between the
  // reads is in the index only, and is skipped below (its request id is not in the text).
  flush?.();
  const text = await logs.read(key, maxBytes);
  const index = parseIndex(await logs.read(indexKey(key), INDEX_BYTES));
  // Where each invocation ends: its last line (REPORT, or platform.report) names its request id. Found by id, not by
  // order: in a cluster the nodes' texts and index lines reach the store in different orders (each batches its own).
  const ends = reportEnds(text);
  const out: { e: IndexEntry; text: Buffer }[] = [];
  if (ends.size > 0) {
    for (const e of index) {
      const stop = ends.get(e.requestId);
      if (stop === undefined || e.bytes > stop) continue;
      out.push({ e, text: text.subarray(stop - e.bytes, stop) });
    }
    // Text order is time order per node; across nodes, the start times say.
    return out.sort((a, b) => a.e.startedAt - b.e.startedAt || a.e.endedAt - b.e.endedAt);
  }
  // No report lines (a JSON log whose platform records are filtered out): the text and the index end together.
  let stop = text.length;
  for (let i = index.length - 1; i >= 0; i--) {
    const e = index[i];
    if (e.bytes > stop) break;
    stop -= e.bytes;
    out.push({ e, text: text.subarray(stop, stop + e.bytes) });
  }
  return out.reverse();
}

/** The function's events (its log key's), oldest first; and its streams. */
export async function readEvents(logs: LogStore, key: string, flush?: () => void): Promise<{ events: LogEvent[]; streams: Map<string, StreamInfo> }> {
  const invocations = await readInvocations(logs, key, flush);
  const events: LogEvent[] = [];
  const streams = new Map<string, StreamInfo>();
  for (const { e, text } of invocations) {
    const before = events.length;
    eventsOf(e, text.toString('utf8'), events);
    if (events.length === before) continue;
    let s = streams.get(e.stream);
    if (!s) streams.set(e.stream, (s = { name: e.stream, firstEventTimestamp: events[before].timestamp, lastEventTimestamp: 0, lastIngestionTime: 0, storedBytes: 0 }));
    s.lastEventTimestamp = Math.max(s.lastEventTimestamp, events[events.length - 1].timestamp);
    s.lastIngestionTime = Math.max(s.lastIngestionTime, e.endedAt);
    s.storedBytes += e.bytes;
  }
  // Streams interleave in time (two environments at once): the order CloudWatch gives is time's.
  events.sort((a, b) => (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0));
  return { events, streams };
}
