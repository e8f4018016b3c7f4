/**
 * The subscription service (docs/graph-protocol.md §1, §2, §4, §12): create with every validation rule and the
 * endpoint handshake, get, list, PATCH renew, DELETE, reauthorize, the expiry reaper, the per-subscription
 * access-token clock with its reauthorizationRequired schedule, lifecycle events on demand, and the
 * fan-out of directory changes into change notifications for every matching subscription.
 */
import { randomUUID } from 'node:crypto';
import type { NotificationDispatcher, NotificationRecord } from './delivery.js';
import type { TenantDirectory } from './directory.js';
import type { FaultInjector } from './faults.js';
import { GraphHttpError } from './graphError.js';
import type { Caller, IdentityPlatform } from './identity.js';
import {
  ENCRYPTION_CERTIFICATE_ID_MAX_LENGTH,
  MIN_EXPIRATION_MINUTES,
  MISSED_MIN_INTERVAL_MS,
  OUTLOOK_RICH_MAX_EXPIRATION_MINUTES,
  REAUTHORIZE_RENEW_CONFLICT_WINDOW_MS,
  TEAMS_LIFECYCLE_URL_REQUIRED_AFTER_MS,
  TIME,
} from './limits.js';
import type { ChangeEvent, ChangeType, JsonObject } from './model.js';
import type { LifecycleOptions, ResolvedOptions, SubscriptionOptions } from './options.js';
import {
  notificationSubject,
  notifiedChangeType,
  isUnsupportedResource,
  parseSubscriptionResource,
  richPayload,
  type SubscriptionTarget,
} from './resources.js';
import { encryptResourceData, parseEncryptionCertificate, type EncryptionCertificate } from './richNotifications.js';
import {
  installationChatOf,
  isTeamsAppInstalled,
  unknownResourceTarget,
  withNotificationQueryOptions,
} from './serviceResources.js';
import type { SimClock, TimerHandle } from './simClock.js';

export type LifecycleEvent = 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed';

export interface Subscription {
  readonly id: string;
  readonly tenantId: string;
  readonly applicationId: string;
  readonly creatorId: string;
  readonly resource: string;
  readonly target: SubscriptionTarget;
  changeType: string;
  changeTypes: ChangeType[];
  notificationUrl: string;
  readonly lifecycleNotificationUrl: string | null;
  expirationMs: number;
  readonly clientState: string | null;
  readonly includeResourceData: boolean;
  encryptionCertificate: string | null;
  encryptionCertificateId: string | null;
  certificate: EncryptionCertificate | undefined;
  /**
   * The certificate a PATCH replaced, still used for encryption until `untilMs`
   * (`subscriptions.oldCertificateOverlapMs`, the rich-notifications page).
   */
  previousCertificate: { certificate: EncryptionCertificate; id: string; untilMs: number } | undefined;
  readonly latestSupportedTlsVersion: string;
  readonly notificationQueryOptions: string | null;
  readonly notificationUrlAppId: string | null;
  readonly notificationContentType: string;
  /** Event Hubs: where rich notifications over the hub's 1 MB go (a Key Vault secret URL), or null. */
  readonly blobStoreUrl: string | null;
  readonly createdAtMs: number;
  /** When the access token behind the subscription lapses (null: never). Deliveries pause afterwards. */
  accessTokenExpiresAtMs: number | null;
  lastReauthorizedAtMs: number | undefined;
  lastRenewedAtMs: number | undefined;
  expiryTimer: TimerHandle | undefined;
  challengeTimer: TimerHandle | undefined;
}

/** An anomaly Graph warns about but does not reject, recorded for tests (e.g. reauthorize and PATCH within 10 min). */
export interface Anomaly {
  at: string;
  subscriptionId: string;
  message: string;
}

const CREATE_PROPERTIES = new Set([
  'changeType',
  'notificationUrl',
  'lifecycleNotificationUrl',
  'resource',
  'expirationDateTime',
  'clientState',
  'includeResourceData',
  'encryptionCertificate',
  'encryptionCertificateId',
  'latestSupportedTlsVersion',
  'notificationQueryOptions',
  'notificationUrlAppId',
  'notificationContentType',
  'blobStoreUrl',
  'vapidPublicKey',
  'webPushEncryptionP256dhPublicKey',
  'webPushEncryptionSecret',
  '@odata.type',
  'id',
  'applicationId',
  'creatorId',
]);

const PATCH_PROPERTIES = new Set([
  'expirationDateTime',
  'notificationUrl',
  'encryptionCertificate',
  'encryptionCertificateId',
  '@odata.type',
]);

/** ISO 8601 with two-digit fields; a day written `5` fails like it does in Graph (docs/graph-protocol.md §1.2.1). */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$/;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** Graph writes subscription instants with seven fractional digits. */
export function graphInstant(ms: number, zone: 'Z' | '+00:00' = 'Z'): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 19)}.${iso.slice(20, 23)}0000${zone}`;
}

/** What Graph's duplicate check compares: app, tenant, resource and the set of change types. */
function combinationOf(subscription: Subscription): string {
  return [
    subscription.tenantId,
    subscription.applicationId,
    subscription.target.canonical,
    [...subscription.changeTypes].sort().join(','),
  ].join('|');
}

/** `#admit`'s default: a draft's checks run as they are. */
function runCheck(_index: number, run: () => void): void {
  run();
}

