// Event source mappings, SQS: messages per second through a mapping to a no-op function, and the latency from
// SendMessage returning to the handler's first action (p50, p95), against moto_server's SQS on this machine.
//
// Throughput: BENCH_ESM_MESSAGES messages are queued first (SendMessageBatch), then the mapping is created (BatchSize
// 10, no batching window); the clock runs from the mapping's Enabled to the queue's being empty (every message
// deleted, so every batch ran and succeeded). Latency: one message at a time, each sent once the previous one reached
// the handler, which POSTs its messageId to a sink in this process (one monotonic clock for both ends). AWS's own
// poller is no anchor here: with a batching window, the window dominates; without one, the long poll returns at once.
//
// Run after `npm run build`: node bench/esm-sqs.mjs (bench/run.mjs runs it as the scenario `esm`). It writes its
// section of docs/BENCHMARKS.md to BENCH_ESM_OUT when set, else prints it.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LambdaClient, CreateFunctionCommand, CreateEventSourceMappingCommand, GetEventSourceMappingCommand, GetFunctionCommand } from '@aws-sdk/client-lambda';
import { SQSClient, CreateQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { BENCH_CREDENTIALS } from './lib/loadgen.mjs';
import { serveAlonzo } from './lib/serve.mjs';
import { stopProcess } from './lib/procs.mjs';
import { zip } from './lib/zip.mjs';
import { quantile, fmt } from './lib/stats.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const QUICK = process.env.BENCH_QUICK === '1';
const MESSAGES = Number(process.env.BENCH_ESM_MESSAGES ?? (QUICK ? 200 : 500));
const LATENCY_SAMPLES = Number(process.env.BENCH_ESM_SAMPLES ?? (QUICK ? 20 : 100));
const say = (s) => process.stdout.write(`${s}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

const work = mkdtempSync(join(os.tmpdir(), 'alonzo-bench-esm-'));
let moto;
let alonzo;
let sink;

async function startMoto() {
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const endpoint = await new Promise((ok, fail) => {
    const t = setTimeout(() => fail(new Error(`moto_server did not start: ${out}`)), 20_000);
    const on = (c) => {
      out += c;
      const m = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(t);
        ok(m[1]);
      }
    };
    child.stdout.on('data', on);
    child.stderr.on('data', on);
    child.once('error', (e) => fail(e.code === 'ENOENT' ? new Error('moto_server is not installed: pip install "moto[server]"') : e));
  });
  child.stdout.resume();
  child.stderr.resume();
  return { child, endpoint };
}

/** The sink the function reports to: when each messageId first arrived, in µs of this process's monotonic clock. */
async function startSink() {
  const arrived = new Map();
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const at = nowUs();
      for (const id of JSON.parse(Buffer.concat(chunks).toString())) if (!arrived.has(id)) arrived.set(id, at);
      res.end('{}');
    });
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${server.address().port}/`, arrived, close: () => new Promise((ok) => server.close(ok)) };
}

const NOOP = 'exports.handler = async () => ({});\n';
const REPORT = `exports.handler = async (event) => {
  await fetch(process.env.SINK_URL, { method: 'POST', body: JSON.stringify(event.Records.map((r) => r.body)) });
  return {};
};
`;

