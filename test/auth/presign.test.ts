// Presigned (query-string) SigV4: URLs made by @smithy/signature-v4's presign and by boto3's generate_presigned_url work, expired or altered ones do not.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SignatureV4 } from '@smithy/signature-v4';
import { startAlonzo, runBoto3, type TestServer } from '../helpers/alonzo.js';
import { createFunction } from '../helpers/api.js';
import { NodeSha256 } from '../../src/auth/sigv4.js';
import { createKey, rawFetch, type CreatedKey } from './helpers.js';
import type { TestCredentials } from '../helpers/sign.js';

let s: TestServer;
let key: CreatedKey;

before(async () => {
  s = await startAlonzo({ auth: 'sigv4' });
  key = await createKey(s.dataDir);
  const { lambdaClient } = await import('../helpers/alonzo.js');
  const client = lambdaClient(s.url, { credentials: key });
  await createFunction(client, 'presigned');
  client.destroy();
});
after(async () => s?.close());

/** A presigned URL for `path` made with the library the SDK uses. */
async function presign(creds: TestCredentials, method: string, path: string, opts: { body?: string; expiresIn?: number; signingDate?: Date; query?: Record<string, string> } = {}): Promise<string> {
  const u = new URL(s.url);
  const signer = new SignatureV4({ service: 'lambda', region: 'us-east-1', credentials: creds, sha256: NodeSha256 });
  const req = await signer.presign(
    { method, protocol: 'http:', hostname: u.hostname, port: Number(u.port), path, query: opts.query ?? {}, headers: { host: u.host }, body: opts.body },
    { expiresIn: opts.expiresIn ?? 300, signingDate: opts.signingDate },
  );
  const q = Object.entries(req.query ?? {}).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&');
  return `${s.url}${path}?${q}`;
}

test('a URL presigned with @smithy/signature-v4 works for GetFunction and for Invoke (its body hashed into the signature)', async () => {
  const get = await rawFetch(await presign(key, 'GET', '/2015-03-31/functions/presigned'), {});
  assert.equal(get.status, 200);
  assert.equal(get.json.Configuration.FunctionName, 'presigned');
  const body = '{"hello":"presigned"}';
  const inv = await rawFetch(await presign(key, 'POST', '/2015-03-31/functions/presigned/invocations', { body }), { method: 'POST', body });
  assert.equal(inv.status, 200);
  assert.deepEqual(inv.json, { hello: 'presigned' });
  // The same URL with another body: the payload was part of what was signed.
  const other = await rawFetch(await presign(key, 'POST', '/2015-03-31/functions/presigned/invocations', { body }), { method: 'POST', body: '{"hello":"changed"}' });
  assert.equal(other.status, 403);
  assert.equal(other.headers.get('x-amzn-errortype'), 'InvalidSignatureException');
});

test('a presigned URL past its X-Amz-Expires, or with a query parameter added, is refused', async () => {
  const expired = await rawFetch(await presign(key, 'GET', '/2015-03-31/functions/presigned', { expiresIn: 60, signingDate: new Date(Date.now() - 3_600_000) }), {});
  assert.equal(expired.status, 403);
  assert.equal(expired.headers.get('x-amzn-errortype'), 'InvalidSignatureException');
  assert.match(expired.json.message, /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z$/);
  const url = await presign(key, 'GET', '/2015-03-31/functions/presigned', { query: { Qualifier: '$LATEST' } });
  assert.equal((await rawFetch(url, {})).status, 200);
  const added = await rawFetch(`${url}&Marker=x`, {});
  assert.equal(added.headers.get('x-amzn-errortype'), 'InvalidSignatureException');
  const wrongKey = await rawFetch(await presign({ accessKeyId: key.accessKeyId, secretAccessKey: 'wrong' }, 'GET', '/2015-03-31/functions/presigned'), {});
  assert.equal(wrongKey.headers.get('x-amzn-errortype'), 'InvalidSignatureException');
});

test('boto3 generate_presigned_url for get_function and invoke works; one made with the clock in 2001 has expired', async () => {
  const r = await runBoto3(
    s.url,
    `
import urllib.request, urllib.error, datetime
import botocore.auth
def fetch(url, data=None):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data, method='POST' if data is not None else 'GET')) as res:
            return {'status': res.status, 'body': json.loads(res.read())}
    except urllib.error.HTTPError as e:
        return {'status': e.code, 'type': e.headers.get('x-amzn-ErrorType'), 'body': json.loads(e.read())}
out = {}
out['get'] = fetch(client.generate_presigned_url('get_function', Params={'FunctionName': 'presigned'}, ExpiresIn=300))
# botocore's query signer moves a JSON body's members into the query and signs an empty body, so a presigned Invoke
# carries no payload: POST it empty (the function gets {}).
out['invoke'] = fetch(client.generate_presigned_url('invoke', Params={'FunctionName': 'presigned'}, ExpiresIn=300), b'')
botocore.auth.get_current_datetime = lambda *a, **k: datetime.datetime(2001, 1, 1)
out['expired'] = fetch(client.generate_presigned_url('get_function', Params={'FunctionName': 'presigned'}, ExpiresIn=300))
print(json.dumps(out))
`,
    key,
  );
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.get.status, 200, JSON.stringify(out.get));
  assert.equal(out.get.body.Configuration.FunctionName, 'presigned');
  assert.equal(out.invoke.status, 200, JSON.stringify(out.invoke));
  assert.deepEqual(out.invoke.body, {});
  assert.equal(out.expired.status, 403);
  assert.equal(out.expired.type, 'InvalidSignatureException');
  assert.equal(out.expired.body.message, 'Signature expired: 20010101T000500Z is now earlier than ' + out.expired.body.message.slice(-16));
});

test('GetFunction\'s Code.Location is a presigned URL: it downloads without credentials, and not once its signature is stripped', async () => {
  const { lambdaClient } = await import('../helpers/alonzo.js');
  const { GetFunctionCommand } = await import('@aws-sdk/client-lambda');
  const client = lambdaClient(s.url, { credentials: key });
  const got = await client.send(new GetFunctionCommand({ FunctionName: 'presigned' }));
  client.destroy();
  const location = new URL(got.Code!.Location!);
  assert.equal(location.searchParams.get('X-Amz-Expires'), '600');
  const zip = await fetch(location);
  assert.equal(zip.status, 200);
  assert.equal(Buffer.from(await zip.arrayBuffer()).subarray(0, 2).toString(), 'PK');
  const bare = await rawFetch(`${location.origin}${location.pathname}`, {});
  assert.equal(bare.status, 403);
  // The download key may download and nothing else.
  const other = new URL(`${s.url}/2015-03-31/functions`);
  const reused = await rawFetch(`${other}?${location.searchParams}`, {});
  assert.equal(reused.status, 403);
});
