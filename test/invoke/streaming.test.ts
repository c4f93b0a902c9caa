// Response streaming through real clients: InvokeWithResponseStream with the AWS SDK for JavaScript v3 and boto3,
// awslambda.streamifyResponse / HttpResponseStream in the Node runtime (over the channel and over the Runtime API), a
// custom runtime streaming a chunked POST, and plain Invoke of a streaming handler.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { InvokeCommand, InvokeWithResponseStreamCommand, type InvokeWithResponseStreamCommandInput, type InvokeWithResponseStreamCommandOutput, PublishVersionCommand } from '@aws-sdk/client-lambda';
import { runBoto3, startAlonzo, zipOf, type TestServer } from '../helpers/alonzo.js';
import { decodeLog, deploy, eventually, functionLogs, rawInvoke } from '../helpers/invoke.js';
import { startSink, type Sink } from '../helpers/sink.js';

interface Streamed {
  out: InvokeWithResponseStreamCommandOutput;
  chunks: Buffer[];
  complete: { ErrorCode?: string; ErrorDetails?: string; LogResult?: string };
  /** Every event in order, as the SDK gave them ('chunk' or 'complete'). */
  order: string[];
}

/** Reads a whole InvokeWithResponseStream answer; `onChunk` runs as each PayloadChunk arrives, before the next is read. */
async function stream(s: TestServer, input: Partial<InvokeWithResponseStreamCommandInput> & { FunctionName: string; event?: unknown }, onChunk?: (c: Buffer, all: Buffer[]) => void | Promise<void>): Promise<Streamed> {
  const { event, ...rest } = input;
  const out = await s.client.send(new InvokeWithResponseStreamCommand({ Payload: Buffer.from(JSON.stringify(event ?? {})), ...rest }));
  const chunks: Buffer[] = [];
  const order: string[] = [];
  let complete: Streamed['complete'] = {};
  for await (const ev of out.EventStream!) {
    if (ev.PayloadChunk) {
      const c = Buffer.from(ev.PayloadChunk.Payload ?? new Uint8Array());
      chunks.push(c);
      order.push('chunk');
      await onChunk?.(c, chunks);
    } else if (ev.InvokeComplete) {
      complete = ev.InvokeComplete;
      order.push('complete');
    }
  }
  return { out, chunks, complete, order };
}

const text = (r: Streamed) => Buffer.concat(r.chunks).toString('utf8');

let s: TestServer;
let sink: Sink;

before(async () => {
  s = await startAlonzo();
  sink = await startSink();
  await Promise.all([
    deploy(s, 'streamer', { fixture: 'node-stream', Timeout: 30 }),
    deploy(s, 'streamer-sync', { fixture: 'node-stream', Handler: 'index.sync' }),
    deploy(s, 'echo', { fixture: 'node-echo' }),
    deploy(s, 'thrower', { fixture: 'node-throws' }),
    deploy(s, 'py-echo', { fixture: 'python-echo', Runtime: 'python3.12', Handler: 'lambda_function.lambda_handler' }),
  ]);
});

after(async () => {
  await s.close();
  await sink.close();
});

