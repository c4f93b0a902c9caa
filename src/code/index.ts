// Function code packages: validated and unpacked once per distinct zip (content-addressed by SHA-256) with yauzl, safely.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync, createWriteStream, symlinkSync, chmodSync, readdirSync, lstatSync } from 'node:fs';
import { join, resolve, dirname, sep } from 'node:path';
import yauzl from 'yauzl';
import { err } from '../core/errors.js';

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
  constructor(readonly root: string) {
    mkdirSync(root, { recursive: true });
    // Node looks for the nearest package.json above a module to decide CommonJS or ES module. Lambda's /var/task has
    // none above it; without this stop, a data dir inside a `"type": "module"` project (as ./.alonzo is in ours)
    // would make every function's index.js load as an ES module.
    const stop = join(root, 'package.json');
    if (!existsSync(stop)) writeFileSync(stop, '{}\n');
    // A package folder appears only by an atomic rename once its unpacking is complete (see save), so a folder named
    // by its hash is whole; what an interrupted unpack left is removed here.
    for (const name of readdirSync(root)) {
      if (!name.startsWith('.tmp-')) continue;
      makeWritable(join(root, name));
      rmSync(join(root, name), { recursive: true, force: true });
    }
  }

  dirFor(hex: string): string {
    return join(this.root, hex);
  }

  zipPath(hex: string): string {
    return join(this.root, `${hex}.zip`);
  }

  /** Validates and unpacks a zip (once); throws AWS's errors for a broken or oversized package. */
  async save(zip: Buffer): Promise<StoredCode> {
    if (zip.length > MAX_ZIPPED) throw err('RequestEntityTooLargeException', `Zipped size must be smaller than ${MAX_ZIPPED} bytes`);
    const digest = createHash('sha256').update(zip).digest();
    const hex = digest.toString('hex');
    const stored = { sha256: digest.toString('base64'), hex, size: zip.length, dir: this.dirFor(hex) };
    if (existsSync(stored.dir)) return stored;
    const tmp = join(this.root, `.tmp-${hex}-${process.pid}-${Date.now()}`);
    try {
      await unpack(zip, tmp);
      makeReadOnly(tmp);
      writeFileSync(this.zipPath(hex), zip);
      try {
        renameSync(tmp, stored.dir);
      } catch (e) {
        // Another request unpacked the same zip first: theirs is identical.
        if (!existsSync(stored.dir)) throw e;
      }
    } finally {
      if (existsSync(tmp)) {
        makeWritable(tmp);
        rmSync(tmp, { recursive: true, force: true });
      }
    }
    return stored;
  }
}

const unzipError = () => err('InvalidParameterValueException', 'Could not unzip uploaded file. Please check your file, then try to upload again.');

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
