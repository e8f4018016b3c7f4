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

export function createCachedSubscriptionLookup(
  repository: Pick<SubscriptionRepository, 'get' | 'list'>,
  clock: Clock,
  ttlMs: number,
): SubscriptionLookup {
  const cache = new CachedLookup(repository, clock, ttlMs);
  return Object.assign((subscriptionId: string) => cache.lookup(subscriptionId), {
    lookupMany: (subscriptionIds: Iterable<string>) => cache.lookupMany(subscriptionIds),
  });
}

/** The cache behind a lookup: an entry per id (oldest first, for eviction) and the last table listing. */
class CachedLookup {
  readonly #entries = new Map<string, Entry>();
  readonly #repository: Pick<SubscriptionRepository, 'get' | 'list'>;
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #negativeTtlMs: number;
  #snapshot: Snapshot | undefined;

  constructor(repository: Pick<SubscriptionRepository, 'get' | 'list'>, clock: Clock, ttlMs: number) {
    this.#repository = repository;
    this.#clock = clock;
    this.#ttlMs = ttlMs;
    this.#negativeTtlMs = Math.min(ttlMs, NEGATIVE_TTL_CAP_MS);
  }

  async lookup(subscriptionId: string): Promise<SubscriptionRecord | undefined> {
    const now = this.#clock.now().getTime();
    const entry = this.#cached(subscriptionId, now);
    if (entry !== undefined) return entry.value;
    const recent = this.#freshSnapshot(now);
    if (recent !== undefined) return (await recent.records).get(subscriptionId);
    return this.#pointRead(subscriptionId);
  }

  /** Cached ids first; the misses from a recent listing, a new listing (many misses) or a point read each. */
  async lookupMany(subscriptionIds: Iterable<string>): Promise<ReadonlyMap<string, SubscriptionRecord>> {
    const now = this.#clock.now().getTime();
    const { found, misses } = await this.#fromCache(new Set(subscriptionIds), now);
    if (misses.length === 0) return found;
    const recent =
      this.#freshSnapshot(now) ?? (misses.length > POINT_READS_PER_REQUEST ? this.#takeSnapshot(now) : undefined);
    if (recent === undefined) await this.#readEach(misses, found);
    else await this.#readFromSnapshot(recent, misses, found, now);
    return found;
  }

  async #fromCache(
    subscriptionIds: ReadonlySet<string>,
    now: number,
  ): Promise<{ found: Map<string, SubscriptionRecord>; misses: string[] }> {
    const found = new Map<string, SubscriptionRecord>();
    const misses: string[] = [];
    const hits: Promise<void>[] = [];
    for (const subscriptionId of subscriptionIds) {
      const entry = this.#cached(subscriptionId, now);
      if (entry === undefined) misses.push(subscriptionId);
      else
        hits.push(
          entry.value.then((record) => {
            if (record !== undefined) found.set(subscriptionId, record);
          }),
        );
    }
    await Promise.all(hits);
    return { found, misses };
  }

  async #readEach(misses: readonly string[], found: Map<string, SubscriptionRecord>): Promise<void> {
    const records = await Promise.all(misses.map((subscriptionId) => this.#pointRead(subscriptionId)));
    for (const record of records) if (record !== undefined) found.set(record.subscriptionId, record);
  }

  /** Known ids from the listing are cached until it is `ttlMs` old; unknown ones are not cached one by one. */
  async #readFromSnapshot(
    recent: Snapshot,
    misses: readonly string[],
    found: Map<string, SubscriptionRecord>,
    now: number,
  ): Promise<void> {
    const listed = await recent.records;
    const expiresAt = recent.startedAt + this.#ttlMs;
    for (const subscriptionId of misses) {
      const record = listed.get(subscriptionId);
      if (record === undefined) continue;
      found.set(subscriptionId, record);
      if (expiresAt > now) this.#remember(subscriptionId, { value: Promise.resolve(record), expiresAt });
    }
  }

  #remember(subscriptionId: string, entry: Entry): void {
    this.#entries.delete(subscriptionId);
    this.#entries.set(subscriptionId, entry);
    if (this.#entries.size > MAX_ENTRIES) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }

  #cached(subscriptionId: string, now: number): Entry | undefined {
    const entry = this.#entries.get(subscriptionId);
    return entry !== undefined && entry.expiresAt > now ? entry : undefined;
  }

  /** A listing started no longer ago than an unknown id may be remembered, or undefined. */
  #freshSnapshot(now: number): Snapshot | undefined {
    return this.#snapshot !== undefined && now - this.#snapshot.startedAt < this.#negativeTtlMs
      ? this.#snapshot
      : undefined;
  }

  #takeSnapshot(now: number): Snapshot {
    const taken: Snapshot = {
      startedAt: now,
      records: this.#repository
        .list()
        .then((records) => new Map(records.map((record) => [record.subscriptionId, record]))),
    };
    this.#snapshot = taken;
    // A failed listing is forgotten so the next request tries again; its callers see the failure.
    taken.records.catch(() => {
      if (this.#snapshot === taken) this.#snapshot = undefined;
    });
    return taken;
  }

  async #pointRead(subscriptionId: string): Promise<SubscriptionRecord | undefined> {
    const value = this.#repository.get(subscriptionId);
    // Share the in-flight read; on failure forget it so the next caller retries.
    const entry: Entry = { value, expiresAt: Number.POSITIVE_INFINITY };
    this.#remember(subscriptionId, entry);
    try {
      const record = await value;
      entry.expiresAt = this.#clock.now().getTime() + (record === undefined ? this.#negativeTtlMs : this.#ttlMs);
      return record;
    } catch (error) {
      if (this.#entries.get(subscriptionId) === entry) this.#entries.delete(subscriptionId);
      throw error;
    }
  }
}