describe('InvokeWithResponseStream with the AWS SDK for JavaScript v3', () => {
  test('the bytes a streaming handler writes arrive as PayloadChunk events, then InvokeComplete', async () => {
    const r = await stream(s, { FunctionName: 'streamer', event: { mode: 'text' } });
    assert.equal(r.out.StatusCode, 200);
    assert.equal(r.out.ExecutedVersion, '$LATEST');
    assert.equal(r.out.ResponseStreamContentType, 'application/vnd.amazon.eventstream');
    assert.equal(text(r), 'Hello, world!');
    assert.deepEqual(r.complete, { LogResult: '' });
    assert.equal(r.order.at(-1), 'complete');
    assert.equal(r.order.filter((o) => o === 'complete').length, 1);
  });

  test('chunk 1 reaches the client before the function writes chunk 2', async () => {
    const key = `gated-sdk-${Date.now()}`;
    let sawFirst = false;
    const r = await stream(s, { FunctionName: 'streamer', event: { mode: 'gated', sink: sink.url(key) } }, (c) => {
      if (sawFirst) return;
      sawFirst = true;
      assert.match(c.toString(), /^first:/);
      // The function has not written its second chunk: it waits for this very flag before it does.
      assert.deepEqual(sink.records(key), []);
      sink.add(key, { go: true });
    });
    assert.ok(sawFirst);
    assert.match(text(r), /^first:[0-9a-f-]+\|second:after-go$/);
    assert.deepEqual(sink.records(key).at(-1), { second: 'write', go: true });
    assert.deepEqual(r.complete, { LogResult: '' });
  });

  test('an error thrown mid-stream: the bytes written before it, then InvokeComplete with ErrorCode and ErrorDetails', async () => {
    const r = await stream(s, { FunctionName: 'streamer', event: { mode: 'fail' }, LogType: 'Tail' });
    assert.equal(r.out.StatusCode, 200);
    assert.equal(text(r), 'partial');
    assert.equal(r.complete.ErrorCode, 'Unhandled');
    const details = JSON.parse(r.complete.ErrorDetails!);
    assert.equal(details.errorType, 'Error');
    assert.equal(details.errorMessage, 'mid-stream failure');
    const log = decodeLog(r.complete.LogResult);
    assert.match(log, /START RequestId: .*\n[^]*\tERROR\tInvoke Error \t\{"errorType":"Error","errorMessage":"mid-stream failure"/);
    assert.match(log, /REPORT RequestId: /);
    // The environment serves the next invocation.
    assert.equal(text(await stream(s, { FunctionName: 'streamer', event: { mode: 'text' } })), 'Hello, world!');
  });

  test('an uncaught exception mid-stream ends the stream with it; the next invocation gets a new runtime', async () => {
    const r = await stream(s, { FunctionName: 'streamer', event: { mode: 'crash' } });
    assert.equal(text(r), 'partial');
    assert.equal(r.complete.ErrorCode, 'Unhandled');
    assert.deepEqual(JSON.parse(r.complete.ErrorDetails!).errorType, 'TypeError');
    // The runtime reports, then exits (exit 129, as AWS's): an invocation in between may still meet the dying one.
    await eventually(async () => text(await stream(s, { FunctionName: 'streamer', event: { mode: 'text' } })) === 'Hello, world!', 10_000, 'a new runtime');
  });

  test('HttpResponseStream.from: the JSON prelude and 8 NUL bytes open the body (what function URLs read)', async () => {
    const r = await stream(s, { FunctionName: 'streamer', event: { mode: 'http' } });
    const body = Buffer.concat(r.chunks);
    const nul = body.indexOf(Buffer.alloc(8));
    assert.ok(nul > 0, body.toString());
    assert.deepEqual(JSON.parse(body.subarray(0, nul).toString()), { statusCode: 201, headers: { 'Content-Type': 'text/html', 'X-Custom': 'yes' }, cookies: ['a=1'] });
    assert.equal(body.subarray(nul + 8).toString(), '<p>streamed</p>');
  });

  test('stream.pipeline into the response stream works; so does the whole body in end()', async () => {
    assert.equal(text(await stream(s, { FunctionName: 'streamer', event: { mode: 'pipeline' } })), 'abc');
    assert.equal(text(await stream(s, { FunctionName: 'streamer', event: { mode: 'end-chunk' } })), 'a,b\n');
  });

  test('a non-async streaming handler, and one that resolves with its stream open, end with AWS runtime errors', async () => {
    const sync = await stream(s, { FunctionName: 'streamer-sync' });
    assert.equal(sync.complete.ErrorCode, 'Unhandled');
    assert.equal(JSON.parse(sync.complete.ErrorDetails!).errorMessage, 'Streaming does not support non-async handlers.');
    const open = await stream(s, { FunctionName: 'streamer', event: { mode: 'unfinished' } });
    assert.equal(text(open), 'never ended');
    assert.equal(open.complete.ErrorCode, 'Unhandled');
    assert.equal(JSON.parse(open.complete.ErrorDetails!).errorMessage, 'Response stream is not finished.');
  });

  test('a handler that does not stream: its whole JSON result as chunk(s), then InvokeComplete', async () => {
    const r = await stream(s, { FunctionName: 'echo', event: { hello: 'world' }, LogType: 'Tail' });
    assert.deepEqual(JSON.parse(text(r)), { hello: 'world' });
    assert.equal(r.complete.ErrorCode, undefined);
    assert.match(decodeLog(r.complete.LogResult), /\{"hello":"world"\}\nEND RequestId: /);
  });

  test('a function error of a handler that does not stream: no chunk, InvokeComplete with ErrorCode Unhandled', async () => {
    const r = await stream(s, { FunctionName: 'thrower', event: { error_msg: 'boom' } });
    assert.deepEqual(r.chunks, []);
    assert.equal(r.complete.ErrorCode, 'Unhandled');
    assert.deepEqual(JSON.parse(r.complete.ErrorDetails!).errorMessage, 'Error: boom');
  });

  test('a Python function: its buffered payload as one chunk, then InvokeComplete', async () => {
    const r = await stream(s, { FunctionName: 'py-echo', event: { py: 1 } });
    assert.deepEqual(r.order, ['chunk', 'complete']);
    assert.deepEqual(JSON.parse(text(r)), { py: 1 });
  });

  test('Qualifier, ClientContext and DryRun; a function that does not exist is an ordinary 404', async () => {
    const v = await s.client.send(new PublishVersionCommand({ FunctionName: 'echo' }));
    const r = await stream(s, { FunctionName: 'echo', Qualifier: v.Version, event: { q: 1 }, ClientContext: Buffer.from('{"custom":{"a":1}}').toString('base64') });
    assert.equal(r.out.ExecutedVersion, v.Version);
    assert.deepEqual(JSON.parse(text(r)), { q: 1 });
    const dry = await s.client.send(new InvokeWithResponseStreamCommand({ FunctionName: 'echo', InvocationType: 'DryRun' }));
    assert.equal(dry.StatusCode, 204);
    await assert.rejects(s.client.send(new InvokeWithResponseStreamCommand({ FunctionName: 'nope' })), (e: Error) => e.name === 'ResourceNotFoundException');
    const bad = await rawInvoke(s, 'echo', '{}', { 'X-Amz-Invocation-Type': 'Event' }, { path: '/2021-11-15/functions/echo/response-streaming-invocations' });
    assert.equal(bad.status, 400);
    assert.match(bad.json.message, /Member must satisfy enum value set: \[RequestResponse, DryRun\]/);
  });

  test('the stream and its log: START, the lines, END and REPORT, kept in the function log', async () => {
    const r = await stream(s, { FunctionName: 'streamer', event: { mode: 'text' } });
    const id = r.out.$metadata.requestId!;
    const log = await functionLogs(s, 'streamer');
    assert.match(log, new RegExp(`START RequestId: ${id}[^]*END RequestId: ${id}\\nREPORT RequestId: ${id}`));
  });
});

describe('plain Invoke of a streaming handler', () => {
  test('answers the whole body at once', async () => {
    const r = await s.client.send(new InvokeCommand({ FunctionName: 'streamer', Payload: Buffer.from('{"mode":"text"}') }));
    assert.equal(r.FunctionError, undefined);
    assert.equal(Buffer.from(r.Payload!).toString(), 'Hello, world!');
  });

  test('an error mid-stream is the function error; past 6 MB it is Function.ResponseSizeTooLarge', async () => {
    const failed = await s.client.send(new InvokeCommand({ FunctionName: 'streamer', Payload: Buffer.from('{"mode":"fail"}') }));
    assert.equal(failed.FunctionError, 'Unhandled');
    assert.equal(JSON.parse(Buffer.from(failed.Payload!).toString()).errorMessage, 'mid-stream failure');
    const big = await s.client.send(new InvokeCommand({ FunctionName: 'streamer', Payload: Buffer.from(JSON.stringify({ mode: 'bytes', bytes: 7 * 1024 * 1024 })) }));
    assert.equal(big.FunctionError, 'Unhandled');
    assert.equal(JSON.parse(Buffer.from(big.Payload!).toString()).errorType, 'Function.ResponseSizeTooLarge');
    assert.equal(Buffer.from((await s.client.send(new InvokeCommand({ FunctionName: 'streamer', Payload: Buffer.from('{"mode":"text"}') }))).Payload!).toString(), 'Hello, world!');
  });
});

describe('InvokeWithResponseStream with boto3', () => {
  test('chunks in order, the first before the second is written; InvokeComplete; errors; Python; Tail', async () => {
    const key = `gated-boto3-${Date.now()}`;
    const script = `
import urllib.request
def post(url, record):
    req = urllib.request.Request(url, data=json.dumps(record).encode(), headers={'content-type': 'application/json'}, method='POST')
    urllib.request.urlopen(req).read()
def get(url):
    return json.loads(urllib.request.urlopen(url).read())
def run(fn, event, **kw):
    r = client.invoke_with_response_stream(FunctionName=fn, Payload=json.dumps(event).encode(), **kw)
    events = []
    for ev in r['EventStream']:
        if 'PayloadChunk' in ev:
            events.append({'chunk': ev['PayloadChunk']['Payload'].decode()})
        else:
            events.append({'complete': ev['InvokeComplete']})
    return r, events
SINK = ${JSON.stringify(sink.url(key))}
r = client.invoke_with_response_stream(FunctionName='streamer', Payload=json.dumps({'mode': 'gated', 'sink': SINK}).encode())
gated = []
before_go = None
for ev in r['EventStream']:
    if 'PayloadChunk' in ev:
        gated.append(ev['PayloadChunk']['Payload'].decode())
        if before_go is None:
            before_go = get(SINK)
            post(SINK, {'go': True})
    else:
        gated.append(ev['InvokeComplete'])
text_r, text_events = run('streamer', {'mode': 'text'})
fail_r, fail_events = run('streamer', {'mode': 'fail'}, LogType='Tail')
py_r, py_events = run('py-echo', {'py': 2})
print(json.dumps({
  'status': r['StatusCode'], 'version': r['ExecutedVersion'], 'contentType': r['ResponseStreamContentType'],
  'gated': gated, 'beforeGo': before_go, 'text': text_events, 'fail': fail_events, 'py': py_events,
}))
`;
    const res = await runBoto3(s.url, script);
    assert.equal(res.code, 0, res.stderr);
    const out = JSON.parse(res.stdout);
    assert.equal(out.status, 200);
    assert.equal(out.version, '$LATEST');
    assert.equal(out.contentType, 'application/vnd.amazon.eventstream');
    // The first chunk was read while the function was still waiting to write its second.
    assert.deepEqual(out.beforeGo, []);
    assert.match(out.gated[0], /^first:/);
    assert.equal(out.gated.slice(0, -1).join(''), `${out.gated[0]}|second:after-go`);
    assert.deepEqual(out.gated.at(-1), { LogResult: '' });
    assert.equal(out.text.filter((e: any) => e.chunk).map((e: any) => e.chunk).join(''), 'Hello, world!');
    const fail = out.fail.at(-1).complete;
    assert.equal(fail.ErrorCode, 'Unhandled');
    assert.equal(JSON.parse(fail.ErrorDetails).errorMessage, 'mid-stream failure');
    assert.match(decodeLog(fail.LogResult), /Invoke Error/);
    assert.deepEqual(out.py.length, 2);
    assert.deepEqual(JSON.parse(out.py[0].chunk), { py: 2 });
    assert.deepEqual(out.py[1], { complete: { LogResult: '' } });
  });
});

describe('over the Runtime API (the built-in Node runtime with runtimeTransport runtime-api, and a custom runtime)', () => {
  let h: TestServer;
  before(async () => {
    h = await startAlonzo({ runtimeTransport: 'runtime-api' });
    // A provided.al2023 runtime in bash: it streams its answer with curl as a chunked POST, a piece at a time.
    const bootstrap = [
      '#!/bin/bash',
      'set -euo pipefail',
      'API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"',
      'while true; do',
      '  H=$(mktemp); curl -sS -D "$H" -o /dev/null "$API/invocation/next"',
      '  ID=$(grep -i "^Lambda-Runtime-Aws-Request-Id:" "$H" | tr -d "\\r" | cut -d" " -f2)',
      '  { printf "one,"; sleep 0.2; printf "two,"; sleep 0.2; printf "three"; } | curl -sS -X POST -T - -H "Transfer-Encoding: chunked" \\',
      '    -H "Lambda-Runtime-Function-Response-Mode: streaming" -H "Content-Type: text/plain" "$API/invocation/$ID/response" > /dev/null',
      'done',
    ].join('\n');
    await Promise.all([
      deploy(h, 'streamer', { fixture: 'node-stream', Timeout: 30 }),
      deploy(h, 'custom', { zip: await zipOf({ bootstrap }, 0o755), Runtime: 'provided.al2023', Handler: 'x', Timeout: 10 }),
    ]);
  });
  after(() => h.close());

  test('streamed chunks, in order, the first before the second is written', async () => {
    const key = `gated-rapi-${Date.now()}`;
    let sawFirst = false;
    const r = await stream(h, { FunctionName: 'streamer', event: { mode: 'gated', sink: sink.url(key) } }, () => {
      if (sawFirst) return;
      sawFirst = true;
      assert.deepEqual(sink.records(key), []);
      sink.add(key, { go: true });
    });
    assert.match(text(r), /^first:[0-9a-f-]+\|second:after-go$/);
    assert.deepEqual(r.complete, { LogResult: '' });
  });

  test('an error mid-stream travels in the POST trailers (Lambda-Runtime-Function-Error-Type / -Body)', async () => {
    const r = await stream(h, { FunctionName: 'streamer', event: { mode: 'fail' } });
    assert.equal(text(r), 'partial');
    assert.equal(r.complete.ErrorCode, 'Unhandled');
    assert.equal(JSON.parse(r.complete.ErrorDetails!).errorMessage, 'mid-stream failure');
    assert.equal(text(await stream(h, { FunctionName: 'streamer', event: { mode: 'text' } })), 'Hello, world!');
    const crash = await stream(h, { FunctionName: 'streamer', event: { mode: 'crash' } });
    assert.equal(text(crash), 'partial');
    assert.equal(JSON.parse(crash.complete.ErrorDetails!).errorType, 'TypeError');
    await eventually(async () => text(await stream(h, { FunctionName: 'streamer', event: { mode: 'text' } })) === 'Hello, world!', 10_000, 'a new runtime');
  });

  test('a custom runtime streams a chunked POST; plain Invoke of it gets the whole body', async () => {
    const r = await stream(h, { FunctionName: 'custom' });
    assert.equal(text(r), 'one,two,three');
    assert.deepEqual(r.complete, { LogResult: '' });
    const plain = await h.client.send(new InvokeCommand({ FunctionName: 'custom' }));
    assert.equal(Buffer.from(plain.Payload!).toString(), 'one,two,three');
  });
});
