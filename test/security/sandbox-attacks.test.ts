// Attacks on the server from inside a function, written as an attacker would write them: each escape that worked
// before the sandbox (issue 9) must fail now, and the server, the other functions and their code must be unharmed.
// Real functions (Node and Python) run in the real sandbox; what they find comes back through their answers, and
// what they leave behind is seen through a TCP sink on loopback.
import { findInterpreters } from '../../src/runtime/interpreters.js';
import { interpreterPrefixes } from '../../src/runtime/supervisor/sandbox.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { request } from 'node:http';
import { existsSync, readdirSync } from 'node:fs';
import { CreateFunctionCommand, InvokeCommand, UpdateFunctionConfigurationCommand, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { startAlonzo, zipOf, ROLE, type TestServer } from '../helpers/alonzo.js';
import { waitActive } from '../helpers/invoke.js';
import { createKey } from '../auth/helpers.js';

/** One Node function that carries out whichever attack the event names, and reports what happened. */
const NODE_ATTACKER = `
const fs = require('node:fs');
const cp = require('node:child_process');
const net = require('node:net');
const http = require('node:http');
const tryIt = (f) => { try { return { ok: true, value: f() }; } catch (e) { return { ok: false, code: e.code || e.message }; } };
const attacks = {
  whoami: () => ({
    uid: process.getuid(), gid: process.getgid(), pid: process.pid, ppid: process.ppid,
    status: fs.readFileSync('/proc/self/status', 'utf8').split('\\n').filter((l) => /^(Cap(Prm|Eff|Bnd|Amb)|NoNewPrivs)/.test(l)),
    procs: fs.readdirSync('/proc').filter((n) => /^\\d+$/.test(n)).length,
    root: fs.readdirSync('/').sort(),
    hostname: require('node:os').hostname(),
  }),
  server: (e) => ({
    environ: tryIt(() => fs.readFileSync('/proc/' + e.serverPid + '/environ', 'latin1').length),
    rootfs: tryIt(() => fs.readdirSync('/proc/' + e.serverPid + '/root' + e.dataDir)),
    db: tryIt(() => fs.readFileSync(e.dataDir + '/alonzo.db').length),
    keys: tryIt(() => fs.readFileSync(e.dataDir + '/auth/keys.json', 'utf8')),
    dataDir: tryIt(() => fs.readdirSync(e.dataDir)),
    code: tryIt(() => fs.readdirSync(e.dataDir + '/code')),
    kill: tryIt(() => process.kill(e.serverPid, 'SIGKILL')),
    killParent: tryIt(() => process.kill(process.ppid, 'SIGKILL')),
    killInit: tryIt(() => process.kill(1, 'SIGKILL')),
    hostTmp: tryIt(() => fs.readdirSync('/tmp').filter((n) => n.startsWith('alonzo'))),
    // Where a prebooted environment found its package before it was given one: gone by the time user code runs.
    packages: tryIt(() => fs.readdirSync('/tmp/.alonzo-code')),
    tmp: tryIt(() => fs.readdirSync('/tmp')),
  }),
  secrets: (e) => {
    // Every place a secret of another function or of the server could be read from.
    const found = [];
    for (const pid of fs.readdirSync('/proc').filter((n) => /^\\d+$/.test(n))) {
      for (const f of ['environ', 'cmdline']) {
        const r = tryIt(() => fs.readFileSync('/proc/' + pid + '/' + f, 'latin1'));
        if (r.ok && r.value.includes(e.secret)) found.push('/proc/' + pid + '/' + f);
      }
    }
    const walk = (dir, depth) => {
      if (depth > 3) return;
      for (const n of tryIt(() => fs.readdirSync(dir)).value || []) {
        const p = dir + '/' + n;
        const st = tryIt(() => fs.lstatSync(p)).value;
        if (!st || st.isSymbolicLink()) continue;
        if (st.isDirectory()) walk(p, depth + 1);
        else if (st.size < 1 << 20 && (tryIt(() => fs.readFileSync(p, 'latin1')).value || '').includes(e.secret)) found.push(p);
      }
    };
    for (const d of ['/tmp', '/var', '/etc', '/opt']) walk(d, 0);
    return { found, mine: Object.fromEntries(Object.entries(process.env).filter(([k]) => /^(AWS_ACCESS|AWS_SECRET|AWS_SESSION|ALONZO_)/.test(k))) };
  },
  code: (e) => ({
    own: tryIt(() => fs.writeFileSync('/var/task/index.js', 'exports.handler = async () => "pwned";')),
    runtime: tryIt(() => fs.writeFileSync('/var/runtime/node/bootstrap.cjs', '// pwned')),
    chmod: tryIt(() => fs.chmodSync('/var/task/index.js', 0o777)),
    remount: tryIt(() => cp.execFileSync('mount', ['-o', 'remount,rw,bind', '/var/task'], { stdio: 'pipe' })),
    remountRuntime: tryIt(() => cp.execFileSync('mount', ['-o', 'remount,rw,bind', '/var/runtime'], { stdio: 'pipe' })),
    mountTmpfs: tryIt(() => cp.execFileSync('mount', ['-t', 'tmpfs', 'x', '/var/task'], { stdio: 'pipe' })),
    other: tryIt(() => fs.readdirSync(e.dataDir + '/code/' + e.otherHex)),
    sudo: tryIt(() => cp.execFileSync('su', ['-c', 'id'], { stdio: 'pipe' }).toString()),
  }),
  frame: (e) => {
    // A frame header that announces 4 GB, or a header that is not JSON, straight onto the private channel.
    const buf = Buffer.alloc(8 + 4);
    if (e.kind === 'huge') { buf.writeUInt32BE(16, 0); buf.writeUInt32BE(0xffffffff, 4); }
    else { buf.writeUInt32BE(4, 0); buf.writeUInt32BE(0, 4); buf.write('nope', 8); }
    fs.writeSync(3, buf);
    return new Promise((r) => setTimeout(() => r('still here'), 1000));
  },
  flood: async (e) => {
    // A large POST to its own Runtime API: the server must not buffer it.
    const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
    const chunk = Buffer.alloc(1 << 20, 120);
    return await new Promise((resolve) => {
      const req = http.request({ host, port, method: 'POST', path: '/2018-06-01/runtime/invocation/' + e.id + '/response' }, (res) => {
        let body = ''; res.on('data', (c) => (body += c)); res.on('end', () => resolve({ status: res.statusCode, body }));
      });
      req.on('error', (err) => resolve({ error: err.code }));
      let sent = 0;
      const pump = () => { while (sent < e.mb) { sent++; if (!req.write(chunk)) return req.once('drain', pump); } req.end(); };
      pump();
    });
  },
  runtimeApi: () => process.env.AWS_LAMBDA_RUNTIME_API,
  started: () => ({ startedAt: Date.now() - process.uptime() * 1000, env: process.env, cwd: process.cwd(), argv: process.execArgv }),
  hijack: (e) => new Promise((resolve) => {
    const [host, port] = e.api.split(':');
    http.get({ host, port, path: '/2018-06-01/runtime/invocation/next' }, (res) => {
      let body = ''; res.on('data', (c) => (body += c)); res.on('end', () => resolve({ status: res.statusCode, body }));
    }).on('error', (err) => resolve({ error: err.code }));
  }),
  childMemory: () => {
    // A child process that holds 1 GiB, while this function is allowed 128 MB.
    cp.execFileSync(process.execPath, ['-e', 'const b = []; for (let i = 0; i < 1024; i++) b.push(Buffer.alloc(1 << 20, 1)); setTimeout(() => {}, 5000);'], { stdio: 'ignore' });
    return 'survived';
  },
  forkBomb: () => {
    const out = cp.spawnSync('/bin/sh', ['-c', 'n=0; while [ $n -lt 2000 ]; do sleep 5 & if [ $? -ne 0 ]; then break; fi; n=$((n+1)); done; echo $n; jobs -p | wc -l'], { encoding: 'utf8', timeout: 20000 });
    return { stdout: out.stdout, stderr: out.stderr.slice(0, 300) };
  },
  files: () => {
    const fds = [];
    let error = null;
    for (let i = 0; i < 5000; i++) {
      try { fds.push(fs.openSync('/dev/null', 'r')); } catch (err) { error = err.code; break; }
    }
    for (const fd of fds) fs.closeSync(fd);
    return { opened: fds.length, error };
  },
  fillTmp: () => {
    const chunk = Buffer.alloc(1 << 20, 1);
    let mb = 0, error = null;
    const fd = fs.openSync('/tmp/fill', 'w');
    try { for (; mb < 2048; mb++) fs.writeSync(fd, chunk); } catch (err) { error = err.code; }
    fs.closeSync(fd);
    fs.unlinkSync('/tmp/fill');
    return { mb, error };
  },
  background: (e) => {
    // Children that try to outlive the environment: detached, setsid, and double-forked into the background.
    const script = 'const s = require("net").connect(' + e.port + ', "127.0.0.1", () => s.write(process.argv[1] + "\\\\n")); setInterval(() => {}, 1000);';
    const a = cp.spawn(process.execPath, ['-e', script, 'detached'], { detached: true, stdio: 'ignore' }); a.unref();
    cp.execFileSync('setsid', ['-f', process.execPath, '-e', script, 'setsid'], { stdio: 'ignore' });
    cp.execFileSync('/bin/sh', ['-c', '(' + JSON.stringify(process.execPath) + ' -e \\'' + script + '\\' nohup &) &'], { stdio: 'ignore' });
    return 'spawned';
  },
  echo: (e) => e.value,
};
exports.handler = async (event, context) => attacks[event.attack]({ ...event, id: context.awsRequestId });
`;

const PY_ATTACKER = `
import os, json, signal
def attempt(f):
    try:
        return {"ok": True, "value": f()}
    except Exception as e:
        return {"ok": False, "code": type(e).__name__}
def handler(event, context):
    a = event["attack"]
    if a == "whoami":
        return {"uid": os.getuid(), "euid": os.geteuid(), "procs": len([p for p in os.listdir("/proc") if p.isdigit()]),
                "caps": [l for l in open("/proc/self/status").read().splitlines() if l.startswith(("CapEff", "CapPrm", "NoNewPrivs"))]}
    if a == "server":
        return {"environ": attempt(lambda: len(open("/proc/%d/environ" % event["serverPid"], "rb").read())),
                "db": attempt(lambda: len(open(event["dataDir"] + "/alonzo.db", "rb").read())),
                "kill": attempt(lambda: os.kill(event["serverPid"], signal.SIGKILL)),
                "killParent": attempt(lambda: os.kill(os.getppid(), signal.SIGKILL))}
    if a == "frame":
        os.write(3, b"\\x00\\x00\\x00\\x04\\x00\\x00\\x00\\x00nope")
        import time; time.sleep(1)
        return "still here"
    if a == "code":
        return {"own": attempt(lambda: open("/var/task/lambda_function.py", "w").write("x")),
                "runtime": attempt(lambda: open("/var/runtime/python/bootstrap.py", "w").write("x"))}
    return event.get("value")
`;

const SECRET = `s3cr3t-${process.pid}-${Date.now()}`;
const SERVER_SECRET = `server-only-${process.pid}`;

let s: TestServer;
let sink: Server;
let sinkPort = 0;
const sinkConnections = new Set<Socket>();
const sinkLines: string[] = [];

async function call(name: string, event: object): Promise<{ out: InvokeCommandOutput; body: any }> {
  const out = await s.client.send(new InvokeCommand({ FunctionName: name, Payload: JSON.stringify(event), LogType: 'Tail' }));
  const text = Buffer.from(out.Payload ?? []).toString();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { out, body };
}

async function create(name: string, files: Record<string, string>, extra: Record<string, unknown> = {}): Promise<void> {
  await s.client.send(new CreateFunctionCommand({ FunctionName: name, Role: ROLE, Runtime: 'nodejs20.x', Handler: 'index.handler', Timeout: 30, MemorySize: 128, Code: { ZipFile: await zipOf(files) }, ...extra }));
  await waitActive(s, name);
}

const alive = async () => {
  const r = await call('attacker', { attack: 'echo', value: 'ok' });
  assert.equal(r.body, 'ok', 'the server still serves invocations');
};

before(async () => {
  if (process.getuid?.() !== 0) throw new Error('the sandbox attack suite needs root: the sandbox (isolation "sandbox") switches each environment to a user of its own');
  // A credential of the server's own, which no function may see.
  process.env.AWS_SECRET_ACCESS_KEY = SERVER_SECRET;
  try {
    s = await startAlonzo({ isolation: 'sandbox' });
  } finally {
    delete process.env.AWS_SECRET_ACCESS_KEY;
  }
  sink = createServer((c) => {
    sinkConnections.add(c);
    c.on('data', (d) => sinkLines.push(...d.toString().split('\n').filter(Boolean)));
    c.on('close', () => sinkConnections.delete(c));
    c.on('error', () => undefined);
  });
  await new Promise<void>((ok) => sink.listen(0, '127.0.0.1', ok));
  sinkPort = (sink.address() as { port: number }).port;
  // An access key in the data dir: the secrets a function must never read.
  const key = await createKey(s.dataDir, '--name', 'victim-admin');
  assert.ok(existsSync(`${s.dataDir}/auth/keys.json`) && key.secretAccessKey);
  await create('attacker', { 'index.js': NODE_ATTACKER });
  await create('victim', { 'index.js': 'exports.handler = async () => ({ secret: process.env.SECRET, ok: true });' }, { Environment: { Variables: { SECRET } } });
  await create('py', { 'lambda_function.py': PY_ATTACKER }, { Runtime: 'python3.12', Handler: 'lambda_function.handler' });
});

after(async () => {
  for (const c of sinkConnections) c.destroy();
  await new Promise((ok) => sink?.close(ok));
  await s?.close();
});

test('a function runs as an unprivileged user of its own, with no capabilities, in its own PID namespace', async () => {
  const { body } = await call('attacker', { attack: 'whoami' });
  assert.notEqual(body.uid, 0);
  assert.ok(body.uid >= 3_000_000, `uid ${body.uid} comes from the sandbox range`);
  assert.deepEqual(body.status, ['CapPrm:\t0000000000000000', 'CapEff:\t0000000000000000', 'CapBnd:\t0000000000000000', 'CapAmb:\t0000000000000000', 'NoNewPrivs:\t1']);
  assert.ok(body.procs <= 3, `it sees its own processes only (${body.procs})`);
  assert.equal(body.ppid, 1, 'its parent is the sandbox init, not the server');
  const system = ['bin', 'lib', 'lib32', 'lib64', 'libx32', 'sbin', 'usr'].filter((n) => existsSync(`/${n}`));
  // Interpreters installed outside /usr (pyenv's python3.12 under /root here) are bound read-only at their own paths.
  const interpreters = [...findInterpreters({ dataDir: s.dataDir, nodePath: process.execPath, pythonPath: '/usr/bin/python3' }).values()].map((i) => i.path);
  const installs = [...interpreterPrefixes(interpreters).values()].map((p) => p.split('/')[1]);
  assert.deepEqual(body.root, [...new Set([...system, ...installs, 'dev', 'etc', 'opt', 'proc', 'tmp', 'var'])].sort(), 'a minimal root: nothing else of the host');
  // Two functions never share a user.
  const victim = await call('py', { attack: 'whoami' });
  assert.notEqual(victim.body.uid, body.uid);
  assert.notEqual(victim.body.uid, 0);
  assert.deepEqual(victim.body.caps, ['CapPrm:\t0000000000000000', 'CapEff:\t0000000000000000', 'NoNewPrivs:\t1']);
});

test("the server's process, its data dir and the host's /tmp are out of reach; the server cannot be killed", async () => {
  for (const name of ['attacker', 'py']) {
    const { body } = await call(name, { attack: 'server', serverPid: process.pid, dataDir: s.dataDir });
    for (const k of ['environ', 'db', 'kill', 'killParent']) assert.equal(body[k].ok, false, `${name}: ${k} must fail: ${JSON.stringify(body[k])}`);
    if (name === 'attacker') {
      for (const k of ['rootfs', 'dataDir', 'code', 'killInit', 'keys']) assert.equal(body[k].ok, false, `${k} must fail: ${JSON.stringify(body[k])}`);
      assert.deepEqual(body.hostTmp, { ok: true, value: [] }, "the host's /tmp is not this /tmp");
      assert.equal(body.packages.ok, false, `the code store is out of sight: ${JSON.stringify(body.packages)}`);
    }
  }
  await alive();
});

/** No credential or setting of the server's reaches a function: the only AWS credentials there are the ones minted for it. */
function assertOnlyMinted(mine: Record<string, string>): void {
  assert.deepEqual(Object.keys(mine).sort(), ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'], "no credential or setting of the server's reaches a function");
  assert.match(mine.AWS_ACCESS_KEY_ID, /^ASIA[A-Z2-7]{16}$/);
  assert.match(mine.AWS_SESSION_TOKEN, /^ALZ1\./, 'a session token Alonzo minted for the function');
  assert.notEqual(mine.AWS_SECRET_ACCESS_KEY, SERVER_SECRET);
}

test("another function's secrets and the server's credentials are nowhere to be found", async () => {
  assert.equal((await call('victim', {})).body.secret, SECRET);
  // The victim runs alongside (a warm environment holding the secret in its environment).
  const { body } = await call('attacker', { attack: 'secrets', secret: SECRET });
  assert.deepEqual(body.found, []);
  const server = await call('attacker', { attack: 'secrets', secret: SERVER_SECRET });
  assert.deepEqual(server.body.found, []);
  assertOnlyMinted(server.body.mine);
});

test("a prebooted environment (started before its function existed) is the function's alone: its variables, its code, nothing of the standby", async () => {
  // The server keeps a Node standby of 128 MB booted from its start; a new function's first invoke takes it.
  await new Promise((ok) => setTimeout(ok, 300));
  const createdAt = Date.now();
  await create('fresh', { 'index.js': NODE_ATTACKER }, { Environment: { Variables: { OWN: 'fresh-value' } } });
  const { out, body } = await call('fresh', { attack: 'started' });
  assert.equal(out.FunctionError, undefined, JSON.stringify(body));
  assert.ok(body.startedAt < createdAt, `the runtime was started ahead of need (${createdAt - body.startedAt} ms before the function was created)`);
  assert.equal(body.env.OWN, 'fresh-value');
  assert.equal(body.env.AWS_LAMBDA_FUNCTION_NAME, 'fresh');
  assert.equal(body.env.LAMBDA_TASK_ROOT, '/var/task');
  assert.equal(body.env.ALONZO_STANDBY, undefined);
  assert.equal(body.env.ALONZO_CHANNEL_FD, undefined);
  assert.equal(body.cwd, '/var/task');
  assert.deepEqual(body.argv, ['--max-old-space-size=128']);
  const seen = await call('fresh', { attack: 'server', serverPid: process.pid, dataDir: s.dataDir });
  assert.equal(seen.body.packages.ok, false, JSON.stringify(seen.body.packages));
  assert.deepEqual(seen.body.tmp, { ok: true, value: [] }, 'a fresh /tmp, with nothing of the standby left in it');
  // Another new function gets another environment (a standby serves one function, once).
  await create('fresh2', { 'index.js': NODE_ATTACKER });
  const other = await call('fresh2', { attack: 'started' });
  assert.equal(other.body.env.OWN, undefined);
  assert.equal(other.body.env.AWS_LAMBDA_FUNCTION_NAME, 'fresh2');
  // Python too.
  await new Promise((ok) => setTimeout(ok, 300));
  const pyCreated = Date.now();
  const PY_STARTED = [
    'import os, time',
    'def handler(e, c):',
    '    ticks = int(open("/proc/self/stat").read().rsplit(")", 1)[1].split()[19])',
    '    age = float(open("/proc/uptime").read().split()[0]) - ticks / os.sysconf("SC_CLK_TCK")',
    '    return {"env": dict(os.environ), "cwd": os.getcwd(), "startedAt": (time.time() - age) * 1000}',
  ].join('\n');
  await create('fresh-py', { 'lambda_function.py': PY_STARTED }, { Runtime: 'python3.12', Handler: 'lambda_function.handler', Environment: { Variables: { OWN: 'py' } } });
  const py = await call('fresh-py', {});
  assert.equal(py.out.FunctionError, undefined, JSON.stringify(py.body));
  assert.equal(py.body.env.OWN, 'py');
  assert.equal(py.body.env.ALONZO_STANDBY, undefined);
  assert.equal(py.body.cwd, '/var/task');
  assert.ok(py.body.startedAt < pyCreated, `the Python runtime was started ahead of need (${pyCreated - py.body.startedAt} ms before)`);
});

test('code is read-only and cannot be remounted; another function\'s code is not visible', async () => {
  const victimHex = readdirSync(`${s.dataDir}/code`).find((n) => /^[0-9a-f]{64}$/.test(n))!;
  const { body } = await call('attacker', { attack: 'code', dataDir: s.dataDir, otherHex: victimHex });
  for (const k of ['own', 'runtime', 'chmod', 'remount', 'remountRuntime', 'mountTmpfs', 'other', 'sudo']) {
    assert.equal(body[k].ok, false, `${k} must fail: ${JSON.stringify(body[k])}`);
  }
  const py = await call('py', { attack: 'code' });
  assert.equal(py.body.own.ok, false);
  assert.equal(py.body.runtime.ok, false);
  // Both still run their own code.
  assert.equal((await call('attacker', { attack: 'echo', value: 'mine' })).body, 'mine');
  assert.equal((await call('victim', {})).body.ok, true);
});

test('garbage on the private channel ends that environment only; the server and the next invocation are fine', async () => {
  for (const kind of ['huge', 'not-json']) {
    const { out, body } = await call('attacker', { attack: 'frame', kind });
    assert.equal(out.FunctionError, 'Unhandled', JSON.stringify(body));
    assert.match(body.errorType, /^(Function\.ResponseSizeTooLarge|Runtime\.ExitError)$/, JSON.stringify(body));
    await alive();
  }
  const py = await call('py', { attack: 'frame' });
  assert.equal(py.out.FunctionError, 'Unhandled');
  assert.equal((await call('py', { attack: 'echo', value: 3 })).body, 3);
});

test('a 256 MB POST to the Runtime API is not buffered by the server', async () => {
  const before = process.memoryUsage().rss;
  const { body } = await call('attacker', { attack: 'flood', mb: 256 });
  const grown = (process.memoryUsage().rss - before) / 1048576;
  assert.ok(grown < 64, `the server grew by ${grown.toFixed(0)} MB`);
  assert.ok(body.status === 403 || body.status === 413 || body.error, JSON.stringify(body));
  await alive();
});

test("no other process can use an environment's Runtime API: not a local process, not another function", async () => {
  const bash = [
    '#!/bin/sh',
    'set -e',
    'while true; do',
    '  H=$(mktemp); curl -sS -D "$H" -o /tmp/ev "http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation/next"',
    '  ID=$(grep -i "^Lambda-Runtime-Aws-Request-Id:" "$H" | tr -d "\\r" | cut -d" " -f2)',
    '  printf "\\"%s\\"" "$AWS_LAMBDA_RUNTIME_API" > /tmp/out',
    '  curl -sS -X POST --data-binary @/tmp/out "http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation/$ID/response" > /dev/null',
    'done',
  ].join('\n');
  const zip = await zipOf({ bootstrap: bash }, 0o755);
  await s.client.send(new CreateFunctionCommand({ FunctionName: 'custom', Role: ROLE, Runtime: 'provided.al2023', Handler: 'x', Timeout: 10, Code: { ZipFile: zip } }));
  await waitActive(s, 'custom');
  const api = (await call('custom', {})).body as string;
  assert.match(api, /^127\.0\.0\.1:\d+$/);
  // The test process itself (root, on the host) tries to take the next invocation.
  const fromHost = await new Promise<{ status?: number; body: string }>((resolve) => {
    const [host, port] = api.split(':');
    request({ host, port: Number(port), path: '/2018-06-01/runtime/invocation/next' }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    })
      .on('error', (e) => resolve({ body: String(e) }))
      .end();
  });
  assert.equal(fromHost.status, 403, JSON.stringify(fromHost));
  assert.match(fromHost.body, /AccessDenied/);
  // Another function tries the same.
  const fromFunction = await call('attacker', { attack: 'hijack', api });
  assert.equal(fromFunction.body.status, 403, JSON.stringify(fromFunction.body));
  // The environment still serves its own runtime.
  assert.equal((await call('custom', {})).body, api);
});

test("a child process's memory counts: 1 GiB in a 128 MB function is Runtime.OutOfMemory", async () => {
  const { out, body } = await call('attacker', { attack: 'childMemory' });
  assert.equal(out.FunctionError, 'Unhandled', JSON.stringify(body));
  assert.equal(body.errorType, 'Runtime.OutOfMemory', JSON.stringify(body));
  await alive();
});

test('processes and threads are capped at 1,024, open files at 1,024', async () => {
  const bomb = await call('attacker', { attack: 'forkBomb' });
  const [started] = String(bomb.body.stdout ?? '').trim().split('\n').map(Number);
  assert.ok(started < 1024, `the fork bomb stopped at ${started} processes: ${JSON.stringify(bomb.body)}`);
  await alive();
  const files = await call('attacker', { attack: 'files' });
  assert.equal(files.body.error, 'EMFILE');
  assert.ok(files.body.opened < 1024, `opened ${files.body.opened}`);
});

test('/tmp holds EphemeralStorage (512 MB by default), not more', async () => {
  const { body } = await call('attacker', { attack: 'fillTmp' });
  assert.equal(body.error, 'ENOSPC', JSON.stringify(body));
  assert.ok(body.mb >= 500 && body.mb <= 512, `wrote ${body.mb} MB`);
  await alive();
});

test('detached, setsid and backgrounded children die with their environment', async () => {
  sinkLines.length = 0;
  assert.equal((await call('attacker', { attack: 'background', port: sinkPort })).body, 'spawned');
  for (let i = 0; i < 100 && sinkLines.length < 3; i++) await new Promise((ok) => setTimeout(ok, 50));
  assert.deepEqual([...sinkLines].sort(), ['detached', 'nohup', 'setsid']);
  assert.equal(sinkConnections.size, 3);
  // A configuration change retires the environment: everything in it must go.
  await s.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'attacker', Description: 'retire the environment' }));
  await waitActive(s, 'attacker');
  for (let i = 0; i < 100 && sinkConnections.size > 0; i++) await new Promise((ok) => setTimeout(ok, 50));
  assert.equal(sinkConnections.size, 0, 'every child of the retired environment is gone');
  await alive();
});
