/**
 * The simulator's options: one object, validated and frozen once by `resolveOptions`. Defaults follow the
 * newest documented behaviour in docs/graph-protocol.md; every disagreement listed in its §13 is an option here
 * (the docs table in docs/graph-simulator.md maps them). Leniency is opt-in.
 */
import {
  CLIENT_STATE_MAX_LENGTH,
  DEFAULT_PAGE_SIZE,
  DELTA_TOKEN_LIFETIME_MS,
  DUPLICATE_DELIVERY_RATIO,
  ENDPOINT_THROTTLE,
  FIRST_ATTEMPT_TIMEOUT_MS,
  LATE_NOTIFICATION_SHARE,
  MAX_EXPIRATION_MINUTES,
  MISSED_ON_DROP_PROBABILITY,
  NOTIFICATION_LATENCY_MS,
  READ_LIMITS,
  OLD_CERTIFICATE_OVERLAP_MS,
  REAUTHORIZATION_FIRST_LEAD_MS,
  REAUTHORIZATION_INTERVAL_MS,
  REORDER_WINDOW_MS,
  RETRY_ATTEMPT_TIMEOUT_MS,
  RETRY_SCHEDULE_MS,
  RETRY_WINDOW_MS,
  SUBSCRIPTION_ACCESS_TOKEN_LIFETIME_MS,
  SUBSCRIPTION_QUOTAS,
  VALIDATION_TIMEOUT_MS,
  VALIDATION_TOKEN_LIFETIME_SECONDS,
} from './limits.js';
import type { SimClockOptions } from './simClock.js';
import type { AppRegistration, TenantSeed } from './model.js';
import type { FaultOptions } from './faults.js';
import type { ExpiryClass } from './resources.js';

export interface EndpointThrottleOptions {
  windowMs: number;
  /** Share of responses slower than the first-attempt timeout that flags the URL slow (§3.7). */
  slowRatio: number;
  /** Share of responses slower than the retry timeout that flags the URL for dropping (§3.7). */
  dropRatio: number;
  /** Delay of new notifications while slow: 10 min (2023, 2026) or 10 s (~2024), §13.3. */
  slowDelayMs: number;
  dropDurationMs: number;
  /** Notification deliveries in the window before ratios count: 0 (2026 page, default) or 100 (2023 rule). */
  minSamples: number;
}

/** Latency of one resource kind: most notifications come within twice the average, a share late up to the maximum. */
export interface ResourceLatency {
  averageMs: number;
  maxMs: number;
}

export interface LatencyOptions {
  /**
   * Multiplies every latency: 1 (default) is Graph's documented latency, 0 sends at once; tests shrink time with
   * a small factor (0.001 turns a drive's 6 hours into 21.6 s).
   */
  scale: number;
  /** Latency per resource kind, before `scale` (default `NOTIFICATION_LATENCY_MS`, the subscription page's table). */
  byResource: { -readonly [K in ExpiryClass]: ResourceLatency };
  /** Share of change notifications that take the late tail, between the average and the maximum. */
  lateShare: number;
}

