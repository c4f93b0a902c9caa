// What a web page the developer visits can do to a local Alonzo, written as an attacker writes it: nothing, and nothing changes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { startAlonzo, zipOf, ROLE, type TestServer } from '../helpers/alonzo.js';
import { createFunction } from '../helpers/api.js';
import { signRequest } from '../helpers/sign.js';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../../src/auth/sigv4.js';

let s: TestServer;

before(async () => {
  // Local mode: the loopback default, where a page's requests would otherwise be most welcome.
  s = await startAlonzo({ auth: 'local', allowedHosts: 'alonzo.internal, build-box' });
  await createFunction(s.client, 'victim');
});
after(async () => s?.close());

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/** An HTTP request to the server with exactly these headers, Host included (what a browser sends after DNS rebinding). */
function send(method: string, path: string, headers: Record<string, string>, body?: string | Buffer): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: s.port, method, path, headers, setHost: !('host' in headers) && !('Host' in headers) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json: any = text;
        try {
          json = JSON.parse(text);
        } catch {
          // not JSON
        }
        resolve({ status: res.statusCode!, headers: res.headers, body: json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The headers a browser adds to a page's cross-site request to http://127.0.0.1:<port>. */
const browser = (extra: Record<string, string> = {}) => ({
  host: `127.0.0.1:${s.port}`,
  origin: 'http://evil.example',
  'sec-fetch-site': 'cross-site',
  'sec-fetch-mode': 'no-cors',
  'user-agent': 'Mozilla/5.0',
  ...extra,
});

async function functionNames(): Promise<string[]> {
  const r = await s.client.send(new ListFunctionsCommand({}));
  return (r.Functions ?? []).map((f) => f.FunctionName!).sort();
}

function assertNoCors(r: Reply): void {
  for (const h of Object.keys(r.headers)) assert.doesNotMatch(h, /^access-control-/i, `no CORS grant (${h})`);
}

test('a cross-site form post (text/plain, no headers of its own) cannot create a function nor invoke one', async () => {
  const zip = (await zipOf({ 'index.js': 'exports.handler = async () => require("child_process").execSync("id").toString()' })).toString('base64');
  // <form enctype="text/plain" method="POST" action="http://127.0.0.1:3001/2015-03-31/functions"> with one field whose
  // name and value add up to JSON: what a page can post without CORS.
  const json = JSON.stringify({ FunctionName: 'pwned', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: zip }, pad: '=' });
  const create = await send('POST', '/2015-03-31/functions', browser({ 'content-type': 'text/plain' }), json);
  assert.equal(create.status, 403);
  assert.equal(create.headers['x-amzn-errortype'], 'MissingAuthenticationTokenException');
  assert.deepEqual(create.body, { message: 'Missing Authentication Token' });
  assertNoCors(create);
  const form = await send('POST', '/2015-03-31/functions', browser({ 'content-type': 'application/x-www-form-urlencoded' }), `FunctionName=pwned&Runtime=nodejs20.x`);
  assert.equal(form.headers['x-amzn-errortype'], 'MissingAuthenticationTokenException');
  const invoke = await send('POST', '/2015-03-31/functions/victim/invocations', browser({ 'content-type': 'text/plain' }), '{"x":1}');
  assert.equal(invoke.status, 403);
  assert.equal(invoke.headers['x-amzn-errortype'], 'MissingAuthenticationTokenException');
  assert.deepEqual(await functionNames(), ['victim']);
});

test('an unsigned DELETE is refused and the function is still there', async () => {
  const del = await send('DELETE', '/2015-03-31/functions/victim', { host: `127.0.0.1:${s.port}` });
  assert.equal(del.status, 403);
  assert.equal(del.headers['x-amzn-errortype'], 'MissingAuthenticationTokenException');
  assert.deepEqual(await functionNames(), ['victim']);
});

test('DNS rebinding: a correctly signed request whose Host is evil.example is refused, before anything changes', async () => {
  const url = `http://evil.example:${s.port}/2015-03-31/functions/victim`;
  const headers = await signRequest(url, { method: 'DELETE' });
  const del = await send('DELETE', '/2015-03-31/functions/victim', { ...headers, host: `evil.example:${s.port}` });
  assert.equal(del.status, 403);
  assert.equal(del.headers['x-amzn-errortype'], 'AccessDeniedException');
  assert.match(del.body.Message, /^Host 'evil\.example:\d+' is not served here/);
  assertNoCors(del);
  assert.deepEqual(await functionNames(), ['victim']);
  // No Host at all (HTTP/1.0) is refused too.
  const none = await send('GET', '/2015-03-31/functions', {});
  assert.equal(none.status, 403);
});

test('a page that presigns a URL with the well-known test key and posts a form to it is refused: browsers say Origin', async () => {
  const signer = new SignatureV4({ service: 'lambda', region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, sha256: NodeSha256 });
  const body = '{"x":1}';
  const signed = await signer.presign({ method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: s.port, path: '/2015-03-31/functions/victim', query: {}, headers: { host: `127.0.0.1:${s.port}` }, body }, { expiresIn: 300 });
  const q = Object.entries(signed.query ?? {}).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&');
  const del = await send('DELETE', `/2015-03-31/functions/victim?${q}`, browser({ 'sec-fetch-mode': 'cors' }));
  assert.equal(del.status, 403);
  assert.equal(del.headers['x-amzn-errortype'], 'AccessDeniedException');
  assert.match(del.body.Message, /^Requests from web pages are refused/);
  // Without Sec-Fetch-* (an older browser), Origin alone is enough.
  const { 'sec-fetch-site': _s, 'sec-fetch-mode': _m, ...old } = browser();
  const post = await send('POST', `/2015-03-31/functions/victim/invocations?${q}`, { ...old, 'content-type': 'text/plain' }, body);
  assert.equal(post.headers['x-amzn-errortype'], 'AccessDeniedException');
  assert.deepEqual(await functionNames(), ['victim']);
});

test('a CORS preflight gets no grant', async () => {
  const r = await send('OPTIONS', '/2015-03-31/functions/victim', browser({ 'access-control-request-method': 'DELETE', 'access-control-request-headers': 'authorization,x-amz-date', 'sec-fetch-mode': 'cors' }));
  assert.equal(r.status, 403);
  assertNoCors(r);
});

test('loopback names with any port, the configured host and --allowed-hosts are served; signed requests there work', async () => {
  for (const host of [`127.0.0.1:${s.port}`, `localhost:${s.port}`, `127.1.2.3:${s.port}`, `[::1]:${s.port}`, `dev.localhost:${s.port}`, 'localhost', `alonzo.internal:${s.port}`, 'BUILD-BOX:8080']) {
    const url = new URL(`http://${host}/2015-03-31/functions`);
    const headers = await signRequest(url.href, {});
    // The Host a client sends for that URL (lower-cased, as URL parsing makes it and as it was signed).
    const r = await send('GET', '/2015-03-31/functions', { ...headers, host: url.host });
    assert.equal(r.status, 200, `${host}: ${JSON.stringify(r.body)}`);
    assertNoCors(r);
  }
  for (const host of ['alonzo.internal.evil.example', '127.0.0.1.evil.example', 'localhost.evil.example', '0.0.0.0', '10.0.0.1']) {
    const url = `http://${host}/2015-03-31/functions`;
    const r = await send('GET', '/2015-03-31/functions', { ...(await signRequest(url, {})), host });
    assert.equal(r.status, 403, host);
  }
});
