// Function code packages: validated and unpacked once per distinct zip (content-addressed by SHA-256) with yauzl, safely.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync, createWriteStream, symlinkSync, chmodSync, readdirSync, lstatSync, linkSync, copyFileSync, readlinkSync, unlinkSync } from 'node:fs';
import { join, resolve, dirname, sep } from 'node:path';
import yauzl from 'yauzl';
import { err } from '../core/errors.js';
import { FileBlobStore, isHex, type BlobStore } from './blobs.js';

/** AWS's limits: 50 MB zipped, 250 MB unzipped. */
export const MAX_ZIPPED = 52_428_800;
export const MAX_UNZIPPED = 262_144_000;

export interface StoredCode {
  /** base64 of the SHA-256 of the zip, as AWS reports CodeSha256. */
  sha256: string;
  /** hex of the same, used for paths. */
  hex: string;
  size: number;
  /** The unpacked, read-only code directory. */
  dir: string;
}

export class CodeStore {
  /** The packages unpacked under root: `has` is asked on every invoke, so it must not touch the disk. */
  private readonly unpacked = new Set<string>();
  /** Unpacks under way by ensure, one per hex: concurrent invokes of a new package share one fetch and one unpack. */
  private readonly ensuring = new Map<string, Promise<string>>();
  /** Names this process's temporary unpack folders apart. */
  private seq = 0;

  /**
   * `blobs` is where packages are kept for every node (PostgreSQL in cluster mode); by default the zips stay in root
   * as `<hex>.zip` beside their folders, as before blobs had a port.
   */
  constructor(
    readonly root: string,
    readonly blobs: BlobStore = new FileBlobStore(root),
  ) {
    mkdirSync(root, { recursive: true });
    // Node looks for the nearest package.json above a module to decide CommonJS or ES module. Lambda's /var/task has
    // none above it; without this stop, a data dir inside a `"type": "module"` project (as ./.alonzo is in ours)
    // would make every function's index.js load as an ES module.
    const stop = join(root, 'package.json');
    if (!existsSync(stop)) writeFileSync(stop, '{}\n');
    // A package folder appears only by an atomic rename once its unpacking is complete (see install), so a folder
    // named by its hash is whole; what an interrupted unpack left is removed here.
    for (const name of readdirSync(root)) {
      if (isHex(name)) this.unpacked.add(name);
      if (!name.startsWith('.tmp-')) continue;
      makeWritable(join(root, name));
      rmSync(join(root, name), { recursive: true, force: true });
    }
  }

  dirFor(hex: string): string {
    return join(this.root, hex);
  }

  /** The file blob adapter's path (what GetFunction's Code.Location served before blobs had a port); prefer zip(). */
  zipPath(hex: string): string {
    return join(this.root, `${hex}.zip`);
  }

  /** The stored zip of a package, from the blob store (undefined: none). */
  zip(hex: string): Promise<Buffer | undefined> {
    return this.blobs.get(hex);
  }

  /**
   * Where the merge of these layer packages (in this order) lives: what a function with `Layers` sees at /opt. Named
   * by the hash of the list, so functions with the same layers share one folder.
   */
  optDirFor(hexes: string[]): string {
    return join(this.root, '.layers', createHash('sha256').update(hexes.join(',')).digest('hex'));
  }

  /**
   * The merge of these layer packages, as Lambda extracts a function's layers into /opt: in order, a later layer's
   * file replacing an earlier one's. Each package is fetched and unpacked first if this node lacks it; the merge is
   * made once per list, in a temporary folder renamed into place, read-only as the code is. Files are hard links to
   * the unpacked packages (copies where the file system refuses a link).
   */
  async layered(hexes: string[]): Promise<string> {
    const dir = this.optDirFor(hexes);
    if (this.merged.has(dir)) return dir;
    let p = this.ensuring.get(dir);
    if (!p) {
      p = (async () => {
        const sources = await Promise.all(hexes.map((h) => this.ensure(h)));
        if (!existsSync(dir)) {
          mkdirSync(dirname(dir), { recursive: true, mode: 0o755 });
          const tmp = join(this.root, `.tmp-layers-${process.pid}-${++this.seq}`);
          try {
            mkdirSync(tmp, { mode: 0o755 });
            for (const src of sources) overlay(src, tmp);
            makeReadOnly(tmp);
            try {
              renameSync(tmp, dir);
            } catch (e) {
              if (!existsSync(dir)) throw e;
            }
          } finally {
            if (existsSync(tmp)) {
              makeWritable(tmp);
              rmSync(tmp, { recursive: true, force: true });
            }
          }
        }
        this.merged.add(dir);
        return dir;
      })().finally(() => this.ensuring.delete(dir));
      this.ensuring.set(dir, p);
    }
    return p;
  }

