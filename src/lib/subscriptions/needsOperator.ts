/**
 * What /api/health says about the subscriptions table (docs/operations.md#health). Subscriptions the app cannot bring
 * back on its own: Graph refused them for a reason retrying will not fix (`failed`), or they are past their expiry
 * while the table still counts on them (the reconciler is not keeping them alive); each names its cause; no
 * clientState. And the active subscriptions that run without a lifecycle URL, which Graph pauses unannounced when
 * their token lapses (docs/subscriptions.md#subscriptions-without-a-lifecycle-url).
 */
import { isIntentKey, type SubscriptionRecord, type SubscriptionStatus } from './subscriptionRecord';

export interface SubscriptionNeedingOperator {
  readonly id: string;
  readonly tenantId: string;
  readonly resource: string;
  readonly changeType: string;
  readonly status: SubscriptionStatus;
  /** Why it needs an operator, in a sentence. */
  readonly reason: string;
  /** The subscription's last recorded failure, secret-free. */
  readonly lastError: string | null;
}

/** An active subscription Graph has no lifecycle URL for, as /api/health lists it. */
export interface SubscriptionWithoutLifecycleUrl {
  readonly id: string;
  readonly tenantId: string;
  readonly resource: string;
  readonly changeType: string;
}

export interface SubscriptionsHealth {
  readonly needingOperator: readonly SubscriptionNeedingOperator[];
  readonly withoutLifecycleUrl: readonly SubscriptionWithoutLifecycleUrl[];
}

/** Both health lists from one read of the table. */
export function subscriptionsHealth(records: readonly SubscriptionRecord[], now: Date): SubscriptionsHealth {
  return {
    needingOperator: subscriptionsNeedingOperator(records, now),
    withoutLifecycleUrl: subscriptionsWithoutLifecycleUrl(records),
  };
}

/** Active subscriptions created without a lifecycle URL (a webhook opted out with `withoutLifecycleUrl`). */
export function subscriptionsWithoutLifecycleUrl(
  records: readonly SubscriptionRecord[],
): SubscriptionWithoutLifecycleUrl[] {
  return records
    .filter(
      (record) =>
        !isIntentKey(record.subscriptionId) &&
        record.status === 'active' &&
        record.lifecycleNotificationUrl === undefined,
    )
    .map((record) => ({
      id: record.subscriptionId,
      tenantId: record.tenantId,
      resource: record.resource,
      changeType: record.changeType,
    }));
}

export function subscriptionsNeedingOperator(
  records: readonly SubscriptionRecord[],
  now: Date,
): SubscriptionNeedingOperator[] {
  return records.flatMap((record) => {
    const reason = needsOperatorBecause(record, now);
    if (reason === undefined) return [];
    return [
      {
        id: record.subscriptionId,
        tenantId: record.tenantId,
        resource: record.resource,
        changeType: record.changeType,
        status: record.status,
        reason,
        lastError: record.lastError ?? null,
      },
    ];
  });
}

function needsOperatorBecause(record: SubscriptionRecord, now: Date): string | undefined {
  if (isIntentKey(record.subscriptionId)) return undefined;
  if (record.status === 'failed')
    return 'Graph refused it for a reason retrying will not fix: see lastError, then fix and renew, or delete it';
  const expired = Date.parse(record.expirationDateTime) <= now.getTime();
  if (expired && (record.status === 'active' || record.status === 'removed'))
    return 'expired in Graph while the table counts on it: the reconciler is not keeping it alive (see lastError and the reconciler logs)';
  return undefined;
}
