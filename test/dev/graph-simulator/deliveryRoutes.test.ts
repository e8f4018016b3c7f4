import { describe, expect, it } from 'vitest';
import {
  cloudEventType,
  EVENT_GRID_RETRY_SCHEDULE_MS,
  partnerTopicOf,
  SimulatedEventGrid,
} from '../../../dev/graph-simulator/eventGridPartnerTopic.js';
import { EVENT_HUBS_MAX_EVENT_BYTES, hubOf, SimulatedEventHubs } from '../../../dev/graph-simulator/eventHubsHub.js';
import { SimClock } from '../../../dev/graph-simulator/simClock.js';

const TOPIC_URL =
  'EventGrid:?azuresubscriptionid=00000000-0000-4000-8000-000000000001&resourcegroup=rg&partnertopic=graph-topic&location=westeurope';

/** An endpoint that consents to the handshake and answers POSTs with the next status of `statuses` (the last repeats). */
function endpoint(statuses: number[]): { fetch: typeof fetch; posts: unknown[][] } {
  const posts: unknown[][] = [];
  const fetchImpl = ((_url: string | URL | Request, init?: RequestInit) => {
    if (init?.method === 'OPTIONS')
      return Promise.resolve(
        new Response(null, { status: 200, headers: { 'WebHook-Allowed-Origin': 'eventgrid.azure.net' } }),
      );
    posts.push(JSON.parse(typeof init?.body === 'string' ? init.body : 'null') as unknown[]);
    return Promise.resolve(
      new Response(null, { status: statuses.length > 1 ? (statuses.shift() ?? 202) : (statuses[0] ?? 202) }),
    );
  }) as typeof fetch;
  return { fetch: fetchImpl, posts };
}

async function topicWith(
  statuses: number[],
  options: { maxDeliveryAttempts?: number; eventTimeToLiveMs?: number } = {},
) {
  const clock = new SimClock({ mode: 'manual', start: '2026-05-01T10:00:00Z' });
  const target = endpoint(statuses);
  const grid = new SimulatedEventGrid(clock, target.fetch, () => undefined);
  grid.createTopic('graph-topic');
  await grid.subscribe('graph-topic', {
    endpointUrl: 'http://127.0.0.1/runtime/webhooks/eventgrid?functionName=f',
    maxEventsPerBatch: 10,
    ...options,
  });
  grid.publish(
    'graph-topic',
    [
      {
        subscriptionId: 's',
        changeType: 'updated',
        resource: 'Users/u',
        resourceData: { '@odata.type': '#Microsoft.Graph.User', id: 'u' },
      },
    ],
    't',
    'a',
  );
  await clock.settle();
  return { clock, grid, posts: target.posts };
}

describe("the simulator's Event Grid partner topic", () => {
  it("reads the topic from Graph's EventGrid: form only when all four parts are there", () => {
    expect(partnerTopicOf(TOPIC_URL)).toBe('graph-topic');
    expect(partnerTopicOf('EventGrid:?partnertopic=graph-topic')).toBeUndefined();
  });

  it('publishes CloudEvents 1.0 named after the change, and lifecycle events after the event', async () => {
    const { posts } = await topicWith([202]);

    expect(posts[0]?.[0]).toMatchObject({
      specversion: '1.0',
      type: 'Microsoft.Graph.UserUpdated',
      source: '/tenants/t/applications/a',
      data: { resource: 'Users/u' },
    });
    expect(cloudEventType({ lifecycleEvent: 'reauthorizationRequired' })).toBe(
      'Microsoft.Graph.SubscriptionReauthorizationRequired',
    );
  });

  it("retries on Event Grid's schedule until the endpoint recovers", async () => {
    const { clock, grid, posts } = await topicWith([500, 503, 202]);

    await clock.advance(EVENT_GRID_RETRY_SCHEDULE_MS[0] ?? 0);
    expect(grid.events()[0]).toMatchObject({ status: 'pending', attempts: 2 });
    await clock.advance(EVENT_GRID_RETRY_SCHEDULE_MS[1] ?? 0);

    expect(grid.events()[0]).toMatchObject({ status: 'delivered', attempts: 3 });
    expect(posts).toHaveLength(3);
  });

  it.each([400, 401, 403, 413])('dead-letters at once on %i, never retrying', async (status) => {
    const { clock, grid, posts } = await topicWith([status]);

    await clock.advance(3_600_000);

    expect(grid.events()[0]).toMatchObject({
      status: 'deadLettered',
      attempts: 1,
      deadLetterReason: `not retried: HTTP ${status}`,
    });
    expect(posts).toHaveLength(1);
  });

  it('dead-letters after the attempt limit or the time to live', async () => {
    const byAttempts = await topicWith([500], { maxDeliveryAttempts: 3 });
    await byAttempts.clock.advance(10 * 60_000);
    const byTtl = await topicWith([500], { eventTimeToLiveMs: 60_000 });
    await byTtl.clock.advance(10 * 60_000);

    expect(byAttempts.grid.events()[0]).toMatchObject({ status: 'deadLettered', attempts: 3 });
    expect(byTtl.grid.events()[0]?.status).toBe('deadLettered');
    expect(byTtl.grid.events()[0]?.deadLetterReason).toBe('time to live expired');
  });
});

