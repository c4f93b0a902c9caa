// `npm run bench`: measures Alonzo against serverless-offline and the machine's floor, side by side, and writes docs/BENCHMARKS.md.
//
// Every target gets the same load generator (lib/loadgen.mjs) and targets are interleaved within each run
// (A, B, C, A, B, C…) so that noise from the machine hits them all alike. Every process started here is stopped at
// the end, every request loop is bounded, and all traffic goes to 127.0.0.1.
import { execFileSync } from 'node:child_process';
import { fork, spawn } from 'node:child_process';
import { closeSync, existsSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeFileSync, writeSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLoad, request, BENCH_CREDENTIALS } from './lib/loadgen.mjs';
import http from 'node:http';
import { zip } from './lib/zip.mjs';
import { startProcess, stopProcess, stopAll, descendants, rssKb, pssKb, cpuSeconds, treeCpuSeconds, selfAndReapedCpuSeconds, machineBusySeconds } from './lib/procs.mjs';
import { summarise } from './lib/profile.mjs';
import { serveAlonzo } from './lib/serve.mjs';
import { median, quantile, spread, fmt, fmtSpread, git as gitIn } from './lib/stats.mjs';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(BENCH, '..');
const QUICK = process.env.BENCH_QUICK === '1';

const num = (name, dflt) => {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got '${v}'`);
  return n;
};

/** Counts and durations; BENCH_QUICK=1 shrinks them all for a smoke run of a minute or so. */
const cfg = {
  runs: num('BENCH_RUNS', QUICK ? 1 : 5),
  seconds: num('BENCH_SECONDS', QUICK ? 1 : 5),
  clients: (process.env.BENCH_CLIENTS ?? '1,16').split(',').map(Number),
  coldRuns: num('BENCH_COLD_RUNS', QUICK ? 3 : 10),
  reapedRuns: num('BENCH_REAPED_RUNS', QUICK ? 2 : 5),
  asyncRuns: num('BENCH_ASYNC_RUNS', QUICK ? 1 : 2),
  asyncSeconds: num('BENCH_ASYNC_SECONDS', QUICK ? 1 : 10),
  memEnvs: num('BENCH_MEM_ENVS', QUICK ? 4 : 8),
  profileSeconds: num('BENCH_PROFILE_SECONDS', QUICK ? 2 : 5),
  longSeconds: num('BENCH_LONG_SECONDS', QUICK ? 6 : 90),
  peer: process.env.BENCH_PEER !== '0',
  only: process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : null,
  out: resolve(process.env.BENCH_OUT ?? join(ROOT, 'docs', 'BENCHMARKS.md')),
  python: process.env.BENCH_PYTHON ?? '/usr/bin/python3',
};
const want = (scenario) => !cfg.only || cfg.only.has(scenario);

/** A ~100-byte JSON event, the same for every target. */
const PAYLOAD = JSON.stringify({ id: 'evt-000042', user: { name: 'Ada Lovelace', email: 'ada@example.com' }, items: [1, 2, 3, 4, 5], ok: true });
const ROLE = 'arn:aws:iam::000000000000:role/bench';
const INVOKE = (name) => `/2015-03-31/functions/${encodeURIComponent(name)}/invocations`;

const work = mkdtempSync(join(os.tmpdir(), 'alonzo-bench-'));
const logDir = join(work, 'logs');
mkdirSync(logDir);
const say = (s) => process.stdout.write(`${s}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------- starting targets ----------

function freePort() {
  return new Promise((resolveP, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolveP(port));
    });
  });
}

/**
 * CPU of processes under a target that will not be reaped into our own accounting: a stopped server kills its
 * environments (launcher, init and runtime at once), so their CPU never reaches its cutime, and without this the
 * "other work on the machine" line would count our own environments as someone else's load.
 */
let unreapedCpu = 0;
async function stopTarget(h) {
  if (h?.pid) unreapedCpu += descendants(h.pid).reduce((sum, p) => sum + cpuSeconds(p), 0);
  await stopProcess(h);
}

let alonzoSeq = 0;
/** Starts `alonzo serve` on a kernel-chosen port with its own data directory. */
async function startAlonzo(label, { extraArgs = [], nodeArgs = [] } = {}) {
  const dataDir = join(work, `data-${label}-${++alonzoSeq}`);
  return serveAlonzo({ name: `alonzo (${label})`, root: ROOT, dataDir, logFile: join(logDir, `alonzo-${label}.log`), cwd: work, extraArgs, nodeArgs });
}

/** The floor (lib/floor.mjs): `strict` forks one child per client, one request in flight each; `pipelined` one child. */
async function startFloor(kind, mode = 'pipelined') {
  const children = Math.max(...cfg.clients);
  const h = await startProcess(`floor (${kind}, ${mode})`, process.execPath, [join(BENCH, 'lib', 'floor.mjs'), kind, mode, String(children)], {
    cwd: BENCH,
    env: { ...process.env, BENCH_PYTHON: cfg.python },
    logFile: join(logDir, `floor-${kind}-${mode}.log`),
    ready: (t) => /listening (\d+) child ([\d,]+)\n/.exec(t),
    timeoutMs: 15_000,
  });
  return { ...h, port: Number(h.info[1]), childPid: Number(h.info[2].split(',')[0]) };
}

/** serverless 3 + serverless-offline 13.9 on the echo handler in bench/peer; resolves once its Lambda port answers. */
async function startPeer(mode) {
  const sls = join(BENCH, 'node_modules', 'serverless', 'bin', 'serverless.js');
  if (!existsSync(sls) || !existsSync(join(BENCH, 'node_modules', 'serverless-offline'))) throw new Error('serverless / serverless-offline are not installed in bench/node_modules (npm install in bench/ failed?)');
  const [httpPort, lambdaPort, websocketPort] = [await freePort(), await freePort(), await freePort()];
  const args = [sls, 'offline', 'start', '--host', '127.0.0.1', '--httpPort', String(httpPort), '--lambdaPort', String(lambdaPort), '--websocketPort', String(websocketPort)];
  if (mode === 'in-process') args.push('--useInProcess');
  const env = { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_TRACKING_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', SLS_DEPRECATION_DISABLE: '*', SLS_INTERACTIVE_SETUP_DISABLE: '1', CI: '1' };
  const h = await startProcess(`serverless-offline (${mode})`, process.execPath, args, {
    cwd: join(BENCH, 'peer'),
    env,
    logFile: join(logDir, `serverless-offline-${mode}.log`),
    timeoutMs: 90_000,
    probe: async () => {
      try {
        const r = await request({ port: lambdaPort, path: INVOKE('bench-dev-echo'), body: PAYLOAD, timeoutMs: 5000 });
        return r.status === 200;
      } catch {
        return false;
      }
    },
  });
  return { ...h, port: lambdaPort };
}

async function createFunction(port, name, { runtime, handler, files, memory = 128, timeout = 30, variables }) {
  const body = { FunctionName: name, Runtime: runtime, Handler: handler, Role: ROLE, MemorySize: memory, Timeout: timeout, Code: { ZipFile: zip(files).toString('base64') } };
  if (variables) body.Environment = { Variables: variables };
  const r = await request({ port, path: '/2015-03-31/functions', body: JSON.stringify(body) });
  if (r.status !== 201) throw new Error(`CreateFunction ${name}: HTTP ${r.status} ${r.body}`);
  return r;
}

const NODE_ECHO = { runtime: 'nodejs20.x', handler: 'index.handler', files: { 'index.js': 'exports.handler = async (e) => e;\n' } };
const PY_ECHO = { runtime: 'python3.12', handler: 'lambda_function.handler', files: { 'lambda_function.py': 'def handler(event, context):\n    return event\n' } };

/** The target answers the benchmark event with the same JSON: it works, so its figures mean something. */
async function checkEcho(port, path) {
  const r = await request({ port, path, body: PAYLOAD });
  let same = false;
  try {
    same = JSON.stringify(JSON.parse(r.body)) === PAYLOAD;
  } catch {
    same = false;
  }
  if (r.status !== 200 || !same) throw new Error(`expected the event back with HTTP 200, got HTTP ${r.status}: ${r.body.slice(0, 300)}`);
}

// ---------- scenario runners ----------

/** Runs every target at every client count, `cfg.runs` times, interleaved; the order of targets rotates each run. */
async function interleaved(targets, label) {
  const results = new Map(targets.map((t) => [t.name, new Map(cfg.clients.map((c) => [c, []]))]));
  const warmMs = QUICK ? 500 : 1500;
  for (const t of targets) {
    say(`  warming ${t.name}`);
    for (const c of [...cfg.clients].reverse()) await runLoad({ port: t.port, path: t.path, body: PAYLOAD, connections: c, durationMs: warmMs });
  }
  for (let r = 0; r < cfg.runs; r++) {
    for (const c of cfg.clients) {
      for (let i = 0; i < targets.length; i++) {
        const t = targets[(i + r) % targets.length];
        const cpu0 = treeCpuSeconds(t.pid);
        const main0 = cpuSeconds(t.pid);
        const lg0 = process.cpuUsage();
        const res = await runLoad({ port: t.port, path: t.path, body: PAYLOAD, connections: c, durationMs: cfg.seconds * 1000 });
        const lg = process.cpuUsage(lg0);
        const cpu = treeCpuSeconds(t.pid) - cpu0;
        res.cpuUsPerInvoke = res.ok ? (cpu / res.ok) * 1e6 : NaN;
        res.mainCpuUsPerInvoke = res.ok ? ((cpuSeconds(t.pid) - main0) / res.ok) * 1e6 : NaN;
        res.genUsPerInvoke = res.ok ? (lg.user + lg.system) / res.ok : NaN;
        results.get(t.name).get(c).push(res);
        say(`  ${label} run ${r + 1}/${cfg.runs} ${t.name} @${c}: ${fmt(res.rate)} /s, p50 ${fmt(res.p50us / 1000, 3)} ms, p99 ${fmt(res.p99us / 1000, 3)} ms${res.errors ? `, ${res.errors} errors ${JSON.stringify(res.statuses)}` : ''}`);
        await sleep(200);
      }
    }
  }
  return results;
}

function loadTable(targets, results) {
  const rows = ['| target | clients | invokes/s | p50 ms | p99 ms | CPU µs/invoke: whole target (server process) | non-200 answers |', '|---|---:|---:|---:|---:|---:|---:|'];
  for (const t of targets) {
    for (const c of cfg.clients) {
      const rs = results.get(t.name).get(c);
      const errs = rs.reduce((s, r) => s + r.errors, 0);
      rows.push(
        `| ${t.label} | ${c} | ${fmtSpread(spread(rs.map((r) => r.rate)))} | ${fmtSpread(spread(rs.map((r) => r.p50us / 1000)), 3)} | ${fmtSpread(spread(rs.map((r) => r.p99us / 1000)), 3)} | ${fmt(median(rs.map((r) => r.cpuUsPerInvoke)))} (${fmt(median(rs.map((r) => r.mainCpuUsPerInvoke)))}) | ${errs ? `${errs} of ${fmt(rs.reduce((s, r) => s + r.ok + r.errors, 0))}` : '0'} |`,
      );
    }
  }
  return rows.join('\n');
}

/** Per-run ratio of two targets' figures (same run, same clients), as median (min–max). */
function ratio(results, a, b, c, pick) {
  const ra = results.get(a)?.get(c) ?? [];
  const rb = results.get(b)?.get(c) ?? [];
  const xs = ra.map((r, i) => (rb[i] ? pick(r) / pick(rb[i]) : NaN));
  return spread(xs);
}
/** "Alonzo / strict floor …, Alonzo / pipelined floor …; p50 over the strict floor …" for one client count. */
function floorRatios(results, c) {
  const pct = (x) => `${fmt(x.median * 100)}% (${fmt(x.min * 100)}–${fmt(x.max * 100)}%)`;
  const d = difference(results, 'alonzo', 'strict', c, (r) => r.p50us / 1000);
  return `Alonzo / strict floor ${pct(ratio(results, 'alonzo', 'strict', c, (r) => r.rate))}, Alonzo / pipelined floor ${pct(ratio(results, 'alonzo', 'floor', c, (r) => r.rate))}; p50 over the strict floor ${fmt(d.median, 3)} ms`;
}
function difference(results, a, b, c, pick) {
  const ra = results.get(a)?.get(c) ?? [];
  const rb = results.get(b)?.get(c) ?? [];
  return spread(ra.map((r, i) => (rb[i] ? pick(r) - pick(rb[i]) : NaN)));
}

function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

async function waitFor(cond, timeoutMs, stepMs = 50) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await cond()) return true;
    await sleep(stepMs);
  }
  return false;
}

