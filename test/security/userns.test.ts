// The degraded sandbox of a server that is not root (isolation 'userns'): a real server runs as an unprivileged user
// (uid 65534, through setpriv) in a child process, and real functions (Node and Python) attack it from inside their
// user + mount + PID namespaces. The test itself needs root, to start that server as another user; it fails (never
// skips) where it cannot, and it fails if the server fell back to running functions without a sandbox ('none').
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CreateFunctionCommand, GetFunctionCommand, InvokeCommand, ListFunctionsCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { lambdaClient, zipOf, ROLE } from '../helpers/alonzo.js';
import { processesMentioning } from '../helpers/invoke.js';
import { REPO_ROOT } from '../helpers/paths.js';

/** The server's user: nobody, as an unprivileged service account would be. */
const USER = 65534;
const AS_USER = ['--reuid', String(USER), '--regid', String(USER), '--clear-groups'];
const SERVER_SECRET = `server-only-${process.pid}`;

const NODE_FN = `
const fs = require('node:fs');
const cp = require('node:child_process');
const tryIt = (f) => { try { return { ok: true, value: f() }; } catch (e) { return { ok: false, code: e.code || e.message }; } };
const sh = (c) => { try { return cp.execFileSync('/bin/sh', ['-c', c], { stdio: 'pipe' }).toString(); } catch (e) { return 'exit ' + e.status + ': ' + String(e.stdout) + String(e.stderr); } };
const attacks = {
  whoami: () => ({
    uid: process.getuid(), gid: process.getgid(), ppid: process.ppid,
    status: fs.readFileSync('/proc/self/status', 'utf8').split('\\n').filter((l) => /^(Cap(Prm|Eff|Bnd|Amb)|NoNewPrivs)/.test(l)),
    procs: fs.readdirSync('/proc').filter((n) => /^\\d+$/.test(n)).sort(),
    uidMap: fs.readFileSync('/proc/self/uid_map', 'utf8').trim().split(/\\s+/),
    env: Object.keys(process.env).filter((k) => /^(AWS_ACCESS|AWS_SECRET|AWS_SESSION|ALONZO_)/.test(k)),
    session: process.env.AWS_SESSION_TOKEN,
  }),
  server: (e) => ({
    environ: tryIt(() => fs.readFileSync('/proc/' + e.serverPid + '/environ', 'latin1').length),
    db: tryIt(() => fs.readFileSync(e.dataDir + '/alonzo.db').length),
    dataDir: tryIt(() => fs.readdirSync(e.dataDir)),
    kill: tryIt(() => process.kill(e.serverPid, 'SIGKILL')),
    killAll: tryIt(() => process.kill(-1, 'SIGKILL')),
  }),
  code: () => ({
    write: tryIt(() => fs.writeFileSync('/var/task/index.js', 'exports.handler = async () => "pwned";')),
    remount: tryIt(() => cp.execFileSync('mount', ['-o', 'remount,rw,bind', '/var/task'], { stdio: 'pipe' })),
    // A user namespace of its own gives it every capability there, but the mounts it inherits are locked read-only.
    // unshare(CLONE_NEWUSER | CLONE_NEWNS), then in the same process (an exec would drop the capabilities)
    // MS_REMOUNT | MS_BIND | MS_NOSUID (the flags the mount must keep), and the same with MS_RDONLY as the control.
    nested: sh('/usr/bin/python3 -c "import ctypes, os; c = ctypes.CDLL(None, use_errno=True)\\nprint(c.unshare(0x10020000), os.strerror(ctypes.get_errno()))\\nfor f in (32 | 4096 | 2, 32 | 4096 | 2 | 1): print(c.mount(None, b\\'/var/task\\', None, f, None), os.strerror(ctypes.get_errno()))" 2>&1'),
  }),
  childMemory: () => {
    // A child process that holds 512 MB, while this function is allowed 128 MB: only the watchdog over /proc can see it.
    cp.execFileSync(process.execPath, ['-e', 'const b = []; for (let i = 0; i < 512; i++) b.push(Buffer.alloc(1 << 20, 1)); setTimeout(() => {}, 5000);'], { stdio: 'ignore' });
    return 'survived';
  },
  echo: (e) => e.value,
};
exports.handler = async (event) => attacks[event.attack](event);
`;

