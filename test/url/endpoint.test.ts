// The function URL endpoint through curl: the payload 2.0 event the function gets, the mapping of its result to HTTP
// (compared with AWS's recorded answers, test/api/oracle/function-urls.json), errors, aliases, the path form and CORS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { AddPermissionCommand, PutFunctionConcurrencyCommand, CreateAliasCommand, CreateFunctionCommand, DeleteAliasCommand, PublishVersionCommand, UpdateFunctionUrlConfigCommand } from '@aws-sdk/client-lambda';
import { startAlonzo, ROLE, type TestServer } from '../helpers/alonzo.js';
import { fixtureZip } from '../helpers/invoke.js';
import { createFunction, UUID_RE } from '../helpers/api.js';
import { oracleFile } from '../helpers/oracle.js';
import { allowPublic, createUrl, curl, pathForm, ECHO_EVENT_JS } from './helpers.js';

const entries = oracleFile('function-urls.json');
const FORBIDDEN = { Message: 'Forbidden. For troubleshooting Function URL authorization issues, see: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html' };
let s: TestServer;

before(async () => {
  s = await startAlonzo();
});
after(() => s.close());

/** A function with a public (NONE) URL; its FunctionUrl. */
async function publicUrl(fn: string, code: string, extra: { Cors?: Record<string, unknown> } = {}): Promise<string> {
  await createFunction(s.client, fn, {}, code);
  const url = await createUrl(s.client, { FunctionName: fn, AuthType: 'NONE', ...extra });
  await allowPublic(s.client, fn);
  return url;
}

function assertForbidden(r: { status: number; header(n: string): string | undefined; json(): any }): void {
  assert.equal(r.status, 403);
  assert.equal(r.header('x-amzn-errortype'), 'AccessDeniedException');
  assert.deepEqual(r.json(), FORBIDDEN);
}

