// `alonzo serve` as a user runs it: settings from the environment, a graceful Ctrl-C, and data that survives a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateFunctionCommand, GetFunctionCommand } from '@aws-sdk/client-lambda';
import { lambdaClient, zipOf, ROLE } from '../helpers/alonzo.js';
import { REPO_ROOT } from '../helpers/paths.js';

function serve(dataDir: string): Promise<{ proc: ChildProcess; url: string; output: () => string }> {
  const proc = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'alonzo.js'), 'serve'], {
    env: { ...process.env, ALONZO_PORT: '0', ALONZO_DATA_DIR: dataDir, ALONZO_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (c) => (out += c));
  proc.stderr!.on('data', (c) => (out += c));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 10_000);
    proc.stdout!.on('data', () => {
      const m = /serving the Lambda API on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve({ proc, url: m[1], output: () => out });
      }
    });
    proc.on('exit', () => reject(new Error(`server exited: ${out}`)));
  });
}

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
