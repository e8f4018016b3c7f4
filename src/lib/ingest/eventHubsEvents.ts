/**
 * Graph's notifications through Azure Event Hubs ("Receive change notifications through Azure Event Hubs",
 * docs/graph-protocol.md §14.2): each event body is a `{"value":[…]}` collection like a webhook POST, with
 * no validationTokens. When a subscription is created Graph drops a validation message into the hub
 * (`subscriptionId` "NA", `changeType` starting "Validation:"); it needs no answer and is skipped here.
 *
 * A rich notification too large for one event (over the hub's 1 MB) is stored by Graph as a blob in the
 * storage named by the subscription's `blobStoreUrl`; the item then carries `additionalPayloadStorageId`
 * (the blob's name) instead of its content. `resolveClaimedPayloads` loads the blob, which takes the item's
 * place before any check.
 *
 * The items then go through the webhook's own ingest (`ingestNotifications`): same checks, same queues.
 * The trigger's checkpoint moves on even when the function fails, so the caller parks what cannot be
 * queued (`parkEventHubsBatch`) instead of relying on a redelivery that never comes.
 */
import type { AuthenticatedRoute } from '../notifications';
import { GraphNotifyError } from '../shared/errors';
import type { PayloadStore } from '../storage';
import { ingestNotifications, type IngestDependencies, type IngestResult } from './ingestNotifications';

/** What the Event Hubs ingest needs beyond the webhook's: where Graph's claimed payloads are read. */
export interface EventHubsIngestDependencies extends IngestDependencies {
  /** The container Graph writes oversized payloads to (EVENT_HUBS_PAYLOAD_CONTAINER_NAME); absent = not configured. */
  readonly claimedPayloads?: PayloadStore | undefined;
  /**
   * Set by the Event Hubs functions' adapters (src/functions/), which know their events come from the hub that
   * only Graph may send to: the envelopes carry it and processing then accepts rich items without validation
   * tokens (docs/security.md, "Rich notifications by Event Hubs"). Absent = treated like a webhook POST.
   */
  readonly authenticatedRoute?: AuthenticatedRoute | undefined;
}

/** An item names a claimed payload but nothing is configured to read it: the event is parked, not dropped. */
export class ClaimedPayloadUnreadable extends GraphNotifyError {
  constructor(storageId: string, options?: ErrorOptions) {
    super(
      'ERR_INGEST_CLAIMED_PAYLOAD_UNREADABLE',
      `Graph's payload blob ${storageId} cannot be read (set EVENT_HUBS_PAYLOAD_CONTAINER_NAME to the container Graph writes to)`,
      options,
    );
  }
}

/** The blob name an oversized item carries in place of its content, or undefined for an inline item. */
export function claimedPayloadIdOf(item: unknown): string | undefined {
  if (item === null || typeof item !== 'object') return undefined;
  const id = (item as { additionalPayloadStorageId?: unknown }).additionalPayloadStorageId;
  return typeof id === 'string' && id !== '' ? id : undefined;
}

/**
 * Each item naming a claimed payload replaced by the blob's content, which is then checked like any inline
 * item (the stub's own fields vouch for nothing). Throws when a blob cannot be read, so the caller parks
 * the event and the replay tries again.
 */
export async function resolveClaimedPayloads(
  items: readonly unknown[],
  store: PayloadStore | undefined,
): Promise<unknown[]> {
  return Promise.all(
    items.map(async (item) => {
      const storageId = claimedPayloadIdOf(item);
      if (storageId === undefined) return item;
      if (store === undefined) throw new ClaimedPayloadUnreadable(storageId);
      return eventBodyOf(await store.load(storageId));
    }),
  );
}

/** Graph's hub validation message, which carries "NA" where a real item has ids. */
export function isValidationMessage(item: unknown): boolean {
  if (item === null || typeof item !== 'object') return false;
  const { subscriptionId, changeType } = item as { subscriptionId?: unknown; changeType?: unknown };
  return subscriptionId === 'NA' || (typeof changeType === 'string' && changeType.startsWith('Validation:'));
}

/** The event body as JSON: the trigger hands over parsed JSON, a string or bytes depending on the content. */
export function eventBodyOf(event: unknown): unknown {
  const text =
    typeof event === 'string' ? event : event instanceof Uint8Array ? new TextDecoder().decode(event) : undefined;
  if (text === undefined) return event;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The notification items of a batch of events, validation messages left out; an event that is no collection contributes itself, which the checks refuse. */
export function notificationsOfEvents(events: readonly unknown[]): unknown[] {
  return events.flatMap((event) => {
    const body = eventBodyOf(event);
    const value =
      body !== null && typeof body === 'object' && !Array.isArray(body)
        ? (body as { value?: unknown }).value
        : undefined;
    const items: readonly unknown[] = Array.isArray(value) ? value : [body];
    return items.filter((item) => !isValidationMessage(item));
  });
}

export interface EventHubsBatchResult {
  readonly accepted: number;
  readonly rejected: number;
  /** Events that carried nothing but Graph's validation message. */
  readonly validationMessages: number;
  /** Events whose items could not be queued, with the error: the caller parks them. */
  readonly failed: readonly { readonly index: number; readonly error: unknown }[];
}

/**
 * Ingests one trigger batch (cardinality many), one event at a time: each event is one collection of at
 * most 1 MB (the hub's limit), checked and packed exactly as a webhook POST. Never throws for one event's
 * failure; the failed events are returned so the caller can park them.
 */
export async function ingestEventHubsEvents(
  events: readonly unknown[],
  deps: EventHubsIngestDependencies,
): Promise<EventHubsBatchResult> {
  let accepted = 0;
  let rejected = 0;
  let validationMessages = 0;
  const failed: { index: number; error: unknown }[] = [];
  await Promise.all(
    events.map(async (event, index) => {
      const items = notificationsOfEvents([event]);
      if (items.length === 0) {
        validationMessages += 1;
        return;
      }
      try {
        const value = await resolveClaimedPayloads(items, deps.claimedPayloads);
        const result: IngestResult = await ingestNotifications(
          'notifications',
          { contentType: 'application/json', body: new TextEncoder().encode(JSON.stringify({ value })) },
          deps,
          deps.authenticatedRoute,
        );
        accepted += result.accepted;
        rejected += Object.values(result.rejected).reduce((sum, count) => sum + count, 0);
      } catch (error) {
        failed.push({ index, error });
      }
    }),
  );
  return { accepted, rejected, validationMessages, failed };
}
