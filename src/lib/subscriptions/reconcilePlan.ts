/**
 * What one reconcile run does for one tenant, decided without calling anything: a list of steps (resolve an
 * interrupted create, recreate, correct an expiry, pay an owed resync, finish a deletion, drop a replaced
 * record, apply the desired state, renew in batches). reconcileExecutor.ts carries them out with backoff,
 * leases and counts. Every decision here reads the table as the run found it, at the run's `now`.
 */
import type { SubscriptionSettings } from './dependencies';
import type { DesiredStatePlan } from './desiredState';
import { findDrift } from './driftCheck';
import type { GraphSubscription } from './graphSubscriptionApi';
import { isLeased } from './records';
import { isIntentKey, type StoredSubscription } from './subscriptionRecord';
import { combinationKey, isRenewalDue, type SubscriptionRequest } from './subscriptionRules';

/** A create takes at most a Graph timeout plus two 10-s handshakes; an intent older than this was interrupted. */
export const INTENT_GRACE_MS = 10 * 60_000;

export type ReconcileStep =
  /** A create intent older than any create can take: adopt what Graph has, or remove it. */
  | { readonly kind: 'resolveIntent'; readonly intent: StoredSubscription }
  /** Graph lost it (drift check) or removed it: a new subscription, then a resync. */
  | { readonly kind: 'recreate'; readonly record: StoredSubscription; readonly reason: string }
  /** Graph's expiry differs from the table's: take Graph's, then maintain as usual. */
  | { readonly kind: 'correctExpiry'; readonly record: StoredSubscription; readonly expirationDateTime: string }
  /** Not due for renewal when planned, but owes a resync (renewed first if it fell due meanwhile). */
  | { readonly kind: 'payResync'; readonly record: StoredSubscription }
  /** Status `deleted`: a deletion a worker did not finish. */
  | { readonly kind: 'finishDeletion'; readonly record: StoredSubscription }
  /** A `removed` record another record already replaces: only the row goes. */
  | { readonly kind: 'dropReplaced'; readonly record: StoredSubscription }
  | { readonly kind: 'createDesired'; readonly request: SubscriptionRequest }
  | { readonly kind: 'removeUndesired'; readonly record: StoredSubscription }
  /** Due renewals, at most the batch size, soonest expiry first. */
  | { readonly kind: 'renew'; readonly batch: readonly StoredSubscription[] };

export interface TenantPlanInput {
  readonly tenantId: string;
  /** The tenant's records as read at the start of the run. */
  readonly records: readonly StoredSubscription[];
  /** Every record read in this run (all tenants): whether a removed record is replaced is decided across it. */
  readonly allRecords: readonly StoredSubscription[];
  readonly fullScan: boolean;
  readonly driftDue: boolean;
  /** Graph's list of the tenant, when it was read in this run. */
  readonly inGraph: readonly GraphSubscription[] | undefined;
  readonly staleIntents: readonly StoredSubscription[];
  /** Ids of every subscription in the table (intents excluded). */
  readonly knownIds: ReadonlySet<string>;
  readonly desired: DesiredStatePlan | undefined;
  readonly settings: SubscriptionSettings;
  readonly now: Date;
  readonly batchSize: number;
}

export interface TenantPlan {
  /** In the order the executor starts them; renewals come last. */
  readonly steps: readonly ReconcileStep[];
  /** Subscriptions in Graph (drift check) that graph-notify did not create. */
  readonly unmanagedInGraph: number;
}

/** Create intents a crash left behind (only a full-scan run resolves them: it must know every record). */
export function findStaleIntents(
  records: readonly StoredSubscription[],
  fullScan: boolean,
  now: Date,
): StoredSubscription[] {
  if (!fullScan) return [];
  return records.filter(
    (record) =>
      record.status === 'pending' &&
      isIntentKey(record.subscriptionId) &&
      !isLeased(record, now) &&
      now.getTime() - Date.parse(record.createdAt) > INTENT_GRACE_MS,
  );
}

/** The tenants a run works: those with records, and those the desired state creates in. */
export function tenantsOf(
  records: readonly StoredSubscription[],
  desired: DesiredStatePlan | undefined,
  defaultTenantId: string,
): string[] {
  const creating = (desired?.create ?? []).map((request) => tenantOfRequest(request, defaultTenantId));
  return [...new Set([...records.map((record) => record.tenantId), ...creating])];
}