/** Spawns a clean child (node over IPC, or python over Node's IPC channel) and times its first answer: the floor of a cold start. */
function floorColdStart(kind) {
  return new Promise((resolveP, reject) => {
    const env = { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8' };
    const t0 = performance.now();
    const child =
      kind === 'python'
        ? spawn(cfg.python, ['-u', join(BENCH, 'lib', 'floor_child.py')], { env, stdio: ['ignore', 'ignore', 'ignore', 'ipc'] })
        : fork(join(BENCH, 'lib', 'floor-child.cjs'), [], { env, execArgv: [], stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${kind} floor child gave no answer in 10 s`));
    }, 10_000);
    child.once('message', () => {
      const ms = performance.now() - t0;
      clearTimeout(timer);
      child.kill('SIGKILL');
      child.once('exit', () => resolveP(ms));
    });
    child.send({ id: 1, body: PAYLOAD });
  });
}

// ---------- the scenarios ----------

const R = { notes: [] };

async function warmScenarios() {
  say('Scenario 1/2: warm sync invokes');
  const alonzo = await startAlonzo('warm');
  await createFunction(alonzo.port, 'echo-node', NODE_ECHO);
  await createFunction(alonzo.port, 'echo-python', PY_ECHO);
  await checkEcho(alonzo.port, INVOKE('echo-node'));
  await checkEcho(alonzo.port, INVOKE('echo-python'));
  const floorNode = await startFloor('node');
  const strictNode = await startFloor('node', 'strict');
  const floorPy = want('python') ? await startFloor('python') : null;
  const strictPy = want('python') ? await startFloor('python', 'strict') : null;
  for (const f of [floorNode, strictNode, floorPy, strictPy]) if (f) await checkEcho(f.port, '/');

  const peers = [];
  R.peer = { attempted: cfg.peer && want('warm'), problems: [] };
  if (R.peer.attempted) {
    for (const mode of ['in-process', 'worker-threads']) {
      try {
        say(`  starting serverless-offline (${mode})`);
        const p = await startPeer(mode);
        await checkEcho(p.port, INVOKE('bench-dev-echo'));
        peers.push({ mode, ...p });
      } catch (e) {
        R.peer.problems.push(`${mode}: ${e.message.split('\n')[0]}`);
        say(`  serverless-offline (${mode}) unavailable: ${e.message}`);
      }
    }
    try {
      R.peer.versions = {
        serverless: JSON.parse(readFileSync(join(BENCH, 'node_modules', 'serverless', 'package.json'), 'utf8')).version,
        offline: JSON.parse(readFileSync(join(BENCH, 'node_modules', 'serverless-offline', 'package.json'), 'utf8')).version,
      };
    } catch {
      R.peer.versions = null;
    }
  }

  if (want('warm')) {
    const targets = [
      { name: 'alonzo', label: 'Alonzo (nodejs20.x)', port: alonzo.port, pid: alonzo.pid, path: INVOKE('echo-node') },
      ...peers.map((p) => ({ name: `sls-${p.mode}`, label: `serverless-offline, ${p.mode}`, port: p.port, pid: p.pid, path: INVOKE('bench-dev-echo') })),
      { name: 'strict', label: `strict floor: Node HTTP + ${Math.max(...cfg.clients)} node children over IPC, one request in flight each`, port: strictNode.port, pid: strictNode.pid, path: '/' },
      { name: 'floor', label: 'pipelined floor: Node HTTP + 1 node child over IPC, requests back to back', port: floorNode.port, pid: floorNode.pid, path: '/' },
    ];
    R.warm = { targets, results: await interleaved(targets, 'node') };
    R.warm.alonzoEnvs = descendants(alonzo.pid).filter((pid) => cmdline(pid).includes('bootstrap.cjs')).length;
  }
  for (const p of peers) await stopTarget(p);
  if (floorPy) {
    const targets = [
      { name: 'alonzo', label: 'Alonzo (python3.12)', port: alonzo.port, pid: alonzo.pid, path: INVOKE('echo-python') },
      { name: 'strict', label: `strict floor: Node HTTP + ${Math.max(...cfg.clients)} python children over IPC, one request in flight each`, port: strictPy.port, pid: strictPy.pid, path: '/' },
      { name: 'floor', label: 'pipelined floor: Node HTTP + 1 python child over IPC, requests back to back', port: floorPy.port, pid: floorPy.pid, path: '/' },
    ];
    R.python = { targets, results: await interleaved(targets, 'python') };
  }
  // The floor's children are the reference for an environment's memory: a bare interpreter answering over IPC.
  R.floorChildRss = { node: rssKb(floorNode.childPid), nodePss: pssKb(floorNode.childPid), python: floorPy ? rssKb(floorPy.childPid) : NaN, pythonPss: floorPy ? pssKb(floorPy.childPid) : NaN };
  await sleep(1000);
  const served = [R.warm, R.python].filter(Boolean).reduce((n, sc) => n + [...sc.results.get('alonzo').values()].flat().reduce((m, r) => m + r.ok + r.errors, 0), 0);
  R.afterLoad = { rssKb: rssKb(alonzo.pid), envs: environmentsOf(alonzo.pid).envs.length, served };
  await stopTarget(alonzo);
  for (const f of [floorNode, strictNode, floorPy, strictPy]) if (f) await stopTarget(f);
}

/** The sandbox's own cost: the same cold start without it (isolation none), interleaved with the sandboxed one. */
async function coldScenario() {
  say('Scenario 3: cold starts');
  const alonzo = await startAlonzo('cold', { extraArgs: ['--idle-timeout-ms', '500'] });
  const bare = await startAlonzo('cold-none', { extraArgs: ['--idle-timeout-ms', '500', '--isolation', 'none'] });
  const unprepared = await startAlonzo('cold-no-standby', { extraArgs: ['--idle-timeout-ms', '500', '--standby-runtimes', '0'] });
  const out = {
    node: { create: [], first: [], second: [], bare: [], unprepared: [] },
    python: { create: [], first: [], second: [], bare: [], unprepared: [] },
    reaped: { node: [], python: [] },
    floor: { node: [], python: [] },
    isolation: isolationOf(alonzo),
  };
  for (let i = 0; i < cfg.coldRuns; i++) {
    for (const [family, spec] of [['node', NODE_ECHO], ['python', PY_ECHO]]) {
      const name = `cold-${family}-${i}`;
      // New code each time (a comment naming the function), so every create unpacks a new package, as a real deploy does.
      const files = Object.fromEntries(Object.entries(spec.files).map(([f, c]) => [f, `${family === 'node' ? '//' : '#'} ${name}\n${c}`]));
      const created = await createFunction(alonzo.port, name, { ...spec, files });
      const first = await request({ port: alonzo.port, path: INVOKE(name), body: PAYLOAD });
      if (first.status !== 200) throw new Error(`cold invoke of ${name}: HTTP ${first.status} ${first.body}`);
      const second = await request({ port: alonzo.port, path: INVOKE(name), body: PAYLOAD });
      out[family].create.push(created.ms);
      out[family].first.push(first.ms);
      out[family].second.push(second.ms);
      await createFunction(bare.port, name, { ...spec, files });
      const unsandboxed = await request({ port: bare.port, path: INVOKE(name), body: PAYLOAD });
      if (unsandboxed.status !== 200) throw new Error(`cold invoke of ${name} without a sandbox: HTTP ${unsandboxed.status} ${unsandboxed.body}`);
      out[family].bare.push(unsandboxed.ms);
      await createFunction(unprepared.port, name, { ...spec, files });
      const noStandby = await request({ port: unprepared.port, path: INVOKE(name), body: PAYLOAD });
      if (noStandby.status !== 200) throw new Error(`cold invoke of ${name} without a prebooted standby: HTTP ${noStandby.status} ${noStandby.body}`);
      out[family].unprepared.push(noStandby.ms);
      // The floor right after, so the same moment's noise hits all three.
      out.floor[family].push(await floorColdStart(family));
    }
  }
  await stopTarget(bare);
  await stopTarget(unprepared);
  for (let i = 0; i < cfg.reapedRuns; i++) {
    for (const family of ['node', 'python']) {
      const name = `cold-${family}-0`;
      // The environment is reaped after 500 ms idle (the reaper looks every 250 ms): wait well past that, then invoke,
      // and check in the invocation's own log that it was a cold start (a prebooted standby may serve it).
      await sleep(1500);
      const r = await request({ port: alonzo.port, path: INVOKE(name), body: PAYLOAD, headers: { 'X-Amz-Log-Type': 'Tail' } });
      if (r.status !== 200) throw new Error(`invoke after reaping ${name}: HTTP ${r.status} ${r.body}`);
      const tail = Buffer.from(/\r\nx-amz-log-result:\s*(\S+)/i.exec(r.headers)?.[1] ?? '', 'base64').toString();
      if (!/Init Duration/.test(tail)) R.notes.push(`cold start after reaping: ${name}'s invoke 1.5 s after its last was not a cold start (no Init Duration in its log).`);
      out.reaped[family].push(r.ms);
    }
  }
  await stopTarget(alonzo);
  R.cold = out;
}

/** The isolation a running server chose, from its start-up log line (`server:isolation`). */
function isolationOf(h) {
  const re = /"event":"server:isolation","mode":"(\w+)"/;
  try {
    return re.exec(h.startText ?? '')?.[1] ?? re.exec(readFileSync(h.logFile, 'utf8'))?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * A server's environments and its idle standby sandboxes. In a sandbox an environment is three processes (the
 * launcher, the namespace's init, the runtime); a standby launcher waiting for orders has no child yet.
 */
function environmentsOf(serverPid) {
  const all = descendants(serverPid);
  const parent = new Map(all.map((p) => [p, ppidOf(p)]));
  const direct = all.filter((p) => parent.get(p) === serverPid);
  const tree = (root) => all.filter((p) => { for (let q = p; q; q = parent.get(q)) if (q === root) return true; return false; });
  const standby = direct.filter((p) => cmdline(p).includes('--standby') && tree(p).length === 1);
  const envs = direct.filter((p) => !standby.includes(p)).map((p) => tree(p));
  return { envs, standby };
}

function ppidOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return 0;
  }
}

/** Is the Event path of this build durable? Read from the compiled composition root, since the bench talks HTTP only. */
function eventPathOfBuild() {
  try {
    const root = readFileSync(join(ROOT, 'dist', 'src', 'server', 'index.js'), 'utf8');
    return /queue\//.test(root) ? 'durable' : 'background';
  } catch {
    return 'unknown';
  }
}

/** A Node.js function whose first action is one HTTP call to the benchmark's sink naming its request id. */
const SINK_FN = {
  runtime: 'nodejs20.x',
  handler: 'index.handler',
  files: {
    'index.js': [
      "const http = require('http');",
      'const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });',
      'exports.handler = (event, context) => new Promise((resolve, reject) => {',
      "  const req = http.request({ host: '127.0.0.1', port: Number(process.env.SINK_PORT), method: 'POST', path: '/done/' + encodeURIComponent(context.awsRequestId), agent }, (res) => { res.resume(); res.on('end', resolve); });",
      "  req.on('error', reject);",
      '  req.end();',
      '});',
      '',
    ].join('\n'),
  },
};

// CLOCK_MONOTONIC in µs: one clock for every process on the machine (performance.timeOrigin is only as precise as
// the millisecond wall clock each process started at, which shifted start latencies by up to a millisecond).
const monoUs = () => Number(process.hrtime.bigint() / 1000n);
const requestIdOf = (head) => /\r\nx-amzn-requestid:[ \t]*(\S+)/i.exec(head)?.[1];

async function sinkCall(sink, path, body = '') {
  const r = await fetch(`http://127.0.0.1:${sink.port}${path}`, { method: 'POST', body });
  return r.json();
}

/**
 * Waits until the sink has seen every id, or nothing new arrived for `quietMs` (bounded by `maxMs`), then returns
 * which ids never arrived. Only then is an Event called lost: the queue may legitimately drain long after the load.
 */
async function drainAndCheck(sink, ids, base, { quietMs = 30_000, maxMs = 300_000 } = {}) {
  const t0 = performance.now();
  let last = -1;
  let lastChange = t0;
  let lastAt = t0;
  for (;;) {
    const { distinct } = await sinkCall(sink, '/stats');
    if (distinct !== last) {
      last = distinct;
      lastChange = performance.now();
      lastAt = lastChange;
    }
    if (distinct - base >= ids.length || performance.now() - lastChange > quietMs || performance.now() - t0 > maxMs) break;
    await sleep(250);
  }
  const { arrivedUs } = await sinkCall(sink, '/lookup', JSON.stringify(ids));
  return { arrivedUs, missing: ids.filter((_, i) => arrivedUs[i] === null), drainedAt: lastAt };
}

async function asyncScenario() {
  say('Scenario 4: Event invokes');
  const sink = await startProcess('event sink', process.execPath, [join(BENCH, 'lib', 'sink.mjs')], { cwd: BENCH, env: process.env, logFile: join(logDir, 'sink.log'), ready: (t) => /listening (\d+)\n/.exec(t)?.[1], timeoutMs: 10_000 });
  sink.port = Number(sink.info);
  const alonzo = await startAlonzo('async');
  const variables = { SINK_PORT: String(sink.port) };

  // Light load: one Event every 20 ms to a warm function; the start latency is its 202's arrival at the benchmark to
  // its call's arrival at the sink (both on this machine's clock).
  await createFunction(alonzo.port, 'async-light', { ...SINK_FN, variables });
  const light = { ids: [], at: [] };
  // The sink's count before the warm-up Event: read after it, the Event may already be counted and the wait end at once.
  const before = (await sinkCall(sink, '/stats')).distinct;
  const warmId = requestIdOf((await request({ port: alonzo.port, path: INVOKE('async-light'), body: PAYLOAD, headers: { 'X-Amz-Invocation-Type': 'Event' } })).headers);
  await drainAndCheck(sink, [warmId], before, { quietMs: 10_000 });
  let base = (await sinkCall(sink, '/stats')).distinct;
  await runLoad({ port: alonzo.port, path: INVOKE('async-light'), body: PAYLOAD, headers: { 'X-Amz-Invocation-Type': 'Event' }, connections: 1, durationMs: (QUICK ? 1 : 4) * 1000, gapMs: 20, expectStatus: 202, onAnswer: (st, head) => { if (st === 202) { light.ids.push(requestIdOf(head)); light.at.push(monoUs()); } } });
  const lc = await drainAndCheck(sink, light.ids, base, { quietMs: 10_000 });
  const startMs = light.ids.map((_, i) => (lc.arrivedUs[i] === null ? NaN : (lc.arrivedUs[i] - light.at[i]) / 1000));
  const lightRes = { n: light.ids.length, missing: lc.missing.length, p50: quantile(startMs, 0.5), p90: quantile(startMs, 0.9), max: quantile(startMs, 1) };
  say(`  light load: ${lightRes.n} Events, start after the 202: p50 ${fmt(lightRes.p50, 2)} ms, p90 ${fmt(lightRes.p90, 2)} ms`);

  // Load: 16 clients for cfg.asyncSeconds; every 202's request id is checked at the sink after the drain.
  const runs = [];
  for (let r = 0; r < cfg.asyncRuns; r++) {
    const name = `async-sink-${r}`;
    await createFunction(alonzo.port, name, { ...SINK_FN, variables });
    base = (await sinkCall(sink, '/stats')).distinct;
    const ids = [];
    const t0 = performance.now();
    const res = await runLoad({ port: alonzo.port, path: INVOKE(name), body: PAYLOAD, headers: { 'X-Amz-Invocation-Type': 'Event' }, connections: 16, durationMs: cfg.asyncSeconds * 1000, expectStatus: 202, onAnswer: (st, head) => { if (st === 202) ids.push(requestIdOf(head)); } });
    const acceptedAt = performance.now();
    const duringLoad = (await sinkCall(sink, '/stats')).distinct - base;
    const envs = descendants(alonzo.pid).length;
    const check = await drainAndCheck(sink, ids, base);
    const completed = ids.length - check.missing.length;
    let failedListed = NaN;
    try {
      failedListed = JSON.parse((await request({ port: alonzo.port, method: 'GET', path: `/_alonzo/functions/${name}/failed-events` })).body).FailedEvents.length;
    } catch {
      failedListed = NaN;
    }
    const run = {
      accepted: res.ok,
      rejected: res.errors,
      statuses: res.statuses,
      acceptRate: res.rate,
      acceptP50: res.p50us / 1000,
      acceptP99: res.p99us / 1000,
      completed,
      completedDuringLoad: duringLoad,
      completeRate: check.drainedAt > t0 ? (completed / (check.drainedAt - t0)) * 1000 : NaN,
      drainMs: Math.max(0, check.drainedAt - acceptedAt),
      lost: check.missing.length,
      lostSample: check.missing.slice(0, 3),
      failedListed,
      envs,
      idsMissing: res.ok - ids.length,
    };
    runs.push(run);
    say(`  async run ${r + 1}/${cfg.asyncRuns}: accepted ${fmt(run.acceptRate)} /s (${run.accepted}, ${run.rejected} not 202), ${run.completedDuringLoad} completed during the load, ${run.completed} in all at ${fmt(run.completeRate)} /s, ${run.lost} never arrived`);
  }
  await stopTarget(alonzo);
  await stopTarget(sink);
  R.async = { runs, light: lightRes, path: eventPathOfBuild() };
}

async function memoryScenario() {
  say('Scenario 5: memory');
  // What the work done ahead of need costs: everything an idle server with the default standbys keeps running.
  const withStandby = await startAlonzo('memory-standby');
  await sleep(3000);
  const pool = descendants(withStandby.pid);
  const standbyCost = { procs: pool.length, rssKb: pool.reduce((s, p) => s + rssKb(p), 0), pssKb: pool.reduce((s, p) => s + pssKb(p), 0), isolation: isolationOf(withStandby) };
  await stopTarget(withStandby);
  // Environments themselves, on a server that keeps no standby (so that every new process is an environment's).
  const alonzo = await startAlonzo('memory', { extraArgs: ['--standby-runtimes', '0', '--standby-sandboxes', '0'] });
  await sleep(1500);
  const m = { idleRss: rssKb(alonzo.pid), idlePss: pssKb(alonzo.pid), n: cfg.memEnvs, standbyCost };
  const slowNode = { runtime: 'nodejs20.x', handler: 'index.handler', files: { 'index.js': 'exports.handler = async (e) => { await new Promise((r) => setTimeout(r, e.ms)); return e; };\n' } };
  const slowPy = { runtime: 'python3.12', handler: 'lambda_function.handler', files: { 'lambda_function.py': 'import time\n\ndef handler(event, context):\n    time.sleep(event["ms"] / 1000)\n    return event\n' } };
  await createFunction(alonzo.port, 'mem-node', slowNode);
  await createFunction(alonzo.port, 'mem-python', slowPy);
  m.isolation = isolationOf(alonzo);
  for (const [family, name] of [['node', 'mem-node'], ['python', 'mem-python']]) {
    const before = new Set(environmentsOf(alonzo.pid).envs.map((t) => t[0]));
    const rs = await Promise.all(Array.from({ length: m.n }, () => request({ port: alonzo.port, path: INVOKE(name), body: JSON.stringify({ ms: 1500 }) })));
    if (rs.some((r) => r.status !== 200)) throw new Error(`memory warm-up of ${name}: ${rs.map((r) => r.status).join(',')}`);
    await sleep(500);
    const envs = environmentsOf(alonzo.pid).envs.filter((t) => !before.has(t[0]));
    const procs = envs.flat();
    m[family] = { count: envs.length, procs: procs.length, rssKb: procs.reduce((s, p) => s + rssKb(p), 0), pssKb: procs.reduce((s, p) => s + pssKb(p), 0) };
  }
  m.serverWithEnvsRss = rssKb(alonzo.pid);
  m.totalEnvs = environmentsOf(alonzo.pid).envs.length;
  await stopTarget(alonzo);
  R.memory = m;
}

/**
 * Flat memory: the server's RSS over a long warm load (16 clients, Node.js echo), sampled every 2 s against the
 * invokes served so far. A million invokes does not fit in the benchmark's time on 2 shared cores, so the slope over
 * what fits (after the first ten thousand) is extrapolated to a million, and said to be.
 */
async function longRunScenario() {
  say(`Scenario 6: memory over a long run (${cfg.longSeconds} s)`);
  const alonzo = await startAlonzo('long');
  await createFunction(alonzo.port, 'echo-node', NODE_ECHO);
  await checkEcho(alonzo.port, INVOKE('echo-node'));
  const samples = []; // [invokes so far, RSS KiB]
  let served = 0;
  const until = performance.now() + cfg.longSeconds * 1000;
  while (performance.now() < until) {
    const res = await runLoad({ port: alonzo.port, path: INVOKE('echo-node'), body: PAYLOAD, connections: 16, durationMs: 2000 });
    served += res.ok;
    if (res.errors) R.notes.push(`long run: ${res.errors} non-200 answers ${JSON.stringify(res.statuses)}.`);
    samples.push([served, rssKb(alonzo.pid)]);
  }
  await sleep(2000);
  const idleAfter = rssKb(alonzo.pid);
  await stopTarget(alonzo);
  const after = samples.filter(([n]) => n >= 10_000);
  // Least squares: KiB per invoke.
  const slopeOf = (xs) => {
    const mx = xs.reduce((t, [x]) => t + x, 0) / Math.max(1, xs.length);
    const my = xs.reduce((t, [, y]) => t + y, 0) / Math.max(1, xs.length);
    return xs.reduce((t, [x, y]) => t + (x - mx) * (y - my), 0) / Math.max(1e-9, xs.reduce((t, [x]) => t + (x - mx) ** 2, 0));
  };
  const slope = slopeOf(after);
  // The server's RSS grows while it warms up (V8 sizes its young generation to the load) and then levels off, so a
  // million is extrapolated from the steady state, the second half of the run, not from the warm-up's slope.
  const late = samples.filter(([n]) => n >= served / 2);
  const lateSlope = slopeOf(late);
  const first = after[0];
  const last = samples.at(-1);
  R.longRun = {
    served,
    samples,
    idleAfter,
    first,
    slopeKbPer100k: after.length >= 3 ? slope * 100_000 : NaN,
    lateSlopeKbPer100k: late.length >= 3 ? lateSlope * 100_000 : NaN,
    at1M: first && late.length >= 3 ? last[1] + Math.max(0, lateSlope) * Math.max(0, 1_000_000 - last[0]) : NaN,
  };
  say(`  long run: ${fmt(served)} invokes, RSS ${fmt(mb(first?.[1] ?? NaN), 1)} MB after ${fmt(first?.[0])}, ${fmt(mb(samples.at(-1)[1]), 1)} MB at the end, ${fmt(mb(idleAfter), 1)} MB idle after; slope ${fmt(R.longRun.slopeKbPer100k / 1024, 2)} MB per 100k invokes`);
}

/**
 * Response streaming: a function that writes, sleeps 1 s and writes again, invoked with InvokeWithResponseStream; the
 * client's time to the first body byte (the first PayloadChunk) against the whole answer. Streamed, the first is a
 * warm invoke's few milliseconds; buffered, it would be the whole second.
 */
async function streamingScenario() {
  say('Scenario 7: response streaming');
  const alonzo = await startAlonzo('streaming');
  const files = { 'index.js': 'exports.handler = awslambda.streamifyResponse(async (event, stream) => {\n  stream.write("first");\n  await new Promise((r) => setTimeout(r, 1000));\n  stream.write("second");\n  stream.end();\n});\n' };
  await createFunction(alonzo.port, 'stream-node', { runtime: 'nodejs20.x', handler: 'index.handler', files });
  const path = `/2021-11-15/functions/stream-node/response-streaming-invocations`;
  const runs = [];
  // The first is the cold start; the others are warm.
  for (let i = 0; i < (QUICK ? 3 : 6); i++) {
    const r = await request({ port: alonzo.port, path, body: '{}' });
    if (r.status !== 200 || !r.body.includes('first') || !r.body.includes('second') || !r.body.includes('InvokeComplete')) throw new Error(`streaming invoke: HTTP ${r.status} ${r.body.slice(0, 300)}`);
    runs.push({ firstMs: r.firstBodyMs, totalMs: r.ms });
  }
  await stopTarget(alonzo);
  R.streaming = { cold: runs[0], warm: runs.slice(1) };
  const warmFirst = median(R.streaming.warm.map((r) => r.firstMs));
  const warmTotal = median(R.streaming.warm.map((r) => r.totalMs));
  say(`  streaming: first byte ${fmt(warmFirst, 1)} ms, whole answer ${fmt(warmTotal, 1)} ms (warm medians); cold ${fmt(runs[0].firstMs, 1)} / ${fmt(runs[0].totalMs, 1)} ms`);
}

/**
 * What watching costs (src/observe/, src/dashboard/): two servers alike, interleaved; one nobody watches, the other
 * scraped on /metrics every second while the dashboard is open on the function (its live tail streaming, its page
 * fetched again on each change, as the browser does). The cost of the hooks themselves when nobody watches is the
 * "nobody watching" row against the warm scenario's, and bench/ab.mjs against a build without them.
 */
async function observeScenario() {
  say('Scenario 8: observability: nobody watching against watched');
  const quiet = await startAlonzo('observe-quiet');
  const watched = await startAlonzo('observe-watched');
  for (const a of [quiet, watched]) {
    await createFunction(a.port, 'echo-node', NODE_ECHO);
    await checkEcho(a.port, INVOKE('echo-node'));
  }
  const stats = { scrapes: 0, scrapeMs: [], pages: 0, pageMs: [], tailEvents: 0 };
  const get = (path, headers) =>
    new Promise((resolve, reject) => {
      const t0 = performance.now();
      http.get({ host: '127.0.0.1', port: watched.port, path, headers }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - t0 }));
      }).on('error', reject);
    });
  const login = await request({ port: watched.port, path: '/_alonzo/dashboard/api/login', body: JSON.stringify(BENCH_CREDENTIALS) });
  if (login.status !== 200) throw new Error(`dashboard login: HTTP ${login.status} ${login.body}`);
  const cookie = /^set-cookie: ([^;\r\n]+)/im.exec(login.headers)?.[1];
  if (!cookie) throw new Error('dashboard login: no cookie');
  let pageBusy = false;
  const stream = http.get({ host: '127.0.0.1', port: watched.port, path: '/_alonzo/dashboard/api/stream?fn=echo-node', headers: { cookie } }, (res) => {
    res.on('data', (c) => {
      const text = c.toString();
      stats.tailEvents += text.split('event: log').length - 1;
      if (text.includes('event: changed') && !pageBusy) {
        pageBusy = true;
        get('/_alonzo/dashboard/api/functions/echo-node', { cookie })
          .then((r) => {
            if (r.status === 200) stats.pages++, stats.pageMs.push(r.ms);
          })
          .finally(() => (pageBusy = false));
      }
    });
  });
  const scraper = setInterval(() => {
    get('/metrics', { authorization: `Bearer ${BENCH_CREDENTIALS.accessKeyId}:${BENCH_CREDENTIALS.secretAccessKey}` }).then((r) => {
      if (r.status === 200) stats.scrapes++, stats.scrapeMs.push(r.ms);
    });
  }, 1000);
  try {
    const targets = [
      { name: 'quiet', label: 'Alonzo (nodejs20.x), nobody watching', port: quiet.port, pid: quiet.pid, path: INVOKE('echo-node') },
      { name: 'watched', label: 'Alonzo (nodejs20.x), watched: /metrics every second, the dashboard open on the function', port: watched.port, pid: watched.pid, path: INVOKE('echo-node') },
    ];
    R.observe = { targets, results: await interleaved(targets, 'observe'), stats };
  } finally {
    clearInterval(scraper);
    stream.destroy();
    await stopTarget(quiet);
    await stopTarget(watched);
  }
}

