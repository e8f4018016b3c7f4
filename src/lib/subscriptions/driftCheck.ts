/**
 * The drift check: at most once per DRIFT_CHECK_INTERVAL_MINUTES and tenant (a lease in the lease store
 *, shared by every instance) the reconciler lists Graph's subscriptions and compares them with the
 * table. A subscription Graph lost without a lifecycle event is recreated (and its resource resynced);
 * where the expiries differ, Graph's is the truth. Subscriptions in Graph that graph-notify did not create
 * are counted, never touched. The same interval bounds the whole-table read (`listDue` serves the other
 * runs), since only a complete table tells a missing subscription from one that was never ours.
 *
 * A large tenant is checked less often: Graph's list is 100 subscriptions a page, and a tenant's check waits
 * at least `MINUTES_PER_LIST_PAGE` per page since its last one, so its list costs at most one page per 12
 * minutes on average (840 a week) whatever its size. Renewals cost about one request per Outlook subscription
 * every 6.5 days (a 7-day lifetime less the renewal window), about 10,000 a week for 10,000 subscriptions: the
 * list stays under a tenth of the Graph requests from there up (100 pages every 20 hours, where an hourly
 * check was 16,800 pages a week). Up to 500 subscriptions the setting rules.
 */
import type { Lease } from '../resync/ports';
import type { SubscriptionDependencies } from './dependencies';
import type { GraphSubscription } from './graphSubscriptionApi';
import { isLeased } from './records';
import type { StoredSubscription } from './subscriptionRecord';

/** Key of the drift-check lease in the lease store (one per tenant). */
export const DRIFT_CHECK_KEY = 'subscriptions/drift-check';
/** Key of the whole-table lease in the lease store (under the default tenant): one full read per drift interval. */
export const FULL_SCAN_KEY = 'subscriptions/full-scan';
/** Expiries closer than this are the same instant (Graph rounds); a wider gap means the table is out of date. */
const EXPIRY_TOLERANCE_MS = 60_000;

type DriftDependencies = Pick<SubscriptionDependencies, 'leases' | 'settings' | 'readDesiredState'>;

/** Subscriptions per page of Graph's list (what Graph and the simulator answer without a page size asked). */
const LIST_PAGE_SIZE = 100;
/** The least time between two drift checks of a tenant, per page of its list (see above). */
export const MINUTES_PER_LIST_PAGE = 12;

function driftIntervalMs(deps: DriftDependencies): number {
  return deps.settings.driftCheckIntervalMinutes * 60_000;
}

/** How long a tenant with `subscriptionCount` subscriptions waits between drift checks: the setting, or more. Pure. */
export function driftCheckIntervalMs(settingMinutes: number, subscriptionCount: number): number {
  return Math.max(settingMinutes, listPageCount(subscriptionCount) * MINUTES_PER_LIST_PAGE) * 60_000;
}

/** Pages of Graph's list for a tenant with `subscriptionCount` subscriptions (at least one). Pure. */
export function listPageCount(subscriptionCount: number): number {
  return Math.max(1, Math.ceil(subscriptionCount / LIST_PAGE_SIZE));
}

/**
 * True when this run reads the whole table: on request, whenever a desired state is configured (planning
 * it needs every record), or as the first run of a drift interval (the lease under the default tenant).
 */
export async function isFullScanRun(deps: DriftDependencies, now: Date, force: boolean): Promise<boolean> {
  if (force || deps.readDesiredState !== undefined) return true;
  return (
    (await deps.leases.tryAcquire(deps.settings.defaultTenantId, FULL_SCAN_KEY, now, driftIntervalMs(deps))) !==
    undefined
  );
}

/** A drift check this run makes: the lease it took (undefined when forced while another run held it). */
export interface DriftCheckTaken {
  readonly lease: Lease | undefined;
}

/**
 * The drift check when `tenantId`'s Graph list is compared with the table in this full-scan run (the lease is
 * taken even when forced), at most once per `driftCheckIntervalMs` for its `subscriptionCount`; undefined when
 * not due.
 */
export async function takeDriftCheck(
  deps: DriftDependencies,
  tenantId: string,
  now: Date,
  fullScan: boolean,
  force: boolean,
  subscriptionCount: number,
): Promise<DriftCheckTaken | undefined> {
  if (!fullScan) return undefined;
  const intervalMs = driftCheckIntervalMs(deps.settings.driftCheckIntervalMinutes, subscriptionCount);
  const lease = await deps.leases.tryAcquire(tenantId, DRIFT_CHECK_KEY, now, intervalMs);
  return force || lease !== undefined ? { lease } : undefined;
}

/**
 * A check whose list was paused at the run's deadline (`SubscriptionListPaused`) gives its lease back, so the
 * next full-scan run (within DRIFT_CHECK_INTERVAL_MINUTES) lists again rather than one interval later.
 */
export async function postponeDriftCheck(deps: DriftDependencies, taken: DriftCheckTaken): Promise<void> {
  if (taken.lease !== undefined) await deps.leases.release(taken.lease);
}

/** What the comparison found for one record, in table order. */
export type DriftFinding =
  | { readonly kind: 'missing'; readonly record: StoredSubscription }
  | { readonly kind: 'expiryDiffers'; readonly record: StoredSubscription; readonly expirationDateTime: string };

export interface Drift {
  readonly findings: readonly DriftFinding[];
  /** Subscriptions in Graph that no record knows (`knownIds`): left alone. */
  readonly unmanagedInGraph: number;
}

/** Compares one tenant's active, unleased records with Graph's list of that tenant. Pure. */
export function findDrift(
  records: readonly StoredSubscription[],
  inGraph: readonly GraphSubscription[],
  knownIds: ReadonlySet<string>,
  now: Date,
): Drift {
  const byId = new Map(inGraph.map((subscription) => [subscription.id, subscription]));
  const findings: DriftFinding[] = [];
  for (const record of records) {
    if (record.status !== 'active' || isLeased(record, now)) continue;
    const found = byId.get(record.subscriptionId);
    if (found === undefined) {
      findings.push({ kind: 'missing', record });
    } else if (
      Math.abs(Date.parse(found.expirationDateTime) - Date.parse(record.expirationDateTime)) > EXPIRY_TOLERANCE_MS
    ) {
      findings.push({
        kind: 'expiryDiffers',
        record,
        expirationDateTime: new Date(found.expirationDateTime).toISOString(),
      });
    }
  }
  return { findings, unmanagedInGraph: inGraph.filter((subscription) => !knownIds.has(subscription.id)).length };
}
