/**
 * Subscriptions: the records graph-notify keeps of its Graph subscriptions, the rules a request must meet,
 * the operator's use cases (list, show, create, delete, renew), the reconciler and its drift check, and the
 * maintenance steps the lifecycle handler shares (renew or recreate, reauthorize, recreate, the reauthorize/renew
 * window). Resyncs live in src/lib/resync.
 */
export {
  SUBSCRIPTION_STATUSES,
  intentKey,
  isIntentKey,
  type StoredSubscription,
  type SubscriptionOrigin,
  type SubscriptionRecord,
  type SubscriptionStatus,
} from './subscriptionRecord';
export type { SubscriptionRepository } from './subscriptionRepository';
export { createCachedSubscriptionLookup, type SubscriptionLookup } from './subscriptionLookup';
export {
  DEFAULT_RESYNC_SETTINGS,
  subscriptionSettingsFrom,
  type ResyncSettings,
  type SubscriptionDependencies,
  type SubscriptionSettings,
} from './dependencies';
export {
  isRenewalDue,
  jitterFraction,
  maxLifetimeMinutes,
  maxRenewalWindowMs,
  renewalWindowMs,
  checkSubscriptionId,
  MAX_SUBSCRIPTION_ID_LENGTH,
  parseSubscriptionRequest,
  planSubscription,
  SUBSCRIPTION_FIELD_LIMITS,
  renewalExpiration,
  type SubscriptionPlan,
  type SubscriptionRequest,
} from './subscriptionRules';
export { createSubscription } from './createSubscription';
export {
  reauthorizeSubscription,
  recreateSubscription,
  renewOrRecreateSubscription,
  type MaintenanceOutcome,
} from './maintainSubscription';
export {
  createManagedSubscription,
  type CreatedSubscriptionView,
  deleteManagedSubscription,
  getSubscription,
  listSubscriptions,
  renewManagedSubscription,
} from './manageSubscriptions';
export { DRIFT_CHECK_KEY, FULL_SCAN_KEY } from './driftCheck';
export {
  INTENT_GRACE_MS,
  RENEWAL_BATCH_SIZE,
  RUN_BUDGET_MS,
  reconcileSubscriptions,
  type ReconcileOptions,
  type ReconcileOutcome,
  type ReconcileReport,
} from './reconcileSubscriptions';
export { TenantBackoff, type Sleep } from './tenantBackoff';
export { toSubscriptionView, type SubscriptionView } from './subscriptionView';
export { getGraphSubscription } from './graphSubscriptionApi';
export {
  subscriptionsHealth,
  subscriptionsNeedingOperator,
  subscriptionsWithoutLifecycleUrl,
  type SubscriptionNeedingOperator,
  type SubscriptionsHealth,
  type SubscriptionWithoutLifecycleUrl,
} from './needsOperator';
export { reauthorizeRenewWaitMs, SUBSCRIPTION_LEASE_MS } from './records';
export {
  DesiredStateInvalid,
  SubscriptionBusy,
  SubscriptionDuplicate,
  SubscriptionNotFound,
  SubscriptionUserNotFound,
  SubscriptionRefused,
  SubscriptionValidationUnreachable,
  SubscriptionRequestInvalid,
  SubscriptionRuleViolated,
  SubscriptionSelectRequired,
  SubscriptionsNotConfigured,
  type RefusalReason,
  type SubscriptionRule,
} from './errors';
