/**
 * Graph's Event Grid route, simulated: the partner topics Graph creates for `EventGrid:` notification URLs
 * and the event subscription that delivers them (docs/graph-protocol.md §14.1). Graph publishes each
 * notification as a CloudEvents 1.0 event (one notification in `data`; the type names the change or the
 * lifecycle event); nothing is delivered until the topic is activated and has an event subscription, which
 * `subscribe` stands for (and which runs the CloudEvents OPTIONS handshake against the endpoint first).
 *
 * Delivery follows "Event Grid message delivery and retry": batches of up to `maxEventsPerBatch`, POSTed
 * with `aeg-event-type: Notification`; 200-204 acknowledges; 400, 401, 403 and 413 are dead-lettered at
 * once; anything else is retried on Event Grid's schedule until the event's time to live or the attempt
 * limit runs out, then dead-lettered. Every event keeps its fate, so a test can prove nothing was lost.
 */
import { randomUUID } from 'node:crypto';
import type { JsonObject } from './model.js';
import type { SimClock, TimerHandle } from './simClock.js';

/** Event Grid's retry delays ("Event Grid message delivery and retry"); hourly after the last. */
export const EVENT_GRID_RETRY_SCHEDULE_MS: readonly number[] = [
  10_000, 30_000, 60_000, 300_000, 600_000, 1_800_000, 3_600_000,
];
/** Defaults of an event subscription's retry policy: 30 attempts, 1,440 minutes to live. */
export const EVENT_GRID_MAX_DELIVERY_ATTEMPTS = 30;
export const EVENT_GRID_EVENT_TTL_MS = 1_440 * 60_000;
/** The most events an event subscription may batch. */
export const EVENT_GRID_MAX_EVENTS_PER_BATCH = 5_000;
/** Statuses Event Grid never retries for a webhook endpoint. */
const NOT_RETRIED = new Set([400, 401, 403, 413]);

export type EventGridEventStatus = 'pending' | 'delivered' | 'deadLettered';

export interface EventGridEventRecord {
  readonly event: JsonObject;
  readonly topic: string;
  status: EventGridEventStatus;
  attempts: number;
  deadLetterReason: string | undefined;
  readonly publishedAtMs: number;
  dueAtMs: number;
}

export interface EventSubscriptionOptions {
  /** Where the event subscription delivers: the Functions runtime webhook of the app's Event Grid function. */
  readonly endpointUrl: string;
  readonly maxEventsPerBatch?: number;
  readonly maxDeliveryAttempts?: number;
  readonly eventTimeToLiveMs?: number;
}

interface PartnerTopic {
  readonly name: string;
  subscription: Required<EventSubscriptionOptions> | undefined;
  readonly queue: EventGridEventRecord[];
  timer: TimerHandle | undefined;
  inFlight: boolean;
}

/** The partner topic an `EventGrid:` URL names, or undefined when the URL is not in Graph's form. */
export function partnerTopicOf(url: string): string | undefined {
  if (!/^EventGrid:\?/i.test(url)) return undefined;
  const query = new URLSearchParams(url.slice(url.indexOf('?') + 1));
  const names = ['azuresubscriptionid', 'resourcegroup', 'partnertopic', 'location'];
  const lower = new Map([...query.entries()].map(([key, value]) => [key.toLowerCase(), value]));
  if (!names.every((name) => (lower.get(name) ?? '') !== '')) return undefined;
  return lower.get('partnertopic');
}

/** Graph's event type for a notification item: `Microsoft.Graph.<Kind><Change>` or the lifecycle type. */
export function cloudEventType(item: JsonObject): string {
  const lifecycle = typeof item.lifecycleEvent === 'string' ? item.lifecycleEvent : undefined;
  if (lifecycle !== undefined) {
    const name =
      lifecycle === 'reauthorizationRequired'
        ? 'ReauthorizationRequired'
        : lifecycle === 'subscriptionRemoved'
          ? 'Removed'
          : 'Missed';
    return `Microsoft.Graph.Subscription${name}`;
  }
  const data = item.resourceData;
  const declared =
    data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as JsonObject)['@odata.type'] : undefined;
  const odataType = typeof declared === 'string' ? declared : '#Microsoft.Graph.Resource';
  const kind = odataType.split('.').pop() ?? 'Resource';
  const change = typeof item.changeType === 'string' ? item.changeType : 'updated';
  return `Microsoft.Graph.${kind.charAt(0).toUpperCase()}${kind.slice(1)}${change.charAt(0).toUpperCase()}${change.slice(1)}`;
}

export class SimulatedEventGrid {
  readonly #clock: SimClock;
  readonly #fetch: typeof fetch;
  readonly #log: (line: string) => void;
  readonly #topics = new Map<string, PartnerTopic>();
  readonly #records: EventGridEventRecord[] = [];

  constructor(clock: SimClock, fetchImpl: typeof fetch, log: (line: string) => void) {
    this.#clock = clock;
    this.#fetch = fetchImpl;
    this.#log = log;
  }

