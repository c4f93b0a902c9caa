// `alonzo dev` for tests: a copy of a fixture app in a temp folder (so a test may edit it) and the real command as a
// child process, with its Lambda API and API-route URLs read from what it prints.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, FIXTURES } from './paths.js';
import { ROOT_KEY, SIGV4_SUITE } from './sign.js';
import { exited, removeDataDir } from './cluster.js';

export interface DevRun {
  proc: ChildProcess;
  /** The copy of the app. */
  dir: string;
  dataDir: string;
  /** The Lambda API. */
  url: string;
  /** The template's API routes. */
  api: string;
  output(): string;
  /** Resolves when the output has a line matching `re` after position `from` (rejects when the process ends first). */
  waitFor(re: RegExp, from?: number): Promise<RegExpExecArray>;
  stop(): Promise<number | null>;
}

/** A fixture app of test/fixtures/sam copied to a fresh folder, which the test may edit. */
export function copyApp(name: string): string {
  const parent = mkdtempSync(join(tmpdir(), 'alonzo-dev-app-'));
  chmodSync(parent, 0o755);
  const dir = join(parent, name);
  cpSync(join(FIXTURES, 'sam', name), dir, { recursive: true });
  return dir;
}

/** Runs `alonzo dev` in `dir` with `args` (port 0 for both endpoints); in a sigv4 suite, with the root key. */
export function startDev(dir: string, args: string[] = [], env: Record<string, string> = {}): Promise<DevRun> {
  const dataDir = mkdtempSync(join(tmpdir(), 'alonzo-dev-data-'));
  const auth = SIGV4_SUITE ? { ALONZO_AUTH: 'sigv4', ALONZO_ROOT_ACCESS_KEY_ID: ROOT_KEY.accessKeyId, ALONZO_ROOT_SECRET_ACCESS_KEY: ROOT_KEY.secretAccessKey } : {};
  const proc = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'alonzo.js'), 'dev', '--port', '0', '--api-port', '0', '--data-dir', dataDir, ...args], {
    cwd: dir,
    env: { ...process.env, ALONZO_LOG_LEVEL: 'warn', ALONZO_STANDBY_SANDBOXES: '1', ...auth, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (c: Buffer) => {
    out += c;
    for (const l of listeners) l();
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const waitFor = (re: RegExp, from = 0) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const m = re.exec(out.slice(from));
        if (m) {
          listeners.delete(check);
          proc.off('exit', ended);
          resolve(m);
        }
      };
      const ended = () => {
        listeners.delete(check);
        reject(new Error(`alonzo dev ended (exit ${proc.exitCode}) before printing ${re}:\n${out}`));
      };
      listeners.add(check);
      proc.once('exit', ended);
      check();
    });
  const run: Omit<DevRun, 'url' | 'api'> = {
    proc,
    dir,
    dataDir,
    output: () => out,
    waitFor,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited(proc);
      removeDataDir(dataDir);
      return proc.exitCode;
    },
  };
  return waitFor(/serving the Lambda API on (http:\/\/127\.0\.0\.1:\d+) .*template's API on (http:\/\/127\.0\.0\.1:\d+)\./).then(
    (m) => ({ ...run, url: m[1], api: m[2] }),
    async (e) => {
      await run.stop();
      throw e;
    },
  );
}

/** Runs `alonzo dev …` expecting it to stop by itself (an error); its exit code and output. */
export function runDevToEnd(dir: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'alonzo-dev-data-'));
  const proc = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'alonzo.js'), 'dev', '--port', '0', '--api-port', '0', '--data-dir', dataDir, ...args], { cwd: dir, env: { ...process.env, ALONZO_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout!.on('data', (c) => (stdout += c));
  proc.stderr!.on('data', (c) => (stderr += c));
  // A run that did start is a failure of the caller's expectation: stopped after 30 s rather than left behind.
  const t = setTimeout(() => proc.kill('SIGTERM'), 30_000);
  return exited(proc).then(() => {
    clearTimeout(t);
    rmSync(dataDir, { recursive: true, force: true });
    return { code: proc.exitCode, stdout, stderr };
  });
}
