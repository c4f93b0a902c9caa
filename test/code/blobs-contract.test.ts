// The BlobStore contract, run against each adapter (local files, PostgreSQL), and CodeStore over each as two nodes see it:
// one saves a package, the other (an empty root, the same blobs) fetches, verifies and unpacks it.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CodeStore } from '../../src/code/index.js';
import { FileBlobStore, type BlobStore } from '../../src/code/blobs.js';
import { ServiceError } from '../../src/core/errors.js';
import { openPostgres } from '../../src/store/postgres/db.js';
import { PgBlobStore } from '../../src/cluster/blobs.js';
import { pgSchema } from '../helpers/pg.js';
import { zipOf } from '../helpers/alonzo.js';

interface Opened {
  blobs: BlobStore;
  /** Replaces the bytes stored under a hex behind the adapter's back, as a damaged disk or a hostile operator would. */
  tamper(hex: string, bytes: Buffer): Promise<void>;
  close(): Promise<void>;
}

const adapters: { name: string; open(): Promise<Opened> }[] = [
  {
    name: 'file',
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'alonzo-blobs-'));
      const blobs = new FileBlobStore(dir);
      return {
        blobs,
        tamper: async (hex, bytes) => writeFileSync(blobs.path(hex), bytes),
        close: async () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 'postgres',
    async open() {
      const schema = await pgSchema('blobs');
      const pg = await openPostgres(schema.url);
      return {
        blobs: new PgBlobStore(pg.pool),
        tamper: async (hex, bytes) => {
          const r = await schema.query('UPDATE code_blobs SET data = $2 WHERE sha256_hex = $1', [hex, bytes]);
          assert.equal(r.rowCount, 1, 'the blob to tamper with is stored');
        },
        close: async () => {
          await pg.close();
          await schema.drop();
        },
      };
    },
  },
];

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Unpacked code is read-only: write bits back, then remove. */
function removeTree(dir: string): void {
  const walk = (p: string) => {
    if (!lstatSync(p).isDirectory()) return;
    chmodSync(p, 0o755);
    for (const n of readdirSync(p)) walk(join(p, n));
  };
  if (existsSync(dir)) walk(dir);
  rmSync(dir, { recursive: true, force: true });
}

/** Every entry under a folder: relative path → kind, mode and content (or link target). */
function snapshot(dir: string, rel = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of readdirSync(join(dir, rel)).sort()) {
    const r = join(rel, n);
    const st = lstatSync(join(dir, r));
    if (st.isSymbolicLink()) out[r] = `link ${readlinkSync(join(dir, r))}`;
    else if (st.isDirectory()) Object.assign(out, { [r]: `dir ${(st.mode & 0o7777).toString(8)}` }, snapshot(dir, r));
    else out[r] = `file ${(st.mode & 0o7777).toString(8)} ${sha(readFileSync(join(dir, r)))}`;
  }
  return out;
}

const leftovers = (root: string) => readdirSync(root).filter((n) => n !== 'package.json');

