/** Lifecycle notifications: acting on reauthorizationRequired, subscriptionRemoved and missed (reference §4). */
export { answerDeferredChallenges, processLifecycleNotifications, type LifecycleAction, type LifecycleDependencies, type LifecycleResult } from './processLifecycleNotifications';
