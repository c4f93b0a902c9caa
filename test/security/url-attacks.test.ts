// Function URLs, attacked: a hostile web page reading across origins, requests that try to reach the management API
// through a URL host (or a URL through a rebound host), AWS_IAM URLs called unsigned, with a forged or replayed
// signature, by a key its policy does not allow or by another account, and a URL whose alias is gone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { AddPermissionCommand, CreateAliasCommand, DeleteAliasCommand, PublishVersionCommand } from '@aws-sdk/client-lambda';
import { startAlonzo, runBoto3, type TestServer } from '../helpers/alonzo.js';
import { createFunction } from '../helpers/api.js';
import { CREDENTIALS, signRequest } from '../helpers/sign.js';
import { createKey } from '../auth/helpers.js';
import { allowPublic, createUrl, curl, pathForm, ECHO_EVENT_JS, type CurlResponse } from '../url/helpers.js';

const FORBIDDEN = { Message: 'Forbidden. For troubleshooting Function URL authorization issues, see: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html' };
let s: TestServer;
let iamUrl: string;
let publicEcho: string;

before(async () => {
  s = await startAlonzo();
  await createFunction(s.client, 'attack-iam', {}, ECHO_EVENT_JS);
  iamUrl = await createUrl(s.client, { FunctionName: 'attack-iam', AuthType: 'AWS_IAM' });
  await createFunction(s.client, 'attack-public', {}, ECHO_EVENT_JS);
  publicEcho = await createUrl(s.client, { FunctionName: 'attack-public', AuthType: 'NONE', Cors: { AllowOrigins: ['https://app.example'], ExposeHeaders: ['x-amzn-requestid'] } });
  await allowPublic(s.client, 'attack-public');
});
after(() => s.close());

function assertForbidden(r: CurlResponse, why: string): void {
  assert.equal(r.status, 403, why);
  assert.equal(r.header('x-amzn-errortype'), 'AccessDeniedException', why);
  assert.deepEqual(r.json(), FORBIDDEN, why);
}

/** curl with the request signed for its URL (host and path included), as an SDK signs a URL request. */
async function signedCurl(url: string, opts: { method?: string; body?: string; credentials?: { accessKeyId: string; secretAccessKey: string } } = {}): Promise<CurlResponse> {
  const method = opts.method ?? 'POST';
  const headers = await signRequest(url, { method, body: opts.body ?? '', headers: { 'content-type': 'application/json' } }, { credentials: opts.credentials });
  return curl(url, { method, headers, body: opts.body ?? '' });
}

test('a hostile page on another origin gets no CORS grant: not on a request, not on a preflight, not from the function', async () => {
  const evil = { origin: 'https://evil.example' };
  const pre = await curl(publicEcho, { method: 'OPTIONS', headers: { ...evil, 'access-control-request-method': 'POST' } });
  assert.equal(pre.header('access-control-allow-origin'), undefined);
  const get = await curl(publicEcho, { headers: evil });
  assert.equal(get.status, 200, 'the request itself runs, as on AWS: the browser is what withholds the answer');
  assert.equal(get.header('access-control-allow-origin'), undefined, 'so the page cannot read it');
  assert.equal(get.header('access-control-allow-credentials'), undefined);
  // A function that grants every origin itself is overridden by the URL's setting.
  await createFunction(s.client, 'attack-cors-fn', {}, `exports.handler = async () => ({ statusCode: 200, headers: { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Credentials': 'true' }, body: 'secret' });\n`);
  const url = await createUrl(s.client, { FunctionName: 'attack-cors-fn', AuthType: 'NONE', Cors: { AllowOrigins: ['https://app.example'] } });
  await allowPublic(s.client, 'attack-cors-fn');
  const r = await curl(url, { headers: evil });
  assert.equal(r.text, 'secret');
  assert.equal(r.header('access-control-allow-origin'), undefined);
  assert.equal(r.header('access-control-allow-credentials'), undefined);
  const friend = await curl(url, { headers: { origin: 'https://app.example' } });
  assert.equal(friend.header('access-control-allow-origin'), 'https://app.example');
});

