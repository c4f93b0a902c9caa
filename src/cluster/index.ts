// Cluster mode's node-to-node parts, put together: membership (heartbeats), the message bus, cluster-wide concurrency,
// shared keys and secrets, and provisioned concurrency spread over the live nodes. The shared data itself goes through
// the PostgreSQL adapters of the ports (store, queue, code blobs, logs); see docs/CLUSTER.md.
import type { PgHandle } from '../store/postgres/db.js';
import type { Logger } from '../core/logger.js';
import type { Store } from '../store/types.js';
import type { InvokeEngine } from '../invoke/engine.js';
import type { EnvironmentPool } from '../runtime/pool.js';
import { isVersionNumber } from '../core/names.js';
import { ClusterBus } from './bus.js';
import { Membership } from './membership.js';
import { ClusterConcurrency } from './concurrency.js';
import { ClusterKeys, sharedSecret } from './keys.js';

export interface ClusterNode {
  membership: Membership;
  bus: ClusterBus;
  concurrency: ClusterConcurrency;
  keys: ClusterKeys;
  credentialSecret: Buffer;
  /** What the invoke engine takes (EngineDeps.cluster). */
  engineHooks: NonNullable<ConstructorParameters<typeof InvokeEngine>[0]['cluster']>;
  /** Once the engine and pool exist: environments retired and provisioned shares taken on messages and membership changes. */
  attach(engine: InvokeEngine, pool: EnvironmentPool, store: Store): void;
  /** Registers the node (after the server listens: its URL is known) and takes its provisioned share. */
  start(url: string): Promise<void>;
  stop(): Promise<void>;
}

export async function joinCluster(h: PgHandle, o: { url: string; name: string; accountLimit: number; log: Logger; stats: () => { environments: number; running: number; provisioned: Record<string, number> } }): Promise<ClusterNode> {
  const membership = new Membership(h, o.name, '', o.stats, o.log);
  const bus = new ClusterBus(h, o.url, membership.id, o.log);
  await bus.ready;
  const concurrency = new ClusterConcurrency(h, bus, membership.id, o.accountLimit, o.log);
  const keys = new ClusterKeys(h, bus, o.log);
  await keys.start();
  const credentialSecret = await sharedSecret(h, 'function-credentials');
  let rebalance = async () => {};
  let pending: Promise<void> | undefined;
  let again = false;
  /** One re-balance at a time; a request meanwhile runs one more after it. */
  const requestRebalance = () => {
    if (pending) {
      again = true;
      return;
    }
    pending = rebalance()
      .catch((e) => o.log.warn('cluster:rebalance-failed', { error: (e as Error).message }))
      .finally(() => {
        pending = undefined;
        if (again) {
          again = false;
          requestRebalance();
        }
      });
  };

  const node: ClusterNode = {
    membership,
    bus,
    concurrency,
    keys,
    credentialSecret,
    engineHooks: {
      acquire: (a, f, r) => concurrency.acquire(a, f, r),
      release: (a, f, r) => concurrency.release(a, f, r),
      evicted: (account, fn, version) => void bus.publish('evict', { account, fn, version }),
      share: (key, count) => membership.share(key, count),
      othersReady: (key) => membership.othersProvisioned.get(key) ?? 0,
      provisionChanged: () => void bus.publish('provisioned', {}),
    },
    attach(engine, pool, store) {
      bus.on('evict', (msg, self) => {
        if (!self) pool.evict(String(msg.account), String(msg.fn), msg.version === undefined ? undefined : String(msg.version));
      });
      rebalance = async () => {
        const keep = new Set<string>();
        for (const accountId of await store.accountIds()) {
          const own = store.forAccount(accountId);
          for (const cfg of await own.listProvisioned()) {
            const version = isVersionNumber(cfg.qualifier) ? cfg.qualifier : (await own.getAlias(cfg.functionName, cfg.qualifier))?.functionVersion;
            if (!version) continue;
            keep.add(`${accountId}/${cfg.functionName}/${version}`);
            await engine.provisionHere(accountId, cfg.functionName, version, cfg.requested);
          }
        }
        engine.unprovisionExcept(keep);
      };
      bus.on('provisioned', (_msg, self) => {
        if (!self) requestRebalance();
      });
      membership.onChange = () => requestRebalance();
      // Messages may have been lost while the listening connection was down: every environment may be stale.
      bus.onResume = () => requestRebalance();
    },
    async start(url) {
      await membership.start(url);
      requestRebalance();
      await pending;
    },
    async stop() {
      concurrency.close();
      keys.close();
      await membership.stop();
      await bus.close();
    },
  };
  return node;
}
