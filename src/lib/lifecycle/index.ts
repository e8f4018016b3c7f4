/** Lifecycle notifications: acting on reauthorizationRequired, subscriptionRemoved and missed (reference §4). */
export { processLifecycleNotifications, type LifecycleAction, type LifecycleDependencies, type LifecycleResult } from './processLifecycleNotifications';
