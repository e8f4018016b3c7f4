/**
 * `createGraphSimulator` builds the whole simulator without listening: clock, identity platform, tenants,
 * subscription service, dispatcher, Graph API, control API and workload generator, wired once here. It
 * returns a transport-neutral handler (plus Node-listener and fetch adapters) and the typed control
 * surface tests use. `server.ts` puts it on a socket.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describeError } from '../../src/lib/shared/redact.js';
import { changeRecords, versionShownBy, type ChangeRecord } from './accounting.js';
import { handleControl } from './control.js';
import { DEMO_APP_ID, DEMO_CLIENT_SECRET, DEMO_DOMAIN, DEMO_TENANT_ID, seedDemoResources } from './demoTenant.js';
import {
  DELIVERY_TIMER_LABEL,
  NotificationDispatcher,
  type DeliveryAttempt,
  type EndpointStatus,
  type NotificationRecord,
} from './delivery.js';
import { MutationRejected, TenantDirectory, type Mutation } from './directory.js';
import { partnerTopicOf, SimulatedEventGrid } from './eventGridPartnerTopic.js';
import { hubOf, SimulatedEventHubs } from './eventHubsHub.js';
import { FaultInjector, SeededRandom, type FaultOptions, type FaultRule, type HeldRequest } from './faults.js';
import { GraphApi, type GraphTraffic } from './graphApi.js';
import { graphError, jsonResponse, newRequestIds, type SimResponse } from './graphError.js';
import { fetchAdapter, nodeListener, type SimRequest } from './http.js';
import { IdentityPlatform } from './identity.js';
import { TIME } from './limits.js';
import type { AppRegistration, ChangeHints, JsonObject, TenantSeed } from './model.js';
import { resolveOptions, type GraphSimulatorOptions, type ResolvedOptions } from './options.js';
import { SimClock } from './simClock.js';
import {
  SubscriptionService,
  graphInstant,
  type Anomaly,
  type LifecycleEvent,
  type Subscription,
} from './subscriptions.js';
import { WorkloadGenerator, type AppliedChange, type WorkloadOptions } from './workload.js';

export interface TenantInfo {
  id: string;
  displayName: string;
  domain: string;
}

export interface AppInfo {
  clientId: string;
  /** First client secret, when the app has one. */
  clientSecret: string | undefined;
  tenants: readonly string[] | undefined;
  roles: readonly string[];
}

/** One resource as the simulator holds it now: the ground truth a sink is compared with. */
export interface ResourceSnapshot {
  tenantId: string;
  kind: string;
  id: string;
  /** Canonical path without version, e.g. `users/{uid}/messages/{mid}`. */
  path: string;
  body: JsonObject;
}

/** A subscription as tests see it, including the simulator-only state. */
export interface SubscriptionInfo {
  id: string;
  tenantId: string;
  applicationId: string;
  resource: string;
  changeType: string;
  notificationUrl: string;
  lifecycleNotificationUrl: string | null;
  expirationDateTime: string;
  includeResourceData: boolean;
  accessTokenExpiresAt: string | null;
  paused: boolean;
}

export interface DeliverySummary {
  total: number;
  pending: number;
  delivered: number;
  dropped: number;
  /** Lost because their subscription was paused (access token lapsed) when they were due. */
  lost: number;
  discarded: number;
  abandoned: number;
  duplicatesDelivered: number;
}

export interface NotificationFilter {
  subscriptionId?: string;
  status?: NotificationRecord['status'];
  kind?: NotificationRecord['kind'];
  tenantId?: string;
}

