/** In-memory `SubscriptionRepository` with the same ETag semantics as the table adapter. */
import { randomUUID } from 'node:crypto';
import { StorageConflict } from '../../lib/shared/errors';
import type { StoredSubscription, SubscriptionRecord, SubscriptionRepository } from '../../lib/subscriptions';

export class MemorySubscriptionRepository implements SubscriptionRepository {
  readonly #rows = new Map<string, StoredSubscription>();
  /** Number of `get` calls, so tests can assert on caching. */
  reads = 0;

  get(subscriptionId: string): Promise<StoredSubscription | undefined> {
    this.reads += 1;
    return Promise.resolve(this.#rows.get(subscriptionId));
  }

  list(): Promise<StoredSubscription[]> {
    return Promise.resolve([...this.#rows.values()]);
  }

  listDue(expiringBefore: Date): Promise<StoredSubscription[]> {
    return Promise.resolve(
      [...this.#rows.values()].filter(
        (row) =>
          row.status !== 'active' ||
          Date.parse(row.expirationDateTime) < expiringBefore.getTime() ||
          row.resyncPendingSince !== undefined,
      ),
    );
  }

  create(record: SubscriptionRecord): Promise<StoredSubscription> {
    if (this.#rows.has(record.subscriptionId))
      return Promise.reject(new StorageConflict(`Subscription ${record.subscriptionId}`));
    return Promise.resolve(this.#store(record));
  }

  update(record: SubscriptionRecord, etag: string): Promise<StoredSubscription> {
    if (this.#rows.get(record.subscriptionId)?.etag !== etag)
      return Promise.reject(new StorageConflict(`Subscription ${record.subscriptionId}`));
    return Promise.resolve(this.#store(record));
  }

  delete(subscriptionId: string, etag: string): Promise<void> {
    const current = this.#rows.get(subscriptionId);
    if (current === undefined) return Promise.resolve();
    if (current.etag !== etag) return Promise.reject(new StorageConflict(`Subscription ${subscriptionId}`));
    this.#rows.delete(subscriptionId);
    return Promise.resolve();
  }

  #store(record: SubscriptionRecord): StoredSubscription {
    const stored = { ...record, etag: `W/"${randomUUID()}"` };
    this.#rows.set(record.subscriptionId, stored);
    return stored;
  }
}
