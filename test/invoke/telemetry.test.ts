// The Telemetry API through a real extension (test/fixtures/extensions/telemetry.js, a Node.js listener in the
// environment) and the JavaScript SDK: the subscription, batches POSTed to the listener as JSON arrays, AWS's platform
// records in their order (initStart … initReport, then start, runtimeDone with metrics, report per invocation), the
// function's output as 'function' records (text, or JSON objects with the JSON log format), the extension's own
// output as 'extension' records, and the last batch delivered before SHUTDOWN.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvokeCommand, PublishLayerVersionCommand, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { startAlonzo, zipOf, type TestServer } from '../helpers/alonzo.js';
import { deploy, eventually, functionLogs, waitActive } from '../helpers/invoke.js';
import { startSink, type Sink } from '../helpers/sink.js';
import { FIXTURES } from '../helpers/paths.js';

const HANDLER = { 'index.js': 'exports.handler = async (e) => { console.log("handler says", e.n); return { ok: e.n }; };\nconsole.log("function init line");\n' };

interface Rec {
  time: string;
  type: string;
  record: any;
}

for (const isolation of ['auto', 'none'] as const) describe(`telemetry [${isolation}]`, () => {
  let s: TestServer;
  let sink: Sink;
  let layerArn: string;
  before(async () => {
    s = await startAlonzo({ isolation });
    sink = await startSink();
    const zip = await zipOf({ 'extensions/telemetry.js': readFileSync(join(FIXTURES, 'extensions', 'telemetry.js'), 'utf8') }, 0o755);
    layerArn = (await s.client.send(new PublishLayerVersionCommand({ LayerName: `telemetry-${isolation}`, Content: { ZipFile: zip } }))).LayerVersionArn!;
  });
  after(async () => {
    await s.close();
    await sink.close();
  });

  const events = (fn: string): Rec[] => sink.records(fn).flatMap((r) => r.batch ?? []);

  test('platform, function and extension records arrive in batches, in AWS\'s order, with their metrics; the rest before SHUTDOWN', async () => {
    const fn = `telemetry-${isolation}`;
    await deploy(s, fn, { zip: await zipOf(HANDLER), Layers: [layerArn], MemorySize: 512, Environment: { Variables: { SINK_URL: sink.url(fn) } } });
    const ids: string[] = [];
    for (const n of [1, 2]) {
      const r = await s.client.send(new InvokeCommand({ FunctionName: fn, Payload: Buffer.from(JSON.stringify({ n })) }));
      assert.equal(r.FunctionError, undefined, Buffer.from(r.Payload ?? []).toString());
      const id = r.$metadata.requestId!;
      ids.push(id);
      // platform.report comes once the extension is done with the invocation: the environment is free again then, and
      // the second invocation finds it warm (else it would start a second environment, with a second subscriber).
      await eventually(async () => events(fn).some((e) => e.type === 'platform.report' && e.record.requestId === id), 15_000, 'platform.report');
    }
    const all = await eventually(async () => {
      const e = events(fn);
      return e.filter((x) => x.type === 'platform.report').length >= 2 && e;
    }, 15_000, 'two platform.report records');
    const subscribed = sink.records(fn).find((r) => r.subscribed !== undefined);
    assert.deepEqual({ status: subscribed.subscribed, answer: subscribed.answer }, { status: 200, answer: '"OK"' });
    for (const r of sink.records(fn).filter((x) => x.batch)) {
      assert.ok(Array.isArray(r.batch) && r.batch.length > 0 && r.batch.length <= 1000);
      assert.equal(r.contentType, 'application/json');
    }
    for (const e of all) {
      assert.ok(!Number.isNaN(Date.parse(e.time)), `time ${e.time}`);
    }
    const types = all.map((e) => e.type);
    assert.equal(types.includes('platform.end'), false, 'platform.end is the Logs API\'s only');
    // Init: replayed to the subscriber even though it subscribed after the environment started.
    assert.equal(types[0], 'platform.initStart');
    assert.deepEqual(all[0].record, { initializationType: 'on-demand', phase: 'init', functionName: fn, functionVersion: '$LATEST' });
    const at = (type: string, pred: (e: Rec) => boolean = () => true) => all.findIndex((e) => e.type === type && pred(e));
    assert.ok(at('platform.telemetrySubscription') > 0);
    assert.deepEqual(all[at('platform.telemetrySubscription')].record, { name: 'telemetry.js', state: 'Subscribed', types: ['platform', 'function', 'extension'] });
    const initLine = at('function', (e) => typeof e.record === 'string' && e.record.endsWith('function init line'));
    assert.ok(initLine > 0, 'the function\'s init output');
    assert.ok(at('platform.initRuntimeDone') > initLine);
    assert.deepEqual(all[at('platform.extension')].record, { name: 'telemetry.js', state: 'Ready', events: ['INVOKE', 'SHUTDOWN'] });
    const initReport = all[at('platform.initReport')];
    assert.equal(initReport.record.status, 'success');
    assert.ok(initReport.record.metrics.durationMs > 0);
    assert.ok(at('extension', (e) => e.record === 'telemetry extension subscribed') >= 0, 'the extension\'s own output as extension records');
    for (const [i, id] of ids.entries()) {
      const start = at('platform.start', (e) => e.record.requestId === id);
      const line = at('function', (e) => typeof e.record === 'string' && e.record.endsWith(`handler says ${i + 1}`));
      const done = at('platform.runtimeDone', (e) => e.record.requestId === id);
      const report = at('platform.report', (e) => e.record.requestId === id);
      assert.ok(at('platform.initReport') < start && start < line && line < done && done < report, `order for ${id}: ${[start, line, done, report]}`);
      assert.equal(all[start].record.version, '$LATEST');
      assert.equal(all[start].record.tracing.type, 'X-Amzn-Trace-Id');
      const rd = all[done].record;
      assert.equal(rd.status, 'success');
      assert.equal(rd.metrics.producedBytes, JSON.stringify({ ok: i + 1 }).length);
      assert.ok(rd.metrics.durationMs >= 0);
      const rep = all[report].record;
      assert.equal(rep.status, 'success');
      assert.deepEqual(Object.keys(rep.metrics).sort(), (i === 0 ? ['billedDurationMs', 'durationMs', 'initDurationMs', 'maxMemoryUsedMB', 'memorySizeMB'] : ['billedDurationMs', 'durationMs', 'maxMemoryUsedMB', 'memorySizeMB']));
      assert.equal(rep.metrics.memorySizeMB, 512);
      assert.ok(rep.metrics.billedDurationMs >= Math.ceil(rd.metrics.durationMs) - 1);
    }
    // Retiring the environment: the subscriber gets what was left, then SHUTDOWN.
    await s.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: fn, Description: 'retire' }));
    await waitActive(s, fn);
    await eventually(async () => sink.records(fn).some((r) => r.shutdown === 'spindown'), 10_000, 'SHUTDOWN at the extension');
    const saw = events(fn).filter((e) => e.type === 'extension' && /telemetry extension saw/.test(e.record));
    assert.deepEqual(saw.map((e) => e.record), ids.map((id) => `telemetry extension saw ${id}`));
  });

  test('the Logs API (2020-08-15): a bash extension subscribes a listener and gets the function\'s lines and the platform records', async () => {
    const fn = `logs-api-${isolation}`;
    const zip = await zipOf({ 'extensions/logs-api': readFileSync(join(FIXTURES, 'extensions', 'logs-api.sh'), 'utf8') }, 0o755);
    const arn = (await s.client.send(new PublishLayerVersionCommand({ LayerName: `logs-api-${isolation}`, Content: { ZipFile: zip } }))).LayerVersionArn!;
    await deploy(s, fn, { zip: await zipOf(HANDLER), Layers: [arn], MemorySize: 256, Environment: { Variables: { SINK_URL: sink.url(fn) } } });
    const r = await s.client.send(new InvokeCommand({ FunctionName: fn, Payload: Buffer.from('{"n":5}') }));
    const id = r.$metadata.requestId!;
    const all = await eventually(async () => {
      const e = events(fn);
      return e.some((x) => x.type === 'platform.report' && x.record.requestId === id) && e;
    }, 15_000, 'platform.report over the Logs API');
    assert.equal(sink.records(fn).find((x) => x.subscribed !== undefined).subscribed, 200);
    assert.ok(all.some((e) => e.type === 'function' && typeof e.record === 'string' && e.record.endsWith('handler says 5')));
    assert.ok(all.some((e) => e.type === 'platform.start' && e.record.requestId === id));
    assert.ok(all.some((e) => e.type === 'platform.end' && e.record.requestId === id), 'the Logs API\'s platform.end');
    // The Logs API has no Telemetry-only records.
    assert.equal(all.some((e) => e.type === 'platform.initStart' || e.type === 'platform.initReport' || e.type === 'platform.telemetrySubscription'), false);
    assert.ok(all.some((e) => e.type === 'platform.logsSubscription'));
  });

  test('a minimal OpenTelemetry-style extension exports one OTLP span per invocation, from platform.runtimeDone, before its environment is free', async () => {
    const fn = `otel-${isolation}`;
    const zip = await zipOf({ 'extensions/otel-lite.js': readFileSync(join(FIXTURES, 'extensions', 'otel-lite.js'), 'utf8') }, 0o755);
    const arn = (await s.client.send(new PublishLayerVersionCommand({ LayerName: `otel-${isolation}`, Content: { ZipFile: zip } }))).LayerVersionArn!;
    // The sink stands in for an OTLP/HTTP collector: the extension POSTs to <endpoint>/v1/traces.
    const endpoint = sink.url(fn);
    await deploy(s, fn, { zip: await zipOf(HANDLER), Layers: [arn], MemorySize: 512, Environment: { Variables: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint } } });
    for (const n of [1, 2, 3]) {
      const r = await s.client.send(new InvokeCommand({ FunctionName: fn, Payload: Buffer.from(JSON.stringify({ n })) }));
      assert.equal(r.FunctionError, undefined);
      const id = r.$metadata.requestId!;
      // Once the REPORT line is written the extension has called next, which it does only after its export.
      await eventually(async () => new RegExp(`REPORT RequestId: ${id}`).test(await functionLogs(s, fn)), 15_000, 'the REPORT line');
      const spans = sink.records(`${fn}/v1/traces`).flatMap((x) => x.resourceSpans.flatMap((rs: any) => rs.scopeSpans.flatMap((ss: any) => ss.spans.map((sp: any) => ({ rs, sp })))));
      const mine = spans.find(({ sp }) => sp.attributes.some((a: any) => a.key === 'faas.invocation_id' && a.value.stringValue === id));
      assert.ok(mine, `a span for ${id}`);
      assert.equal(mine.sp.name, fn);
      assert.match(mine.sp.traceId, /^[0-9a-f]{32}$/);
      assert.deepEqual(mine.sp.status, { code: 1 });
      assert.ok(BigInt(mine.sp.endTimeUnixNano) >= BigInt(mine.sp.startTimeUnixNano));
      assert.equal(mine.sp.attributes.find((a: any) => a.key === 'faas.produced_bytes').value.intValue, String(JSON.stringify({ ok: n }).length));
      assert.deepEqual(mine.rs.resource.attributes[0], { key: 'faas.name', value: { stringValue: fn } });
    }
  });

  test('with the JSON log format, function records are the JSON objects the runtime writes', async () => {
    const fn = `telemetry-json-${isolation}`;
    await deploy(s, fn, { zip: await zipOf(HANDLER), Layers: [layerArn], MemorySize: 512, LoggingConfig: { LogFormat: 'JSON' }, Environment: { Variables: { SINK_URL: sink.url(fn) } } });
    const r = await s.client.send(new InvokeCommand({ FunctionName: fn, Payload: Buffer.from('{"n":7}') }));
    const id = r.$metadata.requestId!;
    const rec = await eventually(async () => events(fn).find((e) => e.type === 'function' && typeof e.record === 'object' && e.record.requestId === id), 15_000, 'a JSON function record');
    assert.equal(rec.record.level, 'INFO');
    assert.match(rec.record.message, /handler says 7/);
  });
});
