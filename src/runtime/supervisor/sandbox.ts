// The sandboxing supervisor: every environment runs through the alonzo-sandbox launcher in its own mount, PID, IPC
// and UTS namespaces with a minimal root filesystem. As root ('sandbox'): an unprivileged uid per sandbox, cgroups
// for memory, processes and CPU, and a /tmp of EphemeralStorage size that outlasts a runtime restart. Without root
// ('userns'): the same namespaces inside a user namespace, without cgroups (see `missing`).
import { createHash } from 'node:crypto';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Cgroups, type EnvironmentCgroup } from './cgroups.js';
import { exitOf, LaunchedProcess } from './launch.js';
import { mountsUnder } from './procfs.js';
import type { LaunchSpec, StandbyTemplate, Supervised, Supervisor } from './types.js';
import type { UidAllocator } from './uids.js';
import type { Logger } from '../../core/logger.js';

export const TASK_ROOT = '/var/task';
/** The function's layers, merged (code/index.ts layered()). */
export const OPT_ROOT = '/opt';
export const RUNTIME_ROOT = '/var/runtime';
/** Lambda's limit on open files. */
const MAX_FILES = 1024;
const MAX_PROCESSES = 1024;

/** What of /etc an environment sees: name resolution, TLS roots, time zones, the dynamic linker; no host secrets. */
const ETC = [
  'resolv.conf', 'hosts', 'nsswitch.conf', 'host.conf', 'gai.conf', 'localtime', 'timezone', 'ld.so.cache', 'ld.so.conf',
  'ld.so.conf.d', 'ssl', 'ca-certificates', 'ca-certificates.conf', 'pki', 'alternatives', 'mime.types', 'protocols',
  'services', 'os-release',
];

export const USERNS_MISSING = [
  'without root there are no cgroups: memory is enforced by polling the processes\' RSS every 250 ms (a burst can overshoot), /tmp\'s pages are not counted in it, and CPU is not shared by MemorySize',
  'every environment runs as the server\'s own user outside its user namespace: any local process of that user can read a function\'s variables and files and trace its runtime (run the server as a dedicated account, never one other daemons share, such as nobody)',
  'a runtime restarted after a timeout gets a fresh /tmp (the tmpfs lives in the environment\'s namespace)',
];

export interface SandboxOptions {
  launcher: string;
  /** The data dir's sandboxes/ folder: each environment's sandbox folder is made inside. */
  root: string;
  bootstrapDir: string;
  /** Interpreters the built-in runtimes use: each must be visible inside (bound with its installation if outside /usr). */
  interpreters: string[];
  /** 'sandbox' needs root; 'userns' is for a server without it. */
  mode: 'sandbox' | 'userns';
  uids?: UidAllocator;
  /** Launchers kept started ahead of need, already in cgroups of their own (root only). */
  standby: number;
  /** Prebooted environments kept ready per kind of runtime (root only): sandbox built, interpreter started. */
  prebooted: number;
  /** The server's folder of unpacked packages: a prebooted environment gets its function's package from there. */
  codeRoot: string;
  log: Logger;
  /** More read-only binds for every environment, `host:inside` (the runtimes' AWS SDKs: runtime/sdk.ts). */
  extraBinds?: string[];
}

interface Standby {
  proc: ChildProcess;
  cgroup: EnvironmentCgroup;
  onExit: () => void;
}

interface Prebooted extends Standby {
  sandboxDir: string;
  uid: number;
  bornAt: number;
}

/** Kinds of prebooted runtimes kept at once (the most recently needed ones). */
const MAX_KINDS = 4;
/** A kind whose standbys die this many times in a row without serving is given up (and the log says why). */
const MAX_BOOT_FAILURES = 3;

/** The orders a standby launcher waits for: its arguments, an empty string, the environment; each ends in a NUL. */
function orders(args: string[], env: Record<string, string>): Buffer {
  const parts = [...args, '', ...Object.entries(env).map(([k, v]) => `${k}=${v}`)];
  if (parts.some((p, i) => p.includes('\0') || (i !== args.length && p === ''))) throw new Error('a launch argument or variable holds a NUL or is empty');
  return Buffer.from(`${parts.join('\0')}\0`);
}

