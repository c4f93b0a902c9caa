// The `alonzo` CLI, run in-process with captured output against a real server: deploy, invoke, logs, and its error grammar.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile, spawn } from 'node:child_process';
import { main } from '../../src/cli/main.js';
import { startAlonzo, type TestServer } from '../helpers/alonzo.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { CREDENTIALS } from '../helpers/sign.js';

let s: TestServer;
let dir: string;
before(async () => {
  // What the in-process `alonzo` CLI signs with (the root key in a sigv4 suite).
  process.env.AWS_ACCESS_KEY_ID = CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = CREDENTIALS.secretAccessKey;
  s = await startAlonzo();
  dir = mkdtempSync(join(tmpdir(), 'alonzo-cli-'));
});
after(async () => {
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main([...argv, '--endpoint-url', s.url], { out: (x) => (out += x), err: (x) => (err += x) });
  return { code, out, err };
}

test('deploy zips a folder, creates the function, then updates it; invoke prints what the AWS CLI prints', async () => {
  const src = join(dir, 'fn');
  mkdirSync(src);
  writeFileSync(join(src, 'index.js'), 'exports.handler = async (e) => ({ hello: e.name });');
  const created = await run('deploy', src, '--name', 'cli-fn', '--runtime', 'nodejs20.x', '--handler', 'index.handler');
  assert.equal(created.code, 0, created.err);
  assert.match(created.err, /Zipping/);
  assert.match(created.err, /Zipped \d+ bytes \([\d.]+ (B|KB|MB)\) in [\d.]+ s; uploading…/);
  assert.match(created.err, /Creating function cli-fn/);
  assert.match(created.out, /^Deployed cli-fn \(nodejs20\.x, CodeSha256 /);

  const outfile = join(dir, 'response.json');
  const inv = await run('invoke', '--function-name', 'cli-fn', '--payload', '{"name":"Ada"}', outfile);
  assert.equal(inv.code, 0, inv.err);
  assert.deepEqual(JSON.parse(inv.out), { StatusCode: 200, ExecutedVersion: '$LATEST' });
  assert.deepEqual(JSON.parse(readFileSync(outfile, 'utf8')), { hello: 'Ada' });

  writeFileSync(join(src, 'index.js'), 'exports.handler = async (e) => ({ bye: e.name });');
  const updated = await run('deploy', src, '--name', 'cli-fn');
  assert.equal(updated.code, 0, updated.err);
  assert.match(updated.err, /Updating code of cli-fn/);
  writeFileSync(join(dir, 'event.json'), '{"name":"Bob"}');
  const inv2 = await run('invoke', '--function-name', 'cli-fn', '--payload', `file://${join(dir, 'event.json')}`, '--log-type', 'Tail', outfile);
  assert.equal(inv2.code, 0);
  const printed = JSON.parse(inv2.out);
  assert.deepEqual(Object.keys(printed), ['StatusCode', 'LogResult', 'ExecutedVersion']);
  assert.match(Buffer.from(printed.LogResult, 'base64').toString(), /^START RequestId: [0-9a-f-]{36} Version: \$LATEST\n/m);
  assert.deepEqual(JSON.parse(readFileSync(outfile, 'utf8')), { bye: 'Bob' });

  const event = await run('invoke', '--function-name', 'cli-fn', '--invocation-type', 'Event', outfile);
  assert.deepEqual(JSON.parse(event.out), { StatusCode: 202 });
  assert.equal(readFileSync(outfile, 'utf8'), '');

  const logs = await run('logs', 'cli-fn');
  assert.equal(logs.code, 0);
  assert.match(logs.out, /REPORT RequestId: [0-9a-f-]{36}\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB/);
});

test('user mistakes say what happened and how to fix it, with no stack; service errors print as the AWS CLI does', async () => {
  const missing = await run('invoke', join(dir, 'out.json'));
  assert.equal(missing.code, 1);
  assert.equal(missing.err, '✘ --function-name is required.\n  Add --function-name VALUE.\n');
  const notFound = await run('invoke', '--function-name', 'nope', join(dir, 'out.json'));
  assert.equal(notFound.code, 254);
  assert.equal(notFound.err, '\nAn error occurred (ResourceNotFoundException) when calling the Invoke operation: Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope:$LATEST\n');
  const unknown = await run('frobnicate');
  assert.equal(unknown.code, 1);
  assert.match(unknown.err, /Unknown command 'frobnicate'/);
});

test('the installed bin answers `alonzo --help`', async () => {
  const out = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, [join(REPO_ROOT, 'bin', 'alonzo.js'), '--help'], (e, stdout) => (e ? reject(e) : resolve(stdout))),
  );
  assert.match(out, /^Usage: alonzo <command>/);
});

test('logs --json gives one object per invocation; logs --follow (a real process) prints invocations as they end, each once', async (t) => {
  const src = join(dir, 'follow');
  mkdirSync(src);
  writeFileSync(join(src, 'index.js'), 'exports.handler = async (e) => { console.log("marker", e.n); return e.n; };');
  assert.equal((await run('deploy', src, '--name', 'follow-fn', '--runtime', 'nodejs20.x', '--handler', 'index.handler')).code, 0);
  const invokeN = async (n: number) => assert.equal((await run('invoke', '--function-name', 'follow-fn', '--payload', JSON.stringify({ n }), join(dir, 'f.json'))).code, 0);
  await invokeN(1);
  const asJson = await run('logs', 'follow-fn', '--json');
  assert.equal(asJson.code, 0, asJson.err);
  const objects = asJson.out.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(objects.length, 1);
  assert.match(objects[0].RequestId, /^[0-9a-f-]{36}$/);
  assert.match(objects[0].Log, /marker 1/);
  assert.equal(objects[0].Report['Memory Size'], '128 MB');

  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'alonzo.js'), 'logs', 'follow-fn', '--follow', '--endpoint-url', s.url], { env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  let err = '';
  child.stderr.on('data', (c) => (err += c));
  const until = async (re: RegExp) => {
    for (let i = 0; i < 600 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 50));
    assert.match(out, re, `follow printed: ${out}\nstderr: ${err}`);
  };
  await until(/marker 1/);
  for (const n of [2, 3, 4]) await invokeN(n);
  await until(/marker 4[\s\S]*REPORT/);
  // A moment more: nothing is printed twice.
  await new Promise((r) => setTimeout(r, 1200));
  for (const n of [1, 2, 3, 4]) assert.equal(out.match(new RegExp(`marker ${n}\\b`, 'g'))?.length, 1, `marker ${n} once in: ${out}`);
  assert.equal(out.match(/^START RequestId/gm)?.length, 4);
});
