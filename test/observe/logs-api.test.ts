// The CloudWatch Logs API over function logs, through the clients people use: AWS CLI v1 and v2 (`logs tail --follow`
// included), boto3, and raw signed requests for the wire details (errors, accounts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { SignatureV4 } from '@smithy/signature-v4';
import { NodeSha256 } from '../../src/auth/sigv4.js';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { startAlonzo, zipOf, runAws, runBoto3, AWS_CLI, type TestServer } from '../helpers/alonzo.js';
import { deploy, eventually } from '../helpers/invoke.js';
import { CREDENTIALS, type TestCredentials } from '../helpers/sign.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createKey } from '../auth/helpers.js';

const HANDLER = `
exports.handler = async (event) => {
  console.log('marker', event.marker);
  return event.marker;
};`;

async function invoke(s: TestServer, fn: string, marker: string): Promise<void> {
  const r = await s.client.send(new InvokeCommand({ FunctionName: fn, Payload: Buffer.from(JSON.stringify({ marker })) }));
  assert.equal(r.FunctionError, undefined, Buffer.from(r.Payload ?? []).toString());
}

/** A CloudWatch Logs call as the SDKs send it: POST /, JSON 1.1, signed for `logs`. */
async function logsCall(s: TestServer, op: string, body: unknown, creds: TestCredentials = CREDENTIALS, service = 'logs'): Promise<{ status: number; headers: Headers; json: any }> {
  const u = new URL(s.url);
  const text = JSON.stringify(body);
  const signer = new SignatureV4({ service, region: 'us-east-1', credentials: creds, sha256: NodeSha256 });
  const signed = await signer.sign({
    method: 'POST',
    protocol: u.protocol,
    hostname: u.hostname,
    port: Number(u.port),
    path: '/',
    query: {},
    headers: { host: u.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `Logs_20140328.${op}` },
    body: text,
  });
  const { host: _h, ...headers } = signed.headers;
  const res = await fetch(`${s.url}/`, { method: 'POST', headers, body: text });
  return { status: res.status, headers: res.headers, json: await res.json() };
}

async function setup(t: { after: (f: () => Promise<void>) => void }, overrides: Parameters<typeof startAlonzo>[0] = {}): Promise<{ s: TestServer; fn: string }> {
  const s = await startAlonzo(overrides);
  t.after(() => s.close());
  const fn = await deploy(s, 'cw-logs', { zip: await zipOf({ 'index.js': HANDLER }) });
  return { s, fn };
}

test('DescribeLogGroups, DescribeLogStreams, GetLogEvents and FilterLogEvents through AWS CLI v1 and v2', async (t) => {
  const { s, fn } = await setup(t);
  await invoke(s, fn, 'alpha-1');
  await invoke(s, fn, 'beta-2');
  for (const cli of ['v1', 'v2'] as const) {
    const groups = await runAws(cli, s.url, ['logs', 'describe-log-groups']);
    assert.equal(groups.code, 0, groups.stderr);
    const g = JSON.parse(groups.stdout).logGroups;
    assert.equal(g.length, 1);
    assert.equal(g[0].logGroupName, '/aws/lambda/cw-logs');
    assert.equal(g[0].arn, 'arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/cw-logs:*');

    const streams = await runAws(cli, s.url, ['logs', 'describe-log-streams', '--log-group-name', '/aws/lambda/cw-logs', '--order-by', 'LastEventTime', '--descending']);
    assert.equal(streams.code, 0, streams.stderr);
    const st = JSON.parse(streams.stdout).logStreams;
    // One warm environment ran both: one stream, named as Lambda names it.
    assert.equal(st.length, 1);
    const today = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
    assert.match(st[0].logStreamName, new RegExp(`^${today}/\\[\\$LATEST\\][0-9a-f]{32}$`));
    assert.ok(st[0].lastEventTimestamp >= st[0].firstEventTimestamp);

    const events = await runAws(cli, s.url, ['logs', 'get-log-events', '--log-group-name', '/aws/lambda/cw-logs', '--log-stream-name', st[0].logStreamName, '--start-from-head']);
    assert.equal(events.code, 0, events.stderr);
    const ev = JSON.parse(events.stdout);
    const messages: string[] = ev.events.map((e: { message: string }) => e.message);
    assert.match(messages[0], /^START RequestId: [0-9a-f-]{36} Version: \$LATEST\n$/);
    assert.ok(messages.some((m) => /\tINFO\tmarker alpha-1\n$/.test(m)), messages.join(''));
    assert.ok(messages.some((m) => /^REPORT RequestId: .*Duration: /.test(m)));
    assert.equal(messages.filter((m) => m.startsWith('START')).length, 2);
    assert.match(ev.nextForwardToken, /^f\/\d+$/);
    for (let i = 1; i < ev.events.length; i++) assert.ok(ev.events[i].timestamp >= ev.events[i - 1].timestamp, 'in time order');

    const filtered = await runAws(cli, s.url, ['logs', 'filter-log-events', '--log-group-name', '/aws/lambda/cw-logs', '--filter-pattern', 'beta-2']);
    assert.equal(filtered.code, 0, filtered.stderr);
    const hits = JSON.parse(filtered.stdout).events;
    assert.equal(hits.length, 1);
    assert.match(hits[0].message, /marker beta-2/);
    assert.equal(hits[0].logStreamName, st[0].logStreamName);
    assert.match(hits[0].eventId, /^\d+$/);

    const none = await runAws(cli, s.url, ['logs', 'filter-log-events', '--log-group-name', '/aws/lambda/cw-logs', '--filter-pattern', 'marker -alpha-1 -beta-2']);
    assert.equal(JSON.parse(none.stdout).events.length, 0);
    const either = await runAws(cli, s.url, ['logs', 'filter-log-events', '--log-group-name', '/aws/lambda/cw-logs', '--filter-pattern', '?alpha-1 ?beta-2']);
    assert.equal(JSON.parse(either.stdout).events.length, 2);

    const missing = await runAws(cli, s.url, ['logs', 'filter-log-events', '--log-group-name', '/aws/lambda/nope']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /An error occurred \(ResourceNotFoundException\) when calling the FilterLogEvents operation: The specified log group does not exist\./);
  }
});

