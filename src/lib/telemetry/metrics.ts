/**
 * Small typed recording functions over `@opentelemetry/api` for every metric in `catalogue.ts`. The domain
 * calls these and never touches an instrument, so names, units and attribute keys live in one place.
 *
 * Instruments are bound lazily to whatever MeterProvider is global at the time of the call, and rebound
 * when it changes: the OTel API has no proxy for meters, so an instrument created before the composition
 * root installs Azure Monitor (or before a test installs an in-memory reader) would stay a no-op forever.
 *
 * Every attribute value passes through a normaliser onto a closed list, so free text (an id, a token, an
 * error message) can never become an attribute, whatever a caller passes at runtime. Recording never
 * throws: a bad number is dropped, because telemetry must not fail an invocation.
 */
import {
  metrics,
  type BatchObservableResult,
  type Counter,
  type Histogram,
  type Meter,
  type MeterProvider,
  type ObservableGauge,
} from '@opentelemetry/api';
import {
  ATTRIBUTE,
  ENDPOINTS,
  ENQUEUE_OUTCOMES,
  GRAPH_OPERATIONS,
  INSTRUMENTATION_SCOPE,
  LIFECYCLE_EVENTS,
  MESSAGE_OUTCOMES,
  METRIC,
  METRICS,
  QUEUES,
  REJECTION_REASONS,
  RENEWAL_OUTCOMES,
  METRIC_RESOURCE_KINDS,
  METRIC_SUBSCRIPTION_STATUSES,
  type Endpoint,
  type EnqueueOutcome,
  type GraphOperation,
  type LifecycleEventType,
  type MessageOutcome,
  type MetricName,
  type MetricQueue,
  type RejectionReason,
  type RenewalOutcome,
  type MetricResourceKind,
  type MetricSubscriptionStatus,
} from './catalogue';

/** Latency buckets in ms: Graph's 3 s and 10 s reply limits and the 10-minute function timeout are edges. */
const LATENCY_BUCKETS_MS = [
  5, 10, 25, 50, 100, 250, 500, 1000, 2000, 3000, 5000, 10_000, 30_000, 60_000, 300_000, 600_000,
];
/** End-to-end includes queue wait and Graph's own retries: buckets reach an hour. */
const END_TO_END_BUCKETS_MS = [
  100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000,
];

// ---------------------------------------------------------------------------------------------------------
// Normalisers: closed lists only.

function closed<const T extends string>(allowed: readonly T[], value: unknown, fallback: T): T {
  if (typeof value !== 'string') return fallback;
  const lower = value.toLowerCase();
  return allowed.find((candidate) => candidate.toLowerCase() === lower) ?? fallback;
}

// A Map, not an object literal: a caller's `__proto__` or `constructor` must not find a prototype member.
const RESOURCE_KIND_ALIASES: ReadonlyMap<string, MetricResourceKind> = new Map([
  ['drive', 'driveRoot'],
  ['root', 'driveRoot'],
  ['mailmessage', 'message'],
]);

/** Maps a caller's resource kind (any case, singular or plural) onto `METRIC_RESOURCE_KINDS`. */
export function toResourceKind(value: unknown): MetricResourceKind {
  if (typeof value !== 'string') return 'other';
  const exact = closed(METRIC_RESOURCE_KINDS, value, 'other');
  if (exact !== 'other') return exact;
  const lower = value.toLowerCase();
  const alias = RESOURCE_KIND_ALIASES.get(lower);
  if (alias !== undefined) return alias;
  return lower.endsWith('s') ? closed(METRIC_RESOURCE_KINDS, lower.slice(0, -1), 'other') : 'other';
}

/** An HTTP status as an integer 100-599; anything else (no response, garbage) is 0. */
export function toStatusCode(value: unknown): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 100 && value <= 599 ? value : 0;
}

/** Only a real `true` counts: a truthy string from a careless caller must not become an attribute. */
export function toFlag(value: unknown): boolean {
  return value === true;
}

