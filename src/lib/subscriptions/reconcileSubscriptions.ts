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
 */
import { GraphThrottled } from '../graph';
import { kindOfSubscriptionResource } from '../resources';
import { describeError } from '../shared/redact';
import type { SubscriptionObservation } from '../telemetry';
import { createSubscription } from './createSubscription';
import type { SubscriptionDependencies } from './dependencies';
import { parseDesiredState, planDesiredState, type DesiredStatePlan } from './desiredState';
import { listGraphSubscriptions, type GraphSubscription } from './graphSubscriptionApi';
import { findDrift, isDriftCheckDue, isFullScanRun } from './driftCheck';
import { finishDeletion, recreateSubscription, renewSubscription, renewSubscriptions, resolveIntent, resyncSubscription, type MaintenanceOutcome } from './maintainSubscription';
import { claim, isLeased, revise } from './records';
import { isIntentKey, type StoredSubscription } from './subscriptionRecord';
import { combinationKey, isRenewalDue, maxRenewalWindowMs } from './subscriptionRules';
import { TenantBackoff } from './tenantBackoff';

/** A create takes at most a Graph timeout plus two 10-s handshakes; an intent older than this was interrupted. */
export const INTENT_GRACE_MS = 10 * 60_000;
/** A run stops starting Graph calls after this long (the timer fires every 5 minutes by default). */
export const RUN_BUDGET_MS = 4 * 60_000;
/** PATCHes per `$batch` call: Graph's maximum. */
export const RENEWAL_BATCH_SIZE = 20;

export type ReconcileOutcome = MaintenanceOutcome['outcome'] | 'created' | 'deferred' | 'expiryCorrected';

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

type Task = () => Promise<void>;

