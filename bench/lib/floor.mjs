// The machine's floor: a bare Node HTTP server that hands each request body to one child process over IPC and returns
// its reply. Anything a function service does costs at least this; Alonzo is compared against it.
//
// Usage: node floor.mjs node|python  → prints `listening PORT` (port 0: the kernel picks one on 127.0.0.1).
import { createServer } from 'node:http';
import { fork, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const kind = process.argv[2] ?? 'node';
const here = (f) => fileURLToPath(new URL(f, import.meta.url));
// A clean environment, as a Lambda environment gets: inherited variables such as NODE_EXTRA_CA_CERTS slow a start.
const env = { PATH: '/usr/local/bin:/usr/bin:/bin', LANG: 'C.UTF-8' };
const child =
  kind === 'python'
    ? spawn(process.env.BENCH_PYTHON ?? '/usr/bin/python3', ['-u', here('./floor_child.py')], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    : fork(here('./floor-child.cjs'), [], { env, execArgv: [] });

const waiting = new Map();
let seq = 0;
child.on('message', (m) => {
  const res = waiting.get(m.id);
  if (!res) return;
  waiting.delete(m.id);
  const body = Buffer.from(m.body);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
  res.end(body);
});
child.on('exit', () => process.exit(1));

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const id = ++seq;
    waiting.set(id, res);
    child.send({ id, body: Buffer.concat(chunks).toString('utf8') });
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port} child ${child.pid}\n`));
const stop = () => {
  server.close();
  server.closeAllConnections();
  child.kill('SIGKILL');
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
