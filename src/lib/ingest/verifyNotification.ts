/**
 * Decides whether one parsed notification item is genuine: its subscription must be one this app owns,
 * its tenant must be the subscription's tenant, and its clientState must equal the stored one (compared
 * in constant time). docs/graph-protocol.md §11 step 3.
 */
import type { NotificationItem } from '../notifications';
import { constantTimeEquals } from '../shared/constantTimeEquals';
import type { SubscriptionLookup } from '../subscriptions';

import type { RejectionReason as TelemetryRejectionReason } from '../telemetry';

/** Why ingest drops an item; the names are the telemetry catalogue's, so metrics and logs agree. */
export type RejectionReason = Extract<TelemetryRejectionReason, 'invalidItem' | 'unknownSubscription' | 'clientStateMismatch' | 'tenantMismatch'>;

export type Verdict = { readonly accepted: true } | { readonly accepted: false; readonly reason: RejectionReason };

export async function verifyNotification(item: NotificationItem, lookup: SubscriptionLookup): Promise<Verdict> {
  const subscription = await lookup(item.subscriptionId);
  if (subscription === undefined) return { accepted: false, reason: 'unknownSubscription' };
  // Compare before any other check so every known-subscription path costs the same.
  const clientStateMatches = constantTimeEquals(subscription.clientState, item.clientState ?? '');
  if (!clientStateMatches || item.clientState === undefined) return { accepted: false, reason: 'clientStateMismatch' };
  if (subscription.tenantId.toLowerCase() !== item.tenantId.toLowerCase()) return { accepted: false, reason: 'tenantMismatch' };
  return { accepted: true };
}
