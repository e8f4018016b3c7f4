/**
 * Paying an owed resync (`resyncPendingSince`, recorded after `missed`, a recreation, an adopted create or a
 * reauthorization) and the resync itself: every delta stream of the subscription's resource, then the sweep
 * for deletions no stream reported. Shared by the reconciler, the lifecycle handler, recreations and the
 * periodic safety net.
 */
import { kindOfSubscriptionResource, normalizeResourcePath } from '../resources';
import { StorageConflict } from '../shared/errors';
import type { SubscriptionDependencies } from '../subscriptions/dependencies';
import type { MaintenanceOutcome } from '../subscriptions/maintainSubscription';
import { revise } from '../subscriptions/records';
import type { StoredSubscription } from '../subscriptions/subscriptionRecord';
import { resyncTargetsOf } from './resyncTargets';
import { DELTA_LEASE_MS, syncDelta, tombstoneUnlisted, type DeltaTarget } from './syncDelta';

/** Records the owed resync before any Graph call, so it survives a throttled or crashed run. */
export async function recordOwedResync(
  record: StoredSubscription,
  deps: SubscriptionDependencies,
): Promise<StoredSubscription> {
  let current: StoredSubscription | undefined = record;
  for (let attempt = 0; attempt < 3 && current !== undefined; attempt += 1) {
    if (current.resyncPendingSince !== undefined) return current;
    const { etag, ...fields } = current;
    try {
      return await deps.repository.update(
        { ...fields, resyncPendingSince: deps.clock.now().toISOString(), updatedAt: deps.clock.now().toISOString() },
        etag,
      );
    } catch (error) {
      if (!(error instanceof StorageConflict)) throw error;
      current = await deps.repository.get(record.subscriptionId);
    }
  }
  return current ?? record;
}

/**
 * Runs the owed delta resync (`resyncPendingSince`): pages from the stored deltaLink (from scratch when
 * none, or on 410) and writes every changed and removed item to the sink at the path a notification
 * about it would have produced. One run at a time per tenant and resource (the delta lease); a busy or
 * throttled run leaves the resync owed. Kinds without delta support only log that they cannot catch up.
 */
export async function resyncSubscription(
  record: StoredSubscription,
  deps: SubscriptionDependencies,
): Promise<MaintenanceOutcome> {
  const id = record.subscriptionId;
  const owedSince = record.resyncPendingSince;
  if (owedSince === undefined) return { outcome: 'skipped', subscriptionId: id, reason: 'no resync owed' };
  const startedAt = deps.clock.now();
  const synced = await runResync(record, deps);
  if (synced === 'busy')
    return { outcome: 'skipped', subscriptionId: id, reason: 'another delta run holds this resource' };
  // Clear the debt only if no newer one (another missed event) was recorded meanwhile.
  const fresh = await deps.repository.get(id);
  if (fresh !== undefined) {
    const paid = fresh.resyncPendingSince === owedSince;
    // As of when it began: a `missed` received after that is not answered by this resync (lifecycle handler).
    const changes = synced ? { lastResyncedAt: startedAt.toISOString() } : {};
    await deps.repository
      .update(revise(fresh, deps.clock.now(), changes, paid ? ['resyncPendingSince'] : []), fresh.etag)
      .catch((error: unknown) => {
        if (!(error instanceof StorageConflict)) throw error;
      });
  }
  return { outcome: 'resynced', subscriptionId: id };
}

/**
 * Runs every delta stream of the subscription's resource (resyncTargets.ts). True when all ran, false
 * when the kind cannot be caught up, 'busy' when another run holds one of the streams.
 *
 * A delta stream only reports deletions after its first, full listing. So when every stream listed in full
 * and together they cover a whole sink collection (`resyncListsAllOf`), the resources held there that no
 * listing named were deleted unreported: confirmed with Graph, they get their tombstones. If that sweep
 * cannot finish (Graph throttles), the streams' delta links are forgotten so the next resync lists again.
 */
export async function runResync(record: StoredSubscription, deps: SubscriptionDependencies): Promise<boolean | 'busy'> {
  const id = record.subscriptionId;
  const targets = await resyncTargetsOf(record, deps, deps.clock.now());
  const kind = kindOfSubscriptionResource(record.resource);
  if (targets === undefined || kind === undefined) {
    deps.log.warn(
      `Subscription ${id}: ${kind?.name ?? 'this'} resources have no delta query, so changes missed since ${record.resyncPendingSince ?? 'the last notification'} cannot be recovered`,
    );
    return false;
  }
  const listingStartedAt = deps.clock.now().toISOString();
  const listed = new Set<string>();
  let everyStreamListedInFull = true;
  for (const target of targets) {
    const run = await syncDelta(target, deps);
    if (run.outcome === 'busy') return 'busy';
    everyStreamListedInFull &&= run.fullSync;
    for (const path of run.listed) listed.add(path);
    deps.log.info(
      `Resynced ${target.key} for subscription ${id}: ${run.pages} page(s), ${run.writes.written} written${run.fullSync ? ' (full sync)' : ''}`,
    );
  }
  const collectionPath = kind.resyncListsAllOf(normalizeResourcePath(record.resource, record.tenantId));
  if (everyStreamListedInFull && collectionPath !== undefined) {
    const sweep = await tombstoneUnlisted(
      { tenantId: record.tenantId, collectionPath, subscriptionId: id },
      listed,
      listingStartedAt,
      deps,
    );
    if (sweep.tombstoned > 0)
      deps.log.info(
        `Subscription ${id}: ${sweep.tombstoned} resource(s) deleted without a notification, found by the full listing; tombstones written`,
      );
    if (sweep.unconfirmed > 0) {
      deps.log.warn(
        `Subscription ${id}: ${sweep.unconfirmed} resource(s) missing from the full listing could not be confirmed deleted (Graph refused the reads); the next resync lists again`,
      );
      await forgetDeltaLinks(targets, deps);
    }
  }
  return true;
}

/** Drops the stored delta links of these streams (each under its lease), so their next run lists in full. */
async function forgetDeltaLinks(targets: readonly DeltaTarget[], deps: SubscriptionDependencies): Promise<void> {
  for (const target of targets) {
    const lease = await deps.leases.tryAcquire(target.tenantId, target.key, deps.clock.now(), DELTA_LEASE_MS);
    if (lease === undefined) continue;
    try {
      await deps.leases.saveLink(lease, undefined);
    } finally {
      await deps.leases.release(lease);
    }
  }
}
