// `alonzo dev` as a developer runs it: a child process in a SAM project (fixture apps in the shape `sam init` gives),
// reached through its API routes with fetch, through `aws lambda invoke` and the SDK; hot reload by editing the copy.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { InvokeCommand } from '@aws-sdk/client-lambda';
import { lambdaClient, runAws } from '../helpers/alonzo.js';
import { copyApp, startDev, runDevToEnd, type DevRun } from '../helpers/dev.js';
import { startSink } from '../helpers/sink.js';

const runs: DevRun[] = [];
const apps: string[] = [];
after(async () => {
  for (const r of runs) await r.stop();
  for (const a of apps) rmSync(dirname(a), { recursive: true, force: true });
});

async function dev(app: string, args: string[] = [], env: Record<string, string> = {}): Promise<DevRun> {
  const dir = copyApp(app);
  apps.push(dir);
  const r = await startDev(dir, args, env);
  runs.push(r);
  return r;
}

async function awsInvoke(r: DevRun, name: string, payload: string): Promise<{ meta: any; body: any }> {
  const out = join(r.dir, '..', `out-${name}-${Date.now()}.json`);
  const res = await runAws('v1', r.url, ['lambda', 'invoke', '--function-name', name, '--payload', payload, out]);
  assert.equal(res.code, 0, res.stderr);
  return { meta: JSON.parse(res.stdout), body: JSON.parse(readFileSync(out, 'utf8')) };
}

test('a Node.js hello-world app answers through its Api route (payload 1.0) and through aws lambda invoke', async () => {
  const r = await dev('node-hello');
  const res = await fetch(`${r.api}/hello`);
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.deepEqual({ ...body, requestId: typeof body.requestId }, { message: 'hello world', path: '/hello', method: 'GET', stage: 'Prod', requestId: 'string' });
  // A method or path the template does not route: API Gateway's REST answer.
  const post = await fetch(`${r.api}/hello`, { method: 'POST' });
  assert.equal(post.status, 403);
  assert.deepEqual(await post.json(), { message: 'Missing Authentication Token' });
  const inv = await awsInvoke(r, 'HelloWorldFunction', '{}');
  assert.equal(inv.meta.StatusCode, 200);
  assert.equal(inv.body.statusCode, 200);
  assert.equal(JSON.parse(inv.body.body).message, 'hello world');
});

test('a Python hello-world app answers through its Api route and through aws lambda invoke', async () => {
  const r = await dev('python-hello');
  const res = await fetch(`${r.api}/hello?x=1`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { message: 'hello world', path: '/hello', method: 'GET', runtime: 'python' });
  const inv = await awsInvoke(r, 'HelloWorldFunction', '{"path":"/direct"}');
  assert.equal(JSON.parse(inv.body.body).path, '/direct');
  // Hot reload works for Python too: the next environment imports the saved module.
  const file = join(r.dir, 'hello_world', 'app.py');
  const mark = r.output().length;
  writeFileSync(file, readFileSync(file, 'utf8').replace('"hello world"', '"hello again"'));
  await r.waitFor(/↻ app\.py changed: HelloWorldFunction will run the new code/, mark);
  assert.equal((await (await fetch(`${r.api}/hello`)).json()).message, 'hello again');
});