export interface SubscriptionServiceDeps {
  clock: SimClock;
  options: ResolvedOptions;
  identity: IdentityPlatform;
  dispatcher: NotificationDispatcher;
  faults: FaultInjector;
  directory(tenantId: string): TenantDirectory | undefined;
  log(line: string): void;
  /** The Event Grid and Event Hubs routes; without them `EventGrid:` and `EventHub:` URLs are refused. */
  routes?: {
    /** Whether `url` is a route URL in Graph's form. */
    accepts(url: string): boolean;
    /** What Graph does with a route URL where a webhook gets its handshake: create the topic, send the validation message. */
    prepare(url: string): void;
  };
}

export class SubscriptionService {
  readonly #deps: SubscriptionServiceDeps;
  readonly #options: SubscriptionOptions;
  readonly #lifecycle: LifecycleOptions;
  readonly #subscriptions = new Map<string, Subscription>();
  readonly #validatedUrls = new Set<string>();
  readonly #anomalies: Anomaly[] = [];
  readonly #lastMissedAtMs = new Map<string, number>();
  #sequence = 0;

  constructor(deps: SubscriptionServiceDeps) {
    this.#deps = deps;
    this.#options = deps.options.subscriptions;
    this.#lifecycle = deps.options.lifecycle;
  }

  // ---- queries -------------------------------------------------------------------------------------