async function profileScenario() {
  say('Profile: the warm path at 16 clients under --cpu-prof');
  const dir = join(work, 'profile');
  mkdirSync(dir);
  const alonzo = await startAlonzo('profile', { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
  await createFunction(alonzo.port, 'echo-node', NODE_ECHO);
  await checkEcho(alonzo.port, INVOKE('echo-node'));
  await runLoad({ port: alonzo.port, path: INVOKE('echo-node'), body: PAYLOAD, connections: 16, durationMs: 1000 });
  // Only the samples inside the measured window count: start-up, spawning the environments and shutdown stay out.
  const fromUs = Number(process.hrtime.bigint() / 1000n);
  const res = await runLoad({ port: alonzo.port, path: INVOKE('echo-node'), body: PAYLOAD, connections: 16, durationMs: cfg.profileSeconds * 1000 });
  const toUs = Number(process.hrtime.bigint() / 1000n);
  await stopTarget(alonzo, 15_000);
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  if (!files.length) {
    R.notes.push('profile: the server wrote no .cpuprofile (it did not exit cleanly on SIGTERM).');
    return;
  }
  R.profile = { rate: res.rate, invokes: res.ok, ...summarise(join(dir, files[0]), { top: 25, fromUs, toUs }) };
  if (!R.profile.windowed) R.notes.push("profile: the measured window could not be matched to the profile's clock, so the figures include the server's start-up, warm-up and shutdown.");
}

// ---------- the document ----------

const git = (args) => gitIn(ROOT, args);

/** Median time of one 4 KiB write + fsync in the benchmark's directory: what every durable commit pays at least. */
function fsyncMs() {
  const f = join(work, 'fsync.probe');
  const fd = openSync(f, 'w');
  const block = Buffer.alloc(4096, 1);
  const xs = [];
  try {
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      writeSync(fd, block, 0, block.length, 0);
      fsyncSync(fd);
      xs.push(performance.now() - t0);
    }
  } finally {
    closeSync(fd);
    rmSync(f, { force: true });
  }
  return { median: median(xs), p90: quantile(xs, 0.9) };
}

function machine() {
  const cpus = os.cpus();
  let python = '';
  try {
    python = execFileSync(cfg.python, ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    python = 'not found';
  }
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memGiB: os.totalmem() / 2 ** 30,
    node: process.version,
    kernel: `${os.type()} ${os.release()}`,
    python,
    fsync: fsyncMs(),
  };
}

const ms3 = (s) => fmtSpread(spread(s), 1);
const mb = (kb) => kb / 1024;

function verdict(ok) {
  return ok === undefined ? 'not measured' : ok ? '**met**' : '**missed**';
}

function writeDoc(meta) {
  const L = [];
  const p = (s = '') => L.push(s);
  const m = meta.machine;
  p('# Benchmarks');
  p();
  p(`Written by \`npm run bench\` (bench/run.mjs) — do not edit by hand; rerun it. ${QUICK ? '**Quick mode (BENCH_QUICK=1): too few runs to trust; for a smoke test only.**' : ''}`);
  p();
  p('| | |');
  p('|---|---|');
  p(`| date | ${meta.date} |`);
  p(`| commit | \`${meta.commit}\`${meta.dirty ? ` plus ${meta.dirty} uncommitted change(s) in the working tree (what was built and measured)` : ''} |`);
  p(`| CPU | ${m.cpu}, ${m.cores} cores |`);
  p(`| memory | ${fmt(m.memGiB, 1)} GiB |`);
  p(`| Node.js | ${m.node} |`);
  p(`| Python interpreter (runs the python3.12 functions) | ${m.python} |`);
  p(`| kernel | ${m.kernel} |`);
  p(`| 4 KiB write + fsync, in the benchmark's temp directory | ${fmt(m.fsync.median, 2)} ms median, ${fmt(m.fsync.p90, 2)} ms p90 (measured at the end of the run) |`);
  p(`| runs | ${cfg.runs} × ${cfg.seconds} s per target and client count; cold starts ×${cfg.coldRuns}, after reaping ×${cfg.reapedRuns}; Event runs ×${cfg.asyncRuns} of ${cfg.asyncSeconds} s; ${cfg.memEnvs} environments for memory; a long run of ${cfg.longSeconds} s |`);
  p(`| load generator | bench/lib/loadgen.mjs, the same for every target: raw keep-alive HTTP/1.1 over loopback, one request in flight per client. **It runs on the same 2 cores as the targets**, so every figure here is "target + generator on 2 cores"; it used ${fmt(meta.genUs)} µs of CPU per request (median over the warm runs) |`);
  p(`| other work on the machine | ${meta.other} |`);
  p('| authentication | Alonzo runs with `--auth sigv4` and a root key, so every request is verified (≈ 45 µs of server CPU per warm invoke); each load replays one request signed before it starts, so signing costs the generator nothing per request. Alonzo also logs every request\'s principal (`api:request`, lines written once per event-loop turn) |');
  p(`| Alonzo's environment isolation | ${R.cold?.isolation ?? R.memory?.isolation ?? process.env.ALONZO_ISOLATION ?? 'auto'} (docs/SECURITY.md; as root, \`sandbox\`: namespaces, a user and cgroups per environment, a minimal root; its cost per cold start is measured in scenario 3) |`);
  p();
  p('Figures are the median of the runs, with the spread (min–max) in brackets. Targets are interleaved within each run (A, B, C, A, B, C…) and the order rotates from run to run, so noise from the machine hits every target alike: compare figures **within this document**, not with another run. The targets below are figures to compare against, not test assertions.');
  p();

  // ---- targets summary ----
  // Each target: what, goal, measured, met?, by how much, and what the measurements say about it.
  const T = [];
  const w = R.warm?.results;
  const c16 = Math.max(...cfg.clients);
  const c1 = Math.min(...cfg.clients);
  const pr = R.profile;
  const ownTop = pr ? pr.owners.filter((o) => o.name.startsWith('`')).slice(0, 4).map((o) => `${o.name} ${fmt(o.share * 100)}%`).join(', ') : '';
  const profileWhy = pr ? `Under the profiler the server's main thread spent ≈ ${fmt((pr.busyMs * 1000) / Math.max(1, pr.invokes))} µs per invoke; the Alonzo functions costing most: ${ownTop} (see "Where the time goes").` : 'No profile in this run.';
  // The warm-invoke goals, the same for both runtimes: against the strict floor (Lambda's one-request-per-environment
  // rule, the fair comparison) and the pipelined one (the machine's ceiling), per run then median.
  const warmGoals = (res, rt) => {
    const cpuOf = (name, c) => median((res.get(name)?.get(c) ?? []).map((r) => r.cpuUsPerInvoke));
    const pct = (x) => `${fmt(x.median * 100)}% (${fmt(x.min * 100)}–${fmt(x.max * 100)}%)`;
    const rs = ratio(res, 'alonzo', 'strict', c16, (r) => r.rate);
    const rp = ratio(res, 'alonzo', 'floor', c16, (r) => r.rate);
    const cpuWhy = `CPU per invoke at ${c16} clients: Alonzo's tree ${fmt(cpuOf('alonzo', c16))} µs, the strict floor's ${fmt(cpuOf('strict', c16))} µs, the pipelined floor's ${fmt(cpuOf('floor', c16))} µs.`;
    T.push([`${rt}: warm invoke at ${c16} clients vs the strict floor`, '≥ 80%', pct(rs), rs.median >= 0.8, rs.median >= 0.8 ? '' : `${fmt((0.8 - rs.median) * 100)} points short`, `${cpuWhy} ${rt === 'Node.js' ? profileWhy : ''}`]);
    T.push([`${rt}: warm invoke at ${c16} clients vs the pipelined floor`, '≥ 40%', pct(rp), rp.median >= 0.4, rp.median >= 0.4 ? '' : `${fmt((0.4 - rp.median) * 100)} points short`, 'The pipelined floor keeps many requests in flight on one child, which no Lambda environment may do: a ceiling, not a peer.']);
    const p99 = ratio(res, 'alonzo', 'strict', c16, (r) => r.p99us);
    const p99ms = (n) => fmt(median((res.get(n)?.get(c16) ?? []).map((r) => r.p99us / 1000)), 2);
    T.push([`${rt}: p99 at ${c16} clients vs the strict floor's`, '≤ 3×', `${fmt(p99.median, 2)}× (${fmt(p99.min, 2)}–${fmt(p99.max, 2)}×)`, p99.median <= 3, p99.median <= 3 ? '' : `${fmt(p99.median - 3, 2)}× over`, `Alonzo ${p99ms('alonzo')} ms, strict floor ${p99ms('strict')} ms (medians of the runs' p99).`]);
    if (rt === 'Node.js') {
      if (res.has('sls-in-process')) {
        const rsl = ratio(res, 'alonzo', 'sls-in-process', c16, (r) => r.rate);
        T.push([`${rt}: warm invoke at ${c16} clients vs serverless-offline in-process`, '≥ 3×', `${fmt(rsl.median, 2)}× (${fmt(rsl.min, 2)}–${fmt(rsl.max, 2)}×)`, rsl.median >= 3, rsl.median >= 3 ? '' : `${fmt(3 - rsl.median, 2)}× short`, `serverless-offline in-process runs the handler inside its own server process (no process hop, no isolation); its CPU per invoke: ${fmt(cpuOf('sls-in-process', c16))} µs.`]);
      } else T.push([`${rt}: warm invoke at ${c16} clients vs serverless-offline in-process`, '≥ 3×', 'serverless-offline not measured', undefined, '', R.peer?.problems?.join('; ') ?? '']);
    }
    const d = difference(res, 'alonzo', 'strict', c1, (r) => r.p50us / 1000);
    T.push([`${rt}: added p50 latency at ${c1} client over the strict floor`, '≤ 0.1 ms', `${fmt(d.median, 3)} ms (${fmt(d.min, 3)}–${fmt(d.max, 3)})`, d.median <= 0.1, d.median <= 0.1 ? '' : `${fmt(d.median - 0.1, 3)} ms over`, `Both cross HTTP → server → child → server → HTTP once; what Alonzo adds is its own work per invoke. CPU per invoke at ${c1} client: Alonzo ${fmt(cpuOf('alonzo', c1))} µs, strict floor ${fmt(cpuOf('strict', c1))} µs.`]);
  };
  if (w) warmGoals(w, 'Node.js');
  if (R.python) warmGoals(R.python.results, 'Python');
  if (R.cold) {
    for (const f of ['node', 'python']) {
      const x = median(R.cold[f].first);
      const fl = median(R.cold.floor[f]);
      const d = median(R.cold[f].first.map((v, i) => v - (R.cold.floor[f][i] ?? NaN)));
      const rel = d > 0 ? `${fmt(d, 1)} ms more than` : `${fmt(-d, 1)} ms less than`;
      const un = median(R.cold[f].unprepared);
      T.push([`cold start p50, ${f === 'node' ? 'Node.js' : 'Python'} (first invoke of a new function, sandbox included)`, '≤ 10 ms', `${fmt(x, 1)} ms`, x <= 10, x <= 10 ? '' : `${fmt(x - 10, 1)} ms over`, `Over HTTP, from sending the invoke to its complete answer, served by a prebooted standby (interpreter started ahead of need); without one it takes ${fmt(un, 1)} ms here. Spawning a clean ${f === 'node' ? 'node' : 'python3'} and getting its first answer over IPC (no HTTP, no sandbox) takes ${fmt(fl, 1)} ms during this run: the first invoke takes ${rel} that (median per pair). AWS reports Init Durations of ${f === 'node' ? '116–135' : '81–91'} ms for the same runtimes.`]);
    }
  }
  if (R.async) {
    const a = median(R.async.runs.map((r) => r.acceptRate));
    const fs = `A 4 KiB write + fsync takes ${fmt(meta.machine.fsync.median, 2)} ms here (so ≈ ${fmt(1000 / meta.machine.fsync.median)} un-batched durable commits/s).`;
    const sustained = cfg.asyncSeconds >= 10;
    const accOk = a >= 10_000 && sustained;
    if (R.async.path === 'durable') T.push([`durable Event acceptance at 16 clients while the events run, sustained ${cfg.asyncSeconds} s`, '≥ 10,000/s for 10 s', `${fmt(a)}/s`, accOk, accOk ? '' : a < 10_000 ? `${fmt(10_000 - a)}/s short` : `only ${cfg.asyncSeconds} s measured`, `${fs} Accepting and running share the 2 cores and the database; ${fmt(median(R.async.runs.map((r) => r.completedDuringLoad / Math.max(1, r.accepted))) * 100)}% of the accepted Events completed during the load (median of the runs).`]);
    // A non-durable path cannot meet a durability target, whatever its rate.
    else T.push(['durable Event acceptance', '≥ 10,000/s', `${fmt(a)}/s, but **not durable** in this build (scenario 4)`, false, 'no durable Event path to measure', fs]);
    const lost = R.async.runs.reduce((n, r) => n + r.lost, 0);
    const accepted = R.async.runs.reduce((n, r) => n + r.accepted, 0);
    T.push(['every accepted Event completes', 'none lost', lost ? `${fmt(lost)} of ${fmt(accepted)} never reached the sink` : `all ${fmt(accepted)}`, lost === 0, lost ? `${fmt(lost)} lost` : '', 'Counted by request id at an HTTP sink on loopback that the sandboxed function calls as its first action, after waiting until every id arrived or nothing arrived for 30 s (scenario 4).']);
    const l = R.async.light;
    T.push(['Event start at light load, p50 (202 → the function\'s first action)', '≤ 5 ms', `${fmt(l.p50, 2)} ms (p90 ${fmt(l.p90, 2)} ms)`, l.p50 <= 5, l.p50 <= 5 ? '' : `${fmt(l.p50 - 5, 2)} ms over`, `${fmt(l.n)} Events, one every 20 ms after its 202, to a warm function; the start is when its HTTP call reached the sink.`]);
  }
  if (R.memory) {
    const idle = mb(R.memory.idleRss);
    T.push(['idle server RSS', '≤ 80 MB', `${fmt(idle, 1)} MB`, idle <= 80, idle <= 80 ? '' : `${fmt(idle - 80, 1)} MB over`, `PSS ${fmt(mb(R.memory.idlePss), 1)} MB.`]);
    const env = mb(R.memory.node.rssKb / Math.max(1, R.memory.node.count));
    const envPss = mb(R.memory.node.pssKb / Math.max(1, R.memory.node.count));
    T.push(['warm Node.js environment RSS', '≤ 45 MB', `${fmt(env, 1)} MB`, env <= 45, env <= 45 ? '' : `${fmt(env - 45, 1)} MB over`, `PSS ${fmt(envPss, 1)} MB (the node binary's pages are shared); a bare node child: ${R.floorChildRss ? fmt(mb(R.floorChildRss.node), 1) : '—'} MB RSS.`]);
  }
  if (R.longRun?.first) {
    const lr = R.longRun;
    const ok = lr.at1M <= lr.first[1] * 1.1 && lr.idleAfter <= lr.first[1] * 1.1;
    T.push(['flat memory: server RSS after a million invokes within 10% of its level after the first ten thousand', '≤ +10%', `+${fmt((lr.at1M / lr.first[1] - 1) * 100, 1)}% at 1,000,000 extrapolated from ${fmt(lr.served)} invokes (steady-state slope ${fmt(lr.lateSlopeKbPer100k / 1024, 2)} MB per 100k; ${fmt(lr.slopeKbPer100k / 1024, 2)} over the whole run, warm-up included); idle after the run +${fmt((lr.idleAfter / lr.first[1] - 1) * 100, 1)}%`, ok, ok ? '' : 'grows', `RSS ${fmt(mb(lr.first[1]), 1)} MB after ${fmt(lr.first[0])} invokes, ${fmt(mb(lr.samples.at(-1)[1]), 1)} MB after ${fmt(lr.served)}, ${fmt(mb(lr.idleAfter), 1)} MB idle 2 s later (scenario 6). A million invokes do not fit in this benchmark's time on 2 shared cores: the verdict extrapolates from the end of the run with the least-squares slope of its second half (the steady state; RSS grows while the server warms up, then levels off).`]);
  }
  p('## Targets');
  p();
  p('| target | goal | measured | verdict | by how much | what the measurements show |');
  p('|---|---|---|---|---|---|');
  for (const [what, goal, got, ok, by, why] of T) p(`| ${what} | ${goal} | ${got} | ${verdict(ok)} | ${by} | ${why ?? ''} |`);
  p();

  // ---- scenario 1 ----
  p('## 1. Warm sync invoke, Node.js echo');
  p();
  p(`\`exports.handler = async (e) => e\` with a ${Buffer.byteLength(PAYLOAD)}-byte JSON event, \`POST /2015-03-31/functions/{name}/invocations\`, at ${cfg.clients.join(' and ')} concurrent clients. "CPU µs/invoke" is the CPU time of the target's whole process tree (server plus its environments or child; serverless-offline's worker threads live inside its one process) per answered invoke, and in brackets that of the server process alone: CPU per invoke is less sensitive to where the kernel places the load generator than the rate is, and the difference between the two is what the environments (or the floor's child) spend.`);
  p();
  if (R.peer?.attempted) {
    if (R.peer.problems.length) p(`**serverless-offline could not be measured in every mode here:** ${R.peer.problems.join('; ')}. The rest of the benchmark ran without it.`);
    p(`The peer: serverless ${R.peer.versions?.serverless ?? '?'} with serverless-offline ${R.peer.versions?.offline ?? '?'} (serverless 4 cannot run offline), the same handler (bench/peer), on its Lambda invoke port; \`in-process\` is \`--useInProcess\`, \`worker-threads\` its default. (serverless-offline's worker-thread mode is known to slow down over tens of thousands of invokes; it gets ${fmt(cfg.runs * cfg.seconds * cfg.clients.length)} s of load here.)`);
    p();
  } else if (!cfg.peer) {
    p('serverless-offline was skipped (BENCH_PEER=0).');
    p();
  }
  if (w) {
    p(loadTable(R.warm.targets, w));
    p();
    const lines = [];
    for (const c of cfg.clients) {
      let s = `at ${c} client${c > 1 ? 's' : ''}: ${floorRatios(w, c)}`;
      if (w.has('sls-in-process')) {
        const rs = ratio(w, 'alonzo', 'sls-in-process', c, (r) => r.rate);
        s += `, Alonzo / serverless-offline in-process ${fmt(rs.median, 2)}× (${fmt(rs.min, 2)}–${fmt(rs.max, 2)}×)`;
      }
      if (w.has('sls-worker-threads')) {
        const rs = ratio(w, 'alonzo', 'sls-worker-threads', c, (r) => r.rate);
        s += `, Alonzo / serverless-offline worker threads ${fmt(rs.median, 2)}×`;
      }
      lines.push(`- ${s}.`);
    }
    p('Ratios, per run then median (min–max):');
    p();
    for (const l of lines) p(l);
    p();
    p(`After the ${c16}-client runs Alonzo had ${R.warm.alonzoEnvs} warm Node.js environments (one per concurrent request, as Lambda scales: ${R.warm.alonzoEnvs} processes sharing 2 cores with the server and the load generator); the strict floor has ${c16} children, the pipelined floor one, the serverless-offline modes none (in-process) or worker threads.`);
    p();
  }

  // ---- scenario 2 ----
  if (R.python) {
    p('## 2. Warm sync invoke, Python echo');
    p();
    p('`def handler(event, context): return event` (python3.12 runtime, run by the interpreter named above), Alonzo only, against the same two floors whose children are the same Python interpreter answering over Node\'s IPC channel.');
    p();
    p(loadTable(R.python.targets, R.python.results));
    p();
    for (const c of cfg.clients) {
      p(`- at ${c} client${c > 1 ? 's' : ''}: ${floorRatios(R.python.results, c)}.`);
    }
    p();
  }

  // ---- scenario 3 ----
  if (R.cold) {
    const c = R.cold;
    p('## 3. Cold start');
    p();
    p(`A server started with \`--idle-timeout-ms 500\`. **New function**: CreateFunction with a new package each time (so the zip is unpacked anew), then the first invoke, timed from sending it to the complete answer (a fresh TCP connection each, as the timing includes); ${cfg.coldRuns} functions per runtime. **After reaping**: the environment of an existing function is reaped (the benchmark waits 1.5 s, three times the idle timeout, and checks in the invocation's own log that it was a cold start), then one invoke. **Floor**: spawning a clean \`node\` (fork, IPC) or \`python3\` and getting its first answer over IPC, from the benchmark process, no HTTP; measured right after each new function's first invoke, so the two see the same moment's load.`);
    p();
    p('| | Node.js ms | Python ms |');
    p('|---|---:|---:|');
    p(`| CreateFunction (answer) | ${ms3(c.node.create)} | ${ms3(c.python.create)} |`);
    p(`| **first invoke of a new function** | ${ms3(c.node.first)} | ${ms3(c.python.first)} |`);
    p(`| p90 of the first invoke | ${fmt(quantile(c.node.first, 0.9), 1)} | ${fmt(quantile(c.python.first, 0.9), 1)} |`);
    p(`| second invoke (warm) | ${ms3(c.node.second)} | ${ms3(c.python.second)} |`);
    p(`| first invoke after the environment was reaped | ${ms3(c.reaped.node)} | ${ms3(c.reaped.python)} |`);
    p(`| first invoke of a new function in the sandbox **without a prebooted standby** (\`--standby-runtimes 0\`, interleaved) | ${ms3(c.node.unprepared)} | ${ms3(c.python.unprepared)} |`);
    p(`| first invoke of a new function **without the sandbox** (\`--isolation none\`, interleaved) | ${ms3(c.node.bare)} | ${ms3(c.python.bare)} |`);
    p(`| floor: spawn + first answer over IPC | ${ms3(c.floor.node)} | ${ms3(c.floor.python)} |`);
    p();
    const over = (f) => {
      const d = median(c[f].first.map((x, i) => x - (c.floor[f][i] ?? NaN)));
      return d > 0 ? `${fmt(d, 1)} ms more` : `${fmt(-d, 1)} ms less (a prebooted standby's interpreter was started ahead of need; the floor starts its child when asked)`;
    };
    p(`The first invoke of a new function against the floor (per pair, median): Node.js ${over('node')}, Python ${over('python')}.`);
    p();
    const sandboxCost = (f) => fmt(median(c[f].first.map((x, i) => x - (c[f].bare[i] ?? NaN))), 1);
    const sandboxOnly = (f) => fmt(median(c[f].unprepared.map((x, i) => x - (c[f].bare[i] ?? NaN))), 1);
    p(`Against \`none\` (per pair, median): the sandboxed first invoke with a prebooted standby differs by Node.js ${sandboxCost('node')} ms, Python ${sandboxCost('python')} ms (negative: faster, since the interpreter started ahead of need); without a prebooted standby, the sandboxed first invoke differs from \`none\`'s by Node.js ${sandboxOnly('node')} ms, Python ${sandboxOnly('python')} ms: the sandbox's own set-up (namespaces, the minimal root, the cgroups' limits, ~2–3 ms) runs in a launcher started ahead of need, while without the sandbox the server spawns the runtime itself, a fork of the whole server that blocks its event loop ~7–8 ms (measured last session) — so a negative figure here is that fork, not a sandbox that costs less than nothing. A warm invoke goes through the same channel with or without the sandbox.`);
    p();
  }

  // ---- scenario 4 ----
  if (R.async) {
    const a = R.async;
    p('## 4. Asynchronous (Event) invokes');
    p();
    const pathText = {
      durable: 'This build wires the durable queue into the server (dist/src/server/index.js imports src/queue): each 202 is answered after the Event is committed.',
      background: "**This build's Event path is not durable**: the compiled server wires no queue, so the engine runs each Event once in the background, in memory, right after its 202 (another engineer is making Event invokes durable; these figures are for what the server did at this commit, and say nothing about the durable path's cost).",
      unknown: 'Could not tell from the build whether the Event path is durable.',
    }[a.path];
    p(`${pathText} The function (Node.js) makes one HTTP call as its first action: \`POST /done/<its request id>\` to a sink the benchmark runs on loopback (bench/lib/sink.mjs; a sandboxed function has its own /tmp, but shares the machine's loopback). 16 clients send \`X-Amz-Invocation-Type: Event\` for ${cfg.asyncSeconds} s; every 202's \`x-amzn-RequestId\` is then looked up at the sink, after waiting until all arrived or none arrived for 30 s (at most 300 s): only then is an Event counted lost.`);
    p();
    p('| run | accepted/s | accepted | not 202 | accept p50 ms | accept p99 ms | completed | completed during the load | completed/s (first Event to last completion) | drain after the load, ms | never completed | listed as failed | processes under the server at the end of the load (3 per sandboxed environment, plus standbys) |');
    p('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    a.runs.forEach((r, i) => {
      p(`| ${i + 1} | ${fmt(r.acceptRate)} | ${fmt(r.accepted)} | ${r.rejected ? `${fmt(r.rejected)} ${JSON.stringify(r.statuses)}` : 0} | ${fmt(r.acceptP50, 3)} | ${fmt(r.acceptP99, 3)} | ${fmt(r.completed)} | ${fmt(r.completedDuringLoad)} | ${fmt(r.completeRate)} | ${fmt(r.drainMs)} | ${fmt(r.lost)} | ${fmt(r.failedListed)} | ${r.envs} |`);
    });
    p();
    const lost = a.runs.reduce((s, r) => s + r.lost, 0);
    if (lost) p(`**${fmt(lost)} accepted Event(s) never reached the sink** after the drain wait (request ids such as ${a.runs.flatMap((r) => r.lostSample).slice(0, 3).join(', ')}).`);
    else p('Every accepted Event reached the sink.');
    p();
    const l = a.light;
    p(`Light load: ${fmt(l.n)} Events sent one at a time, 20 ms apart, to a warm function: from the 202's arrival at the benchmark to the function's call arriving at the sink, p50 ${fmt(l.p50, 2)} ms, p90 ${fmt(l.p90, 2)} ms, max ${fmt(l.max, 2)} ms${l.missing ? `; ${l.missing} never arrived` : ''}. A negative figure is an Event that started before its 202 arrived: the pollers are woken when the Event is committed, while the 202 waits for the WAL's fdatasync (and for the benchmark to read it).`);
    p();
  }

  // ---- scenario 5 ----
  if (R.memory) {
    const mm = R.memory;
    p('## 5. Memory');
    p();
    p(`VmRSS from /proc/<pid>/status; PSS (proportional: shared pages such as the interpreter binary divided among the processes sharing them) from /proc/<pid>/smaps_rollup. Per environment = the sum over the server's new child processes after ${mm.n} concurrent 1.5 s invokes of a sleeping function, divided by their count, measured once they were idle and warm.`);
    p();
    p('| | RSS MB | PSS MB |');
    p('|---|---:|---:|');
    p(`| server, idle (fresh, no function yet) | ${fmt(mb(mm.idleRss), 1)} | ${fmt(mb(mm.idlePss), 1)} |`);
    p(`| server with ${mm.totalEnvs} warm environments | ${fmt(mb(mm.serverWithEnvsRss), 1)} | |`);
    if (R.afterLoad) p(`| server after scenarios 1–2 (≈ ${fmt(R.afterLoad.served)} measured invokes), idle 1 s, ${R.afterLoad.envs} warm environments | ${fmt(mb(R.afterLoad.rssKb), 1)} | |`);
    for (const f of ['node', 'python']) {
      const x = mm[f];
      p(`| one warm ${f === 'node' ? 'Node.js' : 'Python'} environment (mean of ${x.count}; ${x.procs / Math.max(1, x.count)} processes each) | ${fmt(mb(x.rssKb / Math.max(1, x.count)), 1)} | ${fmt(mb(x.pssKb / Math.max(1, x.count)), 1)} |`);
    }
    const sc = mm.standbyCost;
    p(`| what an idle server keeps ready ahead of need (defaults, isolation \`${sc.isolation}\`): ${sc.procs} processes — a prebooted Node.js and Python environment, two standby launchers — in all | ${fmt(mb(sc.rssKb), 1)} | ${fmt(mb(sc.pssKb), 1)} |`);
    if (R.floorChildRss) {
      p(`| floor: a bare node child answering over IPC | ${fmt(mb(R.floorChildRss.node), 1)} | ${fmt(mb(R.floorChildRss.nodePss), 1)} |`);
      if (Number.isFinite(R.floorChildRss.python)) p(`| floor: a bare python3 child answering over IPC | ${fmt(mb(R.floorChildRss.python), 1)} | ${fmt(mb(R.floorChildRss.pythonPss), 1)} |`);
    }
    p();
  }

  // ---- scenario 6 ----
  if (R.longRun) {
    const lr = R.longRun;
    p('## 6. Memory over a long run');
    p();
    p(`The server's VmRSS while 16 clients invoke the Node.js echo for ${cfg.longSeconds} s (loads of 2 s back to back, RSS read after each): ${fmt(lr.served)} invokes.`);
    p();
    p('| invokes so far | server RSS MB |');
    p('|---:|---:|');
    const step = Math.max(1, Math.ceil(lr.samples.length / 12));
    lr.samples.forEach(([n, kb], i) => { if (i % step === 0 || i === lr.samples.length - 1) p(`| ${fmt(n)} | ${fmt(mb(kb), 1)} |`); });
    p(`| idle 2 s after the load | ${fmt(mb(lr.idleAfter), 1)} |`);
    p();
    p(`Least-squares slope past the first ten thousand invokes: ${fmt(lr.slopeKbPer100k / 1024, 2)} MB per 100,000 invokes; over the second half of the run (the steady state): ${fmt(lr.lateSlopeKbPer100k / 1024, 2)} MB per 100,000.`);
    p();
  }

  // ---- scenario 7 ----
  if (R.streaming) {
    const st = R.streaming;
    p('## 7. Response streaming');
    p();
    p('InvokeWithResponseStream of a Node.js function that writes `first`, sleeps 1 s and writes `second` (`awslambda.streamifyResponse`): when the client had the first body byte (the first `PayloadChunk`), against the whole answer, from the request\'s start.');
    p();
    p('| invoke | first body byte ms | whole answer ms |');
    p('|---|---:|---:|');
    p(`| cold (the first) | ${fmt(st.cold.firstMs, 1)} | ${fmt(st.cold.totalMs, 1)} |`);
    p(`| warm (median of ${st.warm.length}) | ${fmt(median(st.warm.map((r) => r.firstMs)), 1)} | ${fmt(median(st.warm.map((r) => r.totalMs)), 1)} |`);
    p();
  }

  // ---- scenario 8 ----
  if (R.observe) {
    const ob = R.observe;
    p('## 8. What watching costs: /metrics and the dashboard');
    p();
    p('Two servers alike, interleaved: one nobody watches, the other scraped on `/metrics` every second while the dashboard is open on the function (its live log tail streaming every invocation, its page fetched again whenever the stream says something changed, about once a second under load).');
    p();
    p(loadTable(ob.targets, ob.results));
    p();
    for (const c of cfg.clients) p(`- @${c}: watched / nobody watching, invokes/s ${fmtSpread(ratio(ob.results, 'watched', 'quiet', c, (r) => r.rate), 2)}`);
    p(`- During the runs: ${fmt(ob.stats.scrapes)} scrapes (median ${fmt(median(ob.stats.scrapeMs), 1)} ms), ${fmt(ob.stats.pages)} page fetches (median ${fmt(median(ob.stats.pageMs), 1)} ms), ${fmt(ob.stats.tailEvents)} log events streamed.`);
    p();
  }

  // ---- profile ----
  if (R.profile) {
    const pr = R.profile;
    p('## Where the time goes: the server on the warm path');
    p();
    p(`\`node --cpu-prof\` on a server started for the purpose (so the profiler's overhead touches no other figure), counting only the samples taken while 16 clients invoked the Node.js echo for ${cfg.profileSeconds} s (${fmt(pr.rate)} invokes/s under the profiler, ${fmt(pr.invokes)} invokes). Sampled: ${fmt(pr.busyMs)} ms busy, ${fmt(pr.idleMs)} ms idle — the server's main thread was busy ${fmt((pr.busyMs / (pr.busyMs + pr.idleMs)) * 100)}% of the time, about ${fmt((pr.busyMs * 1000) / Math.max(1, pr.invokes))} µs per invoke. Self time by area:`);
    p();
    p('| area | ms | share of busy |');
    p('|---|---:|---:|');
    for (const a of pr.areas.slice(0, 16)) p(`| ${a.name} | ${fmt(a.ms)} | ${fmt(a.share * 100, 1)}% |`);
    p();
    p('Top functions by self time (Alonzo\'s own code is mapped back to src/*.ts through its source maps):');
    p();
    p('| function | where | on behalf of (nearest Alonzo frame) | ms | share |');
    p('|---|---|---|---:|---:|');
    for (const f of pr.functions) p(`| \`${f.fn}\` | ${f.at} | ${f.via ?? ''} | ${fmt(f.ms)} | ${fmt(f.share * 100, 1)}% |`);
    p();
    p('The same time charged to the nearest Alonzo function on the stack (its own time plus the Node internals and native calls it made; work reached from the event loop with no Alonzo frame above it, such as parsing an HTTP request, is listed by area):');
    p();
    p('| Alonzo function (or area) | ms | share |');
    p('|---|---:|---:|');
    for (const o of pr.owners) p(`| ${o.name} | ${fmt(o.ms)} | ${fmt(o.share * 100, 1)}% |`);
    p();
    const own = pr.areas.filter((a) => a.name.startsWith('alonzo '));
    const ownShare = own.reduce((s, a) => s + a.share, 0);
    const http = pr.areas.filter((a) => /^node (http|net)/.test(a.name)).reduce((s, a) => s + a.share, 0);
    const gc = pr.areas.find((a) => a.name === 'garbage collection')?.share ?? 0;
    const fsShare = pr.areas.find((a) => a.name === 'node fs')?.share ?? 0;
    const sqlite = pr.areas.filter((a) => /better-sqlite3|src\/store\/|src\/queue\//.test(a.name)).reduce((s, a) => s + a.share, 0);
    const owners = pr.owners.filter((o) => o.name.startsWith('`')).slice(0, 4).map((o) => `${o.name} ${fmt(o.share * 100, 1)}%`).join(', ');
    p(`In short, by area (a native call counts in the area of the JavaScript that made it, often a Node internal such as fs): Alonzo's own code ${fmt(ownShare * 100)}% of the busy time (largest: ${own.slice(0, 4).map((a) => `${a.name.replace('alonzo ', '')} ${fmt(a.share * 100, 1)}%`).join(', ')}; the store and queue, SQLite included, ${fmt(sqlite * 100)}%), Node's HTTP and socket layers ${fmt(http * 100)}% (mostly the write and read syscalls every request needs), file-system calls ${fmt(fsShare * 100)}%, garbage collection ${fmt(gc * 100)}%. Charged to the Alonzo function responsible (the table above), the largest are ${owners}.`);
    p();
  }

  const devReload = R.devReloadSection ?? previousSection('## Hot reload: `alonzo dev`');
  if (devReload) {
    p(devReload);
    if (!R.devReloadSection) {
      p();
      p('*(This section is from an earlier run: this run did not measure hot reload; `BENCH_ONLY` left it out.)*');
    }
    p();
  }
  const cluster = R.clusterSection ?? previousClusterSection();
  if (cluster) {
    p(cluster);
    if (!R.clusterSection) {
      p();
      p('*(This section is from an earlier run: this run did not measure cluster mode; `BENCH_ONLY` left it out.)*');
    }
    p();
  }
  const esm = R.esmSection ?? previousSection('## Event source mappings (SQS, moto_server)');
  if (esm) {
    p(esm);
    if (!R.esmSection) {
      p();
      p('*(This section is from an earlier run: this run did not measure event source mappings; `BENCH_ONLY` left it out.)*');
    }
    p();
  }
  if (R.notes.length) {
    p('## Notes from this run');
    p();
    for (const n of R.notes) p(`- ${n}`);
    p();
  }
  p('## Reproducing');
  p();
  p('`npm run bench` from the repository root builds Alonzo, installs bench/\'s own dependencies (serverless 3, serverless-offline 13.9: they are not the product\'s) and runs bench/run.mjs, which rewrites this file. A full run takes about ten minutes. Settings (environment variables):');
  p();
  p('| variable | meaning | default (quick) |');
  p('|---|---|---|');
  p('| `BENCH_QUICK=1` | everything small: a smoke test | |');
  p('| `BENCH_RUNS`, `BENCH_SECONDS` | interleaved runs per target and client count, seconds each | 5, 5 (1, 1) |');
  p('| `BENCH_CLIENTS` | client counts | 1,16 |');
  p('| `BENCH_COLD_RUNS`, `BENCH_REAPED_RUNS` | new functions per runtime; invokes after reaping | 10, 5 (3, 2) |');
  p('| `BENCH_ASYNC_RUNS`, `BENCH_ASYNC_SECONDS` | Event runs and their length | 2, 10 (1, 1) |');
  p('| `BENCH_MEM_ENVS` | environments warmed for the memory figures | 8 (4) |');
  p('| `BENCH_PROFILE_SECONDS` | length of the profiled load | 5 (2) |');
  p('| `BENCH_PEER=0` | skip serverless-offline | |');
  p('| `BENCH_LONG_SECONDS` | length of the long run for flat memory | 90 (6) |');
  p('| `BENCH_ONLY` | comma list of warm, python, cold, async, memory, long, profile, streaming, observe, dev-reload, cluster, esm | all |');
  p('| `BENCH_DATABASE_URL` | the PostgreSQL the cluster scenario uses (it makes and drops a schema there) | postgres://postgres@127.0.0.1:5432/test |');
  p('| `BENCH_OUT` | where to write this document | docs/BENCHMARKS.md |');
  p('| `BENCH_PYTHON` | interpreter of the Python floor | /usr/bin/python3 |');
  p();
  mkdirSync(dirname(cfg.out), { recursive: true });
  writeFileSync(cfg.out, `${L.join('\n')}\n`);
}

// ---------- main ----------

let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    say(`\n${sig}: stopping every process the benchmark started…`);
    stopAll().finally(() => process.exit(130));
  });
}

