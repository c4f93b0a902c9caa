// SigV4 through the four real clients (CLI v1, CLI v2, boto3, SDK v3) in both modes: what works, and the error code each one shows when it does not.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startAlonzo, type TestServer } from '../helpers/alonzo.js';
import { createKey, listThroughEveryClient, rawFetch, type CreatedKey, type Shown } from './helpers.js';
import { signedFetch } from '../helpers/sign.js';

let local: TestServer;
let strict: TestServer;
let key: CreatedKey;

before(async () => {
  local = await startAlonzo({ auth: 'local' });
  strict = await startAlonzo({ auth: 'sigv4' });
  key = await createKey(strict.dataDir);
});
after(async () => {
  await local?.close();
  await strict?.close();
});

const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

function assertEvery(got: Record<string, Shown>, want: Shown | ((s: Shown, client: string) => void)): void {
  for (const [client, shown] of Object.entries(got)) {
    if (typeof want === 'function') want(shown, client);
    else assert.deepEqual(shown, want, client);
  }
}

test('local mode: a signed call works whatever the key (test/test, an AWS-looking key); unsigned gets MissingAuthenticationTokenException', async () => {
  assertEvery(await listThroughEveryClient(local.url, { creds: { accessKeyId: 'test', secretAccessKey: 'test' } }), { ok: true });
  assertEvery(await listThroughEveryClient(local.url, { creds: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' } }), { ok: true });
  assertEvery(await listThroughEveryClient(local.url, { unsigned: true }), { ok: false, code: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
});

test('sigv4 mode: Alonzo\'s key works; unsigned, wrong secret, unknown key each get AWS\'s code and message in every client', async () => {
  assertEvery(await listThroughEveryClient(strict.url, { creds: key }), { ok: true });
  assertEvery(await listThroughEveryClient(strict.url, { creds: key, unsigned: true }), { ok: false, code: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
  assertEvery(await listThroughEveryClient(strict.url, { creds: { accessKeyId: key.accessKeyId, secretAccessKey: 'not-the-secret' } }), { ok: false, code: 'InvalidSignatureException', message: MISMATCH });
  assertEvery(await listThroughEveryClient(strict.url, { creds: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x' } }), {
    ok: false,
    code: 'UnrecognizedClientException',
    message: 'The security token included in the request is invalid.',
  });
  // The test/test convention is local mode's only.
  assertEvery(await listThroughEveryClient(strict.url, { creds: { accessKeyId: 'test', secretAccessKey: 'test' } }), (s, c) => assert.equal(s.code, 'UnrecognizedClientException', c));
});

test('sigv4 mode: a signature dated 2001 gets "Signature expired" from every client, with AWS\'s wording', async () => {
  assertEvery(await listThroughEveryClient(strict.url, { creds: key, in2001: true }), (s, client) => {
    assert.equal(s.ok, false, client);
    assert.equal(s.code, 'InvalidSignatureException', client);
    assert.match(String(s.message), /^Signature expired: 20010101T000000Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$/, client);
  });
  // The 15 minutes are AWS's: 14 minutes off still verifies, 16 do not (also for a date in the future).
  const url = `${strict.url}/2015-03-31/functions`;
  const at = (minutes: number) => ({ credentials: key, signingDate: new Date(Date.now() + minutes * 60_000) });
  assert.equal((await signedFetch(url, {}, at(-14))).status, 200);
  assert.equal((await signedFetch(url, {}, at(14))).status, 200);
  const past = await signedFetch(url, {}, at(-16));
  assert.equal(past.status, 403);
  assert.match(((await past.json()) as { message: string }).message, /^Signature expired: /);
  const future = await signedFetch(url, {}, at(16));
  assert.equal(future.status, 403);
  assert.equal(future.headers.get('x-amzn-errortype'), 'InvalidSignatureException');
  assert.match(((await future.json()) as { message: string }).message, /^Signature not yet current: \d{8}T\d{6}Z is still later than \d{8}T\d{6}Z \(\d{8}T\d{6}Z \+ 15 min\.\)$/);
});

test('sigv4 mode: a signature scoped to another region or service is refused with AWS\'s message', async () => {
  const url = `${strict.url}/2015-03-31/functions`;
  const region = await signedFetch(url, {}, { credentials: key, region: 'eu-west-1' });
  assert.equal(region.status, 403);
  assert.equal(region.headers.get('x-amzn-errortype'), 'InvalidSignatureException');
  assert.deepEqual(await region.json(), { message: "Credential should be scoped to a valid region, not 'eu-west-1'. " });
  // The same signature is fine for a local-mode server (any well-formed signature).
  assert.equal((await signedFetch(`${local.url}/2015-03-31/functions`, {}, { region: 'eu-west-1' })).status, 200);
});

test('the wire form of each refusal: 403, x-amzn-ErrorType, a request id, the body member `message`, and no CORS grant', async () => {
  const url = `${strict.url}/2015-03-31/functions`;
  const unsigned = await rawFetch(url, {});
  assert.equal(unsigned.status, 403);
  assert.equal(unsigned.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException');
  assert.match(String(unsigned.headers.get('x-amzn-requestid')), /^[0-9a-f-]{36}$/);
  assert.deepEqual(unsigned.json, { message: 'Missing Authentication Token' });
  const wrong = await signedFetch(url, {}, { credentials: { accessKeyId: key.accessKeyId, secretAccessKey: 'nope' } });
  assert.equal(wrong.status, 403);
  assert.deepEqual(await wrong.json(), { message: MISMATCH });
  for (const h of wrong.headers.keys()) assert.doesNotMatch(h, /^access-control-/);
});

test('garbage Authorization headers get IncompleteSignatureException, never a 500 or a crash', async () => {
  const url = `${strict.url}/2015-03-31/functions`;
  for (const authorization of [
    'garbage',
    'Bearer abc.def.ghi',
    'AWS4-HMAC-SHA256',
    'AWS4-HMAC-SHA256 Credential=, SignedHeaders=, Signature=',
    'AWS4-HMAC-SHA256 Credential=a/b/c, SignedHeaders=host, Signature=00',
    `AWS4-HMAC-SHA256 Credential=${'x'.repeat(6000)}/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}`,
  ]) {
    const r = await rawFetch(url, { headers: { authorization, 'x-amz-date': '20260101T000000Z' } });
    assert.equal(r.status, 403, authorization.slice(0, 60));
    assert.match(String(r.headers.get('x-amzn-errortype')), /^(IncompleteSignatureException|UnrecognizedClientException)$/, authorization.slice(0, 60));
  }
  // AWS's wording, every missing part listed (as API Gateway and JSON services answer a bearer token).
  const bearer = await rawFetch(url, { headers: { authorization: 'Bearer abc.def.ghi', 'x-amz-date': '20260101T000000Z' } });
  assert.deepEqual(bearer.json, {
    message: "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=Bearer abc.def.ghi",
  });
  const noDate = await rawFetch(url, { headers: { authorization: `AWS4-HMAC-SHA256 Credential=${key.accessKeyId}/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}` } });
  assert.equal(noDate.headers.get('x-amzn-errortype'), 'IncompleteSignatureException');
  assert.match(noDate.json.message, /requires existence of either a 'X-Amz-Date' or a 'Date' header/);
  const badDate = await rawFetch(url, { headers: { 'x-amz-date': 'yesterday', authorization: `AWS4-HMAC-SHA256 Credential=${key.accessKeyId}/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}` } });
  assert.equal(badDate.headers.get('x-amzn-errortype'), 'IncompleteSignatureException');
  // The server is still there.
  assert.equal((await signedFetch(url, {}, { credentials: key })).status, 200);
});

test('a signed body that was changed in flight fails; so does a header that was signed and then altered', async () => {
  const url = `${strict.url}/2015-03-31/functions/nothing/invocations`;
  const { signRequest } = await import('../helpers/sign.js');
  const headers = await signRequest(url, { method: 'POST', body: '{"a":1}' }, { credentials: key });
  const tampered = await rawFetch(url, { method: 'POST', headers, body: '{"a":2}' });
  assert.equal(tampered.status, 403);
  assert.equal(tampered.headers.get('x-amzn-errortype'), 'InvalidSignatureException');
  const h2 = await signRequest(url, { method: 'POST', body: '{}', headers: { 'x-amz-invocation-type': 'Event' } }, { credentials: key });
  const altered = await rawFetch(url, { method: 'POST', headers: { ...h2, 'x-amz-invocation-type': 'RequestResponse' }, body: '{}' });
  assert.equal(altered.headers.get('x-amzn-errortype'), 'InvalidSignatureException');
});

test('a request refused for its signature changes nothing: a CreateFunction signed with the wrong secret creates no function', async () => {
  const { CreateFunctionCommand, ListFunctionsCommand } = await import('@aws-sdk/client-lambda');
  const { lambdaClient, zipOf, ROLE } = await import('../helpers/alonzo.js');
  const wrong = lambdaClient(strict.url, { credentials: { accessKeyId: key.accessKeyId, secretAccessKey: 'not-the-secret' } });
  const e = await wrong.send(new CreateFunctionCommand({ FunctionName: 'never', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: await zipOf({ 'index.js': '' }) } })).catch((x) => x);
  wrong.destroy();
  assert.equal(e.name, 'InvalidSignatureException');
  const right = lambdaClient(strict.url, { credentials: key });
  assert.deepEqual((await right.send(new ListFunctionsCommand({}))).Functions, []);
  right.destroy();
});

test('local mode still verifies Alonzo\'s own keys (the root key here); any other key is accepted unverified', async () => {
  const s = await startAlonzo({ auth: 'local', rootAccessKeyId: 'LOCALROOT', rootSecretAccessKey: 'local-root-secret' });
  try {
    const url = `${s.url}/2015-03-31/functions`;
    assert.equal((await signedFetch(url, {}, { credentials: { accessKeyId: 'LOCALROOT', secretAccessKey: 'local-root-secret' } })).status, 200);
    const wrong = await signedFetch(url, {}, { credentials: { accessKeyId: 'LOCALROOT', secretAccessKey: 'guess' } });
    assert.equal(wrong.headers.get('x-amzn-errortype'), 'InvalidSignatureException');
    assert.equal((await signedFetch(url, {}, { credentials: { accessKeyId: 'ANYTHING', secretAccessKey: 'goes' } })).status, 200);
  } finally {
    await s.close();
  }
});
