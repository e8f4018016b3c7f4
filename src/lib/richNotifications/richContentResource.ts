/**
 * Whether decrypted rich content is about the resource its notification names. The validation tokens prove
 * that Graph sent the POST to this app, and the HMAC that the content is what Graph encrypted; neither covers
 * the notification's `resource`, which travels in clear beside the content. Anyone who captured one genuine
 * POST could replay its content under another `resource` (another message, a resource of another kind)
 * while the tokens are valid (about a day), so the content must name that resource itself: its `id` is the
 * resource's last id, and its `@odata.id`, when present, is the resource's canonical path
 * (`normalizeResourcePath`). See docs/security.md#checks-in-processing.
 */
import { encodeResourceId, normalizeResourcePath } from '../resources';

/**
 * `same`: the content names the resource; `other`: it names another one (the item is rejected); `unnamed`:
 * it carries neither `id` nor `@odata.id` (Outlook sends only the `$select`ed properties), so it proves
 * nothing about which resource it is and is not believed on its own.
 */
export type RichContentNaming = 'same' | 'other' | 'unnamed';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** An absolute `@odata.id` starts with the service root: `https://graph.microsoft.com/v1.0/`. */
const SERVICE_ROOT = /^[a-z][a-z0-9+.-]*:\/\/[^/]+\/(?:v1\.0|beta)\//i;

/** Two canonical path segments name the same thing: equal, or the same GUID spelled in another case. */
const sameSegment = (a: string, b: string): boolean => a === b || (GUID.test(a) && a.toLowerCase() === b.toLowerCase());

function samePath(a: string, b: string): boolean {
  const left = a.split('/');
  const right = b.split('/');
  return left.length === right.length && left.every((segment, index) => sameSegment(segment, right[index] ?? ''));
}

/**
 * Whether content's `id` names the resource at canonical `path`: its last id, or, for a resource whose id is
 * its whole path (a meeting's call events carry `"id": "communications/onlineMeetings?$filter=joinWebUrl…"`,
 * Microsoft's "Get change notifications for Microsoft Teams meeting call updates"), that very path.
 */
function idNames(id: string, path: string, lastSegment: string): boolean {
  if (sameSegment(encodeResourceId(id), lastSegment)) return true;
  return id.includes('/') && samePath(normalizeResourcePath(id.replace(SERVICE_ROOT, '')), path);
}

export function richContentNaming(content: Readonly<Record<string, unknown>>, resource: string): RichContentNaming {
  const { id } = content;
  const odataId = content['@odata.id'];
  if (id === undefined && odataId === undefined) return 'unnamed';
  const path = normalizeResourcePath(resource);
  const lastSegment = path.split('/').at(-1) ?? '';
  if (id !== undefined && (typeof id !== 'string' || !idNames(id, path, lastSegment))) return 'other';
  if (
    odataId !== undefined &&
    (typeof odataId !== 'string' || !samePath(normalizeResourcePath(odataId.replace(SERVICE_ROOT, '')), path))
  )
    return 'other';
  return 'same';
}
