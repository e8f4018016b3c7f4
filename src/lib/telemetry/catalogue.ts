/**
 * The telemetry contract: every metric the pipeline emits, with its name, unit and attribute keys, and the
 * closed sets its attribute values come from. Dashboards, the alert queries in `infra/app/monitoring.bicep`
 * and `docs/operations.md` use these exact names, so renaming one is a breaking change.
 *
 * Attribute values are always members of the closed lists below (anything else becomes `other`), never
 * free text: a metric attribute cannot carry a token, a clientState, an id or resource content, and the
 * number of time series stays bounded.
 */

import { RESOURCE_KIND_NAMES } from '../resources/resourceKinds';
import { SUBSCRIPTION_STATUSES } from '../subscriptions/subscriptionRecord';

/** Meter and tracer name (instrumentation scope) under which everything is emitted. */
export const INSTRUMENTATION_SCOPE = 'graph-notify';

export const METRIC = {
  notificationsReceived: 'graph_notify.notifications.received',
  notificationsAccepted: 'graph_notify.notifications.accepted',
  notificationsRejected: 'graph_notify.notifications.rejected',
  enqueueDuration: 'graph_notify.enqueue.duration',
  messagesProcessed: 'graph_notify.messages.processed',
  graphRequests: 'graph_notify.graph.requests',
  graphRequestDuration: 'graph_notify.graph.request.duration',
  endToEndDuration: 'graph_notify.end_to_end.duration',
  coalescingSaved: 'graph_notify.coalescing.saved',
  renewals: 'graph_notify.renewals',
  lifecycleEvents: 'graph_notify.lifecycle.events',
  poisonMessages: 'graph_notify.poison.messages',
  subscriptions: 'graph_notify.subscriptions',
  subscriptionsTimeToExpiry: 'graph_notify.subscriptions.time_to_expiry',
  queueDepth: 'graph_notify.queue.depth',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

export const ATTRIBUTE = {
  endpoint: 'graph_notify.endpoint',
  rejectionReason: 'graph_notify.rejection_reason',
  outcome: 'graph_notify.outcome',
  queue: 'graph_notify.queue',
  poison: 'graph_notify.queue.poison',
  /** OpenTelemetry semantic convention name; 0 = no response (network failure or timeout). */
  statusCode: 'http.response.status_code',
  throttled: 'graph_notify.graph.throttled',
  graphOperation: 'graph_notify.graph.operation',
  resourceKind: 'graph_notify.resource_kind',
  lifecycleEvent: 'graph_notify.lifecycle_event',
  subscriptionStatus: 'graph_notify.subscription.status',
  /** OpenTelemetry semantic convention name, on spans only: the error code, never the message. */
  errorType: 'error.type',
} as const;

/** The webhook a notification arrived at. */
export const ENDPOINTS = ['notifications', 'lifecycle'] as const;
export type Endpoint = (typeof ENDPOINTS)[number];

/** Why ingest or processing refused a notification (whole request or one item). */
export const REJECTION_REASONS = [
  'bodyTooLarge',
  'unsupportedMediaType',
  'malformedJson',
  'invalidCollection',
  'invalidItem',
  'unknownSubscription',
  'clientStateMismatch',
  'tenantMismatch',
  'outsideSubscription',
  'validationTokenInvalid',
  'decryptionFailed',
  'richContentMismatch',
  'other',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

export const ENQUEUE_OUTCOMES = ['enqueued', 'failed'] as const;
export type EnqueueOutcome = (typeof ENQUEUE_OUTCOMES)[number];

/**
 * What became of one queue message. `deferred`: put back with a delay after Graph throttling (no retry
 * burnt); `retrying`: the invocation failed and the host will deliver it again; `poisoned`: it failed on its
 * last allowed delivery and the host moves it to `<queue>-poison`; `discarded`: a permanent failure was
 * recorded and the message completed.
 */
export const MESSAGE_OUTCOMES = ['succeeded', 'deferred', 'retrying', 'poisoned', 'discarded', 'other'] as const;
export type MessageOutcome = (typeof MESSAGE_OUTCOMES)[number];

/** Logical queues (their configured names vary; these roles do not). */
export const QUEUES = ['notifications', 'lifecycle', 'changes', 'other'] as const;
export type MetricQueue = (typeof QUEUES)[number];

export const GRAPH_OPERATIONS = [
  'getResource',
  'batch',
  'delta',
  'createSubscription',
  'renewSubscription',
  'deleteSubscription',
  'reauthorizeSubscription',
  'getSubscription',
  'listSubscriptions',
  'acquireToken',
  'other',
] as const;
export type GraphOperation = (typeof GRAPH_OPERATIONS)[number];

/**
 * Resource kinds: the registry's names (src/lib/resources), plus `driveItem` for items found by drive delta
 * runs and `other`. Callers may pass any string: plural and case variants map onto these, the rest onto `other`.
 */
export const METRIC_RESOURCE_KINDS = [...RESOURCE_KIND_NAMES, 'driveItem', 'other'] as const;
export type MetricResourceKind = (typeof METRIC_RESOURCE_KINDS)[number];

export const RENEWAL_OUTCOMES = ['renewed', 'reauthorized', 'recreated', 'failed', 'skipped'] as const;
export type RenewalOutcome = (typeof RENEWAL_OUTCOMES)[number];

/** Graph's lifecycle event names (docs/graph-protocol.md §4.1); a value Graph adds later is counted as `unknown`. */
export const LIFECYCLE_EVENTS = ['reauthorizationRequired', 'subscriptionRemoved', 'missed', 'unknown'] as const;
export type LifecycleEventType = (typeof LIFECYCLE_EVENTS)[number];

/** Subscription states as the subscription store records them (src/lib/subscriptions), plus `other`. */
export const METRIC_SUBSCRIPTION_STATUSES = [...SUBSCRIPTION_STATUSES, 'other'] as const;
export type MetricSubscriptionStatus = (typeof METRIC_SUBSCRIPTION_STATUSES)[number];

/** Spans the pipeline opens; Graph calls use `graph.<operation>`. */
export const SPAN_NAMES = [
  ...GRAPH_OPERATIONS.map((operation) => `graph.${operation}` as const),
  'notifications.ingest',
  'notifications.process',
  'lifecycle.process',
  'subscriptions.reconcile',
  'subscriptions.resync',
] as const;
export type SpanName = (typeof SPAN_NAMES)[number];

export interface MetricDescription {
  readonly name: MetricName;
  readonly kind: 'counter' | 'histogram' | 'observableGauge';
  readonly unit: string;
  readonly description: string;
  /** Attribute keys this metric carries (all from `ATTRIBUTE`). */
  readonly attributes: readonly (typeof ATTRIBUTE)[keyof typeof ATTRIBUTE][];
}

/** One row per metric: what `docs/operations.md` and the workbook describe. */
export const METRICS: readonly MetricDescription[] = [
  {
    name: METRIC.notificationsReceived,
    kind: 'counter',
    unit: '{notification}',
    description: 'Items in the notification collections Graph POSTed, before any check.',
    attributes: [ATTRIBUTE.endpoint],
  },
  {
    name: METRIC.notificationsAccepted,
    kind: 'counter',
    unit: '{notification}',
    description: 'Items that passed every check and were durably enqueued.',
    attributes: [ATTRIBUTE.endpoint],
  },
  {
    name: METRIC.notificationsRejected,
    kind: 'counter',
    unit: '{notification}',
    description: 'Items (or whole requests) refused, by reason.',
    attributes: [ATTRIBUTE.endpoint, ATTRIBUTE.rejectionReason],
  },
  {
    name: METRIC.enqueueDuration,
    kind: 'histogram',
    unit: 'ms',
    description: 'Time to durably enqueue the accepted items of one POST (Graph allows 3 s for the whole reply).',
    attributes: [ATTRIBUTE.outcome],
  },
  {
    name: METRIC.messagesProcessed,
    kind: 'counter',
    unit: '{message}',
    description: 'Queue messages handled, by queue and outcome.',
    attributes: [ATTRIBUTE.queue, ATTRIBUTE.outcome],
  },
  {
    name: METRIC.graphRequests,
    kind: 'counter',
    unit: '{request}',
    description:
      'HTTP requests to Graph (each $batch item counts on its own), by status and whether Graph throttled it.',
    attributes: [ATTRIBUTE.graphOperation, ATTRIBUTE.statusCode, ATTRIBUTE.throttled],
  },
  {
    name: METRIC.graphRequestDuration,
    kind: 'histogram',
    unit: 'ms',
    description: 'Duration of Graph requests, by operation and status.',
    attributes: [ATTRIBUTE.graphOperation, ATTRIBUTE.statusCode, ATTRIBUTE.throttled],
  },
  {
    name: METRIC.endToEndDuration,
    kind: 'histogram',
    unit: 'ms',
    description: 'From receipt of a notification at ingest to its resource state written to the sink.',
    attributes: [ATTRIBUTE.resourceKind],
  },
  {
    name: METRIC.coalescingSaved,
    kind: 'counter',
    unit: '{read}',
    description: 'Graph reads avoided by coalescing duplicate notifications.',
    attributes: [],
  },
  {
    name: METRIC.renewals,
    kind: 'counter',
    unit: '{renewal}',
    description: 'Subscription renewals attempted by the reconciler or lifecycle handling, by outcome.',
    attributes: [ATTRIBUTE.outcome],
  },
  {
    name: METRIC.lifecycleEvents,
    kind: 'counter',
    unit: '{event}',
    description: 'Lifecycle notifications handled, by type.',
    attributes: [ATTRIBUTE.lifecycleEvent],
  },
  {
    name: METRIC.poisonMessages,
    kind: 'counter',
    unit: '{message}',
    description: 'Messages that failed their last allowed delivery and go to `<queue>-poison`.',
    attributes: [ATTRIBUTE.queue],
  },
  {
    name: METRIC.subscriptions,
    kind: 'observableGauge',
    unit: '{subscription}',
    description: 'Subscriptions in the store, by status (every status reported, 0 when none).',
    attributes: [ATTRIBUTE.subscriptionStatus],
  },
  {
    name: METRIC.subscriptionsTimeToExpiry,
    kind: 'observableGauge',
    unit: 's',
    description: 'Seconds until the soonest expiry among live subscriptions, per resource kind.',
    attributes: [ATTRIBUTE.resourceKind],
  },
  {
    name: METRIC.queueDepth,
    kind: 'observableGauge',
    unit: '{message}',
    description: 'Approximate messages waiting in each queue and its poison queue.',
    attributes: [ATTRIBUTE.queue, ATTRIBUTE.poison],
  },
];
