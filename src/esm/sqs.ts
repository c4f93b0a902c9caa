// The poller of one SQS mapping: long-polls the queue, batches as the mapping says, runs the function through the
// engine, and deletes what succeeded, as Lambda's SQS pollers do.
//
// - Batching: up to BatchSize messages (ReceiveMessage gives ≤ 10 at a time), gathered for at most
//   MaximumBatchingWindowInSeconds after the first one arrives; with no window, a batch goes as soon as one receive
//   returns messages.
// - Outcome: success deletes the batch; a function error leaves it for the queue's visibility timeout (and so for its
//   redrive policy and dead-letter queue); with ReportBatchItemFailures only the reported messages stay, and an answer
//   that names no valid message fails the whole batch. Filtered-out messages are deleted without an invocation.
// - Throttles (a 429 of the function: reserved or account concurrency) and Alonzo's own failures are retried with a
//   growing backoff while the messages are still invisible; after that they reappear in the queue. Nothing is lost.
// - Scaling: one receiver to start; a full batch adds one, up to ScalingConfig.MaximumConcurrency (else 5) and the
//   function's reserved concurrency; a receiver whose long poll comes back empty leaves while others remain.
// - FIFO queues: SQS hands out a message group's next messages only once the ones in flight are deleted or visible
//   again, so a group is processed one batch at a time, in order, however many receivers run.
import { randomUUID } from 'node:crypto';
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { describeAwsError } from '../core/aws-errors.js';
import { filterViewOfSqs, matchesAny, parsePattern } from './filter.js';
import type { MappingPoller, PollerDeps, PollerTarget } from './types.js';

/** Receivers per mapping when ScalingConfig sets no maximum (Lambda starts with five). */
const DEFAULT_MAX_RECEIVERS = 5;
const MAX_RECEIVE_WAIT_S = 20;
/**
 * A batch stops growing once its messages come near Lambda's 6 MB invocation payload limit (the record's other
 * members are counted at 1 KB each); AWS's pollers cut batches at the same limit.
 */
const BATCH_BYTES = 5_500_000;
const RECORD_OVERHEAD = 1024;
/** Lambda's synchronous invocation payload limit (6 MB), which an event source mapping's events stay under. */
const PAYLOAD_LIMIT = 6_291_456 - 64;

/** The parts of a queue ARN the SDK needs. */
export function parseQueueArn(arn: string): { region: string; accountId: string; name: string } {
  const [, , , region, accountId, name] = arn.split(':');
  return { region, accountId, name };
}

/** The queue's URL, or AWS's message for a queue that is not there (what CreateEventSourceMapping answers). */
export async function queueUrlOf(sqs: SQSClient, arn: string): Promise<string> {
  const { GetQueueUrlCommand } = await import('@aws-sdk/client-sqs');
  const q = parseQueueArn(arn);
  const r = await sqs.send(new GetQueueUrlCommand({ QueueName: q.name, QueueOwnerAWSAccountId: q.accountId }));
  return r.QueueUrl!;
}

/** The record Lambda puts in `Records` for one message: its members in AWS's order, lower camel case attributes. */
export function sqsRecord(m: Message, arn: string, region: string, windowSeconds: number): Record<string, unknown> {
  const a = m.Attributes ?? {};
  const attributes: Record<string, string> = {};
  for (const k of ['ApproximateReceiveCount', 'SentTimestamp', 'SequenceNumber', 'MessageGroupId', 'SenderId', 'MessageDeduplicationId', 'ApproximateFirstReceiveTimestamp', 'AWSTraceHeader', 'DeadLetterQueueSourceArn']) {
    const v = (a as Record<string, string | undefined>)[k];
    if (v !== undefined) attributes[k] = v;
  }
  const messageAttributes: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(m.MessageAttributes ?? {})) {
    const out: Record<string, unknown> = {};
    if (v.StringValue !== undefined) out.stringValue = v.StringValue;
    if (v.BinaryValue !== undefined) out.binaryValue = Buffer.from(v.BinaryValue).toString('base64');
    out.stringListValues = v.StringListValues ?? [];
    out.binaryListValues = (v.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64'));
    out.dataType = v.DataType;
    messageAttributes[name] = out;
  }
  const rec: Record<string, unknown> = { messageId: m.MessageId, receiptHandle: m.ReceiptHandle, body: m.Body ?? '', attributes, messageAttributes };
  // AWS's recordings: the MD5 of the attributes when there are some; without any, null under a batching window and
  // no key at all without one.
  if (m.MD5OfMessageAttributes !== undefined) rec.md5OfMessageAttributes = m.MD5OfMessageAttributes;
  else if (windowSeconds >= 1) rec.md5OfMessageAttributes = null;
  rec.md5OfBody = m.MD5OfBody;
  rec.eventSource = 'aws:sqs';
  rec.eventSourceARN = arn;
  rec.awsRegion = region;
  return rec;
}

