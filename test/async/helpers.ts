// Helpers for the async-invocation tests: Event invokes through SDK v3, the recorder fixture's run log, the sink
// fixture's destination records, and Alonzo's failed-events routes.
import { existsSync, readFileSync } from 'node:fs';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import type { TestServer } from '../helpers/alonzo.js';
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

/** The recorder fixture's lines: one per run of an event. */
export function runs(file: string, requestId?: string): Run[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [id, at, tag] = l.split(' ');
      return { requestId: id, at: Number(at), tag };
    })
    .filter((r) => requestId === undefined || r.requestId === requestId);
}

export interface SinkEntry {
  requestId: string;
  event: any;
}

/** What the sink fixture received (destination records), optionally only those about one request id. */
export function sinkRecords(file: string, aboutRequestId?: string): SinkEntry[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as SinkEntry)
    .filter((e) => aboutRequestId === undefined || e.event?.requestContext?.requestId === aboutRequestId);
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
