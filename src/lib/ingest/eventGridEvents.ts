/**
 * Graph's notifications through an Azure Event Grid partner topic ("Receive Microsoft Graph change
 * notifications through Azure Event Grid", docs/graph-protocol.md §14.1): each CloudEvents 1.0 event carries
 * one change notification in `data`, clientState included; a lifecycle event is told by its type
 * (`Microsoft.Graph.SubscriptionReauthorizationRequired`, compared case-insensitively), and its `data` may
 * lack `lifecycleEvent`, so the type supplies it.
 *
 * The events then go through the webhook's own ingest (`ingestNotifications`): the same checks (known
 * subscription, clientState in constant time, tenant), the same packing, the same queues. A storage
 * failure is thrown, so the function fails and Event Grid redelivers the event (at-least-once; processing
 * makes duplicates harmless).
 */
import { ingestNotifications, type IngestDependencies, type IngestResult } from './ingestNotifications';

/** Event types of lifecycle events, lower-cased, to the `lifecycleEvent` they stand for. */
const LIFECYCLE_TYPES: ReadonlyMap<string, string> = new Map([
  ['microsoft.graph.subscriptionreauthorizationrequired', 'reauthorizationRequired'],
  // Not in Microsoft's pages (only reauthorization is); named after it so either spelling is routed right.
  ['microsoft.graph.subscriptionremoved', 'subscriptionRemoved'],
  ['microsoft.graph.subscriptionmissed', 'missed'],
]);

/** The notification item one CloudEvent carries, as a webhook `value` entry; undefined when the event carries none. */
export function notificationOfCloudEvent(event: unknown): Readonly<Record<string, unknown>> | undefined {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return undefined;
  const { type, data: rawData } = event as { type?: unknown; data?: unknown };
  const data = typeof rawData === 'string' ? parseJsonObject(rawData) : rawData;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined;
  const item = data as Readonly<Record<string, unknown>>;
  const lifecycleEvent = typeof type === 'string' ? LIFECYCLE_TYPES.get(type.toLowerCase()) : undefined;
  if (lifecycleEvent === undefined || (typeof item.lifecycleEvent === 'string' && item.lifecycleEvent !== ''))
    return item;
  // The event type is the authority on what a lifecycle event is: a changeType beside it would make the item ambiguous.
  const { changeType: _changeType, ...rest } = item;
  return { ...rest, lifecycleEvent };
}

function parseJsonObject(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Ingests the events of one delivery. An event without a notification object is counted as an invalid
 * item (never retried: it can never become valid); every other item is checked exactly as a webhook's.
 */
export async function ingestEventGridEvents(
  events: readonly unknown[],
  deps: IngestDependencies,
): Promise<IngestResult> {
  // An event without a notification stays in `value` as null, so the shared checks count and log it.
  const value = events.map((event) => notificationOfCloudEvent(event) ?? null);
  if (value.length === 0) return { accepted: 0, rejected: {}, messagesSent: 0 };
  const body = new TextEncoder().encode(JSON.stringify({ value }));
  return ingestNotifications('notifications', { contentType: 'application/json', body }, deps);
}
