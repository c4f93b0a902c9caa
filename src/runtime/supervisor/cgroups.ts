// Per-environment cgroups (v1: memory, pids, cpu), so that limits count every process an environment starts and a
// stop reaches all of them. A server's groups live under <controller>/alonzo/srv-<pid>-<random>/; groups of servers that died
// are emptied and removed at start-up.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { processAlive, residentMb } from './procfs.js';

const ROOT = '/sys/fs/cgroup';
const CONTROLLERS = ['memory', 'pids', 'cpu'] as const;
/** Lambda's limit on processes and threads in an environment. */
export const MAX_PROCESSES = 1024;
/** Lambda gives one full vCPU at 1,769 MB and shares in proportion below and above it. */
const MB_PER_VCPU = 1769;

export interface CgroupLimits {
  memoryMb: number;
  /** /tmp is a tmpfs and its pages are charged to the writer's memory cgroup: the hard limit makes room for it. */
  tmpMb: number;
}

/** Whether cgroup v1 memory, pids and cpu controllers are mounted and writable here. */
export function cgroupsV1Available(): boolean {
  for (const c of CONTROLLERS) {
    const dir = join(ROOT, c);
    if (!existsSync(join(dir, 'cgroup.procs'))) return false;
    try {
      mkdirSync(join(dir, 'alonzo'), { recursive: true });
    } catch {
      return false;
    }
  }
  return true;
}

function killAll(dir: string): number {
  let pids: string[] = [];
  try {
    pids = readFileSync(join(dir, 'cgroup.procs'), 'latin1').split('\n').filter(Boolean);
  } catch {
    return 0;
  }
  for (const p of pids) {
    try {
      process.kill(Number(p), 'SIGKILL');
    } catch {
      // gone
    }
  }
  return pids.length;
}

function removeTree(dir: string): boolean {
  let ok = true;
  try {
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) ok = removeTree(join(dir, e.name)) && ok;
    killAll(dir);
    rmdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') ok = false;
  }
  return ok;
}

/** One server's cgroups. */
export class Cgroups {
  private readonly base: string;
  private seq = 0;

  constructor() {
    // Several servers may share a process (tests start them in-process): each has groups of its own.
    this.base = `alonzo/srv-${process.pid}-${randomBytes(4).toString('hex')}`;
    // Groups left by servers that are gone (a kill -9): whatever still runs in them is killed.
    for (const c of CONTROLLERS) {
      const parent = join(ROOT, c, 'alonzo');
      for (const name of readdirSync(parent)) {
        const m = /^srv-(\d+)(-[0-9a-f]+)?$/.exec(name);
        if (m && !processAlive(Number(m[1]))) removeTree(join(parent, name));
      }
      mkdirSync(join(ROOT, c, this.base), { recursive: true });
    }
    // cpu.shares weigh siblings: MemorySize shares the CPU among environments, as on Lambda, but all of a server's
    // environments sit in one group that the host would weigh like a single process (1,024). Weighed like one process
    // per core instead, they are not starved by the rest of the machine (on a busy 2-core machine, a prebooted Node
    // cold start measured 19 ms with the default weight, 15 ms with this).
    const weight = String(1024 * Math.max(2, availableParallelism()));
    writeFileSync(join(ROOT, 'cpu', 'alonzo', 'cpu.shares'), weight);
    writeFileSync(join(ROOT, 'cpu', this.base, 'cpu.shares'), weight);
  }

  /** Makes the groups of one environment; returns their folders (the launcher joins them before anything runs). */
  create(limits: CgroupLimits): EnvironmentCgroup {
    const name = `e${++this.seq}`;
    const dirs = CONTROLLERS.map((c) => join(ROOT, c, this.base, name));
    for (const d of dirs) mkdirSync(d);
    const [memory, pids] = dirs;
    writeFileSync(join(memory, 'memory.swappiness'), '0');
    writeFileSync(join(pids, 'pids.max'), String(MAX_PROCESSES));
    const group = new EnvironmentCgroup(dirs, memory);
    group.limit(limits);
    return group;
  }

  close(): void {
    for (const c of CONTROLLERS) removeTree(join(ROOT, c, this.base));
  }
}

export class EnvironmentCgroup {
  constructor(
    readonly dirs: string[],
    private readonly memory: string,
  ) {}


  /** Sets the memory and CPU of the group (a standby sandbox gets them when it is given to a function). */
  limit(limits: CgroupLimits): void {
    writeFileSync(join(this.memory, 'memory.limit_in_bytes'), String((limits.memoryMb + limits.tmpMb) * 1048576));
    writeFileSync(join(this.dirs[2], 'cpu.shares'), String(Math.max(2, Math.round((1024 * limits.memoryMb) / MB_PER_VCPU))));
  }

  /**
   * Resident memory of every process in the group, as each process's RSS (shared file pages included, as the REPORT
   * line's Max Memory Used has always counted them); /tmp's tmpfs pages are not in it.
   */
  rssMb(): number {
    let pids: string[];
    try {
      pids = readFileSync(join(this.dirs[1], 'cgroup.procs'), 'latin1').split('\n').filter(Boolean);
    } catch {
      return 0;
    }
    return residentMb(pids.map(Number));
  }

  /** The kernel's count of processes it killed in this group for memory. */
  oomKills(): number {
    try {
      const m = /oom_kill (\d+)/.exec(readFileSync(join(this.memory, 'memory.oom_control'), 'latin1'));
      return m ? Number(m[1]) : 0;
    } catch {
      return 0;
    }
  }

  killAll(): void {
    for (const d of this.dirs) killAll(d);
  }

  /** Removes the groups once their processes are gone (the kernel refuses while any remain; retried a few times). */
  remove(attempt = 0): void {
    this.killAll();
    const left = this.dirs.filter((d) => !removeTree(d));
    if (left.length && attempt < 20) setTimeout(() => this.remove(attempt + 1), 50 * (attempt + 1)).unref();
  }
}
