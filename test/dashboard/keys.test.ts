// Logging in to the dashboard with an access key (sigv4 mode): the key acts in its own account, within its policy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAlonzo, lambdaClient, zipOf } from '../helpers/alonzo.js';
import { deploy } from '../helpers/invoke.js';
import { createKey } from '../auth/helpers.js';

const API = '/_alonzo/dashboard/api/';

/** A dashboard session as a client without a browser: the cookie and CSRF token from the login. */
async function login(base: string, body: object, headers: Record<string, string> = {}) {
  const r = await fetch(`${base}${API}login`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const json = await r.json();
  const cookie = r.headers.get('set-cookie')?.split(';')[0];
  return {
    status: r.status,
    json,
    get: async (path: string) => {
      const res = await fetch(`${base}${API}${path}`, { headers: { cookie: cookie ?? '' } });
      return { status: res.status, json: await res.json() };
    },
    post: async (path: string, b: object) => {
      const res = await fetch(`${base}${API}${path}`, { method: 'POST', headers: { cookie: cookie ?? '', 'content-type': 'application/json', 'x-alonzo-csrf': json.csrf }, body: JSON.stringify(b) });
      return { status: res.status, json: await res.json() };
    },
  };
}

test('an access key logs in to the dashboard and acts as itself: its account, its policy', async (t) => {
  const root = { accessKeyId: 'ROOTKEYFORDASH', secretAccessKey: 'root-secret' };
  const s = await startAlonzo({ auth: 'sigv4', rootAccessKeyId: root.accessKeyId, rootSecretAccessKey: root.secretAccessKey });
  t.after(() => s.close());
  const admin = lambdaClient(s.url, { credentials: root });
  t.after(() => admin.destroy());
  await deploy({ ...s, client: admin }, 'dash-keyed', { zip: await zipOf({ 'index.js': 'exports.handler = async () => 1;' }) });

  // A key that may read but not invoke.
  const policy = join(s.dataDir, 'viewer.json');
  writeFileSync(policy, JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['lambda:Get*', 'lambda:List*', 'alonzo:GetLogs'], Resource: '*' }] }));
  const viewer = await createKey(s.dataDir, '--name', 'viewer', '--policy', policy);
  const v = await login(s.url, { accessKeyId: viewer.accessKeyId, secretAccessKey: viewer.secretAccessKey });
  assert.equal(v.status, 200);
  assert.equal(v.json.who, 'arn:aws:iam::000000000000:user/viewer');
  const listed = await v.get('functions');
  assert.deepEqual(listed.json.Functions.map((f: { FunctionName: string }) => f.FunctionName), ['dash-keyed']);
  assert.equal((await v.get('functions/dash-keyed')).status, 200);
  const denied = await v.post('functions/dash-keyed/invoke', { Payload: '{}' });
  assert.equal(denied.status, 403);
  assert.equal(denied.json.error, 'AccessDeniedException');
  assert.match(denied.json.message, /user\/viewer is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:000000000000:function:dash-keyed/);
  const noCreate = await v.post('functions', { FunctionName: 'sneaky', Runtime: 'nodejs20.x', Handler: 'index.handler', Code: 'x' });
  assert.equal(noCreate.status, 403);

  // Another account's key, with every right in its own account: this account's function is not there for it.
  const stranger = await createKey(s.dataDir, '--name', 'stranger', '--account-id', '222233334444');
  const o = await login(s.url, { accessKeyId: stranger.accessKeyId, secretAccessKey: stranger.secretAccessKey });
  assert.equal(o.json.accountId, '222233334444');
  assert.deepEqual((await o.get('functions')).json.Functions, []);
  assert.equal((await o.get('functions/dash-keyed')).status, 404);
  assert.deepEqual((await o.get('environments')).json.Environments, []);
  // What it creates is its own.
  const made = await o.post('functions', { FunctionName: 'theirs', Runtime: 'nodejs20.x', Handler: 'index.handler', Code: 'exports.handler = async () => 2;' });
  assert.equal(made.status, 201, JSON.stringify(made.json));
  assert.equal(made.json.FunctionArn, 'arn:aws:lambda:us-east-1:222233334444:function:theirs');
  assert.deepEqual((await v.get('functions')).json.Functions.map((f: { FunctionName: string }) => f.FunctionName), ['dash-keyed']);

  // Wrong secrets, unknown keys and the internal code-download key do not log in; nor does another page.
  assert.equal((await login(s.url, { accessKeyId: viewer.accessKeyId, secretAccessKey: 'wrong' })).status, 401);
  assert.equal((await login(s.url, { accessKeyId: 'ALZKNOPE', secretAccessKey: 'x' })).status, 401);
  assert.equal((await login(s.url, { token: 'guess' })).status, 401);
  assert.equal((await login(s.url, { token: s.dashboardToken }, { origin: 'http://evil.example' })).status, 403);
  assert.equal((await login(s.url, { token: s.dashboardToken })).status, 200);
});