test('parameters, Globals, a local layer, Sub/GetAtt, HttpApi and Api routes with path parameters, a function URL, a plain AWS::Lambda::Function', async () => {
  const r = await dev('features', ['--parameter-overrides', 'Greeting=hey']);
  const res = await fetch(`${r.api}/hello/ann%20b?q=1&q=2`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-route'), 'GET /hello/{name}');
  const v2 = await res.json();
  assert.equal(v2.text, 'hey, ann b!', 'the layer module, the parameter override, the decoded path parameter');
  assert.equal(v2.version, '2.0');
  assert.deepEqual(v2.query, { q: '1,2' });
  assert.equal(v2.stage, 'dev', 'Globals.Function.Environment merged with the function\'s own');
  assert.equal(v2.memory, '256', 'Globals.Function.MemorySize');
  assert.equal(v2.selfArn, 'arn:aws:lambda:us-east-1:000000000000:function:GreetFunction');
  assert.equal(v2.peer, 'peer-fn in us-east-1');
  // HttpApi routes only GET there; the REST route takes ANY method under /rest/ (greedy proxy parameter).
  assert.equal((await fetch(`${r.api}/hello/ann`, { method: 'DELETE' })).status, 404);
  const rest = await fetch(`${r.api}/rest/a/b`, { method: 'PUT', body: '{"x":1}', headers: { 'content-type': 'application/json' } });
  assert.equal(rest.status, 200);
  const v1 = await rest.json();
  assert.deepEqual([v1.version, v1.resource, v1.method, v1.text, v1.body], ['1.0', '/rest/{proxy+}', 'PUT', 'hey, a/b!', '{"x":1}']);
  // The function URL (AuthType NONE), on its path form.
  const m = /URL: http:\/\/([a-z0-9]{32})\.lambda-url/.exec(r.output());
  assert.ok(m, r.output());
  const viaUrl = await fetch(`${r.url}/_alonzo/url/${m[1]}/hello`);
  assert.equal(viaUrl.status, 200);
  assert.equal((await viaUrl.json()).text, 'hey, nobody!');
  // The Python function declared as AWS::Lambda::Function, through the SDK.
  const client = lambdaClient(r.url);
  try {
    const out = await client.send(new InvokeCommand({ FunctionName: 'peer-fn', Payload: Buffer.from('{"k":2}') }));
    assert.deepEqual(JSON.parse(Buffer.from(out.Payload!).toString()), { peer: 'peer-fn', got: { k: 2 } });
  } finally {
    client.destroy();
  }
  assert.match(r.output(), /Not run locally: event GreetFunction\.Nightly \(Schedule\)/);
  // A saved file of the layer publishes it again and the function moves to the new version.
  const mark = r.output().length;
  const layerFile = join(r.dir, 'greeter-layer', 'nodejs', 'node_modules', 'greeter', 'index.js');
  writeFileSync(layerFile, readFileSync(layerFile, 'utf8').replace('`${greeting}, ${name}!`', '`${greeting}; ${name}?`'));
  await r.waitFor(/Published layer greeter version 2[\s\S]*Template applied\./, mark);
  assert.equal((await (await fetch(`${r.api}/hello/ann`)).json()).text, 'hey; ann?');
});

const SLOW_TEMPLATE = `Transform: AWS::Serverless-2016-10-31
Resources:
  SlowFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: app/
      Handler: index.handler
      Runtime: nodejs20.x
      Timeout: 20
`;
const slowCode = (version: string) => `const VERSION = ${JSON.stringify(version)};
export const handler = async (e) => {
  if (e.started) {
    await fetch(e.started, { method: 'POST', body: JSON.stringify({ version: VERSION }) });
    while (!(await (await fetch(e.release)).json()).some((r) => r.go)) await new Promise((r) => setTimeout(r, 20));
  }
  return { version: VERSION };
};
`;

test('hot reload: after a save the next invoke runs the new code; an invocation in flight finishes on the old code', async () => {
  const sink = await startSink();
  after(() => sink.close());
  const dir = copyApp('node-hello');
  apps.push(dir);
  writeFileSync(join(dir, 'template.yaml'), SLOW_TEMPLATE);
  mkdirSync(join(dir, 'app'));
  writeFileSync(join(dir, 'app', 'index.mjs'), slowCode('v1'));
  const r = await startDev(dir);
  runs.push(r);
  const client = lambdaClient(r.url);
  after(() => client.destroy());
  const call = async (payload: object) => JSON.parse(Buffer.from((await client.send(new InvokeCommand({ FunctionName: 'SlowFunction', Payload: Buffer.from(JSON.stringify(payload)) }))).Payload!).toString());
  assert.deepEqual(await call({}), { version: 'v1' });
  // One invocation held in flight (it waits for the test's go on the sink) while the code changes.
  const inFlight = call({ started: sink.url('started'), release: sink.url('release') });
  while (sink.records('started').length === 0) await new Promise((res) => setTimeout(res, 20));
  for (const [i, version] of ['v2', 'v3'].entries()) {
    const mark = r.output().length;
    writeFileSync(join(dir, 'app', 'index.mjs'), slowCode(version));
    await r.waitFor(/↻ index\.mjs changed: SlowFunction will run the new code/, mark);
    assert.deepEqual(await call({}), { version }, `save ${i + 1}: the very next invoke`);
    assert.deepEqual(await call({}), { version });
  }
  sink.add('release', { go: true });
  assert.deepEqual(await inFlight, { version: 'v1' }, 'the invocation in flight finished on the code it started with');
});

test('the template is read again when saved: a new function appears, a removed one goes, a changed variable applies', async () => {
  const dir = copyApp('node-hello');
  apps.push(dir);
  const r = await startDev(dir);
  runs.push(r);
  const original = readFileSync(join(dir, 'template.yaml'), 'utf8');
  const added = original
    .replace('Timeout: 3', 'Timeout: 3\n    Environment:\n      Variables:\n        WHO: globals')
    .replace('Resources:\n', 'Resources:\n  EnvFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: env/\n      Handler: env.handler\n      Runtime: nodejs20.x\n');
  mkdirSync(join(dir, 'env'));
  writeFileSync(join(dir, 'env', 'env.mjs'), 'export const handler = async () => ({ who: process.env.WHO });\n');
  let mark = r.output().length;
  writeFileSync(join(dir, 'template.yaml'), added);
  await r.waitFor(/Template applied\./, mark);
  assert.deepEqual((await awsInvoke(r, 'EnvFunction', '{}')).body, { who: 'globals' });
  mark = r.output().length;
  writeFileSync(join(dir, 'template.yaml'), added.replace(/  EnvFunction:[\s\S]*?Runtime: nodejs20.x\n/, ''));
  await r.waitFor(/Deleted EnvFunction \(no longer in the template\)[\s\S]*Template applied\./, mark);
  const gone = await runAws('v1', r.url, ['lambda', 'get-function', '--function-name', 'EnvFunction']);
  assert.notEqual(gone.code, 0);
  assert.match(gone.stderr, /ResourceNotFoundException/);
  // A template that no longer reads is reported, and what was deployed stays.
  mark = r.output().length;
  writeFileSync(join(dir, 'template.yaml'), `${original}\n  Broken: [\n`);
  await r.waitFor(/✘ The template .* is not valid YAML[\s\S]*The previous state stays deployed\./, mark);
  assert.equal((await fetch(`${r.api}/hello`)).status, 200);
});

test('what alonzo dev cannot run is one clear line and exit 1, before anything starts', async () => {
  const dir = copyApp('node-hello');
  apps.push(dir);
  const t = readFileSync(join(dir, 'template.yaml'), 'utf8');
  const cases: [string, RegExp][] = [
    [t.replace('Runtime: nodejs20.x', 'Runtime: !ImportValue SharedRuntime'), /Resources\.HelloWorldFunction\.Properties\.Runtime: Fn::ImportValue is not supported by alonzo dev\./],
    [t.replace('CodeUri: hello-world/', 'CodeUri: s3://bucket/key.zip'), /CodeUri is s3:\/\/bucket\/key\.zip: alonzo dev runs code from local folders\./],
    [t.replace('CodeUri: hello-world/', 'CodeUri: missing/'), /CodeUri is missing\/, which does not exist/],
    [t.replace('Timeout: 3', 'Timeout: !Ref Nope'), /Ref to Nope, which is neither a parameter nor a resource/],
    [t.replace('Runtime: nodejs20.x', 'Runtime: nodejs20.x\n      CodeUri: twice/'), /not valid YAML/],
    [`${t}\nParameters:\n  Stage:\n    Type: String\n`, /The parameter Stage has no Default and no value\./],
  ];
  for (const [text, re] of cases) {
    writeFileSync(join(dir, 'template.yaml'), text);
    const res = await runDevToEnd(dir, []);
    assert.equal(res.code, 1, `${re}: ${res.stdout}${res.stderr}`);
    assert.match(res.stderr, re);
    assert.doesNotMatch(res.stderr, /\n\s+at /, 'no stack trace');
    assert.doesNotMatch(res.stdout, /serving/);
  }
  rmSync(join(dir, 'template.yaml'));
  const none = await runDevToEnd(dir, []);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /Cannot read the template .*template\.yaml: ENOENT\.\n  Run alonzo dev in your SAM project, or give its template with --template FILE\./);
});

