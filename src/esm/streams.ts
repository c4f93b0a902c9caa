// The pollers of one Kinesis or DynamoDB Streams mapping: one per shard, each reading its shard in order, one batch at
// a time, with its place kept in the store (a checkpoint after every batch), as Lambda's stream pollers do.
//
// - Start: after the checkpoint when there is one (a restart, a kill -9, another node), else at StartingPosition
//   (TRIM_HORIZON, LATEST, AT_TIMESTAMP). A batch in flight when the server dies runs again: at least once, none skipped.
// - Batching: up to BatchSize records, gathered for at most MaximumBatchingWindowInSeconds.
// - Failure: a function error retries the same batch (MaximumRetryAttempts, -1 = until the records expire);
//   BisectBatchOnFunctionError splits a failing batch in two and retries the halves; ReportBatchItemFailures retries
//   from the first sequence number reported (the records before it are done); records older than
//   MaximumRecordAgeInSeconds are not retried. A batch given up on goes to the OnFailure destination (SQS or SNS) as
//   AWS's record, and the shard moves on.
// - Throttles (429) and Alonzo's own failures retry without counting, with a growing backoff: nothing is skipped.
// - Shards: listed again every 30 s; a child shard starts once its parent has been read to its end.
import { randomUUID } from 'node:crypto';
import { describeAwsError } from '../core/aws-errors.js';
import type { DestinationSender } from '../queue/aws-delivery.js';
import { matchesAny, parsePattern } from './filter.js';
import type { MappingPoller, PollerDeps, PollerTarget } from './types.js';

type Json = Record<string, unknown>;

/** One record as read from a shard, with what the poller needs to know of it. */
export interface ShardRecord {
  seq: string;
  /** Epoch milliseconds the record arrived in the stream. */
  arrival: number;
  /** The record as the function gets it. */
  lambda: Json;
}

/** What the poller needs from Kinesis or DynamoDB Streams. */
interface StreamReader {
  shards(): Promise<{ shardId: string; parent?: string }[]>;
  iterator(shardId: string, from: { after: string } | { position: string; timestamp?: number }): Promise<string | undefined>;
  read(iterator: string, limit: number): Promise<{ records: ShardRecord[]; next?: string }>;
}

const SHARD_SCAN_MS = 30_000;
/**
 * A failed batch is tried again after 1 s, then 2, 4, 8, 16 s and every 16 s: eight invocations in the first minute,
 * which is what AWS's recording shows for a batch that kept failing until MaximumRecordAgeInSeconds 60 ran out
 * (oracle test_kinesis_maximum_record_age_exceeded[expire-while-retrying]: approximateInvokeCount 8).
 */
const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 16_000;
/** Between reads of an idle shard: Kinesis allows five GetRecords per shard per second. */
const IDLE_READ_MS = 250;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

/** DynamoDB attribute values as the wire (and the function) has them: binaries in base64. */
function wireAttributes(v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (Array.isArray(v)) return v.map(wireAttributes);
  if (v && typeof v === 'object' && !(v instanceof Date)) return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, wireAttributes(x)]));
  return v;
}

