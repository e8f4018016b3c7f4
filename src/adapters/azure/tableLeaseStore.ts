/**
 * `LeaseStore` over Table Storage: one entity per lease key (PartitionKey = tenant, RowKey = a
 * hash of the key, which may contain characters tables forbid in keys) holding the delta link and a
 * lease (owner token + expiry). Taking and renewing the lease are ETag-conditional writes, so two
 * invocations can never both run delta on one resource.
 */
import type { TableClient } from '@azure/data-tables';
import { createHash, randomUUID } from 'node:crypto';
import type { Lease, LeaseStore } from '../../lib/resync';
import { StorageUnavailable } from '../../lib/shared/errors';
import { once, statusOf } from './storageClients';

interface DeltaEntity {
  partitionKey: string;
  rowKey: string;
  key: string;
  deltaLink?: string;
  leaseOwner?: string;
  leaseUntil?: string;
}

interface HeldLease extends Lease {
  /** ETag of the entity as this lease holder last wrote it. */
  readonly etag: string;
}

const rowKeyOf = (key: string): string => createHash('sha256').update(key).digest('hex');

export function createTableLeaseStore(table: TableClient): LeaseStore {
  const ensureTable = once(() => table.createTable());
  const unavailable = (operation: string, error: unknown): StorageUnavailable => new StorageUnavailable(`${operation} on table ${table.tableName}`, { cause: error });

  return {
    async tryAcquire(tenantId, key, now, leaseMs) {
      await ensureTable().catch((error: unknown) => {
        throw unavailable('create table', error);
      });
      const rowKey = rowKeyOf(key);
      let existing: (DeltaEntity & { etag: string }) | undefined;
      try {
        existing = await table.getEntity<DeltaEntity>(tenantId, rowKey);
      } catch (error) {
        if (statusOf(error) !== 404) throw unavailable('read delta state', error);
      }
      if (existing?.leaseUntil !== undefined && existing.leaseUntil > now.toISOString()) return undefined;
      const token = randomUUID();
      const entity: DeltaEntity = {
        partitionKey: tenantId,
        rowKey,
        key,
        ...(existing?.deltaLink === undefined ? {} : { deltaLink: existing.deltaLink }),
        leaseOwner: token,
        leaseUntil: new Date(now.getTime() + leaseMs).toISOString(),
      };
      try {
        const response = existing === undefined ? await table.createEntity(entity) : await table.updateEntity(entity, 'Replace', { etag: existing.etag });
        const lease: HeldLease = { tenantId, key, deltaLink: existing?.deltaLink, token, etag: response.etag ?? '' };
        return lease;
      } catch (error) {
        const status = statusOf(error);
        if (status === 409 || status === 412) return undefined;
        throw unavailable('take delta lease', error);
      }
    },

    async saveLink(lease, deltaLink) {
      const held = lease as HeldLease;
      const entity = await table.getEntity<DeltaEntity>(held.tenantId, rowKeyOf(held.key)).catch((error: unknown) => {
        throw unavailable('read delta state', error);
      });
      if (entity.leaseOwner !== held.token) throw new StorageUnavailable(`delta lease for ${held.key} was lost to another run`);
      const { etag: _etag, ...rest } = entity;
      const next: DeltaEntity = { ...rest, partitionKey: held.tenantId, rowKey: rowKeyOf(held.key), key: held.key };
      if (deltaLink === undefined) delete next.deltaLink;
      else next.deltaLink = deltaLink;
      try {
        const response = await table.updateEntity(next, 'Replace', { etag: entity.etag });
        const updated: HeldLease = { ...held, deltaLink, etag: response.etag ?? '' };
        return updated;
      } catch (error) {
        throw unavailable('save delta link', error);
      }
    },

    async release(lease) {
      const held = lease as HeldLease;
      try {
        const entity = await table.getEntity<DeltaEntity>(held.tenantId, rowKeyOf(held.key));
        if (entity.leaseOwner !== held.token) return;
        const { etag, leaseOwner: _owner, leaseUntil: _until, ...rest } = entity;
        await table.updateEntity({ ...rest, partitionKey: held.tenantId, rowKey: rowKeyOf(held.key) }, 'Replace', { etag });
      } catch {
        // The lease expires by itself; failing to release it only delays the next run.
      }
    },
  };
}
