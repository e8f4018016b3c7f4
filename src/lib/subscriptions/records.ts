/**
 * Writing subscription records safely. Every change is an ETag-guarded replace of the version that was
 * read, and work that calls Graph first takes a short lease on the record (`leaseUntil`, written with the
 * ETag): of two reconcilers, lifecycle handlers or API calls racing for one subscription, exactly one
 * wins the write and calls Graph; the others see `StorageConflict` or the live lease and leave it alone.
 * A crashed worker's lease simply runs out.
 */
import { StorageConflict } from '../shared/errors';
import type { StoredSubscription, SubscriptionRecord } from './subscriptionRecord';
import type { SubscriptionDependencies } from './dependencies';

/** Longer than a create with two validation handshakes (2 × 10 s) and a slow Graph answer; short enough that a crash blocks briefly. */
export const SUBSCRIPTION_LEASE_MS = 2 * 60_000;

/** Graph wants no reauthorize and PATCH of one subscription within 10 minutes of each other (docs/graph-protocol.md §1.5). */
export const REAUTHORIZE_RENEW_GAP_MS = 10 * 60_000;

type OptionalField =
  'origin' | 'leaseUntil' | 'lastReauthorizedAt' | 'resyncPendingSince' | 'replaces' | 'reauthorizationOwedSince';

/** `stored` with `changes` applied, the `remove`d optional fields dropped and `updatedAt` set: the next version to write. */
export function revise(
  stored: SubscriptionRecord,
  now: Date,
  changes: Partial<SubscriptionRecord>,
  remove: readonly OptionalField[] = [],
): SubscriptionRecord {
  const dropped = new Set<string>(['etag', ...remove]);
  const next = Object.fromEntries(
    Object.entries({ ...stored, ...changes, updatedAt: now.toISOString() }).filter(([key]) => !dropped.has(key)),
  );
  // Built from a SubscriptionRecord and a Partial of one, minus optional fields only: still a SubscriptionRecord.
  return next as unknown as SubscriptionRecord;
}

export function isLeased(record: SubscriptionRecord, now: Date): boolean {
  return record.leaseUntil !== undefined && Date.parse(record.leaseUntil) > now.getTime();
}

/**
 * The reauthorize/renew window, the one place it is applied: milliseconds until `call` may go to Graph for this
 * subscription (0 = now). Graph wants no reauthorize and PATCH of one subscription within 10 minutes of each other
 * (docs/graph-protocol.md §1.5), so a renewal waits for the last reauthorize, and a reauthorize (or the answer to a
 * challenge, which may be either) for the later of the last renewal and the last reauthorize. `slackMs` widens the
 * window, for decisions taken on one instance and carried out on another (clock skew).
 */
export function reauthorizeRenewWaitMs(
  record: Pick<SubscriptionRecord, 'lastRenewedAt' | 'lastReauthorizedAt'>,
  call: 'renew' | 'reauthorize',
  now: Date,
  slackMs = 0,
): number {
  const instants = call === 'renew' ? [record.lastReauthorizedAt] : [record.lastRenewedAt, record.lastReauthorizedAt];
  // An absent or unreadable instant counts as long ago.
  const last = Math.max(...instants.map((instant) => Date.parse(instant ?? '') || 0));
  return Math.max(0, last + REAUTHORIZE_RENEW_GAP_MS + slackMs - now.getTime());
}

/** Takes the lease, or answers undefined when another worker holds it or wrote the record since it was read. */
export async function claim(
  stored: StoredSubscription,
  deps: Pick<SubscriptionDependencies, 'repository'>,
  now: Date,
): Promise<StoredSubscription | undefined> {
  if (isLeased(stored, now)) return undefined;
  try {
    return await deps.repository.update(
      revise(stored, now, { leaseUntil: new Date(now.getTime() + SUBSCRIPTION_LEASE_MS).toISOString() }),
      stored.etag,
    );
  } catch (error) {
    if (error instanceof StorageConflict) return undefined;
    throw error;
  }
}

/**
 * Writes the outcome and drops the lease. Undefined when the record changed meanwhile (the lease ran out
 * and another worker took over): that worker's write stands.
 */
export async function settle(
  claimed: StoredSubscription,
  deps: Pick<SubscriptionDependencies, 'repository' | 'log'>,
  now: Date,
  changes: Partial<SubscriptionRecord>,
  remove: readonly OptionalField[] = [],
): Promise<StoredSubscription | undefined> {
  try {
    return await deps.repository.update(revise(claimed, now, changes, ['leaseUntil', ...remove]), claimed.etag);
  } catch (error) {
    if (!(error instanceof StorageConflict)) throw error;
    deps.log.warn(
      `Subscription ${claimed.subscriptionId} changed while this worker held its lease (lease ran out); keeping the other write`,
    );
    return undefined;
  }
}