async function kinesisReader(deps: PollerDeps, arn: string, role: string): Promise<StreamReader> {
  const region = arn.split(':')[3];
  const k = await import('@aws-sdk/client-kinesis');
  const client = await deps.clients.kinesis(region);
  return {
    async shards() {
      const out: { shardId: string; parent?: string }[] = [];
      let token: string | undefined;
      do {
        const r = await client.send(new k.ListShardsCommand(token ? { NextToken: token } : { StreamARN: arn }));
        for (const s of r.Shards ?? []) out.push({ shardId: s.ShardId!, parent: s.ParentShardId });
        token = r.NextToken;
      } while (token);
      return out;
    },
    async iterator(shardId, from) {
      const input =
        'after' in from
          ? { ShardIteratorType: k.ShardIteratorType.AFTER_SEQUENCE_NUMBER, StartingSequenceNumber: from.after }
          : from.position === 'AT_TIMESTAMP'
            ? { ShardIteratorType: k.ShardIteratorType.AT_TIMESTAMP, Timestamp: new Date((from.timestamp ?? 0) * 1000) }
            : { ShardIteratorType: from.position as 'LATEST' | 'TRIM_HORIZON' };
      return (await client.send(new k.GetShardIteratorCommand({ StreamARN: arn, ShardId: shardId, ...input }))).ShardIterator;
    },
    async read(iterator, limit) {
      const r = await client.send(new k.GetRecordsCommand({ ShardIterator: iterator, Limit: Math.min(limit, 10000), StreamARN: arn }));
      return {
        next: r.NextShardIterator,
        records: (r.Records ?? []).map((x) => {
          const arrival = x.ApproximateArrivalTimestamp?.getTime() ?? Date.now();
          return {
            seq: x.SequenceNumber!,
            arrival,
            lambda: {
              kinesis: {
                kinesisSchemaVersion: '1.0',
                partitionKey: x.PartitionKey,
                sequenceNumber: x.SequenceNumber,
                data: Buffer.from(x.Data ?? new Uint8Array()).toString('base64'),
                approximateArrivalTimestamp: arrival / 1000,
              },
              eventSource: 'aws:kinesis',
              eventVersion: '1.0',
              eventID: '', // `<shardId>:<sequenceNumber>`, set per shard
              eventName: 'aws:kinesis:record',
              invokeIdentityArn: role,
              awsRegion: region,
              eventSourceARN: arn,
            },
          };
        }),
      };
    },
  };
}

async function dynamodbReader(deps: PollerDeps, arn: string): Promise<StreamReader> {
  const region = arn.split(':')[3];
  const d = await import('@aws-sdk/client-dynamodb-streams');
  const client = await deps.clients.dynamodbStreams(region);
  return {
    async shards() {
      const out: { shardId: string; parent?: string }[] = [];
      let last: string | undefined;
      do {
        const r = await client.send(new d.DescribeStreamCommand({ StreamArn: arn, ExclusiveStartShardId: last }));
        for (const s of r.StreamDescription?.Shards ?? []) out.push({ shardId: s.ShardId!, parent: s.ParentShardId });
        last = r.StreamDescription?.LastEvaluatedShardId;
      } while (last);
      return out;
    },
    async iterator(shardId, from) {
      const input = 'after' in from ? { ShardIteratorType: d.ShardIteratorType.AFTER_SEQUENCE_NUMBER, SequenceNumber: from.after } : { ShardIteratorType: from.position as 'LATEST' | 'TRIM_HORIZON' };
      return (await client.send(new d.GetShardIteratorCommand({ StreamArn: arn, ShardId: shardId, ...input }))).ShardIterator;
    },
    async read(iterator, limit) {
      const r = await client.send(new d.GetRecordsCommand({ ShardIterator: iterator, Limit: Math.min(limit, 1000) }));
      return {
        next: r.NextShardIterator,
        records: (r.Records ?? []).map((x) => {
          const created = x.dynamodb?.ApproximateCreationDateTime?.getTime() ?? Date.now();
          const ddb = wireAttributes({ ...x.dynamodb, ApproximateCreationDateTime: undefined }) as Json;
          return {
            seq: x.dynamodb!.SequenceNumber!,
            arrival: created,
            lambda: {
              eventID: x.eventID,
              eventName: x.eventName,
              eventVersion: '1.1',
              eventSource: 'aws:dynamodb',
              awsRegion: region,
              dynamodb: { ApproximateCreationDateTime: Math.floor(created / 1000), ...ddb },
              eventSourceARN: arn,
            },
          };
        }),
      };
    },
  };
}

/** AWS's message when a stream cannot be found; undefined when it can. */
export async function checkStream(deps: Pick<PollerDeps, 'clients'>, arn: string): Promise<string | undefined> {
  const region = arn.split(':')[3];
  try {
    if (arn.split(':')[2] === 'kinesis') {
      const k = await import('@aws-sdk/client-kinesis');
      await (await deps.clients.kinesis(region)).send(new k.DescribeStreamSummaryCommand({ StreamARN: arn }));
    } else {
      const d = await import('@aws-sdk/client-dynamodb-streams');
      await (await deps.clients.dynamodbStreams(region)).send(new d.DescribeStreamCommand({ StreamArn: arn, Limit: 1 }));
    }
    return undefined;
  } catch (e) {
    if ((e as { name?: string }).name === 'ResourceNotFoundException') return `Stream not found: ${arn}`;
    return `Error occurred while reading the stream ${arn}: ${describeAwsError(e)}`;
  }
}