test('aws logs tail --follow (CLI v2) prints invocations as they happen', async (t) => {
  const { s, fn } = await setup(t);
  await invoke(s, fn, 'before-tail');
  const child = spawn(AWS_CLI.v2, ['logs', 'tail', '/aws/lambda/cw-logs', '--follow', '--since', '1h', '--format', 'short', '--endpoint-url', s.url, '--region', 'us-east-1'], {
    env: { ...process.env, AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey, AWS_PAGER: '' },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  t.after(() => {
    child.kill();
  });
  await eventually(async () => out.includes('marker before-tail'), 60_000, `the earlier invocation in the tail (stderr: ${err})`);
  await invoke(s, fn, 'during-tail');
  // The CLI polls FilterLogEvents every 5 s from the newest timestamp it saw, skipping the event ids it printed.
  await eventually(async () => out.includes('marker during-tail'), 60_000, `the new invocation in the tail (stderr: ${err})`);
  await invoke(s, fn, 'during-tail-2');
  await eventually(async () => out.includes('marker during-tail-2'), 60_000, 'the next one');
  assert.equal(out.split('marker before-tail').length - 1, 1, 'no event printed twice');
  assert.equal(out.split('marker during-tail\n').length - 1, 1, 'no event printed twice');
  assert.equal(err, '');
});

test('boto3 reads the same logs, paginating FilterLogEvents and GetLogEvents, and gets Logs errors', async (t) => {
  const { s, fn } = await setup(t);
  for (let i = 0; i < 5; i++) await invoke(s, fn, `boto-${i}`);
  const script = `
logs = boto3.client('logs', endpoint_url=ENDPOINT, region_name='us-east-1', aws_access_key_id=${JSON.stringify(CREDENTIALS.accessKeyId)}, aws_secret_access_key=${JSON.stringify(CREDENTIALS.secretAccessKey)}, config=Config(retries={'max_attempts': 1}))
out = {}
pages = list(logs.get_paginator('filter_log_events').paginate(logGroupName='/aws/lambda/cw-logs', filterPattern='marker', PaginationConfig={'PageSize': 2}))
out['pages'] = len(pages)
out['filtered'] = [e['message'] for p in pages for e in p['events']]
streams = logs.describe_log_streams(logGroupIdentifier='arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/cw-logs')['logStreams']
name = streams[0]['logStreamName']
got = []
kw = dict(logGroupName='/aws/lambda/cw-logs', logStreamName=name, startFromHead=True, limit=3)
while True:
    r = logs.get_log_events(**kw)
    got += [e['message'] for e in r['events']]
    if kw.get('nextToken') == r['nextForwardToken']:
        break
    kw['nextToken'] = r['nextForwardToken']
out['forward'] = got
errs = {}
for key, call in [
    ('group', lambda: logs.describe_log_streams(logGroupName='/aws/lambda/none')),
    ('stream', lambda: logs.get_log_events(logGroupName='/aws/lambda/cw-logs', logStreamName='2020/01/01/[$LATEST]00')),
    ('limit', lambda: logs.describe_log_groups(limit=51)),
    ('both', lambda: logs.filter_log_events(logGroupName='/aws/lambda/cw-logs', logGroupIdentifier='/aws/lambda/cw-logs')),
]:
    try:
        call()
        errs[key] = None
    except logs.exceptions.ClientError as e:
        errs[key] = [e.response['Error']['Code'], e.response['Error']['Message'], e.response['ResponseMetadata']['HTTPStatusCode']]
out['errors'] = errs
print(json.dumps(out))
`;
  const r = await runBoto3(s.url, script);
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.pages, 3);
  assert.deepEqual(
    out.filtered.map((m: string) => /marker (\S+)/.exec(m)?.[1]),
    ['boto-0', 'boto-1', 'boto-2', 'boto-3', 'boto-4'],
  );
  assert.equal(out.forward.filter((m: string) => m.startsWith('START ')).length, 5);
  assert.equal(new Set(out.forward).size, out.forward.length, 'each event once');
  assert.deepEqual(out.errors, {
    group: ['ResourceNotFoundException', 'The specified log group does not exist.', 400],
    stream: ['ResourceNotFoundException', 'The specified log stream does not exist.', 400],
    limit: ['InvalidParameterException', "1 validation error detected: Value '51' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 50", 400],
    both: ['InvalidParameterException', 'LogGroup name and LogGroup ARN are mutually exclusive parameters.', 400],
  });
});

test('a caller sees only its own account\'s log groups, by name or by ARN (local mode)', async (t) => {
  const { s, fn } = await setup(t, { auth: 'local' });
  await invoke(s, fn, 'secret-of-account-0');
  // Local mode: an access key that is 12 digits is that account (api/cross-account.ts).
  const other = { accessKeyId: '111111111111', secretAccessKey: 'x' };
  const groups = await logsCall(s, 'DescribeLogGroups', {}, other);
  assert.equal(groups.status, 200);
  assert.deepEqual(groups.json.logGroups, []);
  for (const body of [{ logGroupName: '/aws/lambda/cw-logs' }, { logGroupIdentifier: 'arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/cw-logs' }]) {
    const r = await logsCall(s, 'FilterLogEvents', body, other);
    assert.equal(r.status, 400);
    assert.equal(r.headers.get('x-amzn-errortype'), 'ResourceNotFoundException');
    assert.deepEqual(r.json, { __type: 'ResourceNotFoundException', message: 'The specified log group does not exist.' });
  }
  // The owner reads it.
  const mine = await logsCall(s, 'FilterLogEvents', { logGroupName: '/aws/lambda/cw-logs', filterPattern: 'secret-of-account-0' });
  assert.equal(mine.status, 200);
  assert.equal(mine.json.events.length, 1);
});

test('a custom LoggingConfig.LogGroup is the group; wire errors are CloudWatch Logs\'', async (t) => {
  const s = await startAlonzo();
  t.after(() => s.close());
  const fn = await deploy(s, 'cw-custom', { zip: await zipOf({ 'index.js': HANDLER }), LoggingConfig: { LogFormat: 'Text', LogGroup: 'my-app-logs' } });
  await invoke(s, fn, 'custom-group');
  const groups = await logsCall(s, 'DescribeLogGroups', { logGroupNamePrefix: 'my-' });
  assert.deepEqual(groups.json.logGroups.map((g: { logGroupName: string }) => g.logGroupName), ['my-app-logs']);
  const ev = await logsCall(s, 'FilterLogEvents', { logGroupName: 'my-app-logs', filterPattern: '"marker custom-group"' });
  assert.equal(ev.json.events.length, 1);
  const unknown = await logsCall(s, 'PutLogEvents', { logGroupName: 'my-app-logs' });
  assert.equal(unknown.status, 400);
  assert.equal(unknown.json.__type, 'UnknownOperationException');
  const badToken = await logsCall(s, 'FilterLogEvents', { logGroupName: 'my-app-logs', nextToken: 'garbage!' });
  assert.deepEqual(badToken.json, { __type: 'InvalidParameterException', message: 'The specified nextToken is invalid.' });
  const json = await logsCall(s, 'FilterLogEvents', { logGroupName: 'my-app-logs', filterPattern: '{ $.level = "ERROR" }' });
  assert.equal(json.json.__type, 'InvalidParameterException');
  // An unsigned request is refused before anything is read.
  const unsigned = await fetch(`${s.url}/`, { method: 'POST', headers: { 'x-amz-target': 'Logs_20140328.DescribeLogGroups', 'content-type': 'application/x-amz-json-1.1' }, body: '{}' });
  assert.equal(unsigned.status, 400);
  assert.equal((await unsigned.json()).__type, 'MissingAuthenticationTokenException');
});

test('sigv4 mode: a key needs logs: actions, its own account, and a signature scoped to logs', async (t) => {
  const root = { accessKeyId: 'ROOTKEYFORLOGS', secretAccessKey: 'root-secret' };
  const s = await startAlonzo({ auth: 'sigv4', rootAccessKeyId: root.accessKeyId, rootSecretAccessKey: root.secretAccessKey });
  t.after(() => s.close());
  const { lambdaClient } = await import('../helpers/alonzo.js');
  const admin = lambdaClient(s.url, { credentials: root });
  t.after(() => admin.destroy());
  await deploy({ ...s, client: admin }, 'cw-sig', { zip: await zipOf({ 'index.js': HANDLER }) });
  await invoke({ ...s, client: admin }, 'cw-sig', 'signed');
  // The root key (logs:* in the admin policy) reads it.
  const ok = await logsCall(s, 'FilterLogEvents', { logGroupName: '/aws/lambda/cw-sig', filterPattern: 'signed' }, root);
  assert.equal(ok.status, 200);
  assert.equal(ok.json.events.length, 1);
  // Signed for lambda, sent to logs: refused, as AWS words it.
  const scoped = await logsCall(s, 'DescribeLogGroups', {}, root, 'lambda');
  assert.deepEqual(scoped.json, { __type: 'InvalidSignatureException', message: "Credential should be scoped to correct service: 'logs'. " });
  // A key allowed only Lambda's actions.
  const policy = join(s.dataDir, 'lambda-only.json');
  writeFileSync(policy, JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'lambda:*', Resource: '*' }] }));
  const dev = await createKey(s.dataDir, '--name', 'dev', '--policy', policy);
  const denied = await logsCall(s, 'FilterLogEvents', { logGroupName: '/aws/lambda/cw-sig' }, dev);
  assert.equal(denied.status, 400);
  assert.deepEqual(denied.json, {
    __type: 'AccessDeniedException',
    message: 'User: arn:aws:iam::000000000000:user/dev is not authorized to perform: logs:FilterLogEvents on resource: arn:aws:logs:us-east-1:000000000000:log-group:/aws/lambda/cw-sig:* because no identity-based policy allows the logs:FilterLogEvents action',
  });
  // A key of another account, with every permission: the group is not there for it.
  const stranger = await createKey(s.dataDir, '--name', 'stranger', '--account-id', '222233334444');
  const groups = await logsCall(s, 'DescribeLogGroups', {}, stranger);
  assert.deepEqual(groups.json.logGroups, []);
  const nf = await logsCall(s, 'GetLogEvents', { logGroupName: '/aws/lambda/cw-sig', logStreamName: 'x' }, stranger);
  assert.equal(nf.json.__type, 'ResourceNotFoundException');
  // An unknown key.
  const unknown = await logsCall(s, 'DescribeLogGroups', {}, { accessKeyId: 'ALZKNOPE', secretAccessKey: 'x' });
  assert.equal(unknown.json.__type, 'UnrecognizedClientException');
});