export interface GraphSimulatorOptions {
  clock?: SimClockOptions;
  /** Seed of the pseudo-random generator behind faults and the workload generator. */
  seed?: number;
  /** Accept `http://` notification and lifecycle URLs whose host is loopback (dev only; Graph requires https). */
  allowHttpLoopback?: boolean;
  /** Outbound HTTP for handshakes and deliveries; defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Tenants to create at start. A tenant with no id gets a random GUID. */
  tenants?: TenantSeed[];
  /** App registrations to create at start. */
  apps?: AppRegistration[];
  /** Create the demo tenant, app and resources (see demoTenant.ts). */
  seedDemo?: boolean;
  /** PKCS#8 PEM of the RSA key that signs access and validation tokens; generated when absent. */
  signingKeyPem?: string;
  subscriptions?: Partial<Omit<SubscriptionOptions, 'quotas' | 'maxExpirationMinutes'>> & {
    /** Override single quotas, e.g. `{ directoryPerAppAndTenant: 1 }`. */
    quotas?: Partial<SubscriptionOptions['quotas']>;
    /** Override single maxima (minutes), e.g. `{ user: 90 }` for short-lived test subscriptions. */
    maxExpirationMinutes?: Partial<SubscriptionOptions['maxExpirationMinutes']>;
  };
  delivery?: DeliveryOverrides;
  lifecycle?: Partial<LifecycleOptions>;
  validationTokens?: Partial<ValidationTokenOptions>;
  tokens?: Partial<TokenOptions>;
  batch?: Partial<BatchOptions>;
  delta?: Partial<DeltaOptions>;
  faults?: Partial<FaultOptions>;
  notificationShapes?: Partial<NotificationShapeOptions>;
  /**
   * Graph's per-service read limits (`READ_LIMITS`, the service-specific throttling page): over a limit a GET
   * answers 429 with Retry-After. Partial overrides per limit; `false` turns them all off.
   */
  readLimits?: Partial<ReadLimits> | false;
  /** Receives one line per notable event (never secrets or resource content). */
  log?: (line: string) => void;
}

/** How Graph spells the resources it names in change notifications, where its pages show more than one form. */
export interface NotificationShapeOptions {
  /**
   * The mailbox owner in basic Outlook notifications (messages, events, contacts): `userAtTenant`
   * (`Users/{user-guid}@{tenant-guid}/Messages/{id}`, default: the example of Microsoft's "Receive change
   * notifications through webhooks" page) or `userId` (`Users/{user-guid}/Messages/{id}`, older payloads).
   */
  outlookOwner: 'userAtTenant' | 'userId';
}

/** What `GraphSimulatorOptions.delivery` accepts: any field of `DeliveryOptions`, nested ones partially. */
export type DeliveryOverrides = Partial<Omit<DeliveryOptions, 'endpointThrottle' | 'latency'>> & {
  endpointThrottle?: Partial<EndpointThrottleOptions> | false;
  latency?: Partial<Omit<LatencyOptions, 'byResource'>> & { byResource?: Partial<LatencyOptions['byResource']> };
};

/**
 * Delivery for a test whose claim is about exact counts: every change notification exactly once, in order, with
 * no latency. Graph promises none of this (webhooks delivery page); a test that can live with realism keeps the
 * defaults. Use as `{ delivery: EXACT_DELIVERY }`.
 */
export const EXACT_DELIVERY: Readonly<DeliveryOverrides> = Object.freeze({
  duplicateRatio: 0,
  reorderWindowMs: 0,
  latency: Object.freeze({ scale: 0 }),
});

