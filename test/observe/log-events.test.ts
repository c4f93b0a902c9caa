// log-events.ts on a real LogSink: the index cuts the stored text back into invocations, even when the text has
// invocations the index does not have yet (another node's, within a second) or lost (a crash between the two writes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { LogSink } from '../../src/runtime/log-sink.js';
import { indexKey, indexLine, readEvents, readInvocations } from '../../src/observe/log-events.js';

function invocation(id: string, lines: string[]): Buffer {
  return Buffer.from(`START RequestId: ${id} Version: $LATEST\n${lines.join('\n')}\nEND RequestId: ${id}\nREPORT RequestId: ${id}\tDuration: 1.00 ms\t\n`);
}

function sink(t: { after: (f: () => void) => void }): LogSink {
  const dir = mkdtempSync(join(tmpdir(), 'alonzo-logidx-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return new LogSink(dir);
}

const STREAM = '2026/11/29/[$LATEST]0123456789abcdef0123456789abcdef';

test('events: a line each (continuations kept together), times from the Node runtime\'s stamps, START at the start and REPORT at the end', async (t) => {
  const logs = sink(t);
  const id = randomUUID();
  const text = invocation(id, ['2026-11-29T10:00:00.500Z\t' + id + '\tINFO\tfirst\nsecond line of it', 'plain print']);
  logs.append('fn', text);
  logs.append(indexKey('fn'), Buffer.from(indexLine(id, Date.parse('2026-11-29T10:00:00.000Z'), Date.parse('2026-11-29T10:00:01.000Z'), STREAM, text.length, 'ok', 1, undefined)));
  const { events, streams } = await readEvents(logs, 'fn');
  assert.deepEqual(
    events.map((e) => [e.timestamp - Date.parse('2026-11-29T10:00:00.000Z'), e.message]),
    [
      [0, `START RequestId: ${id} Version: $LATEST\n`],
      // Lines without a stamp after a stamped one are its continuation (a multi-line console.log): one event.
      [500, `2026-11-29T10:00:00.500Z\t${id}\tINFO\tfirst\nsecond line of it\nplain print\n`],
      [1000, `END RequestId: ${id}\n`],
      [1000, `REPORT RequestId: ${id}\tDuration: 1.00 ms\t\n`],
    ],
  );
  assert.deepEqual([...streams.keys()], [STREAM]);
  // Stable ids, in order.
  const again = await readEvents(logs, 'fn');
  assert.deepEqual(again.events.map((e) => e.eventId), events.map((e) => e.eventId));
  assert.deepEqual([...events.map((e) => e.eventId)].sort(), events.map((e) => e.eventId));
});

test('text newer than the index (not indexed yet) is left out; the indexed invocations before it are cut right', async (t) => {
  const logs = sink(t);
  const ids = [randomUUID(), randomUUID(), randomUUID()];
  for (const [n, id] of ids.entries()) {
    const text = invocation(id, [`print ${n}`]);
    logs.append('fn', text);
    if (n < 2) logs.append(indexKey('fn'), Buffer.from(indexLine(id, 1000 * n, 1000 * n + 10, STREAM, text.length, 'ok', 10, n === 0 ? 5 : undefined)));
  }
  const got = await readInvocations(logs, 'fn');
  assert.deepEqual(got.map((x) => x.e.requestId), ids.slice(0, 2));
  assert.match(got[1].text.toString(), /print 1/);
  assert.equal(got[0].e.initDurationMs, 5);
});

test('a gap in the index (lines lost in a crash) loses only that invocation; the nodes\' orders need not agree', async (t) => {
  const logs = sink(t);
  const ids = [randomUUID(), randomUUID(), randomUUID()];
  for (const [n, id] of ids.entries()) {
    const text = invocation(id, [`print ${n}`.repeat(n + 1)]);
    logs.append('fn', text);
    if (n !== 1) logs.append(indexKey('fn'), Buffer.from(indexLine(id, 1000 * n, 1000 * n + 10, STREAM, text.length, 'ok', 10, undefined)));
  }
  const got = await readInvocations(logs, 'fn');
  assert.deepEqual(got.map((x) => x.e.requestId), [ids[0], ids[2]]);
  for (const [i, x] of got.entries()) assert.match(x.text.toString(), new RegExp(`^START RequestId: ${x.e.requestId}[^]*print ${i === 0 ? 0 : 2}`));
  // Index lines in another order than the texts (two nodes batching their own): each text is still found by its id.
  const other = sink(t);
  const texts = ids.map((id, n) => invocation(id, [`line ${n}`]));
  for (const x of texts) other.append('fn', x);
  for (const n of [2, 0, 1]) other.append(indexKey('fn'), Buffer.from(indexLine(ids[n], 1000 * n, 1000 * n + 10, STREAM, texts[n].length, 'ok', 10, undefined)));
  const all = await readInvocations(other, 'fn');
  assert.deepEqual(all.map((x) => x.e.requestId), ids);
  assert.deepEqual(all.map((x) => x.text.toString()), texts.map((x) => x.toString()));
});
