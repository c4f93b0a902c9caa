// Function packages: unpacked safely (no entry or symlink outside the code folder), AWS's size limits, AWS's error for a broken zip.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync, readdirSync, readFileSync, statSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { CreateFunctionCommand, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { CodeStore, MAX_UNZIPPED } from '../../src/code/index.js';
import { ServiceError } from '../../src/core/errors.js';
import { startAlonzo, ROLE, zipOf, type TestServer } from '../helpers/alonzo.js';

interface Entry {
  name: string;
  data: Buffer | string;
  /** Unix mode, e.g. 0o120777 for a symlink (its data is the target). */
  mode?: number;
  /** Claim this uncompressed size in the headers instead of the real one. */
  declaredSize?: number;
}

/** Writes a zip by hand, so that it can hold what zip libraries refuse to write (`../` names, lying sizes). */
function rawZip(entries: Entry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const data = Buffer.from(e.data);
    const packed = deflateRawSync(data);
    const name = Buffer.from(e.name);
    const size = e.declaredSize ?? data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc32(data), 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc32(data), 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((e.mode ?? 0o100644) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, packed);
    centrals.push(central, name);
    offset += local.length + name.length + packed.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

let root: string;
let store: CodeStore;
before(() => {
  root = mkdtempSync(join(tmpdir(), 'alonzo-code-'));
  store = new CodeStore(join(root, 'code'));
});
after(() => {
  // The unpacked code is read-only: make it writable again to remove it.
  for (const d of readdirSync(join(root, 'code'))) {
    const p = join(root, 'code', d);
    if (statSync(p).isDirectory()) rmSync(p, { recursive: true, force: true, maxRetries: 1 });
  }
  rmSync(root, { recursive: true, force: true });
});

async function refused(zip: Buffer): Promise<ServiceError> {
  try {
    await store.save(zip);
  } catch (e) {
    assert.ok(e instanceof ServiceError, String(e));
    return e;
  }
  assert.fail('the zip was accepted');
}

const codeDirs = () => readdirSync(join(root, 'code')).filter((d) => /^[0-9a-f]{64}$/.test(d));

test('a good zip is unpacked once, read-only, executable bits kept, with its SHA-256 (base64) and size', async () => {
  const zip = rawZip([
    { name: 'index.js', data: 'exports.handler = async () => 1;' },
    { name: 'bin/tool', data: '#!/bin/sh\necho hi\n', mode: 0o100755 },
  ]);
  const stored = await store.save(zip);
  assert.equal(stored.size, zip.length);
  assert.equal(Buffer.from(stored.sha256, 'base64').toString('hex'), stored.hex);
  assert.equal(readFileSync(join(stored.dir, 'index.js'), 'utf8'), 'exports.handler = async () => 1;');
  assert.equal(statSync(join(stored.dir, 'bin/tool')).mode & 0o777, 0o555);
  assert.equal(statSync(join(stored.dir, 'index.js')).mode & 0o222, 0, 'no write bits');
  const again = await store.save(zip);
  assert.equal(again.dir, stored.dir);
});

test('zip-slip: an entry or a symlink that would land outside the code folder is refused, and nothing is left behind', async () => {
  const before = codeDirs().length;
  for (const zip of [
    rawZip([{ name: '../evil.js', data: 'x' }]),
    rawZip([{ name: 'a/../../evil.js', data: 'x' }]),
    rawZip([{ name: '/etc/evil.js', data: 'x' }]),
    rawZip([{ name: 'link', data: '../../../etc/passwd', mode: 0o120777 }]),
  ]) {
    const e = await refused(zip);
    assert.equal(e.code, 'InvalidParameterValueException');
    assert.equal(e.message, 'Could not unzip uploaded file. Please check your file, then try to upload again.');
  }
  assert.ok(!existsSync(join(root, 'evil.js')) && !existsSync(join(root, 'code', 'evil.js')));
  assert.equal(codeDirs().length, before);
  assert.deepEqual(readdirSync(join(root, 'code')).filter((d) => d.startsWith('.tmp')), []);
});

test('a symlink inside the package is kept', async () => {
  const stored = await store.save(rawZip([{ name: 'real.js', data: 'x' }, { name: 'alias.js', data: 'real.js', mode: 0o120777 }]));
  assert.equal(readlinkSync(join(stored.dir, 'alias.js')), 'real.js');
});

test('size limits: 50 MB zipped (413), 250 MB unzipped (400), and sizes that lie are caught', async () => {
  const big = await refused(Buffer.alloc(52_428_801));
  assert.equal(big.code, 'RequestEntityTooLargeException');
  assert.equal(big.message, 'Zipped size must be smaller than 52428800 bytes');
  const bomb = await refused(rawZip([{ name: 'zeros.bin', data: Buffer.alloc(MAX_UNZIPPED + 1) }]));
  assert.equal(bomb.code, 'InvalidParameterValueException');
  assert.equal(bomb.message, 'Unzipped size must be smaller than 262144000 bytes');
  const liar = await refused(rawZip([{ name: 'small.txt', data: Buffer.alloc(4096), declaredSize: 10 }]));
  assert.equal(liar.message, 'Could not unzip uploaded file. Please check your file, then try to upload again.');
  const broken = await refused(Buffer.from('PK\u0003\u0004 this is not really a zip'));
  assert.equal(broken.message, 'Could not unzip uploaded file. Please check your file, then try to upload again.');
});

let s: TestServer;
test('through the API: a zip-slip package gets AWS\'s error and no function is created', async (t) => {
  s = await startAlonzo();
  t.after(() => s.close());
  const evil = rawZip([{ name: '../../index.js', data: 'exports.handler = async () => 1;' }]);
  await assert.rejects(
    s.client.send(new CreateFunctionCommand({ FunctionName: 'evil', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: evil } })),
    (e: Error) => e.name === 'InvalidParameterValueException' && e.message === 'Could not unzip uploaded file. Please check your file, then try to upload again.',
  );
  assert.deepEqual((await s.client.send(new ListFunctionsCommand({}))).Functions, []);
  await s.client.send(new CreateFunctionCommand({ FunctionName: 'fine', Runtime: 'nodejs20.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: await zipOf({ 'index.js': 'x' }) } }));
});