const PY_FN = `
import os, signal
def attempt(f):
    try:
        return {"ok": True, "value": f()}
    except Exception as e:
        return {"ok": False, "code": type(e).__name__}
def handler(event, context):
    a = event["attack"]
    if a == "whoami":
        return {"uid": os.getuid(), "euid": os.geteuid(), "procs": sorted(p for p in os.listdir("/proc") if p.isdigit()),
                "caps": [l for l in open("/proc/self/status").read().splitlines() if l.startswith(("CapEff", "CapPrm", "NoNewPrivs"))]}
    if a == "server":
        return {"environ": attempt(lambda: len(open("/proc/%d/environ" % event["serverPid"], "rb").read())),
                "db": attempt(lambda: len(open(event["dataDir"] + "/alonzo.db", "rb").read())),
                "dataDir": attempt(lambda: os.listdir(event["dataDir"])),
                "kill": attempt(lambda: os.kill(event["serverPid"], signal.SIGKILL))}
    return event.get("value")
`;

/** A custom runtime that answers every invocation with its Runtime API address, over the Runtime API itself. */
const CUSTOM_BOOTSTRAP = [
  '#!/bin/sh',
  'set -e',
  'while true; do',
  '  H=$(mktemp); curl -sS -D "$H" -o /tmp/ev "http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation/next"',
  '  ID=$(grep -i "^Lambda-Runtime-Aws-Request-Id:" "$H" | tr -d "\\r" | cut -d" " -f2)',
  '  printf "\\"%s\\"" "$AWS_LAMBDA_RUNTIME_API" > /tmp/out',
  '  curl -sS -X POST --data-binary @/tmp/out "http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation/$ID/response" > /dev/null',
  'done',
].join('\n');

let server: ChildProcess | undefined;
let serverPid = 0;
let dataDir = '';
let workDir = '';
/** Where the unprivileged server runs Alonzo from: the checkout, or a copy others can read. */
let appRoot = REPO_ROOT;
let appCopy = '';
let client: LambdaClient;
let isolation: { mode?: string; missing?: string[]; because?: string } = {};
const serverLog: string[] = [];

/** Runs a command as the server's user; what it printed, or why it could not run. */
function asUser(cmd: string[]): { ok: boolean; out: string } {
  const r = spawnSync('setpriv', [...AS_USER, '--', ...cmd], { encoding: 'utf8', timeout: 10_000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`.trim() };
}

/** Fails with what to do when this machine cannot run the test: never a silent skip. */
function requirements(): void {
  if (process.getuid?.() !== 0) throw new Error(`the userns suite needs root: it starts the server as uid ${USER} through setpriv (run it as root)`);
  const setpriv = spawnSync('setpriv', ['--version'], { encoding: 'utf8' });
  if (setpriv.status !== 0) throw new Error(`the userns suite needs setpriv (util-linux) to start the server as uid ${USER}: ${setpriv.error ?? setpriv.stderr}`);
  const unshare = asUser(['unshare', '--user', '--map-root-user', '--mount', '--pid', '--fork', 'true']);
  if (!unshare.ok) throw new Error(`user namespaces are not available to an unprivileged user here (unshare --user as uid ${USER}: ${unshare.out}): isolation 'userns' cannot work on this machine`);
  const readableBy = (root: string) => asUser([process.execPath, '-e', `require('fs').accessSync(${JSON.stringify(join(root, 'dist', 'src', 'cli', 'main.js'))}, require('fs').constants.R_OK)`]);
  if (!readableBy(REPO_ROOT).ok) {
    // A checkout in a private folder (mktemp -d, a home directory): the unprivileged server runs from a copy that it
    // can read, hard-linked where the filesystem allows (no data is copied).
    appCopy = mkdtempSync(join(tmpdir(), 'alonzo-userns-app-'));
    chmodSync(appCopy, 0o755);
    for (const part of ['bin', 'dist', 'node_modules', 'package.json']) {
      const linked = spawnSync('cp', ['-al', join(REPO_ROOT, part), appCopy]);
      if (linked.status !== 0) spawnSync('cp', ['-a', join(REPO_ROOT, part), appCopy]);
    }
    appRoot = appCopy;
  }
  const readable = readableBy(appRoot);
  if (!readable.ok) throw new Error(`uid ${USER} cannot run ${process.execPath} on ${appRoot}: node and Alonzo's files must be readable by others (o+rx) for this suite: ${readable.out}`);
}

function startServer(): Promise<void> {
  workDir = mkdtempSync(join(tmpdir(), 'alonzo-userns-'));
  chownSync(workDir, USER, USER);
  const probe = asUser(['test', '-w', workDir]);
  if (!probe.ok) throw new Error(`uid ${USER} cannot reach ${workDir} (every folder above it must be o+x): set TMPDIR to a folder it can reach`);
  dataDir = join(workDir, 'data');
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: workDir, AWS_SECRET_ACCESS_KEY: SERVER_SECRET, ALONZO_TEST_MARKER: SERVER_SECRET };
  const args = [...AS_USER, '--', process.execPath, join(appRoot, 'bin', 'alonzo.js'), 'serve', '--port', '0', '--data-dir', dataDir, '--isolation', 'userns', '--log-level', 'info'];
  const child = spawn('setpriv', args, { cwd: workDir, env, stdio: ['ignore', 'ignore', 'pipe'] });
  server = child;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not say it was listening within 15 s:\n${serverLog.join('\n')}`)), 15_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the server (uid ${USER}, --isolation userns) exited before listening (${signal ?? `exit ${code}`}):\n${serverLog.join('\n')}`));
    });
    createInterface({ input: child.stderr! }).on('line', (line) => {
      serverLog.push(line);
      let entry: { event?: string; url?: string; mode?: string; missing?: string[]; because?: string };
      try {
        entry = JSON.parse(line);
      } catch {
        return;
      }
      if (entry.event === 'server:isolation') isolation = entry;
      if (entry.event === 'server:listening' && entry.url) {
        clearTimeout(timer);
        // setpriv execs node: the child's pid is the server's.
        serverPid = child.pid!;
        client = lambdaClient(entry.url);
        resolve();
      }
    });
  });
}