  all(): Subscription[] {
    return [...this.#subscriptions.values()];
  }

  find(id: string): Subscription | undefined {
    const subscription = this.#subscriptions.get(id);
    if (subscription !== undefined && subscription.expirationMs <= this.#deps.clock.nowMs()) {
      this.#expire(subscription);
      return undefined;
    }
    return subscription;
  }

  anomalies(): Anomaly[] {
    return [...this.#anomalies];
  }

  stateOf(id: string): 'active' | 'paused' | 'gone' {
    const subscription = this.find(id);
    if (subscription === undefined) return 'gone';
    return this.isPaused(subscription) ? 'paused' : 'active';
  }

  /** Whether Graph may claim-check this subscription's oversized Event Hubs notifications. */
  hasBlobStore(id: string): boolean {
    return (this.find(id)?.blobStoreUrl ?? null) !== null;
  }

  isPaused(subscription: Subscription): boolean {
    // Graph stops delivering once the token lapses, whatever the subscription; without a lifecycle URL it cannot say
    // so (reauthorizationRequired), and only a renewal resumes it. `pauseWithoutLifecycleUrl: false` spares those.
    return (
      (subscription.lifecycleNotificationUrl !== null || this.#options.pauseWithoutLifecycleUrl) &&
      subscription.accessTokenExpiresAtMs !== null &&
      subscription.accessTokenExpiresAtMs <= this.#deps.clock.nowMs()
    );
  }

  /** The JSON Graph returns for a subscription. List hides clientState (docs/graph-protocol.md §1.5). */
  toJson(subscription: Subscription, origin: string, forList = false): JsonObject {
    return {
      ...(forList ? {} : { '@odata.context': `${origin}/v1.0/$metadata#subscriptions/$entity` }),
      id: subscription.id,
      resource: subscription.resource,
      applicationId: subscription.applicationId,
      changeType: subscription.changeType,
      clientState: forList ? null : subscription.clientState,
      notificationUrl: subscription.notificationUrl,
      notificationQueryOptions: subscription.notificationQueryOptions,
      lifecycleNotificationUrl: subscription.lifecycleNotificationUrl,
      expirationDateTime: graphInstant(subscription.expirationMs),
      creatorId: subscription.creatorId,
      includeResourceData: subscription.includeResourceData,
      latestSupportedTlsVersion: subscription.latestSupportedTlsVersion,
      encryptionCertificate: this.#options.echoEncryptionCertificate ? subscription.encryptionCertificate : null,
      encryptionCertificateId: subscription.encryptionCertificateId,
      notificationUrlAppId: subscription.notificationUrlAppId,
      notificationContentType: subscription.notificationContentType,
    };
  }

  #owned(caller: Caller, id: string): Subscription {
    const subscription = this.find(id);
    if (subscription?.tenantId !== caller.tenantId || subscription.applicationId !== caller.appId)
      throw GraphHttpError.of('notFound');
    return subscription;
  }

  get(caller: Caller, id: string): Subscription {
    return this.#owned(caller, id);
  }

  list(caller: Caller): Subscription[] {
    // App-only callers see their app's subscriptions in their tenant (docs/graph-protocol.md §1.5).
    return this.all().filter(
      (s) => s.tenantId === caller.tenantId && s.applicationId === caller.appId && this.find(s.id) !== undefined,
    );
  }

  // ---- create --------------------------------------------------------------------------------------

  async create(caller: Caller, body: unknown): Promise<Subscription> {
    const draft = this.#draft(caller, body, this.#deps.clock.nowMs());
    this.#admit([draft]);
    // §1.2.8: the handshake runs last, once per URL, even when both URLs are equal (§2).
    await this.#handshake(draft.notificationUrl);
    if (draft.lifecycleNotificationUrl !== null) await this.#handshake(draft.lifecycleNotificationUrl);
    this.#insert(draft);
    return draft;
  }

  /**
   * Dev-only bulk seeding (benchmarks and scale tests): creates many subscriptions of one app in one tenant at
   * once, each checked like `POST /subscriptions` (body, expiry, permission, quotas, duplicates, the handshake
   * once per URL) but without the subscription API's throttling, which is what a benchmark then measures.
   * All or nothing: the first refused body fails the call with its index and nothing is created.
   */
  async seed(caller: Caller, bodies: readonly unknown[]): Promise<Subscription[]> {
    const now = this.#deps.clock.nowMs();
    const numbered = <T>(index: number, step: () => T): T => {
      try {
        return step();
      } catch (error) {
        if (error instanceof GraphHttpError)
          throw new GraphHttpError(
            error.status,
            error.code,
            `subscriptions[${index}]: ${error.message}`,
            error.headers,
          );
        throw error;
      }
    };
    const drafts = bodies.map((body, index) => numbered(index, () => this.#draft(caller, body, now)));
    this.#admit(drafts, (index, check) => {
      numbered(index, check);
    });
    const urls = new Set(
      drafts.flatMap((draft) =>
        draft.lifecycleNotificationUrl === null
          ? [draft.notificationUrl]
          : [draft.notificationUrl, draft.lifecycleNotificationUrl],
      ),
    );
    for (const url of urls) await this.#handshake(url);
    for (const draft of drafts) this.#insert(draft);
    return drafts;
  }

  /** Everything `POST /subscriptions` checks on the body alone: the subscription it would create. */
  #draft(caller: Caller, body: unknown, now: number): Subscription {
    const input = this.#object(body);
    for (const key of Object.keys(input)) {
      if (!CREATE_PROPERTIES.has(key)) {
        throw GraphHttpError.badRequest(
          `The property '${key}' does not exist on type 'microsoft.graph.subscription'. Make sure to only use property names that are defined by the type or mark the type as open type.`,
          'BadRequest',
        );
      }
    }
    // §1.2.1: required fields. The expiry message is the observed one; the others follow its pattern.
    if (input.expirationDateTime === undefined || input.expirationDateTime === null)
      throw GraphHttpError.of('missingExpiration');
    for (const name of ['changeType', 'notificationUrl', 'resource'] as const) {
      if (typeof input[name] !== 'string' || input[name] === '')
        throw GraphHttpError.badRequest(`${name} must be provided with the subscription.`);
    }
    const requestedExpiry = this.#parseInstant(input.expirationDateTime);
    if (
      input.vapidPublicKey !== undefined ||
      input.webPushEncryptionP256dhPublicKey !== undefined ||
      input.webPushEncryptionSecret !== undefined
    ) {
      throw GraphHttpError.badRequest('Web Push properties are only valid for Web Push subscriptions.');
    }
    const notificationUrl = this.#checkUrl(String(input.notificationUrl), 'NotificationUrl');
    const lifecycleNotificationUrl =
      input.lifecycleNotificationUrl === undefined || input.lifecycleNotificationUrl === null
        ? null
        : this.#checkUrl(
            this.#string(input.lifecycleNotificationUrl, 'lifecycleNotificationUrl'),
            'LifecycleNotificationUrl',
          );
    const directory = this.#deps.directory(caller.tenantId);
    if (directory === undefined) throw GraphHttpError.of('notFound');
    const resource = String(input.resource);
    const target = withNotificationQueryOptions(this.#target(resource, directory), input.notificationQueryOptions);
    // §1.2.9: the app needs read permission on the resource (unknown to the simulator for an unknown resource).
    if (target.role !== '' && !caller.roles.includes(target.role)) {
      throw new GraphHttpError(
        403,
        'ExtensionError',
        `Operation: Create; Exception: [Status Code: Forbidden; Reason: The caller lacks the application permission '${target.role}' needed to read '${resource}']`,
      );
    }
    const changeTypes = this.#changeTypes(String(input.changeType), target, resource);
    const clientState =
      input.clientState === undefined || input.clientState === null
        ? null
        : this.#string(input.clientState, 'clientState');
    if (clientState !== null && clientState.length > this.#options.clientStateMaxLength) {
      throw GraphHttpError.badRequest(`clientState must be at most ${this.#options.clientStateMaxLength} characters.`);
    }
    const tls = input.latestSupportedTlsVersion;
    if (tls !== undefined && (typeof tls !== 'string' || !['v1_0', 'v1_1', 'v1_2', 'v1_3'].includes(tls))) {
      throw GraphHttpError.badRequest(
        `'${JSON.stringify(tls)}' is not a valid latestSupportedTlsVersion; use v1_0, v1_1, v1_2 or v1_3.`,
      );
    }
    const includeResourceData = input.includeResourceData === true;
    let certificate: EncryptionCertificate | undefined;
    let encryptionCertificate: string | null = null;
    let encryptionCertificateId: string | null = null;
    if (input.encryptionCertificateId !== undefined && input.encryptionCertificateId !== null) {
      encryptionCertificateId = this.#string(input.encryptionCertificateId, 'encryptionCertificateId');
      if (encryptionCertificateId.length > ENCRYPTION_CERTIFICATE_ID_MAX_LENGTH) {
        throw GraphHttpError.badRequest(
          `encryptionCertificateId must be at most ${ENCRYPTION_CERTIFICATE_ID_MAX_LENGTH} characters.`,
        );
      }
    }
    if (includeResourceData) {
      if (!target.supportsRichData)
        throw GraphHttpError.badRequest(`includeResourceData is not supported for resource '${resource}'.`);
      if (typeof input.encryptionCertificate !== 'string' || input.encryptionCertificate === '') {
        throw GraphHttpError.badRequest('encryptionCertificate must be provided when includeResourceData is true.');
      }
      if (this.#options.requireEncryptionCertificateId && encryptionCertificateId === null) {
        throw GraphHttpError.badRequest('encryptionCertificateId must be provided when includeResourceData is true.');
      }
      certificate = parseEncryptionCertificate(input.encryptionCertificate);
      encryptionCertificate = input.encryptionCertificate;
      // Outlook rich notifications carry only the $select-ed properties, so Graph refuses a resource without one
      // (Outlook change notifications overview; Graph's wording from a field report).
      if (target.family === 'outlook' && target.select === undefined && this.#options.requireSelectForRichOutlook)
        throw GraphHttpError.of('richOutlookNeedsSelect');
    }
    const expirationMs = this.#expiry(requestedExpiry, now, target, includeResourceData);
    // §1.1: Teams resources need a lifecycle URL when the expiry is more than one hour away.
    if (
      target.family === 'teams' &&
      lifecycleNotificationUrl === null &&
      expirationMs - now > TEAMS_LIFECYCLE_URL_REQUIRED_AFTER_MS
    ) {
      throw GraphHttpError.of('teamsLifecycleUrlRequired');
    }
    return {
      id: randomUUID(),
      tenantId: caller.tenantId,
      applicationId: caller.appId,
      creatorId: this.#deps.identity.servicePrincipalId(caller.appId, caller.tenantId),
      resource,
      target,
      changeType: changeTypes.join(','),
      changeTypes,
      notificationUrl,
      lifecycleNotificationUrl,
      expirationMs,
      clientState,
      includeResourceData,
      encryptionCertificate,
      encryptionCertificateId,
      certificate,
      previousCertificate: undefined,
      latestSupportedTlsVersion:
        typeof input.latestSupportedTlsVersion === 'string' ? input.latestSupportedTlsVersion : 'v1_2',
      notificationQueryOptions:
        typeof input.notificationQueryOptions === 'string' ? input.notificationQueryOptions : null,
      notificationUrlAppId: typeof input.notificationUrlAppId === 'string' ? input.notificationUrlAppId : null,
      notificationContentType:
        typeof input.notificationContentType === 'string' ? input.notificationContentType : 'application/json',
      blobStoreUrl:
        input.blobStoreUrl === undefined || input.blobStoreUrl === null
          ? null
          : this.#string(input.blobStoreUrl, 'blobStoreUrl'),
      createdAtMs: now,
      accessTokenExpiresAtMs:
        this.#options.accessTokenLifetimeMs === null ? null : now + this.#options.accessTokenLifetimeMs,
      lastReauthorizedAtMs: undefined,
      lastRenewedAtMs: undefined,
      expiryTimer: undefined,
      challengeTimer: undefined,
    };
  }

  #insert(subscription: Subscription): void {
    this.#subscriptions.set(subscription.id, subscription);
    this.#scheduleTimers(subscription);
    this.#deps.log(
      `subscription ${subscription.id} created on ${subscription.target.canonical} for app ${subscription.applicationId} in tenant ${subscription.tenantId}`,
    );
  }