export class SandboxSupervisor implements Supervisor {
  readonly mode: 'sandbox' | 'userns';
  readonly taskRoot = TASK_ROOT;
  readonly runtimeRoot = RUNTIME_ROOT;
  readonly missing: string[];
  private readonly cgroups?: Cgroups;
  private readonly binds: string[];
  /** Interpreter installations and where the sandbox sees them. */
  private readonly prefixes: Map<string, string>;
  private readonly mountPoint: string;
  private standby: Standby[] = [];
  private refilling?: NodeJS.Timeout;
  private closed = false;
  /** Kinds to keep prebooted, least recently needed first. */
  private kinds = new Map<string, StandbyTemplate>();
  private prebooted = new Map<string, Prebooted[]>();
  private bootFailures = new Map<string, number>();
  private prebootSeq = 0;
  /** Every launcher this supervisor started that has not exited: close() waits for them before it unmounts. */
  private live = new Set<ChildProcess | LaunchedProcess>();

  constructor(private readonly o: SandboxOptions) {
    this.mode = o.mode;
    this.missing = o.mode === 'userns' ? USERNS_MISSING : [];
    mkdirSync(o.root, { recursive: true, mode: 0o700 });
    this.cleanUp();
    // One empty folder where each environment's new root is mounted, inside its own mount namespace.
    this.mountPoint = join(o.root, '.root');
    mkdirSync(this.mountPoint, { recursive: true });
    if (o.mode === 'sandbox') this.cgroups = new Cgroups();
    this.binds = [...systemBinds(o.interpreters), ...(o.extraBinds ?? [])];
    this.prefixes = interpreterPrefixes(o.interpreters);
    this.refill();
  }

  /**
   * Keeps `standby` launchers waiting: spawning from the server blocks its event loop ~7 ms (a fork of a large
   * process) and joining cgroup v1 groups waits ~20 ms (an RCU grace period), so both happen here, ahead of need.
   */
  private refill(): void {
    this.refilling = undefined;
    this.refillPrebooted();
    while (!this.closed && this.cgroups && this.standby.length < this.o.standby) {
      const cgroup = this.cgroups.create({ memoryMb: 128, tmpMb: 512 });
      const proc = this.track(spawn(this.o.launcher, ['--standby', ...cgroup.dirs.flatMap((d) => ['--cgroup', d])], { cwd: '/', env: {}, stdio: ['pipe', 'pipe', 'pipe', 'pipe'], detached: true }));
      const entry: Standby = {
        proc,
        cgroup,
        onExit: () => {
          // One that died while waiting (it is never expected to) is dropped and replaced.
          const i = this.standby.indexOf(entry);
          if (i < 0) return;
          this.standby.splice(i, 1);
          cgroup.remove();
          this.scheduleRefill();
        },
      };
      proc.on('error', () => undefined);
      proc.stdin!.on('error', () => undefined);
      proc.on('exit', entry.onExit);
      this.standby.push(entry);
    }
  }

  prepare(template: StandbyTemplate): void {
    if (!this.cgroups || this.o.prebooted <= 0 || (this.bootFailures.get(template.key) ?? 0) >= MAX_BOOT_FAILURES) return;
    this.kinds.delete(template.key);
    this.kinds.set(template.key, template);
    while (this.kinds.size > MAX_KINDS) {
      const oldest = this.kinds.keys().next().value as string;
      this.kinds.delete(oldest);
      for (const pb of this.prebooted.get(oldest) ?? []) this.discard(pb);
      this.prebooted.delete(oldest);
    }
    this.scheduleRefill();
  }

  /** Keeps `prebooted` environments of each kind ready: sandbox built, cgroups joined, interpreter started. */
  private refillPrebooted(): void {
    for (const t of this.kinds.values()) {
      const list = this.prebooted.get(t.key) ?? [];
      this.prebooted.set(t.key, list);
      while (!this.closed && list.length < this.o.prebooted) list.push(this.boot(t));
    }
  }

  private boot(t: StandbyTemplate): Prebooted {
    const sandboxDir = join(this.o.root, `pb-${process.pid}-${++this.prebootSeq}`);
    mkdirSync(sandboxDir, { mode: 0o700 });
    const uid = this.o.uids!.acquire(sandboxDir);
    const cgroup = this.cgroups!.create({ memoryMb: t.memoryMb, tmpMb: t.ephemeralMb });
    const args = this.baseArgs(sandboxDir, t.ephemeralMb, uid);
    for (const dir of cgroup.dirs) args.push('--cgroup', dir);
    args.push('--ro', `${this.o.bootstrapDir}:${RUNTIME_ROOT}`, '--late-code', this.o.codeRoot, '--', insidePath(this.prefixes, t.cmd), ...t.args);
    // fd 3: the channel; fd 4: the launcher's answer once it has mounted the function's package.
    const proc = this.track(spawn(this.o.launcher, args, { cwd: '/', env: t.env, stdio: ['pipe', 'pipe', 'pipe', 'pipe', 'pipe'], detached: true }));
    const entry: Prebooted = {
      proc,
      cgroup,
      sandboxDir,
      uid,
      bornAt: Date.now(),
      onExit: () => {
        const list = this.prebooted.get(t.key);
        const i = list?.indexOf(entry) ?? -1;
        if (i < 0) return;
        list!.splice(i, 1);
        cgroup.remove();
        this.releaseSandbox(sandboxDir);
        const failures = (this.bootFailures.get(t.key) ?? 0) + 1;
        this.bootFailures.set(t.key, failures);
        if (failures >= MAX_BOOT_FAILURES) {
          this.o.log.warn('sandbox:standby-given-up', { kind: t.key, failures });
          this.kinds.delete(t.key);
          return;
        }
        this.scheduleRefill();
      },
    };
    proc.on('error', () => undefined);
    proc.stdin!.on('error', () => undefined);
    proc.on('exit', entry.onExit);
    return entry;
  }