async function main() {
  moto = await startMoto();
  sink = await startSink();
  process.env.AWS_ENDPOINT_URL_SQS = moto.endpoint;
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
  alonzo = await serveAlonzo({ name: 'alonzo (esm)', root: ROOT, dataDir: join(work, 'data'), logFile: join(work, 'alonzo.log'), cwd: work });
  const lambda = new LambdaClient({ endpoint: `http://127.0.0.1:${alonzo.port}`, region: 'us-east-1', credentials: BENCH_CREDENTIALS });
  const sqs = new SQSClient({ endpoint: moto.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const fn = async (name, code, env) => {
    await lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'nodejs20.x', Handler: 'index.handler', Role: 'arn:aws:iam::000000000000:role/bench', Code: { ZipFile: zip({ 'index.js': code }) }, Environment: { Variables: env } }));
    while ((await lambda.send(new GetFunctionCommand({ FunctionName: name }))).Configuration.State !== 'Active') await sleep(20);
  };
  const queue = async (name) => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    return { url: QueueUrl, arn: Attributes.QueueArn };
  };
  const enabled = async (UUID) => {
    while ((await lambda.send(new GetEventSourceMappingCommand({ UUID }))).State !== 'Enabled') await sleep(10);
  };

  // Throughput.
  await fn('esm-noop', NOOP, {});
  const q1 = await queue('esm-throughput');
  for (let i = 0; i < MESSAGES; i += 10) {
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: q1.url, Entries: Array.from({ length: Math.min(10, MESSAGES - i) }, (_, j) => ({ Id: `m${j}`, MessageBody: `message-${i + j}` })) }));
  }
  say(`esm: ${MESSAGES} messages queued`);
  const m1 = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'esm-noop', EventSourceArn: q1.arn, BatchSize: 10 }));
  await enabled(m1.UUID);
  const t0 = Date.now();
  for (;;) {
    const { Attributes: a } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: q1.url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    if (Number(a.ApproximateNumberOfMessages) + Number(a.ApproximateNumberOfMessagesNotVisible) === 0) break;
    if (Date.now() - t0 > 600_000) throw new Error('the queue did not drain within 10 minutes');
    await sleep(50);
  }
  const seconds = (Date.now() - t0) / 1000;
  const rate = MESSAGES / seconds;
  say(`esm: drained in ${fmt(seconds, 2)} s → ${fmt(rate)} messages/s`);

  // Latency.
  await fn('esm-report', REPORT, { SINK_URL: sink.url });
  const q2 = await queue('esm-latency');
  const m2 = await lambda.send(new CreateEventSourceMappingCommand({ FunctionName: 'esm-report', EventSourceArn: q2.arn, BatchSize: 1 }));
  await enabled(m2.UUID);
  const latencies = [];
  for (let i = -3; i < LATENCY_SAMPLES; i++) {
    const id = `lat-${i}`;
    await sqs.send(new SendMessageCommand({ QueueUrl: q2.url, MessageBody: id }));
    const sent = nowUs();
    const deadline = Date.now() + 60_000;
    while (!sink.arrived.has(id)) {
      if (Date.now() > deadline) throw new Error(`${id} never reached the handler`);
      await sleep(1);
    }
    // The first three warm the environment up: a cold start is not what this measures.
    if (i >= 0) latencies.push((sink.arrived.get(id) - sent) / 1000);
  }
  const p50 = quantile(latencies, 0.5);
  const p95 = quantile(latencies, 0.95);
  say(`esm: SendMessage → handler p50 ${fmt(p50, 1)} ms, p95 ${fmt(p95, 1)} ms`);
  lambda.destroy();
  sqs.destroy();

  const section = [
    '## Event source mappings (SQS, moto_server)',
    '',
    `bench/esm-sqs.mjs: moto_server's SQS on this machine, \`alonzo serve\` in sigv4 mode finding it through \`AWS_ENDPOINT_URL_SQS\`, Node.js functions.`,
    '',
    '| measure | result |',
    '|---|---|',
    `| messages per second through a mapping (BatchSize 10, no window) to a no-op function, ${fmt(MESSAGES)} messages queued first, until the queue is empty | ${fmt(rate)}/s (${fmt(seconds, 2)} s) |`,
    `| SendMessage returned → the handler's first action, one message at a time, BatchSize 1, no window (${LATENCY_SAMPLES} messages) | p50 ${fmt(p50, 1)} ms, p95 ${fmt(p95, 1)} ms |`,
    '',
    "Both include moto_server's own time per call, which dominates the throughput: moto alone (boto3, one client, no Alonzo, measured on this machine on 2026-11-30) takes ≈ 210 ms per ReceiveMessage + DeleteMessageBatch of 10 with 500 messages queued (47 messages/s) and ≈ 410 ms with 1,000 queued (24/s): its time grows with its queue, so the rate above is moto's, not Alonzo's. With a batching window, a message waits up to the window instead.",
  ].join('\n');
  if (process.env.BENCH_ESM_OUT) writeFileSync(process.env.BENCH_ESM_OUT, `${section}\n`);
  else say(`\n${section}`);
}

try {
  await main();
} finally {
  if (alonzo) await stopProcess(alonzo);
  if (moto) {
    moto.child.kill('SIGTERM');
    await new Promise((ok) => (moto.child.exitCode !== null ? ok() : moto.child.once('exit', ok)));
  }
  await sink?.close();
  rmSync(work, { recursive: true, force: true });
}
