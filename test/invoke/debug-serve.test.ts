// serve's debugFunction (`alonzo serve --debug-function NAME --debug-port P`): a function deployed through the API
// waits for a debugger, a Chrome DevTools Protocol client (as VS Code's "Attach" speaks it) hits a breakpoint and
// reads a variable, the held invocation outlives its Timeout, and a second invocation meanwhile is throttled (one
// environment, one debugger port). Other functions are untouched.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { CreateFunctionCommand, InvokeCommand, TooManyRequestsException } from '@aws-sdk/client-lambda';
import { startAlonzo, zipOf } from '../helpers/alonzo.js';
import { FIXTURES } from '../helpers/paths.js';

const ROLE = 'arn:aws:iam::000000000000:role/debug';
const CODE = `exports.handler = async (event) => {
  const greeting = 'hello ' + event.name;
  return { greeting };
};
`;

test('serve --debug-function: the function waits for a debugger; a breakpoint is hit, a variable read, its Timeout suspended; a second invoke meanwhile gets 429; others run as usual', { timeout: 120_000 }, async () => {
  const port = await new Promise<number>((ok) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => ok(p));
    });
  });
  const s = await startAlonzo({ debugFunction: 'dbg', debugPort: port });
  after(() => s.close());
  const zip = await zipOf({ 'index.js': CODE });
  await s.client.send(new CreateFunctionCommand({ FunctionName: 'dbg', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Timeout: 1, Code: { ZipFile: zip } }));
  await s.client.send(new CreateFunctionCommand({ FunctionName: 'other', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Timeout: 1, Code: { ZipFile: zip } }));

  const invoked = s.client.send(new InvokeCommand({ FunctionName: 'dbg', Payload: Buffer.from('{"name":"ada"}') }));
  const cdp = execFileResult(process.execPath, ['--experimental-websocket', join(FIXTURES, 'cdp', 'client.mjs'), String(port), 'index\\.js$', '2', 'greeting', '2500']);
  // While the first one is held at the breakpoint: one invocation at a time.
  await new Promise((r) => setTimeout(r, 1000));
  await assert.rejects(s.client.send(new InvokeCommand({ FunctionName: 'dbg', Payload: Buffer.from('{"name":"bob"}') })), (e: unknown) => e instanceof TooManyRequestsException);
  const other = await s.client.send(new InvokeCommand({ FunctionName: 'other', Payload: Buffer.from('{"name":"eve"}') }));
  assert.deepEqual(JSON.parse(Buffer.from(other.Payload!).toString()), { greeting: 'hello eve' });

  const seen = await cdp;
  assert.equal(seen.code, 0, seen.stderr);
  const got = JSON.parse(seen.stdout);
  assert.equal(got.value, 'hello ada');
  assert.equal(got.line, 2);
  const out = await invoked;
  assert.equal(out.FunctionError, undefined, Buffer.from(out.Payload ?? []).toString());
  assert.deepEqual(JSON.parse(Buffer.from(out.Payload!).toString()), { greeting: 'hello ada' });
});

function execFileResult(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(cmd, args, { timeout: 60_000 }, (e, stdout, stderr) => resolve({ code: (e as { code?: number } | null)?.code ?? 0, stdout, stderr })),
  );
}
