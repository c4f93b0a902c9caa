// /metrics: parsed by a Prometheus text-format parser (parse-prometheus-text-format), its values checked against the
// invocations, throttles and async events the test made; and who may read it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { REPO_ROOT } from '../helpers/paths.js';
import { join } from 'node:path';
import { request } from 'node:http';
import { InvokeCommand, PutFunctionConcurrencyCommand, DeleteFunctionConcurrencyCommand, PutFunctionEventInvokeConfigCommand } from '@aws-sdk/client-lambda';
import { startAlonzo, zipOf, type TestServer } from '../helpers/alonzo.js';
import { deploy, eventually } from '../helpers/invoke.js';
import { signRequest } from '../helpers/sign.js';
import { createKey } from '../auth/helpers.js';

interface Sample {
  value?: string;
  labels?: Record<string, string>;
  buckets?: Record<string, string>;
  count?: string;
  sum?: string;
}
interface Family {
  name: string;
  type: string;
  help: string;
  metrics: Sample[];
}
const parse = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => Family[];
/**
 * The same text with histograms read as plain series (`x_bucket{…,le=…}`, `x_sum{…}`, `x_count{…}`): the library
 * merges a histogram's samples into one object per family, as prom2json does for an unlabelled one, and so loses which
 * function a bucket belongs to. Without the TYPE line each sample keeps its labels.
 */
const parseFlat = (text: string): Family[] => parse(text.replace(/^# TYPE \S+ histogram\n/gm, ''));

const HANDLER = `
exports.handler = async (event) => {
  if (event.fail) throw new Error('asked to fail');
  return 'ok';
};`;

/** A GET with exactly these headers (fetch would not let a test set Host). */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; type?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: res.headers['content-type'] }));
    });
    req.on('error', reject);
    req.end();
  });
}

function sample(families: Family[], name: string, labels: Record<string, string>): Sample | undefined {
  const f = families.find((x) => x.name === name);
  return f?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
}

async function invoke(s: TestServer, fn: string, payload: object): Promise<string | undefined> {
  const r = await s.client.send(new InvokeCommand({ FunctionName: fn, Payload: Buffer.from(JSON.stringify(payload)) }));
  return r.FunctionError;
}

