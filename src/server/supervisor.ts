// Picks how environments are isolated on this machine: the sandbox as root, a user namespace without root, or plain
// processes; probes that the choice works, and says at start-up what the chosen mode does not protect against.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/index.js';
import type { Logger } from '../core/logger.js';
import { cgroupsV1Available } from '../runtime/supervisor/cgroups.js';
import { PlainSupervisor } from '../runtime/supervisor/plain.js';
import { SandboxSupervisor, systemBinds } from '../runtime/supervisor/sandbox.js';
import type { Supervisor } from '../runtime/supervisor/types.js';
import { parseUidRange, UidAllocator } from '../runtime/supervisor/uids.js';

/** Built by `npm install` from src/runtime/supervisor/alonzo-sandbox.c (scripts/build-sandbox.mjs). */
export const LAUNCHER = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'runtime', 'supervisor', 'alonzo-sandbox');

/** Starts /bin/true through the launcher: the cheapest proof that this machine lets us build a sandbox. */
function probe(mode: 'sandbox' | 'userns', root: string): string | undefined {
  if (!existsSync(LAUNCHER)) return `the sandbox launcher was not built (${LAUNCHER}): \`npm install\` compiles it with the C compiler (cc)`;
  if (mode === 'sandbox') {
    if (process.getuid?.() !== 0) return 'the sandbox needs root (it switches each environment to a user of its own)';
    if (!cgroupsV1Available()) return 'cgroup v1 memory, pids and cpu controllers are not mounted and writable under /sys/fs/cgroup';
  }
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const dir = mkdtempSync(join(root, '.probe-'));
  try {
    const args = ['--root', dir, '--tmp', dir, '--tmp-mb', '1', ...(mode === 'sandbox' ? ['--uid', '65534', '--gid', '65534'] : ['--userns']), ...systemBinds([]).flatMap((b) => ['--ro', b]), '--cwd', '/', '--', '/usr/bin/true'];
    const r = spawnSync(LAUNCHER, args, { encoding: 'utf8', timeout: 10_000 });
    if (r.status !== 0) return (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').pop();
    return undefined;
  } finally {
    spawnSync('umount', ['-l', dir], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
}

export function chooseSupervisor(config: Config, sandboxRoot: string, codeRoot: string, interpreters: string[], bootstrapDir: string, log: Logger, extraBinds: string[] = []): Supervisor {
  const wanted = config.isolation;
  const build = (mode: 'sandbox' | 'userns'): Supervisor => {
    const range = parseUidRange(config.sandboxUids);
    if (typeof range === 'string') throw new Error(range);
    return new SandboxSupervisor({ launcher: LAUNCHER, root: sandboxRoot, bootstrapDir, interpreters, mode, log, standby: config.standbySandboxes, prebooted: config.standbyRuntimes, codeRoot, extraBinds, uids: mode === 'sandbox' ? new UidAllocator(range) : undefined });
  };
  let supervisor: Supervisor | undefined;
  const why: string[] = [];
  if (wanted === 'none') supervisor = new PlainSupervisor();
  for (const mode of ['sandbox', 'userns'] as const) {
    if (supervisor || (wanted !== 'auto' && wanted !== mode)) continue;
    const problem = probe(mode, sandboxRoot);
    if (!problem) supervisor = build(mode);
    else if (wanted === mode) throw new Error(`isolation is '${mode}', but ${problem}; use 'auto' to take the best this machine allows`);
    else why.push(`${mode}: ${problem}`);
  }
  supervisor ??= new PlainSupervisor();
  if (supervisor.missing.length) {
    log.warn('server:isolation', {
      mode: supervisor.mode,
      ...(why.length ? { because: why.join('; ') } : {}),
      missing: supervisor.missing,
      see: 'docs/SECURITY.md',
    });
  } else {
    log.info('server:isolation', { mode: supervisor.mode });
  }
  return supervisor;
}
