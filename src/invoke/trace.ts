// X-Ray trace ids for invocations: Lambda gives every invocation one (`_X_AMZN_TRACE_ID`, the runtime API's
// Lambda-Runtime-Trace-Id), taking the caller's X-Amzn-Trace-Id when there is one.
import { createHash, randomFillSync } from 'node:crypto';

/** Random bytes are drawn 4 KiB at a time: one randomBytes(20) call per invoke cost ~4% of the server's time. */
const POOL = Buffer.alloc(4096);
let used = POOL.length;

function randomHex(bytes: number): string {
  if (used + bytes > POOL.length) {
    randomFillSync(POOL);
    used = 0;
  }
  const hex = POOL.toString('hex', used, used + bytes);
  used += bytes;
  return hex;
}

/** `Root=1-<epoch seconds, 8 hex>-<24 hex>;Parent=<16 hex>;Sampled=0`, the form of an untraced (PassThrough) invocation. */
export function newTraceId(nowMs = Date.now()): string {
  const r = randomHex(20);
  const epoch = Math.floor(nowMs / 1000).toString(16).padStart(8, '0');
  return `Root=1-${epoch}-${r.slice(0, 24)};Parent=${r.slice(24, 40)};Sampled=0`;
}

/**
 * Recursive loop detection, as Lambda does it: a chain of invocations carries, in its trace header, how often each
 * function has been invoked along it (`Lineage=<function hash>:<count>,…`, Alonzo's own encoding of the field AWS adds).
 * The AWS SDKs running in a function forward `_X_AMZN_TRACE_ID` as the X-Amzn-Trace-Id of every call they make (their
 * recursion-detection middleware), and Event destinations carry it on, so a function invoking itself, or a ring of
 * functions, shows a growing count. Lambda stops the invocation that would be a function's 17th in one chain.
 */
export const MAX_RECURSION = 16;
/** At most this many functions are tracked in one chain (the most invoked kept): a header stays small. */
const MAX_LINEAGE = 32;
// Commas separate the entries: botocore percent-encodes the header it forwards except for -=;:+&[]{}"',.
const FIELD = /^[A-Za-z]+=[A-Za-z0-9\-:,]{0,600}$/;

/** An eight-hex-digit name for a function in a lineage (its account and name): short, and not its name. */
export function lineageKey(accountId: string, functionName: string): string {
  // Asked on every invoke: hashed once per function (a bounded memo, cleared when full).
  const name = `${accountId}/${functionName}`;
  let key = lineageKeys.get(name);
  if (key === undefined) {
    if (lineageKeys.size >= 10_000) lineageKeys.clear();
    lineageKeys.set(name, (key = createHash('sha256').update(name).digest('hex').slice(0, 8)));
  }
  return key;
}
const lineageKeys = new Map<string, string>();

/**
 * The trace header an invocation of the function `key` runs under, and how many times (this one included) the
 * function has been invoked in the chain: the caller's header with the count raised, or a new trace. A header that is
 * not a trace header (or a Lineage that is not ours) starts afresh: what a caller sends only ever concerns its own call.
 */
export function nextHop(incoming: string | undefined, key: string, nowMs?: number): { traceId: string; count: number } {
  const fields = (incoming ?? '').split(';').filter((f) => f !== '' && FIELD.test(f));
  const root = fields.find((f) => f.startsWith('Root=1-'));
  const base = root ? fields.filter((f) => !f.startsWith('Lineage=')) : newTraceId(nowMs).split(';');
  const counts = new Map<string, number>();
  const lineage = root ? fields.find((f) => f.startsWith('Lineage=')) : undefined;
  for (const entry of lineage?.slice('Lineage='.length).split(',') ?? []) {
    const m = /^([0-9a-f]{8}):(\d{1,4})$/.exec(entry);
    if (m) counts.set(m[1], Number(m[2]));
  }
  const count = (counts.get(key) ?? 0) + 1;
  counts.set(key, count);
  const kept = [...counts].sort((a, b) => b[1] - a[1]).slice(0, MAX_LINEAGE);
  return { traceId: [...base, `Lineage=${kept.map(([k, n]) => `${k}:${n}`).join(',')}`].join(';'), count };
}

/** How many times the function `key` has been invoked in the chain a trace header carries (0: never, or no lineage). */
export function hopsOf(traceId: string | undefined, key: string): number {
  const lineage = traceId?.split(';').find((f) => f.startsWith('Lineage='));
  const m = lineage && new RegExp(`(?:=|,)${key}:(\\d+)`).exec(lineage);
  return m ? Number(m[1]) : 0;
}
