/**
 * Graph resource paths as notifications carry them (`Users/{id}/Messages/{id}`,
 * `Users('{id}')/messages('{id}')`, `drives/{id}/root/`, docs/graph-protocol.md §3.4) turned into one canonical form:
 * segments split on '/', `name('id')` written as `name/id`, known navigation names lower-cased, ids kept
 * verbatim, no leading or trailing slash. Two notifications about one resource therefore map to one
 * key (coalescing) and one sink blob, whatever casing Graph used.
 */

/** Navigation segment names Graph uses in the resources this app supports; matched case-insensitively. */
const NAVIGATION_NAMES = new Set(
  [
    'users', 'groups', 'me', 'messages', 'mailFolders', 'childFolders', 'events', 'calendar', 'calendars', 'contacts',
    'contactFolders', 'drives', 'drive', 'root', 'items', 'children', 'sites', 'lists', 'chats', 'teams', 'channels',
    'replies', 'members', 'conversations', 'threads', 'posts', 'subscriptions', 'todo', 'tasks',
  ].map((name) => name.toLowerCase()),
);

/** Characters that would change a blob path's meaning, control characters included; percent-encoded in ids. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be matched here
const UNSAFE_IN_ID = /[%/\\?#\u0000-\u001f\u007f]/g;

/** An id as one path segment: verbatim except characters that would change the path's meaning. */
export function encodeResourceId(id: string): string {
  if (id === '.' || id === '..') return id.replace(/\./g, '%2E');
  return id.replace(UNSAFE_IN_ID, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** Splits `a/b('x')/c` into segments, respecting quotes (an id in `('...')` may contain '/'). */
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
  const withoutQuery = resource.split('?', 1)[0] ?? '';
  const parts: string[] = [];
  for (const segment of splitSegments(withoutQuery.trim())) {
    const call = /^([^('"]+)\((?:'((?:[^']|'')*)'|([^)]*))\)$/.exec(segment);
    if (call !== null) {
      const [, name = '', quoted, bare] = call;
      const id = quoted === undefined ? (bare ?? '') : quoted.replace(/''/g, "'");
      parts.push(NAVIGATION_NAMES.has(name.toLowerCase()) ? name.toLowerCase() : encodeResourceId(name));
      if (id !== '') parts.push(encodeResourceId(id));
    } else if (NAVIGATION_NAMES.has(segment.toLowerCase())) {
      parts.push(segment.toLowerCase());
    } else {
      parts.push(encodeResourceId(segment));
    }
  }
  return parts.join('/');
}
