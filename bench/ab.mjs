// Interleaved A/B of the warm invoke path between two builds of Alonzo (two checkouts, each built), on the same
// machine at the same time: `node bench/ab.mjs <rootA> <rootB> [rounds] [seconds]`. Each round runs A then B (the
// order alternates) at 16 and then 1 client on the Node.js and Python echo, and prints per-round ratios B/A, so that
// noise from the machine hits both alike. For quick before/after checks of a change; `npm run bench` is the report.
import { join, resolve } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { runLoad, request } from './lib/loadgen.mjs';
import { zip } from './lib/zip.mjs';
import { stopAll, treeCpuSeconds, cpuSeconds } from './lib/procs.mjs';
import { serveAlonzo } from './lib/serve.mjs';

const [rootA, rootB] = process.argv.slice(2, 4).map((p) => resolve(p));
const rounds = Number(process.argv[4] ?? 5);
const seconds = Number(process.argv[5] ?? 3);
const families = (process.env.AB_FAMILIES ?? 'node,python').split(',');
const work = mkdtempSync(join(os.tmpdir(), 'alonzo-ab-'));
const PAYLOAD = JSON.stringify({ id: 'evt-000042', user: { name: 'Ada Lovelace', email: 'ada@example.com' }, items: [1, 2, 3, 4, 5], ok: true });
const FNS = {
  node: { Runtime: 'nodejs20.x', Handler: 'index.handler', files: { 'index.js': 'exports.handler = async (e) => e;\n' } },
  python: { Runtime: 'python3.12', Handler: 'lambda_function.handler', files: { 'lambda_function.py': 'def handler(event, context):\n    return event\n' } },
};

async function start(label, root) {
  const h = await serveAlonzo({ name: `alonzo ${label}`, root, dataDir: join(work, label), logFile: join(work, `${label}.log`), cwd: work });
  const port = h.port;
  for (const f of families) {
    const { files, ...spec } = FNS[f];
    const r = await request({ port, path: '/2015-03-31/functions', body: JSON.stringify({ FunctionName: `echo-${f}`, Role: 'arn:aws:iam::000000000000:role/ab', ...spec, Code: { ZipFile: zip(files).toString('base64') } }) });
    if (r.status !== 201) throw new Error(`${label}: CreateFunction ${r.status} ${r.body}`);
  }
  return { label, port, pid: h.pid };
}

const targets = [await start('A', rootA), await start('B', rootB)];
const path = (f) => `/2015-03-31/functions/echo-${f}/invocations`;
for (const t of targets) for (const f of families) await runLoad({ port: t.port, path: path(f), body: PAYLOAD, connections: 16, durationMs: 1500 });
const rows = [];
for (let r = 0; r < rounds; r++) {
  for (const f of families) {
    for (const c of [16, 1]) {
      const res = {};
      for (const t of r % 2 ? [...targets].reverse() : targets) {
        const cpu0 = treeCpuSeconds(t.pid);
        const main0 = cpuSeconds(t.pid);
        const x = await runLoad({ port: t.port, path: path(f), body: PAYLOAD, connections: c, durationMs: seconds * 1000 });
        x.cpuUs = ((treeCpuSeconds(t.pid) - cpu0) / x.ok) * 1e6;
        x.mainUs = ((cpuSeconds(t.pid) - main0) / x.ok) * 1e6;
        res[t.label] = x;
      }
      const a = res.A;
      const b = res.B;
      rows.push({ f, c, ratio: b.rate / a.rate, dp50: (b.p50us - a.p50us) / 1000 });
      console.log(`round ${r + 1} ${f} @${c}: A ${a.rate.toFixed(0)}/s p50 ${(a.p50us / 1000).toFixed(3)} p99 ${(a.p99us / 1000).toFixed(2)} cpu ${a.cpuUs.toFixed(0)} (main ${a.mainUs.toFixed(0)}) µs | B ${b.rate.toFixed(0)}/s p50 ${(b.p50us / 1000).toFixed(3)} p99 ${(b.p99us / 1000).toFixed(2)} cpu ${b.cpuUs.toFixed(0)} (main ${b.mainUs.toFixed(0)}) µs | B/A ${(b.rate / a.rate).toFixed(2)} Δp50 ${((b.p50us - a.p50us) / 1000).toFixed(3)} ms${a.errors || b.errors ? ` errors A ${a.errors} B ${b.errors}` : ''}`);
    }
  }
}
const med = (xs) => { const s = [...xs].sort((x, y) => x - y); return s[s.length >> 1]; };
for (const f of families) for (const c of [16, 1]) {
  const rs = rows.filter((x) => x.f === f && x.c === c);
  console.log(`${f} @${c}: B/A median ${med(rs.map((x) => x.ratio)).toFixed(2)} (${Math.min(...rs.map((x) => x.ratio)).toFixed(2)}–${Math.max(...rs.map((x) => x.ratio)).toFixed(2)}), Δp50 median ${med(rs.map((x) => x.dp50)).toFixed(3)} ms`);
}
console.log(`load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
await stopAll();
rmSync(work, { recursive: true, force: true });