export interface GraphSimulator {
  /** Transport-neutral entry point. */
  handle(request: SimRequest): Promise<SimResponse>;
  /** For `http.createServer(listener)`. */
  listener: (req: IncomingMessage, res: ServerResponse) => void;
  /** A `fetch` that reaches the simulator without a socket (URLs need any origin, e.g. `http://graph.sim`). */
  fetch: typeof fetch;
  readonly options: ResolvedOptions;
  readonly clock: {
    now(): Date;
    advance(ms: number): Promise<void>;
    advanceTo(instant: Date | string | number): Promise<void>;
    /** Waits until every due timer (deliveries, lifecycle, workload) has run to completion. */
    settle(): Promise<void>;
    /**
     * Virtual instant of the next POST Graph has scheduled to a notification URL (latency, reordering and
     * retries hold notifications back), or undefined when none is scheduled.
     */
    nextDelivery(): Date | undefined;
  };
  addTenant(seed?: TenantSeed): TenantInfo;
  tenants(): TenantInfo[];
  registerApp(registration?: AppRegistration): AppInfo;
  apps(): AppInfo[];
  /** The tenant's data store; `apply` mutations there or through `mutate`. */
  directory(tenantId: string): TenantDirectory;
  /** Applies a mutation (same shapes as `POST /_sim/tenants/{id}/mutations`) and returns the resource's new JSON. */
  mutate(tenantId: string, mutation: Mutation, hints?: ChangeHints): JsonObject | undefined;
  /** Current state of every resource (of one tenant, or all). */
  state(tenantId?: string): ResourceSnapshot[];
  resource(tenantId: string, path: string): JsonObject | undefined;
  subscriptions(): SubscriptionInfo[];
  /**
   * Dev-only bulk seeding: creates the subscriptions (`POST /subscriptions` bodies) of app `clientId` in the
   * tenant at once, each checked as a create is, without the subscription API's throttling; all or nothing.
   */
  seedSubscriptions(tenantId: string, clientId: string, bodies: readonly unknown[]): Promise<SubscriptionInfo[]>;
  /** Sends a lifecycle event now; `subscriptionRemoved` also removes the subscription. */
  lifecycle(
    subscriptionId: string,
    event: LifecycleEvent,
    variant?: 'tenantId' | 'organizationId',
  ): NotificationRecord | undefined;
  /** Makes a subscription's access token lapse now (deliveries pause until reauthorize/renew). */
  expireAccessToken(subscriptionId: string): void;
  notifications(filter?: NotificationFilter): NotificationRecord[];
  /**
   * The accounting log: every change of one tenant (or all), oldest first, with its identity (sequence number,
   * resource version and version tag) and the fate of each of its notifications.
   */
  changes(tenantId?: string): ChangeRecord[];
  /** Which version of the resource at `path` a body (e.g. from a sink) shows; undefined when none matches. */
  versionOf(tenantId: string, path: string, body: JsonObject): number | undefined;
  deliveryAttempts(): DeliveryAttempt[];
  /** `pending` includes events an Event Grid topic or Event Hubs hub still holds for its reader. */
  deliverySummary(filter?: NotificationFilter): DeliverySummary;
  /** Graph's Event Grid route: partner topics, their event subscription and every event's fate. */
  readonly eventGrid: SimulatedEventGrid;
  /** Graph's Event Hubs route: hubs and their reader (no broker: the local host registers itself as reader). */
  readonly eventHubs: SimulatedEventHubs;
  endpoints(): EndpointStatus[];
  anomalies(): Anomaly[];
  /** Graph HTTP requests and resource reads served so far (inner `$batch` reads counted one by one). */
  graphTraffic(): GraphTraffic;
  readonly faults: {
    configure(options: Partial<FaultOptions>): FaultOptions;
    current(): FaultOptions;
    inject(rule: FaultRule): number;
    remove(ruleId: number): void;
    rules(): FaultRule[];
    /** Holds the next Graph request whose path matches, until released (a read kept in flight). */
    hold(path: string, method?: string): HeldRequest;
    reset(): void;
  };
  readonly workload: {
    run(count: number, options?: WorkloadOptions): AppliedChange[];
    start(options?: WorkloadOptions): void;
    stop(): void;
    readonly running: boolean;
  };
  /** Invalidates every delta token of the tenant: the next delta call answers 410 Gone. */
  resetDelta(tenantId: string): void;
  issueAccessToken(
    tenantId: string,
    clientId: string,
    options?: { lifetimeSeconds?: number; audience?: string },
  ): Promise<string>;
  issueValidationToken(appId: string, tenantId: string, overrides?: Record<string, unknown>): Promise<string>;
  rotateSigningKey(): Promise<string>;
  jwks(): { keys: object[] };
  /** Stops timers and the workload. Idempotent. */
  stop(): void;
}