for (const adapter of adapters) {
  describe(`BlobStore contract: ${adapter.name}`, () => {
    let a: Opened;
    const roots: string[] = [];
    const newRoot = () => {
      const r = mkdtempSync(join(tmpdir(), 'alonzo-code-'));
      roots.push(r);
      return r;
    };
    before(async () => {
      a = await adapter.open();
    });
    after(async () => {
      for (const r of roots) removeTree(r);
      await a?.close();
    });

    test('put then get returns the same bytes; a missing hex is undefined', async () => {
      const zip = await zipOf({ 'index.js': 'exports.handler = async () => "round trip";' });
      const hex = sha(zip);
      assert.equal(await a.blobs.get(hex), undefined);
      await a.blobs.put(hex, zip);
      assert.deepEqual(await a.blobs.get(hex), zip);
      assert.equal(await a.blobs.get(sha(Buffer.from('never stored'))), undefined);
    });

    test('put is idempotent: the same blob again, and at once from two callers, leaves one blob', async () => {
      const zip = await zipOf({ 'index.js': 'exports.handler = async () => "twice";' });
      const hex = sha(zip);
      await Promise.all([a.blobs.put(hex, zip), a.blobs.put(hex, zip)]);
      await a.blobs.put(hex, zip);
      assert.deepEqual(await a.blobs.get(hex), zip);
    });

    test('a name that is not a SHA-256 in hex is refused (it becomes a path)', async () => {
      await assert.rejects(a.blobs.get('../../etc/passwd'), /64 lowercase hex digits/);
      await assert.rejects(a.blobs.put('ABC', Buffer.from('x')), /64 lowercase hex digits/);
    });

    test('CodeStore: what one node saves, a second node (empty root, same blobs) ensures into identical files', async () => {
      const zip = await zipOf({ 'index.js': 'exports.handler = async () => "two nodes";', 'lib/util.js': 'module.exports = 1;', 'bin/tool': '#!/bin/sh\necho hi\n' }, 0o755);
      const first = new CodeStore(newRoot(), a.blobs);
      const saved = await first.save(zip);
      assert.ok(first.has(saved.hex));
      assert.deepEqual(await a.blobs.get(saved.hex), zip, 'save stored the blob before it returned');

      const second = new CodeStore(newRoot(), a.blobs);
      assert.equal(second.has(saved.hex), false);
      const dir = await second.ensure(saved.hex);
      assert.equal(dir, second.dirFor(saved.hex));
      assert.ok(second.has(saved.hex));
      const files = snapshot(dir);
      assert.deepEqual(files, snapshot(saved.dir));
      assert.equal(files['bin/tool'].split(' ')[1], '555', 'read-only, executable bit kept');
      assert.equal(await second.ensure(saved.hex), dir, 'a second ensure finds it unpacked');
      // A restarted node knows what it unpacked without fetching anything.
      assert.ok(new CodeStore(second.root, a.blobs).has(saved.hex));
    });

    test('CodeStore: a package refused by save is not stored', async () => {
      const broken = Buffer.from('PK\u0003\u0004 this is not really a zip');
      const node = new CodeStore(newRoot(), a.blobs);
      await assert.rejects(node.save(broken), (e: unknown) => e instanceof ServiceError && e.code === 'InvalidParameterValueException');
      assert.equal(await a.blobs.get(sha(broken)), undefined);
      assert.deepEqual(leftovers(node.root).filter((n) => !n.endsWith('.zip')), []);
    });

    test('CodeStore: a tampered blob is refused by ensure and nothing is unpacked; a missing one too', async () => {
      const zip = await zipOf({ 'index.js': 'exports.handler = async () => "genuine";' });
      const saved = await new CodeStore(newRoot(), a.blobs).save(zip);
      const evil = await zipOf({ 'index.js': 'exports.handler = async () => "tampered";' });
      await a.tamper(saved.hex, evil);

      const second = new CodeStore(newRoot(), a.blobs);
      await assert.rejects(second.ensure(saved.hex), (e: unknown) => {
        assert.ok(e instanceof ServiceError, String(e));
        assert.equal(e.code, 'ServiceException');
        assert.match(e.message, new RegExp(`Code package ${saved.hex} in the blob store hashes to ${sha(evil)}: it was altered`));
        return true;
      });
      assert.equal(second.has(saved.hex), false);
      assert.deepEqual(leftovers(second.root), [], 'nothing unpacked, no temporary folder left');

      const unknown = sha(Buffer.from('no node saved this'));
      await assert.rejects(second.ensure(unknown), /Code package [0-9a-f]{64} is missing from the blob store/);
      await assert.rejects(second.ensure('not-a-hash'), /is not a SHA-256/);
      assert.deepEqual(leftovers(second.root), []);
    });

    test('CodeStore: concurrent ensures of one package fetch and unpack it once', async () => {
      const zip = await zipOf({ 'index.js': 'exports.handler = async () => "once";' });
      const saved = await new CodeStore(newRoot(), a.blobs).save(zip);
      // Counts what reaches the adapter; the CodeStore under test is the real one.
      let gets = 0;
      const counted: BlobStore = { put: (h, z) => a.blobs.put(h, z), get: (h) => (gets++, a.blobs.get(h)) };
      const second = new CodeStore(newRoot(), counted);
      const calls = Array.from({ length: 8 }, () => second.ensure(saved.hex));
      assert.ok(calls.every((p) => p === calls[0]), 'one shared promise');
      const dirs = await Promise.all(calls);
      assert.ok(dirs.every((d) => d === second.dirFor(saved.hex)));
      assert.equal(gets, 1);
      assert.deepEqual(leftovers(second.root), [saved.hex]);
      await second.ensure(saved.hex);
      assert.equal(gets, 1, 'the warm path does not fetch');
    });

    test('CodeStore: saving a package this node has unpacked still stores its blob', async () => {
      const zip = await zipOf({ 'index.js': 'exports.handler = async () => "again";' });
      const root = newRoot();
      // Unpacked under a blob store that is then replaced (a single node joining a cluster with its old folders).
      const hex = (await new CodeStore(root, new FileBlobStore(root)).save(zip)).hex;
      assert.equal(await a.blobs.get(hex), undefined);
      const node = new CodeStore(root, a.blobs);
      assert.ok(node.has(hex));
      await node.save(zip);
      assert.deepEqual(await a.blobs.get(hex), zip);
    });
  });
}

test('CodeStore by default keeps <root>/<hex>.zip beside <root>/<hex>, as single-node mode always has', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'alonzo-code-'));
  t.after(() => removeTree(root));
  const zip = await zipOf({ 'index.js': 'exports.handler = async () => "local";' });
  const saved = await new CodeStore(root).save(zip);
  assert.deepEqual(readFileSync(join(root, `${saved.hex}.zip`)), zip);
  assert.equal(new CodeStore(root).zipPath(saved.hex), join(root, `${saved.hex}.zip`));
  assert.deepEqual(leftovers(root).sort(), [saved.hex, `${saved.hex}.zip`].sort());
});
