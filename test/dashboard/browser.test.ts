// The dashboard in a real browser: headless Chromium (Debian's, driven by playwright-core) logs in with the start-up
// token, creates and invokes a function through the forms, watches an invocation made elsewhere arrive in the live log,
// redrives a failed event, and reads the environments and nodes pages; each result is checked through the Lambda API
// too. Then a hostile page tries to read or drive it: from another site, from another port of the same host, with a
// missing or forged CSRF token, and through a rebound DNS name.
//
// ALONZO_DASHBOARD_SCREENSHOTS=<dir> writes a screenshot of each page there (docs/dashboard/ holds the committed ones).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import { GetFunctionCommand, InvokeCommand, PutFunctionEventInvokeConfigCommand } from '@aws-sdk/client-lambda';
import { startAlonzo, zipOf, type TestServer } from '../helpers/alonzo.js';
import { deploy, eventually, functionLogs } from '../helpers/invoke.js';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SHOTS = process.env.ALONZO_DASHBOARD_SCREENSHOTS;

const FAILING = `exports.handler = async (event) => { console.log('failing with', JSON.stringify(event)); throw new Error('always fails'); };`;

let s: TestServer;
let context: BrowserContext;
let userDataDir: string;
let hostile: Server;
let hostilePort: number;

before(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`this test needs Chromium at ${CHROMIUM}, which is missing: install it with \`apt-get install -y chromium\` (.ci/run does)`);
  }
  const { chromium } = await import('playwright-core');
  s = await startAlonzo({ auth: 'local' });
  // The attacker's pages: any path answers a page with nothing in it; the tests run their script in it.
  hostile = createServer((_req, res) => void res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>hostile</title><p>a page</p>'));
  await new Promise<void>((ok) => hostile.listen(0, '127.0.0.1', ok));
  hostilePort = (hostile.address() as AddressInfo).port;
  userDataDir = mkdtempSync(join(tmpdir(), 'alonzo-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1280, height: 900 } });
  if (SHOTS) mkdirSync(SHOTS, { recursive: true });
});

after(async () => {
  await context?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  if (hostile) await new Promise<void>((ok) => hostile.close(() => ok()));
  await s?.close();
});

async function shot(page: Page, name: string): Promise<void> {
  if (SHOTS) await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** A tab logged in through the link `alonzo serve` prints. */
async function loggedIn(hash = '#/functions'): Promise<Page> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${s.dashboardUrl}#token=${s.dashboardToken}`);
  await page.waitForSelector('header .brand');
  // The token left the address bar.
  assert.doesNotMatch(page.url(), /token=/);
  if (hash !== '#/functions') await page.evaluate((h) => (location.hash = h), hash);
  assert.deepEqual(errors, []);
  return page;
}

test('log in with the start-up token, create a function and invoke it through the UI; the live log shows an invoke made elsewhere', async () => {
  const page = await loggedIn();
  await page.waitForSelector('#create-form');
  await page.fill('#create-name', 'made-in-ui');
  await page.fill('#create-code', "exports.handler = async (event) => { console.log('ui marker', event.n); return { doubled: event.n * 2 }; };");
  await page.click('#create-submit');
  // The page goes to the new function; the Lambda API has it.
  await page.waitForSelector('#config');
  const made = await s.client.send(new GetFunctionCommand({ FunctionName: 'made-in-ui' }));
  assert.equal(made.Configuration?.Runtime, 'nodejs20.x');
  assert.equal(made.Configuration?.Handler, 'index.handler');

  await page.fill('#invoke-payload', '{"n": 21}');
  await page.click('#invoke-submit');
  await page.waitForSelector('#invoke-response');
  assert.deepEqual(JSON.parse((await page.textContent('#invoke-response')) ?? ''), { doubled: 42 });
  assert.match((await page.textContent('#invoke-log')) ?? '', /ui marker 21/);
  // The recent invocations table gets it (the page fetches again after the invoke).
  await page.waitForFunction(() => document.querySelectorAll('#invocations-table tbody tr').length === 1);
  assert.match(await page.textContent('#invocations-table') ?? '', /yes \(\d+ ms\)/, 'the first invocation was a cold start');

  // An invocation from another client arrives in the live tail (server-sent events), and in the table.
  await page.waitForSelector('#live-tail');
  await s.client.send(new InvokeCommand({ FunctionName: 'made-in-ui', Payload: Buffer.from('{"n": 1234}') }));
  await page.waitForFunction(() => (document.querySelector('#live-tail')?.textContent ?? '').includes('ui marker 1234'), null, { timeout: 30_000 });
  await page.waitForFunction(() => document.querySelectorAll('#invocations-table tbody tr').length === 2, null, { timeout: 30_000 });
  await shot(page, 'function');

  await page.evaluate(() => (location.hash = '#/functions'));
  await page.waitForSelector('#functions-table');
  const row = await page.textContent('#functions-table');
  assert.match(row ?? '', /made-in-ui/);
  assert.match(row ?? '', /nodejs20\.x/);
  await shot(page, 'functions');
  await page.close();
});

test('the async page shows a failed event live and redrives it through the UI', async () => {
  await deploy(s, 'dash-fails', { zip: await zipOf({ 'index.js': FAILING }) });
  await s.client.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'dash-fails', MaximumRetryAttempts: 0 }));
  const page = await loggedIn('#/async');
  await page.waitForSelector('h1');
  const sent = await s.client.send(new InvokeCommand({ FunctionName: 'dash-fails', InvocationType: 'Event', Payload: Buffer.from('{"job": 7}') }));
  const requestId = sent.$metadata.requestId!;
  // No reload: the row appears when the queue changes.
  await page
    .waitForFunction(() => /dash-fails\s*0\s*0\s*1/.test(document.querySelector('#async-table')?.textContent ?? ''), null, { timeout: 30_000 })
    .catch(async (e) => assert.fail(`${e}: the page shows ${await page.textContent('main')}`));
  await page.click('button[data-fn="dash-fails"]');
  await page.waitForSelector('#failed-events table');
  assert.match((await page.textContent('#failed-events')) ?? '', new RegExp(requestId));
  assert.match((await page.textContent('#failed-events')) ?? '', /RetriesExhausted/);
  // Its record, as a destination would get it.
  await page.click('#failed-events button.record');
  const record = JSON.parse((await page.textContent('#failed-record')) ?? '');
  assert.deepEqual(record.Payload, { job: 7 });
  assert.equal(record.Record.requestContext.requestId, requestId);
  assert.equal(record.Record.requestContext.condition, 'RetriesExhausted');
  await shot(page, 'async');
  await page.click('#redrive');
  await page.waitForSelector('#redrive-result');
  assert.equal(await page.textContent('#redrive-result'), '1 event(s) queued again.');
  // It ran again under the same request id: the function's log has two starts for it.
  await eventually(async () => (await functionLogs(s, 'dash-fails')).split(`START RequestId: ${requestId}`).length - 1 === 2, 30_000, 'the redriven event to run');
  await page.close();
});

