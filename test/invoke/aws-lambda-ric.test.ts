// AWS's own Node.js runtime interface client (npm aws-lambda-ric) as a provided.al2023 bootstrap, talking to Alonzo's Runtime API.
//
// aws-lambda-ric compiles a native client (curl + aws-lambda-cpp) on install, which takes ~3 minutes and needs
// autoconf, automake and libtool (.ci/run installs them). It is built once into a cache folder outside the repo, and
// the function ships it in its zip under node_modules, as a user would: a sandboxed function sees no host folder.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { execFile } from 'node:child_process';
import { CreateFunctionCommand, InvokeCommand, InvokeWithResponseStreamCommand } from '@aws-sdk/client-lambda';
import { startAlonzo, zipOf, type TestServer } from '../helpers/alonzo.js';
import { ROLE } from '../helpers/alonzo.js';
import { decodeLog } from '../helpers/invoke.js';

const VERSION = '3.3.0';
const CACHE = process.env.ALONZO_RIC_CACHE ?? join(tmpdir(), `alonzo-aws-lambda-ric-${VERSION}`);
const RIC_DIR = join(CACHE, 'node_modules', 'aws-lambda-ric');

function buildRic(): Promise<void> {
  if (existsSync(join(RIC_DIR, 'dist', 'rapid-client.node'))) return Promise.resolve();
  mkdirSync(CACHE, { recursive: true });
  return new Promise((resolve, reject) => {
    execFile('npm', ['install', '--no-audit', '--no-fund', '--prefix', CACHE, `aws-lambda-ric@${VERSION}`], { timeout: 15 * 60_000, maxBuffer: 64 << 20 }, (e, _out, err) => {
      if (e) reject(new Error(`could not build aws-lambda-ric@${VERSION} (it needs autoconf, automake, libtool, make, cmake and g++; .ci/run installs them):\n${err.slice(-3000)}`));
      else resolve();
    });
  });
}

/** What the built package runs with (its bin, dist and package.json, not its sources), keyed by its path in a function's zip. */
function ricFiles(): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  const add = (p: string) => {
    if (statSync(p).isDirectory()) for (const entry of readdirSync(p)) add(join(p, entry));
    else out[join('node_modules', 'aws-lambda-ric', relative(RIC_DIR, p))] = readFileSync(p);
  };
  for (const part of ['package.json', 'bin', 'dist']) add(join(RIC_DIR, part));
  return out;
}

let s: TestServer;
before(async () => {
  await buildRic();
  s = await startAlonzo();
  const zip = await zipOf(
    {
      ...ricFiles(),
      bootstrap: '#!/bin/sh\nexec node "$LAMBDA_TASK_ROOT/node_modules/aws-lambda-ric/bin/index.mjs" "$_HANDLER"\n',
      'index.js': [
        'exports.handler = async (event, context) => {',
        '  if (event.fail) throw new TypeError("asked to fail");',
        '  console.log("ric says hi");',
        '  return { via: "aws-lambda-ric", event, requestId: context.awsRequestId, arn: context.invokedFunctionArn };',
        '};',
      ].join('\n'),
      // A streaming handler, as AWS's runtime runs it (awslambda is the runtime's global).
      'stream.js': [
        'exports.handler = awslambda.streamifyResponse(async (event, stream) => {',
        '  stream.setContentType("text/plain");',
        '  stream.write("from ");',
        '  await new Promise((r) => setTimeout(r, 20));',
        '  stream.write("aws-lambda-ric");',
        '  if (event.fail) throw new TypeError("failed mid-stream");',
        '  stream.end();',
        '});',
      ].join('\n'),
      'package.json': '{"type":"commonjs"}',
    },
    0o755,
  );
  await s.client.send(
    new CreateFunctionCommand({ FunctionName: 'ric', Runtime: 'provided.al2023', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: zip } }),
  );
  await s.client.send(
    new CreateFunctionCommand({ FunctionName: 'ric-stream', Runtime: 'provided.al2023', Handler: 'stream.handler', Role: ROLE, Code: { ZipFile: zip } }),
  );
});
after(() => s?.close());

test('aws-lambda-ric runs a Node handler through the Runtime API: payload, context, logs', async () => {
  const r = await s.client.send(new InvokeCommand({ FunctionName: 'ric', Payload: '{"a":1}', LogType: 'Tail' }));
  assert.equal(r.FunctionError, undefined, Buffer.from(r.Payload!).toString());
  const body = JSON.parse(Buffer.from(r.Payload!).toString());
  assert.deepEqual(body, { via: 'aws-lambda-ric', event: { a: 1 }, requestId: r.$metadata.requestId, arn: 'arn:aws:lambda:us-east-1:000000000000:function:ric' });
  const log = decodeLog(r.LogResult);
  assert.match(log, new RegExp(`START RequestId: ${r.$metadata.requestId} Version: \\$LATEST`));
  assert.match(log, /ric says hi/);
  assert.match(log, /REPORT RequestId: .*Init Duration: [\d.]+ ms/);
});

test('an error thrown under aws-lambda-ric comes back as Unhandled with its payload, and the environment keeps serving', async () => {
  const r = await s.client.send(new InvokeCommand({ FunctionName: 'ric', Payload: '{"fail":true}' }));
  assert.equal(r.FunctionError, 'Unhandled');
  const err = JSON.parse(Buffer.from(r.Payload!).toString());
  assert.equal(err.errorType, 'TypeError');
  assert.equal(err.errorMessage, 'asked to fail');
  assert.ok(Array.isArray(err.trace));
  const again = await s.client.send(new InvokeCommand({ FunctionName: 'ric', Payload: '{"b":2}', LogType: 'Tail' }));
  assert.equal(again.FunctionError, undefined);
  assert.doesNotMatch(decodeLog(again.LogResult), /Init Duration/, 'a warm environment served it');
});

test("a streaming handler under aws-lambda-ric: AWS's own streamed POST and error trailers reach InvokeWithResponseStream", async () => {
  const read = async (event: unknown) => {
    const out = await s.client.send(new InvokeWithResponseStreamCommand({ FunctionName: 'ric-stream', Payload: Buffer.from(JSON.stringify(event)) }));
    let text = '';
    let complete: any;
    for await (const ev of out.EventStream!) {
      if (ev.PayloadChunk) text += Buffer.from(ev.PayloadChunk.Payload!).toString();
      else complete = ev.InvokeComplete;
    }
    return { text, complete };
  };
  const ok = await read({});
  assert.equal(ok.text, 'from aws-lambda-ric');
  assert.deepEqual(ok.complete, { LogResult: '' });
  const failed = await read({ fail: true });
  assert.equal(failed.text, 'from aws-lambda-ric');
  assert.equal(failed.complete.ErrorCode, 'Unhandled');
  const details = JSON.parse(failed.complete.ErrorDetails);
  assert.equal(details.errorType, 'TypeError');
  assert.equal(details.errorMessage, 'failed mid-stream');
  const plain = await s.client.send(new InvokeCommand({ FunctionName: 'ric-stream', Payload: '{}' }));
  assert.equal(Buffer.from(plain.Payload!).toString(), 'from aws-lambda-ric');
});
