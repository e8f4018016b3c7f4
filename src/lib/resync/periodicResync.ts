/**
 * The safety net: every active subscription whose resource kind has a delta query is resynced about
 * every RESYNC_INTERVAL_MINUTES, from its stored deltaLinks. Graph says it may drop change notifications
 * (throttling, an endpoint judged slow, a paused subscription) and sends `missed` only for Outlook
 * resources and not for every drop (docs/graph-protocol.md §3.6, §4.1), so without this a dropped change stays out of
 * the sink until the resource changes again. With it, a change is in the sink at most one interval (plus
 * one reconcile period) after Graph dropped it (docs/subscriptions.md#what-is-guaranteed).
 *
 * It runs after each reconcile. Gentle on Graph by construction:
 * - jittered: a subscription's first periodic resync comes at a stable, per-subscription point of its
 *   first interval, so subscriptions created together do not resync together;
 * - bounded: at most PERIODIC_RESYNCS_PER_TENANT_PER_RUN per tenant and run, one after the other, the
 *   most overdue first; the rest wait for the next run;
 * - throttle-aware: a 429 stops the tenant's resyncs and holds them back for Graph's Retry-After, on every
 *   instance (a lease in the lease store, which also keeps two instances from working one tenant);
 * - one run per resource: each delta stream takes its delta lease (syncDelta.ts), shared with drive
 *   notifications and lifecycle resyncs; a busy stream is simply tried at the next run.
 */
import { createHash } from 'node:crypto';
import { classifyFailure } from '../shared/classifyFailure';
import { StorageConflict } from '../shared/errors';
import { describeError } from '../shared/redact';
import { DEFAULT_RESYNC_SETTINGS, type SubscriptionDependencies } from '../subscriptions/dependencies';
import { isLeased, revise } from '../subscriptions/records';
import type { StoredSubscription } from '../subscriptions/subscriptionRecord';
import { runResync } from './resyncSubscription';
import { canResync } from './resyncTargets';

/** Key of the per-tenant safety-net lease (and throttling hold) in the lease store. */
export const PERIODIC_RESYNC_KEY = 'subscriptions/periodic-resync';
/** Resyncs per tenant and run: a tenant with many subscriptions is spread over several runs. */
export const PERIODIC_RESYNCS_PER_TENANT_PER_RUN = 10;
/** Long enough for a run's resyncs (each delta lease is 5 minutes); a crashed run blocks the tenant briefly. */
const RUN_LEASE_MS = 15 * 60_000;

export interface PeriodicResyncReport {
  /** Subscriptions due now (all tenants). */
  readonly due: number;
  readonly resynced: number;
  /** Due but left for a later run: over the per-run budget, a busy delta stream, or the tenant held back. */
  readonly postponed: number;
  /** Tenants Graph throttled in this run; held back for its Retry-After. */
  readonly throttledTenants: readonly string[];
  readonly problems: readonly string[];
}

/** When the safety net next resyncs this subscription (epoch ms). */
export function nextPeriodicResyncAt(
  record: Pick<StoredSubscription, 'subscriptionId' | 'createdAt' | 'lastResyncedAt'>,
  intervalMs: number,
): number {
  if (record.lastResyncedAt !== undefined) return Date.parse(record.lastResyncedAt) + intervalMs;
  return Date.parse(record.createdAt) + jitterOf(record.subscriptionId) * intervalMs;
}

/** A stable fraction in (0, 1] per subscription. */
function jitterOf(subscriptionId: string): number {
  return (createHash('sha256').update(subscriptionId).digest().readUInt32BE(0) + 1) / 2 ** 32;
}

