/**
 * The Graph REST surface under `/v1.0` (and `/beta`): authentication, fault injection and Outlook's
 * per-mailbox concurrency limit in front of every request; then subscriptions (§1), resource GETs with
 * `$select`, lists with paging, delta queries (§6) and JSON batching (§7). Inner batch requests go
 * through the same pipeline, so they are authenticated, throttled and faulted one by one.
 */
import { CHAT_MESSAGES_LOG, deltaScopeOf, type CollectionItemKind, type TenantDirectory } from './directory.js';
import { isTeamsAppInstalled, SCHEDULE_COLLECTIONS } from './serviceResources.js';
import { runDelta, type DeltaScope } from './delta.js';
import type { FaultInjector } from './faults.js';
import {
  GraphHttpError,
  emptyResponse,
  graphError,
  jsonResponse,
  newRequestIds,
  type RequestIds,
  type SimResponse,
} from './graphError.js';
import { parseJsonBody, type SimRequest } from './http.js';
import type { Caller, IdentityPlatform } from './identity.js';
import {
  BATCH_MAX_REQUESTS,
  CHANNEL_MESSAGE_DELTA_MAX_PAGE_SIZE,
  CHANNEL_MESSAGE_DELTA_MONTHS,
  MAX_PAGE_SIZE,
  OUTLOOK_MAX_CONCURRENT_REQUESTS_PER_MAILBOX,
  SUBSCRIPTION_API_LIMITS,
} from './limits.js';
import type { JsonObject, StoredResource } from './model.js';
import type { ReadLimits, ResolvedOptions } from './options.js';
import { SlidingWindowLimiter } from './rateLimiter.js';
import { parseGraphPath } from './resources.js';
import type { SimClock } from './simClock.js';
import type { SubscriptionService } from './subscriptions.js';

export interface GraphApiDeps {
  clock: SimClock;
  options: ResolvedOptions;
  identity: IdentityPlatform;
  subscriptions: SubscriptionService;
  faults: FaultInjector;
  directory(tenantId: string): TenantDirectory | undefined;
}

/** Counters of what reached the Graph surface (docs/graph-protocol.md §7: Graph throttles the reads inside a `$batch`, one by one). */
export interface GraphTraffic {
  /** HTTP requests to `/v1.0` or `/beta`, a `$batch` counted once. */
  requests: number;
  /** `$batch` requests among them. */
  batches: number;
  /** Resource, list and delta GETs, each inner `$batch` GET counted on its own. */
  reads: number;
}

interface Route {
  caller: Caller;
  directory: TenantDirectory;
  request: SimRequest;
  segments: string[];
  names: string[];
  origin: string;
  version: string;
}

function pick(body: JsonObject, select: string[] | undefined): JsonObject {
  if (select === undefined) return body;
  const result: JsonObject = {};
  if (body['@odata.etag'] !== undefined) result['@odata.etag'] = body['@odata.etag'];
  result.id = body.id;
  for (const name of select) {
    const key = Object.keys(body).find((k) => k.toLowerCase() === name.toLowerCase());
    if (key !== undefined) result[key] = body[key];
  }
  return result;
}

/**
 * What every chatMessage delta shares (Microsoft's "chatMessage: delta"): `$skiptoken` then `$deltatoken`, at most 50
 * messages a page, and a deleted message listed as the chatMessage with its `deletedDateTime` set, not with `@removed`.
 */
const CHAT_MESSAGE_DELTA = {
  removed: (id, _path, _soft, before, at) => ({
    '@odata.type': '#microsoft.graph.chatMessage',
    ...before,
    id,
    lastModifiedDateTime: at.toISOString(),
    deletedDateTime: at.toISOString(),
  }),
  style: 'odata',
  goneKind: 'syncStateNotFound',
  maxPageSize: CHANNEL_MESSAGE_DELTA_MAX_PAGE_SIZE,
} as const satisfies Partial<DeltaScope>;

/** An OData property name: what `$select` may list. Annotations (`subject@odata.type`, `@odata.etag`) are not. */
const PROPERTY_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The `$select` list. Graph answers 400 for a name that is no property of the type; the simulator keeps no
 * schema, so it refuses what cannot be a property name at all (annotations, paths) and tolerates the rest.
 */