test('a busy API port is one clear line and exit 1', async () => {
  const { createServer } = await import('node:net');
  const busy = createServer();
  await new Promise<void>((ok) => busy.listen(0, '127.0.0.1', () => ok()));
  after(() => busy.close());
  const port = (busy.address() as { port: number }).port;
  const dir = copyApp('node-hello');
  apps.push(dir);
  const res = await runDevToEnd(dir, ['--api-port', String(port)]);
  assert.equal(res.code, 1, res.stdout + res.stderr);
  assert.match(res.stderr, new RegExp(`^✘ Port ${port} \\(the API routes\\) is already in use\\.\\n  Stop what listens there \\(sam local start-api\\?\\), or choose another with --api-port\\.\\n$`, 'm'));
  assert.doesNotMatch(res.stderr, /\n\s+at /);
});

test('alonzo dev --help, and strict flags', async () => {
  const dir = copyApp('node-hello');
  apps.push(dir);
  const help = await runDevToEnd(dir, ['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: alonzo dev \[--template FILE\]/);
  const short = await runDevToEnd(dir, ['-h']);
  assert.equal(short.stdout, help.stdout);
  const unknown = await runDevToEnd(dir, ['--templat', 'x.yaml']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /✘ Unknown option '--templat'.*\n  See alonzo dev --help\./);
  const extra = await runDevToEnd(dir, ['extra']);
  assert.equal(extra.code, 1);
  assert.match(extra.stderr, /✘ .*'extra'/);
  const overrides = await runDevToEnd(dir, ['--parameter-overrides', 'Nope=1']);
  assert.equal(overrides.code, 1);
  assert.match(overrides.stderr, /--parameter-overrides names Nope, which the template does not declare\./);
});

test('sigv4 mode without a root key: alonzo dev signs its own calls with a key of its own; others still need one', async () => {
  const r = await dev('node-hello', [], { ALONZO_AUTH: 'sigv4', ALONZO_ROOT_ACCESS_KEY_ID: '', ALONZO_ROOT_SECRET_ACCESS_KEY: '' });
  const res = await fetch(`${r.api}/hello`);
  assert.equal(res.status, 200);
  assert.equal((await res.json()).message, 'hello world');
  const refused = await runAws('v1', r.url, ['lambda', 'list-functions'], undefined, { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /UnrecognizedClientException|InvalidSignatureException|security token/);
});

const DEBUG_TEMPLATE = `Transform: AWS::Serverless-2016-10-31
Resources:
  DebugFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: app/
      Handler: debug.handler
      Runtime: nodejs20.x
      Timeout: 1
`;
const DEBUG_CODE = `export const handler = async (event) => {
  const greeting = 'hello ' + event.name;
  return { greeting };
};
`;

test('--debug: the function waits for a debugger; a CDP client sets a breakpoint, hits it, reads a variable, and the paused invocation does not time out', async () => {
  const { createServer } = await import('node:net');
  const { execFile } = await import('node:child_process');
  const { FIXTURES } = await import('../helpers/paths.js');
  const port = await new Promise<number>((ok) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => ok(p));
    });
  });
  const dir = copyApp('node-hello');
  apps.push(dir);
  writeFileSync(join(dir, 'template.yaml'), DEBUG_TEMPLATE);
  mkdirSync(join(dir, 'app'));
  writeFileSync(join(dir, 'app', 'debug.mjs'), DEBUG_CODE);
  const r = await startDev(dir, ['--debug', 'DebugFunction', '--debug-port', String(port)]);
  runs.push(r);
  assert.match(r.output(), new RegExp(`Debugger: DebugFunction starts under the Node\\.js inspector on 127\\.0\\.0\\.1:${port}`));
  const client = lambdaClient(r.url);
  after(() => client.destroy());
  const invoked = client.send(new InvokeCommand({ FunctionName: 'DebugFunction', Payload: Buffer.from('{"name":"ada"}') }));
  // The debugger: held at the breakpoint for 2.5 s, more than the function's Timeout of 1 s.
  const cdp = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(process.execPath, ['--experimental-websocket', join(FIXTURES, 'cdp', 'client.mjs'), String(port), 'debug\\.mjs$', '2', 'greeting', '2500'], { timeout: 60_000 }, (e, stdout, stderr) =>
      resolve({ code: (e as { code?: number } | null)?.code ?? 0, stdout, stderr }),
    ),
  );
  assert.equal(cdp.code, 0, cdp.stderr);
  const seen = JSON.parse(cdp.stdout);
  assert.equal(seen.value, 'hello ada');
  assert.equal(seen.line, 2);
  // The breakpoint hit is the one set by file name (its id carries the URL pattern).
  assert.deepEqual(seen.hitBreakpoints, [seen.breakpointId]);
  assert.match(seen.breakpointId, /debug\\\.mjs\$/);
  const out = await invoked;
  assert.equal(out.FunctionError, undefined, Buffer.from(out.Payload ?? []).toString());
  assert.deepEqual(JSON.parse(Buffer.from(out.Payload!).toString()), { greeting: 'hello ada' });
});