test('the function gets the payload 2.0 event AWS builds (TestLambdaURL::test_lambda_url_echo_http_fixture_default)', async () => {
  const url = await publicUrl('url-echo', ECHO_EVENT_JS);
  const host = new URL(url).host;
  const r = await curl(`${url}pa2%Fth/1?q=query&multiQuery=foo&multiQuery=%2Fbar`, {
    method: 'POST',
    headers: [
      ['content-type', 'application/json'],
      ['ExTrA-HeadErs', 'With WeiRd CapS'],
      ['user-agent', 'test/echo'],
      ['x-rep', 'one'],
      ['x-rep', 'two'],
      ['cookie', 'a=1; b=2'],
    ],
    body: '{"foo": "bar"}',
  });
  assert.equal(r.status, 200);
  const { event, requestId } = r.json();
  assert.equal(r.header('x-amzn-requestid'), requestId, "x-amzn-RequestId is the invocation's request id (TestRequestIdHandling::test_request_id_invoke_url)");
  assert.match(requestId, UUID_RE);
  assert.match(String(r.header('x-amzn-trace-id')), /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$/);
  const urlId = new URL(url).hostname.split('.')[0];
  const ctx = event.requestContext;
  assert.deepEqual(Object.keys(event), ['version', 'routeKey', 'rawPath', 'rawQueryString', 'cookies', 'headers', 'queryStringParameters', 'requestContext', 'body', 'isBase64Encoded']);
  assert.equal(event.version, '2.0');
  assert.equal(event.routeKey, '$default');
  assert.equal(event.rawPath, '/pa2%Fth/1', 'as sent, not decoded');
  assert.equal(event.rawQueryString, 'q=query&multiQuery=foo&multiQuery=%2Fbar');
  assert.deepEqual(event.queryStringParameters, { q: 'query', multiQuery: 'foo,/bar' });
  assert.deepEqual(event.cookies, ['a=1', 'b=2']);
  assert.equal(event.body, '{"foo": "bar"}');
  assert.equal(event.isBase64Encoded, false);
  const h = event.headers;
  assert.equal(h['extra-headers'], 'With WeiRd CapS', 'names lower-cased, values unchanged');
  assert.equal(h['x-rep'], 'one,two', 'repeated headers joined with commas');
  assert.equal(h.cookie, undefined, 'cookies move to the cookies list');
  assert.equal(h['content-length'], '14');
  assert.equal(h.host, host);
  assert.equal(h['user-agent'], 'test/echo');
  assert.equal(h['x-forwarded-for'], ctx.http.sourceIp);
  assert.equal(h['x-forwarded-proto'], 'http');
  assert.equal(h['x-forwarded-port'], String(s.port));
  assert.equal(h['x-amzn-trace-id'], r.header('x-amzn-trace-id'));
  assert.equal(ctx.accountId, 'anonymous');
  assert.equal(ctx.apiId, urlId);
  assert.equal(ctx.domainName, `${urlId}.lambda-url.us-east-1.localhost`);
  assert.equal(ctx.domainPrefix, urlId);
  assert.deepEqual(ctx.http, { method: 'POST', path: '/pa2%Fth/1', protocol: 'HTTP/1.1', sourceIp: ctx.http.sourceIp, userAgent: 'test/echo' });
  assert.match(ctx.http.sourceIp, /^(127\.0\.0\.1|::1)$/);
  assert.equal(ctx.requestId, requestId);
  assert.equal(ctx.routeKey, '$default');
  assert.equal(ctx.stage, '$default');
  assert.match(ctx.time, /^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
  assert.equal(typeof ctx.timeEpoch, 'number');
  assert.equal(ctx.authorizer, undefined);

  const bare = (await curl(url, { method: 'POST' })).json().event;
  assert.equal(bare.rawPath, '/');
  assert.equal(bare.rawQueryString, '');
  assert.equal(bare.body, undefined, 'no body: no body member');
  assert.equal(bare.isBase64Encoded, false, 'TestLambdaURL::test_lambda_url_echo_invoke');
  assert.equal(bare.queryStringParameters, undefined);
  assert.equal(bare.cookies, undefined);
});

test('a binary body arrives as base64 of the exact bytes; text types as text (TestLambdaURL::test_lambda_url_form_payload)', async () => {
  const url = await publicUrl('url-body', ECHO_EVENT_JS);
  const bytes = Buffer.concat([Buffer.from('--b\r\nContent-Disposition: form-data; name="f"\r\n\r\n'), Buffer.from([0, 255, 254, 1]), Buffer.from('\r\n--b--\r\n')]);
  const form = (await curl(`${url}test/value`, { headers: { 'content-type': 'multipart/form-data; boundary=b' }, body: bytes })).json().event;
  assert.equal(form.isBase64Encoded, true);
  assert.deepEqual(Buffer.from(form.body, 'base64'), bytes);
  const text = (await curl(url, { headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'text é' })).json().event;
  assert.equal(text.isBase64Encoded, false);
  assert.equal(text.body, 'text é');
  const octets = (await curl(url, { headers: { 'content-type': 'application/octet-stream' }, body: 'abc' })).json().event;
  assert.deepEqual([octets.isBase64Encoded, octets.body], [true, Buffer.from('abc').toString('base64')]);
});

for (const [name, value] of [
  ['dict', { hello: 'world' }],
  ['http-response', { statusCode: 200, body: 'body123' }],
  ['string', 'hello'],
  ['integer', 3],
  ['boolean', true],
] as const) {
  test(`a returned ${name} becomes AWS's answer (TestLambdaURL::test_lambda_url_invocation[${name}])`, async () => {
    const url = await publicUrl(`url-returns-${name}`, `exports.handler = async () => (${JSON.stringify(value)});\n`);
    const r = await curl(`${url}custom_path/extend?test_param=test_value`, { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: 'value' }) });
    const want = entries(`TestLambdaURL::test_lambda_url_invocation[${name}]`).lambda_url_invocation;
    const body = typeof want.content === 'string' ? want.content : JSON.stringify(want.content);
    assert.deepEqual(
      { statuscode: r.status, headers: { 'Content-Length': r.header('content-length'), 'Content-Type': r.header('content-type') }, content: r.text },
      { statuscode: want.statuscode, headers: want.headers, content: body },
    );
  });
}

