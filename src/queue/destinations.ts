// Delivering a record to an OnSuccess/OnFailure destination, or an event to a dead-letter queue: Lambda targets are
// handed over as a new Event in the same transaction; SQS, SNS, EventBridge and S3 are recorded as undeliverable.
import { newRequestId } from '../core/ids.js';
import type { Account } from '../core/names.js';
import type { Store } from '../store/types.js';
import type { AsyncEvent, Delivery } from './types.js';

const LAMBDA_ARN = /^arn:aws[a-zA-Z0-9-]*:lambda:([a-z0-9-]+):(\d{12}):function:([a-zA-Z0-9_-]+)(?::(\$LATEST|[a-zA-Z0-9_-]+))?$/;

const SERVICE_NAMES: Record<string, string> = { sqs: 'Amazon SQS', sns: 'Amazon SNS', events: 'Amazon EventBridge', s3: 'Amazon S3' };

export interface Planned {
  delivery: Delivery;
  /** The Event carrying the record to a Lambda destination, to enqueue with the event's own completion. */
  then?: AsyncEvent;
}

/** Plans the delivery of `body` to `target`; nothing is sent until the caller commits `then`. */
export async function planDelivery(kind: Delivery['kind'], target: string, body: unknown, store: Store, account: Account): Promise<Planned> {
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
    const then: AsyncEvent = { requestId, functionName: name, payload: Buffer.from(JSON.stringify(body)) };
    if (qualifier !== undefined) then.qualifier = qualifier;
    return { delivery: { kind, target, status: 'delivered', requestId }, then };
  }
  const what = SERVICE_NAMES[service] ?? `the '${service}' service`;
  return {
    delivery: {
      kind,
      target,
      status: 'failed',
      reason: `Alonzo cannot deliver to ${what} yet (only Lambda function destinations are delivered); the ${kind === 'DeadLetterQueue' ? 'event' : 'record'} is kept here instead.`,
    },
  };
}
