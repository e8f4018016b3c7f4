/**
 * What a subscription covers. Graph sends the clientState in every notification, so whoever has seen one genuine
 * POST holds it; the one thing such a holder cannot choose is the subscription the clientState belongs to. A change
 * notification is therefore believed only about a resource inside that subscription's resource (docs/security.md,
 * "What a holder of a clientState can and cannot do"), compared on canonical paths (`normalizeResourcePath`), so no
 * spelling of a path (casing, `name('id')`, trailing slash) gets around the rule.
 *
 * The rule is the same for every kind in the registry and reads only its fields:
 *
 * - the notification's resource is one its kind's `itemPattern` names (a `users/{id}/messages` subscription never
 *   covers `users/{id}` nor `users/{id}/events/{id}`), and
 * - it lies under the subscription's container, the subscription path less its last segment: `users/{A}/messages`
 *   covers `users/{A}/…` (any folder of A's mailbox), `chats/{C}/messages` covers `chats/{C}/…` (messages and
 *   replies), `drives/{D}/root` covers `drives/{D}/…` (its root), `users` covers every user; or under the kind's
 *   `notificationContainer` where Graph names them outside the subscription path (a user's chats: `chats/…`); or
 * - it is the name Graph gives an item of this subscription whatever the folder (`resyncItemPath`): a subscription
 *   to one mail folder, contact folder or calendar receives `Users/{A}/Messages/{id}` (docs/graph-protocol.md §3.4).
 *
 * A subscription whose resource is no kind in the registry covers its own canonical path and what lies under it.
 */
import { kindOfSubscriptionResource } from './resourceKinds';
import { decodeResourceId, normalizeResourcePath } from './resourcePath';

/** Whether canonical `path` is `container` or lies under it; the empty container holds every path. */
function liesUnder(path: string, container: string): boolean {
  return container === '' || path === container || path.startsWith(`${container}/`);
}

/**
 * Whether a change notification about `notificationResource` may come from a subscription to `subscriptionResource`
 * in tenant `tenantId` (which makes Outlook's `Users/{user-id}@{tenant-id}/…` the user's own path).
 */
export function notificationWithinSubscription(
  subscriptionResource: string,
  notificationResource: string,
  tenantId?: string,
): boolean {
  return subscriptionScope(subscriptionResource, tenantId)(normalizeResourcePath(notificationResource, tenantId));
}

/**
 * `notificationWithinSubscription` in two steps, for ingest: the subscription's side worked out once (its canonical
 * path, kind and container), then a test of each notification's canonical path (`normalizeResourcePath` with the
 * same tenant).
 */
export function subscriptionScope(subscriptionResource: string, tenantId?: string): (canonicalItem: string) => boolean {
  const subscription = normalizeResourcePath(subscriptionResource, tenantId);
  const kind = kindOfSubscriptionResource(subscription);
  if (kind === undefined) return (item) => subscription !== '' && liesUnder(item, subscription);
  const container =
    kind.notificationContainer?.(subscription) ?? subscription.slice(0, Math.max(0, subscription.lastIndexOf('/')));
  return (item) => {
    if (!kind.itemPattern.test(item)) return false;
    if (liesUnder(item, container)) return true;
    const itemId = decodeResourceId(item.slice(item.lastIndexOf('/') + 1));
    return kind.resyncItemPath?.(subscription, itemId) === item;
  };
}
