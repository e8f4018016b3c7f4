/**
 * Notifications that name a collection in `resource` and the item only in `resourceData` (Microsoft's "Get change
 * notifications for Microsoft Teams virtual event updates": a session's notification names
 * `solutions/virtualEvents/webinars/{id}/sessions`, and its `resourceData.id` the session). A kind opts in with
 * `itemInResourceData`; ingest calls `itemOfCollectionNotification` once per change notification and, for such a
 * notification, carries on with the item's own resource, so the scope check, the sink key, the read and the
 * tombstone all see `{collection}/{id}`: the key a notification naming the item, or a read of it, writes.
 *
 * `resourceData.id` is as untrusted as `resource`. Microsoft's examples write the item's whole path there
 * (`solutions/virtualEvents/webinars/{id}/sessions/{id}`); an id of one segment is read as `{collection}/{id}`. Either
 * way it must name one item directly inside the notified collection, by an id that is no dot segment and holds no
 * path separator (`hasUnsafeCanonicalId`); otherwise the notification is refused, never written under the
 * collection's key.
 */
import { RESOURCE_KINDS } from './resourceKinds';
import { encodeResourceId, hasUnsafeCanonicalId, normalizeResourcePath } from './resourcePath';

/**
 * The `itemInResourceData` patterns of the registry as one (anchored, flag-free, as the registry writes them):
 * a notification of any other kind fails it at its first characters, so the common case costs one cheap test.
 */
const COLLECTION_NAMED: RegExp | undefined = ((): RegExp | undefined => {
  const sources = RESOURCE_KINDS.flatMap((kind) =>
    kind.itemInResourceData === undefined ? [] : [`(?:${kind.itemInResourceData.source})`],
  );
  return sources.length === 0 ? undefined : new RegExp(sources.join('|'));
})();

/** The item a collection-named notification is about, or why it names none (a problem naming the field only). */
export type CollectionNotificationItem =
  | {
      /** The item's canonical path (`normalizeResourcePath`), `{collection}/{id}`. */
      readonly path: string;
      /** The item's resource as the rest of the pipeline reads it; `normalizeResourcePath` makes it `path`. */
      readonly resource: string;
      readonly problem?: undefined;
    }
  | { readonly problem: string; readonly path?: undefined; readonly resource?: undefined };

function idOf(resourceData: unknown): unknown {
  return typeof resourceData === 'object' && resourceData !== null
    ? (resourceData as Readonly<Record<string, unknown>>).id
    : undefined;
}

/**
 * The item of a change notification whose `resource` (canonical: `canonicalResource`) names a collection of a kind
 * with `itemInResourceData`; undefined when it names none, which is every other notification.
 */
export function itemOfCollectionNotification(
  canonicalResource: string,
  resource: string,
  resourceData: unknown,
  tenantId: string,
): CollectionNotificationItem | undefined {
  if (COLLECTION_NAMED === undefined || !COLLECTION_NAMED.test(canonicalResource)) return undefined;
  const id = idOf(resourceData);
  if (typeof id !== 'string' || id === '')
    return { problem: 'resourceData.id: required when resource names a collection' };
  const isPath = id.includes('/');
  const itemResource = isPath ? id : collectionItemResource(resource, id);
  const path = normalizeResourcePath(itemResource, tenantId);
  const rest = path.startsWith(`${canonicalResource}/`) ? path.slice(canonicalResource.length + 1) : '';
  const namesOneItem = isPath ? rest !== '' && !rest.includes('/') : rest === encodeResourceId(id);
  if (!namesOneItem) return { problem: 'resourceData.id: names no item of the collection resource names' };
  if (hasUnsafeCanonicalId(path))
    return { problem: "resourceData.id: unsafeResourceId (the id is '.' or '..' or decodes to a path separator)" };
  return { path, resource: itemResource };
}

/**
 * The resource of item `id` of the collection `resource` names, as Graph wrote the collection, keyed by the id in
 * OData key syntax, which keeps any character the id holds inside one segment: `normalizeResourcePath` makes it
 * `{collection}/{id}`.
 */
export function collectionItemResource(resource: string, id: string): string {
  return `${resource.replace(/\/+$/, '')}('${id.replaceAll("'", "''")}')`;
}
