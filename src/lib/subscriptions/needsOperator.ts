/**
 * Subscriptions the app cannot bring back on its own, as /api/health lists them (docs/operations.md#health):
 * Graph refused them for a reason retrying will not fix (`failed`), or they are past their expiry while the
 * table still counts on them (the reconciler is not keeping them alive). Each names its cause; no clientState.
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
