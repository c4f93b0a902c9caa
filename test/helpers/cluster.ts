// Real cluster nodes for tests: `alonzo serve --database-url …` processes on this machine, each with its own port
// (0: picked by the OS) and data dir, all on one PostgreSQL schema (helpers/pg.ts).
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { lambdaClient } from './alonzo.js';
import { REPO_ROOT } from './paths.js';
import { mountsUnder } from '../../src/runtime/supervisor/procfs.js';
import { ROOT_KEY, SIGV4_SUITE } from './sign.js';

export interface Node {
  name: string;
  proc: ChildProcess;
  url: string;
  dataDir: string;
  client: LambdaClient;
  output(): string;
  /** kill -9, as a crash would; the node's environments die with it (PDEATHSIG). */
  kill(): Promise<void>;
  /** SIGTERM and wait: a clean stop. */
  stop(): Promise<void>;
  /** Removes the data dir of a killed node (and the sandbox mounts it could not undo). */
  remove(): void;
}

/** A killed server leaves its sandboxes' /tmp mounts under its data dir: unmounted (lazily) before the removal. */
export function removeDataDir(dir: string): void {
  for (const m of mountsUnder(dir)) {
    try {
      execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    } catch {
      // gone meanwhile
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

export const exited = (p: ChildProcess) => new Promise<void>((r) => (p.exitCode !== null || p.signalCode !== null ? r() : p.once('exit', () => r())));

export function startNode(databaseUrl: string, name: string, env: Record<string, string> = {}, prepare?: (dataDir: string) => void): Promise<Node> {
  const dataDir = mkdtempSync(join(tmpdir(), `alonzo-${name}-`));
  prepare?.(dataDir);
  const auth = SIGV4_SUITE ? { ALONZO_AUTH: 'sigv4', ALONZO_ROOT_ACCESS_KEY_ID: ROOT_KEY.accessKeyId, ALONZO_ROOT_SECRET_ACCESS_KEY: ROOT_KEY.secretAccessKey } : {};
  const proc = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'alonzo.js'), 'serve'], {
    env: {
      ...process.env,
      ALONZO_PORT: '0',
      ALONZO_DATA_DIR: dataDir,
      ALONZO_DATABASE_URL: databaseUrl,
      ALONZO_NODE_NAME: name,
      ALONZO_LOG_LEVEL: 'warn',
      ALONZO_ASYNC_TIME_SCALE: '0.001',
      // Three nodes on two cores: one prebooted runtime each is plenty.
      ALONZO_STANDBY_SANDBOXES: '1',
      ...auth,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (c) => (out += c));
  proc.stderr!.on('data', (c) => (out += c));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`node ${name} did not start: ${out}`)), 30_000);
    proc.stdout!.on('data', () => {
      const m = /serving the Lambda API on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (!m) return;
      clearTimeout(t);
      const client = lambdaClient(m[1]);
      const node: Node = {
        name,
        proc,
        url: m[1],
        dataDir,
        client,
        output: () => out,
        async kill() {
          client.destroy();
          if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
          await exited(proc);
        },
        remove() {
          removeDataDir(dataDir);
        },
        async stop() {
          client.destroy();
          if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
          await exited(proc);
          removeDataDir(dataDir);
        },
      };
      resolve(node);
    });
    proc.on('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`node ${name} exited (${code}): ${out}`));
    });
  });
}

/** Starts `n` nodes one after another (a, b, c…). */
export async function startNodes(databaseUrl: string, n: number, env: Record<string, string> = {}): Promise<Node[]> {
  const nodes: Node[] = [];
  for (let i = 0; i < n; i++) nodes.push(await startNode(databaseUrl, `node-${String.fromCharCode(97 + i)}`, env));
  return nodes;
}

/** Stops every node still running (kill -9 after 10 s) and removes their data dirs. */
export async function stopNodes(nodes: Node[]): Promise<void> {
  await Promise.all(
    nodes.map(async (n) => {
      const t = setTimeout(() => n.proc.kill('SIGKILL'), 10_000);
      await n.stop();
      clearTimeout(t);
    }),
  );
}

/** The `alonzo` CLI's output (for `cluster status`, `keys`). */
export function alonzoCli(args: string[], env: Record<string, string> = {}): string {
  return execFileSync(process.execPath, [join(REPO_ROOT, 'bin', 'alonzo.js'), ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
}
