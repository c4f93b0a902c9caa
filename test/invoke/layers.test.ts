// Real layers through the JavaScript SDK: a node_modules layer shared by two functions, a Python package layer, a
// later layer's file over an earlier one's, /opt/bin and /opt/lib, a deleted version still serving the functions that
// use it, and what a hostile function can do with /opt (nothing: it is read-only). Run under the sandbox and without one.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  DeleteLayerVersionCommand,
  InvokeCommand,
  PublishLayerVersionCommand,
  UpdateFunctionConfigurationCommand,
  GetFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { startAlonzo, zipOf, type TestServer } from '../helpers/alonzo.js';
import { deploy, waitActive } from '../helpers/invoke.js';

const invokeJson = async (s: TestServer, fn: string, payload: unknown = {}) => {
  const r = await s.client.send(new InvokeCommand({ FunctionName: fn, Payload: Buffer.from(JSON.stringify(payload)) }));
  const text = Buffer.from(r.Payload ?? []).toString();
  assert.equal(r.FunctionError, undefined, `${fn} failed: ${text}`);
  return JSON.parse(text);
};

const publish = async (s: TestServer, name: string, files: Record<string, string | Buffer>, mode?: number) =>
  (await s.client.send(new PublishLayerVersionCommand({ LayerName: name, Content: { ZipFile: await zipOf(files, mode) } }))).LayerVersionArn!;

for (const isolation of ['auto', 'none'] as const) describe(`isolation ${isolation}`, () => {
  let s: TestServer;
  before(async () => {
    s = await startAlonzo({ isolation });
  });
  after(() => s.close());

  test(`[${isolation}] a node_modules layer is require()d by two functions; the versioned node20 path too`, async () => {
    const shared = await publish(s, `greet-${isolation}`, {
      'nodejs/node_modules/greet/index.js': "exports.greet = (n) => `hello ${n} from the layer`;\n",
      'nodejs/node20/node_modules/versioned/index.js': "exports.where = 'node20 path';\n",
    });
    const code = `const { greet } = require('greet'); const { where } = require('versioned');
exports.handler = async (e) => ({ text: greet(e.name), where, nodePath: process.env.NODE_PATH });\n`;
    for (const fn of [`uses-greet-a-${isolation}`, `uses-greet-b-${isolation}`]) {
      await deploy(s, fn, { zip: await zipOf({ 'index.js': code }), Layers: [shared] });
      const out = await invokeJson(s, fn, { name: fn });
      assert.equal(out.text, `hello ${fn} from the layer`);
      assert.equal(out.where, 'node20 path');
    }
    const cfg = await s.client.send(new GetFunctionConfigurationCommand({ FunctionName: `uses-greet-a-${isolation}` }));
    assert.deepEqual(
      cfg.Layers?.map((l) => l.Arn),
      [shared],
    );
    assert.ok((cfg.Layers?.[0].CodeSize ?? 0) > 0);
  });

  test(`[${isolation}] a Python layer: python/ and python/lib/python3.12/site-packages on sys.path, after the function's own`, async () => {
    const layer = await publish(s, `pylib-${isolation}`, {
      'python/toplevel.py': "WHO = 'python/'\n",
      'python/lib/python3.12/site-packages/sitepkg.py': "WHO = 'site-packages'\n",
      'python/shadowed.py': "WHO = 'layer'\n",
    });
    const fn = `uses-pylib-${isolation}`;
    await deploy(s, fn, {
      Runtime: 'python3.12',
      Handler: 'app.handler',
      Layers: [layer],
      zip: await zipOf({
        'app.py': 'import toplevel, sitepkg, shadowed\ndef handler(event, context):\n    return [toplevel.WHO, sitepkg.WHO, shadowed.WHO]\n',
        'shadowed.py': "WHO = 'function'\n",
      }),
    });
    assert.deepEqual(await invokeJson(s, fn), ['python/', 'site-packages', 'function']);
  });

  test(`[${isolation}] layers merge in order (a later one's file wins); /opt/bin is on PATH and /opt/lib on LD_LIBRARY_PATH`, async () => {
    const first = await publish(s, `first-${isolation}`, { 'nodejs/node_modules/which/index.js': "module.exports = 'first';\n", 'only-first.txt': 'one' });
    const second = await publish(s, `second-${isolation}`, { 'nodejs/node_modules/which/index.js': "module.exports = 'second';\n", 'bin/hello-tool': '#!/bin/sh\necho tool-ran\n' }, 0o755);
    const fn = `merge-${isolation}`;
    const code = `const { execFileSync } = require('node:child_process');
exports.handler = async () => ({ which: require('which'), tool: execFileSync('hello-tool').toString().trim(), ld: process.env.LD_LIBRARY_PATH, path: process.env.PATH });\n`;
    await deploy(s, fn, { zip: await zipOf({ 'index.js': code }), Layers: [first, second] });
    const out = await invokeJson(s, fn);
    assert.equal(out.which, 'second');
    assert.equal(out.tool, 'tool-ran');
    assert.match(out.ld, /\/lib$/);
    // The other order: the first layer's file wins now, in a new environment.
    await s.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: fn, Layers: [second, first] }));
    await waitActive(s, fn);
    assert.equal((await invokeJson(s, fn)).which, 'first');
    // No layers any more: the module is gone.
    await s.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: fn, Layers: [] }));
    await waitActive(s, fn);
    const r = await s.client.send(new InvokeCommand({ FunctionName: fn }));
    assert.equal(r.FunctionError, 'Unhandled');
    assert.match(Buffer.from(r.Payload!).toString(), /Cannot find module 'which'/);
    assert.equal((await s.client.send(new GetFunctionConfigurationCommand({ FunctionName: fn }))).Layers, undefined);
  });

  test(`[${isolation}] a deleted layer version keeps serving the functions that use it`, async () => {
    const arn = await publish(s, `doomed-${isolation}`, { 'nodejs/node_modules/doomed/index.js': "module.exports = 'still here';\n" });
    const fn = `keeps-doomed-${isolation}`;
    await deploy(s, fn, { zip: await zipOf({ 'index.js': "exports.handler = async () => require('doomed');\n" }), Layers: [arn] });
    await s.client.send(new DeleteLayerVersionCommand({ LayerName: `doomed-${isolation}`, VersionNumber: 1 }));
    assert.equal(await invokeJson(s, fn), 'still here');
    // A new environment too (a configuration change retires the old one).
    await s.client.send(new UpdateFunctionConfigurationCommand({ FunctionName: fn, Description: 'new environment' }));
    await waitActive(s, fn);
    assert.equal(await invokeJson(s, fn), 'still here');
  });
});

