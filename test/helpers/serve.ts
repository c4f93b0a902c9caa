// `alonzo serve` as a child process, as a user starts it (settings in ALONZO_* variables, port 0), resolved once it
// says where it serves: for the tests that restart, kill -9 or Ctrl-C a real server.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

export interface ServeProcess {
  proc: ChildProcess;
  /** The Lambda API. */
  url: string;
  /** Everything it printed so far (standard output and error). */
  output: () => string;
}

export function serveProcess(dataDir: string, env: Record<string, string> = {}, timeoutMs = 15_000): Promise<ServeProcess> {
  const proc = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'alonzo.js'), 'serve'], {
    env: { ...process.env, ALONZO_PORT: '0', ALONZO_DATA_DIR: dataDir, ALONZO_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (c) => (out += c));
  proc.stderr!.on('data', (c) => (out += c));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`server did not start: ${out}`)), timeoutMs);
    proc.stdout!.on('data', () => {
      const m = /serving the Lambda API on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve({ proc, url: m[1], output: () => out });
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`server exited (${code}): ${out}`));
    });
  });
}
