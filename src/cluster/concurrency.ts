// Cluster-wide concurrency: an account's concurrency and a function's reserved concurrency hold across all nodes.
//
// Each node holds slots per scope (the account's, or one function's reserved) in `concurrency_leases`; the slots of
// live nodes never add up beyond the limit (alonzo_take_slots takes them under an advisory lock). An invocation uses a
// slot its node already holds, so the warm path costs no database round trip while the node has slots to spare; only
// when it has none does it ask the database for more. Spare slots go back:
// - a function's reserved slots as soon as its invocations end (reserved limits are small, and a sequence of invokes
//   spread over nodes by a load balancer must not be throttled by a slot another node keeps idle);
// - the account's after LINGER_MS unused (the account limit is large; keeping a few spare saves round trips).
// A node refused for want of free slots asks the others (topic `concurrency`) to give back what they hold unused, and
// tries once more after they answer (at most DEMAND_WAIT_MS) before it throttles. A killed node's slots stop counting
// once it is dead (membership.ts: DEAD_AFTER_MS).
import { err } from '../core/errors.js';
import type { PgHandle } from '../store/postgres/db.js';
import type { Logger } from '../core/logger.js';
import type { ClusterBus } from './bus.js';
import { DEAD_AFTER_MS } from './membership.js';

const LINGER_MS = 1_000;
const DEMAND_WAIT_MS = 150;

interface Scope {
  account: string;
  /** '' for the account's concurrency, else the function's name. */
  scope: string;
  held: number;
  used: number;
  lastUsed: number;
  /** The database operation under way for this scope (one at a time, so held never goes backwards). */
  op: Promise<unknown>;
  /** Whether a give-back is already scheduled. */
  returning: boolean;
}

const throttled = (reason: string) => err('TooManyRequestsException', 'Rate Exceeded.', { Reason: reason }, { 'Retry-After': '1' });

export class ClusterConcurrency {
  private scopes = new Map<string, Scope>();
  private waiters = new Map<string, (() => void)[]>();
  private timer: NodeJS.Timeout;

  constructor(
    private readonly h: PgHandle,
    private readonly bus: ClusterBus,
    private readonly nodeId: string,
    private readonly accountLimit: number,
    private readonly log: Logger,
  ) {
    bus.on('concurrency', (msg, self) => {
      const key = `${msg.account}\u0000${msg.scope}`;
      if (msg.kind === 'wanted' && !self) {
        const s = this.scopes.get(key);
        if (s && s.held > s.used) this.giveBack(s);
      } else if (msg.kind === 'freed' && !self) {
        for (const wake of this.waiters.get(key) ?? []) wake();
        this.waiters.delete(key);
      }
    });
    this.timer = setInterval(() => this.sweep(), LINGER_MS / 2);
    this.timer.unref();
  }

  private scope(account: string, scope: string): Scope {
    const key = `${account}\u0000${scope}`;
    let s = this.scopes.get(key);
    if (!s) this.scopes.set(key, (s = { account, scope, held: 0, used: 0, lastUsed: 0, op: Promise.resolve(), returning: false }));
    return s;
  }

  /**
   * Takes a slot of the function's reserved concurrency (when it has one) and of its account's: synchronously (true)
   * when this node holds spare slots, else after asking the database; throws AWS's 429 with its Reason when none is free.
   */
  acquire(account: string, fn: string, reserved: number | null): true | Promise<void> {
    const fs = reserved === null ? undefined : this.scope(account, fn);
    const as = this.scope(account, '');
    if (fs && reserved === 0) throw throttled('ReservedFunctionConcurrentInvocationLimitExceeded');
    if ((!fs || fs.used < fs.held) && as.used < as.held) {
      if (fs) this.use(fs);
      this.use(as);
      return true;
    }
    return (async () => {
      if (fs) await this.take(fs, reserved!, 'ReservedFunctionConcurrentInvocationLimitExceeded');
      try {
        await this.take(as, this.accountLimit, 'ConcurrentInvocationLimitExceeded');
      } catch (e) {
        if (fs) this.release1(fs, true);
        throw e;
      }
    })();
  }

