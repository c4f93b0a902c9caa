// The supervisor without isolation ('none'): the runtime is a plain child process on the host's filesystem, with a
// TMPDIR of its own. Limits and stops still count every process it starts (found through /proc).
import { mkdirSync, rmSync } from 'node:fs';
import { LaunchedProcess } from './launch.js';
import type { LaunchSpec, Supervised, Supervisor } from './types.js';

export const NONE_MISSING = [
  'functions run as the server\'s own user: they can read and change the data dir (other functions\' code and variables) and signal the server',
  'functions see the whole filesystem, every process, and the host\'s /tmp',
  'memory is enforced by polling the processes\' RSS (no cgroup); no cap on processes, open files or /tmp size',
];

export class PlainSupervisor implements Supervisor {
  readonly mode = 'none' as const;
  readonly taskRoot = undefined;
  readonly runtimeRoot = undefined;
  readonly missing = NONE_MISSING;

  launch(spec: LaunchSpec): Supervised {
    mkdirSync(spec.sandboxDir, { recursive: true });
    return new LaunchedProcess({ cmd: spec.cmd, args: spec.args, env: { ...spec.env, TMPDIR: spec.sandboxDir }, cwd: spec.codeDir, channel: spec.channel, sandboxDir: spec.sandboxDir });
  }

  releaseSandbox(dir: string): void {
    rmSync(dir, { recursive: true, force: true });
  }

  close(): void {}
}
