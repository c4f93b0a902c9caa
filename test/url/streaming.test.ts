// RESPONSE_STREAM function URLs through curl -N and Node's http client: bytes reach the client as the function writes
// them (the order checked through a loopback sink the function waits on, never with a clock), an
// awslambda.HttpResponseStream prelude becomes the status, headers and cookies, errors before and after the first byte,
// a handler that does not stream, and the URL's Cors on a streamed answer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request, type IncomingMessage } from 'node:http';
import { CreateFunctionCommand } from '@aws-sdk/client-lambda';
import { ROLE, startAlonzo, type TestServer } from '../helpers/alonzo.js';
import { deploy, fixtureZip } from '../helpers/invoke.js';
import { UUID_RE } from '../helpers/api.js';
import { startSink, type Sink } from '../helpers/sink.js';
import { allowPublic, createUrl, curl, pathForm } from './helpers.js';

let s: TestServer;
let sink: Sink;
let streamUrl: string;
let plainUrl: string;
const ORIGIN = 'http://app.localhost';

before(async () => {
  s = await startAlonzo();
  sink = await startSink();
  await Promise.all([deploy(s, 'url-streamer', { fixture: 'url-stream', Timeout: 30 }), deploy(s, 'url-plain', { fixture: 'url-stream', Handler: 'index.plain' })]);
  streamUrl = await createUrl(s.client, { FunctionName: 'url-streamer', AuthType: 'NONE', InvokeMode: 'RESPONSE_STREAM', Cors: { AllowOrigins: [ORIGIN], ExposeHeaders: ['x-custom'] } });
  await allowPublic(s.client, 'url-streamer');
  plainUrl = await createUrl(s.client, { FunctionName: 'url-plain', AuthType: 'NONE', InvokeMode: 'RESPONSE_STREAM' });
  await allowPublic(s.client, 'url-plain');
});

after(async () => {
  await s.close();
  await sink.close();
});

const q = (mode: string, key?: string) => `?mode=${mode}${key ? `&sink=${encodeURIComponent(sink.url(key))}` : ''}`;

/**
 * `curl -s -S -N -i`: curl's output is read as it comes (-N: no buffering on curl's side); `onOutput` sees all of it so
 * far after each read. Resolves with curl's exit code and its whole output.
 */
function curlN(url: string, onOutput: (sofar: string) => void = () => undefined, extra: string[] = []): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('curl', ['-s', '-S', '-N', '-i', '--max-time', '60', ...extra, url]);
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('latin1');
      onOutput(out);
    });
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

/** The header block and the body of curl -i output. */
function splitCurl(out: string): { head: string[]; body: string } {
  const at = out.indexOf('\r\n\r\n');
  return { head: out.slice(0, at).split('\r\n'), body: out.slice(at + 4) };
}

/** A GET with Node's http client to the URL's host (Node does not resolve `*.localhost`: it connects to the API's port with that Host). */
function nodeGet(url: string, headers: Record<string, string> = {}): Promise<IncomingMessage> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: u.port, path: u.pathname + u.search, headers: { host: u.host, ...headers } }, resolve);
    req.on('error', reject);
    req.end();
  });
}

/** Reads a response to its end; `error` holds how it ended early (a cut connection), if it did. */
function readAll(res: IncomingMessage): Promise<{ body: string; error?: string }> {
  return new Promise((resolve) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => (body += c));
    res.on('end', () => resolve({ body }));
    res.on('error', (e) => resolve({ body, error: e.message }));
  });
}

test('curl -N: the first chunk reaches the client before the function writes its second', async () => {
  const key = `curl-gated-${Date.now()}`;
  let sawFirst = false;
  const r = await curlN(streamUrl + q('gated', key), (sofar) => {
    if (sawFirst || !/first:[0-9a-f-]{36}/.test(sofar)) return;
    sawFirst = true;
    // The function has not written its second chunk: it waits for this very flag before it does.
    assert.deepEqual(sink.records(key), []);
    sink.add(key, { go: true });
  });
  assert.equal(r.code, 0, r.err);
  assert.ok(sawFirst, r.out);
  const { head, body } = splitCurl(r.out);
  assert.match(head[0], /^HTTP\/1\.1 200/);
  assert.ok(head.some((h) => /^transfer-encoding: chunked$/i.test(h)), head.join('\n'));
  assert.ok(head.some((h) => /^content-type: application\/octet-stream$/i.test(h)), 'no content type set: application/octet-stream');
  assert.match(body, /^first:[0-9a-f-]+\|second:after-go$/);
  assert.deepEqual(sink.records(key).at(-1), { second: 'write', go: true });
});

