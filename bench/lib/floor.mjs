// The machine's floor: a bare Node HTTP server that hands each request body to a child process over IPC and returns
// its reply. Anything a function service does costs at least this; Alonzo is compared against it.
//
// Two shapes:
// - `strict`: N children forked ahead of need, at most one request in flight per child (Lambda's rule: an environment
//   runs one invocation at a time); a request that finds every child busy waits in the gateway for the first to free up.
// - `pipelined`: one child that takes requests back to back, several in flight at once (what no Lambda environment
//   may do; the machine's ceiling for "HTTP → process → HTTP").
//
// Usage: node floor.mjs node|python [strict|pipelined] [children]
//   → prints `listening PORT child PID[,PID…]` (port 0: the kernel picks one on 127.0.0.1).
import { createServer } from 'node:http';
import { fork, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const kind = process.argv[2] ?? 'node';
const mode = process.argv[3] ?? 'pipelined';
const count = mode === 'strict' ? Number(process.argv[4] ?? 16) : 1;
if (!['strict', 'pipelined'].includes(mode) || !(count >= 1)) throw new Error(`usage: floor.mjs node|python [strict|pipelined] [children]; got ${process.argv.slice(2).join(' ')}`);
const here = (f) => fileURLToPath(new URL(f, import.meta.url));
// A clean environment, as a Lambda environment gets: inherited variables such as NODE_EXTRA_CA_CERTS slow a start.
const env = { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8' };

let seq = 0;
const waiting = new Map(); // id → the response waiting for it
const idle = []; // strict: children with nothing in flight
const queued = []; // strict: [id, body] waiting for a child

function startChild() {
  const child =
    kind === 'python'
      ? spawn(process.env.BENCH_PYTHON ?? '/usr/bin/python3', ['-u', here('./floor_child.py')], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
      : fork(here('./floor-child.cjs'), [], { env, execArgv: [] });
  child.on('message', (m) => {
    const res = waiting.get(m.id);
    if (res) {
      waiting.delete(m.id);
      const body = Buffer.from(m.body);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
      res.end(body);
    }
    if (mode === 'strict') {
      const next = queued.shift();
      if (next) child.send({ id: next[0], body: next[1] });
      else idle.push(child);
    }
  });
  child.on('exit', () => process.exit(1));
  return child;
}

const children = Array.from({ length: count }, startChild);
idle.push(...children);

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const id = ++seq;
    const body = Buffer.concat(chunks).toString('utf8');
    waiting.set(id, res);
    if (mode === 'pipelined') return children[0].send({ id, body });
    const child = idle.pop(); // the most recently freed child: its pages are the warmest
    if (child) child.send({ id, body });
    else queued.push([id, body]);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port} child ${children.map((c) => c.pid).join(',')}\n`));
const stop = () => {
  server.close();
  server.closeAllConnections();
  for (const c of children) c.kill('SIGKILL');
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