function selectOf(request: SimRequest): string[] | undefined {
  const raw = request.url.searchParams.get('$select');
  if (raw === null) return undefined;
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const unknown = names.find((name) => !PROPERTY_NAME.test(name));
  if (unknown !== undefined) throw GraphHttpError.unknownSelectProperty(unknown);
  return names;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Mailbox a request touches (Outlook's 4-concurrent-requests limit is per app and mailbox, docs/graph-protocol.md §8.2). */
function mailboxOf(names: string[], segments: string[]): string | undefined {
  if (names[0] !== 'users' || names.length < 3) return undefined;
  const area = names[2];
  return area === 'messages' ||
    area === 'mailfolders' ||
    area === 'events' ||
    area === 'calendar' ||
    area === 'calendarview' ||
    area === 'contacts'
    ? segments[1]
    : undefined;
}

export class GraphApi {
  readonly #deps: GraphApiDeps;
  readonly #mailboxInFlight = new Map<string, number>();
  readonly #subscriptionLimiter = new SlidingWindowLimiter(SUBSCRIPTION_API_LIMITS.windowMs);
  /** One limiter per read limit (each has its own window); see `#throttleReads`. */
  readonly #readLimiters = new Map<keyof ReadLimits, SlidingWindowLimiter>();
  readonly #traffic: GraphTraffic = { requests: 0, batches: 0, reads: 0 };

  constructor(deps: GraphApiDeps) {
    this.#deps = deps;
  }

  /** What the app asked of Graph so far: HTTP requests, `$batch` calls among them, and resource reads. */
  traffic(): GraphTraffic {
    return { ...this.#traffic };
  }

  /** Entry point for an HTTP request from outside (not an inner `$batch` request): counted as one request. */
  handleRequest(request: SimRequest, version: string, path: string): Promise<SimResponse> {
    this.#traffic.requests += 1;
    return this.handle(request, version, path);
  }

  async handle(request: SimRequest, version: string, path: string): Promise<SimResponse> {
    const ids = newRequestIds(request.headers['client-request-id']);
    const now = this.#deps.clock.now();
    try {
      const response = await this.#handle(request, version, path, ids);
      response.headers['request-id'] ??= ids.requestId;
      response.headers['client-request-id'] ??= ids.clientRequestId;
      return response;
    } catch (error) {
      if (error instanceof GraphHttpError)
        return graphError(error.status, error.code, error.message, { now, ids }, error.headers);
      if (error instanceof SyntaxError)
        return graphError(400, 'BadRequest', 'Unable to read JSON request payload.', { now, ids });
      throw error;
    }
  }

  async #handle(request: SimRequest, version: string, path: string, ids: RequestIds): Promise<SimResponse> {
    const caller = await this.#deps.identity.authenticate(request.headers.authorization);
    const segments = parseGraphPath(path);
    const names = segments.map((s) => s.toLowerCase());
    if (names[0] === '$batch') {
      if (request.method !== 'POST')
        throw new GraphHttpError(405, 'BadRequest', 'The $batch endpoint only accepts POST.');
      this.#traffic.batches += 1;
      return this.#batch(request, version, ids);
    }
    // Every GET of a resource, a list or a delta page is a read, whether alone or inside a $batch.
    if (request.method === 'GET' && names[0] !== 'subscriptions') this.#traffic.reads += 1;
    await this.#deps.faults.waitIfHeld(request.method, path);
    this.#scriptedOrRandomFault(request, path);
    const mailbox = mailboxOf(names, segments);
    if (request.method === 'GET' && names[0] !== 'subscriptions') this.#throttleReads(caller, names, segments, mailbox);
    const key = mailbox === undefined ? undefined : `${caller.appId}|${caller.tenantId}|${mailbox.toLowerCase()}`;
    if (key !== undefined) {
      const inFlight = (this.#mailboxInFlight.get(key) ?? 0) + 1;
      this.#mailboxInFlight.set(key, inFlight);
      if (
        this.#deps.faults.options.enforceMailboxConcurrency &&
        inFlight > OUTLOOK_MAX_CONCURRENT_REQUESTS_PER_MAILBOX
      ) {
        this.#release(key);
        throw GraphHttpError.of('mailboxConcurrency', {
          'retry-after': String(this.#deps.faults.options.retryAfterSeconds),
        });
      }
    }
    try {
      const faults = this.#deps.faults.options;
      if (faults.slowResponseMs > 0 && this.#deps.faults.random.chance(faults.slowResponseRatio))
        await sleep(faults.slowResponseMs);
      const directory = this.#deps.directory(caller.tenantId);
      if (directory === undefined) throw GraphHttpError.of('notFound');
      return await this.#route({ caller, directory, request, segments, names, origin: request.url.origin, version });
    } finally {
      if (key !== undefined) this.#release(key);
    }
  }

  /**
   * Graph's per-service read limits (`readLimits`), on the wall clock: a client waits out Retry-After in real
   * time, and a manual virtual clock would never let the window pass.
   */
  #throttleReads(caller: Caller, names: string[], segments: string[], mailbox: string | undefined): void {
    const limits = this.#deps.options.readLimits;
    if (limits === false) return;
    const app = `${caller.appId}|${caller.tenantId}`;
    const scopes: { name: keyof ReadLimits; key: string }[] = [];
    if (mailbox !== undefined) scopes.push({ name: 'outlookPerMailbox', key: `${app}|${mailbox.toLowerCase()}` });
    else if (names[0] === 'drives' || names[2] === 'drive') scopes.push({ name: 'drivePerAppAndTenant', key: app });
    else if (names[0] === 'chats' && names[2] === 'messages')
      scopes.push(
        { name: 'chatMessagesPerChat', key: `${app}|${(segments[1] ?? '').toLowerCase()}` },
        { name: 'chatMessagesPerAppAndTenant', key: app },
      );
    else if (names[0] === 'users' || names[0] === 'groups') scopes.push({ name: 'directoryPerAppAndTenant', key: app });
    let waitSeconds = 0;
    for (const scope of scopes) {
      const { limit, windowMs } = limits[scope.name];
      let limiter = this.#readLimiters.get(scope.name);
      if (limiter === undefined) {
        limiter = new SlidingWindowLimiter(windowMs);
        this.#readLimiters.set(scope.name, limiter);
      }
      waitSeconds = Math.max(waitSeconds, limiter.take(Date.now(), [{ key: scope.key, limit }]) ?? 0);
    }
    if (waitSeconds > 0) throw GraphHttpError.of('throttled', { 'retry-after': String(waitSeconds) });
  }

  #release(key: string): void {
    const remaining = (this.#mailboxInFlight.get(key) ?? 1) - 1;
    if (remaining <= 0) this.#mailboxInFlight.delete(key);
    else this.#mailboxInFlight.set(key, remaining);
  }

  #scriptedOrRandomFault(request: SimRequest, path: string): void {
    const faults = this.#deps.faults;
    const rule = faults.takeRule('graph', request.method, path);
    if (rule !== undefined) {
      const status = rule.status ?? 429;
      const retryAfter =
        rule.retryAfterSeconds ?? (status === 429 || status === 503 ? faults.options.retryAfterSeconds : undefined);
      const headers: Record<string, string> = retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) };
      const code =
        rule.code ??
        (status === 429
          ? 'TooManyRequests'
          : status === 503
            ? 'serviceNotAvailable'
            : status === 404
              ? 'ResourceNotFound'
              : 'generalException');
      throw new GraphHttpError(
        status,
        code,
        rule.message ?? (status === 429 ? 'Please retry again later.' : `Injected fault (${status}).`),
        headers,
      );
    }
    const options = faults.options;
    if (faults.random.chance(options.serviceUnavailableRatio)) {
      throw GraphHttpError.of('unavailable', { 'retry-after': String(options.retryAfterSeconds) });
    }
    if (request.method === 'GET' && faults.random.chance(options.readThrottleRatio)) {
      throw GraphHttpError.of('throttled', { 'retry-after': String(options.retryAfterSeconds) });
    }
  }

  // ---- routing -----------------------------------------------------------------------------------

  async #route(route: Route): Promise<SimResponse> {
    const { names, request } = route;
    const method = request.method;
    if (names[0] === 'me') throw GraphHttpError.of('meWithAppOnly');
    if (names[0] === 'subscriptions') return this.#subscriptions(route);
    if (method !== 'GET')
      throw new GraphHttpError(
        405,
        'Request_BadRequest',
        `The simulator does not support ${method} on this resource; mutate data through /_sim.`,
      );
    switch (names[0]) {
      case 'users':
        return this.#users(route);
      case 'groups':
        return this.#groups(route);
      case 'drives':
        return this.#drive(route, route.segments[1] ?? '', 2);
      case 'chats':
        return this.#chats(route);
      case 'teams':
        // teams/{id}/schedule/… are Shifts' collections; everything else under teams is the team's structure.
        return route.names[2] === 'schedule' ? this.#serviceItems(route) : this.#teams(route);
      case 'communications':
        return this.#presences(route);
      case 'sites':
        // sites/{id}/lists/{id}/items[/{id} | /delta]
        if (route.names[2] === 'lists' && route.names[4] === 'items') {
          this.#need(route, 'Sites.Read.All', 'other');
          return this.#collectionItems(route, 'listItem', 5);
        }
        throw new GraphHttpError(400, 'BadRequest', `Resource not found for the segment '${route.segments[2] ?? ''}'.`);
      case 'security':
      case 'print':
        return this.#serviceItems(route);
      case 'solutions':
        return route.names[1] === 'virtualevents' ? this.#virtualEvents(route) : this.#approvals(route);
      default:
        throw new GraphHttpError(400, 'BadRequest', `Resource not found for the segment '${route.segments[0] ?? ''}'.`);
    }
  }

  /**
   * `users/{organiser}/onlineMeetings/{meeting}/transcripts[/{id}]` (and `recordings`), the app-only read of a
   * meeting's transcripts and recordings (OnlineMeetingTranscript.Read.All, OnlineMeetingRecording.Read.All): only
   * those of a meeting the user organised; another user's path answers 404.
   */
  #meetingArtefacts(route: Route, userId: string): SimResponse {
    const { names, segments, directory } = route;
    const transcripts = names[4] === 'transcripts';
    this.#need(route, transcripts ? 'OnlineMeetingTranscript.Read.All' : 'OnlineMeetingRecording.Read.All', 'other');
    const collection = `communications/onlineMeetings/${segments[3] ?? ''}/${transcripts ? 'transcripts' : 'recordings'}`;
    const items = directory.list(collection).filter((item) => item.owner.userId === userId);
    if (names.length === 5) return this.#list(route, items, route.segments.slice(0, 5).join('/'));
    const item = names.length === 6 ? items.find((candidate) => candidate.id === segments[5]) : undefined;
    return this.#entity(route, item, route.segments.slice(0, 5).join('/'));
  }

  /**
   * `security/alerts[/{id}]` (SecurityEvents.Read.All), `print/printers/{id}/jobs[/{id}]` (PrintJob.Read.All) and
   * `print/taskDefinitions/{id}/tasks[/{id}]` (PrintTaskDefinition.ReadWrite.All): lists and reads by id.
   */
  #serviceItems(route: Route): SimResponse {
    const { names, segments } = route;
    if (names[0] === 'security' && names[1] === 'alerts') {
      if (!route.caller.roles.includes('SecurityEvents.ReadWrite.All'))
        this.#need(route, 'SecurityEvents.Read.All', 'other');
      return this.#collectionItems(route, 'securityAlert', 2, 'security/alerts');
    }
    if (names[0] === 'print' && names[1] === 'printers' && names[3] === 'jobs') {
      this.#need(route, 'PrintJob.Read.All', 'other');
      return this.#collectionItems(route, 'printJob', 4, `print/printers/${segments[2] ?? ''}/jobs`);
    }
    if (names[0] === 'print' && names[1] === 'taskdefinitions' && names[3] === 'tasks') {
      this.#need(route, 'PrintTaskDefinition.ReadWrite.All', 'other');
      return this.#collectionItems(route, 'printTask', 4, `print/taskDefinitions/${segments[2] ?? ''}/tasks`);
    }
    const schedule = names[0] === 'teams' && names[2] === 'schedule' ? SCHEDULE_COLLECTIONS[names[3] ?? ''] : undefined;
    if (schedule !== undefined) {
      this.#need(route, 'Schedule.Read.All', 'other');
      return this.#collectionItems(route, 'scheduleItem', 4, `teams/${segments[1] ?? ''}/schedule/${schedule}`);
    }
    throw new GraphHttpError(400, 'BadRequest', `Resource not found for the segment '${segments[1] ?? ''}'.`);
  }

  /**
   * A read inside one chat: the tenant-wide permission, or its `…WhereInstalled` form when a Teams app is installed
   * in that chat (the simulator takes an installed app as the caller's).
   */
  #needInChat(route: Route, role: string, whereInstalled: string, chatId: string): void {
    if (route.caller.roles.includes(whereInstalled) && isTeamsAppInstalled(route.directory, chatId)) return;
    this.#need(route, role, 'other');
  }

  /** Teams approvals have no app-only read ("Get approvalItem": application permissions not supported). */
  #approvals(route: Route): SimResponse {
    if (route.names[1] === 'approval' && route.names[2] === 'approvalitems')
      throw GraphHttpError.of('appOnlyNotSupported');
    throw new GraphHttpError(400, 'BadRequest', `Resource not found for the segment '${route.segments[1] ?? ''}'.`);
  }

  /**
   * `solutions/virtualEvents/{webinars | townhalls}/{id}[/sessions[/{id}]]` and `…/webinars/{id}/registrations[/{id}]`
   * (VirtualEvent.Read.All: "Get virtualEventWebinar", "Get virtualEventSession", "Get virtualEventRegistration").
   */
  #virtualEvents(route: Route): SimResponse {
    const { names, segments } = route;
    const type = names[2] === 'townhalls' ? 'townhalls' : 'webinars';
    const events = `solutions/virtualEvents/${type}`;
    if (names[2] !== type || names.length < 4)
      throw new GraphHttpError(400, 'BadRequest', `Resource not found for the segment '${segments[2] ?? ''}'.`);
    this.#need(route, 'VirtualEvent.Read.All', 'other');
    if (names.length === 4) return this.#collectionItems(route, 'virtualEvent', 3, events);
    const collection = `${events}/${segments[3] ?? ''}/${names[4] ?? ''}`;
    if (names[4] === 'sessions') return this.#collectionItems(route, 'virtualEventSession', 5, collection);
    if (names[4] === 'registrations' && type === 'webinars')
      return this.#collectionItems(
        route,
        'virtualEventRegistration',
        5,
        `${events}/${segments[3] ?? ''}/registrations`,
      );
    throw new GraphHttpError(400, 'BadRequest', `Resource not found for the segment '${segments[4] ?? ''}'.`);
  }

  #need(route: Route, role: string, family: 'directory' | 'outlook' | 'other'): void {
    if (route.caller.roles.includes(role)) return;
    if (family === 'directory') throw GraphHttpError.of('directoryDenied');
    if (family === 'outlook') throw GraphHttpError.of('outlookDenied');
    throw new GraphHttpError(403, 'accessDenied', 'Either scp or roles claim need to be present in the token.');
  }

  #entity(route: Route, resource: StoredResource | undefined, context: string): SimResponse {
    if (resource === undefined) throw GraphHttpError.of('notFound');
    return jsonResponse(200, {
      '@odata.context': `${route.origin}/${route.version}/$metadata#${context}/$entity`,
      ...pick(resource.body, selectOf(route.request)),
    });
  }

  #list(route: Route, items: StoredResource[], context: string, defaultPageSize = 100): SimResponse {
    const params = route.request.url.searchParams;
    const top = Number(params.get('$top') ?? defaultPageSize);
    const pageSize = Number.isInteger(top) && top > 0 ? Math.min(top, MAX_PAGE_SIZE) : defaultPageSize;
    const offset = Number(Buffer.from(params.get('$skiptoken') ?? '', 'base64url').toString() || '0');
    const page = items.slice(offset, offset + pageSize);
    const select = selectOf(route.request);
    const body: JsonObject = {
      '@odata.context': `${route.origin}/${route.version}/$metadata#${context}`,
      value: page.map((item) => pick(item.body, select)),
    };
    if (offset + pageSize < items.length) {
      const next = new URL(route.request.url);
      next.searchParams.set('$skiptoken', Buffer.from(String(offset + pageSize)).toString('base64url'));
      body['@odata.nextLink'] = next.toString();
    }
    return jsonResponse(200, body);
  }

  #pageSize(route: Route, max = MAX_PAGE_SIZE): { size: number; applied: string | undefined } {
    const prefer = route.request.headers.prefer ?? '';
    const match = /odata\.maxpagesize=(\d+)/i.exec(prefer);
    const top = Number(route.request.url.searchParams.get('$top') ?? 'NaN');
    if (match?.[1] !== undefined)
      return { size: Math.min(Math.max(Number(match[1]), 1), max), applied: `odata.maxpagesize=${match[1]}` };
    if (Number.isInteger(top) && top > 0) return { size: Math.min(top, max), applied: undefined };
    return { size: Math.min(this.#deps.options.delta.pageSize, max), applied: undefined };
  }

  #delta(route: Route, scope: DeltaScope, baseUrl: string, context: string): SimResponse {
    const params = route.request.url.searchParams;
    const pathToken = route.segments.find((s) => s.startsWith('token='))?.slice('token='.length);
    const token =
      scope.style === 'drive'
        ? (params.get('token') ?? pathToken ?? undefined)
        : (params.get('$skiptoken') ?? params.get('$deltatoken') ?? undefined);
    const { size, applied } = this.#pageSize(route, scope.maxPageSize);
    const page = runDelta({
      directory: route.directory,
      scope,
      baseUrl,
      token,
      select: selectOf(route.request),
      pageSize: size,
      nowMs: this.#deps.clock.nowMs(),
      tokenLifetimeMs: this.#deps.options.delta.tokenLifetimeMs,
      expiredDirectoryToken: this.#deps.options.delta.expiredDirectoryToken,
      project: pick,
    });
    const body: JsonObject = {
      '@odata.context': `${route.origin}/${route.version}/$metadata#${context}`,
      value: page.value,
    };
    if (page.nextLink !== undefined) body['@odata.nextLink'] = page.nextLink;
    if (page.deltaLink !== undefined) body['@odata.deltaLink'] = page.deltaLink;
    return jsonResponse(200, body, applied === undefined ? {} : { 'preference-applied': applied });
  }

  // ---- subscriptions -----------------------------------------------------------------------------

  /** §1.7: the subscription API answers 429 once a per-app or per-app-and-tenant window is full. */
  #throttleSubscriptionApi(route: Route): void {
    if (!this.#deps.options.subscriptions.enforceApiLimits) return;
    const { caller, request, names } = route;
    const category =
      names[2] === 'reauthorize'
        ? 'reauthorize'
        : request.method !== 'GET'
          ? 'write'
          : names.length === 1
            ? 'list'
            : 'get';
    const wait = this.#subscriptionLimiter.take(this.#deps.clock.nowMs(), [
      {
        key: `${caller.appId}|${caller.tenantId}|${category}`,
        limit: SUBSCRIPTION_API_LIMITS.perAppAndTenant[category],
      },
      { key: `${caller.appId}|${category}`, limit: SUBSCRIPTION_API_LIMITS.perApp[category] },
    ]);
    if (wait !== undefined) throw GraphHttpError.of('throttled', { 'retry-after': String(wait) });
  }

  async #subscriptions(route: Route): Promise<SimResponse> {
    const { caller, request, segments, names, origin } = route;
    const service = this.#deps.subscriptions;
    this.#throttleSubscriptionApi(route);
    if (names.length === 1) {
      if (request.method === 'POST') {
        let body: unknown;
        try {
          body = parseJsonBody(request);
        } catch {
          throw GraphHttpError.of('malformedPayload');
        }
        const created = await service.create(caller, body);
        return jsonResponse(201, service.toJson(created, origin));
      }
      if (request.method === 'GET') {
        const all = service.list(caller);
        const offset = Number(
          Buffer.from(request.url.searchParams.get('$skiptoken') ?? '', 'base64url').toString() || '0',
        );
        const page = all.slice(offset, offset + 100);
        const body: JsonObject = {
          '@odata.context': `${origin}/${route.version}/$metadata#subscriptions`,
          value: page.map((s) => service.toJson(s, origin, true)),
        };
        if (offset + 100 < all.length)
          body['@odata.nextLink'] =
            `${origin}/${route.version}/subscriptions?$skiptoken=${Buffer.from(String(offset + 100)).toString('base64url')}`;
        return jsonResponse(200, body);
      }
      throw new GraphHttpError(405, 'BadRequest', `${request.method} is not supported on subscriptions.`);
    }
    const id = segments[1] ?? '';
    if (names.length === 3 && names[2] === 'reauthorize' && request.method === 'POST') {
      await service.reauthorize(caller, id);
      return emptyResponse(204);
    }
    if (names.length !== 2) throw GraphHttpError.of('notFound');
    switch (request.method) {
      case 'GET':
        return jsonResponse(200, service.toJson(service.get(caller, id), origin));
      case 'PATCH': {
        let body: unknown;
        try {
          body = parseJsonBody(request);
        } catch {
          throw GraphHttpError.of('malformedPayload');
        }
        return jsonResponse(200, service.toJson(await service.update(caller, id, body), origin));
      }
      case 'DELETE':
        service.delete(caller, id);
        return emptyResponse(204);
      default:
        throw new GraphHttpError(405, 'BadRequest', `${request.method} is not supported on a subscription.`);
    }
  }

  // ---- directory ---------------------------------------------------------------------------------

  #users(route: Route): SimResponse {
    const { names, segments, directory } = route;
    if (names.length === 1) {
      this.#need(route, 'User.Read.All', 'directory');
      return this.#list(route, directory.list('users'), 'users');
    }
    if (names.length === 2 && names[1] === 'delta') {
      this.#need(route, 'User.Read.All', 'directory');
      return this.#delta(
        route,
        this.#directoryScope(directory, 'users'),
        `${route.origin}/${route.version}/users/delta`,
        'users',
      );
    }
    const user = directory.findUser(segments[1] ?? '');
    if (names.length === 2) {
      this.#need(route, 'User.Read.All', 'directory');
      return this.#entity(route, user, 'users');
    }
    if (user === undefined) throw GraphHttpError.of('notFound');
    const rest = names.slice(2);
    const userId = user.id;
    if (rest[0] === 'todo' && rest[1] === 'lists' && rest[3] === 'tasks') {
      this.#need(route, 'Tasks.Read.All', 'other');
      return this.#collectionItems(route, 'todoTask', 6, `users/${userId}/todo/lists/${segments[4] ?? ''}/tasks`);
    }
    if (rest[0] === 'onlinemeetings' && (rest[2] === 'transcripts' || rest[2] === 'recordings'))
      return this.#meetingArtefacts(route, userId);
    switch (rest[0]) {
      case 'messages':
        this.#need(route, 'Mail.Read', 'outlook');
        if (rest.length === 1)
          return this.#list(route, directory.list(`users/${userId}/messages`), `users('${userId}')/messages`, 10);
        if (rest.length === 2)
          return this.#entity(
            route,
            directory.get(`users/${userId}/messages/${segments[3] ?? ''}`),
            `users('${userId}')/messages`,
          );
        break;
      case 'mailfolders': {
        this.#need(route, 'Mail.Read', 'outlook');
        if (rest.length === 1)
          return this.#list(route, directory.list(`users/${userId}/mailFolders`), `users('${userId}')/mailFolders`, 10);
        const folder = directory.findFolder(userId, segments[3] ?? '');
        if (folder === undefined) throw GraphHttpError.of('notFound');
        if (rest.length === 2) return this.#entity(route, folder, `users('${userId}')/mailFolders`);
        if (rest[2] !== 'messages') break;
        const inFolder = (): StoredResource[] =>
          directory.list(`users/${userId}/messages`).filter((m) => m.owner.folderId === folder.id);
        if (rest.length === 3)
          return this.#list(route, inFolder(), `users('${userId}')/mailFolders('${folder.id}')/messages`, 10);
        if (rest.length === 4 && rest[3] === 'delta') {
          const scope: DeltaScope = {
            key: deltaScopeOf('message', { userId, folderId: folder.id }) ?? '',
            items: inFolder,
            removed: (id) => ({ '@odata.type': '#microsoft.graph.message', id, '@removed': { reason: 'deleted' } }),
            style: 'odata',
            goneKind: 'outlookSyncStateNotFound',
          };
          return this.#delta(
            route,
            scope,
            `${route.origin}/${route.version}/users/${userId}/mailFolders/${folder.id}/messages/delta`,
            `Collection(message)`,
          );
        }
        if (rest.length === 4) {
          const message = directory.get(`users/${userId}/messages/${segments[5] ?? ''}`);
          return this.#entity(
            route,
            message?.owner.folderId === folder.id ? message : undefined,
            `users('${userId}')/messages`,
          );
        }
        break;
      }
      case 'calendarview':
        this.#need(route, 'Calendars.Read', 'outlook');
        if (rest.length === 2 && rest[1] === 'delta') return this.#calendarViewDelta(route, userId);
        break;
      case 'events':
      case 'calendar': {
        this.#need(route, 'Calendars.Read', 'outlook');
        if (rest[0] === 'calendar' && rest[1] === 'calendarview' && rest[2] === 'delta' && rest.length === 3)
          return this.#calendarViewDelta(route, userId);
        const offset = rest[0] === 'calendar' ? 1 : 0;
        if (rest[0] === 'calendar' && rest[1] !== 'events') break;
        if (rest.length === 1 + offset)
          return this.#list(route, directory.list(`users/${userId}/events`), `users('${userId}')/events`, 10);
        if (rest.length === 2 + offset)
          return this.#entity(
            route,
            directory.get(`users/${userId}/events/${segments[3 + offset] ?? ''}`),
            `users('${userId}')/events`,
          );
        break;
      }
      case 'contacts':
        this.#need(route, 'Contacts.Read', 'outlook');
        if (rest.length === 2 && rest[1] === 'delta') {
          const scope = this.#mailboxScope('contact', userId, () => directory.list(`users/${userId}/contacts`));
          return this.#delta(
            route,
            scope,
            `${route.origin}/${route.version}/users/${userId}/contacts/delta`,
            'Collection(contact)',
          );
        }
        if (rest.length === 1)
          return this.#list(route, directory.list(`users/${userId}/contacts`), `users('${userId}')/contacts`, 10);
        if (rest.length === 2)
          return this.#entity(
            route,
            directory.get(`users/${userId}/contacts/${segments[3] ?? ''}`),
            `users('${userId}')/contacts`,
          );
        break;
      case 'drive': {
        const drive = directory.driveOfUser(userId);
        if (drive === undefined) throw GraphHttpError.of('notFound');
        return this.#drive(route, drive.id, 3);
      }
      case 'chats':
        this.#need(route, 'Chat.Read.All', 'other');
        if (rest.length === 1) return this.#list(route, directory.list('chats'), `users('${userId}')/chats`, 50);
        if (rest.length === 3 && rest[1] === 'getallmessages' && rest[2] === 'delta')
          return this.#userChatMessagesDelta(route, userId);
        break;
      default:
        break;
    }
    throw new GraphHttpError(400, 'BadRequest', `Resource not found for the segment '${segments[2] ?? ''}'.`);
  }

  /** Outlook contacts and events: `@removed` with reason `deleted` (docs/graph-protocol.md §6.2). */
  #mailboxScope(kind: 'event' | 'contact', userId: string, items: () => StoredResource[]): DeltaScope {
    return {
      key: deltaScopeOf(kind, { userId }) ?? '',
      items,
      removed: (id) => ({ '@odata.type': `#microsoft.graph.${kind}`, id, '@removed': { reason: 'deleted' } }),
      style: 'odata',
      goneKind: 'outlookSyncStateNotFound',
    };
  }

  /** calendarView delta: the events that overlap [startDateTime, endDateTime), both required; the window stays in the links. */
  #calendarViewDelta(route: Route, userId: string): SimResponse {
    const params = route.request.url.searchParams;
    const start = Date.parse(params.get('startDateTime') ?? '');
    const end = Date.parse(params.get('endDateTime') ?? '');
    if (Number.isNaN(start) || Number.isNaN(end)) {
      throw GraphHttpError.badRequest(
        'This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.',
        'ErrorInvalidParameter',
      );
    }
    const at = (value: unknown): number => {
      const dateTime = (value as { dateTime?: unknown } | undefined)?.dateTime;
      return typeof dateTime === 'string' ? Date.parse(`${dateTime}Z`) : Number.NaN;
    };
    const inWindow = (event: StoredResource): boolean => at(event.body.start) < end && at(event.body.end) > start;
    const scope: DeltaScope = {
      ...this.#mailboxScope('event', userId, () => route.directory.list(`users/${userId}/events`).filter(inWindow)),
      matches: inWindow,
    };
    const window = `startDateTime=${encodeURIComponent(params.get('startDateTime') ?? '')}&endDateTime=${encodeURIComponent(params.get('endDateTime') ?? '')}`;
    return this.#delta(
      route,
      scope,
      `${route.origin}/${route.version}/users/${userId}/calendarView/delta?${window}`,
      'Collection(event)',
    );
  }

  #directoryScope(directory: TenantDirectory, collection: 'users' | 'groups'): DeltaScope {
    return {
      key: collection,
      items: () => directory.list(collection),
      // `changed` = soft-deleted (restorable), `deleted` = permanent (docs/graph-protocol.md §6.1).
      removed: (id, _path, soft) => ({ id, '@removed': { reason: soft ? 'changed' : 'deleted' } }),
      style: 'odata',
      goneKind: 'syncStateNotFound',
    };
  }

  #groups(route: Route): SimResponse {
    const { names, segments, directory } = route;
    this.#need(route, 'Group.Read.All', 'directory');
    if (names.length === 1) return this.#list(route, directory.list('groups'), 'groups');
    if (names.length === 2 && names[1] === 'delta') {
      return this.#delta(
        route,
        this.#directoryScope(directory, 'groups'),
        `${route.origin}/${route.version}/groups/delta`,
        'groups',
      );
    }
    if (names.length === 2) return this.#entity(route, directory.get(`groups/${segments[1] ?? ''}`), 'groups');
    const group = directory.get(`groups/${segments[1] ?? ''}`);
    if (group === undefined) throw GraphHttpError.of('notFound');
    if (names[2] === 'conversations')
      return this.#collectionItems(route, 'conversation', 3, `groups/${group.id}/conversations`);
    if (names[2] === 'events') return this.#collectionItems(route, 'groupEvent', 3, `groups/${group.id}/events`);
    throw new GraphHttpError(400, 'BadRequest', `Resource not found for the segment '${segments[2] ?? ''}'.`);
  }

  // ---- OneDrive ----------------------------------------------------------------------------------

  /** `rest` starts at `index` in the path: `drives/{id}/...` (2) or `users/{id}/drive/...` (3). */
  #drive(route: Route, driveId: string, index: number): SimResponse {
    const { names, segments, directory } = route;
    this.#need(route, 'Files.Read.All', 'other');
    const drive = directory.get(`drives/${driveId}`);
    if (drive === undefined) throw GraphHttpError.of('notFound');
    const rest = names.slice(index);
    const collection = `drives/${drive.id}/items`;
    const children = (parentId: string): StoredResource[] =>
      directory
        .list(collection)
        .filter((i) => (i.body.parentReference as { id?: string } | undefined)?.id === parentId);
    const root = directory.rootOfDrive(drive.id);
    if (rest.length === 0) return this.#entity(route, drive, 'drives');
    if (rest[0] === 'root') {
      if (root === undefined) throw GraphHttpError.of('notFound');
      if (rest.length === 1) return this.#entity(route, root, `drives('${drive.id}')/root`);
      if (rest[1] === 'children' && rest.length === 2)
        return this.#list(route, children(root.id), `drives('${drive.id}')/items`, 200);
      if (rest[1] === 'delta') {
        const scope: DeltaScope = {
          key: deltaScopeOf('driveItem', { driveId: drive.id }) ?? '',
          items: () => directory.list(collection),
          // OneDrive marks deletions with a `deleted` facet, not `@removed` (docs/graph-protocol.md §6.2).
          removed: (id, _path, _soft, before) => ({
            id,
            ...(before?.name === undefined ? {} : { name: before.name }),
            ...(before?.parentReference === undefined ? {} : { parentReference: before.parentReference }),
            deleted: { state: 'deleted' },
          }),
          style: 'drive',
          goneKind: 'driveResync',
        };
        return this.#delta(
          route,
          scope,
          `${route.origin}/${route.version}/drives/${drive.id}/root/delta`,
          'Collection(driveItem)',
        );
      }
    }
    if (rest[0] === 'items' && rest.length >= 2) {
      const item = directory.get(`${collection}/${segments[index + 1] ?? ''}`);
      if (rest.length === 2) return this.#entity(route, item, `drives('${drive.id}')/items`);
      if (rest.length === 3 && rest[2] === 'children') {
        if (item === undefined) throw GraphHttpError.of('notFound');
        return this.#list(route, children(item.id), `drives('${drive.id}')/items`, 200);
      }
    }
    throw new GraphHttpError(400, 'BadRequest', `Resource not found for the segment '${segments[index] ?? ''}'.`);
  }

  // ---- Teams -------------------------------------------------------------------------------------

  #chats(route: Route): SimResponse {
    const { names, segments, directory } = route;
    const chatId = segments[1] ?? '';
    if (names[2] === 'members') {
      this.#needInChat(route, 'ChatMember.Read.All', 'ChatMember.Read.WhereInstalled', chatId);
      if (directory.get(`chats/${chatId}`) === undefined) throw GraphHttpError.of('notFound');
      return this.#members(route, `chats/${chatId}/members`);
    }
    if (names[2] === 'messages') this.#needInChat(route, 'Chat.Read.All', 'Chat.Read.WhereInstalled', chatId);
    else if (names.length === 2) this.#needInChat(route, 'Chat.Read.All', 'Chat.ReadBasic.WhereInstalled', chatId);
    else this.#need(route, 'Chat.Read.All', 'other');
    if (names.length === 1) return this.#list(route, directory.list('chats'), 'chats', 50);
    if (names.length === 2) return this.#entity(route, directory.get(`chats/${chatId}`), 'chats');
    if (names[2] === 'messages') {
      if (directory.get(`chats/${chatId}`) === undefined) throw GraphHttpError.of('notFound');
      if (names.length === 3)
        return this.#list(route, directory.list(`chats/${chatId}/messages`), `chats('${chatId}')/messages`, 50);
      if (names.length === 4)
        return this.#entity(
          route,
          directory.getIncludingDeleted(`chats/${chatId}/messages/${segments[3] ?? ''}`),
          `chats('${chatId}')/messages`,
        );
    }
    throw new GraphHttpError(400, 'BadRequest', `Resource not found for the segment '${segments[2] ?? ''}'.`);
  }

  /**
   * Teams, their channels, channel messages and members: `teams[/{id}]`, `teams/{id}/channels[/{id}]`,
   * `teams/{id}/channels/{id}/messages[/{id}]`, `teams/{id}/members[/{id}]`, each with the permission its
   * "Get" page names.
   */
  #teams(route: Route): SimResponse {
    const { names, segments, directory } = route;
    const teamId = segments[1] ?? '';
    const team = `teams/${teamId}`;
    if (names.length <= 2) {
      this.#need(route, 'Team.ReadBasic.All', 'other');
      if (names.length === 1) return this.#list(route, directory.list('teams'), 'teams', 50);
      return this.#entity(route, directory.get(team), 'teams');
    }
    if (directory.get(team) === undefined) throw GraphHttpError.of('notFound');
    if (names[2] === 'members') {
      this.#need(route, 'TeamMember.Read.All', 'other');
      return this.#members(route, `${team}/members`);
    }
    if (names[2] === 'channels' && names.length <= 4) {
      this.#need(route, 'Channel.ReadBasic.All', 'other');
      const channels = `${team}/channels`;
      if (names.length === 3) return this.#list(route, directory.list(channels), `teams('${teamId}')/channels`, 50);
      return this.#entity(route, directory.get(`${channels}/${segments[3] ?? ''}`), `teams('${teamId}')/channels`);
    }
    if (names[2] === 'channels' && names[4] === 'messages' && names.length <= 6) {
      this.#need(route, 'ChannelMessage.Read.All', 'other');
      const channel = `${team}/channels/${segments[3] ?? ''}`;
      if (directory.get(channel) === undefined) throw GraphHttpError.of('notFound');
      const context = `teams('${teamId}')/channels('${segments[3] ?? ''}')/messages`;
      if (names.length === 5) return this.#list(route, directory.list(`${channel}/messages`), context, 50);
      if (names[5] === 'delta') return this.#channelMessagesDelta(route, `${channel}/messages`);
      // A deleted message stays readable, its deletedDateTime set (directory.ts, #softDeleteMessage).
      return this.#entity(route, directory.getIncludingDeleted(`${channel}/messages/${segments[5] ?? ''}`), context);
    }
    throw new GraphHttpError(400, 'BadRequest', `Resource not found for the segment '${segments[2] ?? ''}'.`);
  }

  /**
   * `teams/{id}/channels/{id}/messages/delta` (Microsoft's "chatMessage: delta"): the channel's root messages
   * changed in the last eight months, at most 50 a page, `$skiptoken` then `$deltatoken`. A deleted message is
   * listed as the chatMessage with its `deletedDateTime` set, not with `@removed`.
   */
  #channelMessagesDelta(route: Route, collection: string): SimResponse {
    const { directory } = route;
    const recent = this.#changedInDeltaMonths();
    const scope: DeltaScope = {
      ...CHAT_MESSAGE_DELTA,
      key: deltaScopeOf('chatMessage', { collectionPath: collection }) ?? '',
      items: () => directory.list(collection).filter(recent),
    };
    return this.#delta(route, scope, `${route.origin}/${route.version}/${collection}/delta`, 'Collection(chatMessage)');
  }

  /**
   * `users/{id}/chats/getAllMessages/delta` (Microsoft's "chatMessage: delta", Chat.Read.All): the messages of every
   * chat the user is a member of (one-on-one, group and meeting chats), changed in the last eight months, as the
   * channel's delta pages them. Membership is read when the page is made.
   */
  #userChatMessagesDelta(route: Route, userId: string): SimResponse {
    const { directory } = route;
    const recent = this.#changedInDeltaMonths();
    const scope: DeltaScope = {
      ...CHAT_MESSAGE_DELTA,
      // One token scope per user, all reading the log of every chat's messages.
      key: `userChatMessages:${userId}`,
      items: () =>
        directory
          .list('chats')
          .filter((chat) => directory.isChatMember(chat.id, userId))
          .flatMap((chat) => directory.list(`chats/${chat.id}/messages`))
          .filter(recent),
      log: {
        key: CHAT_MESSAGES_LOG,
        covers: (change) => directory.isChatMember(change.owner.chatId ?? '', userId),
      },
    };
    const baseUrl = `${route.origin}/${route.version}/users/${userId}/chats/getAllMessages/delta`;
    return this.#delta(route, scope, baseUrl, 'Collection(chatMessage)');
  }

  /** Whether a Teams message changed inside the months chatMessage delta lists. */
  #changedInDeltaMonths(): (message: StoredResource) => boolean {
    const since = new Date(this.#deps.clock.now());
    since.setUTCMonth(since.getUTCMonth() - CHANNEL_MESSAGE_DELTA_MONTHS);
    return (message) => Date.parse(String(message.body.lastModifiedDateTime)) >= since.getTime();
  }

  /** The members of a team or chat (`{container}/members`), or one of them. */
  #members(route: Route, collection: string): SimResponse {
    const { names, segments, directory } = route;
    if (names.length === 3) return this.#list(route, directory.list(collection), collection, 50);
    if (names.length === 4) return this.#entity(route, directory.get(`${collection}/${segments[3] ?? ''}`), collection);
    throw new GraphHttpError(400, 'BadRequest', `Resource not found for the segment '${segments[4] ?? ''}'.`);
  }

  /**
   * SharePoint list items and To Do tasks: the collection (its first `depth` segments), one item by id, or its
   * delta (`@removed` for deleted items).
   */
  #collectionItems(
    route: Route,
    kind: CollectionItemKind,
    depth: number,
    path = route.segments.slice(0, depth).join('/'),
  ): SimResponse {
    const { names, segments, directory } = route;
    if (names.length === depth) return this.#list(route, directory.list(path), path);
    const deltaKey = deltaScopeOf(kind, { collectionPath: path });
    if (names.length === depth + 1 && names[depth] === 'delta' && deltaKey !== undefined) {
      const scope: DeltaScope = {
        key: deltaKey,
        items: () => directory.list(path),
        removed: (id) => ({ id, '@removed': { reason: 'deleted' } }),
        style: 'odata',
        goneKind: 'syncStateNotFound',
      };
      return this.#delta(route, scope, `${route.origin}/${route.version}/${path}/delta`, path);
    }
    if (names.length === depth + 1) return this.#entity(route, directory.get(`${path}/${segments[depth] ?? ''}`), path);
    throw new GraphHttpError(400, 'BadRequest', `Resource not found for the segment '${segments[depth + 1] ?? ''}'.`);
  }

  /** `GET /communications/presences/{id}`: one user's presence (Presence.Read.All). */
  #presences(route: Route): SimResponse {
    const { names, segments, directory } = route;
    if (names[1] === 'callrecords') {
      this.#need(route, 'CallRecords.Read.All', 'other');
      return this.#collectionItems(route, 'callRecord', 2, 'communications/callRecords');
    }
    if (names[1] === 'presences' && names.length === 3) {
      this.#need(route, 'Presence.Read.All', 'other');
      return this.#entity(
        route,
        directory.get(`communications/presences/${segments[2] ?? ''}`),
        'communications/presences',
      );
    }
    throw new GraphHttpError(400, 'BadRequest', `Resource not found for the segment '${segments[1] ?? ''}'.`);
  }

  // ---- JSON batching -----------------------------------------------------------------------------

  async #batch(outer: SimRequest, version: string, _ids: RequestIds): Promise<SimResponse> {
    let parsed: unknown;
    try {
      parsed = parseJsonBody(outer);
    } catch {
      throw GraphHttpError.badRequest('Invalid batch payload format.', 'BadRequest');
    }
    const requests = (parsed as { requests?: unknown } | undefined)?.requests;
    if (!Array.isArray(requests)) throw GraphHttpError.badRequest('Invalid batch payload format.', 'BadRequest');
    if (requests.length > BATCH_MAX_REQUESTS) {
      throw GraphHttpError.badRequest(
        `The number of requests in the batch exceeds the limit of ${BATCH_MAX_REQUESTS}.`,
        'BadRequest',
      );
    }
    interface Step {
      id: string;
      method: string;
      url: string;
      headers: Record<string, string>;
      body: unknown;
      dependsOn: string[];
    }
    const steps: Step[] = [];
    const seen = new Set<string>();
    for (const raw of requests as unknown[]) {
      if (typeof raw !== 'object' || raw === null)
        throw GraphHttpError.badRequest('Invalid batch payload format.', 'BadRequest');
      const step = raw as Record<string, unknown>;
      if (typeof step.id !== 'string' || step.id === '')
        throw GraphHttpError.badRequest('Every batch request needs an id.', 'BadRequest');
      if (typeof step.method !== 'string' || typeof step.url !== 'string')
        throw GraphHttpError.badRequest(`Batch request ${step.id} needs a method and a url.`, 'BadRequest');
      // Ids are case-insensitive and unique (docs/graph-protocol.md §7).
      if (seen.has(step.id.toLowerCase()))
        throw GraphHttpError.badRequest(`Batch request id '${step.id}' is not unique.`, 'BadRequest');
      seen.add(step.id.toLowerCase());
      if (/^[a-z]+:\/\//i.test(step.url))
        throw GraphHttpError.badRequest(`Batch request ${step.id} must use a relative url.`, 'BadRequest');
      const headers: Record<string, string> = {};
      if (typeof step.headers === 'object' && step.headers !== null) {
        for (const [name, value] of Object.entries(step.headers as Record<string, unknown>))
          if (typeof value === 'string') headers[name.toLowerCase()] = value;
      }
      if (step.body !== undefined && headers['content-type'] === undefined) {
        throw GraphHttpError.badRequest(
          `Batch request ${step.id} has a body but no Content-Type header.`,
          'BadRequest',
        );
      }
      const dependsOn = Array.isArray(step.dependsOn)
        ? step.dependsOn.filter((d): d is string => typeof d === 'string')
        : [];
      steps.push({
        id: step.id,
        method: step.method.toUpperCase(),
        url: step.url,
        headers,
        body: step.body,
        dependsOn,
      });
    }
    for (const step of steps) {
      for (const dependency of step.dependsOn) {
        if (!seen.has(dependency.toLowerCase()))
          throw GraphHttpError.badRequest(
            `Batch request ${step.id} depends on unknown request '${dependency}'.`,
            'BadRequest',
          );
      }
    }
    const results = new Map<string, { id: string; status: number; headers: Record<string, string>; body?: unknown }>();
    const pending = [...steps];
    while (pending.length > 0) {
      const ready = pending.filter((s) => s.dependsOn.every((d) => results.has(d.toLowerCase())));
      if (ready.length === 0) throw GraphHttpError.badRequest('The batch dependsOn graph has a cycle.', 'BadRequest');
      // Graph sends at most 4 inner requests at a time (to Outlook, docs/graph-protocol.md §7); we apply it to all.
      for (let i = 0; i < ready.length; i += OUTLOOK_MAX_CONCURRENT_REQUESTS_PER_MAILBOX) {
        const wave = ready.slice(i, i + OUTLOOK_MAX_CONCURRENT_REQUESTS_PER_MAILBOX);
        await Promise.all(
          wave.map(async (step) => {
            const failed = step.dependsOn.some((d) => (results.get(d.toLowerCase())?.status ?? 500) >= 400);
            if (failed) {
              const entry = {
                status: 424,
                code: 'FailedDependency',
                message: 'The request failed because of a failed dependency.',
              };
              results.set(step.id.toLowerCase(), {
                id: step.id,
                status: entry.status,
                headers: { 'content-type': 'application/json' },
                body: { error: { code: entry.code, message: entry.message } },
              });
              return;
            }
            const url = new URL(`${outer.url.origin}/${version}${step.url.startsWith('/') ? '' : '/'}${step.url}`);
            const inner: SimRequest = {
              method: step.method,
              url,
              headers: { ...step.headers, authorization: outer.headers.authorization },
              body:
                step.body === undefined
                  ? Buffer.alloc(0)
                  : Buffer.from(typeof step.body === 'string' ? step.body : JSON.stringify(step.body)),
            };
            const response = await this.handle(inner, version, url.pathname.slice(version.length + 1));
            const text =
              response.body === undefined
                ? undefined
                : typeof response.body === 'string'
                  ? response.body
                  : Buffer.from(response.body).toString('utf8');
            const headers: Record<string, string> = {};
            for (const [name, value] of Object.entries(response.headers)) {
              if (
                name === 'content-type' ||
                name === 'retry-after' ||
                name === 'location' ||
                name === 'preference-applied'
              )
                headers[name === 'retry-after' ? 'Retry-After' : name === 'content-type' ? 'Content-Type' : name] =
                  value;
            }
            results.set(step.id.toLowerCase(), {
              id: step.id,
              status: response.status,
              headers,
              ...(text === undefined || text === '' ? {} : { body: JSON.parse(text) as unknown }),
            });
          }),
        );
      }
      for (const step of ready) pending.splice(pending.indexOf(step), 1);
    }
    const responses = steps.map((s) => results.get(s.id.toLowerCase()));
    if (this.#deps.options.batch.shuffleResponses) {
      for (let i = responses.length - 1; i > 0; i--) {
        const j = this.#deps.faults.random.int(i + 1);
        [responses[i], responses[j]] = [responses[j], responses[i]];
      }
    }
    const throttled = responses.some((r) => r?.status === 429);
    const status = throttled ? this.#deps.options.batch.throttledEnvelopeStatus : 200;
    return jsonResponse(status, { responses });
  }
}
