// The Event benchmark's sink: an HTTP server on loopback that the benchmark's function POSTs to as its first action,
// naming its request id (`POST /done/<requestId>`). It records when each id first arrived, in µs of CLOCK_MONOTONIC
// (process.hrtime: one clock for every process on the machine), and how often ids arrived (a retried event arrives
// again). A sandboxed function cannot write where the benchmark reads files, but it can reach loopback.
//
// Usage: node sink.mjs → prints `listening PORT`. `GET /stats` → { distinct, posts }; `POST /lookup` with a JSON
// array of ids → { arrivedUs: [µs or null, …] } in the same order; `POST /reset` forgets everything.
import { createServer } from 'node:http';

const nowUs = () => Number(process.hrtime.bigint() / 1000n);
let first = new Map(); // id → µs of its first arrival
let posts = 0;

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const reply = (obj) => {
      const body = JSON.stringify(obj);
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (req.method === 'POST' && req.url.startsWith('/done/')) {
      const at = nowUs();
      posts++;
      const id = decodeURIComponent(req.url.slice(6));
      if (!first.has(id)) first.set(id, at);
      return reply({});
    }
    if (req.url === '/stats') return reply({ distinct: first.size, posts });
    if (req.url === '/lookup') return reply({ arrivedUs: JSON.parse(Buffer.concat(chunks).toString()).map((id) => first.get(id) ?? null) });
    if (req.url === '/reset') {
      first = new Map();
      posts = 0;
      return reply({});
    }
    res.writeHead(404).end();
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
const stop = () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
