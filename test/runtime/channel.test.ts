// Tests the channel frame codec: round trips, frames split and packed across chunks, zero-copy views and bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFrame, FrameDecoder, FrameError, type Frame } from '../../src/runtime/channel.js';

function decodeAll(decoder: FrameDecoder, chunks: Buffer[]): Frame[] {
  const out: Frame[] = [];
  for (const c of chunks) for (const f of decoder.push(c)) out.push({ header: f.header, body: Buffer.from(f.body) });
  return out;
}

/** A small deterministic PRNG (mulberry32) so the split test is reproducible. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('encodeFrame writes [u32 BE header length][u32 BE body length][header JSON][body]', () => {
  const f = encodeFrame({ t: 'result', id: 'é' }, Buffer.from('null'));
  const header = Buffer.from('{"t":"result","id":"é"}');
  assert.equal(f.readUInt32BE(0), header.length);
  assert.equal(f.readUInt32BE(4), 4);
  assert.deepEqual(f.subarray(8, 8 + header.length), header);
  assert.equal(f.subarray(8 + header.length).toString(), 'null');
  assert.equal(encodeFrame({ t: 'ready' }).length, 8 + '{"t":"ready"}'.length);
});

test('round trip; an empty body decodes as an empty buffer', () => {
  const d = new FrameDecoder();
  const [a, b] = d.push(Buffer.concat([encodeFrame({ t: 'ready' }), encodeFrame({ t: 'log' }, Buffer.from('x\n'))]));
  assert.deepEqual(a!.header, { t: 'ready' });
  assert.equal(a!.body.length, 0);
  assert.deepEqual(b!.header, { t: 'log' });
  assert.equal(b!.body.toString(), 'x\n');
  assert.equal(d.bufferedBytes, 0);
});

test('frames inside one chunk are views into it (no copy)', () => {
  const chunk = Buffer.concat([encodeFrame({ t: 'a' }, Buffer.from('one')), encodeFrame({ t: 'b' }, Buffer.from('two'))]);
  const frames = new FrameDecoder().push(chunk);
  assert.equal(frames.length, 2);
  for (const f of frames) assert.equal(f.body.buffer, chunk.buffer);
});

test('a push that completes nothing returns the same shared empty array', () => {
  const d = new FrameDecoder();
  const frame = encodeFrame({ t: 'x' }, Buffer.from('abc'));
  const first = d.push(frame.subarray(0, 3));
  const second = d.push(frame.subarray(3, 10));
  assert.equal(first.length, 0);
  assert.equal(first, second);
  assert.equal(d.bufferedBytes, 10);
  assert.equal(d.push(frame.subarray(10)).length, 1);
});

test('a stream split at every byte decodes the same frames', () => {
  const frames = [
    encodeFrame({ t: 'invoke', id: '1' }, Buffer.from('{"a":1}')),
    encodeFrame({ t: 'ready' }),
    encodeFrame({ t: 'log' }, Buffer.from('ünïcödé ☃\n')),
  ];
  const stream = Buffer.concat(frames);
  const bytes = Array.from({ length: stream.length }, (_, i) => stream.subarray(i, i + 1));
  const out = decodeAll(new FrameDecoder(), bytes);
  assert.deepEqual(
    out.map((f) => [f.header, f.body.toString()]),
    [
      [{ t: 'invoke', id: '1' }, '{"a":1}'],
      [{ t: 'ready' }, ''],
      [{ t: 'log' }, 'ünïcödé ☃\n'],
    ],
  );
});

test('random splits of 500 frames of random sizes decode exactly', () => {
  const rand = rng(42);
  const expected: [object, Buffer][] = [];
  const parts: Buffer[] = [];
  for (let i = 0; i < 500; i++) {
    const body = Buffer.alloc(Math.floor(rand() * (rand() < 0.1 ? 100_000 : 300)), i % 251);
    const header = { t: 'log', i };
    expected.push([header, body]);
    parts.push(encodeFrame(header, body));
  }
  const stream = Buffer.concat(parts);
  const chunks: Buffer[] = [];
  for (let off = 0; off < stream.length; ) {
    const n = 1 + Math.floor(rand() * (rand() < 0.5 ? 16 : 70_000));
    chunks.push(stream.subarray(off, off + n));
    off += n;
  }
  const d = new FrameDecoder();
  const out = decodeAll(d, chunks);
  assert.equal(out.length, expected.length);
  out.forEach((f, i) => {
    assert.deepEqual(f.header, expected[i]![0]);
    assert.ok(f.body.equals(expected[i]![1]), `body ${i}`);
  });
  assert.equal(d.bufferedBytes, 0);
});

test('a 6 MB body in 64 KiB chunks is assembled once', () => {
  const body = Buffer.alloc(6 * 1024 * 1024, 7);
  const stream = encodeFrame({ t: 'result', id: 'r' }, body);
  const d = new FrameDecoder();
  let frames: readonly Frame[] = [];
  for (let off = 0; off < stream.length; off += 65536) {
    frames = d.push(stream.subarray(off, off + 65536));
    if (off + 65536 < stream.length) assert.equal(frames.length, 0);
  }
  assert.equal(frames.length, 1);
  assert.ok(frames[0]!.body.equals(body));
});

test('a frame larger than the limit, or a header that is not a JSON object, is a FrameError', () => {
  const big = Buffer.alloc(8);
  big.writeUInt32BE(10, 0);
  big.writeUInt32BE(2000, 4);
  assert.throws(() => new FrameDecoder({ maxFrameBytes: 1024 }).push(big), FrameError);

  const notJson = Buffer.concat([Buffer.from([0, 0, 0, 3, 0, 0, 0, 0]), Buffer.from('{x}')]);
  assert.throws(() => new FrameDecoder().push(notJson), /not JSON/);
  const array = Buffer.concat([Buffer.from([0, 0, 0, 2, 0, 0, 0, 0]), Buffer.from('[]')]);
  assert.throws(() => new FrameDecoder().push(array), /not a JSON object/);
});
