/**
 * Graph resource paths as notifications carry them (`Users/{id}/Messages/{id}`,
 * `Users('{id}')/messages('{id}')`, `drives/{id}/root/`, docs/graph-protocol.md §3.4) turned into one canonical form:
 * segments split on '/', `name('id')` written as `name/id` when `name` is a navigation name, known navigation
 * names lower-cased, ids kept verbatim except for the characters `encodeResourceId` escapes, no leading or
 * trailing slash. Two notifications about one resource therefore map to one key (coalescing) and one sink
 * blob, whatever casing or key syntax Graph used; two different resources never share one (the mapping is
 * injective: a segment spelled like a navigation name is read as one, as Graph's own URL grammar does).
 *
 * `sinkBlobName` turns that path into the sink's blob name: tenant id lower-cased, and a stable hashed form
 * for paths beyond Azure's blob name limits (docs/sink.md).
 */
import { createHash } from 'node:crypto';

/** Navigation segment names Graph uses in the resources this app supports; matched case-insensitively. */
const NAVIGATION_NAMES = new Set(
  // prettier-ignore
  [
    'users', 'groups', 'me', 'messages', 'mailFolders', 'childFolders', 'events', 'calendar', 'calendars', 'contacts',
    'contactFolders', 'drives', 'drive', 'root', 'items', 'children', 'sites', 'lists', 'chats', 'teams', 'channels',
    'replies', 'members', 'conversations', 'threads', 'posts', 'subscriptions', 'todo', 'tasks',
    'communications', 'presences', 'callRecords',
  ].map((name) => name.toLowerCase()),
);

/** Whether a segment is read as a navigation name (case-insensitively), not an id. */
export function isNavigationName(segment: string): boolean {
  return NAVIGATION_NAMES.has(segment.toLowerCase());
}

/**
 * Characters that would change a blob path's meaning or cannot be stored in one: '%' itself (so the encoding
 * stays reversible), path and URL delimiters, C0 and C1 control characters, the noncharacters U+FFFE/U+FFFF
 * (`%XX`), and lone UTF-16 surrogates, which have no UTF-8 form (`%uXXXX`).
 */
const UNSAFE_IN_ID =
  // eslint-disable-next-line no-control-regex -- control characters are exactly what must be matched here
  /[%/\\?#\u0000-\u001f\u007f-\u009f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function escapeCharacter(character: string): string {
  const code = character.charCodeAt(0);
  return code > 0xff
    ? `%u${code.toString(16).toUpperCase().padStart(4, '0')}`
    : `%${code.toString(16).toUpperCase().padStart(2, '0')}`;
}

/** An id as one path segment: verbatim except the characters above, percent-encoded. */
export function encodeResourceId(id: string): string {
  if (id === '.' || id === '..') return id.replace(/\./g, '%2E');
  return id.replace(UNSAFE_IN_ID, escapeCharacter);
}

/** The inverse of `encodeResourceId`. */
export function decodeResourceId(segment: string): string {
  return segment.replace(
    /%u([0-9A-F]{4})|%([0-9A-F]{2})/g,
    (_match, wide: string | undefined, narrow: string | undefined) =>
      String.fromCharCode(parseInt(wide ?? narrow ?? '', 16)),
  );
}

/** Splits `a/b('x')/c` into segments, respecting quotes (an id in `('...')` may contain '/' or '?'); stops at a query. */
function splitSegments(path: string): string[] {
  const segments: string[] = [];
  let current = '';
  let inQuotes = false;
  for (let index = 0; index < path.length; index += 1) {
    const character = path.charAt(index);
    if (character === "'") {
      // '' inside a quoted id is an escaped quote (OData).
      if (inQuotes && path.charAt(index + 1) === "'") {
        current += "''";
        index += 1;
        continue;
      }
      inQuotes = !inQuotes;
    }
    if (character === '?' && !inQuotes) break;
    if (character === '/' && !inQuotes) {
      segments.push(current);
      current = '';
    } else {
      current += character;
    }
  }
  segments.push(current);
  return segments.filter((segment) => segment !== '');
}

/** Canonical resource path; see the module comment. Query strings are dropped. */
export function normalizeResourcePath(resource: string): string {
  const parts: string[] = [];
  for (const segment of splitSegments(resource)) {
    const call = /^([^('"]+)\((?:'((?:[^']|'')*)'|([^)']*))\)$/.exec(segment);
    const name = call?.[1];
    if (call !== null && name !== undefined && NAVIGATION_NAMES.has(name.toLowerCase())) {
      const [, , quoted, bare] = call;
      const id = quoted === undefined ? (bare ?? '') : quoted.replace(/''/g, "'");
      parts.push(name.toLowerCase());
      if (id !== '') parts.push(encodeResourceId(id));
    } else if (NAVIGATION_NAMES.has(segment.toLowerCase())) {
      parts.push(segment.toLowerCase());
    } else {
      // Anything else, `x('y')` after an id included, is one id: never split, so it cannot meet `x/y`.
      parts.push(encodeResourceId(segment));
    }
  }
  return parts.join('/');
}

/** Azure's limits on a blob name (Microsoft's "Naming and referencing containers, blobs, and metadata"). */
export const MAX_BLOB_NAME_CHARS = 1024;
export const MAX_BLOB_PATH_SEGMENTS = 254;
/** The folder of hashed names; '#' is escaped in every id, so no canonical path has a segment starting with it. */
export const HASHED_FOLDER = '#hashed';

/**
 * The sink blob of a resource: `{tenant id, lower-cased}/{canonical path}.json`, or, when that is longer than
 * Azure allows (1,024 characters, 254 path segments), `{tenant}/#hashed/{SHA-256 of the canonical path}.json`:
 * stable, and distinct from every unhashed name.
 */
export function sinkBlobName(tenantId: string, resourcePath: string): string {
  const tenant = encodeResourceId(tenantId.toLowerCase());
  const name = `${tenant}/${resourcePath}.json`;
  if (name.length <= MAX_BLOB_NAME_CHARS && name.split('/').length <= MAX_BLOB_PATH_SEGMENTS) return name;
  return `${tenant}/${HASHED_FOLDER}/${createHash('sha256').update(resourcePath, 'utf8').digest('hex')}.json`;
}
