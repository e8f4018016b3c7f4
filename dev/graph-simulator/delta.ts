/**
 * Delta queries (docs/graph-protocol.md §6) over a tenant's change log: an initial round lists current state page by
 * page, later rounds list what changed since the deltaLink's position, collapsed to the latest state per
 * item, with `@removed` (directory, Outlook) or the `deleted` facet (OneDrive). Tokens are opaque to
 * clients, carry the original `$select`, and expire (7 days) or can be reset, which answers 410 Gone (an expired
 * directory token answers 400 `syncStateNotFound` by default, as Graph does).
 */
import type { TenantDirectory } from './directory.js';
import { GraphHttpError } from './graphError.js';
import type { ChangeEvent, JsonObject, StoredResource } from './model.js';

export interface DeltaScope {
  /** Change-log scope key (see `deltaScopeOf`). */
  key: string;
  /** Live items of the scope, for the initial round. */
  items(): StoredResource[];
  /** How a removed item is written; `at` is the instant it was removed. */
  removed(id: string, path: string, soft: boolean, before: JsonObject | undefined, at: Date): JsonObject;
  /** `$skiptoken`/`$deltatoken` (directory, Outlook) or `token` (OneDrive). */
  style: 'odata' | 'drive';
  /**
   * 410 error as Graph sends it per service: Outlook `SyncStateNotFound` with its generation text, OneDrive
   * `resyncRequired`, the directory `syncStateNotFound`.
   */
  goneKind: 'syncStateNotFound' | 'outlookSyncStateNotFound' | 'driveResync';
  /** Narrows the scope beyond its change-log key (calendarView: events starting inside the window). */
  matches?: (resource: StoredResource) => boolean;
  /** The most items Graph puts in one page of this delta, `$top` included (channel messages: 50). */
  maxPageSize?: number;
  /**
   * The change log this scope reads and the part of it that is its own, when one log serves many scopes (each user's
   * chat messages delta reads the log of every chat's messages, keeping the chats the user is in); else the log `key`.
   */
  log?: { key: string; covers: (change: ChangeEvent) => boolean };
}

interface DeltaToken {
  /** Tenant and scope the token belongs to. */
  t: string;
  s: string;
  /** `i` initial round page, `c` change round page, `d` deltaLink position. */
  m: 'i' | 'c' | 'd';
  /** Change-log position: deltaLink baseline (d), or change window end (i, c). */
  q: number;
  /** Change-window start for `c`. */
  f?: number;
  /** Offset within the page list. */
  o?: number;
  /** Virtual instant the round started (for expiry and reset). */
  at: number;
  /** The tenant's delta generation; a reset bumps it and invalidates every older token. */
  g: number;
  sel?: string[];
}

