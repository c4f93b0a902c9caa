// X-Ray trace ids for invocations: Lambda gives every invocation one (`_X_AMZN_TRACE_ID`, the runtime API's
// Lambda-Runtime-Trace-Id), taking the caller's X-Amzn-Trace-Id when there is one.
import { randomBytes } from 'node:crypto';

/** `Root=1-<epoch seconds, 8 hex>-<24 hex>;Parent=<16 hex>;Sampled=0`, the form of an untraced (PassThrough) invocation. */
export function newTraceId(nowMs = Date.now()): string {
  const r = randomBytes(20).toString('hex');
  const epoch = Math.floor(nowMs / 1000).toString(16).padStart(8, '0');
  return `Root=1-${epoch}-${r.slice(0, 24)};Parent=${r.slice(24, 40)};Sampled=0`;
}
