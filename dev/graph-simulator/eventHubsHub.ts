/**
 * Graph's Event Hubs route, simulated: the hubs `EventHub:` notification URLs name (docs/graph-protocol.md
 * §14.2). Graph sends each batch of notifications as one event holding a `{"value":[…]}` collection (split
 * so no event passes the hub's 1 MB limit), and drops its validation message into the hub when a
 * subscription is created. No broker runs here: a consumer registered with `consume` (the local host's
 * Event Hubs trigger) is handed batches in order, and its checkpoint moves on after each batch whether the
 * handler succeeded or threw, as the Functions trigger's does.
 *
 * A lone notification still over 1 MB goes, as Graph sends it, to the storage of the subscription's
 * `blobStoreUrl`: the blob (named by `additionalPayloadStorageId`) holds the whole notification, and the
 * event carries it without `resource`, `resourceData` and `encryptedContent`. The storage is whatever
 * `attachBlobStore` was given (the local host's Azurite container); without it, or without a
 * `blobStoreUrl`, Graph cannot deliver the notification and it is dropped with a log line.
 */
import { randomUUID } from 'node:crypto';
import type { JsonObject } from './model.js';
import type { SimClock, TimerHandle } from './simClock.js';

/** Largest event a Standard hub accepts ("Azure Event Hubs quotas and limits"). */
export const EVENT_HUBS_MAX_EVENT_BYTES = 1_048_576;
/** The Functions trigger's default batch size (host.json maxEventBatchSize). */
export const EVENT_HUBS_DEFAULT_BATCH_SIZE = 100;

export type EventHubsConsumer = (events: readonly string[]) => Promise<void>;
/** Writes one claimed payload into the storage Graph was given (`blobStoreUrl`). */
export type EventHubsBlobStore = (blobName: string, content: string) => Promise<void>;
/** Whether the subscription an item belongs to was created with a `blobStoreUrl`. */
export type HasBlobStore = (subscriptionId: string) => boolean;

/** What stays of a notification whose content went to a blob ("Receive change notifications through Azure Event Hubs"). */
export function claimStub(item: JsonObject, storageId: string): JsonObject {
  const stub: JsonObject = { ...item, additionalPayloadStorageId: storageId };
  delete stub.resource;
  delete stub.resourceData;
  delete stub.encryptedContent;
  return stub;
}

interface Hub {
  readonly key: string;
  readonly events: string[];
  checkpoint: number;
  consumer: { readonly handler: EventHubsConsumer; readonly maxBatchSize: number } | undefined;
  timer: TimerHandle | undefined;
  pumping: boolean;
}