export function encodeDeltaToken(token: DeltaToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodeDeltaToken(raw: string): DeltaToken | undefined {
  try {
    const value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown;
    if (typeof value !== 'object' || value === null) return undefined;
    const token = value as Partial<DeltaToken>;
    if (
      typeof token.t !== 'string' ||
      typeof token.s !== 'string' ||
      typeof token.q !== 'number' ||
      typeof token.at !== 'number' ||
      typeof token.g !== 'number'
    )
      return undefined;
    if (token.m !== 'i' && token.m !== 'c' && token.m !== 'd') return undefined;
    return token as DeltaToken;
  } catch {
    return undefined;
  }
}

export interface DeltaRequest {
  directory: TenantDirectory;
  scope: DeltaScope;
  /** Absolute URL of the delta function without query, e.g. `http://127.0.0.1:4000/v1.0/users/delta`. */
  baseUrl: string;
  /** `$skiptoken`, `$deltatoken` or `token` value, if any. */
  token: string | undefined;
  select: string[] | undefined;
  pageSize: number;
  nowMs: number;
  tokenLifetimeMs: number;
  /** How an expired directory token is answered (`delta.expiredDirectoryToken`). */
  expiredDirectoryToken: 'badRequest' | 'gone';
  project(body: JsonObject, select: string[] | undefined): JsonObject;
}

export interface DeltaPage {
  value: JsonObject[];
  nextLink: string | undefined;
  deltaLink: string | undefined;
}

function link(request: DeltaRequest, token: DeltaToken, kind: 'next' | 'delta'): string {
  const encoded = encodeDeltaToken(token);
  // calendarView delta keeps its window in the URL (startDateTime, endDateTime).
  const separator = request.baseUrl.includes('?') ? '&' : '?';
  if (request.scope.style === 'drive') return `${request.baseUrl}${separator}token=${encoded}`;
  return `${request.baseUrl}${separator}${kind === 'next' ? '$skiptoken' : '$deltatoken'}=${encoded}`;
}

/** The URL a client restarts from after 410 Gone: the delta function with no token. */
export function restartUrl(request: Pick<DeltaRequest, 'baseUrl'>): string {
  return request.baseUrl;
}

export function runDelta(request: DeltaRequest): DeltaPage {
  const { directory, scope, nowMs } = request;
  if (request.token === 'latest') {
    // "Sync from now": an empty page and a deltaLink (docs/graph-protocol.md §6.1).
    return {
      value: [],
      nextLink: undefined,
      deltaLink: link(
        request,
        {
          t: directory.tenantId,
          s: scope.key,
          m: 'd',
          q: directory.lastSeq,
          at: nowMs,
          g: directory.deltaGeneration,
          ...(request.select === undefined ? {} : { sel: request.select }),
        },
        'delta',
      ),
    };
  }
  let token: DeltaToken;
  if (request.token === undefined || request.token === '') {
    token = {
      t: directory.tenantId,
      s: scope.key,
      m: 'i',
      q: directory.lastSeq,
      o: 0,
      at: nowMs,
      g: directory.deltaGeneration,
      ...(request.select === undefined ? {} : { sel: request.select }),
    };
  } else {
    const decoded = decodeDeltaToken(request.token);
    if (decoded === undefined || decoded.t !== directory.tenantId || decoded.s !== scope.key) {
      throw GraphHttpError.badRequest('The delta token is invalid or does not belong to this resource.', 'BadRequest');
    }
    const expired = nowMs - decoded.at > request.tokenLifetimeMs;
    if (expired && scope.goneKind === 'syncStateNotFound' && request.expiredDirectoryToken === 'badRequest')
      throw GraphHttpError.of('directoryDeltaTokenExpired');
    if (expired || decoded.g !== directory.deltaGeneration) {
      const headers = { location: restartUrl(request) };
      if (scope.goneKind === 'outlookSyncStateNotFound')
        throw GraphHttpError.outlookSyncStateNotFound(decoded.g, directory.deltaGeneration, headers);
      throw GraphHttpError.of(scope.goneKind, headers);
    }
    token = decoded;
  }
  const select = token.sel;
  let entries: JsonObject[];
  let windowEnd: number;
  if (token.m === 'i') {
    windowEnd = token.q;
    entries = scope.items().map((item) => request.project(item.body, select));
  } else {
    const from = token.m === 'd' ? token.q : (token.f ?? 0);
    windowEnd = token.m === 'd' ? directory.lastSeq : token.q;
    const latest = new Map<string, { path: string; before: JsonObject | undefined; at: Date }>();
    for (const change of directory.changesSince(scope.log?.key ?? scope.key, from)) {
      if (change.seq > windowEnd) break;
      if (scope.log !== undefined && !scope.log.covers(change)) continue;
      latest.delete(change.id);
      latest.set(change.id, { path: change.path, before: change.before, at: change.at });
    }
    entries = [];
    for (const [id, info] of latest) {
      const current = directory.getIncludingDeleted(info.path);
      const alive = current !== undefined && !current.softDeleted && deltaScopeMatches(scope, current);
      if (alive) entries.push(request.project(current.body, select));
      else entries.push(scope.removed(id, info.path, current?.softDeleted === true, info.before, info.at));
    }
    token = { ...token, m: 'c', f: from, q: windowEnd, o: token.m === 'd' ? 0 : (token.o ?? 0) };
  }
  const offset = token.o ?? 0;
  const page = entries.slice(offset, offset + request.pageSize);
  const nextOffset = offset + page.length;
  if (nextOffset < entries.length) {
    return { value: page, nextLink: link(request, { ...token, o: nextOffset }, 'next'), deltaLink: undefined };
  }
  // A finished round hands out a deltaLink whose lifetime starts now.
  const deltaToken: DeltaToken = {
    t: directory.tenantId,
    s: scope.key,
    m: 'd',
    q: windowEnd,
    at: nowMs,
    g: directory.deltaGeneration,
    ...(select === undefined ? {} : { sel: select }),
  };
  return { value: page, nextLink: undefined, deltaLink: link(request, deltaToken, 'delta') };
}

function deltaScopeMatches(scope: DeltaScope, resource: StoredResource): boolean {
  if (scope.matches !== undefined && !scope.matches(resource)) return false;
  if (scope.key.startsWith('messages:'))
    return `messages:${resource.owner.userId ?? ''}:${resource.owner.folderId ?? ''}` === scope.key;
  return true;
}
