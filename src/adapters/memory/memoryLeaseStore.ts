/** In-memory `LeaseStore` with the table adapter's lease semantics. */
import { randomUUID } from 'node:crypto';
import type { Lease, LeaseStore } from '../../lib/resync';
import { StorageUnavailable } from '../../lib/shared/errors';

interface Row {
  deltaLink: string | undefined;
  owner: string | undefined;
  until: number;
}

export class MemoryLeaseStore implements LeaseStore {
  readonly rows = new Map<string, Row>();

  tryAcquire(tenantId: string, key: string, now: Date, leaseMs: number): Promise<Lease | undefined> {
    const id = `${tenantId}|${key}`;
    const row = this.rows.get(id) ?? { deltaLink: undefined, owner: undefined, until: 0 };
    if (row.owner !== undefined && row.until > now.getTime()) return Promise.resolve(undefined);
    const token = randomUUID();
    this.rows.set(id, { ...row, owner: token, until: now.getTime() + leaseMs });
    return Promise.resolve({ tenantId, key, deltaLink: row.deltaLink, token });
  }

  saveLink(lease: Lease, deltaLink: string | undefined): Promise<Lease> {
    const row = this.rows.get(`${lease.tenantId}|${lease.key}`);
    if (row?.owner !== lease.token)
      return Promise.reject(new StorageUnavailable(`delta lease for ${lease.key} was lost to another run`));
    row.deltaLink = deltaLink;
    return Promise.resolve({ ...lease, deltaLink });
  }

  release(lease: Lease): Promise<void> {
    const row = this.rows.get(`${lease.tenantId}|${lease.key}`);
    if (row?.owner === lease.token) {
      row.owner = undefined;
      row.until = 0;
    }
    return Promise.resolve();
  }
}