test('--endpoint-url joins a running server: the functions are deployed there as zips, a saved file deploys again, the API routes answer', async (t) => {
  const { startAlonzo } = await import('../helpers/alonzo.js');
  const { spawn } = await import('node:child_process');
  const { REPO_ROOT } = await import('../helpers/paths.js');
  const { CREDENTIALS } = await import('../helpers/sign.js');
  const s = await startAlonzo();
  t.after(() => s.close());
  const dir = copyApp('node-hello');
  apps.push(dir);
  const proc = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'alonzo.js'), 'dev', '--endpoint-url', s.url, '--api-port', '0'], {
    cwd: dir,
    env: { ...process.env, AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout.on('data', (c) => (out += c));
  proc.stderr.on('data', (c) => (out += c));
  const exited = new Promise((r) => proc.once('exit', r));
  t.after(async () => {
    proc.kill('SIGINT');
    await exited;
  });
  const until = async (re: RegExp, from = 0): Promise<RegExpExecArray> => {
    for (let i = 0; i < 1200; i++) {
      const m = re.exec(out.slice(from));
      if (m) return m;
      if (proc.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(`alonzo dev printed no ${re}:\n${out}`);
  };
  const joined = await until(/joined the Alonzo at (\S+) \(functions deployed there as zips of their folders\) and serves the template's API on (http:\/\/127\.0\.0\.1:\d+)\./);
  assert.equal(joined[1], s.url);
  // The function lives on the joined server, with a real package (not a placeholder): the AWS CLI invokes it there.
  const first = JSON.parse((await awsInvoke({ url: s.url, dir } as DevRun, 'HelloWorldFunction', '{}')).body.body);
  assert.equal(first.message, 'hello world');
  const api = await fetch(`${joined[2]}/hello`);
  assert.equal(api.status, 200);
  assert.equal((await api.json()).message, 'hello world');
  // A save deploys the folder again; the next invocations run the new code.
  const app = join(dir, 'hello-world', 'app.mjs');
  const mark = out.length;
  writeFileSync(app, readFileSync(app, 'utf8').replace("message: 'hello world'", "message: 'hello again'"));
  await until(/↻ app\.mjs changed: HelloWorldFunction will run the new code/, mark);
  let message = '';
  for (let i = 0; i < 100 && message !== 'hello again'; i++) {
    const r = await fetch(`${joined[2]}/hello`);
    message = (await r.json()).message;
    if (message !== 'hello again') await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(message, 'hello again');
  assert.doesNotMatch(out, /✘/);
});

test('--endpoint-url with a setting of the server it would start, or --debug, is one clear line and exit 1', async () => {
  const { alonzoCommand } = await import('../helpers/bundle.js');
  const a = await alonzoCommand('dev', '--endpoint-url', 'http://127.0.0.1:1', '--port', '0');
  assert.equal(a.code, 1);
  assert.match(a.out, /--port is a setting of the server alonzo dev starts; with --endpoint-url it joins a running one\./);
});

test('a TypeScript project built by tsc --watch: CodeUri names the build output, and a saved .ts file reaches the next invocation once tsc has written it', async (t) => {
  const { spawn } = await import('node:child_process');
  const { REPO_ROOT } = await import('../helpers/paths.js');
  const dir = copyApp('node-hello');
  apps.push(dir);
  writeFileSync(
    join(dir, 'template.yaml'),
    `Transform: AWS::Serverless-2016-10-31
Resources:
  TsFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: dist/
      Handler: index.handler
      Runtime: nodejs20.x
`,
  );
  mkdirSync(join(dir, 'src'));
  const source = join(dir, 'src', 'index.ts');
  writeFileSync(source, "export const handler = async (event: { name: string }): Promise<{ greeting: string }> => ({ greeting: `hello ${event.name}` });\n");
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'commonjs', outDir: 'dist', rootDir: 'src', strict: true }, include: ['src'] }));
  const tsc = spawn(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '--watch', '--preserveWatchOutput', '-p', dir], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let tscOut = '';
  tsc.stdout.on('data', (c) => (tscOut += c));
  t.after(() => tsc.kill('SIGKILL'));
  for (let i = 0; i < 600 && !/Found 0 errors/.test(tscOut); i++) await new Promise((r) => setTimeout(r, 100));
  assert.match(tscOut, /Found 0 errors/);
  const r = await startDev(dir);
  runs.push(r);
  const first = await awsInvoke(r, 'TsFunction', '{"name":"ada"}');
  assert.deepEqual(first.body, { greeting: 'hello ada' });
  const mark = tscOut.length;
  writeFileSync(source, "export const handler = async (event: { name: string }): Promise<{ greeting: string }> => ({ greeting: `bonjour ${event.name}` });\n");
  for (let i = 0; i < 600 && !/Found 0 errors/.test(tscOut.slice(mark)); i++) await new Promise((r) => setTimeout(r, 100));
  await r.waitFor(/↻ index\.js changed: TsFunction will run the new code/);
  let body: unknown;
  for (let i = 0; i < 50; i++) {
    body = (await awsInvoke(r, 'TsFunction', '{"name":"ada"}')).body;
    if ((body as { greeting: string }).greeting === 'bonjour ada') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual(body, { greeting: 'bonjour ada' });
});
