// src/url/stream.ts on its own: the prelude split off however the bytes are cut, its limits, and the relay against a
// real HTTP client with a hand-made streamed invocation (so that a client going away is seen to destroy the body).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { parsePrelude, PreludeSplitter, PRELUDE_LIMIT, relayStream, HTTP_INTEGRATION_CONTENT_TYPE } from '../../src/url/stream.js';
import type { StreamCompletion, StreamedInvocation } from '../../src/invoke/types.js';

const NUL8 = Buffer.alloc(8);

test('the prelude is split off wherever the chunks cut it, the separator included', () => {
  const prelude = Buffer.from(JSON.stringify({ statusCode: 418, headers: { 'X-A': 'b' }, cookies: ['c=1'] }));
  const whole = Buffer.concat([prelude, NUL8, Buffer.from('body'), NUL8]);
  for (const size of [1, 3, 7, 8, 9, 64]) {
    const split = new PreludeSplitter();
    let got: { prelude: Buffer; rest: Buffer } | undefined;
    let after = Buffer.alloc(0);
    for (let o = 0; o < whole.length; o += size) {
      const chunk = whole.subarray(o, o + size);
      if (got) after = Buffer.concat([after, chunk]);
      else got = split.push(chunk);
    }
    assert.ok(got, `chunks of ${size}`);
    assert.deepEqual(got.prelude, prelude, `chunks of ${size}`);
    // NUL bytes in the body are the body's: only the first eight end the prelude.
    assert.deepEqual(Buffer.concat([got.rest, after]), Buffer.concat([Buffer.from('body'), NUL8]), `chunks of ${size}`);
  }
});

test('a prelude longer than the limit, or bytes without a separator past it, are refused rather than held', () => {
  assert.throws(() => new PreludeSplitter().push(Buffer.alloc(PRELUDE_LIMIT + 1, 'x')), /no prelude separator/);
  assert.throws(() => new PreludeSplitter().push(Buffer.concat([Buffer.alloc(PRELUDE_LIMIT + 1, 'x'), NUL8])), /longer than/);
});

test('parsePrelude: status 200 unless given, a numeric string accepted, headers as a buffered result has them', () => {
  assert.deepEqual(parsePrelude(Buffer.from('{}')), { status: 200, headers: { 'content-type': 'application/octet-stream' } });
  const p = parsePrelude(Buffer.from(JSON.stringify({ statusCode: '404', headers: { 'Content-Type': 'text/plain', 'Content-Length': '9', 'X-Bad': 'a\r\nb' }, cookies: ['a=1', 'b=2'] })));
  assert.deepEqual(p, { status: 404, headers: { 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'] } });
  assert.throws(() => parsePrelude(Buffer.from('not json')), /not JSON/);
  assert.throws(() => parsePrelude(Buffer.from('[1]')), /not a JSON object/);
  assert.throws(() => parsePrelude(Buffer.from('{"statusCode":99}')), /statusCode/);
});

/** A streamed invocation made by hand: the test writes its body and settles it. */
function fakeInvocation(contentType?: string) {
  const body = new PassThrough({ highWaterMark: 1024 });
  let finish!: (c: StreamCompletion) => void;
  const done = new Promise<StreamCompletion>((r) => (finish = r));
  const inv: StreamedInvocation = { executedVersion: '$LATEST', head: Promise.resolve({ streaming: true, contentType }), body, done };
  return { inv, body, finish };
}

/** A server on port 0 whose one handler relays `inv`; resolves with its port and what relayStream returned. */
async function serveRelay(inv: StreamedInvocation) {
  let result!: Promise<unknown>;
  const server = createServer((_req, res) => {
    result = relayStream(inv, res, (status, headers) => res.writeHead(status, headers), () => undefined);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, port: (server.address() as AddressInfo).port, result: () => result };
}

test('relayStream: a client that goes away mid-stream destroys the body', { timeout: 20_000 }, async (t) => {
  const { inv, body, finish } = fakeInvocation(HTTP_INTEGRATION_CONTENT_TYPE);
  const { server, port, result } = await serveRelay(inv);
  t.after(() => new Promise<void>((ok) => server.close(() => ok())));
  const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
    request({ host: '127.0.0.1', port }, resolve).on('error', reject).end();
    body.write(Buffer.concat([Buffer.from('{"statusCode":202}'), NUL8, Buffer.from('first')]));
  });
  assert.equal(res.statusCode, 202);
  assert.equal(String(await new Promise((r) => res.once('data', r))), 'first');
  res.destroy();
  await new Promise((r) => body.once('close', r));
  assert.equal(body.destroyed, true);
  finish({});
  assert.equal(await result(), undefined);
});

test('relayStream: an ending with a function error after bytes were sent cuts the response; before any, it is a 502', async (t) => {
  const cutInv = fakeInvocation();
  const { server, port } = await serveRelay(cutInv.inv);
  t.after(() => new Promise<void>((ok) => server.close(() => ok())));
  const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
    request({ host: '127.0.0.1', port }, resolve).on('error', reject).end();
    cutInv.body.write('partial');
  });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'application/octet-stream');
  const ended = new Promise<string>((r) => {
    res.on('end', () => r('complete'));
    res.on('error', (e) => r(`error: ${e.message}`));
  });
  assert.equal(String(await new Promise((r) => res.once('data', r))), 'partial');
  cutInv.body.end();
  cutInv.finish({ functionError: 'Unhandled', errorType: 'Error' });
  assert.match(await ended, /^error: /);

  const early = fakeInvocation();
  early.body.end();
  early.finish({ functionError: 'Unhandled' });
  const whole = await relayStream(early.inv, { on() {}, off() {} } as never, () => assert.fail('nothing is sent before a byte'), () => undefined);
  assert.deepEqual(whole, { status: 502, headers: { 'content-type': 'application/json' }, body: Buffer.from('Internal Server Error') });
});
