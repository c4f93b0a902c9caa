// Accounts as an attacker meets them: account B cannot see, list, invoke, change or delete account A's functions, except by ARN as A's AddPermission allows — through the four real clients, in both modes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteFunctionCommand,
  GetFunctionCommand,
  InvokeCommand,
  ListFunctionsCommand,
  UpdateFunctionConfigurationCommand,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { lambdaClient, runAws, runBoto3, startAlonzo, type TestServer } from '../helpers/alonzo.js';
import { createFunction, rejection, roleIn, waitUpdated } from '../helpers/api.js';
import { createKey, fromCli } from './helpers.js';
import { signedFetch, type TestCredentials } from '../helpers/sign.js';
import { eventually } from '../helpers/invoke.js';
import { startSink } from '../helpers/sink.js';

const A = '111111111111';
const B = '222222222222';
const arnIn = (account: string, name: string, qualifier?: string) => `arn:aws:lambda:us-east-1:${account}:function:${name}${qualifier ? `:${qualifier}` : ''}`;
const WHOAMI = (who: string) => `exports.handler = async (event) => ({ owner: ${JSON.stringify(who)}, event });\n`;

interface World {
  server: TestServer;
  creds: Record<'a' | 'b', TestCredentials>;
  client: Record<'a' | 'b', LambdaClient>;
  /** The principal ARN AWS's messages name for B. */
  bArn: string;
}

const worlds: World[] = [];

/** A server in `mode` and a principal in each account: 12-digit key ids in local mode, Alonzo keys in sigv4 mode. */
async function world(mode: 'local' | 'sigv4'): Promise<World> {
  const server = await startAlonzo({ auth: mode });
  let creds: World['creds'];
  let bArn: string;
  if (mode === 'local') {
    creds = { a: { accessKeyId: A, secretAccessKey: 'x' }, b: { accessKeyId: B, secretAccessKey: 'x' } };
    bArn = `arn:aws:iam::${B}:root`;
  } else {
    creds = { a: await createKey(server.dataDir, '--account-id', A, '--name', 'alice'), b: await createKey(server.dataDir, '--account-id', B, '--name', 'bob') };
    bArn = `arn:aws:iam::${B}:user/bob`;
  }
  const w: World = { server, creds, client: { a: lambdaClient(server.url, { credentials: creds.a }), b: lambdaClient(server.url, { credentials: creds.b }) }, bArn };
  worlds.push(w);
  return w;
}

let local: World;
let strict: World;

before(async () => {
  [local, strict] = await Promise.all([world('local'), world('sigv4')]);
});
after(async () => {
  for (const w of worlds) {
    w.client.a.destroy();
    w.client.b.destroy();
    await w.server.close();
  }
});

const denied = (w: World, action: string, resource: string) =>
  `User: ${w.bArn} is not authorized to perform: ${action} on resource: ${resource} because no resource-based policy allows the ${action} action`;

const payloadOf = (r: { Payload?: Uint8Array }) => JSON.parse(Buffer.from(r.Payload ?? []).toString());

