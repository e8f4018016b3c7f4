/**
 * Resync: catching up with Graph when notifications may have been lost. Delta runs per resource (drive
 * notifications, resyncs), the sweep for deletions no delta reported, what a subscription's resync reads,
 * paying an owed resync (after `missed`, a recreation, a reauthorization), the periodic safety net, and the
 * lease store that serialises all of them.
 */
export {
  DELTA_LEASE_MS,
  syncDelta,
  tombstoneUnlisted,
  type DeltaDependencies,
  type DeltaRunResult,
  type DeltaTarget,
  type UnlistedSweep,
} from './syncDelta';
export { canResync, eventWindow, resyncTargetsOf } from './resyncTargets';
export { recordOwedResync, resyncSubscription, runResync } from './resyncSubscription';
export {
  nextPeriodicResyncAt,
  PERIODIC_RESYNC_KEY,
  PERIODIC_RESYNCS_PER_TENANT_PER_RUN,
  runPeriodicResyncs,
  type PeriodicResyncReport,
} from './periodicResync';
export type { Lease, LeaseStore } from './ports';
