/** Lifecycle notifications: acting on reauthorizationRequired, subscriptionRemoved and missed (docs/graph-protocol.md §4). */
export {
  answerDeferredChallenges,
  describeLifecycleResult,
  processLifecycleNotifications,
  type LifecycleAction,
  type LifecycleDependencies,
  type LifecycleResult,
} from './processLifecycleNotifications';