  release(account: string, fn: string, reserved: number | null): void {
    if (reserved !== null) {
      const fs = this.scopes.get(`${account}\u0000${fn}`);
      if (fs) this.release1(fs, true);
    }
    const as = this.scopes.get(`${account}\u0000`);
    if (as) this.release1(as, false);
  }

  private use(s: Scope): void {
    s.used++;
    s.lastUsed = Date.now();
  }

  private release1(s: Scope, promptly: boolean): void {
    s.used = Math.max(0, s.used - 1);
    s.lastUsed = Date.now();
    if (promptly) this.giveBack(s);
  }

  /** Gets one more slot for `s` (and uses it), or throws the 429. */
  private async take(s: Scope, limit: number, reason: string): Promise<void> {
    for (let round = 0; round < 2; round++) {
      if (s.used < s.held) return this.use(s);
      const granted = await this.grow(s, limit);
      if (granted) return this.use(s);
      if (round === 0) await this.askOthers(s);
    }
    throw throttled(reason);
  }

  /** Asks the database for slots up to what this node needs now (plus a few spare for the account's scope). */
  private grow(s: Scope, limit: number): Promise<boolean> {
    const run = s.op.then(async () => {
      if (s.used < s.held) return true;
      // The account's scope takes a few spare slots at once (a sixteenth of the limit, at most 16): a busy node then
      // asks the database once per that many new concurrent invocations, not once per invocation.
      const spare = s.scope === '' ? Math.min(16, Math.floor(limit / 16)) : 0;
      const wanted = Math.min(limit, s.used + 1 + spare);
      const r = await this.h.pool.query<{ n: number }>('SELECT alonzo_take_slots($1, $2, $3, $4, $5, $6, $7) AS n', [
        s.account,
        s.scope,
        this.nodeId,
        wanted,
        limit,
        this.h.lockKey(`slots:${s.account}:${s.scope}`),
        DEAD_AFTER_MS,
      ]);
      s.held = r.rows[0].n;
      return s.used < s.held;
    });
    s.op = run.catch(() => undefined);
    return run.catch((e) => {
      // No database: refuse rather than run past a limit nobody can check. The caller answers 429; the engine's
      // callers see it as a throttle (Event invokes retry).
      this.log.warn('cluster:slots-unavailable', { error: (e as Error).message });
      return false;
    });
  }

  /** Tells the others this node wants a slot of `s`, and waits until one gives some back (or DEMAND_WAIT_MS). */
  private async askOthers(s: Scope): Promise<void> {
    const key = `${s.account}\u0000${s.scope}`;
    const freed = new Promise<void>((ok) => {
      const list = this.waiters.get(key) ?? [];
      list.push(ok);
      this.waiters.set(key, list);
      setTimeout(ok, DEMAND_WAIT_MS).unref();
    });
    await this.bus.publish('concurrency', { kind: 'wanted', account: s.account, scope: s.scope });
    await freed;
  }

  /** Returns the slots `s` holds beyond what it uses, and tells the others. */
  private giveBack(s: Scope): void {
    if (s.returning) return;
    s.returning = true;
    s.op = s.op.then(async () => {
      s.returning = false;
      if (s.held <= s.used) return;
      // Held drops here, before the write: an invocation starting meanwhile must not use a slot being given back. If
      // the write fails, the database still counts the slots as this node's: safe (fewer run), and put right later.
      const keep = s.used;
      s.held = keep;
      try {
        await this.h.pool.query('UPDATE concurrency_leases SET slots = $4 WHERE account = $1 AND scope = $2 AND node = $3', [s.account, s.scope, this.nodeId, keep]);
        await this.bus.publish('concurrency', { kind: 'freed', account: s.account, scope: s.scope });
      } catch (e) {
        this.log.warn('cluster:slots-return-failed', { error: (e as Error).message });
      }
    });
  }

  private sweep(): void {
    const now = Date.now();
    for (const s of this.scopes.values()) {
      if (s.held > s.used && now - s.lastUsed > LINGER_MS) this.giveBack(s);
    }
  }

  /** Invocations running on this node under cluster slots (for status). */
  running(): number {
    let n = 0;
    for (const s of this.scopes.values()) if (s.scope === '') n += s.used;
    return n;
  }

  close(): void {
    clearInterval(this.timer);
  }
}
