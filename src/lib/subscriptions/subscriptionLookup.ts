/**
 * The webhook's view of the subscription table: a point read per subscription id, cached in process for a
 * short TTL so a burst of notifications costs one table read per subscription rather than one per item.
 * Concurrent lookups of the same id share one read. Unknown ids are remembered for a shorter time (at most
 * 5 s) so a subscription created a moment ago is not refused for long.
 *
 * A forged flood carries many distinct ids, each unknown. `lookupMany` answers a request's ids together:
 * each id once, and when more than `POINT_READS_PER_REQUEST` of them are not cached it reads the whole
 * (small) table once instead of once per id. That listing is kept as a snapshot for the same short time as
 * an unknown id: an id absent from a snapshot taken within that time is unknown without any read, so a
 * stream of forged POSTs costs one table listing every few seconds, whatever ids they carry. Unknown ids
 * answered by a snapshot are not cached one by one, so a flood cannot push real subscriptions out of the
 * cache.
 */
import type { Clock } from '../shared/clock';
import type { SubscriptionRecord } from './subscriptionRecord';
import type { SubscriptionRepository } from './subscriptionRepository';

export interface SubscriptionLookup {
  /** One id; `undefined` when it is not a subscription of this app. */
  (subscriptionId: string): Promise<SubscriptionRecord | undefined>;
  /** Every id of one request, each looked up once; absent from the map means unknown. */
  lookupMany(subscriptionIds: Iterable<string>): Promise<ReadonlyMap<string, SubscriptionRecord>>;
}

const NEGATIVE_TTL_CAP_MS = 5_000;
/** Bound on cached entries; the oldest are evicted first. Far above any realistic subscription count per app instance. */
const MAX_ENTRIES = 10_000;
/** Above this many uncached ids in one request, one table listing is cheaper than a point read each. */
export const POINT_READS_PER_REQUEST = 8;

interface Entry {
  readonly value: Promise<SubscriptionRecord | undefined>;
  expiresAt: number;
}

interface Snapshot {
  readonly startedAt: number;
  readonly records: Promise<ReadonlyMap<string, SubscriptionRecord>>;
}

export function createCachedSubscriptionLookup(repository: Pick<SubscriptionRepository, 'get' | 'list'>, clock: Clock, ttlMs: number): SubscriptionLookup {
  const entries = new Map<string, Entry>();
  const negativeTtlMs = Math.min(ttlMs, NEGATIVE_TTL_CAP_MS);
  let snapshot: Snapshot | undefined;

  const remember = (subscriptionId: string, entry: Entry): void => {
    entries.delete(subscriptionId);
    entries.set(subscriptionId, entry);
    if (entries.size > MAX_ENTRIES) {
      const oldest = entries.keys().next().value;
      if (oldest !== undefined) entries.delete(oldest);
    }
  };

  const cached = (subscriptionId: string, now: number): Entry | undefined => {
    const entry = entries.get(subscriptionId);
    return entry !== undefined && entry.expiresAt > now ? entry : undefined;
  };

  /** A listing started no longer ago than an unknown id may be remembered, or undefined. */
  const freshSnapshot = (now: number): Snapshot | undefined => (snapshot !== undefined && now - snapshot.startedAt < negativeTtlMs ? snapshot : undefined);

  const takeSnapshot = (now: number): Snapshot => {
    const taken: Snapshot = {
      startedAt: now,
      records: repository.list().then((records) => new Map(records.map((record) => [record.subscriptionId, record]))),
    };
    snapshot = taken;
    // A failed listing is forgotten so the next request tries again; its callers see the failure.
    taken.records.catch(() => {
      if (snapshot === taken) snapshot = undefined;
    });
    return taken;
  };

  const pointRead = async (subscriptionId: string): Promise<SubscriptionRecord | undefined> => {
    const value = repository.get(subscriptionId);
    // Share the in-flight read; on failure forget it so the next caller retries.
    const entry: Entry = { value, expiresAt: Number.POSITIVE_INFINITY };
    remember(subscriptionId, entry);
    try {
      const record = await value;
      entry.expiresAt = clock.now().getTime() + (record === undefined ? negativeTtlMs : ttlMs);
      return record;
    } catch (error) {
      if (entries.get(subscriptionId) === entry) entries.delete(subscriptionId);
      throw error;
    }
  };

  const lookup = async (subscriptionId: string): Promise<SubscriptionRecord | undefined> => {
    const now = clock.now().getTime();
    const entry = cached(subscriptionId, now);
    if (entry !== undefined) return entry.value;
    const recent = freshSnapshot(now);
    if (recent !== undefined) return (await recent.records).get(subscriptionId);
    return pointRead(subscriptionId);
  };

  const lookupMany = async (subscriptionIds: Iterable<string>): Promise<ReadonlyMap<string, SubscriptionRecord>> => {
    const now = clock.now().getTime();
    const found = new Map<string, SubscriptionRecord>();
    const misses: string[] = [];
    const hits: Promise<void>[] = [];
    for (const subscriptionId of new Set(subscriptionIds)) {
      const entry = cached(subscriptionId, now);
      if (entry === undefined) misses.push(subscriptionId);
      else
        hits.push(
          entry.value.then((record) => {
            if (record !== undefined) found.set(subscriptionId, record);
          }),
        );
    }
    await Promise.all(hits);
    if (misses.length === 0) return found;

    const recent = freshSnapshot(now) ?? (misses.length > POINT_READS_PER_REQUEST ? takeSnapshot(now) : undefined);
    if (recent === undefined) {
      const records = await Promise.all(misses.map((subscriptionId) => pointRead(subscriptionId)));
      for (const record of records) if (record !== undefined) found.set(record.subscriptionId, record);
      return found;
    }
    const listed = await recent.records;
    const expiresAt = recent.startedAt + ttlMs;
    for (const subscriptionId of misses) {
      const record = listed.get(subscriptionId);
      if (record === undefined) continue;
      found.set(subscriptionId, record);
      if (expiresAt > now) remember(subscriptionId, { value: Promise.resolve(record), expiresAt });
    }
    return found;
  };

  return Object.assign(lookup, { lookupMany });
}
