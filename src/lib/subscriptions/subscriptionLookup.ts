/**
 * The webhook's view of the subscription table: a point read per subscription id, cached in process for a
 * short TTL so a burst of notifications costs one table read per subscription rather than one per item.
 * Concurrent lookups of the same id share one read. Unknown ids are cached for a shorter time (at most
 * 5 s) so a subscription created a moment ago is not refused for long, while a flood of forged ids still
 * cannot turn into a flood of reads.
 */
import type { Clock } from '../shared/clock';
import type { SubscriptionRecord } from './subscriptionRecord';
import type { SubscriptionRepository } from './subscriptionRepository';

export type SubscriptionLookup = (subscriptionId: string) => Promise<SubscriptionRecord | undefined>;

const NEGATIVE_TTL_CAP_MS = 5_000;
/** Bound on cached entries; the oldest are evicted first. Far above any realistic subscription count per app instance. */
const MAX_ENTRIES = 10_000;

interface Entry {
  readonly value: Promise<SubscriptionRecord | undefined>;
  expiresAt: number;
}

export function createCachedSubscriptionLookup(repository: Pick<SubscriptionRepository, 'get'>, clock: Clock, ttlMs: number): SubscriptionLookup {
  const entries = new Map<string, Entry>();
  return async (subscriptionId) => {
    const now = clock.now().getTime();
    const cached = entries.get(subscriptionId);
    if (cached !== undefined && cached.expiresAt > now) return cached.value;

    const value = repository.get(subscriptionId);
    // Share the in-flight read; on failure forget it so the next caller retries.
    const entry: Entry = { value, expiresAt: Number.POSITIVE_INFINITY };
    entries.delete(subscriptionId);
    entries.set(subscriptionId, entry);
    if (entries.size > MAX_ENTRIES) {
      const oldest = entries.keys().next().value;
      if (oldest !== undefined) entries.delete(oldest);
    }
    try {
      const record = await value;
      entry.expiresAt = clock.now().getTime() + (record === undefined ? Math.min(ttlMs, NEGATIVE_TTL_CAP_MS) : ttlMs);
      return record;
    } catch (error) {
      if (entries.get(subscriptionId) === entry) entries.delete(subscriptionId);
      throw error;
    }
  };
}
