// `alonzo dev --debug` on a Python function: debugpy (installed with `alonzo runtimes install debugpy`) waits for a
// debugger; a Debug Adapter Protocol client — the protocol VS Code's Python debugger speaks, through Microsoft's own DAP
// test client — attaches with VS Code's path mapping, sets a breakpoint by the local file, hits it, reads a variable,
// and holds it past the function's Timeout without a Sandbox.Timedout.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { lambdaClient } from '../helpers/alonzo.js';
import { alonzoCommand } from '../helpers/bundle.js';
import { copyApp, startDev, type DevRun } from '../helpers/dev.js';

const runs: DevRun[] = [];
const apps: string[] = [];
after(async () => {
  for (const r of runs) await r.stop();
  for (const a of apps) rmSync(dirname(a), { recursive: true, force: true });
});

const TEMPLATE = `Transform: AWS::Serverless-2016-10-31
Resources:
  PyDebug:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.11
      Timeout: 1
`;
const CODE = `def handler(event, context):
    greeting = "hello " + event["name"]
    return {"greeting": greeting}
`;

/**
 * Resolves once something listens on 127.0.0.1:port, read from /proc/net/tcp: a probe connection would be taken by
 * debugpy's adapter as its one debugger.
 */
async function listening(port: number): Promise<void> {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  while (!readFileSync('/proc/net/tcp', 'latin1').split('\n').some((l) => l.trim().split(/\s+/)[1] === local && l.trim().split(/\s+/)[3] === '0A')) {
    await new Promise((r) => setTimeout(r, 100));
  }
}

const freePort = () =>
  new Promise<number>((ok) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => ok(p));
    });
  });

test('--debug on a Python function: a DAP client attaches to debugpy, hits a breakpoint set by local path, reads a variable, and the held invocation does not time out', { timeout: 300_000 }, async () => {
  const dir = copyApp('python-hello');
  apps.push(dir);
  writeFileSync(join(dir, 'template.yaml'), TEMPLATE);
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'app.py'), CODE);
  const port = await freePort();
  const r = await startDev(dir, ['--debug', 'PyDebug', '--debug-port', String(port)]);
  runs.push(r);
  assert.match(r.output(), new RegExp(`Debugger: PyDebug starts under debugpy on 127\\.0\\.0\\.1:${port}`));
  // Into the data dir's runtime SDK, which every environment started from now on has on sys.path.
  const installed = await alonzoCommand('runtimes', 'install', 'debugpy', '--data-dir', r.dataDir);
  assert.equal(installed.code, 0, installed.out);
  assert.match(installed.out, /✔ debugpy in /);

  const client = lambdaClient(r.url);
  after(() => client.destroy());
  const invoked = client.send(new InvokeCommand({ FunctionName: 'PyDebug', Payload: Buffer.from('{"name":"ada"}') }));
  // The environment starts on that invoke; debugpy then listens (its line goes to the function's log).
  await listening(port);

  const dc = new DebugClient('unused', 'unused', 'python');
  await dc.start(port);
  after(() => dc.stop().catch(() => undefined));
  await dc.initializeRequest({ adapterID: 'debugpy', clientID: 'vscode', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true });
  // As VS Code's launch.json "attach" with pathMappings: the local folder is /var/task in the environment.
  const attached = dc.attachRequest({ justMyCode: false, pathMappings: [{ localRoot: join(dir, 'src'), remoteRoot: '/var/task' }] } as never);
  await dc.waitForEvent("initialized");
  const bp = await dc.setBreakpointsRequest({ source: { path: join(dir, 'src', 'app.py') }, breakpoints: [{ line: 3 }] });
  assert.equal(bp.body.breakpoints.length, 1);
  // Listening before the configuration is done: the breakpoint may be hit at once.
  const hit = dc.waitForEvent('stopped');
  await dc.configurationDoneRequest();
  await attached;
  const stopped = (await hit) as { body: { reason: string; threadId: number } };
  assert.equal(stopped.body.reason, 'breakpoint');
  const stack = await dc.stackTraceRequest({ threadId: stopped.body.threadId });
  const top = stack.body.stackFrames[0];
  assert.equal(top.name, 'handler');
  assert.equal(top.line, 3);
  assert.equal(top.source?.path, join(dir, 'src', 'app.py'), 'the frame is mapped back to the local file');
  const scopes = await dc.scopesRequest({ frameId: top.id });
  const locals = await dc.variablesRequest({ variablesReference: scopes.body.scopes[0].variablesReference });
  const greeting = locals.body.variables.find((v) => v.name === 'greeting');
  assert.equal(greeting?.value, "'hello ada'");
  // Held at the breakpoint for 2.5 s, more than the function's Timeout of 1 s.
  await new Promise((ok) => setTimeout(ok, 2500));
  await dc.continueRequest({ threadId: stopped.body.threadId });
  const out = await invoked;
  assert.equal(out.FunctionError, undefined, Buffer.from(out.Payload ?? []).toString());
  assert.deepEqual(JSON.parse(Buffer.from(out.Payload!).toString()), { greeting: 'hello ada' });
});

test('--debug on a Python function without debugpy: the invocation fails at init and says how to install it', { timeout: 120_000 }, async () => {
  const dir = copyApp('python-hello');
  apps.push(dir);
  writeFileSync(join(dir, 'template.yaml'), TEMPLATE);
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'app.py'), CODE);
  const r = await startDev(dir, ['--debug', 'PyDebug', '--debug-port', String(await freePort())]);
  runs.push(r);
  const client = lambdaClient(r.url);
  after(() => client.destroy());
  const out = await client.send(new InvokeCommand({ FunctionName: 'PyDebug', Payload: Buffer.from('{"name":"ada"}') }));
  assert.equal(out.FunctionError, 'Unhandled');
  const error = JSON.parse(Buffer.from(out.Payload!).toString());
  assert.equal(error.errorType, 'Runtime.DebuggerUnavailable');
  assert.match(error.errorMessage, /alonzo runtimes install debugpy/);
});