export interface SubscriptionOptions {
  /** 128 (v1.0 subscription page, default) or 255 (beta and changeNotification pages), §13.1. */
  clientStateMaxLength: number;
  /**
   * Refuse rich (includeResourceData) subscriptions on Outlook messages, events and contacts whose resource
   * has no `$select` (default, as Graph does); `false` accepts them and encrypts every property.
   */
  requireSelectForRichOutlook: boolean;
  /** 10,080 (2026, default) or 4,230 (older docs), §13.7. */
  outlookMaxExpirationMinutes: number;
  /** Over-maximum expiry: `reject` with ExtensionError (observed, announced by the docs) or `clamp`, §13.8. */
  overMaxExpiration: 'reject' | 'clamp';
  /** Require encryptionCertificateId with includeResourceData (beta page, guide), §13.6. */
  requireEncryptionCertificateId: boolean;
  /** 409 on a second subscription with the same changeType+resource for the same app and tenant, §13.9. */
  rejectDuplicates: boolean;
  /** Run the handshake again on PATCH of notificationUrl (recommended), on every renew, on reauthorize (§13.5). */
  validateOnUrlChange: boolean;
  validateOnRenew: boolean;
  validateOnReauthorize: boolean;
  /** Skip the handshake for a URL that was validated before (field reports, §2); off by default. */
  cacheValidatedUrls: boolean;
  /** Fail validation when the reply's Content-Type is not text/plain (docs ask for it, failure text unknown). */
  requireTextPlainValidationResponse: boolean;
  /** Echo encryptionCertificate in responses (Outlook example) or return null (rich example), §13.16. */
  echoEncryptionCertificate: boolean;
  /**
   * How long Graph keeps encrypting with the previous certificate after a PATCH rotates it (the rich-notifications
   * page: "the old certificate might still be used for encryption for some time"); 0 switches at once.
   */
  oldCertificateOverlapMs: number;
  handshakeTimeoutMs: number;
  /** Lifetime of the access token behind a subscription; deliveries pause when it lapses (null: never lapses). */
  accessTokenLifetimeMs: number | null;
  /**
   * Pause subscriptions without a lifecycle URL too when their access token lapses (default): Graph stops delivering
   * whatever the subscription; without a lifecycle URL it just cannot say so. `false`: only those with one pause.
   */
  pauseWithoutLifecycleUrl: boolean;
  maxExpirationMinutes: { -readonly [K in keyof typeof MAX_EXPIRATION_MINUTES]: number };
  quotas: { -readonly [K in keyof typeof SUBSCRIPTION_QUOTAS]: number };
  /** Answer 429 when the subscription API's own per-20-s limits are exceeded (§1.7). */
  enforceApiLimits: boolean;
  /**
   * Accept a subscription to a resource the simulator does not know (default `false`: refused with 400, as Graph
   * refuses what it does not support). Its items are created with the `unknownItem` mutation in the collection
   * the resource names and notified as `{collection}/{id}`, so an app's handling of resources it does not list
   * (graph-notify's `unlisted`) can be exercised.
   */
  acceptUnknownResources: boolean;
  /** Record a reauthorize and a PATCH within 10 minutes of each other as an anomaly (§1.5). */
  recordReauthorizeRenewConflicts: boolean;
}

export interface DeliveryOptions {
  firstAttemptTimeoutMs: number;
  retryTimeoutMs: number;
  retryWindowMs: number;
  /** Delays between attempts; the last entry repeats until the retry window closes. */
  retryScheduleMs: readonly number[];
  maxBatchSize: number;
  maxConcurrentPerUrl: number;
  /**
   * Share of change notifications delivered twice, the copy later (the webhooks delivery page: delivery is at
   * least once, a receiver must expect duplicates). Default `DUPLICATE_DELIVERY_RATIO` (5 %).
   */
  duplicateRatio: number;
  /**
   * Upper bound (virtual ms) of a random extra delay per change notification, so notifications arrive in no
   * particular order (the webhooks delivery page). Default `REORDER_WINDOW_MS` (10 s).
   */
  reorderWindowMs: number;
  /** Virtual delay between a change and its notification, per resource kind (Graph's latency table, §3.8). */
  latency: LatencyOptions;
  endpointThrottle: EndpointThrottleOptions | false;
  /**
   * Change notifications of a subscription whose access token has lapsed: `lost` (default; the lifecycle
   * events page) or `held` and delivered after a reauthorize or renew, for up to the 4-hour retry window
   * (the webhooks delivery page).
   */
  whilePaused: 'lost' | 'held';
}

export interface LifecycleOptions {
  /** `tenantId` (documented) or `organizationId` (field reports, §4.2, §13.10). */
  payloadVariant: 'tenantId' | 'organizationId';
  /** `subscriptionRemoved` (v1.0) or `removed` (old beta page), §13.14. */
  removedEventName: 'subscriptionRemoved' | 'removed';
  /** reauthorizationRequired schedule (§4.3); false disables the challenges. */
  reauthorization: { firstLeadMs: number; intervalMs: number } | false;
  /**
   * Probability that a dropped change notification of an Outlook subscription earns a `missed` (at most one
   * per subscription in 10 minutes). Graph does not promise it; users, groups, drives and Teams never get one.
   */
  missedOnDropProbability: number;
  /** Put `validationTokens` on lifecycle POSTs of rich subscriptions too (field report, §3.2); off by default. */
  validationTokensOnLifecycle: boolean;
}