/**
 * The messages a ReportBatchItemFailures answer leaves in the queue: none for a success (`{}`, null, `[]`, an empty or
 * null `batchItemFailures`), the named ones, or 'all' when the answer is malformed (an entry without a valid
 * `itemIdentifier` of this batch), which fails the whole batch as Lambda does.
 */
export function reportedFailures(payload: Buffer, ids: Set<string>): Set<string> | 'all' {
  const text = payload.toString('utf8').trim();
  if (text === '') return new Set();
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return 'all';
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return new Set();
  const list = (v as { batchItemFailures?: unknown }).batchItemFailures;
  if (list === undefined || list === null) return new Set();
  if (!Array.isArray(list)) return 'all';
  const out = new Set<string>();
  for (const item of list) {
    const id = item && typeof item === 'object' ? (item as { itemIdentifier?: unknown }).itemIdentifier : undefined;
    if (typeof id !== 'string' || !ids.has(id)) return 'all';
    out.add(id);
  }
  return out;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

export function startSqsPoller(deps: PollerDeps, target: PollerTarget): MappingPoller {
  const { mapping } = target;
  const arn = mapping.eventSourceArn;
  const { region } = parseQueueArn(arn);
  const c = mapping.config;
  const batchSize = c.BatchSize as number;
  const windowSeconds = c.MaximumBatchingWindowInSeconds as number;
  const reportFailures = ((c.FunctionResponseTypes as string[] | undefined) ?? []).includes('ReportBatchItemFailures');
  const patterns = ((c.FilterCriteria as { Filters?: { Pattern?: string }[] } | undefined)?.Filters ?? []).map((f) => parsePattern(f.Pattern ?? '')!).filter(Boolean);
  const [, , , , , , , qualifier] = String(c.FunctionArn).split(':');
  const scaling = (c.ScalingConfig as { MaximumConcurrency?: number } | undefined)?.MaximumConcurrency;
  const log = deps.log.child({ mapping: mapping.uuid, fn: mapping.functionName });
  const abort = new AbortController();
  const receivers = new Set<Promise<void>>();
  let sqs: SQSClient | undefined;
  let queueUrl: string | undefined;
  let visibilityMs = 30_000;
  let stopping = false;

  async function ready(): Promise<{ sqs: SQSClient; url: string }> {
    sqs ??= await deps.clients.sqs(region);
    if (!queueUrl) {
      queueUrl = await queueUrlOf(sqs, arn);
      const { GetQueueAttributesCommand } = await import('@aws-sdk/client-sqs');
      const r = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['VisibilityTimeout'] }), { abortSignal: abort.signal });
      visibilityMs = Number(r.Attributes?.VisibilityTimeout ?? 30) * 1000;
    }
    return { sqs, url: queueUrl };
  }

  /** How many receivers may run: the scaling maximum, and no more than the function's reserved concurrency. */
  async function limit(): Promise<number> {
    const fn = await deps.store.forAccount(target.accountId).getFunction(mapping.functionName);
    const reserved = fn?.reservedConcurrency ?? null;
    return Math.max(1, Math.min(scaling ?? DEFAULT_MAX_RECEIVERS, reserved ?? Infinity));
  }

  async function collect(): Promise<Message[]> {
    const { ReceiveMessageCommand } = await import('@aws-sdk/client-sqs');
    const { sqs: client, url } = await ready();
    const out: Message[] = [];
    let deadline = Infinity;
    let bytes = 0;
    while (out.length < batchSize && bytes < BATCH_BYTES && !stopping) {
      let wait = MAX_RECEIVE_WAIT_S;
      if (out.length > 0) {
        const left = deadline - Date.now();
        if (windowSeconds === 0 || left <= 0) break;
        wait = Math.min(MAX_RECEIVE_WAIT_S, Math.ceil(left / 1000));
      }
      const r = await client.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: Math.min(10, batchSize - out.length),
          WaitTimeSeconds: wait,
          MessageSystemAttributeNames: ['All'],
          AttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
        { abortSignal: abort.signal },
      );
      const got = r.Messages ?? [];
      if (got.length && out.length === 0) deadline = Date.now() + windowSeconds * 1000;
      out.push(...got);
      for (const m of got) bytes += Buffer.byteLength(m.Body ?? '') + RECORD_OVERHEAD + JSON.stringify(m.MessageAttributes ?? {}).length;
      if (out.length > 0 && windowSeconds === 0) break;
    }
    return out;
  }

  async function remove(messages: Message[]): Promise<void> {
    if (!messages.length) return;
    const { DeleteMessageBatchCommand } = await import('@aws-sdk/client-sqs');
    const { sqs: client, url } = await ready();
    for (let i = 0; i < messages.length; i += 10) {
      const chunk = messages.slice(i, i + 10);
      try {
        const r = await client.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: chunk.map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle! })) }));
        for (const f of r.Failed ?? []) log.warn('esm:delete-failed', { messageId: chunk[Number(f.Id)]?.MessageId, error: f.Message });
      } catch (e) {
        // The messages come back after their visibility timeout and run again: at least once, never lost.
        log.warn('esm:delete-failed', { error: describeAwsError(e) });
      }
    }
  }

  async function process(batch: Message[]): Promise<void> {
    const records = batch.map((m) => sqsRecord(m, arn, region, windowSeconds));
    const keep: number[] = [];
    const dropped: Message[] = [];
    records.forEach((r, i) => (matchesAny(patterns as never, filterViewOfSqs(r)) ? keep.push(i) : dropped.push(batch[i])));
    await remove(dropped);
    // One invocation per part that fits Lambda's payload limit (one part unless the messages are large); a part that
    // fails leaves the later ones in the queue too, so that a FIFO group never runs out of order.
    for (const part of parts(keep.map((i) => records[i]))) {
      if (!(await invoke(part, part.map((r) => batch[records.indexOf(r)])))) return;
    }
  }

  /** Splits records into groups whose event stays under the invocation payload limit. */
  function parts(recs: Record<string, unknown>[]): Record<string, unknown>[][] {
    const out: Record<string, unknown>[][] = [];
    let current: Record<string, unknown>[] = [];
    let size = 0;
    for (const r of recs) {
      const n = Buffer.byteLength(JSON.stringify(r)) + 1;
      if (current.length && size + n > PAYLOAD_LIMIT) {
        out.push(current);
        current = [];
        size = 0;
      }
      current.push(r);
      size += n;
    }
    if (current.length) out.push(current);
    return out;
  }

  /** Runs the function on one part; true when the part succeeded (its messages deleted, but for those it reported). */
  async function invoke(part: Record<string, unknown>[], messages: Message[]): Promise<boolean> {
    const payload = Buffer.from(JSON.stringify({ Records: part }));
    const started = Date.now();
    let backoff = 100;
    for (;;) {
      const outcome = await deps.runner.runEvent({ requestId: randomUUID(), accountId: target.accountId, functionName: mapping.functionName, qualifier, payload });
      if (outcome.kind === 'success') {
        const failed = reportFailures ? reportedFailures(outcome.payload, new Set(messages.map((m) => m.MessageId!))) : new Set<string>();
        if (failed === 'all') {
          log.info('esm:batch-failed', { reason: 'malformed batchItemFailures', size: messages.length });
          return false;
        }
        await remove(messages.filter((m) => !failed.has(m.MessageId!)));
        return failed.size === 0;
      }
      if (outcome.kind === 'function-error') {
        log.info('esm:batch-failed', { reason: outcome.functionError, size: messages.length });
        return false;
      }
      if (outcome.kind === 'not-found' || outcome.kind === 'recursive-loop') {
        log.warn('esm:batch-failed', { reason: outcome.message, size: messages.length });
        return false;
      }
      // Throttled, or Alonzo failed before the function ran: again while the messages are still ours.
      if (stopping || Date.now() - started + backoff > visibilityMs - 1000) {
        log.warn('esm:batch-returned', { reason: outcome.kind === 'throttled' ? outcome.reason : outcome.message, size: messages.length });
        return false;
      }
      await sleep(backoff, abort.signal);
      backoff = Math.min(backoff * 2, 2000);
    }
  }

  function spawn(): void {
    const p = receive().finally(() => receivers.delete(p));
    receivers.add(p);
  }

  async function receive(): Promise<void> {
    let errorBackoff = 500;
    while (!stopping) {
      try {
        const batch = await collect();
        errorBackoff = 500;
        if (!batch.length) {
          if (receivers.size > 1) return;
          continue;
        }
        if (batch.length >= Math.min(batchSize, 10) && !stopping && receivers.size < (await limit())) spawn();
        await process(batch);
      } catch (e) {
        if (stopping) return;
        log.warn('esm:poll-failed', { error: describeAwsError(e) });
        if (/NonExistentQueue|QueueDoesNotExist/.test(String((e as { name?: string }).name ?? e))) queueUrl = undefined;
        await sleep(errorBackoff, abort.signal);
        errorBackoff = Math.min(errorBackoff * 2, 30_000);
      }
    }
  }

  spawn();
  return {
    async stop() {
      stopping = true;
      abort.abort();
      while (receivers.size) await Promise.all([...receivers]);
    },
  };
}
