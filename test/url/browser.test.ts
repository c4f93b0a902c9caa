// Function URLs from a real browser: headless Chromium (Debian's, driven by playwright-core) loads a page from one
// origin and `fetch`es a function URL on another. The URL's Cors decides: an allowed origin reads the answer (and the
// headers Cors exposes), a preflighted request (PUT with a custom header) goes through; a page from another origin
// cannot read an answer, and its preflighted request never reaches the function. A RESPONSE_STREAM URL streams into
// the page: its first chunk is read there before the function writes the second.
//
// Chromium resolves `*.localhost` to loopback itself, so pages and URLs use the host form. A machine without Chromium
// fails this test with what to install: a browser test that skips would pass while proving nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import { startAlonzo, type TestServer } from '../helpers/alonzo.js';
import { createFunction } from '../helpers/api.js';
import { deploy } from '../helpers/invoke.js';
import { startSink, type Sink } from '../helpers/sink.js';
import { allowPublic, createUrl } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Answers how it was called, reports each call to the sink given in the query, and sets a header Cors may expose. */
const ECHO_CALLS_JS = `const http = require('node:http');
const post = (url, record) => new Promise((resolve, reject) => {
  const req = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => { res.resume(); res.on('end', resolve); });
  req.on('error', reject);
  req.end(JSON.stringify(record));
});
exports.handler = async (event) => {
  const method = event.requestContext.http.method;
  const q = event.queryStringParameters || {};
  if (q.sink) await post(q.sink, { method });
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json', 'x-answer': '42', 'x-hidden': 'not exposed' },
    body: JSON.stringify({ method, custom: event.headers['x-custom'] || null, body: event.body || null }),
  };
};
`;

let s: TestServer;
let sink: Sink;
let pages: Server;
let context: BrowserContext;
let userDataDir: string;
let echoUrl: string;
let streamUrl: string;
/** Two origins on the one page server: Cors allows the first only. */
let allowedOrigin: string;
let otherOrigin: string;

