// A folder as a zip package (what `alonzo deploy` uploads and `alonzo dev` publishes layers from).
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import yazl from 'yazl';

/** The files of `dir`, in name order, with their modes; empty folders are left out (as `zip -r` of files would). */
export function zipDir(dir: string): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = join(d, name);
      const st = statSync(full);
      if (st.isDirectory()) walk(full);
      else zip.addFile(full, relative(dir, full), { mode: st.mode });
    }
  };
  walk(dir);
  return finish(zip);
}

/** A zip of one file, built in memory. */
export function zipOfFile(name: string, content: string): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from(content), name, { mode: 0o100644 });
  return finish(zip);
}

/** Ends the zip and gathers what it writes. */
function finish(zip: yazl.ZipFile): Promise<Buffer> {
  zip.end();
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => parts.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(parts)));
    zip.outputStream.on('error', reject);
  });
}
