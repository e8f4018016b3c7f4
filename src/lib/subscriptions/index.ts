export { SUBSCRIPTION_STATUSES, type StoredSubscription, type SubscriptionRecord, type SubscriptionStatus } from './subscriptionRecord';
export type { SubscriptionRepository } from './subscriptionRepository';
export { createCachedSubscriptionLookup, type SubscriptionLookup } from './subscriptionLookup';
