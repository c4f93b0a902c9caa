// The CLI's grammar: --help on every command, -h, --version, strict flags and arguments, and start-up and outfile
// errors as one line of what happened and one of how to fix it (exit 1, no stack).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync, readFileSync, chmodSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { main } from '../../src/cli/main.js';
import { startAlonzo, type TestServer } from '../helpers/alonzo.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { CREDENTIALS } from '../helpers/sign.js';

let s: TestServer;
let dir: string;
before(async () => {
  process.env.AWS_ACCESS_KEY_ID = CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = CREDENTIALS.secretAccessKey;
  s = await startAlonzo();
  dir = mkdtempSync(join(tmpdir(), 'alonzo-cli-strict-'));
});
after(async () => {
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

async function run(...argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (x) => (out += x), err: (x) => (err += x) });
  return { code, out, err };
}

const COMMANDS = ['serve', 'dev', 'invoke', 'deploy', 'function', 'logs', 'events', 'keys', 'cluster'];

test('every command has --help and -h (exit 0, its own usage), also as alonzo help COMMAND', async () => {
  for (const c of COMMANDS) {
    const long = await run(c, '--help');
    assert.equal(long.code, 0, `${c}: ${long.err}`);
    assert.match(long.out, new RegExp(`^Usage: alonzo ${c}`), c);
    assert.equal(long.err, '');
    const short = await run(c, '-h');
    assert.equal(short.out, long.out, `${c} -h`);
    const viaHelp = await run('help', c);
    assert.equal(viaHelp.out, long.out, `help ${c}`);
  }
  const top = await run('-h');
  assert.equal(top.code, 0);
  assert.match(top.out, /^Usage: alonzo <command>/);
  for (const c of COMMANDS) assert.match(top.out, new RegExp(`\\n  ${c}\\b`), `the usage lists ${c}`);
});

test('--version prints the package version', async () => {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
  const v = await run('--version');
  assert.equal(v.code, 0);
  assert.equal(v.out, `alonzo ${pkg.version}\n`);
});

test('unknown flags, flags without their value and extra arguments are errors on every command', async () => {
  for (const c of COMMANDS) {
    const r = await run(c, '--no-such-flag', 'x');
    assert.equal(r.code, 1, c);
    assert.equal(r.err, `✘ Unknown option '--no-such-flag'.\n  See alonzo ${c} --help.\n`, c);
    assert.equal(r.out, '');
  }
  const extra: [string[], string][] = [
    [['serve', 'now'], 'now'],
    [['invoke', '--function-name', 'f', 'out.json', 'more'], 'more'],
    [['deploy', 'dir', 'other', '--name', 'n'], 'other'],
    [['logs', 'a', 'b'], 'b'],
    [['cluster', 'status', 'x'], 'x'],
    [['keys', 'delete', 'AKID', 'extra'], 'extra'],
  ];
  for (const [argv, word] of extra) {
    const r = await run(...argv);
    assert.equal(r.code, 1, argv.join(' '));
    assert.match(r.err, new RegExp(`^✘ Unexpected argument '${word}'\\.\\n  See alonzo ${argv[0]} --help\\.\\n$`), argv.join(' '));
  }
  const noValue = await run('invoke', 'out.json', '--function-name');
  assert.equal(noValue.code, 1);
  assert.match(noValue.err, /^✘ .*--function-name.*\n  See alonzo invoke --help\.\n$/);
  const unknown = await run('frobnicate');
  assert.equal(unknown.code, 1);
  assert.match(unknown.err, /^✘ Unknown command 'frobnicate'\.\n  Commands: .*cluster, deploy, dev, events, function, invoke, keys, logs, runtimes, serve/);
});

test('deploy --env keeps a value with = in it whole; invoke writes to - and says when it cannot write its outfile', async () => {
  const src = join(dir, 'fn');
  mkdirSync(src);
  writeFileSync(join(src, 'index.js'), 'exports.handler = async () => process.env.AA;');
  const ep = ['--endpoint-url', s.url];
  const d = await run('deploy', src, '--name', 'strict-env', '--runtime', 'nodejs20.x', '--handler', 'index.handler', '--env', 'AA=b=c,BB=', ...ep);
  assert.equal(d.code, 0, d.err);
  const out = await run('invoke', '--function-name', 'strict-env', '-', ...ep);
  assert.equal(out.code, 0, out.err);
  assert.equal(out.out.split('\n')[0], '"b=c"', 'the payload on standard output, then the status');
  assert.match(out.out, /"StatusCode": 200/);
  const badEnv = await run('deploy', src, '--name', 'strict-env', '--env', 'NOEQUALS', ...ep);
  assert.equal(badEnv.code, 1);
  assert.match(badEnv.err, /^✘ --env NOEQUALS is not KEY=VALUE\./);
  for (const [target, why] of [
    [join(dir, 'missing', 'out.json'), 'its folder does not exist'],
    [dir, 'it is a folder'],
  ]) {
    const r = await run('invoke', '--function-name', 'strict-env', target, ...ep);
    assert.equal(r.code, 1, target);
    assert.equal(r.err, `✘ Cannot write the response to ${target} (${why}); the function did run.\n  Give a file you can write, or - for standard output.\n`);
  }
  if (process.getuid?.() !== 0) {
    const ro = join(dir, 'ro');
    mkdirSync(ro);
    chmodSync(ro, 0o555);
    const r = await run('invoke', '--function-name', 'strict-env', join(ro, 'out.json'), ...ep);
    assert.match(r.err, /\(permission denied\)/);
  }
});

