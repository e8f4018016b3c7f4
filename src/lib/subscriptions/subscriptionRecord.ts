/**
 * A Graph subscription this app owns, as kept in Table Storage. The clientState is a secret: it lives
 * here and in Graph only, is compared in constant time on every notification, and is never returned by
 * the management API or written to a log.
 */

export const SUBSCRIPTION_STATUSES = [
  /** Intent recorded; the Graph create call has not completed yet. */
  'pending',
  /** Exists in Graph and is being renewed. */
  'active',
  /** Graph refused a create or renewal for a reason that retrying will not fix (see lastError). */
  'failed',
  /** Graph removed it (expired, subscriptionRemoved, or deleted outside this app). */
  'removed',
  /** Deleted on purpose through the management API or CLI. */
  'deleted',
] as const;

export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

export interface SubscriptionRecord {
  /** The Graph subscription id: the key notifications are looked up by. */
  readonly subscriptionId: string;
  readonly tenantId: string;
  readonly resource: string;
  /** Comma-separated Graph change types, e.g. `created,updated,deleted`. */
  readonly changeType: string;
  readonly clientState: string;
  readonly notificationUrl: string;
  readonly lifecycleNotificationUrl: string | undefined;
  /** ISO 8601 UTC. */
  readonly expirationDateTime: string;
  readonly includeResourceData: boolean;
  readonly encryptionCertificateId: string | undefined;
  readonly status: SubscriptionStatus;
  readonly lastRenewedAt: string | undefined;
  /** Last failure, secret-free, as shown to operators. */
  readonly lastError: string | undefined;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A record as read from storage, with the ETag that guards the next write. */
export interface StoredSubscription extends SubscriptionRecord {
  readonly etag: string;
}
