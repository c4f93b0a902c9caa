// Response streaming, attacked: a function that streams forever to a client that does not read, or past the limit; a
// client that goes away mid-stream; a process that is not the environment's posting a streamed response to its
// Runtime API. The server must stay small, the environment must come free, and the response must stay the function's.
// The same for a RESPONSE_STREAM function URL, whose client is any HTTP client.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request, type IncomingMessage } from 'node:http';
import { InvokeWithResponseStreamCommand, PutFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import { startAlonzo, zipOf, type TestServer } from '../helpers/alonzo.js';
import { deploy, eventually, functionLogs } from '../helpers/invoke.js';
import { signRequest } from '../helpers/sign.js';
import { startSink, type Sink } from '../helpers/sink.js';
import { allowPublic, createUrl } from '../url/helpers.js';

let s: TestServer;
let sink: Sink;
const LIMIT = 4 * 1024 * 1024;

before(async () => {
  // A low stream limit (AWS's is 200 MB) so that passing it is quick.
  s = await startAlonzo({ streamLimitBytes: LIMIT });
  sink = await startSink();
  await Promise.all([
    deploy(s, 'forever', { fixture: 'node-stream', Timeout: 3 }),
  ]);
});

after(async () => {
  await s.close();
  await sink.close();
});

/** Starts InvokeWithResponseStream over raw HTTP and resolves with the response once its headers are in. */
async function rawStream(fn: string, event: unknown, server = s): Promise<IncomingMessage> {
  const url = `${server.url}/2021-11-15/functions/${fn}/response-streaming-invocations`;
  const body = JSON.stringify(event);
  const headers = await signRequest(url, { method: 'POST', body });
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers }, resolve);
    req.on('error', reject);
    req.end(body);
  });
}

const text = async (fn: string, event: unknown, server = s) => {
  const out = await server.client.send(new InvokeWithResponseStreamCommand({ FunctionName: fn, Payload: Buffer.from(JSON.stringify(event)) }));
  let t = '';
  let complete: any;
  for await (const ev of out.EventStream!) {
    if (ev.PayloadChunk) t += Buffer.from(ev.PayloadChunk.Payload!).toString();
    else complete = ev.InvokeComplete;
  }
  return { text: t, complete };
};

test('a function streaming without end to a client that stops reading is held back: the server does not buffer it', async (t) => {
  // AWS's 200 MB limit here: an unheld stream would be buffered up to it.
  const big = await startAlonzo();
  let res: IncomingMessage | undefined;
  // A paused response would hold the server's close up (when an assertion fails): destroyed first.
  t.after(async () => {
    res?.destroy();
    await big.close();
  });
  await deploy(big, 'held', { fixture: 'node-stream', Timeout: 3 });
  const key = `held-${Date.now()}`;
  const reply = await rawStream('held', { mode: 'forever', sink: sink.url(key) }, big);
  res = reply;
  assert.equal(reply.statusCode, 200);
  // Read the first bytes, then stop reading.
  await new Promise((r) => reply.once('data', r));
  reply.pause();
  const before = process.memoryUsage().rss;
  // The function runs on for most of its 3 s (an unheld stream would be gigabytes by then).
  await new Promise((r) => setTimeout(r, 2000));
  const grown = (process.memoryUsage().rss - before) / 1048576;
  assert.ok(grown < 64, `the server grew by ${grown.toFixed(0)} MB while the client did not read`);
  reply.destroy();
  assert.equal(sink.records(key).length, 1);
  // The invocation ends (released, the function writes on until the stream limit or its timeout); the function serves again.
  const id = (sink.records(key)[0] as { started: string }).started;
  await eventually(async () => (await functionLogs(big, 'held')).includes(`END RequestId: ${id}`), 10_000, 'the held invocation to end');
  assert.equal((await text('held', { mode: 'text' }, big)).text, 'Hello, world!');
});