test('the environments and nodes pages show this node and its environments', async () => {
  await s.client.send(new InvokeCommand({ FunctionName: 'made-in-ui', Payload: Buffer.from('{"n": 1}') }));
  const page = await loggedIn('#/environments');
  await page.waitForSelector('#environments-table');
  const text = (await page.textContent('#environments-table')) ?? '';
  assert.match(text, /made-in-ui\s*\$LATEST\s*ready\s*\d+\s*128 MB/);
  await shot(page, 'environments');
  await page.evaluate(() => (location.hash = '#/nodes'));
  await page.waitForSelector('#nodes-table');
  assert.match((await page.textContent('#nodes-table')) ?? '', new RegExp(`${s.url.replace(/[.]/g, '\\.')}\\s*yes`));
  await shot(page, 'nodes');
  await page.close();
});

test('without a login: the page asks for one, and the API answers 401', async () => {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 700 } });
    await page.goto(s.dashboardUrl);
    await page.waitForSelector('#login-form');
    await shot(page, 'login');
    const status = await page.evaluate(async () => (await fetch('/_alonzo/dashboard/api/functions')).status);
    assert.equal(status, 401);
    // A wrong token is refused.
    await page.fill('#login-token', 'not-the-token');
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#login-form .error');
    assert.match((await page.textContent('#login-form .error')) ?? '', /not valid/);
  } finally {
    await browser.close();
  }
});

/** Runs `script` in a hostile page at `origin` in the logged-in browser; answers what it saw. */
async function fromHostilePage(origin: string, script: (target: string) => Promise<unknown>): Promise<unknown> {
  const page = await context.newPage();
  try {
    await page.goto(`${origin}/`);
    return await page.evaluate(script, s.url);
  } finally {
    await page.close();
  }
}

const invocations = async (fn: string) => (await functionLogs(s, fn)).split('START RequestId: ').length - 1;

