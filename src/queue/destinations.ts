// Delivering a record to an OnSuccess/OnFailure destination, or an event to a dead-letter queue. Nothing goes out
// before the event's own outcome commits: a Lambda target gets the record as a new Event, an SQS queue or SNS topic
// a delivery job, and either is enqueued in the same transaction as the outcome. EventBridge and S3 are recorded as
// undeliverable.
//
// A delivery job is a row of the event queue like any other, so it is as durable as the event it comes from: the
// poller sends it after the commit (a crash before the send leaves it queued, so it goes at least once), a send that
// fails goes back to the queue with a growing backoff (off the poller's hot path), and one that keeps failing is kept
// as a failed event of the same function, with its reason and what it carried; a redrive sends it again. The job
// is marked by its qualifier (`#OnSuccess`, `#OnFailure`, `#DeadLetterQueue`), which no Invoke can carry: Lambda's
// qualifier pattern has no `#`. The delivery recorded on the original event reads `delivered` with the job's
// request id, as for a Lambda destination: handed to the queue that delivers it.
import { lineageKey, nextHop } from '../invoke/trace.js';
import { newRequestId } from '../core/ids.js';
import type { Account } from '../core/names.js';
import type { Store } from '../store/types.js';
import { parseAwsTarget, type OutboundMessage } from './aws-delivery.js';
import { jsonValue } from './records.js';
import type { AsyncEvent, Delivery } from './types.js';

const LAMBDA_ARN = /^arn:aws[a-zA-Z0-9-]*:lambda:([a-z0-9-]+):(\d{12}):function:([a-zA-Z0-9_-]+)(?::(\$LATEST|[a-zA-Z0-9_-]+))?$/;

const SERVICE_NAMES: Record<string, string> = { sqs: 'Amazon SQS', sns: 'Amazon SNS', events: 'Amazon EventBridge', s3: 'Amazon S3' };

/** Lambda truncates a dead-letter message's ErrorMessage attribute to 1 KB. */
const DLQ_ERROR_MESSAGE_BYTES = 1024;

export interface Planned {
  delivery: Delivery;
  /** The Event carrying the record to a Lambda destination, or the delivery job for SQS/SNS: enqueued with the event's own outcome. */
  then?: AsyncEvent;
}

/** What a delivery job's payload holds: everything needed to send it again, even after a redrive. */
export interface DeliveryJob {
  Kind: Delivery['kind'];
  Target: string;
  /** The request id of the event whose record (or payload) this carries. */
  SourceRequestId: string;
  Body: string;
  MessageAttributes?: OutboundMessage['attributes'];
}

const JOB_MARK = '#';

/** True for a delivery job (never for an event an Invoke enqueued). */
export const isDeliveryJob = (ev: AsyncEvent): boolean => ev.qualifier?.startsWith(JOB_MARK) === true;

export function readDeliveryJob(ev: AsyncEvent): DeliveryJob {
  const job = JSON.parse(ev.payload.toString('utf8')) as DeliveryJob;
  if (typeof job.Target !== 'string' || typeof job.Body !== 'string') throw new Error(`the delivery job ${ev.requestId} is malformed`);
  return job;
}

/** What a job carried, as the failed-events API shows it: the record itself, or the dead-letter message. */
export function carried(job: DeliveryJob): unknown {
  return job.Kind === 'DeadLetterQueue' ? { Body: job.Body, MessageAttributes: job.MessageAttributes ?? {} } : jsonValue(Buffer.from(job.Body));
}

/**
 * Plans the delivery of `body` (a destination record, or for a dead-letter queue the message from
 * records.deadLetterMessage) about `source` to `target`; nothing is sent until the caller commits `then`.
 */