export async function runPeriodicResyncs(deps: SubscriptionDependencies): Promise<PeriodicResyncReport> {
  const intervalMs = (deps.settings.resync ?? DEFAULT_RESYNC_SETTINGS).intervalMinutes * 60_000;
  const empty: PeriodicResyncReport = { due: 0, resynced: 0, postponed: 0, throttledTenants: [], problems: [] };
  if (intervalMs === 0) return empty;
  const now = deps.clock.now();
  const due = dueForResync(await deps.repository.list(), intervalMs, now);
  if (due.length === 0) return empty;

  const tally: PeriodicResyncTally = { resynced: 0, throttledTenants: [], problems: [] };
  const tenants = [...new Set(due.map((record) => record.tenantId))];
  await Promise.all(
    tenants.map((tenantId) =>
      resyncTenant(
        tenantId,
        due.filter((record) => record.tenantId === tenantId),
        now,
        deps,
        tally,
      ),
    ),
  );
  const { resynced, throttledTenants, problems } = tally;
  const report: PeriodicResyncReport = {
    due: due.length,
    resynced,
    postponed: due.length - resynced,
    throttledTenants,
    problems,
  };
  deps.log.info(
    `Periodic resync: ${resynced} of ${due.length} due subscription(s) resynced${report.postponed > 0 ? `, ${report.postponed} postponed to the next run` : ''}`,
  );
  for (const problem of problems) deps.log.warn(`Periodic resync: ${problem}`);
  return report;
}

/** What the run's tenants record into. */
interface PeriodicResyncTally {
  resynced: number;
  readonly throttledTenants: string[];
  readonly problems: string[];
}

/** Active, unleased subscriptions owing no resync, of a kind that can resync, now due; most overdue first. */
function dueForResync(records: readonly StoredSubscription[], intervalMs: number, now: Date): StoredSubscription[] {
  return records
    .filter(
      (record) =>
        record.status === 'active' &&
        record.resyncPendingSince === undefined &&
        !isLeased(record, now) &&
        canResync(record.resource) &&
        nextPeriodicResyncAt(record, intervalMs) <= now.getTime(),
    )
    .sort((a, b) => nextPeriodicResyncAt(a, intervalMs) - nextPeriodicResyncAt(b, intervalMs));
}

/** One tenant's share of the run under its lease: a 429 stops it and holds the lease for Graph's Retry-After. */
async function resyncTenant(
  tenantId: string,
  due: readonly StoredSubscription[],
  now: Date,
  deps: SubscriptionDependencies,
  tally: PeriodicResyncTally,
): Promise<void> {
  const lease = await deps.leases.tryAcquire(tenantId, PERIODIC_RESYNC_KEY, now, RUN_LEASE_MS);
  // Another instance works this tenant, or Graph asked us to wait.
  if (lease === undefined) return;
  let holdMs = 0;
  try {
    for (const record of due.slice(0, PERIODIC_RESYNCS_PER_TENANT_PER_RUN)) {
      try {
        const startedAt = deps.clock.now();
        const outcome = await runResync(record, deps);
        if (outcome === true) {
          await markResynced(record, startedAt, deps);
          tally.resynced += 1;
        }
      } catch (error) {
        const failure = classifyFailure(error);
        if (failure.kind === 'throttled') {
          holdMs = failure.retryAfterMs ?? 0;
          tally.throttledTenants.push(tenantId);
          tally.problems.push(
            `tenant ${tenantId}: Graph throttled the periodic resync; held back ${Math.ceil(holdMs / 1000)} s`,
          );
          break;
        }
        tally.problems.push(
          `${record.subscriptionId}: periodic resync failed, tried again next run: ${describeError(error)}`,
        );
      }
    }
  } finally {
    await deps.leases.release(lease);
    // Holding the lease until Graph's Retry-After keeps every instance off this tenant meanwhile.
    if (holdMs > 0) await deps.leases.tryAcquire(tenantId, PERIODIC_RESYNC_KEY, deps.clock.now(), holdMs);
  }
}

/**
 * Records the completed resync as of when it began (a change made after that may have been missed by it; one
 * before it was not). Losing a write race (a renewal meanwhile) costs at most one extra, incremental resync next run.
 */
async function markResynced(
  record: StoredSubscription,
  startedAt: Date,
  deps: SubscriptionDependencies,
): Promise<void> {
  const fresh = await deps.repository.get(record.subscriptionId);
  if (fresh === undefined) return;
  await deps.repository
    .update(revise(fresh, deps.clock.now(), { lastResyncedAt: startedAt.toISOString() }), fresh.etag)
    .catch((error: unknown) => {
      if (!(error instanceof StorageConflict)) throw error;
    });
}