test('statusCode (a number or a numeric string), headers, cookies and a base64 body are mapped as AWS maps them (test_lambda_url_headers_and_status)', async () => {
  const url = await publicUrl('url-status', `exports.handler = async (event) => JSON.parse(event.body);\n`);
  const created = await curl(url, {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ statusCode: 201, headers: { 'Content-Type': 'application/json', 'My-Custom-Header': 'Custom Value' }, body: '{"message": "hello-world"}', isBase64Encoded: false }),
  });
  assert.equal(created.status, 201);
  assert.deepEqual(created.json(), { message: 'hello-world' });
  assert.equal(created.header('my-custom-header'), 'Custom Value');
  const teapot = await curl(url, { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ statusCode: '418', body: "i'm a teapot" }) });
  assert.equal(teapot.status, 418);
  assert.equal(teapot.text, "i'm a teapot");
  assert.equal(teapot.header('content-type'), 'application/json', 'the default content type');
  const cookies = await curl(url, {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ statusCode: 200, cookies: ['a=1; Path=/', 'b=2; HttpOnly'], headers: { 'content-type': 'image/png' }, body: Buffer.from([137, 80, 78, 71]).toString('base64'), isBase64Encoded: true }),
  });
  assert.deepEqual(cookies.headers.get('set-cookie'), ['a=1; Path=/', 'b=2; HttpOnly'], 'one Set-Cookie per cookie');
  assert.deepEqual([...cookies.body], [137, 80, 78, 71]);
  assert.equal(cookies.header('content-type'), 'image/png');
  const objectBody = await curl(url, { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ statusCode: 200, body: { a: [1] } }) });
  assert.equal(objectBody.text, '{"a":[1]}', 'a body that is not a string is sent as its JSON');
  const split = await curl(url, { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ statusCode: 200, headers: { 'x-ok': 'yes', 'x-bad': 'a\r\nSet-Cookie: evil=1' }, body: '' }) });
  assert.equal(split.header('x-ok'), 'yes');
  assert.equal(split.header('x-bad'), undefined, 'a header value with a line break is left out, not split');
  assert.equal(split.header('set-cookie'), undefined);
});

test('a function error answers 502 Internal Server Error (TestLambdaURL::test_lambda_url_invocation_exception)', async () => {
  const url = await publicUrl('url-throws', `exports.handler = async () => { throw new Error('custom'); };\n`);
  const r = await curl(url, { body: '{}' });
  assert.equal(r.status, 502);
  assert.equal(r.text, 'Internal Server Error');
  assert.match(String(r.header('x-amzn-requestid')), UUID_RE);
});

test('a NONE URL without the resource-policy permission, and an unknown URL, answer 403 (TestLambdaPermissions::test_lambda_permission_url_invocation)', async () => {
  const fn = 'url-no-permission';
  await createFunction(s.client, fn, {}, `exports.handler = async () => 'ran';\n`);
  const url = await createUrl(s.client, { FunctionName: fn, AuthType: 'NONE' });
  assertForbidden(await curl(url, { body: '{}' }));
  // A permission for another action, or for AWS_IAM URLs only, is not enough.
  await s.client.send(new AddPermissionCommand({ FunctionName: fn, StatementId: 'invoke', Action: 'lambda:InvokeFunction', Principal: '*' }));
  await s.client.send(new AddPermissionCommand({ FunctionName: fn, StatementId: 'iam-only', Action: 'lambda:InvokeFunctionUrl', Principal: '*', FunctionUrlAuthType: 'AWS_IAM' }));
  assertForbidden(await curl(url, { body: '{}' }));
  await allowPublic(s.client, fn);
  const ok = await curl(url, { body: '{}' });
  assert.equal(ok.status, 200);
  assert.equal(ok.text, 'ran');
  const unknown = url.replace(/\/\/[a-z0-9]{32}/, `//${'0'.repeat(32)}`);
  assertForbidden(await curl(unknown));
  assertForbidden(await curl(`http://not-an-id.lambda-url.us-east-1.localhost:${s.port}/`));
});