describe("the simulator's Event Hubs hub", () => {
  it("reads the hub from Graph's EventHub: form", () => {
    expect(hubOf('EventHub:https://ns.servicebus.windows.net/eventhubname/graph?tenantId=contoso.com')).toBe(
      'ns.servicebus.windows.net/graph',
    );
    expect(hubOf('EventHub:https://ns.servicebus.windows.net/graph?tenantId=contoso.com')).toBeUndefined();
  });

  it('sends the validation message and collections under 1 MB, moving the checkpoint on even when the reader fails', async () => {
    const clock = new SimClock({ mode: 'manual' });
    const hubs = new SimulatedEventHubs(clock, () => undefined);
    const batches: string[][] = [];
    hubs.sendValidation('ns/h');
    hubs.publish(
      'ns/h',
      Array.from({ length: 3 }, (_, index) => ({
        subscriptionId: String(index),
        padding: 'x'.repeat(EVENT_HUBS_MAX_EVENT_BYTES / 2),
      })),
    );
    hubs.consume('ns/h', (bodies) => {
      batches.push([...bodies]);
      return Promise.reject(new Error('reader down'));
    });

    await clock.settle();

    const events = batches.flat();
    expect(JSON.parse(events[0] ?? '{}')).toMatchObject({
      value: [{ subscriptionId: 'NA', changeType: expect.stringMatching(/^Validation:/) as unknown }],
    });
    expect(events.slice(1).every((body) => Buffer.byteLength(body) <= EVENT_HUBS_MAX_EVENT_BYTES)).toBe(true);
    expect(events.slice(1).flatMap((body) => (JSON.parse(body) as { value: unknown[] }).value)).toHaveLength(3);
    expect(hubs.hubs()[0]).toMatchObject({ checkpoint: events.length, events: events.length });
    expect(hubs.pending()).toBe(0);
  });

  it('claim-checks a lone notification over 1 MB into the blob store when its subscription has a blobStoreUrl', async () => {
    const clock = new SimClock({ mode: 'manual' });
    const hubs = new SimulatedEventHubs(clock, () => undefined);
    const blobs = new Map<string, string>();
    hubs.attachBlobStore((name, content) => {
      blobs.set(name, content);
      return Promise.resolve();
    });
    const big = (subscriptionId: string) => ({
      subscriptionId,
      changeType: 'updated',
      clientState: 'cs',
      resource: 'Users/u',
      resourceData: { id: 'u' },
      encryptedContent: { data: 'x'.repeat(EVENT_HUBS_MAX_EVENT_BYTES) },
    });
    const events: string[] = [];
    hubs.consume('ns/h', (bodies) => {
      events.push(...bodies);
      return Promise.resolve();
    });

    hubs.publish(
      'ns/h',
      [big('with-store'), big('without-store'), { subscriptionId: 'small' }],
      (id) => id === 'with-store',
    );
    await new Promise((resolve) => setImmediate(resolve));
    await clock.settle();

    const items = events.flatMap((body) => (JSON.parse(body) as { value: Record<string, unknown>[] }).value);
    expect(items.map((item) => item.subscriptionId).sort()).toEqual(['small', 'with-store']);
    const stub = items.find((item) => item.subscriptionId === 'with-store') ?? {};
    expect(stub).toEqual({
      subscriptionId: 'with-store',
      changeType: 'updated',
      clientState: 'cs',
      additionalPayloadStorageId: expect.any(String) as unknown,
    });
    expect(JSON.parse(blobs.get(String(stub.additionalPayloadStorageId)) ?? 'null')).toEqual(big('with-store'));
    expect(events.every((body) => Buffer.byteLength(body) <= EVENT_HUBS_MAX_EVENT_BYTES)).toBe(true);
  });
});
