// The filesystem view of an environment: its own /tmp and its code read-only at /var/task, as in Lambda, through a
// private mount namespace (util-linux `unshare` + bind mounts) where the server may make one; else paths on the host.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';

export type Isolation = 'namespace' | 'none';

export const TASK_ROOT = '/var/task';
export const RUNTIME_ROOT = '/var/runtime';

/**
 * Runs in the new namespace before the runtime: the code and Alonzo's built-in runtimes first (either may live under
 * /tmp, which the last mount hides), then /tmp, then the cwd moves onto the mounted /var/task, and the runtime
 * replaces the shell (same pid).
 */
const SCRIPT = 'mount -o bind,ro "$1" /var/task && mount -o bind,ro "$2" /var/runtime && mount --bind "$0" /tmp && cd /var/task && shift 2 && exec "$@"';

/** Whether this process can give environments a mount namespace: root, and `unshare` works here. Probed once. */
export function probeNamespaces(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  try {
    mkdirSync(TASK_ROOT, { recursive: true });
    mkdirSync(RUNTIME_ROOT, { recursive: true });
  } catch {
    return false;
  }
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', '/bin/sh', '-c', 'mount --bind /var/task /var/task'], { stdio: 'ignore', timeout: 5000 });
  return r.status === 0;
}

/** The command that starts `cmd args` with the sandbox's /tmp, the code at /var/task and the runtimes at /var/runtime. */
export function inNamespace(sandboxDir: string, codeDir: string, runtimeDir: string, cmd: string, args: string[]): { cmd: string; args: string[] } {
  return { cmd: 'unshare', args: ['--mount', '--propagation', 'private', '/bin/sh', '-c', SCRIPT, sandboxDir, codeDir, runtimeDir, cmd, ...args] };
}