test("an alias's URL runs the alias's version; once the alias is deleted it answers 403 (TestLambdaURL::test_lambda_url_persists_after_alias_delete)", async () => {
  const fn = 'url-alias';
  await createFunction(s.client, fn, {}, `exports.handler = async (e, ctx) => ctx.invokedFunctionArn;\n`);
  await s.client.send(new PublishVersionCommand({ FunctionName: fn }));
  await s.client.send(new CreateAliasCommand({ FunctionName: fn, Name: 'live', FunctionVersion: '1' }));
  const url = await createUrl(s.client, { FunctionName: fn, Qualifier: 'live', AuthType: 'NONE', InvokeMode: 'BUFFERED' });
  assertForbidden(await curl(url, { body: '{}' }));
  await allowPublic(s.client, fn, undefined, 'unqualified-only');
  assertForbidden(await curl(url, { body: '{}' }));
  await allowPublic(s.client, fn, 'live');
  const r = await curl(url, { body: '{}' });
  assert.equal(r.status, 200);
  assert.equal(r.text, `arn:aws:lambda:us-east-1:000000000000:function:${fn}:live`);
  await s.client.send(new DeleteAliasCommand({ FunctionName: fn, Name: 'live' }));
  const gone = await curl(url, { body: '{}' });
  assertForbidden(gone);
  assert.deepEqual(gone.json(), entries('TestLambdaURL::test_lambda_url_persists_after_alias_delete').invoke_deleted_alias_url_response_delayed.content);
});

test('the path form /_alonzo/url/<url-id>/… reaches the same URL on the API\'s own address', async () => {
  const url = await publicUrl('url-path-form', ECHO_EVENT_JS);
  const r = await curl(`${pathForm(s.url, url)}a/b?x=1`, { body: 'hi', headers: { 'content-type': 'text/plain' } });
  assert.equal(r.status, 200);
  const { event } = r.json();
  assert.equal(event.rawPath, '/a/b');
  assert.equal(event.rawQueryString, 'x=1');
  assert.equal(event.requestContext.domainName, `${new URL(url).hostname}`);
  assert.equal((await curl(pathForm(s.url, url).slice(0, -1))).json().event.rawPath, '/', 'no slash after the id is the root');
});

