/**
 * Decides whether one parsed notification item is genuine, in two steps:
 *
 * 1. `checkItemShape`: what needs no storage. Graph's subscription and tenant ids are GUIDs (Microsoft's
 *    "subscription resource type" and "changeNotification resource type" pages), and Graph's payloads nest a
 *    few levels at most, so an item with any other id or nested deeper than `MAX_ITEM_DEPTH` is refused
 *    here: bad input never reaches the table (where an id with '/' fails the read) and never reaches
 *    `JSON.stringify` (which throws on deep nesting), so it can never be mistaken for a storage outage.
 *    A change whose resource has an id that is `.` or `..` or decodes to a path separator is refused too
 *    (`unsafeResourceId`): sent to Graph, it would name another resource.
 * 2. `verifyNotification`: its subscription must be one this app owns, its tenant must be the
 *    subscription's tenant, its clientState must equal the stored one (compared in constant time; the
 *    stored one is hashed once per subscription record, the presented one once per item), and a change's
 *    resource must lie inside the subscription's resource (`notificationWithinSubscription`).
 */
import type { NotificationItem } from '../notifications';
import { hasUnsafeResourceId, kindOfNotificationResource, notificationWithinSubscription } from '../resources';
import { matchesSecretDigest, secretDigest } from '../shared/constantTimeEquals';
import { isGuid } from '../shared/guid';
import type { SubscriptionRecord } from '../subscriptions';

import type { RejectionReason } from '../telemetry';

/** Why ingest drops an item; the names are the telemetry catalogue's, so metrics and logs agree. */
export type ItemRejectionReason = Extract<
  RejectionReason,
  'invalidItem' | 'unknownSubscription' | 'clientStateMismatch' | 'tenantMismatch' | 'outsideSubscription'
>;

export type Verdict = { readonly accepted: true } | { readonly accepted: false; readonly reason: ItemRejectionReason };

/** Deepest nesting of objects and arrays accepted in one item (the item itself is level 1). */
export const MAX_ITEM_DEPTH = 32;

/** Whether `value` nests objects and arrays deeper than `limit` levels; iterative, so any depth is safe to ask about. */
export function isNestedDeeperThan(value: unknown, limit: number): boolean {
  const pending: { readonly value: unknown; readonly depth: number }[] = [{ value, depth: 1 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (next.value === null || typeof next.value !== 'object') continue;
    if (next.depth > limit) return true;
    for (const child of Object.values(next.value))
      if (child !== null && typeof child === 'object') pending.push({ value: child, depth: next.depth + 1 });
  }
  return false;
}

/**
 * Whether processing sends the resource's path to Graph, which is what an id holding a separator would subvert:
 * every kind that reads, and a resource no kind lists. A listed notificationsOnly kind is never read, and one of
 * them names a meeting by its join URL, an id full of '/' (src/lib/resources/resourcePath.ts).
 */
function isReadFromGraph(resource: string): boolean {
  return kindOfNotificationResource(resource)?.retrieval.kind !== 'notification';
}

/** The storage-free checks; a problem names the field, never echoes its value. */
export function checkItemShape(item: NotificationItem): string | undefined {
  if (!isGuid(item.subscriptionId)) return 'subscriptionId: not a GUID';
  if (!isGuid(item.tenantId)) return 'tenantId: not a GUID';
  if (isNestedDeeperThan(item.payload, MAX_ITEM_DEPTH)) return `item: nested deeper than ${MAX_ITEM_DEPTH} levels`;
  if (item.kind === 'change' && hasUnsafeResourceId(item.resource) && isReadFromGraph(item.resource))
    return "resource: unsafeResourceId (an id is '.' or '..' or decodes to a path separator)";
  return undefined;
}

/**
 * The digest of each subscription's clientState, kept as long as its record is: the lookup cache hands the
 * same record to every request inside its TTL, so a burst hashes the stored secret once.
 */
const clientStateDigests = new WeakMap<SubscriptionRecord, Buffer>();

function clientStateDigest(subscription: SubscriptionRecord): Buffer {
  let digest = clientStateDigests.get(subscription);
  if (digest === undefined) {
    digest = secretDigest(subscription.clientState);
    clientStateDigests.set(subscription, digest);
  }
  return digest;
}

/** Checks one shape-checked item against its subscription (`undefined`: no such subscription). */
export function verifyNotification(item: NotificationItem, subscription: SubscriptionRecord | undefined): Verdict {
  if (subscription === undefined) return { accepted: false, reason: 'unknownSubscription' };
  // Compare before any other check so every known-subscription path costs the same.
  const clientStateMatches = matchesSecretDigest(clientStateDigest(subscription), item.clientState ?? '');
  if (!clientStateMatches || item.clientState === undefined) return { accepted: false, reason: 'clientStateMismatch' };
  if (subscription.tenantId.toLowerCase() !== item.tenantId.toLowerCase())
    return { accepted: false, reason: 'tenantMismatch' };
  // A clientState is no secret to whoever saw one genuine POST: it vouches for its own subscription's resources only.
  if (
    item.kind === 'change' &&
    !notificationWithinSubscription(subscription.resource, item.resource, subscription.tenantId)
  )
    return { accepted: false, reason: 'outsideSubscription' };
  return { accepted: true };
}
