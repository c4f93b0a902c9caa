// X-Ray trace ids for invocations: Lambda gives every invocation one (`_X_AMZN_TRACE_ID`, the runtime API's
// Lambda-Runtime-Trace-Id), taking the caller's X-Amzn-Trace-Id when there is one.
import { randomFillSync } from 'node:crypto';

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