test('a hostile function cannot read logs with its own credentials (they allow no logs: action)', async (t) => {
  const s = await startAlonzo();
  t.after(() => s.close());
  const victim = await deploy(s, 'cw-victim', { zip: await zipOf({ 'index.js': HANDLER }) });
  await invoke(s, victim, 'victim-secret');
  // The hostile function hands its credentials out (a test reads what a function did through its answer).
  const thief = await deploy(s, 'cw-thief', {
    zip: await zipOf({ 'index.js': 'exports.handler = async () => ({ id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY, token: process.env.AWS_SESSION_TOKEN });' }),
  });
  const r = await s.client.send(new InvokeCommand({ FunctionName: thief }));
  const creds = JSON.parse(Buffer.from(r.Payload!).toString());
  assert.ok(creds.token, 'functions get a session token');
  const u = new URL(s.url);
  const text = JSON.stringify({ logGroupName: '/aws/lambda/cw-victim' });
  const signer = new SignatureV4({ service: 'logs', region: 'us-east-1', credentials: { accessKeyId: creds.id, secretAccessKey: creds.secret, sessionToken: creds.token }, sha256: NodeSha256 });
  const signed = await signer.sign({ method: 'POST', protocol: u.protocol, hostname: u.hostname, port: Number(u.port), path: '/', query: {}, headers: { host: u.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'Logs_20140328.FilterLogEvents' }, body: text });
  const { host: _h, ...headers } = signed.headers;
  const res = await fetch(`${s.url}/`, { method: 'POST', headers, body: text });
  const body = await res.json();
  assert.equal(res.status, 400);
  assert.equal(body.__type, 'AccessDeniedException');
  assert.match(body.message, /assumed-role\/lambda-role\/cw-thief is not authorized to perform: logs:FilterLogEvents/);
  assert.doesNotMatch(JSON.stringify(body), /victim-secret/);
});
