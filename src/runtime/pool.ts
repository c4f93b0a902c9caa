// The environments of every function version: reuse a warm one, start a new one within the machine's caps, reap idle ones.
import { join } from 'node:path';
import { Environment, type EnvironmentSpec, type RuntimeHost } from './environment.js';
import type { Logger } from '../core/logger.js';

export interface PoolLimits {
  maxEnvironments: number;
  maxMemoryMb: number;
  idleTimeoutMs: number;
  /**
   * An environment older than this gets no further invocation and is stopped (its credentials expire after a fixed
   * lifetime, auth/function-credentials.ts); undefined: no limit.
   */
  maxAgeMs?: number;
}

interface VersionPool {
  key: string;
  functionName: string;
  version: string;
  idle: Environment[];
  all: Set<Environment>;
  /** /tmp folders of environments that were replaced after a timeout or crash: Lambda keeps the sandbox's /tmp. */
  spareSandboxes: string[];
  /** Provisioned concurrency: how many environments to keep initialised, and the spec to start them with. */
  provisioned: number;
  spec: EnvironmentSpec;
  /** Why provisioning failed (an init error), for ProvisionedConcurrencyConfig's StatusReason. */
  provisionError?: string;
}

export interface ProvisionedStatus {
  allocated: number;
  available: number;
  status: 'IN_PROGRESS' | 'READY' | 'FAILED';
  reason?: string;
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
    let warm = pool.idle.pop();
    while (warm && this.tooOld(warm)) {
      this.retireOld(warm);
      warm = pool.idle.pop();
    }
    if (warm) return warm;
    if (this.total + 1 > this.limits.maxEnvironments || this.memoryInUse + spec.memoryMb > this.limits.maxMemoryMb) {
      // Make room by stopping idle environments of other versions, oldest first.
      if (!this.evictIdleFor(spec.memoryMb)) return undefined;
    }
    return this.spawn(pool, spec, false);
  }

  private spawn(pool: VersionPool, spec: EnvironmentSpec, provisioned: boolean): Environment {
    const sandbox = pool.spareSandboxes.pop() ?? join(this.sandboxRoot, `sb-${process.pid}-${++this.sandboxSeq}`);
    const env = new Environment(spec, this.host, this.log, sandbox, (e) => this.lost(pool, e), provisioned);
    this.born.set(env, Date.now());
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
    } else if (env.state === 'failed' || env.state === 'stopped') {
      // Lost during its invocation (timeout, crash, out of memory, failed init): it has been killed. Lambda restarts
      // the runtime in the same sandbox, so the /tmp goes to the version's next environment now: the caller may
      // invoke again before the old process's exit event arrives, and must still find its files.
      this.retire(pool, env, true);
    }
  }

  /** The environment's process exited (or was killed). */
  private lost(pool: VersionPool, env: Environment): void {
    this.retire(pool, env, env.state === 'stopped' && this.reusableSandbox(env));
  }

  /**
   * Keeps `count` environments of a version initialised ahead of demand (0 ends it). New ones start now and join the
   * idle set as soon as they are ready; lost ones are replaced; they are never reaped.
   */
  provision(key: string, spec: EnvironmentSpec, count: number): void {
    const pool = this.pool(key, spec);
    pool.provisioned = count;
    pool.spec = spec;
    pool.provisionError = undefined;
    const mine = [...pool.all].filter((e) => e.provisioned);
    for (const env of mine.slice(count)) {
      if (pool.idle.includes(env)) {
        this.stopEnv(env);
        this.forget(env);
      }
    }
    this.topUp(pool);
  }

  private topUp(pool: VersionPool): void {
    let have = [...pool.all].filter((e) => e.provisioned && e.state !== 'failed' && e.state !== 'stopped' && e.state !== 'stopping').length;
    while (have < pool.provisioned && !pool.provisionError) {
      if (this.total + 1 > this.limits.maxEnvironments || this.memoryInUse + pool.spec.memoryMb > this.limits.maxMemoryMb) {
        if (!this.evictIdleFor(pool.spec.memoryMb)) {
          pool.provisionError = 'The machine has no room for more environments (maxEnvironments or maxEnvironmentMemoryMb).';
          return;
        }
      }
      const env = this.spawn(pool, pool.spec, true);
      have++;
      env.ready.then((failure) => {
        if (failure) {
          pool.provisionError = `FUNCTION_ERROR_INIT_FAILURE: ${failure.payload.toString('utf8').slice(0, 512)}`;
          return;
        }
        if (pool.all.has(env) && env.state === 'ready' && !pool.idle.includes(env)) {
          pool.idle.push(env);
          this.wakeOne();
        }
      });
    }
  }

  provisionStatus(key: string): ProvisionedStatus {
    const pool = this.pools.get(key);
    if (!pool) return { allocated: 0, available: 0, status: 'IN_PROGRESS' };
    const ready = [...pool.all].filter((e) => e.provisioned && (e.state === 'ready' || e.state === 'busy')).length;
    const allocated = Math.min(ready, pool.provisioned);
    if (pool.provisionError) return { allocated, available: allocated, status: 'FAILED', reason: pool.provisionError };
    return { allocated, available: allocated, status: allocated >= pool.provisioned ? 'READY' : 'IN_PROGRESS' };
  }

  /** Takes an environment out of the books, keeping its sandbox for the version's next environment or deleting it. */
  private retire(pool: VersionPool, env: Environment, keepSandbox: boolean): void {
    if (!pool.all.delete(env)) return;
    pool.idle = pool.idle.filter((e) => e !== env);
    this.total--;
    this.memoryInUse -= env.spec.memoryMb;
    if (keepSandbox && this.pools.get(pool.key) === pool) pool.spareSandboxes.push(env.tmpDir);
    else this.host.supervisor.releaseSandbox(env.tmpDir);
    if (pool.all.size === 0 && pool.spareSandboxes.length === 0 && pool.provisioned === 0) this.pools.delete(pool.key);
    if (env.provisioned && pool.provisioned > 0 && this.pools.get(pool.key) === pool && !this.closed) this.topUp(pool);
    this.wakeOne();
  }

  private reusableSandbox(env: Environment): boolean {
    return !this.stopping.has(env);
  }
  private stopping = new WeakSet<Environment>();

  private stopEnv(env: Environment): Promise<void> | undefined {
    this.stopping.add(env);
    return env.stop();
  }

  private pool(key: string, spec: EnvironmentSpec): VersionPool {
    let p = this.pools.get(key);
    if (!p) {
      p = { key, functionName: spec.functionName, version: spec.version, idle: [], all: new Set(), spareSandboxes: [], provisioned: 0, spec };
      this.pools.set(key, p);
    }
    return p;
  }

  private evictIdleFor(memoryMb: number): boolean {
    const idle = [...this.pools.values()].flatMap((p) => p.idle.filter((e) => !e.provisioned)).sort((a, b) => a.lastUsed - b.lastUsed);
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
        this.host.supervisor.releaseSandbox(env.tmpDir);
      }
    }
  }

  /** Stops the idle environments of one account's function (or one version of it); busy ones stop when released. */
  evict(accountId: string, functionName: string, version?: string): void {
    for (const [key, pool] of this.pools) {
      if (pool.functionName !== functionName || pool.spec.accountId !== accountId || (version !== undefined && pool.version !== version)) continue;
      for (const env of pool.idle) {
        this.stopEnv(env);
        this.forget(env);
      }
      for (const dir of pool.spareSandboxes) this.host.supervisor.releaseSandbox(dir);
      this.pools.delete(key);
    }
  }

  /** When each environment was made, for maxAgeMs. */
  private born = new WeakMap<Environment, number>();

  /** Stops an environment taken out of the idle set for its age; a provisioned one is replaced once it has exited. */
  private retireOld(env: Environment): void {
    this.stopEnv(env);
    if (!env.provisioned) this.forget(env);
  }

  private tooOld(env: Environment): boolean {
    const born = this.born.get(env);
    return this.limits.maxAgeMs !== undefined && born !== undefined && Date.now() - born > this.limits.maxAgeMs;
  }

  private reap(): void {
    const cutoff = Date.now() - this.limits.idleTimeoutMs;
    for (const pool of this.pools.values()) {
      for (const env of [...pool.idle]) {
        if (this.tooOld(env)) {
          pool.idle = pool.idle.filter((e) => e !== env);
          this.retireOld(env);
        } else if (env.lastUsed < cutoff && !env.provisioned) {
          this.stopEnv(env);
          this.forget(env);
        }
      }
    }
  }

  /** Every environment of this node, for reading (/metrics and the dashboard, src/observe/). */
  *environments(): IterableIterator<Environment> {
    for (const p of this.pools.values()) yield* p.all;
  }

  stats(): { environments: number; memoryMb: number } {
    return { environments: this.total, memoryMb: this.memoryInUse };
  }

  private closed = false;

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.reaper);
    const all = [...this.pools.values()].flatMap((p) => [...p.all]);
    // Environments with extensions get their SHUTDOWN and up to 2 s to exit (the others are killed at once).
    const stops = all.map((env) => this.stopEnv(env)).filter((p) => p !== undefined);
    for (const w of this.waiters) w();
    if (stops.length) await Promise.all(stops);
    for (const pool of this.pools.values()) {
      for (const env of pool.all) this.host.supervisor.releaseSandbox(env.tmpDir);
      for (const dir of pool.spareSandboxes) this.host.supervisor.releaseSandbox(dir);
    }
    this.pools.clear();
  }
}
