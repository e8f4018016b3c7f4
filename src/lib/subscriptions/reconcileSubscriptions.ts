/**
 * The reconciler behind the timer (and `graph-notify subscriptions reconcile`): keeps every subscription
 * graph-notify created alive, working from the table, not from Graph's list (which allows only 25 calls
 * per 20 s per app and tenant, docs/graph-protocol.md §1.7). Per run and tenant:
 *
 * - renews each subscription whose remaining lifetime fell under the renewal window, to the kind's
 *   maximum less the margin; a 404 recreates it and resyncs its resource; 400/403 mark it failed with
 *   the reason and the run goes on;
 * - finishes what a crashed or throttled worker left: deletions, recreations, owed resyncs, and create
 *   intents older than any create can take (adopted from Graph or removed);
 * - at most once per DRIFT_CHECK_INTERVAL_MINUTES (a lease shared by all instances) lists Graph and
 *   repairs differences: subscriptions Graph lost without telling are recreated and resynced, expiries
 *   are taken from Graph. Subscriptions in Graph that graph-notify did not create are never touched;
 * - applies the optional desired state (create missing, delete no longer desired ones it created).
 *
 * A routine run reads only what can need work (`listDue`: records expiring within the widest renewal
 * window, owing a resync, or not active); the whole table is read with the drift check, when desired
 * state is configured, and on request. Renewals go out as `$batch` calls of up to 20 PATCHes; Graph
 * throttles each PATCH inside (500 writes per 20 s per app and tenant), not the call.
 *
 * Graph calls run with bounded concurrency per tenant. A 429 pauses that tenant, and only that tenant,
 * for its Retry-After, then the run goes on; work that would wait past the run's time budget is left
 * for the next run. One failure never stops the others. Two instances at once are safe: each
 * subscription is leased with an ETag-guarded write before Graph is called.
 *
 * The run reads as its steps: `startRun` (what to read), per tenant the drift check (driftCheck.ts), a pure
 * plan (reconcilePlan.ts) and its execution (reconcileExecutor.ts), then `observe` and `finishRun`; every
 * step records into one `ReconcileTally`.
 */
import { kindOfSubscriptionResource } from '../resources';
import { describeError } from '../shared/redact';
import type { SubscriptionObservation } from '../telemetry';
import type { SubscriptionDependencies } from './dependencies';
import { parseDesiredState, planDesiredState, type DesiredStatePlan } from './desiredState';
import { isFullScanRun, listPageCount, postponeDriftCheck, takeDriftCheck } from './driftCheck';
import { ListPacer } from './listPacer';
import { ReconcileTally, TenantExecutor, type ReconcileOutcome } from './reconcileExecutor';
import { findStaleIntents, planTenant, tenantsOf } from './reconcilePlan';
import { isIntentKey, type StoredSubscription } from './subscriptionRecord';
import { maxRenewalWindowMs } from './subscriptionRules';

export { INTENT_GRACE_MS } from './reconcilePlan';
export type { ReconcileOutcome } from './reconcileExecutor';

/** A run stops starting Graph calls after this long (the timer fires every 5 minutes by default). */
export const RUN_BUDGET_MS = 4 * 60_000;
/** PATCHes per `$batch` call: Graph's maximum. */
export const RENEWAL_BATCH_SIZE = 20;

export interface ReconcileOptions {
  /** List Graph now even if the last drift check is recent (CLI `reconcile --drift`). */
  readonly forceDriftCheck?: boolean;
  /** How long the run may wait out throttling before it leaves the rest to the next run (RUN_BUDGET_MS). */
  readonly budgetMs?: number;
  /** PATCHes per `$batch` call, 1 to 20 (RENEWAL_BATCH_SIZE); 1 sends plain PATCHes. */
  readonly renewalBatchSize?: number;
}

export interface ReconcileReport {
  readonly subscriptions: number;
  readonly outcomes: Readonly<Partial<Record<ReconcileOutcome, number>>>;
  /** Tenants whose Graph list was compared with the table in this run. */
  readonly driftChecked: readonly string[];
  /** Tenants Graph throttled in this run (each waited its Retry-After; `deferred` work waits for the next run). */
  readonly throttledTenants: readonly string[];
  /** True when the whole table was read (drift check, desired state); otherwise only records that could need work. */
  readonly fullScan: boolean;
  /** Subscriptions in Graph (drift-checked tenants) that graph-notify did not create: left alone. */
  readonly unmanagedInGraph: number;
  /** Secret-free lines for the log and the CLI. */
  readonly problems: readonly string[];
  /** The table after a full-scan run, for the subscriptions-by-status and time-to-expiry gauges; undefined otherwise. */
  readonly observations: readonly SubscriptionObservation[] | undefined;
}

/** What every tenant of one run shares: read once at its start. */
interface ReconcileRun {
  readonly now: Date;
  readonly deadlineMs: number;
  readonly batchSize: number;
  readonly fullScan: boolean;
  readonly records: readonly StoredSubscription[];
  readonly desired: DesiredStatePlan | undefined;
  /** Ids of every subscription in the table (intents excluded); an adopted intent adds its own. */
  readonly knownIds: Set<string>;
  readonly forceDriftCheck: boolean;
  /** Spaces the run's list pages under Graph's list limit, across its tenants. */
  readonly listPacer: ListPacer;
}