test('a URL host never reaches the management API, signed or not, known url id or not', async () => {
  const fnsPath = '2015-03-31/functions/';
  // A signed ListFunctions sent to a public URL's host: the function gets it as an event; no function list comes back.
  const viaUrl = await signedCurl(`${publicEcho}${fnsPath}`, { method: 'GET' });
  assert.equal(viaUrl.status, 200);
  assert.equal(viaUrl.json().Functions, undefined);
  assert.equal(viaUrl.json().event.rawPath, `/${fnsPath}`);
  // The same to an unknown id, and to a name in the URL namespace that is no id.
  for (const host of [`${'1'.repeat(32)}.lambda-url.us-east-1.localhost:${s.port}`, `api.lambda-url.us-east-1.localhost:${s.port}`]) {
    const r = await signedCurl(`http://${host}/${fnsPath}`, { method: 'GET' });
    assertForbidden(r, host);
  }
  // A Host header naming a URL on a request to the API's address is the URL's too.
  const headers = await signRequest(`${s.url}/${fnsPath}`, { method: 'GET' });
  const hosted = await curl(`${s.url}/${fnsPath}`, { headers: { ...headers, host: `${'2'.repeat(32)}.lambda-url.us-east-1.localhost` } });
  assertForbidden(hosted, 'Host header in the URL namespace');
  // And the API itself still answers on its own host.
  const api = await curl(`${s.url}/${fnsPath}`, { headers });
  assert.equal(api.status, 200);
  assert.ok(Array.isArray(api.json().Functions));
});

test('neither form answers on a host the API does not serve (DNS rebinding), and the API never serves /_alonzo/url/', async () => {
  const path = pathForm(s.url, publicEcho);
  const rebound = await curl(path, { headers: { host: `evil.example:${s.port}` } });
  assertForbidden(rebound, 'rebound host');
  // The host form too: a page on a name of its own shaped like a URL host, rebound to loopback, is not served.
  const urlId = new URL(publicEcho).hostname.split('.')[0];
  const shaped = await curl(`${s.url}/`, { headers: { host: `${urlId}.lambda-url.evil.example:${s.port}` } });
  assertForbidden(shaped, 'rebound URL-shaped host');
  assert.equal(shaped.json().event, undefined, 'the function did not run');
  assert.equal((await curl(path)).status, 200, 'on the API\'s own host it is the URL');
  const signed = await signRequest(`${s.url}/_alonzo/url/not-an-id/`, { method: 'GET' });
  assertForbidden(await curl(`${s.url}/_alonzo/url/not-an-id/`, { headers: signed }), 'no management operation lives under the URL prefix');
});

test('AWS_IAM: unsigned, forged and replayed requests are refused; a signed one from the account runs with its identity', async () => {
  assertForbidden(await curl(iamUrl, { body: '{}' }), 'unsigned');
  // A key Alonzo knows is verified in every mode: signing with the wrong secret is a forgery.
  const key = await createKey(s.dataDir);
  assertForbidden(await signedCurl(iamUrl, { body: '{}', credentials: { accessKeyId: key.accessKeyId, secretAccessKey: `${key.secretAccessKey}x` } }), 'forged');
  // A signature made for one request does not carry over to another body, or to another URL.
  const headers = await signRequest(iamUrl, { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } }, { credentials: key });
  assertForbidden(await curl(iamUrl, { method: 'POST', headers, body: '{"a":2}' }), 'body changed');
  assertForbidden(await curl(pathForm(s.url, iamUrl), { method: 'POST', headers, body: '{"a":1}' }), 'replayed on the path form');
  const ok = await curl(iamUrl, { method: 'POST', headers, body: '{"a":1}' });
  assert.equal(ok.status, 200);
  const ctx = ok.json().event.requestContext;
  assert.equal(ctx.accountId, key.accountId);
  assert.equal(ctx.authorizer.iam.accessKey, key.accessKeyId);
  assert.equal(ctx.authorizer.iam.userArn.startsWith(`arn:aws:iam::${key.accountId}:`), true);
  // The suite's own credentials (local mode's test/test, sigv4 mode's root key) and the path form, signed for it.
  assert.equal((await signedCurl(iamUrl, { body: '{}' })).status, 200);
  assert.equal((await signedCurl(`${pathForm(s.url, iamUrl)}x`, { body: '{}' })).status, 200);
  assert.equal(CREDENTIALS.accessKeyId.length > 0, true);
});