test('a hostile function cannot change a layer: /opt is read-only, and another function still sees the original', async () => {
  const s = await startAlonzo({ isolation: 'auto' });
  try {
    const arn = await publish(s, 'victim-lib', { 'nodejs/node_modules/victim/index.js': "module.exports = 'original';\n" });
    const attacker = `const fs = require('node:fs');
exports.handler = async () => {
  const tries = {};
  for (const [what, act] of Object.entries({
    write: () => fs.writeFileSync('/opt/nodejs/node_modules/victim/index.js', "module.exports = 'owned';"),
    create: () => fs.writeFileSync('/opt/new-file', 'x'),
    chmod: () => fs.chmodSync('/opt/nodejs/node_modules/victim/index.js', 0o777),
    unlink: () => fs.unlinkSync('/opt/nodejs/node_modules/victim/index.js'),
    rename: () => fs.renameSync('/opt/nodejs', '/opt/elsewhere'),
  })) {
    try { act(); tries[what] = 'succeeded'; } catch (e) { tries[what] = e.code; }
  }
  return tries;
};\n`;
    await deploy(s, 'layer-attacker', { zip: await zipOf({ 'index.js': attacker }), Layers: [arn] });
    const tries = await invokeJson(s, 'layer-attacker');
    for (const [what, result] of Object.entries(tries)) assert.notEqual(result, 'succeeded', `${what} on /opt succeeded`);
    await deploy(s, 'layer-victim', { zip: await zipOf({ 'index.js': "exports.handler = async () => require('victim');\n" }), Layers: [arn] });
    assert.equal(await invokeJson(s, 'layer-victim'), 'original');
  } finally {
    await s.close();
  }
});
