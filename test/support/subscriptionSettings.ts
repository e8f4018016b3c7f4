import type { SubscriptionSettings } from '../../src/lib/subscriptions';

/** Subscription settings as a deployment has them, for the rule and desired-state tests. */
export const subscriptionSettings: SubscriptionSettings = {
  notificationUrl: 'https://app.example.com/api/notifications?code=k',
  lifecycleNotificationUrl: 'https://app.example.com/api/lifecycle?code=k',
  renewalWindowMinutes: 720,
  expirationMarginMinutes: 15,
  maxLifetimeMinutes: undefined,
  driftCheckIntervalMinutes: 60,
  concurrencyPerTenant: 4,
  defaultTenantId: '22222222-2222-4222-8222-222222222222',
  graphBaseUrl: 'https://graph.microsoft.com/v1.0',
  encryption: { certificateId: 'cert-1', certificateBase64Der: 'MIIB' },
};
