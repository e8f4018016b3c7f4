/**
 * Port: where the subscriptions this app owns are kept. Writes use optimistic concurrency: `update` and
 * `delete` take the ETag of the version they replace and fail with `StorageConflict` if another writer got
 * there first, so two reconcilers never both renew one subscription.
 */
import type { StoredSubscription, SubscriptionRecord } from './subscriptionRecord';

export interface SubscriptionRepository {
  /** A point read by Graph subscription id. */
  get(subscriptionId: string): Promise<StoredSubscription | undefined>;
  list(): Promise<StoredSubscription[]>;
  /**
   * What a routine reconcile run needs, without reading the whole table: every record that is not
   * `active`, every `active` one expiring before `expiringBefore`, and every one owing a resync.
   */
  listDue(expiringBefore: Date): Promise<StoredSubscription[]>;
  /** Fails with `StorageConflict` if the id exists. */
  create(record: SubscriptionRecord): Promise<StoredSubscription>;
  /** Replaces the stored version whose ETag is `etag`; `StorageConflict` if it changed. */
  update(record: SubscriptionRecord, etag: string): Promise<StoredSubscription>;
  /** `StorageConflict` if it changed since `etag` was read; succeeds quietly if it is already gone. */
  delete(subscriptionId: string, etag: string): Promise<void>;
}