test('past the stream limit the stream ends with Function.ResponseSizeTooLarge; the function serves again', async () => {
  const r = await text('forever', { mode: 'forever' });
  assert.ok(r.text.length <= LIMIT, `${r.text.length} bytes reached the client`);
  assert.ok(r.text.length > 0);
  assert.equal(r.complete.ErrorCode, 'Unhandled');
  const details = JSON.parse(r.complete.ErrorDetails);
  assert.equal(details.errorType, 'Function.ResponseSizeTooLarge');
  assert.equal(details.errorMessage, `Response payload size exceeded maximum allowed payload size (${LIMIT} bytes).`);
  assert.equal((await text('forever', { mode: 'text' })).text, 'Hello, world!');
});

test('past the stream limit over the Runtime API (a streamed POST): the same error, and the POST is cut off', async (t) => {
  const h = await startAlonzo({ streamLimitBytes: LIMIT, runtimeTransport: 'runtime-api' });
  t.after(() => h.close());
  await deploy(h, 'forever', { fixture: 'node-stream', Timeout: 3 });
  const r = await text('forever', { mode: 'forever' }, h);
  assert.ok(r.text.length <= LIMIT, `${r.text.length} bytes reached the client`);
  assert.equal(JSON.parse(r.complete.ErrorDetails).errorType, 'Function.ResponseSizeTooLarge');
  assert.equal((await text('forever', { mode: 'text' }, h)).text, 'Hello, world!');
});

test('a client that disconnects mid-stream does not leave the function busy: it ends at its timeout, then runs again', async () => {
  await s.client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'forever', ReservedConcurrentExecutions: 1 }));
  const key = `gone-${Date.now()}`;
  // It writes "first", then waits for a go that never comes (within its 3 s Timeout).
  const res = await rawStream('forever', { mode: 'gated', sink: sink.url(key) });
  const first = await new Promise<Buffer>((r) => res.once('data', r));
  res.destroy();
  // The id exactly (a UUID): the raw event-stream bytes after it are the message's CRC, which may happen to read as hex or '-'.
  const id = /first:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/.exec(first.toString('latin1'))![1];
  // Busy until its timeout (reserved concurrency 1: a second invoke meanwhile is throttled), then free.
  const after = await eventually(
    async () => {
      try {
        return await text('forever', { mode: 'text' });
      } catch (e) {
        if ((e as Error).name === 'TooManyRequestsException') return undefined;
        throw e;
      }
    },
    15_000,
    'the function to be free again',
  );
  assert.equal(after.text, 'Hello, world!');
  assert.match(await functionLogs(s, 'forever'), new RegExp(`${id} Task timed out after 3\\.00 seconds`));
});

test("a streamed response POSTed to an environment's Runtime API by another process is refused; the runtime's own is kept", async () => {
  // A custom runtime that reports its request id and Runtime API address, waits for the test's go, then streams.
  const bootstrap = [
    '#!/bin/bash',
    'set -euo pipefail',
    'API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"',
    'while true; do',
    '  H=$(mktemp); EVENT=$(curl -sS -D "$H" "$API/invocation/next")',
    '  ID=$(grep -i "^Lambda-Runtime-Aws-Request-Id:" "$H" | tr -d "\\r" | cut -d" " -f2)',
    '  SINK=$(printf "%s" "$EVENT" | sed -e \'s/.*"sink":"\\([^"]*\\)".*/\\1/\')',
    '  curl -sS -X POST -H "content-type: application/json" -d "{\\"id\\":\\"$ID\\",\\"api\\":\\"$AWS_LAMBDA_RUNTIME_API\\"}" "$SINK" > /dev/null',
    '  for i in $(seq 1 100); do curl -sS "$SINK" | grep -q \'"go"\' && break; sleep 0.1; done',
    '  printf "own answer" | curl -sS -X POST -T - -H "Transfer-Encoding: chunked" -H "Lambda-Runtime-Function-Response-Mode: streaming" "$API/invocation/$ID/response" > /dev/null',
    'done',
  ].join('\n');
  await deploy(s, 'custom', { zip: await zipOf({ bootstrap }, 0o755), Runtime: 'provided.al2023', Handler: 'x', Timeout: 15 });
  const key = `rapi-${Date.now()}`;
  const running = text('custom', { sink: sink.url(key) });
  const { id, api } = await eventually(async () => sink.records(key)[0] as { id: string; api: string } | undefined, 10_000, 'the runtime to report');
  const [host, port] = api.split(':');
  // The test process (root, on the host) posts a streamed answer for the live invocation.
  const refused = await new Promise<{ status?: number; body: string }>((resolve) => {
    const req = request(
      {
        host,
        port: Number(port),
        method: 'POST',
        path: `/2018-06-01/runtime/invocation/${id}/response`,
        headers: { 'Lambda-Runtime-Function-Response-Mode': 'streaming', 'Transfer-Encoding': 'chunked', Trailer: 'Lambda-Runtime-Function-Error-Type' },
      },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode, body }));
      },
    );
    req.on('error', (e) => resolve({ body: String(e) }));
    req.write('forged ');
    req.addTrailers({ 'Lambda-Runtime-Function-Error-Type': 'Forged' });
    req.end('answer');
  });
  assert.equal(refused.status, 403, JSON.stringify(refused));
  assert.match(refused.body, /AccessDenied/);
  sink.add(key, { go: true });
  const r = await running;
  assert.equal(r.text, 'own answer');
  assert.deepEqual(r.complete, { LogResult: '' });
});

