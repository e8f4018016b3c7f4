/**
 * A Graph subscription this app owns, as kept in Table Storage. The clientState is a secret: it lives
 * here and in Graph only, is compared in constant time on every notification, and is never returned by
 * the management API or written to a log.
 *
 * Intent before action: a create first stores a `pending` record keyed `intent-<uuid>` (no Graph id exists
 * yet), then calls Graph, then stores the record under the Graph id and deletes the intent. A crash
 * in between leaves the intent, which the reconciler resolves: it adopts the Graph subscription that
 * matches it or, when Graph has none, removes it. Nothing in Graph is unknown to the table.
 */

export const SUBSCRIPTION_STATUSES = [
  /** Intent recorded (key `intent-<uuid>`); the Graph create call has not completed yet. */
  'pending',
  /** Exists in Graph and is being renewed. */
  'active',
  /** Graph refused a create or renewal for a reason that retrying will not fix (see lastError). */
  'failed',
  /** Graph removed it (expired, subscriptionRemoved, or deleted outside this app); being recreated. */
  'removed',
  /** Being deleted on purpose (API, CLI, desired state); the row goes once Graph confirmed. */
  'deleted',
] as const;

export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

export interface SubscriptionRecord {
  /** The Graph subscription id: the key notifications are looked up by. */
  readonly subscriptionId: string;
  readonly tenantId: string;
  /** What Graph was asked to watch, in the form its notifications use: `users/{id}/…`, `drives/{id}/root`. */
  readonly resource: string;
  /**
   * The resource as the operator or the desired-state file wrote it, when graph-notify resolved it at create (a user
   * principal name to the id, `users/{id}/drive/root` to the drive); shown, never sent to Graph.
   */
  readonly requestedResource?: string;
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
  /** Who asked for it; undefined = `operator`. Desired-state removal only touches `desiredState` ones. */
  readonly origin?: SubscriptionOrigin;
  /** Set while one worker renews, recreates or deletes it (ISO); others leave it alone until then. */
  readonly leaseUntil?: string;
  /** Last successful `reauthorize` (ISO): Graph wants no PATCH within 10 minutes of it (docs/graph-protocol.md §1.5). */
  readonly lastReauthorizedAt?: string;
  /** Notifications may have been lost since this instant (ISO): a delta resync is owed. */
  readonly resyncPendingSince?: string;
  /**
   * A reauthorizationRequired that could not be answered when it came (inside the 10-minute no-repeat
   * window, or while another worker held the subscription), ISO: the timer answers it once it can.
   */
  readonly reauthorizationOwedSince?: string;
  /**
   * When the last delta resync began (ISO), written when it completes, or when a `missed` claims one (its debt then
   * stays in resyncPendingSince until it completes): the safety net resyncs again RESYNC_INTERVAL_MINUTES after it.
   */
  readonly lastResyncedAt?: string;
  /** On a pending intent that recreates a subscription: the id of the one it replaces. */
  readonly replaces?: string;
}

export type SubscriptionOrigin = 'operator' | 'desiredState';

const INTENT_PREFIX = 'intent-';

/** The table key of a create intent: Graph ids are GUIDs, so an intent key never collides with one. */
export function intentKey(intentId: string): string {
  return `${INTENT_PREFIX}${intentId}`;
}

export function isIntentKey(subscriptionId: string): boolean {
  return subscriptionId.startsWith(INTENT_PREFIX);
}

/** A record as read from storage, with the ETag that guards the next write. */
export interface StoredSubscription extends SubscriptionRecord {
  readonly etag: string;
}