function tenantOfRequest(request: SubscriptionRequest, defaultTenantId: string): string {
  return (request.tenantId ?? defaultTenantId).toLowerCase();
}

/** The steps for one tenant. Pure. */
export function planTenant(input: TenantPlanInput): TenantPlan {
  const handled = new Set<string>();
  const steps: ReconcileStep[] = [];
  let unmanagedInGraph = 0;
  // Interrupted creates first (then resync what was refused meanwhile): they need Graph's list.
  if (input.inGraph !== undefined) {
    for (const intent of input.staleIntents) {
      handled.add(intent.subscriptionId);
      steps.push({ kind: 'resolveIntent', intent });
    }
  }
  // Drift: what Graph lost without a lifecycle event is recreated; Graph's expiry is the truth.
  if (input.driftDue && input.inGraph !== undefined) {
    const drift = findDrift(input.records, input.inGraph, input.knownIds, input.now);
    unmanagedInGraph = drift.unmanagedInGraph;
    for (const finding of drift.findings) {
      handled.add(finding.record.subscriptionId);
      steps.push(
        finding.kind === 'missing'
          ? {
              kind: 'recreate',
              record: finding.record,
              reason: 'missing from Graph at the drift check (removed without a lifecycle event)',
            }
          : { kind: 'correctExpiry', record: finding.record, expirationDateTime: finding.expirationDateTime },
      );
    }
  }
  const dueRenewals: StoredSubscription[] = [];
  for (const record of input.records) {
    if (handled.has(record.subscriptionId) || isLeased(record, input.now)) continue;
    if (record.status === 'active' && isRenewalDue(record, input.settings, input.now)) dueRenewals.push(record);
    else steps.push(...stepsFromTable(record, input));
  }
  steps.push(...desiredSteps(input));
  steps.push(...renewalBatches(dueRenewals, input.batchSize));
  return { steps, unmanagedInGraph };
}

/** What a record's status asks for, due renewals aside. */
function stepsFromTable(record: StoredSubscription, input: TenantPlanInput): ReconcileStep[] {
  switch (record.status) {
    case 'active':
      return record.resyncPendingSince === undefined ? [] : [{ kind: 'payResync', record }];
    case 'deleted':
      return [{ kind: 'finishDeletion', record }];
    case 'removed': {
      // Whether another record replaces it needs the whole table.
      if (!input.fullScan) return [];
      const key = combinationKey(record);
      const replaced = input.allRecords.some(
        (other) =>
          other !== record && other.status !== 'removed' && other.status !== 'deleted' && combinationKey(other) === key,
      );
      const beingReplaced = input.allRecords.some((other) => other.replaces === record.subscriptionId);
      if (beingReplaced) return [];
      return [
        replaced
          ? { kind: 'dropReplaced', record }
          : { kind: 'recreate', record, reason: record.lastError ?? 'the subscription was removed by Graph' },
      ];
    }
    default:
      // pending: being created (or resolved above once stale); failed: waits for an operator.
      return [];
  }
}

function desiredSteps(input: TenantPlanInput): ReconcileStep[] {
  const creates = (input.desired?.create ?? []).filter(
    (request) => tenantOfRequest(request, input.settings.defaultTenantId) === input.tenantId,
  );
  const removes = (input.desired?.remove ?? []).filter(
    (record) => record.tenantId === input.tenantId && !isLeased(record, input.now),
  );
  return [
    ...creates.map((request): ReconcileStep => ({ kind: 'createDesired', request })),
    ...removes.map((record): ReconcileStep => ({ kind: 'removeUndesired', record })),
  ];
}

/** Soonest expiry first, so what little a throttled run gets done is what matters most. */
function renewalBatches(due: readonly StoredSubscription[], batchSize: number): ReconcileStep[] {
  const sorted = [...due].sort((a, b) => Date.parse(a.expirationDateTime) - Date.parse(b.expirationDateTime));
  const batches: ReconcileStep[] = [];
  for (let start = 0; start < sorted.length; start += batchSize)
    batches.push({ kind: 'renew', batch: sorted.slice(start, start + batchSize) });
  return batches;
}
