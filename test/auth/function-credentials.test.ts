// A function's own credentials, as the function and as an attacker holding them see them: a Lambda-to-Lambda call through the real SDKs with nothing in the code, what the credentials may not do, expired and forged tokens, and no secret in any log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { execFileSync } from 'node:child_process';
import { GetFunctionCommand, InvokeCommand, ListFunctionsCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { lambdaClient, runAws, startAlonzo, zipOf, type TestServer } from '../helpers/alonzo.js';
import { deploy, eventually, fixtureFiles } from '../helpers/invoke.js';
import { rejection, roleIn } from '../helpers/api.js';
import { packageFiles } from '../helpers/bundle.js';
import { ROOT_KEY, signedFetch, type TestCredentials } from '../helpers/sign.js';
import { FunctionCredentialIssuer } from '../../src/auth/function-credentials.js';
import { createKey } from './helpers.js';

const OWN = '000000000000';
const OTHER = '111111111111';
const ROLE_ARN = `arn:aws:iam::${OWN}:role/lambda-role`;
const arnIn = (account: string, name: string) => `arn:aws:lambda:us-east-1:${account}:function:${name}`;
const OWNER_JS = (who: string) => `exports.handler = async (event) => ({ owner: ${JSON.stringify(who)}, event });\n`;

/** @aws-sdk/client-lambda and everything it requires, from this repository's node_modules, as zip entries. */
const sdkFiles = (): Record<string, Buffer> => packageFiles('@aws-sdk/client-lambda');

/**
 * boto3 and what it imports, from the Python that has it (pyenv here: the sandbox shows only /usr/bin/python3, which
 * lacks it), pure Python all, with botocore's service models cut to Lambda's. Undefined when no boto3 is found.
 */
function boto3Files(): Record<string, Buffer> | undefined {
  let site: string;
  try {
    site = execFileSync('python3', ['-c', 'import boto3, os; print(os.path.dirname(os.path.dirname(boto3.__file__)))'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
  const out: Record<string, Buffer> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      if (entry === '__pycache__' || entry.endsWith('.pyc')) continue;
      const p = join(dir, entry);
      const rel = relative(site, p);
      if (statSync(p).isDirectory()) {
        if (dirname(rel) === join('botocore', 'data') && entry !== 'lambda') continue;
        walk(p);
      } else out[rel] = readFileSync(p);
    }
  };
  for (const name of ['boto3', 'botocore', 'jmespath', 's3transfer', 'dateutil', 'urllib3']) walk(join(site, name));
  out['six.py'] = readFileSync(join(site, 'six.py'));
  return out;
}

interface World {
  server: TestServer;
  other: LambdaClient;
  otherCreds: TestCredentials;
  /** What the server wrote to its log (stderr) while the tests ran. */
  logged: string[];
}

const worlds: Record<'local' | 'sigv4', World> = {} as never;
let sdkZip: Buffer;
const logged: string[] = [];
const realWrite = process.stderr.write.bind(process.stderr);

before(async () => {
  // The servers log at debug level into this file's stderr: captured, to look for secrets in it.
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    logged.push(String(chunk));
    return (realWrite as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  sdkZip = await zipOf({ ...fixtureFiles('node-calls-lambda'), ...sdkFiles() });
  for (const mode of ['local', 'sigv4'] as const) {
    const server = await startAlonzo({ auth: mode, logLevel: 'debug', rootAccessKeyId: ROOT_KEY.accessKeyId, rootSecretAccessKey: ROOT_KEY.secretAccessKey });
    if (mode === 'sigv4') server.client.destroy();
    const client = mode === 'sigv4' ? lambdaClient(server.url, { credentials: ROOT_KEY }) : server.client;
    const s = { ...server, client };
    const otherCreds = mode === 'local' ? { accessKeyId: OTHER, secretAccessKey: 'x' } : await createKey(server.dataDir, '--account-id', OTHER);
    worlds[mode] = { server: s, other: lambdaClient(server.url, { credentials: otherCreds }), otherCreds, logged };
    await deploy(s, 'caller', { zip: sdkZip, Timeout: 10, MemorySize: 256 });
    await deploy(s, 'target', { zip: await zipOf({ 'index.js': OWNER_JS('own') }) });
    await deploy(s, 'env', { fixture: 'node-env' });
    const o = { ...s, client: worlds[mode].other };
    await deploy(o, 'foreign', { zip: await zipOf({ 'index.js': OWNER_JS('other') }), Role: roleIn(OTHER) });
  }
});
after(async () => {
  process.stderr.write = realWrite;
  for (const w of Object.values(worlds)) {
    w.other.destroy();
    w.server.client.destroy();
    await w.server.close();
  }
});

const call = async (w: World, name: string, event: unknown) => {
  const r = await w.server.client.send(new InvokeCommand({ FunctionName: name, Payload: JSON.stringify(event) }));
  assert.equal(r.FunctionError, undefined, Buffer.from(r.Payload ?? []).toString());
  return JSON.parse(Buffer.from(r.Payload ?? []).toString());
};

const denied = (action: string, resource: string, why: 'identity' | 'resource') =>
  `User: arn:aws:sts::${OWN}:assumed-role/lambda-role/caller is not authorized to perform: ${action} on resource: ${resource} because no ${why}-based policy allows the ${action} action`;

for (const mode of ['local', 'sigv4'] as const) {
  test(`${mode}: the environment has credentials minted for the function and the server's URL, never the server's own`, async () => {
    const w = worlds[mode];
    const { env } = await call(w, 'env', {});
    assert.match(env.AWS_ACCESS_KEY_ID, /^ASIA[A-Z2-7]{16}$/);
    assert.equal(env.AWS_SECRET_ACCESS_KEY.length, 40);
    assert.match(env.AWS_SESSION_TOKEN, /^ALZ1\./);
    assert.equal(env.AWS_ENDPOINT_URL_LAMBDA, w.server.url);
    assert.notEqual(env.AWS_SECRET_ACCESS_KEY, ROOT_KEY.secretAccessKey);
    for (const k of ['ALONZO_ROOT_SECRET_ACCESS_KEY', 'ALONZO_ROOT_ACCESS_KEY_ID']) assert.equal(env[k], undefined);
  });

  test(`${mode}: a Node function calls another through @aws-sdk/client-lambda with nothing in its code`, async () => {
    const w = worlds[mode];
    assert.deepEqual(await call(w, 'caller', { op: 'invoke', target: 'target', payload: { n: 1 } }), { ok: true, status: 200, payload: { owner: 'own', event: { n: 1 } } });
  });

  test(`${mode}: the function's credentials cannot create or delete functions, nor call another account's without its permission`, async () => {
    const w = worlds[mode];
    assert.deepEqual(await call(w, 'caller', { op: 'delete', target: 'target' }), { ok: false, name: 'AccessDeniedException', message: denied('lambda:DeleteFunction', arnIn(OWN, 'target'), 'identity') });
    assert.deepEqual(await call(w, 'caller', { op: 'create', target: 'made-by-a-function' }), {
      ok: false,
      name: 'AccessDeniedException',
      message: denied('lambda:CreateFunction', arnIn(OWN, 'made-by-a-function'), 'identity'),
    });
    assert.ok((await w.server.client.send(new GetFunctionCommand({ FunctionName: 'target' }))).Configuration);
    assert.deepEqual((await w.server.client.send(new ListFunctionsCommand({}))).Functions?.map((f) => f.FunctionName).sort(), ['caller', 'env', 'target']);

    const foreign = arnIn(OTHER, 'foreign');
    assert.deepEqual(await call(w, 'caller', { op: 'invoke', target: foreign }), { ok: false, name: 'AccessDeniedException', message: denied('lambda:InvokeFunction', foreign, 'resource') });
    const env = { AWS_ACCESS_KEY_ID: w.otherCreds.accessKeyId, AWS_SECRET_ACCESS_KEY: w.otherCreds.secretAccessKey };
    const added = await runAws('v2', w.server.url, ['lambda', 'add-permission', '--function-name', 'foreign', '--statement-id', 'caller-account', '--action', 'lambda:InvokeFunction', '--principal', OWN], undefined, env);
    assert.equal(added.code, 0, added.stderr);
    assert.deepEqual(await call(w, 'caller', { op: 'invoke', target: foreign, payload: { n: 2 } }), { ok: true, status: 200, payload: { owner: 'other', event: { n: 2 } } });
    const removed = await runAws('v1', w.server.url, ['lambda', 'remove-permission', '--function-name', 'foreign', '--statement-id', 'caller-account'], undefined, env);
    assert.equal(removed.code, 0, removed.stderr);
  });

  test(`${mode}: an expired, forged or borrowed session token is refused with AWS's errors`, async () => {
    const w = worlds[mode];
    const attempt = async (creds: { AWS_ACCESS_KEY_ID: string; AWS_SECRET_ACCESS_KEY: string; AWS_SESSION_TOKEN: string }) => {
      const c = lambdaClient(w.server.url, { credentials: { accessKeyId: creds.AWS_ACCESS_KEY_ID, secretAccessKey: creds.AWS_SECRET_ACCESS_KEY, sessionToken: creds.AWS_SESSION_TOKEN } });
      try {
        const r = await c.send(new InvokeCommand({ FunctionName: 'target' }));
        return { ok: true, status: r.StatusCode };
      } catch (e) {
        const err = e as { name: string; message: string; $metadata: { httpStatusCode?: number } };
        return { ok: false, name: err.name, message: err.message, status: err.$metadata.httpStatusCode };
      } finally {
        c.destroy();
      }
    };
    // The server secret is in the data dir: minting here is what the server does for an environment.
    const valid = new FunctionCredentialIssuer(w.server.dataDir).mint(OWN, ROLE_ARN, 'caller');
    assert.deepEqual(await attempt(valid), { ok: true, status: 200 });
    const expired = new FunctionCredentialIssuer(w.server.dataDir, () => Date.now() - 13 * 3600_000).mint(OWN, ROLE_ARN, 'caller');
    assert.deepEqual(await attempt(expired), { ok: false, name: 'ExpiredTokenException', message: 'The security token included in the request is expired', status: 403 });

    const invalid = { ok: false, name: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.', status: 403 };
    // Another account written into the token: its MAC no longer matches.
    const [prefix, body, mac] = valid.AWS_SESSION_TOKEN.split('.');
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString());
    const forgedBody = Buffer.from(JSON.stringify({ ...claims, a: OTHER })).toString('base64url');
    assert.deepEqual(await attempt({ ...valid, AWS_SESSION_TOKEN: `${prefix}.${forgedBody}.${mac}` }), invalid);
    // A token minted under another server's secret.
    const elsewhere = await startAlonzo({ auth: 'local' });
    try {
      assert.deepEqual(await attempt(new FunctionCredentialIssuer(elsewhere.dataDir).mint(OWN, ROLE_ARN, 'caller')), invalid);
    } finally {
      await elsewhere.close();
    }
    // A valid token with another key id (one environment's token, another's key id).
    const second = new FunctionCredentialIssuer(w.server.dataDir).mint(OWN, ROLE_ARN, 'caller');
    assert.deepEqual(await attempt({ ...valid, AWS_ACCESS_KEY_ID: second.AWS_ACCESS_KEY_ID }), invalid);
  });

  test(`${mode}: a minted secret appears in no log, the server's or the function's`, async () => {
    const w = worlds[mode];
    const { env } = await call(w, 'env', {});
    await call(w, 'caller', { op: 'invoke', target: 'target' });
    await call(w, 'caller', { op: 'delete', target: 'target' });
    assert.ok(w.logged.join('').includes('api:request'), 'the server did log');
    assert.ok(!w.logged.join('').includes(env.AWS_SECRET_ACCESS_KEY));
    for (const fn of ['env', 'caller', 'target']) {
      // Logs are written off the invoke path: wait until they are there.
      const text = await eventually(async () => {
        const t = await (await signedFetch(`${w.server.url}/_alonzo/functions/${fn}/logs`, {}, { credentials: ROOT_KEY })).text();
        return t.includes('START RequestId') && t;
      }, 5000, `${fn}'s logs`);
      assert.ok(!text.includes(env.AWS_SECRET_ACCESS_KEY), fn);
    }
  });
}

test('local: a Python function calls another through boto3 with nothing in its code (boto3 bundled into its zip)', async () => {
  const files = boto3Files();
  // A machine without boto3 fails this test, saying so: it is never skipped.
  assert.ok(files, 'no Python on this machine has boto3 to bundle into the function: install it (pip install boto3) for this test');
  const w = worlds.local;
  await deploy(w.server, 'py-caller', { zip: await zipOf({ ...fixtureFiles('python-calls-lambda'), ...files }), Runtime: 'python3.11', Handler: 'index.handler', Timeout: 20, MemorySize: 256 });
  assert.deepEqual(await call(w, 'py-caller', { target: 'target', payload: { n: 3 } }), { ok: true, status: 200, payload: { owner: 'own', event: { n: 3 } } });
  assert.deepEqual(await call(w, 'py-caller', { target: arnIn(OTHER, 'foreign') }), { ok: false, name: 'AccessDeniedException', message: denied('lambda:InvokeFunction', arnIn(OTHER, 'foreign'), 'resource').replace('/caller ', '/py-caller ') });
});
