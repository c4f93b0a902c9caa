// Hot-reload latency of `alonzo dev`: from the end of a save (writeFileSync returned) to the first invoke that answers
// with the saved code, over BENCH_DEV_SAVES saves. Invokes go back to back through the Lambda API (signed, as a
// client signs), so the figure is what a developer who saves and re-runs at once would see at best.
//
// Run after `npm run build`: node bench/dev-reload.mjs (bench/run.mjs runs it as the scenario `dev-reload`). It writes
// its section of docs/BENCHMARKS.md to BENCH_DEV_RELOAD_OUT when set, else prints it.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signedFetch } from '../dist/test/helpers/sign.js';
import { median, quantile, fmt } from './lib/stats.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SAVES = Number(process.env.BENCH_DEV_SAVES ?? (process.env.BENCH_QUICK === '1' ? 10 : 40));
const say = (s) => process.stdout.write(`${s}\n`);

const work = mkdtempSync(join(os.tmpdir(), 'alonzo-bench-dev-'));
chmodSync(work, 0o755);
const app = join(work, 'app');
mkdirSync(join(app, 'src'), { recursive: true });
writeFileSync(
  join(app, 'template.yaml'),
  `Transform: AWS::Serverless-2016-10-31
Resources:
  ReloadFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: index.handler
      Runtime: nodejs20.x
`,
);
const code = (n) => `export const handler = async () => ({ n: ${n} });\n`;
writeFileSync(join(app, 'src', 'index.mjs'), code(0));
const dataDir = join(work, 'data');

const proc = spawn(process.execPath, [join(ROOT, 'bin', 'alonzo.js'), 'dev', '--port', '0', '--api-port', '0', '--data-dir', dataDir, '--log-level', 'warn'], { cwd: app, stdio: ['ignore', 'pipe', 'pipe'] });
let out = '';
proc.stdout.on('data', (c) => (out += c));
proc.stderr.on('data', (c) => (out += c));
const stop = async () => {
  if (proc.exitCode === null) {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
  }
  rmSync(work, { recursive: true, force: true });
};

try {
  const url = await new Promise((ok, fail) => {
    const t = setTimeout(() => fail(new Error(`alonzo dev did not start:\n${out}`)), 60_000);
    const look = () => {
      const m = /serving the Lambda API on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(t);
        ok(m[1]);
      }
    };
    proc.stdout.on('data', look);
    proc.once('exit', () => fail(new Error(`alonzo dev ended:\n${out}`)));
  });
  const invoke = async () => {
    const r = await signedFetch(`${url}/2015-03-31/functions/ReloadFunction/invocations`, { method: 'POST', body: '{}' });
    return (await r.json()).n;
  };
  // Warm: the first environment, and a cold start of a dev function for comparison (evicted by a touch of the file).
  await invoke();
  const latencies = [];
  const polls = [];
  for (let i = 1; i <= SAVES; i++) {
    // Between saves: a warm environment on the old code, as when a developer saves after trying the last version.
    await invoke();
    await new Promise((r) => setTimeout(r, 150));
    writeFileSync(join(app, 'src', 'index.mjs'), code(i));
    const t0 = process.hrtime.bigint();
    let n = 0;
    let seen;
    do {
      seen = await invoke();
      n++;
      if (Number(process.hrtime.bigint() - t0) > 10e9) throw new Error(`save ${i} never reached an invoke in 10 s`);
    } while (seen !== i);
    latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    polls.push(n);
  }
  const p50 = median(latencies);
  const lines = [
    '## Hot reload: `alonzo dev`, save → first invoke on the new code',
    '',
    `${SAVES} saves of a Node.js function's file (\`writeFileSync\`), each followed at once by back-to-back signed invokes through the Lambda API until one answers with the saved code; a warm environment on the old code was there before each save. Measured by \`bench/dev-reload.mjs\` on ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}.`,
    '',
    '| | p50 | p90 | max | goal |',
    '|---|---|---|---|---|',
    `| save → first invoke on the new code (ms) | ${fmt(p50, 1)} | ${fmt(quantile(latencies, 0.9), 1)} | ${fmt(Math.max(...latencies), 1)} | ≤ 200 p50 ${p50 <= 200 ? '✓' : '✘'} |`,
    `| invokes it took (the ones before answered on the old code) | ${fmt(median(polls))} | ${fmt(quantile(polls, 0.9))} | ${fmt(Math.max(...polls))} | |`,
    '',
    'What the figure is made of: the file-watch event (inotify, Node\'s recursive `fs.watch`), the eviction of the warm environment, and the cold start of a new one on the folder (no zip, no copy: the folder is bound read-only at /var/task).',
  ];
  const section = lines.join('\n');
  if (process.env.BENCH_DEV_RELOAD_OUT) writeFileSync(process.env.BENCH_DEV_RELOAD_OUT, `${section}\n`);
  else say(section);
} finally {
  await stop();
}