test('CORS: preflights are answered from the Cors setting without invoking, and responses carry its headers only', async () => {
  // The function counts its invocations in /tmp and sets a permissive CORS header of its own, which the setting overrides.
  const code = `const fs = require('fs');
exports.handler = async () => {
  let n = 0; try { n = Number(fs.readFileSync('/tmp/n', 'utf8')); } catch {}
  fs.writeFileSync('/tmp/n', String(n + 1));
  return { statusCode: 200, headers: { 'access-control-allow-origin': '*', 'x-secret': 's' }, body: String(n + 1) };
};
`;
  const url = await publicUrl('url-cors', code, {
    Cors: { AllowOrigins: ['https://app.example'], AllowMethods: ['GET', 'POST'], AllowHeaders: ['x-custom'], ExposeHeaders: ['x-secret'], MaxAge: 600, AllowCredentials: true },
  });
  const pre = await curl(url, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-custom' } });
  assert.equal(pre.status, 200);
  assert.equal(pre.header('access-control-allow-origin'), 'https://app.example');
  assert.equal(pre.header('access-control-allow-methods'), 'GET,POST');
  assert.equal(pre.header('access-control-allow-headers'), 'x-custom');
  assert.equal(pre.header('access-control-max-age'), '600');
  assert.equal(pre.header('access-control-allow-credentials'), 'true');
  assert.equal(pre.text, '');

  const first = await curl(url, { headers: { origin: 'https://app.example' } });
  assert.equal(first.text, '1', 'the preflight did not invoke the function');
  assert.equal(first.header('access-control-allow-origin'), 'https://app.example');
  assert.equal(first.header('access-control-expose-headers'), 'x-secret');
  assert.equal(first.header('access-control-allow-credentials'), 'true');
  assert.match(String(first.header('vary')), /Origin/);

  // Without Cors the function's own headers go through; with it, the setting alone speaks.
  await s.client.send(new UpdateFunctionUrlConfigCommand({ FunctionName: 'url-cors', Cors: {} }));
  const noOrigins = await curl(url, { headers: { origin: 'https://app.example' } });
  assert.equal(noOrigins.header('access-control-allow-origin'), undefined);
  await s.client.send(new UpdateFunctionUrlConfigCommand({ FunctionName: 'url-cors', Cors: { AllowOrigins: ['*'] } }));
  const star = await curl(url, { headers: { origin: 'https://anyone.example' } });
  assert.equal(star.header('access-control-allow-origin'), '*');
  assert.equal(star.header('access-control-allow-credentials'), undefined);
});

test('a Python function through a URL: a returned dict without statusCode is the JSON body', async () => {
  const fn = 'url-python';
  await s.client.send(new CreateFunctionCommand({ FunctionName: fn, Runtime: 'python3.12', Handler: 'lambda_function.lambda_handler', Role: ROLE, Code: { ZipFile: await fixtureZip('python-echo') } }));
  const url = await createUrl(s.client, { FunctionName: fn, AuthType: 'NONE' });
  await allowPublic(s.client, fn);
  const r = await curl(`${url}py?x=1&x=2`, { headers: { 'content-type': 'application/json' }, body: '{"n": 1}' });
  assert.equal(r.status, 200);
  assert.equal(r.header('content-type'), 'application/json');
  const event = r.json();
  assert.equal(event.rawPath, '/py');
  assert.deepEqual(event.queryStringParameters, { x: '1,2' });
  assert.equal(event.body, '{"n": 1}');
  assert.equal(event.requestContext.http.method, 'POST');
});

test('a plain Node http-style app (req, res) served through a URL by a small adapter (test/fixtures/functions/url-http-app)', async () => {
  const fn = 'url-http-app';
  await s.client.send(new CreateFunctionCommand({ FunctionName: fn, Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: await fixtureZip('url-http-app') } }));
  const url = await createUrl(s.client, { FunctionName: fn, AuthType: 'NONE' });
  await allowPublic(s.client, fn);
  const created = await curl(`${url}notes`, { headers: { 'content-type': 'application/json', cookie: 'user=ann' }, body: '{"text":"hi"}' });
  assert.equal(created.status, 201);
  assert.equal(created.header('location'), '/notes/1');
  assert.deepEqual(created.json(), { id: 1 });
  const listed = await curl(`${url}notes?q=h`);
  assert.equal(listed.status, 200);
  assert.deepEqual(listed.json(), { notes: [{ text: 'hi', by: 'user=ann' }], filter: 'h' });
  assert.deepEqual(listed.headers.get('set-cookie'), ['seen=1; Path=/', 'count=1']);
  const missing = await curl(`${url}nowhere`);
  assert.equal(missing.status, 404);
  assert.equal(missing.text, 'no route for GET /nowhere');
  assert.equal(missing.header('content-type'), 'text/plain');
});

test('a request over 6 MB, or whose event would be (a binary body in base64), gets 413 and the function does not run', async () => {
  const url = await publicUrl('url-large', `exports.handler = async () => 'ran';\n`);
  const big = await curl(url, { headers: { 'content-type': 'text/plain' }, body: Buffer.alloc(6_291_457, 'a') });
  assert.equal(big.status, 413);
  assert.equal(big.header('x-amzn-errortype'), 'RequestEntityTooLargeException');
  const binary = await curl(url, { headers: { 'content-type': 'application/octet-stream' }, body: Buffer.alloc(5_000_000, 1) });
  assert.equal(binary.status, 413);
  const fits = await curl(url, { headers: { 'content-type': 'text/plain' }, body: Buffer.alloc(1_000_000, 'a') });
  assert.equal(fits.text, 'ran');
});

test('a throttled invoke answers 429 and a function with no concurrency never runs', async () => {
  const url = await publicUrl('url-throttled', `exports.handler = async () => 'ran';\n`);
  await s.client.send(new PutFunctionConcurrencyCommand({ FunctionName: 'url-throttled', ReservedConcurrentExecutions: 0 }));
  const r = await curl(url);
  assert.equal(r.status, 429);
  assert.deepEqual(r.json(), { Message: 'Rate Exceeded.' });
  assert.match(String(r.header('x-amzn-requestid')), UUID_RE);
});
