/**
 * Timer: the subscription reconciler, on RECONCILE_SCHEDULE (NCRONTAB). It runs the timer's sequence
 * (src/lib/maintenance): renews, repairs and recreates from the subscriptions table and, at most once per
 * DRIFT_CHECK_INTERVAL_MINUTES, compares with Graph's list (docs/subscriptions.md), then updates the gauges,
 * answers deferred reauthorization challenges and runs the periodic resync safety net. Failures of single
 * subscriptions are in the report and the log; only a storage outage fails the invocation (the next
 * occurrence tries again; no retry policy on purpose).
 */
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { appServices } from '../index';
import { runMaintenance } from '../lib/maintenance';

export async function reconcileSubscriptions(timer: Timer, context: InvocationContext): Promise<void> {
  if (timer.isPastDue) context.warn('Reconcile runs late (the previous occurrence was missed); catching up now');
  await runMaintenance({ ...appServices().subscriptionServices, log: context });
}

app.timer('reconcileSubscriptions', {
  schedule: '%RECONCILE_SCHEDULE%',
  handler: reconcileSubscriptions,
});