  /** Layer merges made or found here (layered() is asked on every invoke of a function with layers). */
  private readonly merged = new Set<string>();

  /** What a stored package unpacks to, in bytes (read from its zip once per node, then remembered). */
  async unzippedSize(hex: string): Promise<number> {
    let n = this.sizes.get(hex);
    if (n === undefined) {
      const zip = await this.blobs.get(hex);
      if (!zip) throw err('ServiceException', `Code package ${hex} is missing from the blob store.`);
      this.sizes.set(hex, (n = await unzippedSizeOf(zip)));
    }
    return n;
  }

  private readonly sizes = new Map<string, number>();

  /** Whether this node has the package unpacked: then dirFor(hex) is ready to run. */
  has(hex: string): boolean {
    return this.unpacked.has(hex);
  }

  /**
   * Validates a zip, stores it in the blob store and unpacks it here (once); throws AWS's errors for a broken or
   * oversized package. Once this resolves, any node can ensure() the package.
   */
  async save(zip: Buffer, maxZipped = MAX_ZIPPED): Promise<StoredCode> {
    if (zip.length > maxZipped) throw err('RequestEntityTooLargeException', `Zipped size must be smaller than ${maxZipped} bytes`);
    const digest = createHash('sha256').update(zip).digest();
    const hex = digest.toString('hex');
    const stored = { sha256: digest.toString('base64'), hex, size: zip.length, dir: this.dirFor(hex) };
    // Stored even when unpacked here already: the blob store may be newer than this root (a node that joined a
    // cluster with the folders of its single-node days). Both adapters skip a blob they have without rewriting it.
    if (this.unpacked.has(hex)) await this.blobs.put(hex, zip);
    // Stored after the unpack has validated the zip (a refused package is not kept) and before its folder appears.
    else await this.install(hex, zip, () => this.blobs.put(hex, zip));
    return stored;
  }

  /**
   * The unpacked folder of a package, fetched from the blob store and unpacked when this node has not yet (another
   * node saved it). A blob that is missing or does not hash to `hex` is refused (ServiceException) and nothing is
   * unpacked. Concurrent calls for one hex share one fetch and unpack; a failure is not remembered (the next call tries again).
   */
  ensure(hex: string): Promise<string> {
    if (this.unpacked.has(hex)) return Promise.resolve(this.dirFor(hex));
    let p = this.ensuring.get(hex);
    if (!p) {
      p = this.fetch(hex).finally(() => this.ensuring.delete(hex));
      this.ensuring.set(hex, p);
    }
    return p;
  }

  private async fetch(hex: string): Promise<string> {
    if (!isHex(hex)) throw err('ServiceException', `Code package ${JSON.stringify(hex)} is not a SHA-256 (64 lowercase hex digits).`);
    const zip = await this.blobs.get(hex);
    if (!zip) throw err('ServiceException', `Code package ${hex} is missing from the blob store: no node stored it, or it was removed. Update the function's code to store it again.`);
    const actual = createHash('sha256').update(zip).digest('hex');
    if (actual !== hex) throw err('ServiceException', `Code package ${hex} in the blob store hashes to ${actual}: it was altered or damaged, and is not unpacked. Update the function's code to store it again.`);
    await this.install(hex, zip);
    return this.dirFor(hex);
  }

  /** Unpacks into a temporary folder, then renames it to `<root>/<hex>`: a folder named by a hash is always whole. */
  private async install(hex: string, zip: Buffer, beforeRename?: () => Promise<void>): Promise<void> {
    const dir = this.dirFor(hex);
    const tmp = join(this.root, `.tmp-${hex}-${process.pid}-${++this.seq}`);
    try {
      await unpack(zip, tmp);
      makeReadOnly(tmp);
      await beforeRename?.();
      try {
        renameSync(tmp, dir);
      } catch (e) {
        // Another request unpacked the same zip first: theirs is identical.
        if (!existsSync(dir)) throw e;
      }
      this.unpacked.add(hex);
    } finally {
      if (existsSync(tmp)) {
        makeWritable(tmp);
        rmSync(tmp, { recursive: true, force: true });
      }
    }
  }
}

const unzipError = () => err('InvalidParameterValueException', 'Could not unzip uploaded file. Please check your file, then try to upload again.');

/** The bytes a zip unpacks to, from its central directory (nothing is extracted). */
export function unzippedSizeOf(zip: Buffer): Promise<number> {
  return new Promise((done, fail) => {
    yauzl.fromBuffer(zip, { lazyEntries: true }, (openErr, zf) => {
      if (openErr || !zf) return fail(unzipError());
      let total = 0;
      zf.on('entry', (e: yauzl.Entry) => {
        total += e.uncompressedSize;
        zf.readEntry();
      });
      zf.on('end', () => done(total));
      zf.on('error', () => fail(unzipError()));
      zf.readEntry();
    });
  });
}