export async function reconcileSubscriptions(deps: SubscriptionDependencies, options: ReconcileOptions = {}): Promise<ReconcileReport> {
  const now = deps.clock.now();
  const deadline = now.getTime() + (options.budgetMs ?? RUN_BUDGET_MS);
  const batchSize = Math.min(Math.max(options.renewalBatchSize ?? RENEWAL_BATCH_SIZE, 1), RENEWAL_BATCH_SIZE);
  const fullScan = await isFullScanRun(deps, now, options.forceDriftCheck === true);
  const records = fullScan ? await deps.repository.list() : await deps.repository.listDue(new Date(now.getTime() + maxRenewalWindowMs(deps.settings)));
  const outcomes: Partial<Record<ReconcileOutcome, number>> = {};
  const problems: string[] = [];
  const driftChecked: string[] = [];
  const throttledTenants: string[] = [];
  let unmanagedInGraph = 0;
  const count = (outcome: ReconcileOutcome, n = 1): void => {
    outcomes[outcome] = (outcomes[outcome] ?? 0) + n;
  };

  const desired = await loadDesired(deps, records, now, problems);
  const tenants = new Set([...records.map((record) => record.tenantId), ...(desired?.create ?? []).map((request) => (request.tenantId ?? deps.settings.defaultTenantId).toLowerCase())]);
  const knownIds = new Set(records.filter((record) => !isIntentKey(record.subscriptionId)).map((record) => record.subscriptionId));

  await Promise.all(
    [...tenants].map(async (tenantId) => {
      const mine = records.filter((record) => record.tenantId === tenantId);
      const backoff = new TenantBackoff(deps.clock, deadline, deps.sleep);
      const report = (outcome: MaintenanceOutcome): MaintenanceOutcome => {
        count(outcome.outcome);
        if (outcome.outcome === 'throttled') backoff.throttled(outcome.retryAfterMs);
        if (outcome.outcome === 'failed' || outcome.outcome === 'retry') problems.push(`${outcome.subscriptionId}: ${outcome.reason}`);
        return outcome;
      };
      const guarded =
        (task: Task): Task =>
        async () => {
          if (!(await backoff.ready())) {
            count('deferred');
            return;
          }
          try {
            await task();
          } catch (error) {
            if (error instanceof GraphThrottled) {
              backoff.throttled(error.retryAfterMs);
              count('throttled');
            } else {
              count('retry');
            }
            problems.push(`tenant ${tenantId}: ${describeError(error)}`);
          }
        };

      // 1. Graph's list: only in a full-scan run (the table is complete, so nothing is mistaken for
      //    missing or unknown), for the periodic drift check or when an interrupted create must be resolved.
      const driftDue = await isDriftCheckDue(deps, tenantId, now, fullScan, options.forceDriftCheck === true, mine.length);
      const staleIntents = fullScan
        ? mine.filter(
            (record) => record.status === 'pending' && isIntentKey(record.subscriptionId) && !isLeased(record, now) && now.getTime() - Date.parse(record.createdAt) > INTENT_GRACE_MS,
          )
        : [];
      let inGraph: GraphSubscription[] | undefined;
      if (driftDue || staleIntents.length > 0) {
        try {
          inGraph = await listGraphSubscriptions(deps.graph, tenantId, deps.settings.graphBaseUrl, async (retryAfterMs) => {
            backoff.throttled(retryAfterMs);
            return backoff.ready();
          });
          if (driftDue) driftChecked.push(tenantId);
        } catch (error) {
          if (error instanceof GraphThrottled) backoff.throttled(error.retryAfterMs);
          problems.push(`tenant ${tenantId}: listing subscriptions in Graph failed: ${describeError(error)}`);
        }
      }

      // Pay an owed resync once nothing else holds the record.
      const resyncIfOwed = async (subscriptionId: string): Promise<void> => {
        const current = await deps.repository.get(subscriptionId);
        if (current?.resyncPendingSince !== undefined && !isLeased(current, deps.clock.now())) report(await resyncSubscription(current, deps));
      };
      // Renew when due (a 404 recreates and resyncs), then pay any owed resync.
      const maintain = async (record: StoredSubscription): Promise<void> => {
        if (isRenewalDue(record, deps.settings, deps.clock.now())) {
          const outcome = report(await renewSubscription(record, deps));
          if (outcome.outcome !== 'renewed') return;
          if (record.resyncPendingSince !== undefined) await resyncIfOwed(record.subscriptionId);
          return;
        }
        if (record.resyncPendingSince !== undefined && !isLeased(record, deps.clock.now())) report(await resyncSubscription(record, deps));
      };
      // Renew a batch; PATCHes Graph throttled are sent again once the tenant's Retry-After has passed.
      const renewBatch = async (batch: readonly StoredSubscription[]): Promise<void> => {
        let pending = batch;
        while (pending.length > 0) {
          const throttledIds: string[] = [];
          for (const outcome of await renewSubscriptions(pending, deps)) {
            report(outcome);
            if (outcome.outcome === 'throttled') throttledIds.push(outcome.subscriptionId);
            else if (outcome.outcome === 'renewed' && pending.find((record) => record.subscriptionId === outcome.subscriptionId)?.resyncPendingSince !== undefined) {
              await resyncIfOwed(outcome.subscriptionId);
            }
          }
          if (throttledIds.length === 0) return;
          if (!(await backoff.ready())) {
            count('deferred', throttledIds.length);
            return;
          }
          const fresh = await Promise.all(throttledIds.map((id) => deps.repository.get(id)));
          pending = fresh.filter((record): record is StoredSubscription => record?.status === 'active' && !isLeased(record, deps.clock.now()));
        }
      };
      const tasks: Task[] = [];
      const handled = new Set<string>();
      // 2. Interrupted creates: adopt or clean up (then resync what was refused meanwhile).
      if (inGraph !== undefined) {
        const graphList = inGraph;
        for (const intent of staleIntents) {
          handled.add(intent.subscriptionId);
          tasks.push(
            guarded(async () => {
              const outcome = report(await resolveIntent(intent, graphList, knownIds, deps));
              if (outcome.outcome === 'adopted') report(await resyncSubscription(outcome.record, deps));
            }),
          );
        }
      }
      // 3. Drift: what Graph lost without a lifecycle event is recreated; Graph's expiry is the truth.
      if (driftDue && inGraph !== undefined) {
        const drift = findDrift(mine, inGraph, knownIds, now);
        unmanagedInGraph += drift.unmanagedInGraph;
        for (const finding of drift.findings) {
          const record = finding.record;
          handled.add(record.subscriptionId);
          if (finding.kind === 'missing') {
            tasks.push(guarded(async () => void report(await recreateSubscription(record, 'missing from Graph at the drift check (removed without a lifecycle event)', deps))));
          } else {
            tasks.push(
              guarded(async () => {
                const updated = await deps.repository.update(revise(record, deps.clock.now(), { expirationDateTime: finding.expirationDateTime }), record.etag);
                count('expiryCorrected');
                await maintain(updated);
              }),
            );
          }
        }
      }
      // 4. Everything else, from the table; due renewals in batches.
      const dueRenewals: StoredSubscription[] = [];
      for (const record of mine) {
        if (handled.has(record.subscriptionId) || isLeased(record, now)) continue;
        switch (record.status) {
          case 'active':
            if (isRenewalDue(record, deps.settings, now)) dueRenewals.push(record);
            else if (record.resyncPendingSince !== undefined) tasks.push(guarded(() => maintain(record)));
            break;
          case 'deleted':
            tasks.push(guarded(async () => void report(await finishDeletion(record, deps))));
            break;
          case 'removed': {
            // Whether another record replaces it needs the whole table.
            if (!fullScan) break;
            const key = combinationKey(record);
            const replaced = records.some((other) => other !== record && other.status !== 'removed' && other.status !== 'deleted' && combinationKey(other) === key);
            const beingReplaced = records.some((other) => other.replaces === record.subscriptionId);
            if (replaced && !beingReplaced) {
              tasks.push(guarded(() => deps.repository.delete(record.subscriptionId, record.etag)));
            } else if (!beingReplaced) {
              tasks.push(guarded(async () => void report(await recreateSubscription(record, record.lastError ?? 'the subscription was removed by Graph', deps))));
            }
            break;
          }
          default:
            // pending: being created (or resolved above once stale); failed: waits for an operator.
            break;
        }
      }
      // 5. Desired state for this tenant.
      for (const request of desired?.create ?? []) {
        if ((request.tenantId ?? deps.settings.defaultTenantId).toLowerCase() !== tenantId) continue;
        tasks.push(
          guarded(async () => {
            try {
              await createSubscription(request, deps, { origin: 'desiredState' });
              count('created');
            } catch (error) {
              if (error instanceof GraphThrottled) throw error;
              count('failed');
              problems.push(`desired ${request.changeType} on ${request.resource}: ${describeError(error)}`);
            }
          }),
        );
      }
      for (const record of desired?.remove ?? []) {
        if (record.tenantId !== tenantId || isLeased(record, now)) continue;
        tasks.push(
          guarded(async () => {
            const claimed = await claim(record, deps, deps.clock.now());
            if (claimed === undefined) return;
            report(await finishDeletion(claimed, deps, { leased: true }));
          }),
        );
      }

      // Soonest expiry first, so what little a throttled run gets done is what matters most.
      dueRenewals.sort((a, b) => Date.parse(a.expirationDateTime) - Date.parse(b.expirationDateTime));
      for (let start = 0; start < dueRenewals.length; start += batchSize) {
        const batch = dueRenewals.slice(start, start + batchSize);
        tasks.push(guarded(() => renewBatch(batch)));
      }

      await runBounded(tasks, deps.settings.concurrencyPerTenant);
      if (backoff.wasThrottled) throttledTenants.push(tenantId);
    }),
  );

  const observations = fullScan
    ? (await deps.repository.list()).map((record) => ({
        status: record.status,
        resourceKind: kindOfSubscriptionResource(record.resource)?.name ?? 'other',
        secondsToExpiry: Math.round((Date.parse(record.expirationDateTime) - deps.clock.now().getTime()) / 1000),
      }))
    : undefined;
  const report: ReconcileReport = { subscriptions: records.length, outcomes, driftChecked, throttledTenants, fullScan, unmanagedInGraph, problems, observations };
  const summary = Object.entries(outcomes)
    .map(([outcome, n]) => `${n} ${outcome}`)
    .join(', ');
  deps.log.info(`Reconciled ${records.length} subscription(s)${fullScan ? '' : ' that could need work'}: ${summary === '' ? 'nothing to do' : summary}${driftChecked.length > 0 ? `; drift-checked ${driftChecked.length} tenant(s)` : ''}`);
  for (const problem of problems) deps.log.warn(`Reconcile: ${problem}`);
  return report;
}

async function loadDesired(deps: SubscriptionDependencies, records: readonly StoredSubscription[], now: Date, problems: string[]): Promise<DesiredStatePlan | undefined> {
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

/** Runs `tasks` with at most `limit` in flight; each task handles its own errors. */
async function runBounded(tasks: readonly Task[], limit: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const task = tasks[next];
      next += 1;
      if (task !== undefined) await task();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}