export async function createGraphSimulator(input: GraphSimulatorOptions = {}): Promise<GraphSimulator> {
  const options = resolveOptions(input);
  const log = options.log;
  const clock = new SimClock(options.clock, (label, error) => {
    log(`timer '${label}' failed: ${describeError(error)}`);
  });
  const random = new SeededRandom(options.seed);
  const faults = new FaultInjector(options.faults, random);
  const directories = new Map<string, TenantDirectory>();
  const tokenNow = (): Date => (options.tokens.clock === 'wall' ? new Date() : clock.now());
  const identity = await IdentityPlatform.create(
    { tenantExists: (id) => directories.has(id), tokenNow, now: () => clock.now() },
    options.tokens,
    options.validationTokens,
    options.signingKeyPem,
  );
  // The dispatcher and the subscription service refer to each other: the gate's closures reach `service`
  // lazily, and nothing calls them before both exist.
  const dispatcher = new NotificationDispatcher(
    clock,
    options.delivery,
    faults,
    options.fetch,
    {
      stateOf: (id) => service.stateOf(id),
      validationToken: (appId, tenantId) => identity.issueValidationToken(appId, tenantId),
      onDropped: (record) => service.onDropped(record),
    },
    log,
  );
  const eventGrid = new SimulatedEventGrid(clock, options.fetch, log);
  const eventHubs = new SimulatedEventHubs(clock, log);
  const routes = {
    accepts: (url: string): boolean => partnerTopicOf(url) !== undefined || hubOf(url) !== undefined,
    prepare: (url: string): void => {
      const topic = partnerTopicOf(url);
      const hub = hubOf(url);
      if (topic !== undefined) eventGrid.createTopic(topic);
      if (hub !== undefined) eventHubs.sendValidation(hub);
    },
    handles: (url: string): boolean => routes.accepts(url),
    publish: (url: string, records: readonly NotificationRecord[]): void => {
      const topic = partnerTopicOf(url);
      const hub = hubOf(url);
      const first = records[0];
      if (topic !== undefined && first !== undefined)
        eventGrid.publish(
          topic,
          records.map((record) => record.payload),
          first.tenantId,
          first.appId,
        );
      if (hub !== undefined)
        eventHubs.publish(
          hub,
          records.map((record) => record.payload),
          (id) => service.hasBlobStore(id),
        );
    },
  };
  dispatcher.routeThrough(routes);
  const service: SubscriptionService = new SubscriptionService({
    clock,
    options,
    identity,
    dispatcher,
    faults,
    directory: (id) => directories.get(id),
    log,
    routes,
  });
  const graph = new GraphApi({
    clock,
    options,
    identity,
    subscriptions: service,
    faults,
    directory: (id) => directories.get(id),
  });
  const workload = new WorkloadGenerator(clock, random, (id) =>
    id === undefined ? directories.values().next().value : directories.get(id),
  );

  const addTenant = (seed: TenantSeed = {}): TenantInfo => {
    const id = seed.id ?? randomUUID();
    const existing = directories.get(id);
    if (existing !== undefined) return { id, displayName: existing.displayName, domain: existing.domain };
    const domain = seed.domain ?? `${id.slice(0, 8)}.onmicrosoft.com`;
    const directory = new TenantDirectory(
      id,
      seed.displayName ?? `Tenant ${id.slice(0, 8)}`,
      domain,
      () => clock.now(),
      seed.driveType,
    );
    directory.onChange((change) => {
      service.onChange(change);
    });
    directories.set(id, directory);
    return { id, displayName: directory.displayName, domain };
  };
  const appInfo = (app: {
    clientId: string;
    clientSecrets: readonly string[];
    tenants: readonly string[] | undefined;
    roles: readonly string[];
  }): AppInfo => ({
    clientId: app.clientId,
    clientSecret: app.clientSecrets[0],
    tenants: app.tenants,
    roles: app.roles,
  });
  const registerApp = (registration: AppRegistration = {}): AppInfo => {
    const clientSecrets = registration.clientSecrets ?? (registration.certificates === undefined ? [randomUUID()] : []);
    return appInfo(identity.registerApp({ ...registration, clientSecrets }));
  };
  const directoryOf = (tenantId: string): TenantDirectory => {
    const directory = directories.get(tenantId);
    if (directory === undefined) throw new MutationRejected(`tenant ${tenantId} does not exist`, 404);
    return directory;
  };
  const snapshot = (directory: TenantDirectory): ResourceSnapshot[] =>
    directory.resources().map((r) => ({
      tenantId: directory.tenantId,
      kind: r.kind,
      id: r.id,
      path: r.path,
      body: structuredClone(r.body),
    }));
  const matches = (record: NotificationRecord, filter: NotificationFilter): boolean =>
    (filter.subscriptionId === undefined || record.subscriptionId === filter.subscriptionId) &&
    (filter.status === undefined || record.status === filter.status) &&
    (filter.kind === undefined || record.kind === filter.kind) &&
    (filter.tenantId === undefined || record.tenantId === filter.tenantId);
  const subscriptionInfo = (s: Subscription): SubscriptionInfo => ({
    id: s.id,
    tenantId: s.tenantId,
    applicationId: s.applicationId,
    resource: s.resource,
    changeType: s.changeType,
    notificationUrl: s.notificationUrl,
    lifecycleNotificationUrl: s.lifecycleNotificationUrl,
    expirationDateTime: graphInstant(s.expirationMs),
    includeResourceData: s.includeResourceData,
    accessTokenExpiresAt: s.accessTokenExpiresAtMs === null ? null : new Date(s.accessTokenExpiresAtMs).toISOString(),
    paused: service.isPaused(s),
  });
  const requireSubscription = (id: string): Subscription => {
    const subscription = service.find(id);
    if (subscription === undefined) throw new MutationRejected(`subscription ${id} does not exist`, 404);
    return subscription;
  };

  for (const seed of options.tenants) addTenant(seed);
  for (const app of options.apps) registerApp(app);
  if (options.seedDemo) {
    addTenant({ id: DEMO_TENANT_ID, displayName: 'Contoso (simulated)', domain: DEMO_DOMAIN });
    registerApp({ clientId: DEMO_APP_ID, displayName: 'graph-notify (demo)', clientSecrets: [DEMO_CLIENT_SECRET] });
    seedDemoResources(directoryOf(DEMO_TENANT_ID));
  }

  // Spontaneous lifecycle events (fault injection) are drawn once per virtual hour.
  const hourly = (at: number): void => {
    clock.schedule(at, 'lifecycle faults', () => {
      service.injectRandomLifecycleEvents();
      hourly(at + TIME.HOUR_MS);
    });
  };
  hourly(clock.nowMs() + TIME.HOUR_MS);

  const handle = async (request: SimRequest): Promise<SimResponse> => {
    const path = request.url.pathname;
    try {
      const graphMatch = /^\/(v1\.0|beta)(\/.*)?$/.exec(path);
      if (graphMatch?.[1] !== undefined) return await graph.handleRequest(request, graphMatch[1], graphMatch[2] ?? '/');
      if (path.startsWith('/_sim/') || path === '/_sim') {
        return await handleControl(simulator, request);
      }
      return await identityRoute(request);
    } catch (error) {
      log(`request ${request.method} ${path} failed: ${describeError(error)}`);
      return graphError(500, 'generalException', 'An unexpected error occurred in the simulator.', {
        now: clock.now(),
        ids: newRequestIds(undefined),
      });
    }
  };

  const identityRoute = async (request: SimRequest): Promise<SimResponse> => {
    const path = request.url.pathname;
    const ids = newRequestIds(request.headers['client-request-id']);
    const token = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(path);
    if (token?.[1] !== undefined && request.method === 'POST') {
      const rule = faults.takeRule('token', 'POST', path);
      if (rule !== undefined || random.chance(faults.options.tokenEndpointFailureRatio)) {
        const status = rule?.status ?? 503;
        return {
          status,
          headers: {
            'content-type': 'application/json; charset=utf-8',
            ...(rule?.retryAfterSeconds === undefined ? {} : { 'retry-after': String(rule.retryAfterSeconds) }),
          },
          body: JSON.stringify({
            error: 'temporarily_unavailable',
            error_description: 'AADSTS90033: A transient error has occurred. Please try again.',
            error_codes: [90033],
          }),
        };
      }
      const form = new URLSearchParams(request.body.toString('utf8'));
      return identity.tokenEndpoint(decodeURIComponent(token[1]), form, request.url.toString(), ids);
    }
    const openId = /^\/([^/]+)(?:\/v2\.0)?\/\.well-known\/openid-configuration$/.exec(path);
    if (openId?.[1] !== undefined && request.method === 'GET') {
      const tenant = decodeURIComponent(openId[1]);
      return jsonResponse(200, identity.openIdConfiguration(request.url.origin, tenant));
    }
    if (/^\/[^/]+\/discovery(?:\/v2\.0)?\/keys$/.test(path) && request.method === 'GET')
      return jsonResponse(200, identity.jwks());
    return graphError(404, 'NotFound', `No route for ${request.method} ${path}.`, { now: clock.now(), ids });
  };

  const simulator: GraphSimulator = {
    handle,
    listener: nodeListener(handle),
    fetch: fetchAdapter(handle),
    options,
    clock: {
      now: () => clock.now(),
      advance: (ms) => clock.advance(ms),
      advanceTo: (instant) => clock.advanceTo(new Date(instant).getTime()),
      settle: () => clock.settle(),
      nextDelivery: () => {
        const next = clock.pendingTimers().find((timer) => timer.label.startsWith(DELIVERY_TIMER_LABEL));
        return next === undefined ? undefined : new Date(next.atMs);
      },
    },
    addTenant,
    tenants: () =>
      [...directories.values()].map((d) => ({ id: d.tenantId, displayName: d.displayName, domain: d.domain })),
    registerApp,
    apps: () => identity.apps().map(appInfo),
    directory: directoryOf,
    mutate: (tenantId, mutation, hints) => {
      const resource = directoryOf(tenantId).apply(mutation, hints);
      return resource === undefined ? undefined : structuredClone(resource.body);
    },
    state: (tenantId) =>
      tenantId === undefined ? [...directories.values()].flatMap(snapshot) : snapshot(directoryOf(tenantId)),
    resource: (tenantId, path) => {
      const found = directoryOf(tenantId).get(path);
      return found === undefined ? undefined : structuredClone(found.body);
    },
    subscriptions: () =>
      service
        .all()
        .filter((s) => service.find(s.id) !== undefined)
        .map(subscriptionInfo),
    seedSubscriptions: async (tenantId, clientId, bodies) => {
      const app = identity.app(clientId);
      if (app === undefined) throw new MutationRejected(`unknown app ${clientId}`, 404);
      if (app.tenants !== undefined && !app.tenants.includes(tenantId))
        throw new MutationRejected(`app ${clientId} is not registered in tenant ${tenantId}`);
      return (await service.seed({ tenantId, appId: clientId, roles: app.roles }, bodies)).map(subscriptionInfo);
    },
    lifecycle: (id, event, variant) => {
      const subscription = requireSubscription(id);
      if (event === 'missed' && !service.supportsMissed(subscription)) {
        throw new MutationRejected(
          `Graph sends missed only to Outlook subscriptions (messages, events, contacts), not to ${subscription.resource}`,
        );
      }
      return service.sendLifecycle(subscription, event, variant);
    },
    expireAccessToken: (id) => {
      const subscription = requireSubscription(id);
      subscription.accessTokenExpiresAtMs = clock.nowMs();
    },
    notifications: (filter = {}) => dispatcher.notifications().filter((r) => matches(r, filter)),
    changes: (tenantId) => {
      const records = dispatcher.notifications();
      const of = (directory: TenantDirectory): ChangeRecord[] =>
        changeRecords(directory.tenantId, directory.changes(), records);
      return tenantId === undefined ? [...directories.values()].flatMap(of) : of(directoryOf(tenantId));
    },
    versionOf: (tenantId, path, body) => versionShownBy(directoryOf(tenantId).changes(), path, body),
    deliveryAttempts: () => dispatcher.attempts(),
    deliverySummary: (filter = {}) => {
      const records = dispatcher.notifications().filter((r) => matches(r, filter));
      const count = (status: NotificationRecord['status']): number => records.filter((r) => r.status === status).length;
      return {
        total: records.length,
        pending: count('pending') + eventGrid.pending() + eventHubs.pending(),
        delivered: count('delivered'),
        dropped: count('dropped'),
        lost: count('lost'),
        discarded: count('discarded'),
        abandoned: count('abandoned'),
        duplicatesDelivered: records.reduce((sum, r) => sum + r.duplicatesDelivered, 0),
      };
    },
    eventGrid,
    eventHubs,
    endpoints: () => dispatcher.endpoints(),
    anomalies: () => service.anomalies(),
    graphTraffic: () => graph.traffic(),
    faults: {
      configure: (changes) => faults.configure(changes),
      current: () => faults.options,
      inject: (rule) => faults.addRule(rule),
      remove: (id) => {
        faults.removeRule(id);
      },
      rules: () => faults.rules(),
      hold: (path, method) => faults.hold(path, method),
      reset: () => {
        faults.reset();
      },
    },
    workload: {
      run: (count, workloadOptions) => workload.run(count, workloadOptions),
      start: (workloadOptions) => {
        workload.start(workloadOptions);
      },
      stop: () => {
        workload.stop();
      },
      get running() {
        return workload.running;
      },
    },
    resetDelta: (tenantId) => {
      directoryOf(tenantId).deltaGeneration += 1;
    },
    issueAccessToken: (tenantId, clientId, tokenOptions) => identity.issueAccessToken(tenantId, clientId, tokenOptions),
    issueValidationToken: (appId, tenantId, overrides) => identity.issueValidationToken(appId, tenantId, overrides),
    rotateSigningKey: () => identity.rotateSigningKey(),
    jwks: () => identity.jwks(),
    stop: () => {
      workload.stop();
      clock.stop();
    },
  };
  return simulator;
}
