// What the pollers need from the rest of the server, as small ports.
import type { EventRunner } from '../invoke/types.js';
import type { Logger } from '../core/logger.js';
import type { MappingRecord, Store } from '../store/types.js';
import type { SourceClients } from './clients.js';

export interface PollerDeps {
  /** The engine, as the async pollers use it: one invocation, its outcome told apart (success, function error, throttle…). */
  runner: EventRunner;
  clients: SourceClients;
  log: Logger;
  /** The server's own account's store (forAccount for the others): reserved concurrency, checkpoints. */
  store: Store;
}

/** A running poller of one mapping (or shard): stopped when the mapping changes, is disabled or deleted. */
export interface MappingPoller {
  /** Stops receiving; resolves once the batch in flight (if any) has finished. */
  stop(): Promise<void>;
}

export interface PollerTarget {
  /** The mapping's account id ('' never: the server's own is named by its id). */
  accountId: string;
  mapping: MappingRecord;
}

/**
 * Cluster mode's leases (cluster/esm-leases.ts): a node polls a mapping only while it holds the mapping's lease.
 * Without them (one server), every mapping is this server's.
 */
export interface MappingLeases {
  /** Takes or renews the mapping's lease: true when this node holds it now. */
  acquire(uuid: string): Promise<boolean>;
  release(uuid: string): Promise<void>;
}
