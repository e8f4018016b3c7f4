/**
 * `SubscriptionRepository` over Azure Table Storage. One entity per subscription with
 * PartitionKey = Graph subscription id and RowKey = "subscription", so the webhook's lookup is a point
 * read and writes to different subscriptions never contend on a partition. Updates and deletes are
 * conditional on the ETag (optimistic concurrency).
 */
import type { TableClient, TableEntityResult } from '@azure/data-tables';
import { StorageConflict, StorageUnavailable } from '../../lib/shared/errors';
import {
  SUBSCRIPTION_STATUSES,
  type StoredSubscription,
  type SubscriptionRecord,
  type SubscriptionRepository,
  type SubscriptionStatus,
} from '../../lib/subscriptions';
import { once, statusOf } from './storageClients';

const ROW_KEY = 'subscription';

interface SubscriptionEntity {
  partitionKey: string;
  rowKey: string;
  tenantId: string;
  resource: string;
  requestedResource?: string;
  changeType: string;
  clientState: string;
  notificationUrl: string;
  lifecycleNotificationUrl?: string;
  expirationDateTime: string;
  includeResourceData: boolean;
  encryptionCertificateId?: string;
  status: string;
  lastRenewedAt?: string;
  lastError?: string;
  createdAt: string;
  updatedAt: string;
  origin?: string;
  leaseUntil?: string;
  lastReauthorizedAt?: string;
  resyncPendingSince?: string;
  lastResyncedAt?: string;
  reauthorizationOwedSince?: string;
  replaces?: string;
}

/** Table properties hold at most 64 KiB; keep operator-facing errors well under it. */
const MAX_ERROR_LENGTH = 2000;

function toEntity(record: SubscriptionRecord): SubscriptionEntity {
  return {
    partitionKey: record.subscriptionId,
    rowKey: ROW_KEY,
    tenantId: record.tenantId,
    resource: record.resource,
    ...(record.requestedResource === undefined ? {} : { requestedResource: record.requestedResource }),
    changeType: record.changeType,
    clientState: record.clientState,
    notificationUrl: record.notificationUrl,
    ...(record.lifecycleNotificationUrl === undefined
      ? {}
      : { lifecycleNotificationUrl: record.lifecycleNotificationUrl }),
    expirationDateTime: record.expirationDateTime,
    includeResourceData: record.includeResourceData,
    ...(record.encryptionCertificateId === undefined
      ? {}
      : { encryptionCertificateId: record.encryptionCertificateId }),
    status: record.status,
    ...(record.lastRenewedAt === undefined ? {} : { lastRenewedAt: record.lastRenewedAt }),
    ...(record.lastError === undefined ? {} : { lastError: record.lastError.slice(0, MAX_ERROR_LENGTH) }),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    ...(record.origin === undefined ? {} : { origin: record.origin }),
    ...(record.leaseUntil === undefined ? {} : { leaseUntil: record.leaseUntil }),
    ...(record.lastReauthorizedAt === undefined ? {} : { lastReauthorizedAt: record.lastReauthorizedAt }),
    ...(record.resyncPendingSince === undefined ? {} : { resyncPendingSince: record.resyncPendingSince }),
    ...(record.lastResyncedAt === undefined ? {} : { lastResyncedAt: record.lastResyncedAt }),
    ...(record.reauthorizationOwedSince === undefined
      ? {}
      : { reauthorizationOwedSince: record.reauthorizationOwedSince }),
    ...(record.replaces === undefined ? {} : { replaces: record.replaces }),
  };
}

function isStatus(value: string): value is SubscriptionStatus {
  return (SUBSCRIPTION_STATUSES as readonly string[]).includes(value);
}

