// What tests bundle into functions' zips and how they run the real `alonzo` command as a user would.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT } from './paths.js';

/** An npm package and everything it depends on, from Alonzo's own node_modules, as `node_modules/…` zip entries. */
export function packageFiles(root: string): Record<string, Buffer> {
  const nm = join(REPO_ROOT, 'node_modules');
  const seen = new Set<string>();
  const todo = [root];
  while (todo.length) {
    const name = todo.pop()!;
    if (seen.has(name)) continue;
    seen.add(name);
    const pj = JSON.parse(readFileSync(join(nm, name, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    todo.push(...Object.keys(pj.dependencies ?? {}));
  }
  const out: Record<string, Buffer> = {};
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir)) {
      const p = join(dir, entry);
      if (statSync(p).isDirectory()) walk(p);
      else out[join('node_modules', relative(nm, p))] = readFileSync(p);
    }
  };
  for (const name of seen) walk(join(nm, name));
  return out;
}

/** `alonzo …` as a child process (bin/alonzo.js): its exit code and everything it printed. */
export function alonzoCommand(...args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, [join(REPO_ROOT, 'bin', 'alonzo.js'), ...args], { timeout: 600_000, maxBuffer: 16 << 20 }, (e, stdout, stderr) =>
      resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
    ),
  );
}
