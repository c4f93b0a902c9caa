// Interleaved A/B of Event acceptance between two builds of Alonzo: `node bench/ab-event.mjs <rootA> <rootB> [rounds]
// [seconds]`. Each round sends Events from 16 clients to A then B (the order alternates) for `seconds`, to a function
// that POSTs its request id to a sink on loopback (lib/sink.mjs), and prints the accept rates, how many completed
// during the load, and, after both drained, how many never arrived. For before/after checks; `npm run bench` reports.
import { join, resolve } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { runLoad, request } from './lib/loadgen.mjs';
import { serveAlonzo } from './lib/serve.mjs';
import { zip } from './lib/zip.mjs';
import { startProcess, stopAll } from './lib/procs.mjs';

const BENCH = resolve(new URL('.', import.meta.url).pathname);
const [rootA, rootB] = process.argv.slice(2, 4).map((p) => resolve(p));
const rounds = Number(process.argv[4] ?? 3);
const seconds = Number(process.argv[5] ?? 5);
const work = mkdtempSync(join(os.tmpdir(), 'alonzo-ab-event-'));
const PAYLOAD = JSON.stringify({ id: 'evt-000042', ok: true });
const FN = [
  "const http = require('http');",
  'const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });',
  "exports.handler = (event, context) => new Promise((resolve, reject) => { const req = http.request({ host: '127.0.0.1', port: Number(process.env.SINK_PORT), method: 'POST', path: '/done/' + encodeURIComponent(context.awsRequestId), agent }, (res) => { res.resume(); res.on('end', resolve); }); req.on('error', reject); req.end(); });",
].join('\n');

const sink = await startProcess('sink', process.execPath, [join(BENCH, 'lib', 'sink.mjs')], { cwd: BENCH, env: process.env, logFile: join(work, 'sink.log'), ready: (t) => /listening (\d+)\n/.exec(t)?.[1] });
const sinkPort = Number(sink.info);
const sinkCall = async (path, body = '') => (await fetch(`http://127.0.0.1:${sinkPort}${path}`, { method: 'POST', body })).json();

async function start(label, root) {
  const h = await serveAlonzo({ name: `alonzo ${label}`, root, dataDir: join(work, label), logFile: join(work, `${label}.log`), cwd: work });
  return { label, port: h.port, pid: h.pid, ids: [] };
}
const targets = [await start('A', rootA), await start('B', rootB)];
for (let r = 0; r < rounds; r++) {
  for (const t of r % 2 ? [...targets].reverse() : targets) {
    const name = `ev-${r}`;
    const body = JSON.stringify({ FunctionName: name, Runtime: 'nodejs20.x', Handler: 'index.handler', Role: 'arn:aws:iam::000000000000:role/ab', Code: { ZipFile: zip({ 'index.js': FN }).toString('base64') }, Environment: { Variables: { SINK_PORT: String(sinkPort) } } });
    const c = await request({ port: t.port, path: '/2015-03-31/functions', body });
    if (c.status !== 201) throw new Error(`${t.label}: CreateFunction ${c.status} ${c.body}`);
    const before = (await sinkCall('/stats')).distinct;
    const ids = [];
    const res = await runLoad({ port: t.port, path: `/2015-03-31/functions/${name}/invocations`, body: PAYLOAD, headers: { 'X-Amz-Invocation-Type': 'Event' }, connections: 16, durationMs: seconds * 1000, expectStatus: 202, onAnswer: (st, head) => { if (st === 202) ids.push(/\r\nx-amzn-requestid:[ \t]*(\S+)/i.exec(head)[1]); } });
    const during = (await sinkCall('/stats')).distinct - before;
    t.ids.push(...ids);
    console.log(`round ${r + 1} ${t.label}: accepted ${res.rate.toFixed(0)}/s (${res.ok}, ${res.errors} not 202), p50 ${(res.p50us / 1000).toFixed(2)} ms p99 ${(res.p99us / 1000).toFixed(2)} ms, ${during} completed during the load`);
    // Let the queue drain before the other target's turn, so that each load starts from an empty queue.
    for (let last = -1, quiet = 0; quiet < 20; ) {
      const d = (await sinkCall('/stats')).distinct;
      if (d - before >= ids.length) break;
      quiet = d === last ? quiet + 1 : 0;
      last = d;
      await new Promise((ok) => setTimeout(ok, 500));
    }
  }
}
for (const t of targets) {
  const { arrivedUs } = await sinkCall('/lookup', JSON.stringify(t.ids));
  console.log(`${t.label}: ${t.ids.length} accepted, ${arrivedUs.filter((x) => x === null).length} never arrived`);
}
console.log(`load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
await stopAll();
rmSync(work, { recursive: true, force: true });