for (const mode of ['local', 'sigv4'] as const) {
  test(`${mode}: each account has its own functions; B cannot see, list, invoke, update or delete A's, and nothing changes`, async () => {
    const w = mode === 'local' ? local : strict;
    const { a, b } = w.client;
    const created = await createFunction(a, 'secret-fn', { Role: roleIn(A) }, WHOAMI('a'));
    assert.equal(created.FunctionArn, arnIn(A, 'secret-fn'), 'the ARN carries the account');
    // Two accounts may each have a function of the same name.
    await createFunction(a, 'same-name', { Role: roleIn(A) }, WHOAMI('a'));
    await createFunction(b, 'same-name', { Role: roleIn(B) }, WHOAMI('b'));
    await Promise.all([waitUpdated(a, 'secret-fn'), waitUpdated(a, 'same-name'), waitUpdated(b, 'same-name')]);
    const before = await a.send(new GetFunctionCommand({ FunctionName: 'secret-fn' }));

    const listed = await b.send(new ListFunctionsCommand({}));
    assert.deepEqual(listed.Functions?.map((f) => f.FunctionArn), [arnIn(B, 'same-name')], 'B lists only its own');
    assert.equal(payloadOf(await b.send(new InvokeCommand({ FunctionName: 'same-name' }))).owner, 'b');
    assert.equal(payloadOf(await a.send(new InvokeCommand({ FunctionName: 'same-name' }))).owner, 'a');

    // By name: A's function does not exist for B (AWS's 404, naming B's own ARN).
    let e = await rejection(b.send(new GetFunctionCommand({ FunctionName: 'secret-fn' })));
    assert.equal(e.name, 'ResourceNotFoundException');
    assert.equal(e.message, `Function not found: ${arnIn(B, 'secret-fn')}`);
    e = await rejection(b.send(new InvokeCommand({ FunctionName: 'secret-fn' })));
    assert.equal(e.name, 'ResourceNotFoundException');

    // By ARN: AWS's AccessDenied, for each operation, whether or not the function exists.
    for (const [call, action] of [
      [() => b.send(new GetFunctionCommand({ FunctionName: arnIn(A, 'secret-fn') })), 'lambda:GetFunction'],
      [() => b.send(new InvokeCommand({ FunctionName: arnIn(A, 'secret-fn') })), 'lambda:InvokeFunction'],
      [() => b.send(new UpdateFunctionConfigurationCommand({ FunctionName: arnIn(A, 'secret-fn'), Timeout: 9 })), 'lambda:UpdateFunctionConfiguration'],
      [() => b.send(new DeleteFunctionCommand({ FunctionName: arnIn(A, 'secret-fn') })), 'lambda:DeleteFunction'],
    ] as const) {
      e = await rejection(call());
      assert.equal(e.name, 'AccessDeniedException', action);
      assert.equal(e.$metadata?.httpStatusCode, 403);
      assert.equal(e.message, denied(w, action, arnIn(A, 'secret-fn')));
    }
    e = await rejection(b.send(new GetFunctionCommand({ FunctionName: `${A}:function:no-such-fn` })));
    assert.equal(e.message, denied(w, 'lambda:GetFunction', arnIn(A, 'no-such-fn')), 'a missing function is refused alike: nothing is disclosed');

    const after = await a.send(new GetFunctionCommand({ FunctionName: 'secret-fn' }));
    assert.equal(after.Configuration?.RevisionId, before.Configuration?.RevisionId, 'nothing changed');
    assert.equal(after.Configuration?.Timeout, 3);
    assert.deepEqual((await a.send(new ListFunctionsCommand({}))).Functions?.map((f) => f.FunctionName).sort(), ['same-name', 'secret-fn']);
  });

  test(`${mode}: after add-permission --principal B, B invokes A's function by ARN through CLI v1, CLI v2, boto3 and SDK v3; nothing more; remove-permission refuses it again`, async (t) => {
    const w = mode === 'local' ? local : strict;
    const { a, b } = w.client;
    await createFunction(a, 'shared-fn', { Role: roleIn(A) }, WHOAMI('a'));
    await waitUpdated(a, 'shared-fn');
    const arn = arnIn(A, 'shared-fn');
    const out = mkdtempSync(join(tmpdir(), 'cross-account-'));
    t.after(() => rmSync(out, { recursive: true, force: true }));
    const envA = { AWS_ACCESS_KEY_ID: w.creds.a.accessKeyId, AWS_SECRET_ACCESS_KEY: w.creds.a.secretAccessKey };
    const envB = { AWS_ACCESS_KEY_ID: w.creds.b.accessKeyId, AWS_SECRET_ACCESS_KEY: w.creds.b.secretAccessKey };
    const added = await runAws('v2', w.server.url, ['lambda', 'add-permission', '--function-name', 'shared-fn', '--statement-id', 'let-b', '--action', 'lambda:InvokeFunction', '--principal', B], undefined, envA);
    assert.equal(added.code, 0, added.stderr);
    assert.deepEqual(JSON.parse(JSON.parse(added.stdout).Statement).Principal, { AWS: `arn:aws:iam::${B}:root` });

    const everyClient = async () => {
      const cli = (v: 'v1' | 'v2') =>
        runAws(v, w.server.url, ['lambda', 'invoke', '--function-name', arn, ...(v === 'v2' ? ['--cli-binary-format', 'raw-in-base64-out'] : []), '--payload', '{"from":"b"}', join(out, `${v}.json`)], undefined, envB);
      const py = [
        'try:',
        `    r = client.invoke(FunctionName=${JSON.stringify(arn)}, Payload=b'{"from":"b"}')`,
        "    print(json.dumps({'ok': True, 'owner': json.loads(r['Payload'].read())['owner']}))",
        'except client.exceptions.ClientError as e:',
        "    print(json.dumps({'ok': False, 'code': e.response['Error']['Code'], 'message': e.response['Error']['Message']}))",
      ].join('\n');
      const sdk = async () => {
        try {
          return { ok: true, owner: payloadOf(await b.send(new InvokeCommand({ FunctionName: arn, Payload: '{"from":"b"}' }))).owner };
        } catch (err) {
          return { ok: false, code: (err as Error).name, message: (err as Error).message };
        }
      };
      const [v1, v2, boto, sdkV3] = await Promise.all([cli('v1'), cli('v2'), runBoto3(w.server.url, py, w.creds.b), sdk()]);
      const shownCli = (r: Awaited<ReturnType<typeof cli>>, v: string) => (r.code === 0 ? { ok: true, owner: JSON.parse(readFileSync(join(out, `${v}.json`), 'utf8')).owner } : fromCli(r));
      return { cliV1: shownCli(v1, 'v1'), cliV2: shownCli(v2, 'v2'), boto3: boto.code === 0 ? JSON.parse(boto.stdout) : { ok: false, code: boto.stderr }, sdkV3 };
    };

    for (const [client, shown] of Object.entries(await everyClient())) assert.deepEqual(shown, { ok: true, owner: 'a' }, client);

    // The statement allows lambda:InvokeFunction and nothing else.
    let e = await rejection(b.send(new DeleteFunctionCommand({ FunctionName: arn })));
    assert.equal(e.message, denied(w, 'lambda:DeleteFunction', arn));
    e = await rejection(b.send(new GetFunctionCommand({ FunctionName: arn })));
    assert.equal(e.message, denied(w, 'lambda:GetFunction', arn));
    // Only the unqualified function's policy was given: a qualified ARN has its own (none).
    e = await rejection(b.send(new InvokeCommand({ FunctionName: arn, Qualifier: '$LATEST' })));
    assert.equal(e.name, 'AccessDeniedException');
    assert.ok((await a.send(new GetFunctionCommand({ FunctionName: 'shared-fn' }))).Configuration, 'still there');

    const removed = await runAws('v1', w.server.url, ['lambda', 'remove-permission', '--function-name', 'shared-fn', '--statement-id', 'let-b'], undefined, envA);
    assert.equal(removed.code, 0, removed.stderr);
    const refused = { ok: false, code: 'AccessDeniedException', message: denied(w, 'lambda:InvokeFunction', arn) };
    for (const [client, shown] of Object.entries(await everyClient())) assert.deepEqual(shown, refused, client);
  });
}

