// The filesystem an environment sees: its own /tmp and its code read-only at /var/task (a mount namespace, as on
// Lambda), or host paths with a TMPDIR of its own when isolation is 'none'.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { CreateFunctionCommand, InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { startAlonzo, zipOf, ROLE, type TestServer } from '../helpers/alonzo.js';

const CODE = `
const fs = require('node:fs');
exports.handler = async (event, context) => {
  if (event.throw) throw new Error('from the task root');
  if (event.hold) await new Promise((r) => setTimeout(r, event.hold));
  const marker = '/tmp/marker-' + context.awsRequestId;
  fs.writeFileSync(marker, 'x');
  let roError = null;
  try { fs.writeFileSync(process.env.LAMBDA_TASK_ROOT + '/new-file', 'x'); } catch (e) { roError = e.code; }
  return {
    taskRoot: process.env.LAMBDA_TASK_ROOT,
    runtimeDir: process.env.LAMBDA_RUNTIME_DIR,
    tmpdir: process.env.TMPDIR ?? null,
    cwd: process.cwd(),
    file: __filename,
    marker,
    tmpEntries: fs.readdirSync('/tmp').filter((n) => n.startsWith('marker-')).length,
    roError,
  };
};
`;

async function call(client: LambdaClient, name: string, event: object) {
  const r = await client.send(new InvokeCommand({ FunctionName: name, Payload: JSON.stringify(event) }));
  return { err: r.FunctionError, body: JSON.parse(Buffer.from(r.Payload!).toString()) };
}

let s: TestServer;
before(async () => {
  if (process.getuid?.() !== 0) throw new Error('this test needs root: the sandbox (isolation "sandbox") needs root');
  s = await startAlonzo({ isolation: 'sandbox' });
  await s.client.send(new CreateFunctionCommand({ FunctionName: 'sb', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: await zipOf({ 'index.js': CODE }) } }));
});
after(() => s?.close());

test('namespace: the code is at /var/task (cwd, LAMBDA_TASK_ROOT, stack traces) and read-only even for root', async () => {
  const { body } = await call(s.client, 'sb', {});
  assert.equal(body.taskRoot, '/var/task');
  assert.equal(body.runtimeDir, '/var/runtime/node', 'the built-in runtime is mounted where Lambda keeps it');
  assert.equal(body.cwd, '/var/task');
  assert.equal(body.file, '/var/task/index.js');
  assert.equal(body.tmpdir, null, 'Lambda sets no TMPDIR');
  assert.equal(body.roError, 'EROFS');
  const thrown = await call(s.client, 'sb', { throw: true });
  assert.equal(thrown.err, 'Unhandled');
  assert.ok(thrown.body.trace.some((l: string) => l.includes('/var/task/index.js')), thrown.body.trace.join('\n'));
});

test('namespace: each environment has its own /tmp, hidden from the host and from the other environments', async () => {
  // Two at once: two environments.
  const [a, b] = await Promise.all([call(s.client, 'sb', { hold: 300 }), call(s.client, 'sb', { hold: 300 })]);
  for (const r of [a, b]) {
    assert.ok(!existsSync(r.body.marker), `${r.body.marker} must not appear in the host's /tmp`);
  }
  // Each environment sees only the markers it wrote itself (this one, plus those of its earlier invocations).
  const seen = [a.body.tmpEntries, b.body.tmpEntries].sort();
  assert.ok(seen[0] >= 1 && seen[1] >= 1);
  const total = (await call(s.client, 'sb', {})).body.tmpEntries;
  assert.ok(total < 4, `a warm environment sees its own markers only (saw ${total})`);
});

test("isolation 'none': host paths, with a TMPDIR of the environment's own", async () => {
  const plain = await startAlonzo({ isolation: 'none' });
  try {
    await plain.client.send(new CreateFunctionCommand({ FunctionName: 'sb', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: await zipOf({ 'index.js': CODE }) } }));
    const { body } = await call(plain.client, 'sb', {});
    assert.notEqual(body.taskRoot, '/var/task');
    assert.ok(body.taskRoot.startsWith(plain.dataDir), body.taskRoot);
    assert.ok(body.tmpdir && body.tmpdir.startsWith(plain.dataDir), String(body.tmpdir));
  } finally {
    await plain.close();
  }
});
