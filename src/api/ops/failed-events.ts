// Alonzo's own view of a function's failed async events (GET /_alonzo/functions/{fn}/failed-events) and their redrive
// (POST …/failed-events/redrive): every event that failed for good stays readable with its record and deliveries.
import { err } from '../../core/errors.js';
import { functionArn, LATEST } from '../../core/names.js';
import { maxItems, parseJsonBody } from '../body.js';
import { loadFunction, refOf } from '../resolve.js';
import { jsonValue } from '../../queue/records.js';
import type { Operation } from '../context.js';
import type { Delivery, FailedEvent } from '../../queue/types.js';

function renderDelivery(d: Delivery): Record<string, unknown> {
  const out: Record<string, unknown> = { Kind: d.kind, Target: d.target, Status: d.status };
  if (d.reason !== undefined) out.Reason = d.reason;
  if (d.requestId !== undefined) out.RequestId = d.requestId;
  if (d.message !== undefined) out.Message = d.message;
  return out;
}

export const listFailedEvents: Operation = async (s, req) => {
  const ref = refOf(s, req, 'manage');
  const page = await s.asyncInvoke.events.listFailed(ref.name, { marker: req.query.get('Marker') ?? undefined, limit: maxItems(req.query, 100), accountId: s.account.accountId });
  const render = (e: FailedEvent) => ({
    RequestId: e.requestId,
    FunctionArn: functionArn(s.account, e.functionName, e.qualifier ?? LATEST),
    Condition: e.condition,
    Reason: e.reason,
    ApproximateInvokeCount: e.attempts,
    EnqueuedAt: new Date(e.enqueuedAt).toISOString(),
    FailedAt: new Date(e.failedAt).toISOString(),
    Payload: jsonValue(e.payload),
    Record: e.record,
    Deliveries: e.deliveries.map(renderDelivery),
  });
  const out: Record<string, unknown> = { FailedEvents: page.items.map(render) };
  if (page.nextMarker) out.NextMarker = page.nextMarker;
  return { status: 200, json: out };
};

/** Body (optional): `{"RequestIds": ["…"]}` to redrive some; without it every failed event of the function is queued again. */
export const redriveFailedEvents: Operation = async (s, req) => {
  const ref = refOf(s, req, 'manage');
  const body = parseJsonBody(req.body);
  const ids = body.RequestIds;
  if (ids !== undefined && (!Array.isArray(ids) || !ids.every((i) => typeof i === 'string'))) {
    throw err('InvalidParameterValueException', 'RequestIds must be a list of request ids.');
  }
  const redriven = await s.asyncInvoke.events.redrive(ref.name, ids as string[] | undefined, s.account.accountId);
  return { status: 200, json: { Redriven: redriven } };
};

/**
 * The Event invokes of a function (or, without one, of every function of the caller's account) by state: queued,
 * running, failed for good, with the oldest one's enqueue time (GET /_alonzo/events[?FunctionName=NAME]).
 */
export const getEventCounts: Operation = async (s, req) => {
  const name = req.query.get('FunctionName') ?? undefined;
  if (name !== undefined) await loadFunction(s, refOf(s, { ...req, params: { ...req.params, fn: name } }, 'manage'));
  const own = s.config.accountId;
  const rows = (await s.asyncInvoke.events.stats()).filter((x) => (x.accountId ?? own) === s.account.accountId && (name === undefined || x.functionName === name));
  const byFunction = new Map<string, Record<string, number | string>>();
  for (const r of rows) {
    const f = byFunction.get(r.functionName) ?? { FunctionName: r.functionName, Queued: 0, Running: 0, Failed: 0 };
    f[r.state === 'queued' ? 'Queued' : r.state === 'running' ? 'Running' : 'Failed'] = r.count;
    if (r.state === 'queued') f.OldestQueuedAt = new Date(r.oldestEnqueuedAt).toISOString();
    byFunction.set(r.functionName, f);
  }
  if (name !== undefined && !byFunction.has(name)) byFunction.set(name, { FunctionName: name, Queued: 0, Running: 0, Failed: 0 });
  return { status: 200, json: { Functions: [...byFunction.values()].sort((a, b) => String(a.FunctionName).localeCompare(String(b.FunctionName))) } };
};