for (const mode of ['local', 'sigv4'] as const) {
  test(`${mode}: an Event invoke runs in its own account's function, and its logs are that account's`, async () => {
    const w = mode === 'local' ? local : strict;
    const LOGS_JS = (who: string) => `exports.handler = async (event) => { console.log(${JSON.stringify(who)}, JSON.stringify(event)); return null; };\n`;
    await createFunction(w.client.a, 'queued', { Role: roleIn(A) }, LOGS_JS('ran-in-a'));
    await createFunction(w.client.b, 'queued', { Role: roleIn(B) }, LOGS_JS('ran-in-b'));
    await Promise.all([waitUpdated(w.client.a, 'queued'), waitUpdated(w.client.b, 'queued')]);
    const marker = `m-${mode}-${process.pid}`;
    const r = await w.client.b.send(new InvokeCommand({ FunctionName: 'queued', InvocationType: 'Event', Payload: JSON.stringify({ marker }) }));
    assert.equal(r.StatusCode, 202);
    const logsOf = async (creds: TestCredentials) => (await signedFetch(`${w.server.url}/_alonzo/functions/queued/logs`, {}, { credentials: creds })).text();
    const text = await eventually(async () => {
      const t = await logsOf(w.creds.b);
      return t.includes(marker) && t;
    }, 10_000, "B's queued event in B's logs");
    assert.match(text, /ran-in-b/);
    assert.doesNotMatch(await logsOf(w.creds.a), new RegExp(marker), "A's function of the same name did not run it");
  });
}