/**
 * Cluster mode (bench/cluster.mjs, its own script: it needs PostgreSQL and starts several nodes), run after the rest so
 * that nothing else competes with it; its section is added to this document as it wrote it.
 */
async function clusterScenario() {
  say('Scenario: cluster mode (bench/cluster.mjs)');
  const out = join(work, 'cluster.md');
  const child = spawn(process.execPath, [join(BENCH, 'cluster.mjs')], { cwd: BENCH, env: { ...process.env, BENCH_CLUSTER_OUT: out }, stdio: ['ignore', 'inherit', 'inherit'] });
  const code = await new Promise((ok) => child.on('exit', (c) => ok(c)));
  if (code !== 0 || !existsSync(out)) {
    R.notes.push(`cluster: bench/cluster.mjs failed (exit ${code}); see its output above. Its section is missing from this run.`);
    return;
  }
  R.clusterSection = readFileSync(out, 'utf8').trimEnd();
}

/** Event source mappings over SQS (bench/esm-sqs.mjs, its own script: it runs moto_server and a server of its own). */
async function esmScenario() {
  say('Scenario: event source mappings, SQS (bench/esm-sqs.mjs)');
  const out = join(work, 'esm.md');
  const child = spawn(process.execPath, [join(BENCH, 'esm-sqs.mjs')], { cwd: BENCH, env: { ...process.env, BENCH_ESM_OUT: out }, stdio: ['ignore', 'inherit', 'inherit'] });
  const code = await new Promise((ok) => child.on('exit', (c) => ok(c)));
  if (code !== 0 || !existsSync(out)) {
    R.notes.push(`esm: bench/esm-sqs.mjs failed (exit ${code}); see its output above. Its section is missing from this run.`);
    return;
  }
  R.esmSection = readFileSync(out, 'utf8').trimEnd();
}

