// `alonzo serve` as a user runs it: settings from the environment, a graceful Ctrl-C, and data that survives a restart.
import { serveProcess } from '../helpers/serve.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateFunctionCommand, GetFunctionCommand } from '@aws-sdk/client-lambda';
import { lambdaClient, zipOf, ROLE } from '../helpers/alonzo.js';
import { REPO_ROOT } from '../helpers/paths.js';

const serve = (dataDir: string) => serveProcess(dataDir, {}, 10_000);

const exited = (p: ChildProcess) => new Promise<number | null>((r) => p.on('exit', (code) => r(code)));

test('serve takes ALONZO_* settings, stops cleanly on SIGINT, and keeps functions across a restart', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'alonzo-serve-'));
  try {
    const first = await serve(dataDir);
    const c1 = lambdaClient(first.url);
    await c1.send(new CreateFunctionCommand({ FunctionName: 'kept', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: await zipOf({ 'index.js': 'exports.handler=async()=>1' }) } }));
    c1.destroy();
    assert.ok(existsSync(join(dataDir, 'alonzo.db')), 'the store lives in the data dir');
    const done = exited(first.proc);
    first.proc.kill('SIGINT');
    assert.equal(await done, 0, first.output());
    assert.match(first.output(), /Stopping/);

    const second = await serve(dataDir);
    const c2 = lambdaClient(second.url);
    const got = await c2.send(new GetFunctionCommand({ FunctionName: 'kept' }));
    assert.equal(got.Configuration?.State, 'Active');
    assert.equal(got.Configuration?.Runtime, 'nodejs20.x');
    c2.destroy();
    const done2 = exited(second.proc);
    second.proc.kill('SIGTERM');
    assert.equal(await done2, 0);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

/** Runs `alonzo serve` expecting it to refuse to start; resolves with its exit code and output. */
function refused(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const proc = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'alonzo.js'), 'serve'], { env: { ...process.env, ALONZO_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (c) => (out += c));
  proc.stderr!.on('data', (c) => (out += c));
  const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
  return new Promise((resolve) => proc.on('exit', (code) => (clearTimeout(timer), resolve({ code, out }))));
}

test('one server per data dir: a second one refuses to start, names the holder, and changes nothing', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'alonzo-serve-'));
  try {
    const first = await serve(dataDir);
    const second = await refused({ ALONZO_PORT: '0', ALONZO_DATA_DIR: dataDir });
    assert.equal(second.code, 1);
    assert.equal(second.out, `✘ The data directory ${dataDir} is in use by another Alonzo server (process ${first.proc.pid}).\n  Stop that server first, or give this one another directory with --data-dir.\n`);
    // The first one is unharmed and still serves.
    const c = lambdaClient(first.url);
    await c.send(new CreateFunctionCommand({ FunctionName: 'still', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: await zipOf({ 'index.js': 'exports.handler=async()=>1' }) } }));
    c.destroy();
    // After a kill -9 the lock's holder is gone: a new server takes the directory.
    first.proc.kill('SIGKILL');
    await exited(first.proc);
    const third = await serve(dataDir);
    const done = exited(third.proc);
    third.proc.kill('SIGTERM');
    assert.equal(await done, 0, third.output());
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a busy port or a data dir that is a file: one line saying what happened and how to fix it, exit 1, no stack', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'alonzo-serve-'));
  const other = mkdtempSync(join(tmpdir(), 'alonzo-serve-'));
  let first: Awaited<ReturnType<typeof serve>> | undefined;
  try {
    first = await serve(dataDir);
    const port = new URL(first.url).port;
    const busy = await refused({ ALONZO_PORT: port, ALONZO_DATA_DIR: other });
    assert.equal(busy.code, 1);
    assert.equal(busy.out, `✘ Port ${port} on 127.0.0.1 is already in use.\n  Stop what listens there (another Alonzo?), or choose another port with --port (ALONZO_PORT).\n`);
    // The refused server let go of its own data dir: it can be served now.
    assert.equal(existsSync(join(other, 'server.lock')), false);
    const file = join(other, 'not-a-dir');
    (await import('node:fs')).writeFileSync(file, 'x');
    const notDir = await refused({ ALONZO_PORT: '0', ALONZO_DATA_DIR: file });
    assert.equal(notDir.code, 1);
    assert.match(notDir.out, /^✘ The data directory .*not-a-dir cannot be used: .*\n {2}Give a directory this user can create and write with --data-dir \(ALONZO_DATA_DIR\)\.\n$/);
    assert.doesNotMatch(notDir.out, /\n\s+at /, 'no stack trace');
  } finally {
    // Stopped whatever failed above: a server left running would hold the test process (and its data dir) forever.
    if (first) {
      const done = exited(first.proc);
      first.proc.kill('SIGTERM');
      await done;
    }
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(other, { recursive: true, force: true });
  }
});
