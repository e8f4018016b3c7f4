/**
 * Graph resource paths as notifications carry them (`Users/{id}/Messages/{id}`,
 * `Users('{id}')/messages('{id}')`, `drives/{id}/root/`, docs/graph-protocol.md §3.4) turned into one canonical form:
 * segments split on '/', `name('id')` written as `name/id` when `name` is a navigation name, known navigation
 * names lower-cased, ids kept verbatim except for the characters `encodeResourceId` escapes, no leading or
 * trailing slash. Two notifications about one resource therefore map to one key (coalescing) and one sink
 * blob, whatever casing or key syntax Graph used; two different resources never share one (the mapping is
 * injective: a segment spelled like a navigation name is read as one, as Graph's own URL grammar does).
 *
 * Directory object ids are GUIDs, which Graph matches in any case: a GUID id of `users`, `groups` or `teams` is
 * lower-cased. Outlook may name a mailbox owner `{user-guid}@{tenant-guid}` (`Users/{user-guid}@{tenant-guid}/Messages/{id}`,
 * Microsoft's "Receive change notifications through webhooks" page): given the tenant the resource belongs to (the
 * notification's or the subscription's `tenantId`), that user segment is read as the user `{user-guid}` when the
 * suffix is that very tenant. With any other suffix it names a mailbox elsewhere and stays a distinct id, so it
 * never merges with a local user (docs/sink.md#canonical-keys).
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
    'onlineMeetings', 'transcripts', 'recordings', 'copilot', 'interactionHistory', 'interactions', 'security', 'alerts',
    'print', 'printers', 'jobs', 'taskDefinitions', 'schedule', 'shifts', 'openShiftChangeRequests',
    'swapShiftsChangeRequests', 'offerShiftRequests', 'timeOffRequests', 'solutions', 'approval', 'approvalItems',
    'appCatalogs', 'teamsApps', 'virtualEvents', 'webinars', 'townhalls', 'sessions', 'registrations',
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

/** Every character `UNSAFE_IN_ID` can match, surrogates paired or not: a cheap test that most ids fail. */
// eslint-disable-next-line no-control-regex -- as UNSAFE_IN_ID
const MAY_NEED_ESCAPE = /[%/\\?#\u0000-\u001f\u007f-\u009f\ufffe\uffff\ud800-\udfff]/;

/** An id as one path segment: verbatim except the characters above, percent-encoded. */
export function encodeResourceId(id: string): string {
  if (id === '.' || id === '..') return id.replace(/\./g, '%2E');
  return MAY_NEED_ESCAPE.test(id) ? id.replace(UNSAFE_IN_ID, escapeCharacter) : id;
}

/** The inverse of `encodeResourceId`. */
export function decodeResourceId(segment: string): string {
  return segment.replace(
    /%u([0-9A-F]{4})|%([0-9A-F]{2})/g,
    (_match, wide: string | undefined, narrow: string | undefined) =>
      String.fromCharCode(parseInt(wide ?? narrow ?? '', 16)),
  );
}

/** `%2E`, `%2F`, `%5C` and IIS's `%u002E` forms: the escapes a server may decode into a dot or a path separator. */
const DOT_OR_SEPARATOR_ESCAPE = /%(?:u00)?(2e|2f|5c)/gi;

/** A path segment as an HTTP server reads it once it has percent-decoded dots and separators (once, as servers do). */
function decodedOnce(segment: string): string {
  return segment.replace(DOT_OR_SEPARATOR_ESCAPE, (_escape, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** Whether a URL path segment resolves to `.` or `..` on the server, literally or percent-encoded. */
export function isDotSegment(segment: string): boolean {
  const decoded = decodedOnce(segment);
  return decoded === '.' || decoded === '..';
}

/**
 * Whether any id of a canonical resource path (`normalizeResourcePath`) is `.` or `..`, or holds `/` or `\`
 * (literally or once percent-decoded): such an id, sent to Graph in a URL, would name another resource than the
 * notification did (`users/{id}/messages/..` is the user), so ingest refuses the notification
 * (docs/security.md#checks-on-every-notification).
 */
export function hasUnsafeCanonicalId(canonicalPath: string): boolean {
  // A canonical path holds an id that is a dot segment or a separator only as a '%' escape (`encodeResourceId`).
  if (!canonicalPath.includes('%')) return false;
  return canonicalPath.split('/').some((segment) => {
    const id = decodeResourceId(segment);
    return isDotSegment(id) || /[/\\]/.test(decodedOnce(id));
  });
}

/** Splits `a/b('x')/c` into segments, respecting quotes (an id in `('...')` may contain '/' or '?'); stops at a query. */
function splitSegments(path: string): string[] {
  // Without quotes, a plain split says the same.
  if (!path.includes("'")) {
    const query = path.indexOf('?');
    return (query < 0 ? path : path.slice(0, query)).split('/').filter((segment) => segment !== '');
  }
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

/** Navigation names whose ids are directory object GUIDs, which Graph matches case-insensitively. */
const GUID_KEYED = new Set(['users', 'groups', 'teams']);
const GUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const GUID_ID = new RegExp(`^${GUID}$`, 'i');
const USER_AT_TENANT = new RegExp(`^(${GUID})@(${GUID})$`, 'i');

/** The canonical spelling of the id that follows the navigation name `nav`; see the module comment. */
export function canonicalId(nav: string | undefined, id: string, tenantId: string | undefined): string {
  if (nav === undefined || !GUID_KEYED.has(nav)) return id;
  if (GUID_ID.test(id)) return id.toLowerCase();
  const atTenant = nav === 'users' ? USER_AT_TENANT.exec(id) : null;
  if (atTenant === null) return id;
  const [, user = '', tenant = ''] = atTenant;
  // The suffix is this resource's own tenant: the user `{user-guid}`. Any other suffix is another mailbox.
  return tenant.toLowerCase() === tenantId?.toLowerCase() ? user.toLowerCase() : id.toLowerCase();
}

/**
 * Canonical resource path; see the module comment. Query strings are dropped. `tenantId` is the tenant the
 * resource belongs to (the notification's or the subscription's): pass it wherever a key is made, so that
 * `users/{user-guid}@{tenantId}/…` meets `users/{user-guid}/…`; without it that form stays a distinct id.
 */
/** `name('id')` or `name(id)`: a navigation name keyed by an id, OData's key syntax. */
const NAME_CALL = /^([^('"]+)\((?:'((?:[^']|'')*)'|([^)']*))\)$/;

export function normalizeResourcePath(resource: string, tenantId?: string): string {
  const parts: string[] = [];
  // The navigation name the next id belongs to, when the previous part was one.
  let nav: string | undefined;
  for (const segment of splitSegments(meetingByJoinWebUrl(resource))) {
    const call = segment.endsWith(')') ? NAME_CALL.exec(segment) : null;
    const name = call?.[1]?.toLowerCase();
    let id: string;
    if (call !== null && name !== undefined && NAVIGATION_NAMES.has(name)) {
      const [, , quoted, bare] = call;
      nav = name;
      parts.push(nav);
      id = quoted === undefined ? (bare ?? '') : quoted.replace(/''/g, "'");
      if (id === '') continue;
    } else {
      const lower = segment.toLowerCase();
      if (NAVIGATION_NAMES.has(lower)) {
        nav = lower;
        parts.push(nav);
        continue;
      }
      // Anything else, `x('y')` after an id included, is one id: never split, so it cannot meet `x/y`.
      id = segment;
    }
    // No closure for this step: the function runs for every notification item on the ingest path.
    parts.push(encodeResourceId(canonicalId(nav, id, tenantId)));
    nav = undefined;
  }
  return parts.join('/');
}

/**
 * One Teams meeting named by its join URL, as its call-event subscription (`communications/onlineMeetings/
 * ?$filter=JoinWebUrl eq '{url}'`), its notifications (`communications/onlineMeetings?$filter=joinWebUrl+eq+'{url}'`)
 * and the beta form (`communications/onlineMeetings(joinWebUrl='{url-encoded}')/meetingCallEvents`) write it
 * (Microsoft's "Get change notifications for Microsoft Teams meeting call updates"): rewritten as the key form
 * `communications/onlineMeetings('{url}')`, so the URL is the meeting's id and each meeting gets its own key
 * instead of losing the query. A URL-encoded URL (`https%3A%2F%2F…`) is decoded once, so both spellings meet.
 */
const MEETING_FILTER =
  /^\/*communications\/onlinemeetings\/?\?(?:\$|%24)filter=joinweburl(?:\s|\+|%20)+eq(?:\s|\+|%20)+'(.*)'$/i;
const MEETING_CALL_EVENTS = /^\/*communications\/onlinemeetings\(joinweburl='(.*)'\)\/meetingcallevents\/?$/i;
/** What both forms start with: most resources fail this at their first characters. */
const MEETING_PREFIX = /^\/*communications\/onlinemeetings/i;

function meetingByJoinWebUrl(resource: string): string {
  if (!MEETING_PREFIX.test(resource)) return resource;
  const literal = MEETING_FILTER.exec(resource)?.[1] ?? MEETING_CALL_EVENTS.exec(resource)?.[1];
  if (literal === undefined) return resource;
  // The OData literal doubles its quotes; the URL itself may be percent-encoded.
  let url = literal.replace(/''/g, "'");
  if (/^https?%3a/i.test(url)) {
    try {
      url = decodeURIComponent(url);
    } catch {
      // Left as written: a malformed escape is part of the id.
    }
  }
  return `communications/onlineMeetings('${url.replace(/'/g, "''")}')`;
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
