// Which interpreter serves each runtime: one of its own version where the machine has it, else the nearest, said aloud.
//
// Node.js: `<dataDir>/runtimes/node<major>/…/bin/node` (`alonzo runtimes install nodejs22.x`, the official binary from
// npm's node-linux-<arch> package), a configured path, or the server's own `node` when its major matches. Python: a
// configured path, else `pythonX.Y` where Python installs it (/usr/bin, /usr/local/bin, pyenv's versions). Each
// candidate is asked its version once, at start-up. A runtime with no exact match runs on the configured default
// interpreter (`nodePath`, `pythonPath`), and the mismatch shows in `alonzo serve`'s log, in `alonzo runtimes` and in
// GetFunction's RuntimeVersionConfig.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { RUNNABLE } from '../core/runtimes.js';

export interface Interpreter {
  path: string;
  /** What it says it is: `20.20.2`, `3.12.1`. */
  version: string;
  /** Whether its version is the runtime's (Node: the major; Python: major.minor). */
  exact: boolean;
}

export interface InterpreterOptions {
  dataDir: string;
  /** The defaults (config nodePath, pythonPath): what a runtime without its own version runs on. */
  nodePath: string;
  pythonPath: string;
  /** Configured paths, `nodejs22.x=/opt/node22/bin/node,python3.12=/usr/bin/python3.12` (config runtimeInterpreters). */
  overrides?: string;
  /** Where to look for pythonX.Y besides the usual places (tests); default PATH, /usr/local/bin, /usr/bin, pyenv. */
  searchPath?: string[];
}

/** Where `alonzo runtimes install nodejs<major>.x` puts that Node.js, and where its binary ends up. */
export const nodeInstallDir = (dataDir: string, major: string): string => join(dataDir, 'runtimes', `node${major}`);
export const nodeArchPackage = (): string => `node-linux-${process.arch === 'arm64' ? 'arm64' : 'x64'}`;
export const installedNodeBinary = (dataDir: string, major: string): string => join(nodeInstallDir(dataDir, major), 'node_modules', nodeArchPackage(), 'bin', 'node');

const versionOf = (path: string, cache: Map<string, string | undefined>): string | undefined => {
  if (!cache.has(path)) {
    const r = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000 });
    const m = r.status === 0 ? /(\d+\.\d+\.\d+)/.exec(`${r.stdout}${r.stderr}`) : null;
    cache.set(path, m?.[1]);
  }
  return cache.get(path);
};

/** The wanted version of a runtime: Node's major (`22`), Python's major.minor (`3.12`). */
export function wantedVersion(runtime: string): string | undefined {
  return /^nodejs(\d+)\.x$/.exec(runtime)?.[1] ?? /^python(3\.\d+)$/.exec(runtime)?.[1];
}

const matches = (version: string, wanted: string): boolean => version === wanted || version.startsWith(`${wanted}.`);

/** The interpreter of every runnable Node.js and Python runtime. */
export function findInterpreters(o: InterpreterOptions): Map<string, Interpreter> {
  const cache = new Map<string, string | undefined>();
  const overrides = new Map(
    (o.overrides ?? '')
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean)
      .map((x) => x.split('=', 2) as [string, string]),
  );
  const pyenv = process.env.PYENV_ROOT ?? join(homedir(), '.pyenv');
  const dirs = o.searchPath ?? [...(process.env.PATH ?? '').split(delimiter).filter((d) => d && !d.includes('shims')), '/usr/local/bin', '/usr/bin'];
  const out = new Map<string, Interpreter>();
  for (const runtime of RUNNABLE) {
    const wanted = wantedVersion(runtime);
    if (!wanted) continue;
    const node = runtime.startsWith('nodejs');
    const candidates: string[] = [];
    const override = overrides.get(runtime);
    if (override) candidates.push(override);
    if (node) candidates.push(installedNodeBinary(o.dataDir, wanted), o.nodePath, process.execPath);
    else {
      candidates.push(o.pythonPath, ...dirs.map((d) => join(d, `python${wanted}`)));
      if (!o.searchPath && existsSync(join(pyenv, 'versions'))) {
        for (const v of readdirSync(join(pyenv, 'versions')).sort().reverse()) if (matches(v, wanted)) candidates.push(join(pyenv, 'versions', v, 'bin', `python${wanted}`));
      }
    }
    const fallback = node ? o.nodePath : o.pythonPath;
    let chosen: Interpreter | undefined;
    for (const path of candidates) {
      if (!existsSync(path)) continue;
      const version = versionOf(path, cache);
      if (version && matches(version, wanted)) {
        chosen = { path, version, exact: true };
        break;
      }
    }
    chosen ??= { path: override ?? fallback, version: versionOf(override ?? fallback, cache) ?? 'unknown', exact: false };
    out.set(runtime, chosen);
  }
  return out;
}

/** One sentence on a runtime that runs on another version, for logs and GetFunction; undefined when it matches. */
export function mismatch(runtime: string, i: Interpreter | undefined): string | undefined {
  if (!i || i.exact) return undefined;
  const how = runtime.startsWith('nodejs') ? `alonzo runtimes install ${runtime}` : `install python${wantedVersion(runtime)} (or set runtimeInterpreters)`;
  return `${runtime} runs on ${runtime.startsWith('nodejs') ? 'Node.js' : 'Python'} ${i.version} (${i.path}): this machine has no ${runtime.startsWith('nodejs') ? `Node.js ${wantedVersion(runtime)}` : `Python ${wantedVersion(runtime)}`}. To run it on its own version: ${how}.`;
}
