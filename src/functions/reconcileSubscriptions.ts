/**
 * Timer: the subscription reconciler, on RECONCILE_SCHEDULE (NCRONTAB). It renews, repairs and recreates
 * from the subscriptions table and, at most once per DRIFT_CHECK_INTERVAL_MINUTES, compares with Graph's
 * list (docs/subscriptions.md), then answers deferred reauthorization challenges and runs the periodic
 * resync safety net. Failures of single subscriptions are in the report and the log; only a
 * storage outage fails the invocation (the next occurrence tries again; no retry policy on purpose).
 */
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { appServices } from '../index';
import { answerDeferredChallenges } from '../lib/lifecycle';
import { runPeriodicResyncs } from '../lib/resync';
import { reconcileSubscriptions as reconcile } from '../lib/subscriptions';

export async function reconcileSubscriptions(timer: Timer, context: InvocationContext): Promise<void> {
  if (timer.isPastDue) context.warn('Reconcile runs late (the previous occurrence was missed); catching up now');
  const services = appServices().subscriptionServices;
  const report = await reconcile({ ...services, log: context });
  // Routine runs read only what could need work; the gauges move with the full-scan runs.
  if (report.observations !== undefined) services.observations.update(report.observations);
  // reauthorizationRequired challenges that came inside the 10-minute no-repeat window, then the safety
  // net for notifications Graph dropped without a `missed` (RESYNC_INTERVAL_MINUTES).
  await answerDeferredChallenges({ ...services, log: context });
  await runPeriodicResyncs({ ...services, log: context });
}

app.timer('reconcileSubscriptions', {
  schedule: '%RECONCILE_SCHEDULE%',
  handler: reconcileSubscriptions,
});
