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
  return new TableLeaseStore(table);
}

class TableLeaseStore implements LeaseStore {
  readonly #table: TableClient;
  readonly #ensureTable: () => Promise<unknown>;

  constructor(table: TableClient) {
    this.#table = table;
    this.#ensureTable = once(() => table.createTable());
  }

  async tryAcquire(tenantId: string, key: string, now: Date, leaseMs: number): Promise<Lease | undefined> {
    await this.#ensureTable().catch((error: unknown) => {
      throw this.#unavailable('create table', error);
    });
    const rowKey = rowKeyOf(key);
    let existing: (DeltaEntity & { etag: string }) | undefined;
    try {
      existing = await this.#table.getEntity<DeltaEntity>(tenantId, rowKey);
    } catch (error) {
      if (statusOf(error) !== 404) throw this.#unavailable('read delta state', error);
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
      const response =
        existing === undefined
          ? await this.#table.createEntity(entity)
          : await this.#table.updateEntity(entity, 'Replace', { etag: existing.etag });
      const lease: HeldLease = { tenantId, key, deltaLink: existing?.deltaLink, token, etag: response.etag ?? '' };
      return lease;
    } catch (error) {
      const status = statusOf(error);
      if (status === 409 || status === 412) return undefined;
      throw this.#unavailable('take delta lease', error);
    }
  }

  async saveLink(lease: Lease, deltaLink: string | undefined): Promise<Lease> {
    const held = lease as HeldLease;
    const entity = await this.#table
      .getEntity<DeltaEntity>(held.tenantId, rowKeyOf(held.key))
      .catch((error: unknown) => {
        throw this.#unavailable('read delta state', error);
      });
    if (entity.leaseOwner !== held.token)
      throw new StorageUnavailable(`delta lease for ${held.key} was lost to another run`);
    const { etag: _etag, ...rest } = entity;
    const next: DeltaEntity = { ...rest, partitionKey: held.tenantId, rowKey: rowKeyOf(held.key), key: held.key };
    if (deltaLink === undefined) delete next.deltaLink;
    else next.deltaLink = deltaLink;
    try {
      const response = await this.#table.updateEntity(next, 'Replace', { etag: entity.etag });
      const updated: HeldLease = { ...held, deltaLink, etag: response.etag ?? '' };
      return updated;
    } catch (error) {
      throw this.#unavailable('save delta link', error);
    }
  }

  async release(lease: Lease): Promise<void> {
    const held = lease as HeldLease;
    try {
      const entity = await this.#table.getEntity<DeltaEntity>(held.tenantId, rowKeyOf(held.key));
      if (entity.leaseOwner !== held.token) return;
      const { etag, leaseOwner: _owner, leaseUntil: _until, ...rest } = entity;
      await this.#table.updateEntity({ ...rest, partitionKey: held.tenantId, rowKey: rowKeyOf(held.key) }, 'Replace', {
        etag,
      });
    } catch {
      // The lease expires by itself; failing to release it only delays the next run.
    }
  }

  #unavailable(operation: string, error: unknown): StorageUnavailable {
    return new StorageUnavailable(`${operation} on table ${this.#table.tableName}`, { cause: error });
  }
}