function fromEntity(entity: TableEntityResult<SubscriptionEntity>): StoredSubscription {
  return {
    subscriptionId: entity.partitionKey,
    tenantId: entity.tenantId,
    resource: entity.resource,
    changeType: entity.changeType,
    clientState: entity.clientState,
    notificationUrl: entity.notificationUrl,
    lifecycleNotificationUrl: entity.lifecycleNotificationUrl,
    expirationDateTime: entity.expirationDateTime,
    includeResourceData: entity.includeResourceData,
    encryptionCertificateId: entity.encryptionCertificateId,
    status: isStatus(entity.status) ? entity.status : 'failed',
    lastRenewedAt: entity.lastRenewedAt,
    lastError: entity.lastError,
    createdAt: entity.createdAt,
    updatedAt: entity.updatedAt,
    // Optional fields stay absent when the entity has none (rows written before they existed).
    ...(entity.origin === 'operator' || entity.origin === 'desiredState' ? { origin: entity.origin } : {}),
    ...(entity.leaseUntil === undefined ? {} : { leaseUntil: entity.leaseUntil }),
    ...(entity.lastReauthorizedAt === undefined ? {} : { lastReauthorizedAt: entity.lastReauthorizedAt }),
    ...(entity.resyncPendingSince === undefined ? {} : { resyncPendingSince: entity.resyncPendingSince }),
    ...(entity.lastResyncedAt === undefined ? {} : { lastResyncedAt: entity.lastResyncedAt }),
    ...(entity.reauthorizationOwedSince === undefined
      ? {}
      : { reauthorizationOwedSince: entity.reauthorizationOwedSince }),
    ...(entity.replaces === undefined ? {} : { replaces: entity.replaces }),
    ...(entity.requestedResource === undefined ? {} : { requestedResource: entity.requestedResource }),
    etag: entity.etag,
  };
}

// An adapter factory: its body is the port's methods over one table client, each short.
export function createTableSubscriptionRepository(table: TableClient): SubscriptionRepository {
  const ensureTable = once(() => table.createTable());
  const fail = (operation: string, error: unknown): never => {
    const status = statusOf(error);
    if (status === 409 || status === 412) throw new StorageConflict(`Subscription (${operation})`, { cause: error });
    throw new StorageUnavailable(`${operation} on table ${table.tableName}`, { cause: error });
  };
  const read = async (subscriptionId: string): Promise<StoredSubscription | undefined> => {
    try {
      return fromEntity(await table.getEntity<SubscriptionEntity>(subscriptionId, ROW_KEY));
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      return fail('read subscription', error);
    }
  };
  const query = async (filter: string): Promise<StoredSubscription[]> => {
    await ensureTable().catch((error: unknown) => fail('create table', error));
    try {
      const results: StoredSubscription[] = [];
      for await (const entity of table.listEntities<SubscriptionEntity>({ queryOptions: { filter } }))
        results.push(fromEntity(entity));
      return results;
    } catch (error) {
      return fail('list subscriptions', error);
    }
  };
  const stored = (record: SubscriptionRecord, etag: string | undefined): StoredSubscription => {
    if (etag === undefined)
      throw new StorageUnavailable(`write subscription ${record.subscriptionId} (no ETag returned)`);
    return { ...record, etag };
  };

  return {
    async get(subscriptionId) {
      await ensureTable().catch((error: unknown) => fail('create table', error));
      return read(subscriptionId);
    },
    async list() {
      return query(`RowKey eq '${ROW_KEY}'`);
    },
    async listDue(expiringBefore) {
      // ISO 8601 UTC strings of one format compare like the instants; a missing property never matches.
      return query(
        `RowKey eq '${ROW_KEY}' and (status ne 'active' or expirationDateTime lt '${expiringBefore.toISOString()}' or resyncPendingSince ge '0')`,
      );
    },
    async create(record) {
      await ensureTable().catch((error: unknown) => fail('create table', error));
      try {
        return stored(record, (await table.createEntity(toEntity(record))).etag);
      } catch (error) {
        return fail('create subscription', error);
      }
    },
    async update(record, etag) {
      try {
        return stored(record, (await table.updateEntity(toEntity(record), 'Replace', { etag })).etag);
      } catch (error) {
        return fail('update subscription', error);
      }
    },
    async delete(subscriptionId, etag) {
      try {
        await table.deleteEntity(subscriptionId, ROW_KEY, { etag });
      } catch (error) {
        if (statusOf(error) === 404) return;
        fail('delete subscription', error);
      }
    },
  };
}
