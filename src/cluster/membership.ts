// Who is in the cluster: every node registers a row in `nodes` and heartbeats it; a node whose heartbeat is older than
// DEAD_AFTER_MS is dead to the others (its concurrency slots stop counting, its provisioned share moves elsewhere).
// Times are the database's clock (alonzo_now_ms()), so the nodes' own clocks never disagree about who is alive.
import { randomUUID } from 'node:crypto';
import type { PgHandle } from '../store/postgres/db.js';
import type { Logger } from '../core/logger.js';

export const HEARTBEAT_MS = 1_000;
/** A node is dead after this long without a heartbeat: the bound on how long a killed node's slots keep counting. */
export const DEAD_AFTER_MS = 5_000;
/** Rows of nodes dead this long are removed (status shows a dead node for a while, then forgets it). */
const FORGET_AFTER_MS = 60_000;

export interface NodeStats {
  environments: number;
  running: number;
  /** Provisioned environments ready on this node, by `account/function/qualifier`. */
  provisioned: Record<string, number>;
}

export interface NodeRow {
  id: string;
  name: string;
  url: string;
  startedAt: number;
  heartbeatAt: number;
  alive: boolean;
  environments: number;
  running: number;
  provisioned: Record<string, number>;
}

export async function listNodes(h: PgHandle): Promise<NodeRow[]> {
  const r = await h.pool.query(
    `SELECT id, name, url, started_at, heartbeat_at, environments, running, provisioned, heartbeat_at > alonzo_now_ms() - $1 AS alive
       FROM nodes ORDER BY started_at, id`,
    [DEAD_AFTER_MS],
  );
  return r.rows.map((x) => ({
    id: x.id,
    name: x.name,
    url: x.url,
    startedAt: x.started_at,
    heartbeatAt: x.heartbeat_at,
    alive: x.alive,
    environments: x.environments,
    running: x.running,
    provisioned: JSON.parse(x.provisioned),
  }));
}

export class Membership {
  readonly id = randomUUID();
  private timer?: NodeJS.Timeout;
  private liveIds: string[] = [];
  private beating?: Promise<void>;
  private stopped = false;
  /** Called when the set of live nodes changes (ids sorted), after a heartbeat noticed it. */
  onChange?: (live: string[]) => void;

  constructor(
    private readonly h: PgHandle,
    private readonly name: string,
    private url: string,
    private readonly stats: () => NodeStats,
    private readonly log: Logger,
  ) {}

  /** Provisioned environments the other live nodes reported ready at the last heartbeat, by key (NodeStats). */
  othersProvisioned = new Map<string, number>();

  /**
   * This node's part of `count` provisioned environments for `key`: the count spread evenly over the live nodes, the
   * remainder going to nodes picked by the key's hash (so that many small configurations do not all land on one node).
   */
  share(key: string, count: number): number {
    const live = this.liveIds.length ? this.liveIds : [this.id];
    const k = live.length;
    let h = 0;
    for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) >>> 0;
    const index = (live.indexOf(this.id) - (h % k) + k) % k;
    return Math.floor(count / k) + (index >= 0 && index < count % k ? 1 : 0);
  }

  /** The live nodes as of the last heartbeat, this one included, sorted by id. */
  live(): string[] {
    return this.liveIds;
  }

  async start(url: string): Promise<void> {
    this.url = url;
    await this.beat();
    this.timer = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.timer.unref();
  }

  /** One heartbeat: upsert the row (a node others forgot comes back), read who else is alive. Never throws. */
  beat(): Promise<void> {
    this.beating ??= (async () => {
      try {
        const s = this.stats();
        await this.h.pool.query(
          `INSERT INTO nodes (id, name, url, started_at, heartbeat_at, environments, running, provisioned)
             VALUES ($1, $2, $3, alonzo_now_ms(), alonzo_now_ms(), $4, $5, $6)
           ON CONFLICT (id) DO UPDATE SET heartbeat_at = alonzo_now_ms(), url = EXCLUDED.url, environments = EXCLUDED.environments,
             running = EXCLUDED.running, provisioned = EXCLUDED.provisioned`,
          [this.id, this.name, this.url, s.environments, s.running, JSON.stringify(s.provisioned)],
        );
        const r = await this.h.pool.query<{ id: string; provisioned: string }>('SELECT id, provisioned FROM nodes WHERE heartbeat_at > alonzo_now_ms() - $1 ORDER BY id', [DEAD_AFTER_MS]);
        const others = new Map<string, number>();
        for (const row of r.rows) {
          if (row.id === this.id) continue;
          for (const [k, n] of Object.entries(JSON.parse(row.provisioned) as Record<string, number>)) others.set(k, (others.get(k) ?? 0) + n);
        }
        this.othersProvisioned = others;
        // Housekeeping any node may do: forget long-dead nodes and drop the slots of dead ones.
        await this.h.pool.query(
          `WITH dead AS (SELECT id FROM nodes WHERE heartbeat_at <= alonzo_now_ms() - $1)
           DELETE FROM concurrency_leases WHERE node IN (SELECT id FROM dead)`,
          [DEAD_AFTER_MS],
        );
        await this.h.pool.query('DELETE FROM nodes WHERE heartbeat_at <= alonzo_now_ms() - $1', [FORGET_AFTER_MS]);
        const ids = r.rows.map((x) => x.id);
        if (!this.stopped && ids.join() !== this.liveIds.join()) {
          this.liveIds = ids;
          this.onChange?.(ids);
        }
      } catch (e) {
        this.log.warn('cluster:heartbeat-failed', { error: (e as Error).message });
      }
    })().finally(() => (this.beating = undefined));
    return this.beating;
  }

  /** A clean stop: the row and the slots go at once, so the others need not wait DEAD_AFTER_MS. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.beating;
    await this.h.pool.query('DELETE FROM concurrency_leases WHERE node = $1', [this.id]).catch(() => undefined);
    await this.h.pool.query('DELETE FROM nodes WHERE id = $1', [this.id]).catch(() => undefined);
  }
}