export interface ValidationTokenOptions {
  /**
   * v2 `https://login.microsoftonline.com/{tenantId}/v2.0` with `azp` (default, the documented example token)
   * or v1 `https://sts.windows.net/{tenantId}/` with `appid` (what the samples check).
   */
  issuer: 'v1' | 'v2';
  v1IssuerTemplate: string;
  v2IssuerTemplate: string;
  lifetimeSeconds: number;
}

export interface TokenOptions {
  /**
   * Which clock judges token lifetimes (iat/nbf/exp of access and validation tokens). `wall` (default) keeps
   * MSAL's wall-clock token cache and a receiver's wall-clock verifier in step while tests jump virtual days.
   */
  clock: 'wall' | 'virtual';
  accessTokenLifetimeSeconds: number;
}

export interface BatchOptions {
  /** Graph may answer in any order (§7); shuffling catches clients that assume request order. */
  shuffleResponses: boolean;
  /** Envelope status when an inner request was throttled: 200 (batching guide) or 424 (throttling guide), §13.13. */
  throttledEnvelopeStatus: 200 | 424;
}

export interface DeltaOptions {
  tokenLifetimeMs: number;
  /**
   * An expired users or groups delta token: `badRequest` (default) answers 400 `syncStateNotFound` without a
   * Location (Microsoft 365 Dev blog on directory change-tracking tokens); `gone` answers 410 + Location like a reset.
   */
  expiredDirectoryToken: 'badRequest' | 'gone';
  pageSize: number;
}

/** A read limit: `limit` requests in a sliding window of `windowMs` wall-clock milliseconds. */
export interface ReadLimit {
  limit: number;
  windowMs: number;
}

export type ReadLimits = { -readonly [K in keyof typeof READ_LIMITS]: ReadLimit };

export interface ResolvedOptions {
  clock: SimClockOptions;
  seed: number;
  allowHttpLoopback: boolean;
  fetch: typeof fetch;
  tenants: TenantSeed[];
  apps: AppRegistration[];
  seedDemo: boolean;
  signingKeyPem: string | undefined;
  subscriptions: SubscriptionOptions;
  delivery: DeliveryOptions;
  lifecycle: LifecycleOptions;
  validationTokens: ValidationTokenOptions;
  tokens: TokenOptions;
  batch: BatchOptions;
  delta: DeltaOptions;
  faults: Partial<FaultOptions>;
  notificationShapes: NotificationShapeOptions;

  readLimits: ReadLimits | false;
  log: (line: string) => void;
}

function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0))
    throw new TypeError(`graph simulator option ${name} must be a positive number`);
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!(Number.isFinite(value) && value >= 0))
    throw new TypeError(`graph simulator option ${name} must be a number of at least 0`);
  return value;
}

function resolveLatency(latency: NonNullable<DeliveryOverrides['latency']>): LatencyOptions {
  const byResource = { ...NOTIFICATION_LATENCY_MS, ...latency.byResource };
  for (const [kind, { averageMs, maxMs }] of Object.entries(byResource)) {
    nonNegative(`delivery.latency.byResource.${kind}.averageMs`, averageMs);
    if (!(maxMs >= averageMs))
      throw new TypeError(
        `graph simulator option delivery.latency.byResource.${kind}.maxMs must be at least averageMs`,
      );
  }
  return Object.freeze({
    scale: nonNegative('delivery.latency.scale', latency.scale ?? 1),
    byResource,
    lateShare: ratio('delivery.latency.lateShare', latency.lateShare ?? LATE_NOTIFICATION_SHARE),
  });
}

