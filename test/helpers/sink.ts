// A record sink on loopback that functions report to: they run sandboxed, without the test's files, but on the host's
// network, so what a function did reaches the test as JSON records POSTed to 127.0.0.1.
//
// The wire, for fixtures (Node's `http`, no dependencies): POST <url(key)> with a JSON body appends it under the key and
// answers {"count": n}, the records under that key now, this one included; GET <url(key)> answers the key's records.
// GET <url(key)>?hold is never answered: the sink adds {"held": "open"} under the key when it arrives and
// {"held": "closed"} when its sender goes away, which is how a process a function started shows it is alive, then gone.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Sink {
  /** Where a function POSTs its records under `key` (and GETs them back). */
  url(key: string): string;
  /** What arrived under `key`, in order of arrival. */
  records<T = any>(key: string): T[];
  /** Adds a record from the test's side, such as a flag a function checks with GET. */
  add(key: string, record: unknown): void;
  close(): Promise<void>;
}

/** Starts a sink on 127.0.0.1, port 0; close it in `after`. It never keeps the test process alive by itself. */
export async function startSink(): Promise<Sink> {
  const byKey = new Map<string, unknown[]>();
  const list = (key: string) => byKey.get(key) ?? byKey.set(key, []).get(key)!;
  const server = createServer((req, res) => void serve(req, res, list));
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  server.unref();
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url: (key) => base + encodeURIComponent(key),
    records: (key) => [...list(key)] as any[],
    add: (key, record) => void list(key).push(record),
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        // A function's environment may outlive the test; its connections must not hold the close up.
        server.closeAllConnections();
      }),
  };
}

async function serve(req: IncomingMessage, res: ServerResponse, list: (key: string) => unknown[]): Promise<void> {
  const reply = (status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const url = new URL(req.url ?? '/', 'http://sink');
  const key = decodeURIComponent(url.pathname.slice(1));
  if (req.method === 'GET' && url.searchParams.has('hold')) {
    list(key).push({ held: 'open' });
    res.once('close', () => list(key).push({ held: 'closed' }));
    return;
  }
  if (req.method === 'GET') return reply(200, list(key));
  if (req.method !== 'POST') return reply(405, { error: `${req.method} is not a sink method: POST or GET` });
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  let record: unknown;
  try {
    record = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    // The function sees the 400 and fails, so a broken fixture shows up as a failing test, not as a missing record.
    return reply(400, { error: 'the body is not JSON' });
  }
  const records = list(key);
  records.push(record);
  reply(200, { count: records.length });
}
