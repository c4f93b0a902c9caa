// Cluster mode's leases on event source mappings: each mapping is polled by exactly one node at a time, the one whose
// lease on it holds (migration postgres/010). A node renews its leases on every scan of its mapping manager; a lease
// not renewed for LEASE_MS (the node died, or lost the database) is free for another node to take, which then starts
// the mapping's pollers from the store's checkpoints.
import type { PgHandle } from '../store/postgres/db.js';

/**
 * How long a lease holds without renewal. Renewed every ~1 s, so a lease runs out only after ~10 scans in a row
 * failed; a dead node's mappings move after at most this long (plus one scan).
 */
export const LEASE_MS = 10_000;

export interface MappingLeases {
  /** Takes the mapping's lease, or renews it if this node holds it: true when this node holds it now. */
  acquire(uuid: string): Promise<boolean>;
  /** Gives the lease up (the mapping was disabled or deleted, or the node stops). */
  release(uuid: string): Promise<void>;
}

export function postgresMappingLeases(h: PgHandle, nodeId: string, leaseMs = LEASE_MS): MappingLeases {
  return {
    async acquire(uuid) {
      const r = await h.pool.query(
        `INSERT INTO event_source_leases (uuid, owner, lease_until) VALUES ($1, $2, alonzo_now_ms() + $3)
         ON CONFLICT (uuid) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
           WHERE event_source_leases.owner = excluded.owner OR event_source_leases.lease_until <= alonzo_now_ms()
         RETURNING owner`,
        [uuid, nodeId, leaseMs],
      );
      return r.rowCount === 1;
    },
    async release(uuid) {
      await h.pool.query('DELETE FROM event_source_leases WHERE uuid = $1 AND owner = $2', [uuid, nodeId]);
    },
  };
}