/**
 * AWS's limit on a function and its layers together, unzipped (each package alone is held to it when stored): the
 * error when `total` is past it.
 */
export function checkCombinedSize(total: number): void {
  if (total > MAX_UNZIPPED) {
    throw err('InvalidParameterValueException', `Function code combined with layers exceeds the maximum allowed size of ${MAX_UNZIPPED} bytes. The actual size is ${total} bytes.`);
  }
}

function unpack(zip: Buffer, dest: string): Promise<void> {
  mkdirSync(dest, { recursive: true });
  const root = resolve(dest);
  return new Promise((done, fail) => {
    yauzl.fromBuffer(zip, { lazyEntries: true, validateEntrySizes: true, strictFileNames: false }, (openErr, zf) => {
      if (openErr || !zf) return fail(unzipError());
      let total = 0;
      const failWith = (e: unknown) => {
        zf.close();
        fail(e);
      };
      zf.on('error', () => failWith(unzipError()));
      zf.on('end', () => done());
      zf.on('entry', (entry: yauzl.Entry) => {
        total += entry.uncompressedSize;
        if (total > MAX_UNZIPPED) return failWith(err('InvalidParameterValueException', `Unzipped size must be smaller than ${MAX_UNZIPPED} bytes`));
        const name = entry.fileName.replace(/\\/g, '/');
        const target = resolve(root, name);
        // Zip-slip: no entry may land outside the code directory.
        if (target !== root && !target.startsWith(root + sep)) return failWith(unzipError());
        const mode = (entry.externalFileAttributes >>> 16) & 0o177777;
        const isDir = name.endsWith('/') || (mode & 0o170000) === 0o040000;
        const isLink = (mode & 0o170000) === 0o120000;
        if (isDir) {
          mkdirSync(target, { recursive: true });
          zf.readEntry();
          return;
        }
        mkdirSync(dirname(target), { recursive: true });
        zf.openReadStream(entry, (rsErr, rs) => {
          if (rsErr || !rs) return failWith(unzipError());
          if (isLink) {
            const parts: Buffer[] = [];
            rs.on('data', (c: Buffer) => parts.push(c));
            rs.on('error', () => failWith(unzipError()));
            rs.on('end', () => {
              const link = Buffer.concat(parts).toString();
              const pointsTo = resolve(dirname(target), link);
              if (pointsTo !== root && !pointsTo.startsWith(root + sep)) return failWith(unzipError());
              symlinkSync(link, target);
              zf.readEntry();
            });
            return;
          }
          const out = createWriteStream(target, { mode: (mode & 0o777) || 0o644 });
          rs.on('error', () => failWith(unzipError()));
          out.on('error', failWith);
          out.on('finish', () => zf.readEntry());
          rs.pipe(out);
        });
      });
      zf.readEntry();
    });
  });
}

/**
 * Lays the tree `src` over `dest`: folders merge, a file or link replaces what was there. What is in the way of a
 * folder (a file, or a link from an earlier layer) is removed first, so nothing is ever written through a link.
 */
function overlay(src: string, dest: string): void {
  for (const name of readdirSync(src)) {
    const from = join(src, name);
    const to = join(dest, name);
    const st = lstatSync(from);
    let there: ReturnType<typeof lstatSync> | undefined;
    try {
      there = lstatSync(to);
    } catch {
      there = undefined;
    }
    if (st.isDirectory()) {
      if (there && !there.isDirectory()) unlinkSync(to);
      if (!there || !there.isDirectory()) mkdirSync(to, { mode: 0o755 });
      else chmodSync(to, 0o755);
      overlay(from, to);
      continue;
    }
    if (there?.isDirectory()) {
      makeWritable(to);
      rmSync(to, { recursive: true, force: true });
    } else if (there) unlinkSync(to);
    if (st.isSymbolicLink()) symlinkSync(readlinkSync(from), to);
    else {
      try {
        linkSync(from, to);
      } catch {
        copyFileSync(from, to);
      }
    }
  }
}

/** The code is read-only to the function: no write bits on files or folders. */
function makeReadOnly(dir: string): void {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = lstatSync(p);
    if (st.isSymbolicLink()) continue;
    if (st.isDirectory()) makeReadOnly(p);
    chmodSync(p, st.mode & 0o7555 & ~0o222);
  }
  chmodSync(dir, 0o555);
}

function makeWritable(dir: string): void {
  try {
    chmodSync(dir, 0o755);
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (lstatSync(p).isDirectory()) makeWritable(p);
    }
  } catch {
    // best effort before a removal
  }
}