  /** Graph creates the topic with the first subscription that names it. */
  createTopic(name: string): void {
    if (!this.#topics.has(name.toLowerCase()))
      this.#topics.set(name.toLowerCase(), {
        name,
        subscription: undefined,
        queue: [],
        timer: undefined,
        inFlight: false,
      });
  }

  topics(): string[] {
    return [...this.#topics.values()].map((topic) => topic.name);
  }

  /**
   * Activates the topic and adds its event subscription (the operator's step, `graph-notify eventgrid activate`
   * in Azure). Runs the CloudEvents handshake: the endpoint must answer OPTIONS with WebHook-Allowed-Origin.
   */
  async subscribe(topicName: string, options: EventSubscriptionOptions): Promise<void> {
    const topic = this.#topics.get(topicName.toLowerCase());
    if (topic === undefined)
      throw new TypeError(
        `no partner topic "${topicName}": Graph creates it with the first subscription that names it`,
      );
    const response = await this.#fetch(options.endpointUrl, {
      method: 'OPTIONS',
      headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net' },
    });
    await response.arrayBuffer();
    if (response.headers.get('webhook-allowed-origin') === null)
      throw new TypeError(`the endpoint did not consent to the CloudEvents handshake (HTTP ${response.status})`);
    topic.subscription = {
      endpointUrl: options.endpointUrl,
      maxEventsPerBatch: Math.min(options.maxEventsPerBatch ?? 1, EVENT_GRID_MAX_EVENTS_PER_BATCH),
      maxDeliveryAttempts: options.maxDeliveryAttempts ?? EVENT_GRID_MAX_DELIVERY_ATTEMPTS,
      eventTimeToLiveMs: options.eventTimeToLiveMs ?? EVENT_GRID_EVENT_TTL_MS,
    };
    this.#arm(topic);
  }

  /** Graph publishes notification items into the topic, one CloudEvent each. */
  publish(topicName: string, items: readonly JsonObject[], tenantId: string, appId: string): void {
    this.createTopic(topicName);
    const topic = this.#topics.get(topicName.toLowerCase());
    if (topic === undefined) return;
    const now = this.#clock.nowMs();
    for (const item of items) {
      // Through Event Grid the event type says which lifecycle event it is (docs/graph-protocol.md §14.1).
      const { lifecycleEvent: _lifecycle, ...data } = item;
      const event: JsonObject = {
        id: randomUUID(),
        type: cloudEventType(item),
        source: `/tenants/${tenantId}/applications/${appId}`,
        subject: typeof item.resource === 'string' ? item.resource : `Subscriptions/${String(item.subscriptionId)}`,
        time: new Date(now).toISOString(),
        datacontenttype: 'application/json',
        specversion: '1.0',
        data: typeof item.lifecycleEvent === 'string' ? data : item,
      };
      const record: EventGridEventRecord = {
        event,
        topic: topic.name,
        status: 'pending',
        attempts: 0,
        deadLetterReason: undefined,
        publishedAtMs: now,
        dueAtMs: now,
      };
      this.#records.push(record);
      topic.queue.push(record);
    }
    this.#arm(topic);
  }

  events(): EventGridEventRecord[] {
    return [...this.#records];
  }

  /** Events not yet delivered or dead-lettered. */
  pending(): number {
    return this.#records.filter((record) => record.status === 'pending').length;
  }

  #arm(topic: PartnerTopic): void {
    if (topic.subscription === undefined || topic.inFlight || topic.queue.length === 0) return;
    const next = Math.min(...topic.queue.map((record) => record.dueAtMs));
    topic.timer?.cancel();
    topic.timer = this.#clock.schedule(Math.max(next, this.#clock.nowMs()), `event grid ${topic.name}`, () =>
      this.#deliver(topic),
    );
  }

  async #deliver(topic: PartnerTopic): Promise<void> {
    topic.timer = undefined;
    const subscription = topic.subscription;
    if (subscription === undefined) return;
    const now = this.#clock.nowMs();
    const due = topic.queue.filter((record) => record.dueAtMs <= now).slice(0, subscription.maxEventsPerBatch);
    if (due.length === 0) {
      this.#arm(topic);
      return;
    }
    topic.queue.splice(0, topic.queue.length, ...topic.queue.filter((record) => !due.includes(record)));
    topic.inFlight = true;
    let status: number | undefined;
    try {
      const response = await this.#fetch(subscription.endpointUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/cloudevents-batch+json; charset=utf-8',
          'aeg-event-type': 'Notification',
        },
        body: JSON.stringify(due.map((record) => record.event)),
        signal: AbortSignal.timeout(30_000),
      });
      await response.arrayBuffer();
      status = response.status;
    } catch {
      status = undefined;
    } finally {
      topic.inFlight = false;
    }
    const after = this.#clock.nowMs();
    for (const record of due) {
      record.attempts += 1;
      if (status !== undefined && status >= 200 && status <= 204) {
        record.status = 'delivered';
        continue;
      }
      const delay = EVENT_GRID_RETRY_SCHEDULE_MS[record.attempts - 1] ?? 3_600_000;
      if (status !== undefined && NOT_RETRIED.has(status)) this.#deadLetter(record, `not retried: HTTP ${status}`);
      else if (record.attempts >= subscription.maxDeliveryAttempts)
        this.#deadLetter(record, `${record.attempts} delivery attempts failed`);
      else if (after + delay - record.publishedAtMs > subscription.eventTimeToLiveMs)
        this.#deadLetter(record, 'time to live expired');
      else {
        record.dueAtMs = after + delay;
        topic.queue.push(record);
      }
    }
    if (status === undefined || status > 204)
      this.#log(
        `event grid delivery from ${topic.name} failed (${status ?? 'network error'}); ${due.length} event(s) retried or dead-lettered`,
      );
    this.#arm(topic);
  }

  #deadLetter(record: EventGridEventRecord, reason: string): void {
    record.status = 'deadLettered';
    record.deadLetterReason = reason;
  }
}