export async function planDelivery(kind: Delivery['kind'], target: string, body: unknown, source: AsyncEvent, { store, account }: { store: Store; account: Account }): Promise<Planned> {
  const service = target.split(':')[2] ?? '';
  if (kind === 'DeadLetterQueue' && service !== 'sqs' && service !== 'sns') {
    return { delivery: { kind, target, status: 'failed', reason: 'A dead-letter queue must be an Amazon SQS queue or an Amazon SNS topic.' } };
  }
  if (service === 'lambda') {
    const m = LAMBDA_ARN.exec(target);
    if (!m) return { delivery: { kind, target, status: 'failed', reason: `${target} is not a Lambda function ARN.` } };
    const [, region, accountId, name, qualifier] = m;
    if (region !== account.region || accountId !== account.accountId) {
      return { delivery: { kind, target, status: 'failed', reason: `The function is in another account or region than this Alonzo (${account.accountId}, ${account.region}).` } };
    }
    if (!(await store.getFunction(name))) return { delivery: { kind, target, status: 'failed', reason: `Function not found: ${target}` } };
    const requestId = newRequestId();
    // The chain goes on: the destination's run is one more hop in the source's lineage (recursive loop detection).
    const traceId = nextHop(source.traceId, lineageKey(accountId, name)).traceId;
    const then: AsyncEvent = { requestId, accountId: source.accountId, functionName: name, payload: Buffer.from(JSON.stringify(body)), traceId };
    if (qualifier !== undefined) then.qualifier = qualifier;
    return { delivery: { kind, target, status: 'delivered', requestId }, then };
  }
  if (service === 'sqs' || service === 'sns') return planSend(kind, target, body, source);
  const what = SERVICE_NAMES[service] ?? `the '${service}' service`;
  return {
    delivery: {
      kind,
      target,
      status: 'failed',
      reason: `Alonzo cannot deliver to ${what} yet (Lambda functions, Amazon SQS queues and Amazon SNS topics are delivered); the record is kept here instead.`,
    },
  };
}

function planSend(kind: Delivery['kind'], target: string, body: unknown, source: AsyncEvent): Planned {
  const dlq = kind === 'DeadLetterQueue' ? deadLetter(body) : undefined;
  const t = parseAwsTarget(target);
  const failed = (reason: string): Planned => ({ delivery: { kind, target, status: 'failed', reason, ...(dlq && { message: dlq }) } });
  if (!t) return failed(`${target} is not a valid ${SERVICE_NAMES[target.split(':')[2]]} ARN.`);
  // As Lambda: a FIFO queue or topic needs a message group, which a destination never has.
  if (t.fifo) return failed(`Lambda does not deliver to FIFO ${t.service === 'sqs' ? 'queues' : 'topics'} (${target}).`);
  const job: DeliveryJob = dlq
    ? { Kind: kind, Target: target, SourceRequestId: source.requestId, Body: dlq.Body, MessageAttributes: dlq.MessageAttributes }
    : { Kind: kind, Target: target, SourceRequestId: source.requestId, Body: JSON.stringify(body) };
  const requestId = newRequestId();
  const then: AsyncEvent = { requestId, accountId: source.accountId, functionName: source.functionName, qualifier: `${JOB_MARK}${kind}`, payload: Buffer.from(JSON.stringify(job)) };
  return { delivery: { kind, target, status: 'delivered', requestId, ...(dlq && { message: dlq }) }, then };
}

/** The dead-letter message with its ErrorMessage cut to 1 KB (on a character boundary), as Lambda sends it. */
function deadLetter(body: unknown): { Body: string; MessageAttributes: NonNullable<OutboundMessage['attributes']> } {
  const m = body as { Body: string; MessageAttributes: NonNullable<OutboundMessage['attributes']> };
  const attributes = { ...m.MessageAttributes };
  const error = attributes.ErrorMessage;
  if (error && Buffer.byteLength(error.StringValue) > DLQ_ERROR_MESSAGE_BYTES) {
    const cut = Buffer.from(error.StringValue).subarray(0, DLQ_ERROR_MESSAGE_BYTES).toString('utf8').replace(/\uFFFD+$/, '');
    attributes.ErrorMessage = { ...error, StringValue: cut };
  }
  return { Body: m.Body, MessageAttributes: attributes };
}

/** The message a job sends. */
export const outbound = (job: DeliveryJob): OutboundMessage => ({ target: job.Target, body: job.Body, attributes: job.MessageAttributes });

/** Sends of one delivery job before it is kept as failed: with the queue's backoff (1 s, 2 s, 4 s, 8 s) about 15 s in all. */
export const DELIVERY_SENDS = 5;
