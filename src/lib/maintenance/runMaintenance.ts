/**
 * What one occurrence of the reconcile timer runs, in order: the one sequence the trigger
 * (src/functions/reconcileSubscriptions.ts), the CLI's `subscriptions reconcile`, the test harnesses and the
 * renewal bench all call, so none of them skips a step production runs.
 *
 * 1. The reconciler: renewals, repairs, the drift check, the desired state (subscriptions/reconcileSubscriptions.ts).
 * 2. The gauges, from a full-scan run's table (routine runs read only what could need work).
 * 3. reauthorizationRequired challenges that came inside the 10-minute no-repeat window (lifecycle).
 * 4. The periodic resync, the safety net for notifications Graph dropped without a `missed` (resync).
 * 5. The Event Grid route kept active while eventGrid subscriptions exist, when its settings are there (eventGridRoute.ts).
 */
import { answerDeferredChallenges } from '../lifecycle';
import { runPeriodicResyncs, type PeriodicResyncReport } from '../resync';
import {
  reconcileSubscriptions,
  type ReconcileOptions,
  type ReconcileReport,
  type SubscriptionDependencies,
} from '../subscriptions';
import type { SubscriptionObservation } from '../telemetry';
import { keepEventGridRouteActive, type EventGridRouteDependencies, type EventGridRouteReport } from './eventGridRoute';

export interface MaintenanceDependencies extends SubscriptionDependencies {
  /** Where the subscription gauges read from; absent where nothing exports them (CLI, tests, bench). */
  readonly observations?: { update(observations: readonly SubscriptionObservation[]): void };
  /** Present when EVENT_GRID_FUNCTION_APP_RESOURCE_ID and its companions are set: step 5 runs. */
  readonly eventGridRoute?: EventGridRouteDependencies | undefined;
}

export interface MaintenanceReport {
  readonly reconcile: ReconcileReport;
  readonly deferredChallenges: { readonly answered: number; readonly waiting: number };
  readonly periodicResync: PeriodicResyncReport;
  readonly eventGridRoute: EventGridRouteReport;
}

export async function runMaintenance(
  deps: MaintenanceDependencies,
  options: ReconcileOptions = {},
): Promise<MaintenanceReport> {
  const reconcile = await reconcileSubscriptions(deps, options);
  if (reconcile.observations !== undefined) deps.observations?.update(reconcile.observations);
  const deferredChallenges = await answerDeferredChallenges(deps);
  const periodicResync = await runPeriodicResyncs(deps);
  const eventGridRoute = await keepEventGridRouteActive(deps);
  return { reconcile, deferredChallenges, periodicResync, eventGridRoute };
}