  private track(proc: ChildProcess): ChildProcess {
    this.live.add(proc);
    void exitOf(proc).then(() => this.live.delete(proc));
    return proc;
  }

  private discard(pb: Prebooted): void {
    pb.proc.removeListener('exit', pb.onExit);
    pb.proc.kill('SIGKILL');
    pb.cgroup.remove();
    this.releaseSandbox(pb.sandboxDir);
  }

  private baseArgs(sandboxDir: string, tmpMb: number, uid: number | undefined): string[] {
    const args = ['--root', this.mountPoint, '--tmp', sandboxDir, '--tmp-mb', String(tmpMb), '--nofile', String(MAX_FILES), '--nproc', String(MAX_PROCESSES), '--cwd', TASK_ROOT];
    if (uid === undefined) args.push('--userns');
    else args.push('--uid', String(uid), '--gid', String(uid));
    for (const b of this.binds) args.push('--ro', b);
    return args;
  }

  /** A prebooted environment for this launch, given its function's package; undefined when none fits. */
  private takePrebooted(spec: LaunchSpec): Supervised | undefined {
    const t = spec.standby;
    // A sandbox kept from a runtime that timed out keeps its /tmp: it cannot be swapped for a fresh one.
    // Nor can one with layers: its /opt is bound as the sandbox is built, before a prebooted runtime could know it.
    if (!t || !this.cgroups || spec.optDir || existsSync(spec.sandboxDir) || dirname(spec.codeDir) !== this.o.codeRoot) return undefined;
    this.prepare(t);
    const pb = this.prebooted.get(t.key)?.shift();
    if (!pb) return undefined;
    this.bootFailures.delete(t.key);
    pb.proc.removeListener('exit', pb.onExit);
    pb.cgroup.limit({ memoryMb: spec.memoryMb, tmpMb: spec.ephemeralMb });
    pb.proc.stdin!.end(`${basename(spec.codeDir)}\n`);
    this.scheduleRefill();
    return new LaunchedProcess({
      cmd: this.o.launcher,
      args: [],
      env: {},
      cwd: '/',
      channel: true,
      adopt: pb.proc,
      cgroup: pb.cgroup,
      uid: pb.uid,
      sandboxDir: pb.sandboxDir,
      specialize: { env: spec.env, cwd: TASK_ROOT },
    });
  }

  private scheduleRefill(): void {
    // After the cold start that took a standby has had the event loop for its own init.
    if (!this.refilling && !this.closed) this.refilling = setTimeout(() => this.refill(), 20);
  }

  /** Sandboxes a crash left behind: their /tmp mounts and folders. */
  private cleanUp(): void {
    for (const m of mountsUnder(this.o.root)) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
    for (const name of readdirSync(this.o.root)) rmSync(join(this.o.root, name), { recursive: true, force: true });
  }

