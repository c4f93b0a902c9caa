// Helpers for the async-invocation tests: Event invokes through SDK v3, the recorder fixture's runs and the sink
// fixture's destination records (both reported to a loopback sink, test/helpers/sink.ts), and Alonzo's failed-events routes.
import { InvokeCommand } from '@aws-sdk/client-lambda';
import type { TestServer } from '../helpers/alonzo.js';
import type { Sink } from '../helpers/sink.js';
import { signedFetch } from '../helpers/sign.js';

export const ACCOUNT = '000000000000';
export const arnOf = (fn: string, qualifier?: string) => `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${fn}${qualifier ? `:${qualifier}` : ''}`;

export interface EventReply {
  status: number | undefined;
  requestId: string;
  payloadBytes: number;
  executedVersion: string | undefined;
}

/** An Event invoke as @aws-sdk/client-lambda sends it. */
export async function eventInvoke(s: TestServer, fn: string, payload: unknown, qualifier?: string): Promise<EventReply> {
  const r = await s.client.send(new InvokeCommand({ FunctionName: fn, Qualifier: qualifier, InvocationType: 'Event', Payload: Buffer.from(JSON.stringify(payload)) }));
  return { status: r.StatusCode, requestId: r.$metadata.requestId!, payloadBytes: r.Payload?.length ?? 0, executedVersion: r.ExecutedVersion };
}

export interface Run {
  requestId: string;
  at: number;
  tag: string;
}

/** The recorder fixture's runs reported under `key` (its event's `sink` is `sink.url(key)`), optionally of one request id. */
export function runs(sink: Sink, key: string, requestId?: string): Run[] {
  return sink.records<Run>(key).filter((r) => requestId === undefined || r.requestId === requestId);
}

export interface SinkEntry {
  requestId: string;
  event: any;
}

/** What the destination fixture (async-sink, SINK_URL = `sink.url(key)`) received, optionally only about one request id. */
export function sinkRecords(sink: Sink, key: string, aboutRequestId?: string): SinkEntry[] {
  return sink.records<SinkEntry>(key).filter((e) => aboutRequestId === undefined || e.event?.requestContext?.requestId === aboutRequestId);
}

export async function failedEvents(s: TestServer, fn: string): Promise<any[]> {
  const res = await signedFetch(`${s.url}/_alonzo/functions/${encodeURIComponent(fn)}/failed-events`);
  if (res.status !== 200) throw new Error(`failed-events answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { FailedEvents: any[] }).FailedEvents;
}

export async function redrive(s: TestServer, fn: string, requestIds?: string[]): Promise<number> {
  const res = await signedFetch(`${s.url}/_alonzo/functions/${encodeURIComponent(fn)}/failed-events/redrive`, {
    method: 'POST',
    body: requestIds ? JSON.stringify({ RequestIds: requestIds }) : '',
  });
  if (res.status !== 200) throw new Error(`redrive answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { Redriven: number }).Redriven;
}

export const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/** A destination record with its volatile timestamp checked and replaced, for deepEqual against AWS's shape. */
export function normalizeRecord(r: any): any {
  if (typeof r?.timestamp !== 'string' || Number.isNaN(Date.parse(r.timestamp))) throw new Error(`record without an ISO timestamp: ${JSON.stringify(r)}`);
  return { ...r, timestamp: 'date' };
}
