/**
 * The port of the resync area: named leases, one run at a time per tenant and key, each keeping the delta
 * link of the stream it guards. Delta streams take one per resource (docs/graph-protocol.md §6.3:
 * serialise delta per resource and always continue from the previous link); the reconciler's drift check
 * and whole-table read and the periodic resync take one per tenant (and hold it for Graph's Retry-After).
 * Azure adapter: src/adapters/azure/tableLeaseStore.ts (table DELTA_STATE_TABLE_NAME); in-memory one:
 * src/adapters/memory/memoryLeaseStore.ts.
 */

export interface Lease {
  readonly tenantId: string;
  readonly key: string;
  /**
   * The stored delta link to continue from, or undefined to start from scratch (always undefined for keys no
   * delta stream uses).
   */
  readonly deltaLink: string | undefined;
  /** Opaque token guarding the write-back. */
  readonly token: string;
}

/** A lease expires by itself, so a crashed run cannot block its key for longer than `leaseMs`. */
export interface LeaseStore {
  /** Takes the lease, or answers undefined when another run holds it. */
  tryAcquire(tenantId: string, key: string, now: Date, leaseMs: number): Promise<Lease | undefined>;
  /** Stores the new link (undefined = forget it, forcing a full sync next time) and keeps the lease. */
  saveLink(lease: Lease, deltaLink: string | undefined): Promise<Lease>;
  release(lease: Lease): Promise<void>;
}