function isCount(value: number): boolean {
  return Number.isFinite(value) && value >= 0;
}

// ---------------------------------------------------------------------------------------------------------
// Lazily bound instruments.

interface Instruments {
  readonly received: Counter;
  readonly accepted: Counter;
  readonly rejected: Counter;
  readonly enqueueDuration: Histogram;
  readonly messagesProcessed: Counter;
  readonly graphRequests: Counter;
  readonly graphRequestDuration: Histogram;
  readonly endToEnd: Histogram;
  readonly coalescingSaved: Counter;
  readonly renewals: Counter;
  readonly lifecycleEvents: Counter;
  readonly poisonMessages: Counter;
}

let bound: { readonly provider: MeterProvider; readonly instruments: Instruments } | undefined;

function describe(name: MetricName): { description: string; unit: string } {
  const row = METRICS.find((metric) => metric.name === name);
  if (row === undefined) throw new TypeError(`Metric ${name} is missing from METRICS in telemetry/catalogue.ts`);
  return { description: row.description, unit: row.unit };
}

function instruments(): Instruments {
  const provider = metrics.getMeterProvider();
  if (bound?.provider !== provider)
    bound = { provider, instruments: createInstruments(provider.getMeter(INSTRUMENTATION_SCOPE)) };
  return bound.instruments;
}

