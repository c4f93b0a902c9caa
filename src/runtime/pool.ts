// The environments of every function version: reuse a warm one, start a new one within the machine's caps, reap idle ones.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Environment, type EnvironmentSpec, type RuntimeHost } from './environment.js';
import type { Logger } from '../core/logger.js';

export interface PoolLimits {
  maxEnvironments: number;
  maxMemoryMb: number;
  idleTimeoutMs: number;
}

interface VersionPool {
  key: string;
  functionName: string;
  version: string;
  idle: Environment[];
  all: Set<Environment>;
  /** /tmp folders of environments that were replaced after a timeout or crash: Lambda keeps the sandbox's /tmp. */
  spareSandboxes: string[];
}

export class EnvironmentPool {
  private pools = new Map<string, VersionPool>();
  private total = 0;
  private memoryInUse = 0;
  private reaper: NodeJS.Timeout;
  private waiters: (() => void)[] = [];
  private sandboxSeq = 0;

  constructor(
    private readonly host: RuntimeHost,
    private readonly sandboxRoot: string,
    private readonly limits: PoolLimits,
    private readonly log: Logger,
  ) {
    this.reaper = setInterval(() => this.reap(), Math.min(30_000, Math.max(250, limits.idleTimeoutMs / 2)));
    this.reaper.unref();
  }

  /** A ready-or-starting environment for `spec`, taken out of the idle set; undefined when the machine is full. */
  take(key: string, spec: EnvironmentSpec): Environment | undefined {
    const pool = this.pool(key, spec);
    const warm = pool.idle.pop();
    if (warm) return warm;
    if (this.total + 1 > this.limits.maxEnvironments || this.memoryInUse + spec.memoryMb > this.limits.maxMemoryMb) {
      // Make room by stopping idle environments of other versions, oldest first.
      if (!this.evictIdleFor(spec.memoryMb)) return undefined;
    }
    const sandbox = pool.spareSandboxes.pop() ?? join(this.sandboxRoot, `sb-${process.pid}-${++this.sandboxSeq}`);
    const env = new Environment(spec, this.host, this.log, sandbox, (e) => this.lost(pool, e));
    pool.all.add(env);
    this.total++;
    this.memoryInUse += spec.memoryMb;
    env.start().catch((e) => {
      this.log.error('environment:start-failed', { fn: spec.functionName, error: String(e) });
      env.kill();
    });
    return env;
  }

  /** Waits up to `ms` for room on a full machine. */
  waitForRoom(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== wake);
        resolve(false);
      }, ms);
      const wake = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.waiters.push(wake);
    });
  }

  private wakeOne(): void {
    this.waiters.shift()?.();
  }

  /** Returns an environment after an invocation. */
  release(key: string, env: Environment): void {
    const pool = this.pools.get(key);
    if (!pool || !pool.all.has(env)) {
      // Its version was evicted (updated or deleted) while it ran.
      if (env.state === 'ready') this.stopEnv(env);
      return;
    }
    if (env.state === 'ready') {
      pool.idle.push(env);
      this.wakeOne();
    }
  }

  private lost(pool: VersionPool, env: Environment): void {
    if (!pool.all.delete(env)) return;
    pool.idle = pool.idle.filter((e) => e !== env);
    this.total--;
    this.memoryInUse -= env.spec.memoryMb;
    if (env.state === 'stopped' && this.pools.get(pool.key) === pool && this.reusableSandbox(env)) pool.spareSandboxes.push(env.tmpDir);
    else rmSync(env.tmpDir, { recursive: true, force: true });
    if (pool.all.size === 0 && pool.spareSandboxes.length === 0) this.pools.delete(pool.key);
    this.wakeOne();
  }

  private reusableSandbox(env: Environment): boolean {
    return !this.stopping.has(env);
  }
  private stopping = new WeakSet<Environment>();

  private stopEnv(env: Environment): void {
    this.stopping.add(env);
    env.stop();
  }

  private pool(key: string, spec: EnvironmentSpec): VersionPool {
    let p = this.pools.get(key);
    if (!p) {
      p = { key, functionName: spec.functionName, version: spec.version, idle: [], all: new Set(), spareSandboxes: [] };
      this.pools.set(key, p);
    }
    return p;
  }

  private evictIdleFor(memoryMb: number): boolean {
    const idle = [...this.pools.values()].flatMap((p) => p.idle).sort((a, b) => a.lastUsed - b.lastUsed);
    for (const env of idle) {
      if (this.total + 1 <= this.limits.maxEnvironments && this.memoryInUse + memoryMb <= this.limits.maxMemoryMb) break;
      this.stopEnv(env);
      this.forget(env);
    }
    return this.total + 1 <= this.limits.maxEnvironments && this.memoryInUse + memoryMb <= this.limits.maxMemoryMb;
  }

  /** Takes a stopped environment out of the books at once (its exit event may come later). */
  private forget(env: Environment): void {
    for (const pool of this.pools.values()) {
      if (pool.all.delete(env)) {
        pool.idle = pool.idle.filter((e) => e !== env);
        this.total--;
        this.memoryInUse -= env.spec.memoryMb;
        rmSync(env.tmpDir, { recursive: true, force: true });
      }
    }
  }

  /** Stops the idle environments of a function (or one version of it); busy ones stop when released. */
  evict(functionName: string, version?: string): void {
    for (const [key, pool] of this.pools) {
      if (pool.functionName !== functionName || (version !== undefined && pool.version !== version)) continue;
      for (const env of pool.idle) {
        this.stopEnv(env);
        this.forget(env);
      }
      for (const dir of pool.spareSandboxes) rmSync(dir, { recursive: true, force: true });
      this.pools.delete(key);
    }
  }

  private reap(): void {
    const cutoff = Date.now() - this.limits.idleTimeoutMs;
    for (const pool of this.pools.values()) {
      for (const env of [...pool.idle]) {
        if (env.lastUsed < cutoff) {
          this.stopEnv(env);
          this.forget(env);
        }
      }
    }
  }

  stats(): { environments: number; memoryMb: number } {
    return { environments: this.total, memoryMb: this.memoryInUse };
  }

  async close(): Promise<void> {
    clearInterval(this.reaper);
    const all = [...this.pools.values()].flatMap((p) => [...p.all]);
    for (const env of all) this.stopEnv(env);
    for (const w of this.waiters) w();
    for (const pool of this.pools.values()) {
      for (const env of pool.all) rmSync(env.tmpDir, { recursive: true, force: true });
      for (const dir of pool.spareSandboxes) rmSync(dir, { recursive: true, force: true });
    }
    this.pools.clear();
  }
}
