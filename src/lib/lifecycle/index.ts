/** Lifecycle notifications: acting on reauthorizationRequired, subscriptionRemoved and missed (docs/graph-protocol.md §4). */
export {
  answerDeferredChallenges,
  describeLifecycleResult,
  MISSED_RESYNC_INTERVAL_MS,
  processLifecycleNotifications,
  type LifecycleAction,
  type LifecycleDependencies,
  type LifecycleResult,
} from './processLifecycleNotifications';