/** Hot reload of `alonzo dev` (bench/dev-reload.mjs, its own script: it runs `alonzo dev` on a project it writes). */
async function devReloadScenario() {
  say('Scenario: alonzo dev hot reload (bench/dev-reload.mjs)');
  const out = join(work, 'dev-reload.md');
  const child = spawn(process.execPath, [join(BENCH, 'dev-reload.mjs')], { cwd: BENCH, env: { ...process.env, BENCH_DEV_RELOAD_OUT: out }, stdio: ['ignore', 'inherit', 'inherit'] });
  const code = await new Promise((ok) => child.on('exit', (c) => ok(c)));
  if (code !== 0 || !existsSync(out)) {
    R.notes.push(`dev-reload: bench/dev-reload.mjs failed (exit ${code}); see its output above. Its section is missing from this run.`);
    return;
  }
  R.devReloadSection = readFileSync(out, 'utf8').trimEnd();
}

/** A section of the document as it stands (from its heading to the next), for a run that does not measure it again. */
function previousSection(heading) {
  try {
    const old = readFileSync(cfg.out, 'utf8');
    const at = old.indexOf(`\n${heading}`);
    if (at === -1) return undefined;
    const end = old.indexOf('\n## ', at + 5);
    return old.slice(at + 1, end === -1 ? undefined : end).trimEnd();
  } catch {
    return undefined;
  }
}

