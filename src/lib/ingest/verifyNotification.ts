/**
 * Decides whether one parsed notification item is genuine, in two steps:
 *
 * 1. `checkItemShape`: what needs no storage. Graph's subscription and tenant ids are GUIDs (Microsoft's
 *    "subscription resource type" and "changeNotification resource type" pages), and Graph's payloads nest a
 *    few levels at most, so an item with any other id or nested deeper than `MAX_ITEM_DEPTH` is refused
 *    here: bad input never reaches the table (where an id with '/' fails the read) and never reaches
 *    `JSON.stringify` (which throws on deep nesting), so it can never be mistaken for a storage outage.
 *    A change whose resource has an id that is `.` or `..` or decodes to a path separator is refused too
 *    (`unsafeResourceId`): sent to Graph, it would name another resource. A change whose resource names a
 *    collection of a kind with `itemInResourceData` (Teams virtual event sessions) carries on as about the item
 *    `resourceData.id` names, `{collection}/{id}`, in the stored payload too, or is refused when it names none
 *    (`itemOfCollectionNotification`).
 * 2. `verifyNotification`: its subscription must be one this app owns, its tenant must be the
 *    subscription's tenant, its clientState must equal the stored one (compared in constant time; the
 *    stored one is hashed once per subscription record, the presented one once per distinct value in a
 *    request), and a change's resource must lie inside the subscription's resource (`subscriptionScope`).
 *    A change naming an unlisted subscription's own resource, a collection, carries on as about the item its
 *    `resourceData.id` names (`unlistedItem`). These two are the only places a notification's resource is rewritten.
 */
import { timingSafeEqual } from 'node:crypto';
import type { NotificationItem } from '../notifications';
import {
  collectionItemResource,
  hasUnsafeCanonicalId,
  itemOfCollectionNotification,
  kindOfNotificationResource,
  kindOfSubscriptionResource,
  normalizeResourcePath,
  subscriptionScope,
} from '../resources';
import { secretDigest } from '../shared/constantTimeEquals';
import { isGuid } from '../shared/guid';
import type { SubscriptionRecord } from '../subscriptions';

import type { RejectionReason } from '../telemetry';

/** Why ingest drops an item; the names are the telemetry catalogue's, so metrics and logs agree. */
export type ItemRejectionReason = Extract<
  RejectionReason,
  'invalidItem' | 'unknownSubscription' | 'clientStateMismatch' | 'tenantMismatch' | 'outsideSubscription'
>;

export type Verdict =
  | {
      readonly accepted: true;
      /** The item as it goes on, when verification named it anew (an unlisted collection's item, `unlistedItem`). */
      readonly item?: NotificationItem;
    }
  | { readonly accepted: false; readonly reason: ItemRejectionReason };

/** Deepest nesting of objects and arrays accepted in one item (the item itself is level 1). */
export const MAX_ITEM_DEPTH = 32;

/**
 * Whether `value` nests objects and arrays deeper than `limit` levels. Recursive, but never deeper than `limit`
 * calls (it answers as soon as it passes the limit), so any depth of input is safe to ask about.
 */