  launch(spec: LaunchSpec): Supervised {
    const prebooted = this.takePrebooted(spec);
    if (prebooted) return prebooted;
    mkdirSync(spec.sandboxDir, { recursive: true, mode: 0o700 });
    const uid = this.o.uids?.acquire(spec.sandboxDir);
    const limits = { memoryMb: spec.memoryMb, tmpMb: spec.ephemeralMb };
    const ready = this.standby.shift();
    if (ready) this.scheduleRefill();
    const cgroup = ready?.cgroup ?? this.cgroups?.create(limits);
    ready?.cgroup.limit(limits);
    const args = this.baseArgs(spec.sandboxDir, spec.ephemeralMb, uid);
    if (!ready) for (const dir of cgroup?.dirs ?? []) args.push('--cgroup', dir);
    args.push('--ro', `${spec.codeDir}:${TASK_ROOT}`, '--ro', `${this.o.bootstrapDir}:${RUNTIME_ROOT}`);
    if (spec.optDir) args.push('--ro', `${spec.optDir}:${OPT_ROOT}`);
    if (ready && !spec.channel) args.push('--no-channel');
    args.push('--', insidePath(this.prefixes, spec.cmd), ...spec.args);
    if (ready) {
      ready.proc.removeListener('exit', ready.onExit);
      ready.proc.stdin!.end(orders(args, spec.env));
      return new LaunchedProcess({ cmd: this.o.launcher, args: [], env: {}, cwd: '/', channel: spec.channel, adopt: ready.proc, cgroup, uid, sandboxDir: spec.sandboxDir });
    }
    const launched = new LaunchedProcess({ cmd: this.o.launcher, args, env: spec.env, cwd: '/', channel: spec.channel, cgroup, uid, sandboxDir: spec.sandboxDir });
    this.waitFor(launched);
    return launched;
  }

  /** Launched environments count as live until they exit (close() waits for them). */
  private waitFor(launched: LaunchedProcess): void {
    this.live.add(launched);
    void launched.exited.then(() => this.live.delete(launched));
  }

  releaseSandbox(dir: string): void {
    const done = () => {
      rmSync(dir, { recursive: true, force: true });
      this.o.uids?.release(dir);
    };
    if (this.mode !== 'sandbox' || !existsSync(dir)) return done();
    // Off the event loop (a umount takes a few ms); close() waits for those still running.
    const release = new Promise<void>((resolve) => execFile('umount', ['-l', dir], () => resolve())).then(done);
    this.releasing.add(release);
    void release.finally(() => this.releasing.delete(release));
  }
  private releasing = new Set<Promise<void>>();

  /**
   * Stops every launcher it started and waits (at most 3 s) for them to exit before unmounting what is left: a
   * launcher killed while starting may still mount its /tmp, which must not outlive the server.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.refilling);
    for (const { proc } of this.standby) proc.kill('SIGKILL');
    this.standby = [];
    for (const list of this.prebooted.values()) for (const pb of list) this.discard(pb);
    this.prebooted.clear();
    const waits: Promise<void>[] = [];
    for (const p of this.live) {
      if (p instanceof LaunchedProcess) {
        p.kill();
        waits.push(p.exited);
      } else {
        try {
          if (p.pid) process.kill(-p.pid, 'SIGKILL');
        } catch {
          p.kill('SIGKILL');
        }
        waits.push(exitOf(p));
      }
    }
    await Promise.race([Promise.all([...waits, ...this.releasing]), new Promise((ok) => setTimeout(ok, 3000).unref())]);
    this.cgroups?.close();
    this.cleanUp();
    this.o.uids?.close();
  }
}

/** The host paths every sandbox sees read-only: /usr and its links, a few of /etc, and interpreters installed elsewhere. */
export function systemBinds(interpreters: string[]): string[] {
  const out: string[] = [];
  for (const p of ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']) if (existsSync(p)) out.push(`${p}:${p}`);
  for (const name of ETC) {
    const p = join('/etc', name);
    if (!existsSync(p)) continue;
    // A link in /etc may point into /run or elsewhere the sandbox does not see: bind what it points to.
    out.push(`${realpathSync(p)}:${p}`);
  }
  for (const [p, inside] of interpreterPrefixes(interpreters)) out.push(`${p}:${inside}`);
  return out;
}

/**
 * The installations of interpreters outside /usr (nvm, pyenv, a tarball, `alonzo runtimes install`), each bound
 * read-only whole: at its own path, except under /tmp, which the sandbox's own /tmp covers; those go to
 * /var/lang/interpreters/<hash> (a static binary such as Node's does not care where it lives).
 */
export function interpreterPrefixes(interpreters: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const bin of interpreters) {
    if (!bin || !existsSync(bin)) continue;
    const real = realpathSync(bin);
    if (real.startsWith('/usr/')) continue;
    const p = dirname(dirname(real));
    out.set(p, p === '/tmp' || p.startsWith('/tmp/') ? `/var/lang/interpreters/${createHash('sha256').update(p).digest('hex').slice(0, 16)}` : p);
  }
  return out;
}

/** Where the sandbox sees an interpreter: its own path, or its installation's relocated one (interpreterPrefixes). */
export function insidePath(prefixes: Map<string, string>, bin: string): string {
  if (!existsSync(bin)) return bin;
  const real = realpathSync(bin);
  for (const [p, inside] of prefixes) if (p !== inside && real.startsWith(`${p}/`)) return inside + real.slice(p.length);
  return bin;
}