test("Node's http client: a prelude's status, headers and cookies arrive with the first chunk, before the second is written", async () => {
  const key = `node-gated-${Date.now()}`;
  const res = await nodeGet(streamUrl + q('http-gated', key));
  assert.equal(res.statusCode, 201);
  assert.equal(res.headers['content-type'], 'text/html');
  assert.equal(res.headers['x-custom'], 'yes');
  assert.equal(res.headers['cache-control'], 'no-cache');
  assert.deepEqual(res.headers['set-cookie'], ['a=1; Path=/', 'b=2']);
  assert.equal(res.headers['transfer-encoding'], 'chunked');
  assert.match(String(res.headers['x-amzn-requestid']), UUID_RE);
  res.setEncoding('latin1');
  const first = await new Promise<string>((r) => res.once('data', r));
  // No prelude bytes reach the client: the body starts with what the function wrote after it.
  assert.match(first, /^first:[0-9a-f-]{36}$/);
  assert.deepEqual(sink.records(key), [], 'the second chunk is not written yet');
  sink.add(key, { go: true });
  const rest = await readAll(res);
  assert.equal(rest.error, undefined);
  assert.equal(first + rest.body, `${first}|second:after-go`);
  assert.equal(first.slice('first:'.length), res.headers['x-amzn-requestid'], 'the request id the function saw');
});

test('HttpResponseStream.from with curl: status, headers and one Set-Cookie per cookie; the body without the prelude', async () => {
  const r = await curl(streamUrl + q('http'));
  assert.equal(r.status, 201);
  assert.equal(r.header('content-type'), 'text/html');
  assert.equal(r.header('x-custom'), 'yes');
  assert.deepEqual(r.headers.get('set-cookie'), ['a=1; Path=/', 'b=2']);
  assert.equal(r.header('transfer-encoding'), 'chunked');
  assert.equal(r.text, '<p>streamed</p>');
});

test('a stream with a content type set answers it; one without, application/octet-stream; an empty one, 200 and no body', async () => {
  const text = await curl(streamUrl + q('text'));
  assert.equal(text.status, 200);
  assert.equal(text.header('content-type'), 'text/plain');
  assert.equal(text.text, 'Hello, world!');
  const raw = await curl(streamUrl + q('raw'));
  assert.equal(raw.header('content-type'), 'application/octet-stream');
  assert.equal(raw.text, 'one two');
  const empty = await curl(streamUrl + q('empty'));
  assert.equal(empty.status, 200);
  assert.equal(empty.text, '');
  // The event is the payload 2.0 event a BUFFERED URL's function gets; the path form streams too.
  const echo = await curl(`${pathForm(s.url, streamUrl)}some/path${q('echo')}`);
  assert.equal(echo.status, 200);
  assert.equal(echo.header('content-type'), 'application/json');
  const { event } = echo.json();
  assert.equal(event.rawPath, '/some/path');
  assert.equal(event.requestContext.http.method, 'GET');
});