/** Which sequence numbers a ReportBatchItemFailures answer names: the first one to retry from, none, or 'all' (malformed). */
export function firstReported(payload: Buffer, batch: ShardRecord[]): number | 'all' | undefined {
  const text = payload.toString('utf8').trim();
  if (text === '') return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return 'all';
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const list = (v as { batchItemFailures?: unknown }).batchItemFailures;
  if (list === undefined || list === null) return undefined;
  if (!Array.isArray(list)) return 'all';
  let first: number | undefined;
  for (const item of list) {
    const id = item && typeof item === 'object' ? (item as { itemIdentifier?: unknown }).itemIdentifier : undefined;
    const at = typeof id === 'string' && id !== '' ? batch.findIndex((r) => r.seq === id) : -1;
    if (at < 0) return 'all';
    first = first === undefined ? at : Math.min(first, at);
  }
  return first;
}

export function startStreamPoller(deps: PollerDeps & { sender: DestinationSender }, target: PollerTarget): MappingPoller & { ready: Promise<void> } {
  const { mapping } = target;
  const arn = mapping.eventSourceArn;
  const kind = arn.split(':')[2] === 'kinesis' ? 'kinesis' : 'dynamodb';
  const c = mapping.config;
  const batchSize = c.BatchSize as number;
  const windowMs = (c.MaximumBatchingWindowInSeconds as number) * 1000;
  const maxRetries = c.MaximumRetryAttempts as number;
  const maxAgeMs = (c.MaximumRecordAgeInSeconds as number) * 1000;
  const bisect = c.BisectBatchOnFunctionError === true;
  const factor = (c.ParallelizationFactor as number | undefined) ?? 1;
  const reportFailures = ((c.FunctionResponseTypes as string[] | undefined) ?? []).includes('ReportBatchItemFailures');
  const onFailure = (c.DestinationConfig as { OnFailure?: { Destination?: string } } | undefined)?.OnFailure?.Destination;
  const patterns = ((c.FilterCriteria as { Filters?: { Pattern?: string }[] } | undefined)?.Filters ?? []).map((f) => parsePattern(f.Pattern ?? '')!).filter(Boolean);
  const functionArn = String(c.FunctionArn);
  const [, , , , , , , qualifier] = functionArn.split(':');
  const store = deps.store.forAccount(target.accountId).mappings;
  const log = deps.log.child({ mapping: mapping.uuid, fn: mapping.functionName });
  const abort = new AbortController();
  const shards = new Map<string, Promise<void>>();
  const finished = new Set<string>();
  /** DynamoDB shards restarted from a LATEST start: records created before this (epoch ms) were never meant to run. */
  const skipBefore = new Map<string, number>();
  let stopping = false;
  let reportedOk = c.LastProcessingResult === 'OK';
  let reader: StreamReader;

  const batchInfoKey = kind === 'kinesis' ? 'KinesisBatchInfo' : 'DDBStreamBatchInfo';
  const stamp = (ms: number) => (kind === 'kinesis' ? new Date(ms).toISOString() : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'));

  /**
   * An S3 destination gets an object: the record plus `payload`, the invocation event, under
   * `aws/lambda/<mapping UUID>/<shardId>/<yyyy>/<mm>/<dd>/<yyyy-mm-ddTHH.MM.SS>-<random>` (AWS's layout).
   */
  async function toS3(shardId: string, record: Json, batch: ShardRecord[]): Promise<void> {
    const bucket = onFailure!.split(':::')[1];
    const now = new Date();
    const iso = now.toISOString();
    const key = `aws/lambda/${mapping.uuid}/${shardId}/${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(0, 19).replace(/:/g, '.')}-${randomUUID()}`;
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    const client = await deps.clients.s3(arn.split(':')[3]);
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify({ ...record, payload: { Records: batch.map((r) => r.lambda) } }), ContentType: 'application/json' }));
  }

  /** Gives a batch up: its record to the OnFailure destination. False when stopped before the destination took it. */
  async function fail(shardId: string, batch: ShardRecord[], condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded', invokeCount: number, last?: { requestId: string; executedVersion: string; functionError: string | null }): Promise<boolean> {
    log.info('esm:batch-discarded', { shardId, condition, size: batch.length });
    if (!onFailure) return true;
    const record: Json = {
      requestContext: { requestId: last?.requestId ?? randomUUID(), functionArn, condition, approximateInvokeCount: invokeCount },
      ...(condition === 'RetryAttemptsExhausted' && last ? { responseContext: { statusCode: 200, executedVersion: last.executedVersion, functionError: last.functionError } } : {}),
      version: '1.0',
      timestamp: new Date().toISOString(),
      [batchInfoKey]: {
        shardId,
        startSequenceNumber: batch[0].seq,
        endSequenceNumber: batch[batch.length - 1].seq,
        approximateArrivalOfFirstRecord: stamp(batch[0].arrival),
        approximateArrivalOfLastRecord: stamp(batch[batch.length - 1].arrival),
        batchSize: batch.length,
        streamArn: arn,
      },
    };
    // Sent until the destination takes it: a batch is only given up on once its record is delivered.
    for (let backoff = 500; !stopping; backoff = Math.min(backoff * 2, 30_000)) {
      try {
        if (/^arn:aws[a-zA-Z-]*:s3:/.test(onFailure)) await toS3(shardId, record, batch);
        else await deps.sender.send({ target: onFailure, body: JSON.stringify(record) });
        return true;
      } catch (e) {
        log.warn('esm:destination-failed', { target: onFailure, error: describeAwsError(e) });
        await sleep(backoff, abort.signal);
      }
    }
    return false;
  }

  /** Runs one batch to its end: true once the shard may move past it (done, or given up on), false when stopped first. */
  async function runBatch(shardId: string, batch: ShardRecord[], alone = true): Promise<boolean> {
    let attempts = 0;
    let backoff = 100;
    let retryDelay = RETRY_FIRST_MS;
    while (batch.length && !stopping) {
      if (maxAgeMs >= 0 && Date.now() - batch[0].arrival > maxAgeMs) {
        // The expired records go to the destination; the rest of the batch is still tried.
        const expired = batch.filter((r) => Date.now() - r.arrival > maxAgeMs);
        if (!(await fail(shardId, expired, 'RecordAgeExceeded', attempts || 1))) return false;
        batch = batch.slice(expired.length);
        continue;
      }
      const payload = Buffer.from(JSON.stringify({ Records: batch.map((r) => r.lambda) }));
      const requestId = randomUUID();
      const outcome = await deps.runner.runEvent({ requestId, accountId: target.accountId, functionName: mapping.functionName, qualifier, payload });
      if (outcome.kind === 'throttled' || outcome.kind === 'system-error' || outcome.kind === 'not-found') {
        // The function did not run: again, without using an attempt.
        if (outcome.kind !== 'throttled') log.warn('esm:invoke-failed', { shardId, reason: outcome.message });
        await sleep(backoff, abort.signal);
        backoff = Math.min(backoff * 2, 5000);
        continue;
      }
      backoff = 100;
      attempts++;
      let failedFrom: number | undefined;
      let functionError: string | null = null;
      if (outcome.kind === 'success') {
        const reported = reportFailures ? firstReported(outcome.payload, batch) : undefined;
        if (reported === undefined) {
          if (!reportedOk) {
            reportedOk = true;
            await store.setLastProcessingResult(mapping.uuid, 'OK').catch(() => undefined);
          }
          return true;
        }
        failedFrom = reported === 'all' ? 0 : reported;
      } else if (outcome.kind === 'function-error') {
        failedFrom = 0;
        functionError = outcome.functionError;
      } else {
        // A recursive loop: never retried.
        return fail(shardId, batch, 'RetryAttemptsExhausted', attempts, { requestId, executedVersion: '$LATEST', functionError: 'Unhandled' });
      }
      if (failedFrom > 0) {
        // The records before the first reported one are done: the checkpoint moves (when this batch is the shard's
        // only one in flight), the rest is retried.
        if (alone) await store.saveCheckpoint(mapping.uuid, shardId, batch[failedFrom - 1].seq);
        batch = batch.slice(failedFrom);
      }
      const executedVersion = 'executedVersion' in outcome ? outcome.executedVersion : '$LATEST';
      if (bisect && functionError !== null && batch.length > 1) {
        const half = Math.ceil(batch.length / 2);
        if (!(await runBatch(shardId, batch.slice(0, half), alone))) return false;
        if (alone) await store.saveCheckpoint(mapping.uuid, shardId, batch[half - 1].seq);
        return runBatch(shardId, batch.slice(half), alone);
      }
      if (maxRetries >= 0 && attempts > maxRetries) {
        return fail(shardId, batch, 'RetryAttemptsExhausted', attempts, { requestId, executedVersion, functionError });
      }
      await sleep(retryDelay, abort.signal);
      retryDelay = Math.min(retryDelay * 2, RETRY_MAX_MS);
    }
    return batch.length === 0;
  }

  /**
   * Where a shard's reading starts: after its checkpoint, else at StartingPosition. LATEST is "from when the poller
   * first started": that moment is kept as the checkpoint (`at:<epoch ms>`) until a record is done, so that a restart
   * before then reads from it (Kinesis: AT_TIMESTAMP; DynamoDB Streams, which have no such iterator: from the oldest
   * record, skipping those created before that second) instead of from a later LATEST, which would skip records.
   */
  async function open(shardId: string): Promise<string | undefined> {
    const done = await store.checkpoint(mapping.uuid, shardId);
    if (done?.startsWith('at:')) {
      const since = Number(done.slice(3));
      if (kind === 'kinesis') return reader.iterator(shardId, { position: 'AT_TIMESTAMP', timestamp: since / 1000 });
      skipBefore.set(shardId, Math.floor(since / 1000) * 1000);
      return reader.iterator(shardId, { position: 'TRIM_HORIZON' });
    }
    if (done) return reader.iterator(shardId, { after: done });
    if (c.StartingPosition === 'LATEST') {
      const since = Date.now();
      const it = await reader.iterator(shardId, { position: 'LATEST' });
      await store.saveCheckpoint(mapping.uuid, shardId, `at:${since}`);
      return it;
    }
    return reader.iterator(shardId, { position: String(c.StartingPosition ?? 'TRIM_HORIZON'), timestamp: c.StartingPositionTimestamp as number | undefined });
  }

  /** Filters see a Kinesis record's data decoded (JSON when it parses), under `data`, as Lambda's filters do. */
  function filterView(r: ShardRecord): Json {
    if (kind !== 'kinesis') return r.lambda;
    const text = Buffer.from(String((r.lambda.kinesis as Json).data), 'base64').toString('utf8');
    let data: unknown = text;
    try {
      data = JSON.parse(text);
    } catch {
      // Not JSON: matched as the plain string.
    }
    return { ...r.lambda, data };
  }

  /**
   * Runs what a shard read: one batch, or with ParallelizationFactor N up to N batches at once, the records spread by
   * partition key (a key's records stay in one batch, in order), as Lambda does. The shard's checkpoint moves once all
   * are done; a crash meanwhile runs them all again.
   */
  async function runAll(shardId: string, records: ShardRecord[]): Promise<boolean> {
    if (factor <= 1) return runBatch(shardId, records);
    const groups = new Map<number, ShardRecord[]>();
    for (const r of records) {
      const key = kind === 'kinesis' ? String((r.lambda.kinesis as Json).partitionKey) : JSON.stringify((r.lambda.dynamodb as Json).Keys);
      let h = 0;
      for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) >>> 0;
      const g = groups.get(h % factor) ?? [];
      g.push(r);
      groups.set(h % factor, g);
    }
    const done = await Promise.all([...groups.values()].map((g) => runBatch(shardId, g, false)));
    return done.every(Boolean);
  }

  async function readShard(shardId: string, first: string | undefined): Promise<void> {
    let errorBackoff = 500;
    let iterator: string | undefined = first;
    let opened = true;
    const pending: ShardRecord[] = [];
    while (!stopping) {
      try {
        if (!opened) {
          iterator = await open(shardId);
          opened = true;
        }
        if (iterator === undefined) break;
        // Gather a batch: at once without a window, else until it is full or the window since its first record ends.
        let deadline = Infinity;
        while (pending.length < batchSize && !stopping) {
          const r = await reader.read(iterator, batchSize - pending.length);
          for (const rec of r.records) if (kind === 'kinesis') (rec.lambda as Json).eventID = `${shardId}:${rec.seq}`;
          const skip = skipBefore.get(shardId);
          const records = skip === undefined ? r.records : r.records.filter((x) => x.arrival >= skip);
          if (records.length && pending.length === 0) deadline = Date.now() + windowMs;
          pending.push(...records);
          iterator = r.next;
          if (iterator === undefined) break;
          if (pending.length === 0) {
            await sleep(IDLE_READ_MS, abort.signal);
            continue;
          }
          if (windowMs === 0 || Date.now() >= deadline) break;
          if (pending.length < batchSize) await sleep(Math.min(IDLE_READ_MS, deadline - Date.now()), abort.signal);
        }
        errorBackoff = 500;
        if (pending.length && !stopping) {
          const batch = pending.splice(0, pending.length);
          const wanted = patterns.length ? batch.filter((r) => matchesAny(patterns as never, filterView(r))) : batch;
          // Stopped before the batch was done: no checkpoint, so it runs again wherever the shard is read next.
          if (wanted.length && !(await runAll(shardId, wanted))) break;
          await store.saveCheckpoint(mapping.uuid, shardId, batch[batch.length - 1].seq);
        }
        if (iterator === undefined) {
          // The shard is closed and read to its end: its children may start.
          finished.add(shardId);
          return;
        }
      } catch (e) {
        if (stopping) return;
        log.warn('esm:shard-read-failed', { shardId, error: describeAwsError(e) });
        // An expired or refused iterator is taken again from the checkpoint; what was gathered is read again.
        opened = false;
        pending.length = 0;
        await sleep(errorBackoff, abort.signal);
        errorBackoff = Math.min(errorBackoff * 2, 30_000);
      }
    }
  }

  async function scanShards(): Promise<void> {
    const list = await reader.shards();
    const known = new Set(list.map((s) => s.shardId));
    for (const s of list) {
      if (shards.has(s.shardId) || finished.has(s.shardId)) continue;
      // A child waits for its parent to be read to its end (or to be gone from the stream).
      if (s.parent && known.has(s.parent) && !finished.has(s.parent)) continue;
      // The first iterator is taken before the mapping counts as started: LATEST means from now on.
      const first = await open(s.shardId);
      const p = readShard(s.shardId, first).finally(() => shards.delete(s.shardId));
      shards.set(s.shardId, p);
    }
  }

  let scanner: Promise<void> = Promise.resolve();
  const ready = (async () => {
    const role = (await deps.store.forAccount(target.accountId).getVersion(mapping.functionName, '$LATEST'))?.settings.Role ?? '';
    reader = kind === 'kinesis' ? await kinesisReader(deps, arn, role) : await dynamodbReader(deps, arn);
    await scanShards();
    scanner = (async () => {
      while (!stopping) {
        await sleep(SHARD_SCAN_MS, abort.signal);
        if (stopping) break;
        await scanShards().catch((e) => log.warn('esm:shard-list-failed', { error: describeAwsError(e) }));
      }
    })();
  })().catch((e) => {
    log.warn('esm:stream-start-failed', { error: describeAwsError(e) });
    // Tried again at the next change or scan of the manager: the poller is restarted when it reports failure.
    throw e;
  });

  return {
    ready,
    async stop() {
      stopping = true;
      abort.abort();
      await ready.catch(() => undefined);
      await scanner;
      while (shards.size) await Promise.all([...shards.values()]);
    },
  };
}