function ratio(name: string, value: number): number {
  if (!(value >= 0 && value <= 1)) throw new TypeError(`graph simulator option ${name} must be between 0 and 1`);
  return value;
}

export function resolveOptions(options: GraphSimulatorOptions = {}): ResolvedOptions {
  const sub = options.subscriptions ?? {};
  const subscriptions: SubscriptionOptions = {
    clientStateMaxLength: positive(
      'subscriptions.clientStateMaxLength',
      sub.clientStateMaxLength ?? CLIENT_STATE_MAX_LENGTH,
    ),
    requireSelectForRichOutlook: sub.requireSelectForRichOutlook ?? true,
    outlookMaxExpirationMinutes: positive(
      'subscriptions.outlookMaxExpirationMinutes',
      sub.outlookMaxExpirationMinutes ?? MAX_EXPIRATION_MINUTES.message,
    ),
    overMaxExpiration: sub.overMaxExpiration ?? 'reject',
    requireEncryptionCertificateId: sub.requireEncryptionCertificateId ?? true,
    rejectDuplicates: sub.rejectDuplicates ?? true,
    validateOnUrlChange: sub.validateOnUrlChange ?? true,
    validateOnRenew: sub.validateOnRenew ?? true,
    validateOnReauthorize: sub.validateOnReauthorize ?? true,
    cacheValidatedUrls: sub.cacheValidatedUrls ?? false,
    requireTextPlainValidationResponse: sub.requireTextPlainValidationResponse ?? false,
    echoEncryptionCertificate: sub.echoEncryptionCertificate ?? false,
    oldCertificateOverlapMs: nonNegative(
      'subscriptions.oldCertificateOverlapMs',
      sub.oldCertificateOverlapMs ?? OLD_CERTIFICATE_OVERLAP_MS,
    ),
    handshakeTimeoutMs: positive('subscriptions.handshakeTimeoutMs', sub.handshakeTimeoutMs ?? VALIDATION_TIMEOUT_MS),
    accessTokenLifetimeMs:
      sub.accessTokenLifetimeMs === undefined ? SUBSCRIPTION_ACCESS_TOKEN_LIFETIME_MS : sub.accessTokenLifetimeMs,
    pauseWithoutLifecycleUrl: sub.pauseWithoutLifecycleUrl ?? true,
    maxExpirationMinutes: { ...MAX_EXPIRATION_MINUTES, ...sub.maxExpirationMinutes },
    quotas: { ...SUBSCRIPTION_QUOTAS, ...sub.quotas },
    recordReauthorizeRenewConflicts: sub.recordReauthorizeRenewConflicts ?? true,
    enforceApiLimits: sub.enforceApiLimits ?? true,
    acceptUnknownResources: sub.acceptUnknownResources ?? false,
  };
  const del = options.delivery ?? {};
  const throttle = del.endpointThrottle === false ? false : { ...ENDPOINT_THROTTLE, ...del.endpointThrottle };
  if (throttle !== false) {
    ratio('delivery.endpointThrottle.slowRatio', throttle.slowRatio);
    ratio('delivery.endpointThrottle.dropRatio', throttle.dropRatio);
  }
  const delivery: DeliveryOptions = {
    firstAttemptTimeoutMs: positive(
      'delivery.firstAttemptTimeoutMs',
      del.firstAttemptTimeoutMs ?? FIRST_ATTEMPT_TIMEOUT_MS,
    ),
    retryTimeoutMs: positive('delivery.retryTimeoutMs', del.retryTimeoutMs ?? RETRY_ATTEMPT_TIMEOUT_MS),
    retryWindowMs: positive('delivery.retryWindowMs', del.retryWindowMs ?? RETRY_WINDOW_MS),
    retryScheduleMs: del.retryScheduleMs ?? RETRY_SCHEDULE_MS,
    maxBatchSize: positive('delivery.maxBatchSize', del.maxBatchSize ?? 100),
    maxConcurrentPerUrl: positive('delivery.maxConcurrentPerUrl', del.maxConcurrentPerUrl ?? 4),
    duplicateRatio: ratio('delivery.duplicateRatio', del.duplicateRatio ?? DUPLICATE_DELIVERY_RATIO),
    reorderWindowMs: nonNegative('delivery.reorderWindowMs', del.reorderWindowMs ?? REORDER_WINDOW_MS),
    latency: resolveLatency(del.latency ?? {}),
    endpointThrottle: throttle,
    whilePaused: del.whilePaused ?? 'lost',
  };
  if (delivery.retryScheduleMs.length === 0)
    throw new TypeError('graph simulator option delivery.retryScheduleMs needs at least one delay');
  const life = options.lifecycle ?? {};
  const tokens = options.tokens ?? {};
  const vt = options.validationTokens ?? {};
  const seed = options.seed ?? 0x5eed;
  return Object.freeze({
    clock: options.clock ?? {},
    seed,
    allowHttpLoopback: options.allowHttpLoopback ?? false,
    fetch: options.fetch ?? globalThis.fetch,
    tenants: options.tenants ?? [],
    apps: options.apps ?? [],
    seedDemo: options.seedDemo ?? false,
    signingKeyPem: options.signingKeyPem,
    subscriptions: Object.freeze(subscriptions),
    delivery: Object.freeze(delivery),
    lifecycle: Object.freeze({
      payloadVariant: life.payloadVariant ?? 'tenantId',
      removedEventName: life.removedEventName ?? 'subscriptionRemoved',
      reauthorization:
        life.reauthorization === false
          ? false
          : {
              firstLeadMs: REAUTHORIZATION_FIRST_LEAD_MS,
              intervalMs: REAUTHORIZATION_INTERVAL_MS,
              ...life.reauthorization,
            },
      missedOnDropProbability: ratio(
        'lifecycle.missedOnDropProbability',
        life.missedOnDropProbability ?? MISSED_ON_DROP_PROBABILITY,
      ),
      validationTokensOnLifecycle: life.validationTokensOnLifecycle ?? false,
    }),
    validationTokens: Object.freeze({
      issuer: vt.issuer ?? 'v2',
      v1IssuerTemplate: vt.v1IssuerTemplate ?? 'https://sts.windows.net/{tenantId}/',
      v2IssuerTemplate: vt.v2IssuerTemplate ?? 'https://login.microsoftonline.com/{tenantId}/v2.0',
      lifetimeSeconds: positive(
        'validationTokens.lifetimeSeconds',
        vt.lifetimeSeconds ?? VALIDATION_TOKEN_LIFETIME_SECONDS,
      ),
    }),
    tokens: Object.freeze({
      clock: tokens.clock ?? 'wall',
      accessTokenLifetimeSeconds: tokens.accessTokenLifetimeSeconds ?? 3_599,
    }),
    batch: Object.freeze({
      shuffleResponses: options.batch?.shuffleResponses ?? true,
      throttledEnvelopeStatus: options.batch?.throttledEnvelopeStatus ?? 200,
    }),
    delta: Object.freeze({
      tokenLifetimeMs: options.delta?.tokenLifetimeMs ?? DELTA_TOKEN_LIFETIME_MS,
      expiredDirectoryToken: options.delta?.expiredDirectoryToken ?? 'badRequest',
      pageSize: positive('delta.pageSize', options.delta?.pageSize ?? DEFAULT_PAGE_SIZE),
    }),
    faults: options.faults ?? {},
    notificationShapes: Object.freeze({
      outlookOwner: options.notificationShapes?.outlookOwner ?? 'userAtTenant',
    }),

    readLimits: options.readLimits === false ? false : Object.freeze({ ...READ_LIMITS, ...options.readLimits }),
    log: options.log ?? (() => undefined),
  });
}