test('a hostile page (another site, or another port of this host) cannot read the dashboard nor drive it', async () => {
  // The browser is logged in (the tests above): its cookie exists.
  const cookies = await context.cookies(s.dashboardUrl);
  assert.ok(cookies.some((c) => c.name === 'alonzo_dashboard' && c.httpOnly && c.sameSite === 'Strict'));
  const before = await invocations('made-in-ui');
  for (const origin of [`http://evil.localhost:${hostilePort}`, `http://127.0.0.1:${hostilePort}`]) {
    const seen = await fromHostilePage(origin, async (target) => {
      const out: Record<string, unknown> = {};
      try {
        const r = await fetch(`${target}/_alonzo/dashboard/api/functions`, { credentials: 'include' });
        out.read = await r.text();
      } catch (e) {
        out.read = `blocked: ${String(e)}`;
      }
      // Blind writes: a no-cors fetch and a form post, with the cookie if the browser sends it.
      await fetch(`${target}/_alonzo/dashboard/api/functions/made-in-ui/invoke`, { method: 'POST', mode: 'no-cors', credentials: 'include', body: '{"Payload":"{\\"n\\":666}"}' }).catch(() => undefined);
      const form = document.createElement('form');
      form.method = 'POST';
      form.enctype = 'text/plain';
      form.action = `${target}/_alonzo/dashboard/api/functions/made-in-ui/invoke`;
      const input = document.createElement('input');
      input.name = '{"Payload":"{\\"n\\":667}","x":"';
      input.value = '"}';
      form.appendChild(input);
      const frame = document.createElement('iframe');
      frame.name = 'sink';
      document.body.appendChild(frame);
      form.target = 'sink';
      document.body.appendChild(form);
      form.submit();
      await new Promise((ok) => setTimeout(ok, 500));
      return out;
    });
    assert.match(String((seen as { read: string }).read), /^blocked: TypeError/, `${origin} read nothing`);
  }
  // Nothing ran: the function has the invocations it had.
  assert.equal(await invocations('made-in-ui'), before);
});

test('the CSRF token is required on every POST, and must be the session\'s', async () => {
  const page = await loggedIn();
  const before = await invocations('made-in-ui');
  const results = await page.evaluate(async () => {
    const post = (headers: Record<string, string>) =>
      fetch('/_alonzo/dashboard/api/functions/made-in-ui/invoke', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"Payload":"{}"}' }).then(async (r) => [r.status, (await r.json()).error]);
    return { missing: await post({}), forged: await post({ 'x-alonzo-csrf': 'forged-token-forged-token-forged' }) };
  });
  assert.deepEqual(results, { missing: [403, 'CsrfTokenInvalid'], forged: [403, 'CsrfTokenInvalid'] });
  assert.equal(await invocations('made-in-ui'), before);
  await page.close();
});

test('DNS rebinding: a request with the session cookie but a foreign Host is refused', async () => {
  const cookie = (await context.cookies(s.dashboardUrl)).find((c) => c.name === 'alonzo_dashboard')!;
  const status = (host: string) =>
    new Promise<number>((resolve, reject) => {
      const req = request(`${s.url}/_alonzo/dashboard/api/functions`, { headers: { host, cookie: `${cookie.name}=${cookie.value}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
  assert.equal(await status(new URL(s.url).host), 200, 'the cookie itself is good');
  assert.equal(await status(`evil.example:${new URL(s.url).port}`), 403);
  assert.equal(await status('evil.example'), 403);
});

test('a hostile function\'s log and answer are shown as text: no markup, no script runs in the dashboard', async () => {
  const XSS = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>`;
  await deploy(s, 'dash-xss', { zip: await zipOf({ 'index.js': `exports.handler = async () => { console.log(${JSON.stringify(XSS)}); return ${JSON.stringify(XSS)}; };` }) });
  const page = await loggedIn('#/functions/dash-xss');
  await page.waitForSelector('#invoke-form');
  await page.click('#invoke-submit');
  await page.waitForSelector('#invoke-response');
  assert.equal(JSON.parse((await page.textContent('#invoke-response')) ?? ''), XSS);
  assert.match((await page.textContent('#invoke-log')) ?? '', /<img src=x onerror=/);
  await page.waitForFunction(() => document.querySelectorAll('#invocations-table tbody tr').length === 1);
  await page.click('#invocations-table button');
  await page.waitForSelector('#invocation-log');
  assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  assert.equal(await page.locator('main img').count(), 0, 'no element was made from the text');
  await page.close();
});