before(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`this test needs Chromium at ${CHROMIUM}, which is missing: install it with \`apt-get install -y chromium\` (.ci/run does)`);
  }
  const { chromium } = await import('playwright-core');
  s = await startAlonzo();
  sink = await startSink();
  pages = createServer((_req, res) => void res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>page</title><p>a page</p>'));
  await new Promise<void>((ok) => pages.listen(0, '127.0.0.1', ok));
  const port = (pages.address() as AddressInfo).port;
  allowedOrigin = `http://app.localhost:${port}`;
  otherOrigin = `http://other.localhost:${port}`;

  await createFunction(s.client, 'browser-echo', {}, ECHO_CALLS_JS);
  echoUrl = await createUrl(s.client, {
    FunctionName: 'browser-echo',
    AuthType: 'NONE',
    Cors: { AllowOrigins: [allowedOrigin], AllowMethods: ['GET', 'PUT'], AllowHeaders: ['x-custom', 'content-type'], ExposeHeaders: ['x-answer'], MaxAge: 0 },
  });
  await allowPublic(s.client, 'browser-echo');
  await deploy(s, 'browser-stream', { fixture: 'url-stream', Timeout: 30 });
  streamUrl = await createUrl(s.client, { FunctionName: 'browser-stream', AuthType: 'NONE', InvokeMode: 'RESPONSE_STREAM', Cors: { AllowOrigins: [allowedOrigin] } });
  await allowPublic(s.client, 'browser-stream');

  userDataDir = mkdtempSync(join(tmpdir(), 'alonzo-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: FLAGS });
});

after(async () => {
  await context?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  if (pages) await new Promise<void>((ok) => pages.close(() => ok()));
  await sink?.close();
  await s?.close();
});

/** A new tab on `origin`'s page. */
async function pageAt(origin: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${origin}/`);
  assert.equal(await page.evaluate(() => location.origin), origin);
  return page;
}

interface Fetched {
  ok: boolean;
  status?: number;
  text?: string;
  answer?: string | null;
  hidden?: string | null;
  error?: string;
}

/** `fetch(url, init)` in the page: what the page could read, or how the fetch failed. */
function fetchIn(page: Page, url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Fetched> {
  return page.evaluate(
    async ({ url, init }) => {
      try {
        const r = await fetch(url, init);
        return { ok: true, status: r.status, text: await r.text(), answer: r.headers.get('x-answer'), hidden: r.headers.get('x-hidden') };
      } catch (e) {
        return { ok: false, error: String(e) };
      }
    },
    { url, init },
  );
}

test('a page on an origin Cors allows reads the answer and the headers Cors exposes, no others', async () => {
  const page = await pageAt(allowedOrigin);
  const r = await fetchIn(page, `${echoUrl}hello`);
  assert.equal(r.ok, true, r.error);
  assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(r.text!), { method: 'GET', custom: null, body: null });
  assert.equal(r.answer, '42', 'x-answer is in ExposeHeaders');
  assert.equal(r.hidden, null, 'x-hidden is not');
  await page.close();
});

test('a page on an origin Cors does not allow cannot read the answer: the fetch rejects', async () => {
  const page = await pageAt(otherOrigin);
  const r = await fetchIn(page, `${echoUrl}hello`);
  assert.equal(r.ok, false, `the page read: ${JSON.stringify(r)}`);
  assert.match(r.error!, /TypeError/);
  await page.close();
});

test('a preflighted request (PUT, a custom header) works as Cors allows; from another origin it never reaches the function', async () => {
  const key = `preflight-${Date.now()}`;
  const target = `${echoUrl}put?sink=${encodeURIComponent(sink.url(key))}`;
  const init = { method: 'PUT', headers: { 'x-custom': 'from the page', 'content-type': 'application/json' }, body: '{"n":1}' };
  const allowed = await pageAt(allowedOrigin);
  const r = await fetchIn(allowed, target, init);
  assert.equal(r.ok, true, r.error);
  assert.deepEqual(JSON.parse(r.text!), { method: 'PUT', custom: 'from the page', body: '{"n":1}' });
  // The preflight (OPTIONS) was answered from the setting: the function ran once, for the PUT.
  assert.deepEqual(sink.records(key), [{ method: 'PUT' }]);
  await allowed.close();

  const other = await pageAt(otherOrigin);
  const refused = await fetchIn(other, target, init);
  assert.equal(refused.ok, false, `the page read: ${JSON.stringify(refused)}`);
  // Its preflight got no grant, so the browser never sent the PUT.
  assert.deepEqual(sink.records(key), [{ method: 'PUT' }]);
  await other.close();
});

test('a RESPONSE_STREAM URL streams into the page: it reads the first chunk before the function writes the second', async () => {
  const key = `browser-gated-${Date.now()}`;
  const page = await pageAt(allowedOrigin);
  let sawFirst = false;
  await page.exposeFunction('firstChunk', (text: string) => {
    assert.match(text, /^first:[0-9a-f-]{36}$/);
    // The function has not written its second chunk: it waits for this very flag before it does.
    assert.deepEqual(sink.records(key), []);
    sawFirst = true;
    sink.add(key, { go: true });
  });
  const text = await page.evaluate(async (url) => {
    const r = await fetch(url);
    const reader = r.body!.getReader();
    const decoder = new TextDecoder();
    let all = '';
    let first = true;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return all;
      const piece = decoder.decode(value, { stream: true });
      all += piece;
      if (first) {
        first = false;
        await (window as unknown as { firstChunk(t: string): Promise<void> }).firstChunk(piece);
      }
    }
  }, `${streamUrl}?mode=gated&sink=${encodeURIComponent(sink.url(key))}`);
  assert.ok(sawFirst);
  assert.match(text, /^first:[0-9a-f-]+\|second:after-go$/);
  assert.deepEqual(sink.records(key).at(-1), { second: 'write', go: true });
  await page.close();
});