export async function reconcileSubscriptions(
  deps: SubscriptionDependencies,
  options: ReconcileOptions = {},
): Promise<ReconcileReport> {
  const tally = new ReconcileTally();
  const run = await startRun(deps, options, tally);
  const tenants = tenantsOf(run.records, run.desired, deps.settings.defaultTenantId);
  await Promise.all(tenants.map((tenantId) => reconcileTenant(tenantId, run, deps, tally)));
  const observations = run.fullScan ? await observe(deps) : undefined;
  return finishRun(run, tally, observations, deps);
}

/** Reads what the run needs: the whole table in a full-scan run, otherwise only records that could need work. */
async function startRun(
  deps: SubscriptionDependencies,
  options: ReconcileOptions,
  tally: ReconcileTally,
): Promise<ReconcileRun> {
  const now = deps.clock.now();
  const deadlineMs = now.getTime() + (options.budgetMs ?? RUN_BUDGET_MS);
  const forceDriftCheck = options.forceDriftCheck === true;
  const fullScan = await isFullScanRun(deps, now, forceDriftCheck);
  const records = fullScan
    ? await deps.repository.list()
    : await deps.repository.listDue(new Date(now.getTime() + maxRenewalWindowMs(deps.settings)));
  return {
    now,
    deadlineMs,
    batchSize: Math.min(Math.max(options.renewalBatchSize ?? RENEWAL_BATCH_SIZE, 1), RENEWAL_BATCH_SIZE),
    fullScan,
    records,
    desired: await loadDesired(deps, records, now, tally.problems),
    knownIds: new Set(
      records.filter((record) => !isIntentKey(record.subscriptionId)).map((record) => record.subscriptionId),
    ),
    forceDriftCheck,
    listPacer: new ListPacer(deps.clock, deadlineMs, deps.sleep),
  };
}

/**
 * One tenant: Graph's list when the drift check is due or an interrupted create must be resolved (only in a
 * full-scan run, so nothing is mistaken for missing or unknown), then the plan, then its execution.
 */
async function reconcileTenant(
  tenantId: string,
  run: ReconcileRun,
  deps: SubscriptionDependencies,
  tally: ReconcileTally,
): Promise<void> {
  const records = run.records.filter((record) => record.tenantId === tenantId);
  const executor = new TenantExecutor(tenantId, deps, tally, run.deadlineMs, run.knownIds, run.listPacer);
  const driftCheck = await takeDriftCheck(deps, tenantId, run.now, run.fullScan, run.forceDriftCheck, records.length);
  const driftDue = driftCheck !== undefined;
  const staleIntents = findStaleIntents(records, run.fullScan, run.now);
  const inGraph =
    driftDue || staleIntents.length > 0 ? await executor.listGraph(driftDue, listPageCount(records.length)) : undefined;
  if (driftCheck !== undefined && executor.listPaused) await postponeDriftCheck(deps, driftCheck);
  const plan = planTenant({
    tenantId,
    records,
    allRecords: run.records,
    fullScan: run.fullScan,
    driftDue,
    inGraph,
    staleIntents,
    knownIds: run.knownIds,
    desired: run.desired,
    settings: deps.settings,
    now: run.now,
    batchSize: run.batchSize,
  });
  tally.unmanagedInGraph += plan.unmanagedInGraph;
  await executor.run(plan.steps, inGraph, deps.settings.concurrencyPerTenant);
}

async function loadDesired(
  deps: SubscriptionDependencies,
  records: readonly StoredSubscription[],
  now: Date,
  problems: string[],
): Promise<DesiredStatePlan | undefined> {
  if (deps.readDesiredState === undefined) return undefined;
  try {
    const text = await deps.readDesiredState();
    if (text === undefined) return undefined;
    return planDesiredState(parseDesiredState(text, deps.settings, now), records, deps.settings);
  } catch (error) {
    problems.push(`desired state skipped: ${describeError(error)}`);
    return undefined;
  }
}

/** The table after the run, for the gauges. */
async function observe(deps: SubscriptionDependencies): Promise<SubscriptionObservation[]> {
  return (await deps.repository.list()).map((record) => ({
    status: record.status,
    resourceKind: kindOfSubscriptionResource(record.resource)?.name ?? 'other',
    secondsToExpiry: Math.round((Date.parse(record.expirationDateTime) - deps.clock.now().getTime()) / 1000),
  }));
}

/** The report, and its summary and problems in the log. */
function finishRun(
  run: ReconcileRun,
  tally: ReconcileTally,
  observations: ReconcileReport['observations'],
  deps: SubscriptionDependencies,
): ReconcileReport {
  const { outcomes, driftChecked, throttledTenants, unmanagedInGraph, problems } = tally;
  const report: ReconcileReport = {
    subscriptions: run.records.length,
    outcomes,
    driftChecked,
    throttledTenants,
    fullScan: run.fullScan,
    unmanagedInGraph,
    problems,
    observations,
  };
  const summary = Object.entries(outcomes)
    .map(([outcome, n]) => `${n} ${outcome}`)
    .join(', ');
  const scope = run.fullScan ? '' : ' that could need work';
  const drift = driftChecked.length > 0 ? `; drift-checked ${driftChecked.length} tenant(s)` : '';
  deps.log.info(
    `Reconciled ${run.records.length} subscription(s)${scope}: ${summary === '' ? 'nothing to do' : summary}${drift}`,
  );
  for (const problem of problems) deps.log.warn(`Reconcile: ${problem}`);
  return report;
}