test('AWS_IAM: a key whose policy does not allow lambda:InvokeFunctionUrl is refused; another account needs the resource policy too', async () => {
  const readOnly = await createKey(s.dataDir, '--policy', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: '*' }] }));
  assertForbidden(await signedCurl(iamUrl, { body: '{}', credentials: readOnly }), 'no identity permission');
  const denied = await createKey(s.dataDir, '--policy', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:*', Resource: '*' }, { Effect: 'Deny', Action: 'lambda:InvokeFunctionUrl', Resource: '*' }] }));
  assertForbidden(await signedCurl(iamUrl, { body: '{}', credentials: denied }), 'explicit deny');
  const allowed = await createKey(s.dataDir, '--policy', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunctionUrl', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:attack-iam' }] }));
  assert.equal((await signedCurl(iamUrl, { body: '{}', credentials: allowed })).status, 200);

  const outsider = await createKey(s.dataDir, '--account-id', '111111111111');
  assertForbidden(await signedCurl(iamUrl, { body: '{}', credentials: outsider }), 'another account, no resource policy');
  // A public NONE permission does not open an AWS_IAM URL.
  await allowPublic(s.client, 'attack-iam', undefined, 'public-none');
  assertForbidden(await signedCurl(iamUrl, { body: '{}', credentials: outsider }), 'a NONE statement');
  await s.client.send(new AddPermissionCommand({ FunctionName: 'attack-iam', StatementId: 'outsider', Action: 'lambda:InvokeFunctionUrl', Principal: '111111111111', FunctionUrlAuthType: 'AWS_IAM' }));
  const r = await signedCurl(iamUrl, { body: '{}', credentials: outsider });
  assert.equal(r.status, 200);
  assert.equal(r.json().event.requestContext.accountId, '111111111111');
});

test("a URL of a deleted alias is refused, and an alias of the same name made again does not bring it back", async () => {
  const fn = 'attack-alias';
  await createFunction(s.client, fn, {}, `exports.handler = async () => 'v1';\n`);
  await s.client.send(new PublishVersionCommand({ FunctionName: fn }));
  await s.client.send(new CreateAliasCommand({ FunctionName: fn, Name: 'prod', FunctionVersion: '1' }));
  const url = await createUrl(s.client, { FunctionName: fn, Qualifier: 'prod', AuthType: 'NONE' });
  await allowPublic(s.client, fn, 'prod');
  assert.equal((await curl(url)).text, 'v1');
  await s.client.send(new DeleteAliasCommand({ FunctionName: fn, Name: 'prod' }));
  assertForbidden(await curl(url), 'alias deleted');
  await s.client.send(new CreateAliasCommand({ FunctionName: fn, Name: 'prod', FunctionVersion: '1' }));
  await allowPublic(s.client, fn, 'prod');
  assertForbidden(await curl(url), 'the old URL stays gone');
});

test('AWS_IAM: requests botocore signs (SigV4Auth, service lambda) are accepted, on both forms and on a path that needs encoding', async () => {
  // Python's resolver (glibc's) does not resolve *.localhost: the host form is sent to 127.0.0.1 with its Host header.
  const script = `
import urllib.request
from urllib.parse import urlsplit, urlunsplit
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
creds = client._request_signer._credentials
out = {}
cases = (('host', ${JSON.stringify(iamUrl)} + 'a/b'), ('path', ${JSON.stringify(pathForm(s.url, iamUrl))} + 'caf%C3%A9/x%20y'), ('unsigned', ${JSON.stringify(iamUrl)} + 'a'))
for key, url in cases:
    req = AWSRequest(method='POST', url=url + '?k=v&k=w', data=b'{"x": 1}', headers={'content-type': 'application/json'})
    if key != 'unsigned':
        SigV4Auth(creds, 'lambda', 'us-east-1').add_auth(req)
    prepared = req.prepare()
    parts = urlsplit(prepared.url)
    headers = dict(prepared.headers)
    headers['Host'] = parts.netloc
    target = urlunsplit((parts.scheme, '127.0.0.1:%d' % parts.port, parts.path, parts.query, ''))
    try:
        with urllib.request.urlopen(urllib.request.Request(target, data=prepared.body, headers=headers, method='POST')) as r:
            out[key] = {'status': r.status, 'body': json.loads(r.read())}
    except urllib.error.HTTPError as e:
        out[key] = {'status': e.code, 'body': json.loads(e.read())}
print(json.dumps(out))
`;
  const r = await runBoto3(s.url, script);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.host.status, 200, JSON.stringify(out.host));
  assert.equal(out.host.body.event.rawPath, '/a/b');
  assert.deepEqual(out.host.body.event.queryStringParameters, { k: 'v,w' });
  assert.equal(out.path.status, 200, JSON.stringify(out.path));
  assert.equal(out.path.body.event.rawPath, '/caf%C3%A9/x%20y');
  assert.equal(out.unsigned.status, 403);
  assert.deepEqual(out.unsigned.body, FORBIDDEN);
});
