// One launched environment process (any supervisor): its pipes, its exit, and the checks that need its processes.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { encodeFrame } from '../channel.js';
import type { EnvironmentCgroup } from './cgroups.js';
import { holdsSocket, loopbackPeer, processTree, residentMb } from './procfs.js';
import type { Supervised } from './types.js';

export interface LaunchOptions {
  cmd: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  channel: boolean;
  /** A process already started (a standby sandbox launcher): it is adopted instead of spawning cmd. */
  adopt?: ChildProcess;
  sandboxDir: string;
  /**
   * A prebooted standby: once its launcher answers that the code is mounted (a line on fd 4), the runtime gets its
   * function's environment in a `specialize` frame; anything but "ok" ends the environment.
   */
  specialize?: { env: Record<string, string>; cwd: string };
  /** The environment's cgroups, where there are some: memory and ownership are then read from them. */
  cgroup?: EnvironmentCgroup;
  /** The sandbox's own uid, where it has one: a socket of that uid can only be the environment's. */
  uid?: number;
}

export class LaunchedProcess implements Supervised {
  private readonly proc: ChildProcess;
  readonly channel?: Socket;
  readonly memoryPollMs: number;
  private groupKilled = false;
  /** Settles when the process has exited (whenever that was). */
  readonly exited: Promise<void>;

  constructor(private readonly o: LaunchOptions) {
    const stdio: ('ignore' | 'pipe')[] = ['ignore', 'pipe', 'pipe'];
    if (o.channel) stdio.push('pipe');
    // Its own process group, so that a kill reaches what the runtime started even without a PID namespace.
    this.proc = o.adopt ?? spawn(o.cmd, o.args, { cwd: o.cwd, env: o.env, stdio, detached: true });
    if (o.channel) this.channel = this.proc.stdio[3] as Socket;
    // An adopted standby always has the pipe; a runtime that does not use it has had its end closed.
    else if (o.adopt) (this.proc.stdio[3] as Socket | null)?.destroy();
    // Reading a cgroup's memory.stat costs ~20 µs; walking /proc for a process tree ~1 ms, so it is done less often.
    this.memoryPollMs = o.cgroup ? 50 : 250;
    this.exited = exitOf(this.proc);
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) this.groupKilled = true;
    if (o.specialize) this.specialize(o.specialize);
    this.proc.on('exit', () => (this.groupKilled = true));
  }

  private specialize(s: { env: Record<string, string>; cwd: string }): void {
    const answers = this.proc.stdio[4] as Readable | null;
    let text = '';
    const onData = (c: Buffer) => {
      text += c.toString('latin1');
      if (!text.includes('\n')) return;
      answers!.off('data', onData);
      if (text.startsWith('ok\n')) this.channel!.write(encodeFrame({ t: 'specialize' }, Buffer.from(JSON.stringify(s))));
      else this.kill();
    };
    answers?.on('data', onData);
    answers?.on('error', () => undefined);
  }

  get sandboxDir(): string {
    return this.o.sandboxDir;
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  get stdout() {
    return this.proc.stdout!;
  }

  get stderr() {
    return this.proc.stderr!;
  }

  onExit(cb: (code: number | null, signal: NodeJS.Signals | null) => void): void {
    let done = false;
    const once = (code: number | null, signal: NodeJS.Signals | null) => {
      if (done) return;
      done = true;
      cb(code, signal);
    };
    this.proc.on('error', (e) => {
      this.stderr.emit('data', Buffer.from(`${e.message}\n`));
      once(127, null);
    });
    this.proc.on('exit', once);
  }

  kill(): void {
    const pid = this.proc.pid;
    this.o.cgroup?.killAll();
    if (pid === undefined || this.groupKilled) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      try {
        this.proc.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  memoryMb(): number {
    if (this.o.cgroup) return this.o.cgroup.rssMb();
    return this.proc.pid === undefined ? 0 : residentMb(processTree(this.proc.pid));
  }

  outOfMemory(): boolean {
    return (this.o.cgroup?.oomKills() ?? 0) > 0;
  }

  owns(remotePort: number, localPort: number): boolean {
    const peer = loopbackPeer(remotePort, localPort);
    if (!peer) return false;
    if (this.o.uid !== undefined) return peer.uid === this.o.uid;
    return this.proc.pid !== undefined && holdsSocket(processTree(this.proc.pid), peer.inode);
  }

  dispose(): void {
    this.o.cgroup?.remove();
  }
}

/** Settles when a child process has exited, or at once if it already has. */
export function exitOf(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    proc.once('exit', () => resolve());
    proc.once('error', () => resolve());
  });
}