export function isNestedDeeperThan(value: unknown, limit: number, depth = 1): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (depth > limit) return true;
  if (Array.isArray(value)) {
    for (const child of value as readonly unknown[]) if (isNestedDeeperThan(child, limit, depth + 1)) return true;
    return false;
  }
  for (const key in value) {
    if (Object.hasOwn(value, key) && isNestedDeeperThan((value as Record<string, unknown>)[key], limit, depth + 1))
      return true;
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

/** An item the storage-free checks passed, with a change's resource as a canonical path for the scope check. */
export interface ShapeCheckedItem {
  readonly item: NotificationItem;
  /** `normalizeResourcePath(resource, tenantId)` of a change; undefined for a lifecycle notification. */
  readonly canonicalResource: string | undefined;
}

/** What `checkItemShape` found: a problem naming the field (never echoing its value), or the checked item. */
export type ShapeCheck =
  | { readonly problem: string; readonly checked?: undefined }
  | { readonly problem?: undefined; readonly checked: ShapeCheckedItem };

/** The storage-free checks. */
export function checkItemShape(item: NotificationItem): ShapeCheck {
  if (!isGuid(item.subscriptionId)) return { problem: 'subscriptionId: not a GUID' };
  if (!isGuid(item.tenantId)) return { problem: 'tenantId: not a GUID' };
  if (isNestedDeeperThan(item.payload, MAX_ITEM_DEPTH))
    return { problem: `item: nested deeper than ${MAX_ITEM_DEPTH} levels` };
  if (item.kind === 'lifecycle') return { checked: { item, canonicalResource: undefined } };
  const named = normalizeResourcePath(item.resource, item.tenantId);
  const inCollection = itemOfCollectionNotification(named, item.resource, item.payload.resourceData, item.tenantId);
  if (inCollection === undefined) {
    if (hasUnsafeCanonicalId(named) && isReadFromGraph(item.resource))
      return { problem: "resource: unsafeResourceId (an id is '.' or '..' or decodes to a path separator)" };
    return { checked: { item, canonicalResource: named } };
  }
  if (inCollection.problem !== undefined) return { problem: inCollection.problem };
  const { resource, path } = inCollection;
  return { checked: { item: { ...item, resource, payload: { ...item.payload, resource } }, canonicalResource: path } };
}

/**
 * What verification needs of a subscription record, worked out once per record: the lookup cache hands the same
 * record to every request inside its TTL, so a burst hashes the stored clientState and resolves the subscription's
 * scope once.
 */
interface SubscriptionFacts {
  readonly clientStateDigest: Buffer;
  readonly tenantId: string;
  readonly covers: (canonicalResource: string) => boolean;
  /** The canonical path of an unlisted subscription (no kind in the registry); undefined for a listed one. */
  readonly unlistedPath: string | undefined;
}

const factsByRecord = new WeakMap<SubscriptionRecord, SubscriptionFacts>();

function factsOf(subscription: SubscriptionRecord): SubscriptionFacts {
  let facts = factsByRecord.get(subscription);
  if (facts === undefined) {
    facts = {
      clientStateDigest: secretDigest(subscription.clientState),
      tenantId: subscription.tenantId.toLowerCase(),
      covers: subscriptionScope(subscription.resource, subscription.tenantId),
      unlistedPath: unlistedPathOf(subscription),
    };
    factsByRecord.set(subscription, facts);
  }
  return facts;
}

/**
 * Checks one shape-checked item against its subscription (`undefined`: no such subscription). `digestOf` hashes a
 * presented clientState (`presentedSecretDigests`, one per request).
 */
export function verifyNotification(
  { item, canonicalResource }: ShapeCheckedItem,
  subscription: SubscriptionRecord | undefined,
  digestOf: (presented: string) => Buffer,
): Verdict {
  if (subscription === undefined) return { accepted: false, reason: 'unknownSubscription' };
  const facts = factsOf(subscription);
  // Compare before any other check so every known-subscription path costs the same.
  const clientStateMatches = timingSafeEqual(facts.clientStateDigest, digestOf(item.clientState ?? ''));
  if (!clientStateMatches || item.clientState === undefined) return { accepted: false, reason: 'clientStateMismatch' };
  if (facts.tenantId !== item.tenantId.toLowerCase()) return { accepted: false, reason: 'tenantMismatch' };
  // A clientState is no secret to whoever saw one genuine POST: it vouches for its own subscription's resources only.
  if (canonicalResource !== undefined && !facts.covers(canonicalResource))
    return { accepted: false, reason: 'outsideSubscription' };
  if (item.kind === 'change' && facts.unlistedPath !== undefined && canonicalResource === facts.unlistedPath)
    return unlistedItem(item);
  return { accepted: true };
}

function unlistedPathOf(subscription: SubscriptionRecord): string | undefined {
  // The kind of the resource as stored: some kinds are told by its query (a meeting's join URL, presence's users).
  if (kindOfSubscriptionResource(subscription.resource) !== undefined) return undefined;
  return normalizeResourcePath(subscription.resource, subscription.tenantId);
}

/**
 * A change notification naming an unlisted subscription's own resource, its collection, may name the item only in
 * `resourceData.id` (the tenant-wide forms of Teams virtual events do): it goes on as about `{collection}/{id}`, so each
 * item keeps its own blob instead of every notification overwriting the collection's. The id is opaque, one key segment
 * under the collection whatever it holds, so it stays inside the subscription; with no id the collection is the key.
 */
function unlistedItem(item: Extract<NotificationItem, { kind: 'change' }>): Verdict {
  const { resourceData } = item.payload;
  const id =
    typeof resourceData === 'object' && resourceData !== null
      ? (resourceData as Readonly<Record<string, unknown>>).id
      : undefined;
  if (typeof id !== 'string' || id === '') return { accepted: true };
  const resource = collectionItemResource(item.resource, id);
  return { accepted: true, item: { ...item, resource, payload: { ...item.payload, resource } } };
}