function createInstruments(meter: Meter): Instruments {
  const counter = (name: MetricName): Counter => meter.createCounter(name, describe(name));
  const histogram = (name: MetricName, buckets: number[]): Histogram =>
    meter.createHistogram(name, { ...describe(name), advice: { explicitBucketBoundaries: buckets } });
  registerGauges(meter);
  return {
    received: counter(METRIC.notificationsReceived),
    accepted: counter(METRIC.notificationsAccepted),
    rejected: counter(METRIC.notificationsRejected),
    enqueueDuration: histogram(METRIC.enqueueDuration, LATENCY_BUCKETS_MS),
    messagesProcessed: counter(METRIC.messagesProcessed),
    graphRequests: counter(METRIC.graphRequests),
    graphRequestDuration: histogram(METRIC.graphRequestDuration, LATENCY_BUCKETS_MS),
    endToEnd: histogram(METRIC.endToEndDuration, END_TO_END_BUCKETS_MS),
    coalescingSaved: counter(METRIC.coalescingSaved),
    renewals: counter(METRIC.renewals),
    lifecycleEvents: counter(METRIC.lifecycleEvents),
    poisonMessages: counter(METRIC.poisonMessages),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Recording functions.

/** Items in a collection Graph POSTed, counted before any check. */
export function recordNotificationsReceived(count: number, attributes: { endpoint: Endpoint }): void {
  if (!isCount(count)) return;
  instruments().received.add(count, { [ATTRIBUTE.endpoint]: closed(ENDPOINTS, attributes.endpoint, 'notifications') });
}

/** Items that passed every check and were durably enqueued. */
export function recordNotificationsAccepted(count: number, attributes: { endpoint: Endpoint }): void {
  if (!isCount(count)) return;
  instruments().accepted.add(count, { [ATTRIBUTE.endpoint]: closed(ENDPOINTS, attributes.endpoint, 'notifications') });
}

/** An item (or a whole request, then `count` = its items or 1) refused for `reason`. */
export function recordNotificationRejected(
  reason: RejectionReason,
  options: { readonly endpoint?: Endpoint; readonly count?: number } = {},
): void {
  const count = options.count ?? 1;
  if (!isCount(count)) return;
  instruments().rejected.add(count, {
    [ATTRIBUTE.endpoint]: closed(ENDPOINTS, options.endpoint, 'notifications'),
    [ATTRIBUTE.rejectionReason]: closed(REJECTION_REASONS, reason, 'other'),
  });
}

/** Time to durably enqueue the accepted items of one POST. */
export function recordEnqueueLatency(ms: number, attributes: { outcome: EnqueueOutcome }): void {
  if (!isCount(ms)) return;
  instruments().enqueueDuration.record(ms, {
    [ATTRIBUTE.outcome]: closed(ENQUEUE_OUTCOMES, attributes.outcome, 'failed'),
  });
}

/** One queue message handled; `queue` defaults to the notifications queue. */
export function recordMessageProcessed(outcome: MessageOutcome, options: { readonly queue?: MetricQueue } = {}): void {
  instruments().messagesProcessed.add(1, {
    [ATTRIBUTE.queue]: closed(QUEUES, options.queue ?? 'notifications', 'other'),
    [ATTRIBUTE.outcome]: closed(MESSAGE_OUTCOMES, outcome, 'other'),
  });
}

/** What the Graph request metrics take from one request (src/lib/graph reports the whole `GraphRequestRecord`). */
export interface GraphRequestMetric {
  /** HTTP status Graph answered (per item for `$batch`); 0 or absent = no response. */
  readonly status?: number;
  /** True for 429, and for 503/504 that carried Retry-After. */
  readonly throttled: boolean;
  readonly operation?: GraphOperation;
  /** Wall-clock duration; omit for `$batch` items (the batch call itself carries it). */
  readonly durationMs?: number;
}

/** One request to Graph (each `$batch` item counts on its own). */
export function recordGraphRequest(request: GraphRequestMetric): void {
  const attributes = {
    [ATTRIBUTE.graphOperation]: closed(GRAPH_OPERATIONS, request.operation, 'other'),
    [ATTRIBUTE.statusCode]: toStatusCode(request.status),
    [ATTRIBUTE.throttled]: toFlag(request.throttled),
  };
  const { graphRequests, graphRequestDuration } = instruments();
  graphRequests.add(1, attributes);
  if (request.durationMs !== undefined && isCount(request.durationMs))
    graphRequestDuration.record(request.durationMs, attributes);
}

/** From receipt at ingest (the envelope's receivedAt) to the sink write. `resourceKind` may be any spelling. */
export function recordEndToEndLatency(
  ms: number,
  attributes: { resourceKind: MetricResourceKind | (string & {}) },
): void {
  if (!isCount(ms)) return;
  instruments().endToEnd.record(ms, { [ATTRIBUTE.resourceKind]: toResourceKind(attributes.resourceKind) });
}

/** Graph reads avoided by coalescing (notifications minus reads, per message). */
export function recordCoalescingSaved(reads: number): void {
  if (!isCount(reads) || reads === 0) return;
  instruments().coalescingSaved.add(reads);
}

export function recordRenewal(outcome: RenewalOutcome): void {
  instruments().renewals.add(1, { [ATTRIBUTE.outcome]: closed(RENEWAL_OUTCOMES, outcome, 'failed') });
}

/** A lifecycle notification handled; any value Graph adds later counts as `unknown`. */
export function recordLifecycleEvent(type: LifecycleEventType | (string & {})): void {
  instruments().lifecycleEvents.add(1, { [ATTRIBUTE.lifecycleEvent]: closed(LIFECYCLE_EVENTS, type, 'unknown') });
}

/** A message failed its last allowed delivery; the host moves it to `<queue>-poison`. */
export function recordPoisonMessage(queue: MetricQueue): void {
  instruments().poisonMessages.add(1, { [ATTRIBUTE.queue]: closed(QUEUES, queue, 'other') });
}

// ---------------------------------------------------------------------------------------------------------
// Observable gauges, fed by callbacks other areas register.

export interface SubscriptionObservation {
  /** The store's status; values outside `METRIC_SUBSCRIPTION_STATUSES` count as `other`. */
  readonly status: MetricSubscriptionStatus | (string & {});
  readonly resourceKind: MetricResourceKind | (string & {});
  /** Seconds from now until expirationDateTime (negative once past). */
  readonly secondsToExpiry: number;
}

export interface QueueDepthObservation {
  readonly queue: MetricQueue;
  readonly poison: boolean;
  readonly messages: number;
}

type Source<T> = () => readonly T[] | Promise<readonly T[]>;

let subscriptionsSource: Source<SubscriptionObservation> | undefined;
let queueDepthSource: Source<QueueDepthObservation> | undefined;

/** Statuses whose subscriptions Graph should still be delivering for: their expiry is what matters. */
const LIVE_STATUSES: ReadonlySet<MetricSubscriptionStatus> = new Set(['active']);

/**
 * Feeds the subscriptions-by-status and time-to-expiry gauges. `source` runs at every metric export (once a
 * minute per instance with Azure Monitor), so it should return a snapshot the subscriptions area keeps
 * (e.g. from its last reconcile), not query the table each time. Replaces any earlier source; the returned
 * function unregisters it.
 */
export function observeSubscriptions(source: Source<SubscriptionObservation>): () => void {
  subscriptionsSource = source;
  instruments();
  return () => {
    if (subscriptionsSource === source) subscriptionsSource = undefined;
  };
}

/** Feeds the queue-depth gauge (poison queues included). Same contract as `observeSubscriptions`. */
export function observeQueueDepths(source: Source<QueueDepthObservation>): () => void {
  queueDepthSource = source;
  instruments();
  return () => {
    if (queueDepthSource === source) queueDepthSource = undefined;
  };
}

async function snapshot<T>(source: Source<T> | undefined): Promise<readonly T[] | undefined> {
  if (source === undefined) return undefined;
  try {
    return await source();
  } catch {
    // A failed snapshot skips one observation; the next export tries again. Never break the exporter.
    return undefined;
  }
}

function registerGauges(meter: Meter): void {
  const byStatus: ObservableGauge = meter.createObservableGauge(METRIC.subscriptions, describe(METRIC.subscriptions));
  const timeToExpiry: ObservableGauge = meter.createObservableGauge(
    METRIC.subscriptionsTimeToExpiry,
    describe(METRIC.subscriptionsTimeToExpiry),
  );
  const queueDepth: ObservableGauge = meter.createObservableGauge(METRIC.queueDepth, describe(METRIC.queueDepth));

  meter.addBatchObservableCallback(
    async (result: BatchObservableResult) => {
      const observations = await snapshot(subscriptionsSource);
      if (observations === undefined) return;
      const counts = new Map<MetricSubscriptionStatus, number>(
        METRIC_SUBSCRIPTION_STATUSES.map((status) => [status, 0]),
      );
      const soonest = new Map<MetricResourceKind, number>();
      for (const observation of observations) {
        const status = closed(METRIC_SUBSCRIPTION_STATUSES, observation.status, 'other');
        counts.set(status, (counts.get(status) ?? 0) + 1);
        if (LIVE_STATUSES.has(status) && Number.isFinite(observation.secondsToExpiry)) {
          const kind = toResourceKind(observation.resourceKind);
          soonest.set(kind, Math.min(soonest.get(kind) ?? Infinity, observation.secondsToExpiry));
        }
      }
      for (const [status, count] of counts) result.observe(byStatus, count, { [ATTRIBUTE.subscriptionStatus]: status });
      for (const [kind, seconds] of soonest)
        result.observe(timeToExpiry, Math.round(seconds), { [ATTRIBUTE.resourceKind]: kind });
    },
    [byStatus, timeToExpiry],
  );

  meter.addBatchObservableCallback(
    async (result: BatchObservableResult) => {
      const observations = await snapshot(queueDepthSource);
      if (observations === undefined) return;
      for (const observation of observations) {
        if (!isCount(observation.messages)) continue;
        result.observe(queueDepth, observation.messages, {
          [ATTRIBUTE.queue]: closed(QUEUES, observation.queue, 'other'),
          [ATTRIBUTE.poison]: toFlag(observation.poison),
        });
      }
    },
    [queueDepth],
  );
}