test('sigv4: the caller\'s own identity policy must allow too, as IAM requires across accounts', async () => {
  const w = strict;
  await createFunction(w.client.a, 'both-sides', { Role: roleIn(A) }, WHOAMI('a'));
  await waitUpdated(w.client.a, 'both-sides');
  const arn = arnIn(A, 'both-sides');
  const narrow = await createKey(w.server.dataDir, '--account-id', B, '--name', 'reader', '--policy', JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'lambda:GetFunction', Resource: '*' }] }));
  const envA = { AWS_ACCESS_KEY_ID: w.creds.a.accessKeyId, AWS_SECRET_ACCESS_KEY: w.creds.a.secretAccessKey };
  const added = await runAws('v2', w.server.url, ['lambda', 'add-permission', '--function-name', 'both-sides', '--statement-id', 'all-of-b', '--action', 'lambda:InvokeFunction', '--principal', B], undefined, envA);
  assert.equal(added.code, 0, added.stderr);
  const reader = lambdaClient(w.server.url, { credentials: narrow });
  try {
    const e = await rejection(reader.send(new InvokeCommand({ FunctionName: arn })));
    assert.equal(e.name, 'AccessDeniedException');
    assert.equal(e.message, `User: arn:aws:iam::${B}:user/reader is not authorized to perform: lambda:InvokeFunction on resource: ${arn} because no identity-based policy allows the lambda:InvokeFunction action`);
    // Bob, whose key allows everything in his account, may.
    assert.equal(payloadOf(await w.client.b.send(new InvokeCommand({ FunctionName: arn }))).owner, 'a');
  } finally {
    reader.destroy();
  }
});

test("each account has its own concurrency: one account's load does not throttle another's invokes", async (t) => {
  const server = await startAlonzo({ auth: 'local', accountConcurrency: 1 });
  const sink = await startSink();
  const [a, b] = [A, B].map((id) => lambdaClient(server.url, { credentials: { accessKeyId: id, secretAccessKey: 'x' } }));
  t.after(async () => {
    a.destroy();
    b.destroy();
    await sink.close();
    await server.close();
  });
  // Holds its invocation until the test adds a record under `release`.
  const HOLD_JS = `const http = require('http');
const call = (method, url, body) => new Promise((ok, fail) => {
  const r = http.request(url, { method }, (res) => { let d = ''; res.on('data', (c) => (d += c)); res.on('end', () => ok(JSON.parse(d))); });
  r.on('error', fail);
  r.end(body);
});
exports.handler = async (e) => {
  await call('POST', e.started, '{}');
  while ((await call('GET', e.release)).length === 0) await new Promise((r) => setTimeout(r, 20));
  return 'released';
};
`;
  await createFunction(a, 'hold', { Timeout: 30, Role: roleIn(A) }, HOLD_JS);
  for (const [c, id] of [[a, A], [b, B]] as const) await createFunction(c, 'quick', { Role: roleIn(id) }, WHOAMI('any'));
  await Promise.all([waitUpdated(a, 'hold'), waitUpdated(a, 'quick'), waitUpdated(b, 'quick')]);
  const held = a.send(new InvokeCommand({ FunctionName: 'hold', Payload: JSON.stringify({ started: sink.url('started'), release: sink.url('release') }) }));
  await eventually(async () => sink.records('started').length === 1, 10_000, 'the held invocation to start');
  const e = await rejection(a.send(new InvokeCommand({ FunctionName: 'quick' })));
  assert.equal(e.name, 'TooManyRequestsException', "A's one concurrent execution is in use");
  assert.equal(e.Reason, 'ConcurrentInvocationLimitExceeded');
  assert.equal((await b.send(new InvokeCommand({ FunctionName: 'quick' }))).StatusCode, 200, "B's invoke is not throttled by A's");
  sink.add('release', {});
  assert.equal(payloadOf(await held), 'released');
});