  #object(body: unknown): Record<string, unknown> {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw GraphHttpError.of('malformedPayload');
    return body as Record<string, unknown>;
  }

  #string(value: unknown, name: string): string {
    if (typeof value !== 'string') throw GraphHttpError.badRequest(`${name} must be a string.`);
    return value;
  }

  #parseInstant(value: unknown): number {
    if (typeof value !== 'string' || !ISO_DATE.test(value)) throw GraphHttpError.of('malformedPayload');
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) throw GraphHttpError.of('malformedPayload');
    return ms;
  }

  #checkUrl(url: string, property: 'NotificationUrl' | 'LifecycleNotificationUrl'): string {
    if (/^(EventHub|EventGrid):/i.test(url)) {
      if (this.#deps.routes === undefined)
        throw GraphHttpError.badRequest(
          `${property} '${url.split(':')[0] ?? ''}:' delivery is not supported by the simulator.`,
        );
      if (this.#deps.routes.accepts(url)) return url;
      // The message Graph gives for a malformed Event Hubs URL ("Receive change notifications through Azure Event Hubs" issues).
      throw GraphHttpError.badRequest(
        `Invalid ${/^EventHub:/i.test(url) ? 'event hub' : 'event grid'} notification url='${url}'.`,
      );
    }
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw GraphHttpError.badRequest(
        `Invalid ${property === 'NotificationUrl' ? 'notification' : 'lifecycle notification'} url='${url}'.`,
      );
    }
    if (parsed.protocol === 'https:') return url;
    if (parsed.protocol === 'http:') {
      if (this.#deps.options.allowHttpLoopback && LOOPBACK_HOSTS.has(parsed.hostname)) return url;
      throw GraphHttpError.badRequest(`${property} scheme='http' is not supported.`);
    }
    throw GraphHttpError.badRequest(
      `Invalid ${property === 'NotificationUrl' ? 'notification' : 'lifecycle notification'} url='${url}'.`,
    );
  }

  #changeTypes(raw: string, target: SubscriptionTarget, resource: string): ChangeType[] {
    const values = raw.split(',').map((v) => v.trim());
    const result: ChangeType[] = [];
    for (const value of values) {
      if (value !== 'created' && value !== 'updated' && value !== 'deleted')
        throw GraphHttpError.badRequest(`'${value}' is not a valid changeType.`);
      if (!target.allowedChangeTypes.includes(value)) {
        throw GraphHttpError.badRequest(
          `The changeType '${value}' is not supported for resource '${resource}'. Supported values: ${target.allowedChangeTypes.join(', ')}.`,
        );
      }
      if (!result.includes(value)) result.push(value);
    }
    return result;
  }

  /** What a resource means; one the simulator does not know is refused unless `acceptUnknownResources`. */
  #target(resource: string, directory: TenantDirectory): SubscriptionTarget {
    try {
      return parseSubscriptionResource(resource, directory);
    } catch (error) {
      if (this.#options.acceptUnknownResources && isUnsupportedResource(error)) return unknownResourceTarget(resource);
      throw error;
    }
  }

  /** §1.3: raise to now+45 min; over the resource maximum, reject (default) or clamp. */
  #expiry(requestedMs: number, now: number, target: SubscriptionTarget, rich: boolean): number {
    const minimum = now + MIN_EXPIRATION_MINUTES * TIME.MINUTE_MS;
    const expiry = Math.max(requestedMs, minimum);
    let maxMinutes: number;
    if (target.family === 'outlook')
      maxMinutes = rich ? OUTLOOK_RICH_MAX_EXPIRATION_MINUTES : this.#options.outlookMaxExpirationMinutes;
    else maxMinutes = this.#options.maxExpirationMinutes[target.expiryClass];
    const maximum = now + maxMinutes * TIME.MINUTE_MS;
    if (expiry <= maximum) return expiry;
    if (this.#options.overMaxExpiration === 'clamp') return maximum;
    throw new GraphHttpError(
      400,
      'ExtensionError',
      `Subscription expiration can only be ${maxMinutes} minutes in the future.`,
    );
  }

  /**
   * Quotas (§1.4) and duplicates for subscriptions about to be created, in order: each counts the live ones and
   * those before it. `check` runs each draft's checks (seeding numbers the refused one).
   */
  #admit(drafts: readonly Subscription[], check: (index: number, run: () => void) => void = runCheck): void {
    const counts = new Map<string, number>();
    const combinations = new Map<string, string>();
    const count = (subscription: Subscription): void => {
      for (const scope of this.#quotaScopes(subscription)) counts.set(scope.key, (counts.get(scope.key) ?? 0) + 1);
      combinations.set(combinationOf(subscription), subscription.id);
    };
    for (const subscription of this.all()) if (this.find(subscription.id) !== undefined) count(subscription);
    for (const [index, draft] of drafts.entries()) {
      check(index, () => {
        for (const scope of this.#quotaScopes(draft)) {
          if ((counts.get(scope.key) ?? 0) >= scope.limit) {
            throw new GraphHttpError(
              403,
              'ExtensionError',
              `Operation: Create; Exception: [Status Code: Forbidden; Reason: Maximum number of subscriptions has been reached. Limit: ${scope.description}]`,
            );
          }
        }
        const duplicate = this.#options.rejectDuplicates ? combinations.get(combinationOf(draft)) : undefined;
        if (duplicate !== undefined)
          throw new GraphHttpError(
            409,
            'Conflict',
            `Subscription Id ${duplicate} already exists for the requested combination`,
          );
      });
      count(draft);
    }
  }

  /** The quota scopes (§1.4) a subscription counts against, in the order Graph checks them. */
  #quotaScopes({
    applicationId: app,
    tenantId: tenant,
    target,
  }: Subscription): { key: string; limit: number; description: string }[] {
    const quotas = this.#options.quotas;
    switch (target.family) {
      // SharePoint lists and To Do tasks: the simulator enforces no quota of their own.
      case 'collection':
        return [];
      case 'directory':
        return [
          {
            key: `directory|${app}|${tenant}`,
            limit: quotas.directoryPerAppAndTenant,
            description: `${quotas.directoryPerAppAndTenant} per app and tenant`,
          },
          {
            key: `directory|tenant|${tenant}`,
            limit: quotas.directoryPerTenant,
            description: `${quotas.directoryPerTenant} per tenant`,
          },
          {
            key: `directory|app|${app}`,
            limit: quotas.directoryPerApp,
            description: `${quotas.directoryPerApp} per app`,
          },
        ];
      case 'outlook':
        return [
          {
            key: `outlook|${tenant}|${target.userId ?? ''}`,
            limit: quotas.outlookPerMailbox,
            description: `${quotas.outlookPerMailbox} per mailbox`,
          },
        ];
      case 'teams':
        return [
          {
            key: `teams|${tenant}`,
            limit: quotas.teamsPerTenant,
            description: `${quotas.teamsPerTenant} Teams subscriptions per organization`,
          },
          ...(target.kind === 'chatMessages'
            ? [
                {
                  key: `chat|${app}|${tenant}|${target.chatId ?? ''}`,
                  limit: quotas.chatMessagePerAppAndChat,
                  description: `${quotas.chatMessagePerAppAndChat} per app and chat`,
                },
              ]
            : []),
        ];
      case 'drive':
        return [
          {
            key: `drive|${app}|${target.driveId ?? ''}`,
            limit: quotas.driveRootPerAppAndDrive,
            description: `${quotas.driveRootPerAppAndDrive} per app and drive`,
          },
        ];
    }
  }

  /** §2: POST `{url}?validationToken=...` as text/plain; 200 + the decoded token within 10 s, or a 400 with the documented text. */
  async #handshake(url: string): Promise<void> {
    // No handshake on the Event Grid and Event Hubs routes (docs/graph-protocol.md §14).
    if (this.#deps.routes?.accepts(url) === true) {
      this.#deps.routes.prepare(url);
      return;
    }
    if (this.#options.cacheValidatedUrls && this.#validatedUrls.has(url)) return;
    if (this.#deps.faults.takeRule('handshake', 'POST', url)?.action === 'timeout')
      throw GraphHttpError.of('validationTimedOut');
    const token = `Validation: Testing client application reachability for subscription Request-Id: ${randomUUID()}`;
    const target = `${url}${url.includes('?') ? '&' : '?'}validationToken=${encodeURIComponent(token)}`;
    let response: Response;
    let text: string;
    try {
      response = await this.#deps.options.fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: '',
        signal: AbortSignal.timeout(this.#options.handshakeTimeoutMs),
      });
      text = await response.text();
    } catch (error) {
      if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
        throw GraphHttpError.of('validationTimedOut');
      throw GraphHttpError.of('validationConnection');
    }
    if (response.status !== 200) throw GraphHttpError.of('validationNot200');
    if (text !== token) throw GraphHttpError.of('validationMismatch');
    if (
      this.#options.requireTextPlainValidationResponse &&
      !(response.headers.get('content-type') ?? '').toLowerCase().startsWith('text/plain')
    ) {
      throw GraphHttpError.badRequest(
        'Subscription validation request failed. Notification endpoint must respond with Content-Type text/plain.',
      );
    }
    this.#validatedUrls.add(url);
  }

  // ---- update, delete, reauthorize ---------------------------------------------------------------

  async update(caller: Caller, id: string, body: unknown): Promise<Subscription> {
    const subscription = this.#owned(caller, id);
    const input = this.#object(body);
    const now = this.#deps.clock.nowMs();
    if (input.lifecycleNotificationUrl !== undefined) {
      throw GraphHttpError.badRequest(
        'lifecycleNotificationUrl cannot be updated. Delete the subscription and create a new one.',
      );
    }
    for (const key of Object.keys(input)) {
      if (!PATCH_PROPERTIES.has(key))
        throw GraphHttpError.badRequest(`Property '${key}' cannot be updated on a subscription.`);
    }
    const hasExpiry = input.expirationDateTime !== undefined && input.expirationDateTime !== null;
    const hasUrl = typeof input.notificationUrl === 'string' && input.notificationUrl !== '';
    if (!hasExpiry && !hasUrl) throw GraphHttpError.of('patchNeedsExpiryOrUrl');
    const expirationMs = hasExpiry
      ? this.#expiry(
          this.#parseInstant(input.expirationDateTime),
          now,
          subscription.target,
          subscription.includeResourceData,
        )
      : subscription.expirationMs;
    const notificationUrl = hasUrl
      ? this.#checkUrl(String(input.notificationUrl), 'NotificationUrl')
      : subscription.notificationUrl;
    let certificate = subscription.certificate;
    if (input.encryptionCertificate !== undefined && input.encryptionCertificate !== null) {
      certificate = parseEncryptionCertificate(this.#string(input.encryptionCertificate, 'encryptionCertificate'));
    }
    const urlChanged = notificationUrl !== subscription.notificationUrl;
    if ((urlChanged && this.#options.validateOnUrlChange) || this.#options.validateOnRenew)
      await this.#handshake(notificationUrl);
    if (
      this.#options.recordReauthorizeRenewConflicts &&
      subscription.lastReauthorizedAtMs !== undefined &&
      now - subscription.lastReauthorizedAtMs < REAUTHORIZE_RENEW_CONFLICT_WINDOW_MS
    ) {
      this.#anomaly(
        subscription,
        'PATCH within 10 minutes of a reauthorize (docs/graph-protocol.md §1.5): the subscription state may be inconsistent in Graph.',
      );
    }
    subscription.expirationMs = expirationMs;
    const previousUrl = subscription.notificationUrl;
    subscription.notificationUrl = notificationUrl;
    if (certificate !== subscription.certificate) {
      if (subscription.certificate !== undefined && this.#options.oldCertificateOverlapMs > 0)
        subscription.previousCertificate = {
          certificate: subscription.certificate,
          id: subscription.encryptionCertificateId ?? '',
          untilMs: now + this.#options.oldCertificateOverlapMs,
        };
      subscription.certificate = certificate;
      subscription.encryptionCertificate = String(input.encryptionCertificate);
    }
    if (typeof input.encryptionCertificateId === 'string')
      subscription.encryptionCertificateId = input.encryptionCertificateId;
    subscription.lastRenewedAtMs = now;
    // A PATCH renews and reauthorizes (docs/graph-protocol.md §1.5, §12).
    this.#refreshAccessToken(subscription, now);
    this.#scheduleTimers(subscription);
    this.#deps.dispatcher.kick(previousUrl);
    this.#deps.dispatcher.kick(notificationUrl);
    return subscription;
  }

  async reauthorize(caller: Caller, id: string): Promise<void> {
    const subscription = this.#owned(caller, id);
    const now = this.#deps.clock.nowMs();
    if (this.#options.validateOnReauthorize) await this.#handshake(subscription.notificationUrl);
    if (
      this.#options.recordReauthorizeRenewConflicts &&
      subscription.lastRenewedAtMs !== undefined &&
      now - subscription.lastRenewedAtMs < REAUTHORIZE_RENEW_CONFLICT_WINDOW_MS
    ) {
      this.#anomaly(
        subscription,
        'reauthorize within 10 minutes of a PATCH (docs/graph-protocol.md §1.5): the subscription state may be inconsistent in Graph.',
      );
    }
    subscription.lastReauthorizedAtMs = now;
    this.#refreshAccessToken(subscription, now);
    this.#scheduleTimers(subscription);
    this.#deps.dispatcher.kick(subscription.notificationUrl);
  }

  delete(caller: Caller, id: string): void {
    const subscription = this.#owned(caller, id);
    this.#remove(subscription, 'subscription deleted');
  }

  #anomaly(subscription: Subscription, message: string): void {
    this.#anomalies.push({
      at: new Date(this.#deps.clock.nowMs()).toISOString(),
      subscriptionId: subscription.id,
      message,
    });
    this.#deps.log(`anomaly on subscription ${subscription.id}: ${message}`);
  }

  #refreshAccessToken(subscription: Subscription, now: number): void {
    subscription.accessTokenExpiresAtMs =
      this.#options.accessTokenLifetimeMs === null ? null : now + this.#options.accessTokenLifetimeMs;
  }

  #remove(subscription: Subscription, reason: string): void {
    subscription.expiryTimer?.cancel();
    subscription.challengeTimer?.cancel();
    this.#subscriptions.delete(subscription.id);
    this.#deps.dispatcher.abandonSubscription(subscription.id, reason);
  }

  #expire(subscription: Subscription): void {
    this.#deps.log(`subscription ${subscription.id} expired`);
    this.#remove(subscription, 'subscription expired');
  }

  // ---- timers: expiry reaper and reauthorizationRequired schedule --------------------------------

  #scheduleTimers(subscription: Subscription): void {
    subscription.expiryTimer?.cancel();
    subscription.expiryTimer = this.#deps.clock.schedule(subscription.expirationMs, `expire ${subscription.id}`, () => {
      if (this.#subscriptions.get(subscription.id) === subscription) this.#expire(subscription);
    });
    this.#scheduleChallenge(subscription, this.#deps.clock.nowMs());
  }

  /**
   * §4.3: challenges start 3 h before the earlier of token lapse and subscription expiry, then every 15 min
   * until that instant; never sooner than one interval after the last reset. Without a lifecycle URL there are none.
   */
  #scheduleChallenge(subscription: Subscription, fromMs: number): void {
    subscription.challengeTimer?.cancel();
    subscription.challengeTimer = undefined;
    const schedule = this.#lifecycle.reauthorization;
    if (schedule === false || subscription.lifecycleNotificationUrl === null) return;
    const deadline = Math.min(
      subscription.expirationMs,
      subscription.accessTokenExpiresAtMs ?? Number.POSITIVE_INFINITY,
    );
    const at = Math.max(deadline - schedule.firstLeadMs, fromMs + schedule.intervalMs);
    if (at >= deadline) return;
    subscription.challengeTimer = this.#deps.clock.schedule(at, `reauthorizationRequired ${subscription.id}`, () => {
      if (this.#subscriptions.get(subscription.id) !== subscription) return;
      this.sendLifecycle(subscription, 'reauthorizationRequired');
      this.#scheduleChallenge(subscription, at);
    });
  }

  // ---- lifecycle notifications -------------------------------------------------------------------

  /**
   * Sends a lifecycle event to the subscription's lifecycle URL (docs/graph-protocol.md §4). `subscriptionRemoved` also
   * removes the subscription, as the service does. Returns undefined when there is no lifecycle URL.
   */
  sendLifecycle(
    subscription: Subscription,
    event: LifecycleEvent,
    variant: 'tenantId' | 'organizationId' = this.#lifecycle.payloadVariant,
  ): NotificationRecord | undefined {
    if (event === 'subscriptionRemoved') this.#remove(subscription, 'subscription removed by the service');
    const url = subscription.lifecycleNotificationUrl;
    if (url === null) return undefined;
    const name = event === 'subscriptionRemoved' ? this.#lifecycle.removedEventName : event;
    const expiration = graphInstant(subscription.expirationMs);
    const payload: JsonObject =
      variant === 'tenantId'
        ? {
            subscriptionId: subscription.id,
            subscriptionExpirationDateTime: expiration,
            tenantId: subscription.tenantId,
            clientState: subscription.clientState,
            lifecycleEvent: name,
          }
        : {
            // Exchange's 2026 shape (docs/graph-protocol.md §4.2): organizationId instead of tenantId, plus resource fields.
            subscriptionId: subscription.id,
            subscriptionExpirationDateTime: expiration,
            organizationId: subscription.tenantId,
            clientState: subscription.clientState,
            lifecycleEvent: name,
            resource: `Subscriptions/${subscription.id}`,
            resourceChangeType: null,
            encryptedContent: null,
            resourceData: {
              '@odata.id': `subscriptions/${subscription.id}`,
              '@odata.type': '#microsoft.graph.subscription',
              id: subscription.id,
            },
          };
    return this.#deps.dispatcher.enqueue({
      kind: 'lifecycle',
      subscriptionId: subscription.id,
      tenantId: subscription.tenantId,
      appId: subscription.applicationId,
      url,
      payload,
      // validationTokens belong to POSTs of change notifications with resource data (changeNotificationCollection
      // page); a field report saw them on lifecycle POSTs, which `validationTokensOnLifecycle` reproduces.
      rich: subscription.includeResourceData && this.#lifecycle.validationTokensOnLifecycle,
      lifecycleEvent: name,
    });
  }

  /**
   * A dropped change notification of an Outlook subscription may earn a `missed` (with the configured
   * probability, at most one per 10 minutes); other resources never get one (lifecycle events page).
   * Returns whether a `missed` was sent for this drop.
   */
  onDropped(record: NotificationRecord): boolean {
    if (record.kind !== 'change') return false;
    const subscription = this.find(record.subscriptionId);
    if (subscription?.target.family !== 'outlook' || subscription.lifecycleNotificationUrl === null) return false;
    const now = this.#deps.clock.nowMs();
    const last = this.#lastMissedAtMs.get(subscription.id);
    if (last !== undefined && now - last < MISSED_MIN_INTERVAL_MS) return false;
    if (!this.#deps.faults.random.chance(this.#lifecycle.missedOnDropProbability)) return false;
    this.#lastMissedAtMs.set(subscription.id, now);
    this.sendLifecycle(subscription, 'missed');
    return true;
  }

  /** `missed` exists only for Outlook messages, events and contacts (lifecycle events page). */
  supportsMissed(subscription: Subscription): boolean {
    return subscription.target.family === 'outlook';
  }

  /** Spontaneous removals and misses at the configured hourly rates (fault injection), evaluated each virtual hour. */
  injectRandomLifecycleEvents(): void {
    const faults = this.#deps.faults.options;
    for (const subscription of this.all()) {
      if (this.find(subscription.id) === undefined) continue;
      const removable =
        subscription.target.family === 'outlook' ||
        subscription.target.kind === 'chatMessages' ||
        subscription.target.kind === 'allChatMessages';
      if (removable && this.#deps.faults.random.chance(faults.subscriptionRemovedPerHour)) {
        this.sendLifecycle(subscription, 'subscriptionRemoved');
      } else if (subscription.target.family === 'outlook' && this.#deps.faults.random.chance(faults.missedPerHour)) {
        this.sendLifecycle(subscription, 'missed');
      }
    }
  }

  // ---- change fan-out ----------------------------------------------------------------------------

  /** Whether an app-catalog subscription's app is installed in the chat or meeting `change` belongs to. */
  #installedIn(change: ChangeEvent, teamsAppId: string): boolean {
    const chatId = installationChatOf(change);
    const directory = this.#deps.directory(change.tenantId);
    return chatId !== undefined && directory !== undefined && isTeamsAppInstalled(directory, chatId, teamsAppId);
  }

  /** Whether a `users/{id}/chats/getAllMessages` subscription's user is a member of the chat of `change`. */
  #memberOfChat(change: ChangeEvent, userId: string): boolean {
    const directory = this.#deps.directory(change.tenantId);
    return directory?.isChatMember(change.owner.chatId ?? '', userId) === true;
  }

  /** Turns one directory change into notifications for every matching subscription of its tenant. */
  onChange(change: ChangeEvent): void {
    for (const subscription of this.all()) {
      if (subscription.tenantId !== change.tenantId || this.find(subscription.id) === undefined) continue;
      const changeType = notifiedChangeType(subscription.target, change);
      const folderId = subscription.target.driveFolderId;
      if (
        folderId !== undefined &&
        !this.#deps
          .directory(change.tenantId)
          ?.isInDriveFolder(change.owner.driveId ?? '', change.after ?? change.before, folderId)
      )
        continue;
      if (changeType === undefined || !subscription.changeTypes.includes(changeType)) continue;
      const teamsAppId = subscription.target.teamsAppId;
      if (teamsAppId !== undefined && !this.#installedIn(change, teamsAppId)) continue;
      const chatMemberId = subscription.target.chatMemberId;
      if (chatMemberId !== undefined && !this.#memberOfChat(change, chatMemberId)) continue;
      const rich = subscription.includeResourceData && subscription.certificate !== undefined;
      const subject = notificationSubject(
        subscription.target,
        change,
        rich,
        ++this.#sequence,
        this.#deps.options.notificationShapes,
      );
      const outlook = subscription.target.family === 'outlook';
      const payload: JsonObject = {
        // Only Outlook's examples carry a notification id (docs/graph-protocol.md §3.3); receivers must not rely on it.
        ...(outlook ? { id: randomUUID().replaceAll('-', '').slice(0, 13) } : {}),
        subscriptionId: subscription.id,
        subscriptionExpirationDateTime: graphInstant(subscription.expirationMs, '+00:00'),
        changeType,
        resource: subject.resource,
        ...(subscription.clientState === null ? {} : { clientState: subscription.clientState }),
        tenantId: subscription.tenantId,
        resourceData: subject.resourceData,
      };
      if (rich && subscription.certificate !== undefined && change.changeType !== 'deleted') {
        // After a rotation Graph may keep encrypting with the old certificate for a while (rich-notifications page).
        const previous = subscription.previousCertificate;
        const overlapping = previous !== undefined && this.#deps.clock.nowMs() < previous.untilMs;
        payload.encryptedContent = encryptResourceData(
          overlapping ? previous.certificate : subscription.certificate,
          overlapping ? previous.id : (subscription.encryptionCertificateId ?? ''),
          richPayload(subscription.target, change),
        );
      }
      this.#deps.dispatcher.enqueue({
        kind: 'change',
        subscriptionId: subscription.id,
        tenantId: subscription.tenantId,
        appId: subscription.notificationUrlAppId ?? subscription.applicationId,
        url: subscription.notificationUrl,
        payload,
        rich,
        changeType,
        resource: subject.resource,
        changeSeq: change.seq,
        latencyOf: subscription.target.expiryClass,
        ...(change.hints.reorderWindowMs === undefined
          ? {}
          : { delayMs: this.#deps.faults.random.int(change.hints.reorderWindowMs) }),
        ...(change.hints.duplicateRatio === undefined ? {} : { duplicateRatio: change.hints.duplicateRatio }),
      });
    }
  }

  /** Clears the validation cache (tests of `cacheValidatedUrls`). */
  forgetValidatedUrls(): void {
    this.#validatedUrls.clear();
  }
}