test('serve: a busy port, a data dir in use, a data dir that is a file — one line each, exit 1, no stack', async () => {
  const busy: Server = createServer();
  await new Promise<void>((ok) => busy.listen(0, '127.0.0.1', () => ok()));
  after(() => busy.close());
  const port = String((busy.address() as AddressInfo).port);
  const port1 = await run('serve', '--port', port, '--data-dir', join(dir, 'd1'), '--log-level', 'silent');
  assert.equal(port1.code, 1);
  assert.equal(port1.err, `✘ Port ${port} on 127.0.0.1 is already in use.\n  Stop what listens there (another Alonzo?), or choose another port with --port (ALONZO_PORT).\n`);
  const inUse = await run('serve', '--port', '0', '--data-dir', s.dataDir, '--log-level', 'silent');
  assert.equal(inUse.code, 1);
  assert.match(inUse.err, /^✘ The data directory .* is in use by another Alonzo server \(process \d+\)\.\n  Stop that server first, or give this one another directory with --data-dir\.\n$/);
  const file = join(dir, 'a-file');
  writeFileSync(file, '');
  const isFile = await run('serve', '--port', '0', '--data-dir', file, '--log-level', 'silent');
  assert.equal(isFile.code, 1);
  assert.equal(isFile.err, `✘ The data directory ${file} cannot be used: it is a file, not a directory.\n  Give a directory this user can create and write with --data-dir (ALONZO_DATA_DIR).\n`);
  // The same from the installed bin: nothing but those two lines on stderr.
  const viaBin = await new Promise<{ code: number; stderr: string }>((resolve) =>
    execFile(process.execPath, [join(REPO_ROOT, 'bin', 'alonzo.js'), 'serve', '--port', port, '--data-dir', join(dir, 'd2'), '--log-level', 'silent'], (e, _o, stderr) => resolve({ code: (e as { code?: number } | null)?.code ?? 0, stderr })),
  );
  assert.equal(viaBin.code, 1);
  assert.equal(viaBin.stderr.split('\n').filter(Boolean).length, 2, viaBin.stderr);
});

test('function list|get|delete (and create, as deploy): noun and verb, --json, and their mistakes', async () => {
  const src = join(dir, 'fn-noun');
  mkdirSync(src);
  writeFileSync(join(src, 'index.js'), 'exports.handler = async () => 1;');
  const ep = ['--endpoint-url', s.url];
  const created = await run('function', 'create', src, '--name', 'noun-fn', '--runtime', 'nodejs20.x', '--handler', 'index.handler', ...ep);
  assert.equal(created.code, 0, created.err);
  const list = await run('function', 'list', '--json', ...ep);
  assert.equal(list.code, 0, list.err);
  assert.ok(JSON.parse(list.out).Functions.some((f: { FunctionName: string }) => f.FunctionName === 'noun-fn'));
  const table = await run('function', 'list', ...ep);
  assert.match(table.out, /^NAME +RUNTIME +MEMORY +TIMEOUT +LAST MODIFIED\n/);
  assert.match(table.out, /\nnoun-fn +nodejs20\.x +128 MB +3 s +\d{4}-/);
  const got = await run('function', 'get', 'noun-fn', '--json', ...ep);
  assert.equal(JSON.parse(got.out).Configuration.Handler, 'index.handler');
  const text = await run('function', 'get', 'noun-fn', ...ep);
  assert.match(text.out, /^noun-fn  arn:aws:lambda:us-east-1:000000000000:function:noun-fn\n  Runtime nodejs20\.x, handler index\.handler, 128 MB, 3 s\n/);
  const del = await run('function', 'delete', 'noun-fn', ...ep);
  assert.deepEqual(del, { code: 0, out: 'Deleted noun-fn.\n', err: '' });
  const gone = await run('function', 'get', 'noun-fn', ...ep);
  assert.equal(gone.code, 254);
  assert.match(gone.err, /ResourceNotFoundException/);
  const noVerb = await run('function', ...ep);
  assert.equal(noVerb.err, '✘ function needs a command: create, list, get or delete.\n  Write: alonzo function list, alonzo function get NAME, alonzo function delete NAME, or alonzo function create DIR --name NAME --runtime R --handler H.\n');
  const badVerb = await run('function', 'purge', ...ep);
  assert.match(badVerb.err, /^✘ Unknown function command 'purge'\./);
  const noName = await run('function', 'get', ...ep);
  assert.match(noName.err, /^✘ function get needs a function name\./);
});