/** `<namespace>/<hub>` of an `EventHub:` URL in Graph's RBAC form, or undefined. */
export function hubOf(url: string): string | undefined {
  const match = /^EventHub:https:\/\/([^/?#]+)\/eventhubname\/([^/?#]+)\?(.+)$/i.exec(url);
  if (match === null) return undefined;
  const [, namespace = '', hub = '', query = ''] = match;
  if ((new URLSearchParams(query).get('tenantId') ?? '') === '') return undefined;
  return `${namespace.toLowerCase()}/${decodeURIComponent(hub)}`;
}

/** The message Graph drops into the hub when a subscription is created (its documented shape). */
export function validationMessage(): JsonObject {
  return {
    value: [
      {
        subscriptionId: 'NA',
        subscriptionExpirationDateTime: 'NA',
        clientState: 'NA',
        changeType: `Validation: Testing client application reachability for subscription Request-Id: ${randomUUID()}`,
        resource: 'NA',
        resourceData: { '@odata.type': 'NA', '@odata.id': 'NA', id: 'NA' },
      },
    ],
  };
}

export class SimulatedEventHubs {
  readonly #clock: SimClock;
  readonly #log: (line: string) => void;
  readonly #hubs = new Map<string, Hub>();
  #blobStore: EventHubsBlobStore | undefined;

  constructor(clock: SimClock, log: (line: string) => void) {
    this.#clock = clock;
    this.#log = log;
  }

  #hub(key: string): Hub {
    let hub = this.#hubs.get(key);
    if (hub === undefined) {
      hub = { key, events: [], checkpoint: 0, consumer: undefined, timer: undefined, pumping: false };
      this.#hubs.set(key, hub);
    }
    return hub;
  }

  sendValidation(key: string): void {
    this.#append(this.#hub(key), [JSON.stringify(validationMessage())]);
  }

  /** The storage Graph writes oversized notifications to (what `blobStoreUrl` names in Azure). */
  attachBlobStore(store: EventHubsBlobStore): void {
    this.#blobStore = store;
  }

  /**
   * One event per batch of items, split until each is under the 1 MB limit; a lone item still over it is
   * claim-checked, and its event joins the hub once the blob is written.
   */
  publish(key: string, items: readonly JsonObject[], hasBlobStore: HasBlobStore = () => false): void {
    const events: string[] = [];
    const claimed: JsonObject[] = [];
    const split = (part: readonly JsonObject[]): void => {
      const body = JSON.stringify({ value: part });
      if (Buffer.byteLength(body) <= EVENT_HUBS_MAX_EVENT_BYTES) events.push(body);
      else if (part.length === 1 && part[0] !== undefined) claimed.push(part[0]);
      else {
        split(part.slice(0, Math.ceil(part.length / 2)));
        split(part.slice(Math.ceil(part.length / 2)));
      }
    };
    if (items.length > 0) split(items);
    const hub = this.#hub(key);
    this.#append(hub, events);
    for (const item of claimed) this.#claim(hub, item, hasBlobStore);
  }

  #claim(hub: Hub, item: JsonObject, hasBlobStore: HasBlobStore): void {
    const subscriptionId = typeof item.subscriptionId === 'string' ? item.subscriptionId : '';
    const store = this.#blobStore;
    if (store === undefined || !hasBlobStore(subscriptionId)) {
      this.#log(
        `event hub ${hub.key}: a notification of subscription ${subscriptionId} is over 1 MB and has no blobStoreUrl (or no blob store is attached); Graph cannot deliver it`,
      );
      return;
    }
    const storageId = `${subscriptionId}/${randomUUID()}.json`;
    store(storageId, JSON.stringify(item)).then(
      () => {
        this.#append(hub, [JSON.stringify({ value: [claimStub(item, storageId)] })]);
      },
      (error: unknown) => {
        this.#log(
          `event hub ${hub.key}: could not store the payload of subscription ${subscriptionId}; Graph cannot deliver it: ${error instanceof Error ? error.message : String(error)}`,
        );
      },
    );
  }

  /** Registers the hub's reader; events already in the hub are read from the start. */
  consume(key: string, handler: EventHubsConsumer, options: { readonly maxBatchSize?: number } = {}): void {
    const hub = this.#hub(key);
    hub.consumer = { handler, maxBatchSize: options.maxBatchSize ?? EVENT_HUBS_DEFAULT_BATCH_SIZE };
    this.#arm(hub);
  }

  hubs(): { key: string; events: number; checkpoint: number }[] {
    return [...this.#hubs.values()].map((hub) => ({
      key: hub.key,
      events: hub.events.length,
      checkpoint: hub.checkpoint,
    }));
  }

  /** Events past the checkpoint of a hub that has a reader. */
  pending(): number {
    return [...this.#hubs.values()]
      .filter((hub) => hub.consumer !== undefined)
      .reduce((sum, hub) => sum + hub.events.length - hub.checkpoint, 0);
  }

  #append(hub: Hub, events: readonly string[]): void {
    hub.events.push(...events);
    this.#arm(hub);
  }

  #arm(hub: Hub): void {
    if (hub.consumer === undefined || hub.pumping || hub.timer !== undefined || hub.checkpoint >= hub.events.length)
      return;
    hub.timer = this.#clock.schedule(this.#clock.nowMs(), `event hub ${hub.key}`, () => this.#pump(hub));
  }

  async #pump(hub: Hub): Promise<void> {
    hub.timer = undefined;
    const consumer = hub.consumer;
    if (consumer === undefined) return;
    hub.pumping = true;
    try {
      while (hub.checkpoint < hub.events.length) {
        const batch = hub.events.slice(hub.checkpoint, hub.checkpoint + consumer.maxBatchSize);
        try {
          await consumer.handler(batch);
        } catch (error) {
          this.#log(
            `event hub ${hub.key}: the reader failed on ${batch.length} event(s); the checkpoint moves on regardless: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
        hub.checkpoint += batch.length;
      }
    } finally {
      hub.pumping = false;
    }
    this.#arm(hub);
  }
}