/** A GET to a function URL with Node's http client (connecting to the API's port with the URL's Host); resolves once the headers are in. */
function urlGet(url: string): Promise<IncomingMessage> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: u.port, path: u.pathname + u.search, headers: { host: u.host } }, resolve);
    req.on('error', reject);
    req.end();
  });
}

/** A public RESPONSE_STREAM URL on the url-stream fixture; its FunctionUrl. */
async function streamingUrl(server: TestServer, fn: string, Timeout: number): Promise<string> {
  await deploy(server, fn, { fixture: 'url-stream', Timeout });
  const url = await createUrl(server.client, { FunctionName: fn, AuthType: 'NONE', InvokeMode: 'RESPONSE_STREAM' });
  await allowPublic(server.client, fn);
  return url;
}

test('a RESPONSE_STREAM URL whose client stops reading holds the function back: the server does not buffer the stream', async (t) => {
  // AWS's 200 MB limit here: an unheld stream would be buffered up to it.
  const big = await startAlonzo();
  let res: IncomingMessage | undefined;
  t.after(async () => {
    res?.destroy();
    await big.close();
  });
  const url = await streamingUrl(big, 'url-held', 3);
  const key = `url-held-${Date.now()}`;
  res = await urlGet(`${url}?mode=forever&sink=${encodeURIComponent(sink.url(key))}`);
  assert.equal(res.statusCode, 200);
  await new Promise((r) => res!.once('data', r));
  res.pause();
  const before = process.memoryUsage().rss;
  // The function runs on for most of its 3 s (an unheld stream would be gigabytes by then).
  await new Promise((r) => setTimeout(r, 2000));
  const grown = (process.memoryUsage().rss - before) / 1048576;
  assert.ok(grown < 64, `the server grew by ${grown.toFixed(0)} MB while the client did not read`);
  res.destroy();
  const id = (sink.records(key)[0] as { started: string }).started;
  await eventually(async () => (await functionLogs(big, 'url-held')).includes(`END RequestId: ${id}`), 10_000, 'the held invocation to end');
});

test('a RESPONSE_STREAM URL whose client disconnects lets the function go: it is no longer held back, and serves again', async () => {
  // Timeout 30 s: held, it would sit until then; let go, it writes on (into nothing) to the 4 MB stream limit at once.
  const url = await streamingUrl(s, 'url-gone', 30);
  const key = `url-gone-${Date.now()}`;
  const res = await urlGet(`${url}?mode=forever&sink=${encodeURIComponent(sink.url(key))}`);
  await new Promise((r) => res.once('data', r));
  res.destroy();
  const id = await eventually(async () => (sink.records(key)[0] as { started: string } | undefined)?.started, 10_000, 'the function to report');
  const logs = await eventually(async () => {
    const l = await functionLogs(s, 'url-gone');
    return l.includes(`END RequestId: ${id}`) ? l : undefined;
  }, 15_000, 'the invocation to end well before its 30 s timeout');
  assert.doesNotMatch(logs, /Task timed out/);
  const again = await urlGet(`${url}?mode=text`);
  let body = '';
  for await (const c of again) body += c;
  assert.equal(body, 'Hello, world!');
});