test('a function error before any byte answers 502 as a BUFFERED URL does; after bytes, the connection is cut (curl: exit 18)', async () => {
  for (const mode of ['fail-first', 'http-fail', 'bad-prelude']) {
    const r = await curl(streamUrl + q(mode));
    assert.equal(r.status, 502, mode);
    assert.equal(r.text, 'Internal Server Error', mode);
  }
  const cut = await curlN(streamUrl + q('fail'));
  // 18: "Partial file. Only a part of the file was transferred": the chunked body never got its last chunk.
  assert.equal(cut.code, 18, `${cut.err}\n${cut.out}`);
  const { head, body } = splitCurl(cut.out);
  assert.match(head[0], /^HTTP\/1\.1 200/);
  assert.equal(body, 'partial');
  // Node's client sees the same cut as an error on the response.
  const res = await nodeGet(streamUrl + q('fail'));
  assert.equal(res.statusCode, 200);
  const read = await readAll(res);
  assert.equal(read.body, 'partial');
  assert.ok(read.error, 'the response ends in an error, not as a complete body');
  // The function serves again.
  assert.equal((await curl(streamUrl + q('text'))).text, 'Hello, world!');
});

test('a handler that does not stream answers its whole JSON result, unmapped (TestLambdaURL::test_lambda_url_echo_invoke[RESPONSE_STREAM])', async () => {
  const r = await curl(plainUrl);
  assert.equal(r.status, 200);
  assert.deepEqual(r.json(), { statusCode: 201, headers: { 'x-plain': 'yes' }, body: 'whole' });
  assert.equal(r.header('x-plain'), undefined);
  // A Python function (which cannot stream) likewise.
  await s.client.send(new CreateFunctionCommand({ FunctionName: 'url-stream-py', Runtime: 'python3.12', Handler: 'lambda_function.lambda_handler', Role: ROLE, Code: { ZipFile: await fixtureZip('python-echo') } }));
  const py = await createUrl(s.client, { FunctionName: 'url-stream-py', AuthType: 'NONE', InvokeMode: 'RESPONSE_STREAM' });
  await allowPublic(s.client, 'url-stream-py');
  const event = (await curl(`${py}x?a=1`)).json();
  assert.equal(event.rawPath, '/x');
  assert.deepEqual(event.queryStringParameters, { a: '1' });
});

test("the URL's Cors applies to a streamed answer: its headers for an allowed origin, none for another", async () => {
  const allowed = await curl(streamUrl + q('http'), { headers: { origin: ORIGIN } });
  assert.equal(allowed.header('access-control-allow-origin'), ORIGIN);
  assert.equal(allowed.header('access-control-expose-headers'), 'x-custom');
  assert.match(String(allowed.header('vary')), /Origin/);
  assert.equal(allowed.text, '<p>streamed</p>');
  const other = await curl(streamUrl + q('http'), { headers: { origin: 'http://evil.localhost' } });
  assert.equal(other.header('access-control-allow-origin'), undefined);
  const pre = await curl(streamUrl, { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'GET' } });
  assert.equal(pre.status, 200);
  assert.equal(pre.header('access-control-allow-origin'), ORIGIN);
});

test('with the Runtime API transport (a chunked POST from the runtime) the URL streams the same way', async (t) => {
  const h = await startAlonzo({ runtimeTransport: 'runtime-api' });
  t.after(() => h.close());
  await deploy(h, 'url-streamer-rapi', { fixture: 'url-stream', Timeout: 30 });
  const url = await createUrl(h.client, { FunctionName: 'url-streamer-rapi', AuthType: 'NONE', InvokeMode: 'RESPONSE_STREAM' });
  await allowPublic(h.client, 'url-streamer-rapi');
  const key = `rapi-gated-${Date.now()}`;
  let sawFirst = false;
  const r = await curlN(url + q('http-gated', key), (sofar) => {
    if (sawFirst || !/first:[0-9a-f-]{36}/.test(sofar)) return;
    sawFirst = true;
    assert.deepEqual(sink.records(key), [], 'the second chunk is not written yet');
    sink.add(key, { go: true });
  });
  assert.equal(r.code, 0, r.err);
  assert.ok(sawFirst, r.out);
  const { head, body } = splitCurl(r.out);
  assert.match(head[0], /^HTTP\/1\.1 201/);
  assert.ok(head.some((h) => /^x-custom: yes$/i.test(h)), head.join('\n'));
  assert.match(body, /^first:[0-9a-f-]+\|second:after-go$/);
  const cut = await curlN(url + q('fail'));
  assert.equal(cut.code, 18, cut.err);
  assert.equal(splitCurl(cut.out).body, 'partial');
});
