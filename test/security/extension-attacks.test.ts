// Hostile extensions, as an attacker would write them, through the JavaScript SDK: one probing the Extensions and
// Telemetry APIs (registering twice, forged and another environment's identifiers, another environment's Runtime API,
// a huge body, a telemetry destination outside the environment), one crashing in every environment it starts in, one
// whose telemetry listener cannot keep up with a flood. Each affects only its own environment: the victim function's
// extension keeps getting its events, and the server bounds what it keeps.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvokeCommand, PublishLayerVersionCommand, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { startAlonzo, zipOf, type TestServer } from '../helpers/alonzo.js';
import { deploy, eventually } from '../helpers/invoke.js';
import { startSink, type Sink } from '../helpers/sink.js';
import { FIXTURES } from '../helpers/paths.js';

const ext = (name: string): string => readFileSync(join(FIXTURES, 'extensions', name), 'utf8');
const text = (r: InvokeCommandOutput): string => Buffer.from(r.Payload ?? new Uint8Array()).toString('utf8');
const ECHO = { 'index.js': 'exports.handler = async (e) => ({ echo: e });\n' };

for (const isolation of ['auto', 'none'] as const) describe(`hostile extensions [${isolation}]`, () => {
  let s: TestServer;
  let sink: Sink;
  const layer = async (name: string, files: Record<string, string>) =>
    (await s.client.send(new PublishLayerVersionCommand({ LayerName: `${name}-${isolation}`, Content: { ZipFile: await zipOf(files, 0o755) } }))).LayerVersionArn!;
  const invoke = (fn: string, payload: unknown = {}) => s.client.send(new InvokeCommand({ FunctionName: fn, Payload: Buffer.from(JSON.stringify(payload)) }));
  let victim: string;

  before(async () => {
    s = await startAlonzo({ isolation });
    sink = await startSink();
    victim = `victim-${isolation}`;
    await deploy(s, victim, { zip: await zipOf(ECHO), Layers: [await layer('victim', { 'extensions/recorder': ext('recorder.sh') })], Environment: { Variables: { SINK_URL: sink.url(victim) } } });
    const r = await invoke(victim, { warm: 1 });
    assert.equal(r.FunctionError, undefined, text(r));
  });
  after(async () => {
    await s.close();
    await sink.close();
  });

  const victimStillServed = async (n: number) => {
    const r = await invoke(victim, { n });
    assert.equal(r.FunctionError, undefined, text(r));
    const id = r.$metadata.requestId!;
    await eventually(async () => sink.records(victim).some((x) => x.eventType === 'INVOKE' && x.requestId === id), 10_000, "the victim's INVOKE");
  };

  test('an extension probing the APIs gets AWS\'s refusals and reaches nothing of another environment', async () => {
    const fn = `hostile-${isolation}`;
    await deploy(s, fn, {
      zip: await zipOf(ECHO),
      Layers: [await layer('hostile', { 'extensions/hostile': ext('hostile.sh') })],
      Environment: { Variables: { SINK_URL: sink.url(fn), VICTIM_URL: sink.url(victim) } },
    });
    const r = await invoke(fn, { x: 1 });
    assert.equal(r.FunctionError, undefined, text(r));
    await eventually(async () => sink.records(fn).some((x) => x.probes === 'done'), 15_000, 'the probes');
    const probes = Object.fromEntries(sink.records(fn).filter((x) => x.probe).map((x) => [x.probe, { status: Number(x.status), body: x.body.trim() ? safeJson(x.body) : '' }]));
    assert.deepEqual(probes['register-twice'], { status: 403, body: { errorMessage: 'State transition from Registered to Registered failed for extension hostile. Error: State transition is not allowed', errorType: 'Extension.InvalidExtensionState' } });
    assert.deepEqual(probes['no-identifier'], { status: 403, body: { errorMessage: 'Missing Lambda-Extension-Identifier header', errorType: 'Extension.MissingExtensionIdentifier' } });
    assert.deepEqual(probes['bad-identifier'], { status: 403, body: { errorMessage: 'Invalid Lambda-Extension-Identifier', errorType: 'Extension.InvalidExtensionIdentifier' } });
    assert.deepEqual(probes['forged-identifier'], { status: 403, body: { errorMessage: 'Unknown extension 00000000-0000-4000-8000-000000000000', errorType: 'Extension.UnknownExtensionIdentifier' } });
    assert.equal(probes['huge-body'].status, 413);
    assert.deepEqual(probes['bad-event'], { status: 403, body: { errorMessage: 'EVERYTHING: ErrorInvalidEventType', errorType: 'Extension.InvalidEventType' } });
    assert.equal(probes['outside-destination'].status, 400);
    assert.equal(probes['outside-destination'].body.errorType, 'ValidationError');
    assert.equal(probes['bad-buffering'].status, 400);
    assert.match(probes['bad-buffering'].body.errorMessage, /maxItems/);
    // The victim's identifier means nothing in this environment, and the victim's Runtime API serves only its own.
    assert.equal(probes['foreign-identifier'].status, 403);
    assert.equal(probes['foreign-identifier'].body.errorType, 'Extension.UnknownExtensionIdentifier');
    assert.deepEqual(probes['foreign-runtime-api'], { status: 403, body: { errorMessage: 'This Runtime API serves its own execution environment only.', errorType: 'AccessDenied' } });
    assert.equal(probes['foreign-exit-error'].status, 403);
    // The victim's environment is untouched: its extension still gets its events, warm.
    await victimStillServed(2);
  });

  test('an extension that crashes in every environment fails each invocation with Extension.Crash, and nothing else', async () => {
    const fn = `crash-loop-${isolation}`;
    await deploy(s, fn, {
      zip: await zipOf({ 'index.js': 'exports.handler = () => new Promise((ok) => setTimeout(() => ok("late"), 5000));\n' }),
      Timeout: 10,
      Layers: [await layer('crash-loop', { 'extensions/crash-on-invoke': ext('crash-on-invoke.sh') })],
    });
    for (let i = 0; i < 3; i++) {
      const r = await invoke(fn);
      assert.equal(r.FunctionError, 'Unhandled');
      assert.deepEqual(JSON.parse(text(r)), { errorType: 'Extension.Crash', errorMessage: `RequestId: ${r.$metadata.requestId} Error: exit status 1` });
    }
    await victimStillServed(3);
  });

  test('a telemetry listener that cannot keep up loses the oldest records (platform.logsDropped says how many), the function does not wait for it', async () => {
    const fn = `flood-${isolation}`;
    await deploy(s, fn, {
      zip: await zipOf({ 'index.js': 'exports.handler = async () => { for (let i = 0; i < 20000; i++) process.stdout.write(`flood line ${i}\\n`); return "flooded"; };\n' }),
      MemorySize: 512,
      Layers: [await layer('flood', { 'extensions/flood-listener.js': ext('flood-listener.js') })],
      Environment: { Variables: { SINK_URL: sink.url(fn) } },
    });
    const r = await invoke(fn);
    assert.equal(text(r), '"flooded"');
    const dropped = await eventually(async () => sink.records(fn).flatMap((x) => x.dropped ?? [])[0], 20_000, 'platform.logsDropped');
    assert.ok(dropped.droppedRecords > 0 && dropped.droppedBytes > 0, JSON.stringify(dropped));
    assert.match(dropped.reason, /fallen behind/);
    // Never more than one batch of its own size at a time.
    for (const b of sink.records(fn)) assert.ok(b.size <= 1001, `a batch of ${b.size}`);
    await victimStillServed(4);
  });
});

function safeJson(t: string): any {
  try {
    return JSON.parse(t);
  } catch {
    return t;
  }
}