test('/metrics counts what ran: invocations by outcome, durations, cold starts, throttles, async events, environments', async (t) => {
  const s = await startAlonzo({ auth: 'local' });
  t.after(() => s.close());
  const fn = await deploy(s, 'metered', { zip: await zipOf({ 'index.js': HANDLER }) });
  for (let i = 0; i < 3; i++) assert.equal(await invoke(s, fn, {}), undefined);
  for (let i = 0; i < 2; i++) assert.equal(await invoke(s, fn, { fail: true }), 'Unhandled');
  // Reserved concurrency 0: every invoke is throttled.
  await s.client.send(new PutFunctionConcurrencyCommand({ FunctionName: fn, ReservedConcurrentExecutions: 0 }));
  await assert.rejects(invoke(s, fn, {}), /Rate Exceeded/);
  await s.client.send(new DeleteFunctionConcurrencyCommand({ FunctionName: fn }));
  // An Event that fails with no retries left: failed for good, kept in the queue.
  await s.client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: fn, MaximumRetryAttempts: 0 }));
  await s.client.send(new InvokeCommand({ FunctionName: fn, InvocationType: 'Event', Payload: Buffer.from('{"fail":true}') }));

  const text = await eventually(async () => {
    const r = await get(`${s.url}/metrics`);
    assert.equal(r.status, 200, r.body);
    assert.equal(r.type, 'text/plain; version=0.0.4; charset=utf-8');
    return sample(parse(r.body), 'alonzo_async_events', { function: fn, state: 'failed' })?.value === '1' && r.body;
  }, 30_000, 'the failed event in /metrics');
  const families = parse(text);
  const flat = parseFlat(text);

  const labels = { function: fn, account: '000000000000' };
  assert.equal(sample(families, 'alonzo_invocations_total', { ...labels, outcome: 'success' })?.value, '3');
  // The Event's one attempt was an error too.
  assert.equal(sample(families, 'alonzo_invocations_total', { ...labels, outcome: 'error' })?.value, '3');
  assert.equal(families.find((f) => f.name === 'alonzo_invocation_duration_seconds')?.type, 'HISTOGRAM');
  assert.equal(families.find((f) => f.name === 'alonzo_init_duration_seconds')?.type, 'HISTOGRAM');
  assert.equal(sample(flat, 'alonzo_invocation_duration_seconds_count', labels)?.value, '6');
  assert.equal(sample(flat, 'alonzo_invocation_duration_seconds_bucket', { ...labels, le: '+Inf' })?.value, '6');
  const buckets = flat.find((f) => f.name === 'alonzo_invocation_duration_seconds_bucket')!.metrics.filter((m) => m.labels?.function === fn);
  for (let i = 1; i < buckets.length; i++) assert.ok(Number(buckets[i].value) >= Number(buckets[i - 1].value), 'cumulative buckets');
  assert.ok(Number(sample(flat, 'alonzo_invocation_duration_seconds_sum', labels)?.value) > 0);
  // One environment served every invocation in turn: one cold start.
  assert.equal(sample(flat, 'alonzo_init_duration_seconds_count', labels)?.value, '1');
  assert.equal(sample(families, 'alonzo_throttles_total', { ...labels, reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' })?.value, '1');
  assert.equal(sample(families, 'alonzo_async_outcomes_total', { ...labels, outcome: 'fail' })?.value, '1');
  assert.ok(Number(sample(families, 'alonzo_async_oldest_event_age_seconds', { ...labels, state: 'failed' })?.value) >= 0);
  assert.equal(sample(families, 'alonzo_environments', { ...labels, state: 'ready' })?.value, '1');
  assert.equal(sample(families, 'alonzo_concurrent_executions', labels), undefined, 'nothing runs now');
  assert.deepEqual(
    sample(families, 'alonzo_destination_deliveries_total', { outcome: 'complete' })?.value,
    '0',
  );
});

test('/metrics: loopback in local mode; never for a foreign Host or a web page', async (t) => {
  const s = await startAlonzo({ auth: 'local' });
  t.after(() => s.close());
  assert.equal((await get(`${s.url}/metrics`)).status, 200);
  // DNS rebinding: a page on evil.example whose name now points at 127.0.0.1.
  const rebound = await get(`${s.url}/metrics`, { host: 'evil.example' });
  assert.equal(rebound.status, 403);
  assert.doesNotMatch(rebound.body, /alonzo_/);
  // A page's fetch or script tag: its Origin, or Sec-Fetch-Site cross-site.
  assert.equal((await get(`${s.url}/metrics`, { origin: 'http://evil.example' })).status, 403);
  assert.equal((await get(`${s.url}/metrics`, { 'sec-fetch-site': 'cross-site' })).status, 403);
});

test('/metrics in sigv4 mode: only a key allowed alonzo:GetMetrics, as a Bearer token or a signature', async (t) => {
  const root = { accessKeyId: 'ROOTKEYFORMETRICS', secretAccessKey: 'root-secret' };
  const s = await startAlonzo({ auth: 'sigv4', rootAccessKeyId: root.accessKeyId, rootSecretAccessKey: root.secretAccessKey });
  t.after(() => s.close());
  const unsigned = await get(`${s.url}/metrics`);
  assert.equal(unsigned.status, 401);
  assert.doesNotMatch(unsigned.body, /alonzo_/);
  const ok = await get(`${s.url}/metrics`, { authorization: `Bearer ${root.accessKeyId}:${root.secretAccessKey}` });
  assert.equal(ok.status, 200);
  assert.ok(parse(ok.body).some((f) => f.name === 'alonzo_invocations_total'));
  assert.equal((await get(`${s.url}/metrics`, { authorization: `Bearer ${root.accessKeyId}:wrong-secret-xx` })).status, 401);
  assert.equal((await get(`${s.url}/metrics`, { authorization: `Bearer ${root.accessKeyId}` })).status, 401);
  const signed = await signRequest(`${s.url}/metrics`, { method: 'GET' }, { credentials: root });
  assert.equal((await get(`${s.url}/metrics`, signed)).status, 200);
  // A key for Lambda only.
  const policy = join(s.dataDir, 'lambda-only.json');
  writeFileSync(policy, JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:*', Resource: '*' }] }));
  const dev = await createKey(s.dataDir, '--name', 'dev', '--policy', policy);
  const denied = await get(`${s.url}/metrics`, { authorization: `Bearer ${dev.accessKeyId}:${dev.secretAccessKey}` });
  assert.equal(denied.status, 403);
  assert.match(denied.body, /not authorized to perform: alonzo:GetMetrics/);
  // A scraper's own key: only alonzo:GetMetrics.
  writeFileSync(policy, JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'alonzo:GetMetrics', Resource: '*' }] }));
  const scraper = await createKey(s.dataDir, '--name', 'prometheus', '--policy', policy);
  assert.equal((await get(`${s.url}/metrics`, { authorization: `Bearer ${scraper.accessKeyId}:${scraper.secretAccessKey}` })).status, 200);
});

test('docs/grafana-dashboard.json queries only series /metrics exposes', async (t) => {
  const s = await startAlonzo({ auth: 'local' });
  t.after(() => s.close());
  const names = new Set(parseFlat((await get(`${s.url}/metrics`)).body).map((f) => f.name));
  // Families without samples yet still have their HELP and TYPE lines.
  for (const m of (await get(`${s.url}/metrics`)).body.matchAll(/^# TYPE (\S+) (\w+)$/gm)) {
    names.add(m[1]);
    if (m[2] === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(m[1] + suffix);
  }
  const dashboard = JSON.parse(readFileSync(join(REPO_ROOT, 'docs', 'grafana-dashboard.json'), 'utf8'));
  const used = new Set<string>();
  for (const p of dashboard.panels) for (const target of p.targets) for (const m of String(target.expr).matchAll(/alonzo_[a-z_]+/g)) used.add(m[0]);
  assert.ok(used.size >= 8);
  for (const n of used) assert.ok(names.has(n), `${n} is not in /metrics`);
});