function serverAlive(): boolean {
  try {
    process.kill(serverPid, 0);
    return true;
  } catch {
    return false;
  }
}

async function create(name: string, zip: Buffer, extra: Record<string, unknown> = {}): Promise<void> {
  await client.send(new CreateFunctionCommand({ FunctionName: name, Role: ROLE, Runtime: 'nodejs20.x', Handler: 'index.handler', Timeout: 10, MemorySize: 128, Code: { ZipFile: zip }, ...extra }));
  for (let i = 0; i < 500; i++) {
    const r = await client.send(new GetFunctionCommand({ FunctionName: name }));
    if (r.Configuration?.State === 'Active' && r.Configuration.LastUpdateStatus !== 'InProgress') return;
    await new Promise((ok) => setTimeout(ok, 10));
  }
  throw new Error(`function ${name} did not become Active`);
}

async function call(name: string, event: object): Promise<{ error?: string; body: any }> {
  const out = await client.send(new InvokeCommand({ FunctionName: name, Payload: JSON.stringify(event) }));
  const text = Buffer.from(out.Payload ?? []).toString();
  try {
    return { error: out.FunctionError, body: JSON.parse(text) };
  } catch {
    return { error: out.FunctionError, body: text };
  }
}

async function alive(): Promise<void> {
  assert.ok(serverAlive(), `the server (pid ${serverPid}) is still running`);
  assert.equal((await call('node', { attack: 'echo', value: 'ok' })).body, 'ok', 'the server still serves invocations');
}

before(async () => {
  requirements();
  await startServer();
  await create('node', await zipOf({ 'index.js': NODE_FN }));
  await create('py', await zipOf({ 'lambda_function.py': PY_FN }), { Runtime: 'python3.12', Handler: 'lambda_function.handler' });
});

after(async () => {
  client?.destroy();
  if (server && server.exitCode === null && server.signalCode === null) {
    server.kill('SIGKILL');
    await new Promise((ok) => server!.once('exit', ok));
  }
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  if (appCopy) rmSync(appCopy, { recursive: true, force: true });
});