/** The cluster section of the document as it stands, for a run that does not measure cluster mode again. */
function previousClusterSection() {
  try {
    const old = readFileSync(cfg.out, 'utf8');
    const at = old.indexOf('\n## Cluster mode (PostgreSQL)');
    if (at === -1) return undefined;
    const end = old.indexOf('\n## ', at + 5);
    return old.slice(at + 1, end === -1 ? undefined : end).trimEnd();
  } catch {
    return undefined;
  }
}

async function main() {
  if (!existsSync(join(ROOT, 'dist', 'src', 'cli', 'main.js'))) throw new Error('Alonzo is not built: run `npm run bench` from the repository root (it builds first).');
  const started = Date.now();
  const busy0 = machineBusySeconds();
  const self0 = selfAndReapedCpuSeconds();
  const load0 = os.loadavg()[0];
  say(`Benchmarking in ${work}${QUICK ? ' (quick mode)' : ''}`);
  if (want('warm') || want('python')) await warmScenarios();
  if (want('cold')) await coldScenario();
  if (want('async')) await asyncScenario();
  if (want('memory')) await memoryScenario();
  if (want('long')) await longRunScenario();
  if (want('profile')) await profileScenario();
  if (want('streaming')) await streamingScenario();
  if (want('observe')) await observeScenario();
  await stopAll();
  if (want('dev-reload')) await devReloadScenario();
  if (want('cluster')) await clusterScenario();
  if (want('esm')) await esmScenario();
  const wall = (Date.now() - started) / 1000;
  const ours = selfAndReapedCpuSeconds() - self0 + unreapedCpu;
  const others = Math.max(0, machineBusySeconds() - busy0 - ours);
  const share = others / (wall * os.cpus().length);
  const other =
    share > 0.05
      ? `**yes**: other processes used ≈ ${fmt(others)} CPU-seconds during the ${fmt(wall)} s run (≈ ${fmt(share * 100)}% of the ${os.cpus().length} cores; 1-minute load average ${fmt(load0, 2)} at the start) — figures are lower and noisier than on an idle machine`
      : `little: other processes used ≈ ${fmt(others)} CPU-seconds during the ${fmt(wall)} s run (≈ ${fmt(share * 100)}% of the cores)`;
  const genUs = median([...(R.warm ? [...R.warm.results.values()] : [])].flatMap((byC) => [...byC.values()].flat().map((r) => r.genUsPerInvoke)));
  // Changes to the product, not to the benchmark itself.
  const dirty = git(['status', '--porcelain']).split('\n').filter((l) => l && !/ (bench\/|docs\/BENCHMARKS\.md)/.test(l)).length;
  writeDoc({ machine: machine(), date: new Date().toISOString().replace('T', ' ').slice(0, 16) + ' UTC', commit: git(['rev-parse', '--short', 'HEAD']) || 'unknown', dirty, other, genUs });
  say(`Wrote ${cfg.out} (${fmt(wall)} s)`);
}

try {
  await main();
  rmSync(work, { recursive: true, force: true });
} catch (e) {
  process.stderr.write(`bench failed: ${e.stack ?? e}\nLogs kept in ${logDir}\n`);
  await stopAll();
  process.exitCode = 1;
}
