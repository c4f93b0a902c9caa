// Runtimes that are what they say: after the real `alonzo runtimes install nodejs22.x`, a nodejs22.x function runs on
// Node.js 22; each pythonX.Y on a Python X.Y of this machine where one exists (pyenv's, /usr/bin's); a runtime with no
// interpreter of its version still runs, on the nearest, and GetFunction says so for that function.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetFunctionCommand, InvokeCommand, type Runtime } from '@aws-sdk/client-lambda';
import { startAlonzo, zipOf, type TestServer } from '../helpers/alonzo.js';
import { deploy } from '../helpers/invoke.js';
import { alonzoCommand } from '../helpers/bundle.js';
import { findInterpreters } from '../../src/runtime/interpreters.js';

const dataDir = mkdtempSync(join(tmpdir(), 'alonzo-runtimes-'));
let s: TestServer;

const alonzo = alonzoCommand;

before(async () => {
  const installed = await alonzo('runtimes', 'install', 'nodejs22.x', '--data-dir', dataDir);
  assert.equal(installed.code, 0, installed.out);
  s = await startAlonzo({ dataDir });
});
after(async () => {
  await s?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const run = async (fn: string) => {
  const r = await s.client.send(new InvokeCommand({ FunctionName: fn }));
  const text = Buffer.from(r.Payload ?? []).toString();
  assert.equal(r.FunctionError, undefined, text);
  return JSON.parse(text);
};

test('nodejs22.x runs on the Node.js 22 that `alonzo runtimes install nodejs22.x` fetched; nodejs20.x on Node.js 20', async () => {
  const zip = await zipOf({ 'index.js': 'exports.handler = async () => process.version;\n' });
  await deploy(s, 'on-node22', { zip, Runtime: 'nodejs22.x' });
  await deploy(s, 'on-node20', { zip, Runtime: 'nodejs20.x' });
  assert.match(await run('on-node22'), /^v22\./);
  assert.match(await run('on-node20'), /^v20\./);
  const cfg = (await s.client.send(new GetFunctionCommand({ FunctionName: 'on-node22' }))).Configuration!;
  assert.match(cfg.RuntimeVersionConfig!.RuntimeVersionArn!, /runtime:alonzo-nodejs22\.x-22\./);
  assert.equal(cfg.RuntimeVersionConfig!.Error, undefined);
});

test('each pythonX.Y runs on a Python X.Y where this machine has one; one it lacks runs on the nearest, and says so', async () => {
  const found = findInterpreters({ dataDir, nodePath: process.execPath, pythonPath: '/usr/bin/python3' });
  const zip = await zipOf({ 'app.py': 'import sys\ndef handler(e, c):\n    return "%d.%d" % sys.version_info[:2]\n' });
  let exact = 0;
  for (const runtime of ['python3.9', 'python3.10', 'python3.11', 'python3.12', 'python3.13', 'python3.14'] as const) {
    const fn = `on-${runtime.replace('.', '-')}`;
    await deploy(s, fn, { zip, Runtime: runtime as Runtime, Handler: 'app.handler' });
    const ran = await run(fn);
    const i = found.get(runtime)!;
    const cfg = (await s.client.send(new GetFunctionCommand({ FunctionName: fn }))).Configuration!;
    if (i.exact) {
      exact++;
      assert.equal(ran, runtime.slice('python'.length), `${runtime} ran on Python ${ran}`);
      assert.equal(cfg.RuntimeVersionConfig!.Error, undefined);
    } else {
      // Still runs, on the default Python, and the function's configuration says which and how to fix it.
      assert.match(ran, /^3\.\d+$/);
      assert.equal(cfg.RuntimeVersionConfig!.Error?.ErrorCode, 'RuntimeVersionMismatch');
      assert.match(cfg.RuntimeVersionConfig!.Error!.Message!, new RegExp(`^${runtime.replace('.', '\\.')} runs on Python ${ran.replace('.', '\\.')}`));
    }
  }
  // Debian's /usr/bin/python3 is 3.11 on this machine kind: at least that one matches.
  assert.ok(exact >= 1, 'at least one Python runtime runs on its own version');
});

test('nodejs24.x without its Node.js: runs on the default, GetFunction names the mismatch and the command that fixes it', async () => {
  await deploy(s, 'on-node24', { zip: await zipOf({ 'index.js': 'exports.handler = async () => process.version;\n' }), Runtime: 'nodejs24.x' });
  assert.match(await run('on-node24'), /^v\d+\./);
  const cfg = (await s.client.send(new GetFunctionCommand({ FunctionName: 'on-node24' }))).Configuration!;
  if (/^v24\./.test(await run('on-node24'))) return assert.equal(cfg.RuntimeVersionConfig!.Error, undefined);
  assert.equal(cfg.RuntimeVersionConfig!.Error?.ErrorCode, 'RuntimeVersionMismatch');
  assert.match(cfg.RuntimeVersionConfig!.Error!.Message!, /alonzo runtimes install nodejs24\.x/);
});