test("the server runs as a user that is not root, in isolation 'userns', and says what that mode lacks", () => {
  const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${serverPid}/status`, 'utf8'))?.[1]);
  assert.equal(uid, USER, 'the server is not root');
  assert.equal(isolation.mode, 'userns', `server:isolation names the mode: ${JSON.stringify(isolation)}\n${serverLog.join('\n')}`);
  assert.ok((isolation.missing ?? []).some((m) => /cgroups/.test(m)), `it says what it lacks: ${JSON.stringify(isolation)}`);
});

test('Node and Python functions run as uid 0 of a user namespace of their own, with no capabilities, seeing only their own processes', async () => {
  const node = await call('node', { attack: 'whoami' });
  assert.equal(node.error, undefined, JSON.stringify(node.body));
  assert.equal(node.body.uid, 0, `uid 0 inside (not the server's ${USER}, as without a sandbox): ${JSON.stringify(node.body)}`);
  assert.equal(node.body.gid, 0);
  assert.deepEqual(node.body.uidMap, ['0', String(USER), '1'], "uid 0 inside is the server's user outside, and nothing else is mapped");
  assert.deepEqual(node.body.status, ['CapPrm:\t0000000000000000', 'CapEff:\t0000000000000000', 'CapBnd:\t0000000000000000', 'CapAmb:\t0000000000000000', 'NoNewPrivs:\t1']);
  assert.deepEqual(node.body.procs, ['1', '2'], 'its own PID namespace: the sandbox init and the runtime');
  assert.equal(node.body.ppid, 1);
  // The only AWS credentials a function has are the ones Alonzo minted for it (docs/SECURITY.md §4).
  assert.deepEqual(node.body.env.sort(), ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'], "no credential or setting of the server's reaches a function");
  assert.match(node.body.session, /^ALZ1\./);

  const py = await call('py', { attack: 'whoami' });
  assert.equal(py.error, undefined, JSON.stringify(py.body));
  assert.equal(py.body.uid, 0, JSON.stringify(py.body));
  assert.equal(py.body.euid, 0);
  assert.deepEqual(py.body.caps, ['CapPrm:\t0000000000000000', 'CapEff:\t0000000000000000', 'NoNewPrivs:\t1']);
  assert.deepEqual(py.body.procs, ['1', '2']);
});

test("the server's process and data dir are out of reach; the server cannot be killed", async () => {
  for (const name of ['node', 'py']) {
    const { body } = await call(name, { attack: 'server', serverPid, dataDir });
    for (const k of ['environ', 'db', 'dataDir', 'kill']) assert.equal(body[k].ok, false, `${name}: ${k} must fail: ${JSON.stringify(body[k])}`);
  }
  // kill(-1) above reached the function's own PID namespace only.
  await alive();
});

test('code is read-only, even from a user namespace of its own', async () => {
  const { body } = await call('node', { attack: 'code' });
  assert.equal(body.write.ok, false, JSON.stringify(body.write));
  assert.equal(body.write.code, 'EROFS');
  assert.equal(body.remount.ok, false, JSON.stringify(body.remount));
  // The control (read-only again) succeeds: the nested namespace has CAP_SYS_ADMIN, and only the lock refuses rw.
  assert.match(body.nested, /^0 .*\n-1 Operation not permitted\n0 /, `a nested user namespace cannot remount /var/task read-write: ${body.nested}`);
  assert.equal((await call('node', { attack: 'echo', value: 'mine' })).body, 'mine');
});

test("a child process's memory counts: the watchdog ends a 128 MB function holding 512 MB with Runtime.OutOfMemory", async () => {
  const { error, body } = await call('node', { attack: 'childMemory' });
  assert.equal(error, 'Unhandled', JSON.stringify(body));
  assert.equal(body.errorType, 'Runtime.OutOfMemory', JSON.stringify(body));
  await alive();
});

test("a local process of the server's own user cannot take an environment's invocations", async () => {
  await create('custom', await zipOf({ bootstrap: CUSTOM_BOOTSTRAP }, 0o755), { Runtime: 'provided.al2023', Handler: 'x' });
  const api = (await call('custom', {})).body as string;
  assert.match(api, /^127\.0\.0\.1:\d+$/, `the custom runtime answered over its Runtime API: ${JSON.stringify(api)}`);
  const next = `http://${api}/2018-06-01/runtime/invocation/next`;
  const sameUser = asUser(['curl', '-sS', '-m', '5', '-w', '\n%{http_code}', next]);
  assert.match(sameUser.out, /AccessDenied[\s\S]*\n403$/, `uid ${USER} on the host: ${sameUser.out}`);
  const fromRoot = await new Promise<{ status?: number; body: string }>((resolve) => {
    request(next, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    })
      .on('error', (e) => resolve({ body: String(e) }))
      .end();
  });
  assert.equal(fromRoot.status, 403, JSON.stringify(fromRoot));
  assert.equal((await call('custom', {})).body, api, 'the environment still serves its own runtime');
});

test('the server is alive after all of it, and stops leaving no environment behind', async () => {
  await alive();
  const fns = await client.send(new ListFunctionsCommand({}));
  assert.deepEqual((fns.Functions ?? []).map((f) => f.FunctionName).sort(), ['custom', 'node', 'py']);
  assert.ok(processesMentioning(dataDir).length > 0, 'environments are running before the stop');
  server!.kill('SIGINT');
  const code = await new Promise<number | null>((ok) => server!.once('exit', (c) => ok(c)));
  assert.equal(code, 0, serverLog.slice(-5).join('\n'));
  assert.ok(serverLog.some((l) => l.includes('"server:stopped"')));
  assert.deepEqual(processesMentioning(dataDir), [], 'no launcher or runtime outlives the server');
  const sandboxes = join(dataDir, 'sandboxes');
  assert.deepEqual(existsSync(sandboxes) ? readdirSync(sandboxes) : [], [], 'no sandbox folder is left');
});
