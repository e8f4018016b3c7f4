import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryMessageQueue } from '../../../src/adapters/memory/memoryMessageQueue';
import { MemoryParkedEventStore } from '../../../src/adapters/memory/memoryParkedEventStore';
import { MemoryPayloadStore } from '../../../src/adapters/memory/memoryPayloadStore';
import { MemorySubscriptionRepository } from '../../../src/adapters/memory/memorySubscriptionRepository';
import {
  CLAIMED_PAYLOAD_WAIT_MS,
  ClaimedPayloadUnreadable,
  ingestEventGridEvents,
  ingestEventHubsEvents,
  ingestNotifications,
  isValidationMessage,
  notificationOfCloudEvent,
  notificationsOfEvents,
  parkedAtOf,
  parkEvents,
  replayParkedEvents,
  type IngestDependencies,
} from '../../../src/lib/ingest';
import { EnvelopeInvalid, parseQueueEnvelope } from '../../../src/lib/notifications';
import { ManualClock } from '../../../src/lib/shared/clock';
import { StorageUnavailable } from '../../../src/lib/shared/errors';
import { silentLogger } from '../../../src/lib/shared/logger';
import { createCachedSubscriptionLookup, type SubscriptionRecord } from '../../../src/lib/subscriptions';
import { lifecycleNotification, subscriptionRecord, userNotification } from '../../support/notificationFactories';

/** A CloudEvents 1.0 event as Graph publishes it into a partner topic ("Microsoft Entra events" example). */
function cloudEvent(data: Record<string, unknown>, type = 'Microsoft.Graph.UserUpdated'): Record<string, unknown> {
  return {
    id: crypto.randomUUID(),
    type,
    source: `/tenants/${String(data.tenantId)}/applications/app`,
    subject: typeof data.resource === 'string' ? data.resource : '',
    time: '2026-05-01T10:00:00Z',
    datacontenttype: 'application/json',
    specversion: '1.0',
    data,
  };
}

/** Graph's hub validation message, verbatim in shape ("Receive change notifications through Azure Event Hubs"). */
const VALIDATION_EVENT = {
  value: [
    {
      subscriptionId: 'NA',
      subscriptionExpirationDateTime: 'NA',
      clientState: 'NA',
      changeType:
        'Validation: Testing client application reachability for subscription Request-Id: 522a8e7e-096a-494c-aaf1-ac0dcfca45b7',
      resource: 'NA',
      resourceData: { '@odata.type': 'NA', '@odata.id': 'NA', id: 'NA' },
    },
  ],
};

async function ingestWorld(records: readonly SubscriptionRecord[]) {
  const repository = new MemorySubscriptionRepository();
  for (const record of records) await repository.create(record);
  const clock = new ManualClock('2026-05-01T10:00:00Z');
  const notificationsQueue = new MemoryMessageQueue();
  const lifecycleQueue = new MemoryMessageQueue();
  const deps: IngestDependencies = {
    lookupSubscription: createCachedSubscriptionLookup(repository, clock, 0),
    notificationsQueue,
    lifecycleQueue,
    payloads: new MemoryPayloadStore(),
    clock,
    maxBodyBytes: 4 * 1024 * 1024,
    log: silentLogger,
  };
  return { deps, clock, notificationsQueue, lifecycleQueue };
}

describe('Event Grid events', () => {
  it('checks and queues the notification each CloudEvent carries, exactly as a webhook item', async () => {
    const subscription = subscriptionRecord({ resource: 'users' });
    const world = await ingestWorld([subscription]);

    const result = await ingestEventGridEvents(
      [cloudEvent(userNotification(subscription)), cloudEvent(userNotification(subscription))],
      world.deps,
    );

    expect(result).toMatchObject({ accepted: 2, rejected: {} });
    expect(world.notificationsQueue.sent.length).toBeGreaterThan(0);
  });

  it('refuses a forged clientState, an unknown subscription and another tenant, as the webhook does', async () => {
    const subscription = subscriptionRecord({ resource: 'users' });
    const world = await ingestWorld([subscription]);

    const result = await ingestEventGridEvents(
      [
        cloudEvent(userNotification({ ...subscription, clientState: 'forged' })),
        cloudEvent(userNotification({ ...subscription, subscriptionId: crypto.randomUUID() })),
        cloudEvent(userNotification({ ...subscription, tenantId: crypto.randomUUID() })),
        { specversion: '1.0', type: 'Microsoft.Graph.UserUpdated', id: 'x' },
      ],
      world.deps,
    );

    expect(result).toEqual({
      accepted: 0,
      rejected: { clientStateMismatch: 1, unknownSubscription: 1, tenantMismatch: 1, invalidItem: 1 },
      messagesSent: 0,
    });
    expect(world.notificationsQueue.sent).toEqual([]);
  });

  it('routes a reauthorization event to the lifecycle queue by its type, whatever its case, even without lifecycleEvent in data', async () => {
    const subscription = subscriptionRecord({ resource: 'users' });
    const world = await ingestWorld([subscription]);
    const { lifecycleEvent: _dropped, ...data } = lifecycleNotification(subscription);

    const result = await ingestEventGridEvents(
      [cloudEvent(data, 'microsoft.graph.SUBSCRIPTIONREAUTHORIZATIONREQUIRED')],
      world.deps,
    );

    expect(result.accepted).toBe(1);
    expect(world.lifecycleQueue.sent).toHaveLength(1);
    expect(world.lifecycleQueue.sent[0]?.text).toContain('reauthorizationRequired');
    expect(world.notificationsQueue.sent).toEqual([]);
  });

  it('throws StorageUnavailable when the queue cannot be written, so Event Grid redelivers', async () => {
    const subscription = subscriptionRecord({ resource: 'users' });
    const world = await ingestWorld([subscription]);
    world.notificationsQueue.failWith = new StorageUnavailable('send message');

    await expect(
      ingestEventGridEvents([cloudEvent(userNotification(subscription))], world.deps),
    ).rejects.toBeInstanceOf(StorageUnavailable);
  });

  it('never throws while reading any event, and keeps data as it came for a change event', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string(), (data, type) => {
        const item = notificationOfCloudEvent({ specversion: '1.0', type, data });
        if (data === null || typeof data !== 'object' || Array.isArray(data)) expect(item).toBeUndefined();
        else if (!type.toLowerCase().startsWith('microsoft.graph.subscription')) expect(item).toBe(data);
      }),
    );
    fc.assert(
      fc.property(
        fc.anything(),
        (event) => notificationOfCloudEvent(event) === undefined || typeof notificationOfCloudEvent(event) === 'object',
      ),
    );
  });
});

describe('Event Hubs events', () => {
  it('skips Graph validation message and queues the items of each {"value": [...]} event, bytes, text or parsed', async () => {
    const subscription = subscriptionRecord({ resource: 'users' });
    const world = await ingestWorld([subscription]);
    const two = JSON.stringify({ value: [userNotification(subscription), userNotification(subscription)] });

    const result = await ingestEventHubsEvents(
      [VALIDATION_EVENT, new TextEncoder().encode(two), two, { value: [userNotification(subscription)] }],
      world.deps,
    );

    expect(result).toEqual({ accepted: 5, rejected: 0, validationMessages: 1, failed: [] });
  });

  it('reads a claimed payload (additionalPayloadStorageId) from the blob store and checks it like an inline item', async () => {
    const subscription = subscriptionRecord({ resource: 'users' });
    const world = await ingestWorld([subscription]);
    const claimedPayloads = new MemoryPayloadStore();
    const item = userNotification(subscription);
    const forged = { ...userNotification(subscription), clientState: 'forged' };
    await claimedPayloads.save('blob-1', JSON.stringify(item));
    await claimedPayloads.save('blob-2', JSON.stringify(forged));
    const stub = (storageId: string) => ({
      subscriptionId: subscription.subscriptionId,
      clientState: subscription.clientState,
      changeType: 'updated',
      additionalPayloadStorageId: storageId,
    });

    const result = await ingestEventHubsEvents([{ value: [stub('blob-1')] }, { value: [stub('blob-2')] }], {
      ...world.deps,
      claimedPayloads,
    });

    expect(result).toEqual({ accepted: 1, rejected: 1, validationMessages: 0, failed: [] });
    const queued = world.notificationsQueue.sent.flatMap(
      (message) => (JSON.parse(message.text) as { items: { resource?: unknown }[] }).items,
    );
    expect(queued.map((queuedItem) => queuedItem.resource)).toEqual([item.resource]);
  });

  it('parks an event whose claimed payload cannot be read yet, and replay brings it in once it can', async () => {
    const subscription = subscriptionRecord({ resource: 'users' });
    const world = await ingestWorld([subscription]);
    const parked = new MemoryParkedEventStore();
    const claimedPayloads = new MemoryPayloadStore();
    const events = [
      {
        value: [
          {
            subscriptionId: subscription.subscriptionId,
            clientState: subscription.clientState,
            additionalPayloadStorageId: 'late',
          },
        ],
      },
    ];

    const unconfigured = await ingestEventHubsEvents(events, world.deps);
    const missing = await ingestEventHubsEvents(events, { ...world.deps, claimedPayloads });
    await parkEvents(
      missing.failed.map(({ index }) => events[index]),
      parked,
      world.clock,
    );
    await claimedPayloads.save('late', JSON.stringify(userNotification(subscription)));
    const replay = await replayParkedEvents({ ...world.deps, claimedPayloads, parked });

    expect(unconfigured.failed[0]?.error).toBeInstanceOf(ClaimedPayloadUnreadable);
    expect(missing.failed[0]?.error).toMatchObject({ code: 'ERR_STORAGE_NOT_FOUND' });
    expect(replay).toEqual({ replayed: 1, remaining: 0, deadLettered: 0 });
    expect(world.notificationsQueue.sent).toHaveLength(1);
  });

  it('skips an event whose payload blob never appears, so the events behind it are replayed, and dead-letters it after an hour', async () => {
    const subscription = subscriptionRecord({ resource: 'users' });
    const world = await ingestWorld([subscription]);
    const parked = new MemoryParkedEventStore();
    const claimedPayloads = new MemoryPayloadStore();
    const neverWritten = {
      value: [
        {
          subscriptionId: subscription.subscriptionId,
          clientState: subscription.clientState,
          additionalPayloadStorageId: 'never-written',
        },
      ],
    };
    await parkEvents([neverWritten], parked, world.clock);
    world.clock.advance(1_000);
    await parkEvents([{ value: [userNotification(subscription)] }], parked, world.clock);
    const deps = { ...world.deps, claimedPayloads, parked };

    world.clock.advance(CLAIMED_PAYLOAD_WAIT_MS - 60_000);
    const withinTheHour = await replayParkedEvents(deps);
    const queuedWithinTheHour = world.notificationsQueue.sent.length;
    world.clock.advance(60_000);
    const afterTheHour = await replayParkedEvents(deps);

    expect(withinTheHour).toEqual({ replayed: 1, remaining: 1, deadLettered: 0 });
    expect(queuedWithinTheHour).toBe(1);
    expect(afterTheHour).toEqual({ replayed: 0, remaining: 0, deadLettered: 1 });
    expect(await parked.list()).toEqual([]);
    expect(await parked.listDeadLettered()).toHaveLength(1);
    expect(world.notificationsQueue.sent).toHaveLength(1);
  });

  it('reads back the time a body was parked from its name', async () => {
    const parked = new MemoryParkedEventStore();
    const clock = new ManualClock('2026-05-01T10:11:12.345Z');

    await parkEvents([{ value: [] }], parked, clock);

    expect(parkedAtOf((await parked.list())[0] ?? '')?.toISOString()).toBe('2026-05-01T10:11:12.345Z');
    expect(parkedAtOf('hand-written.json')).toBeUndefined();
  });

  it('returns the events it could not queue, and parking then replay brings them in with nothing lost', async () => {
    const subscription = subscriptionRecord({ resource: 'users' });
    const world = await ingestWorld([subscription]);
    const parked = new MemoryParkedEventStore();
    const events = [
      { value: [userNotification(subscription)] },
      { value: [userNotification(subscription), userNotification(subscription)] },
    ];
    world.notificationsQueue.failWith = new StorageUnavailable('send message');

    const result = await ingestEventHubsEvents(events, world.deps);
    await parkEvents(
      result.failed.map(({ index }) => events[index]),
      parked,
      world.clock,
    );
    const whileDown = await replayParkedEvents({ ...world.deps, parked });
    world.notificationsQueue.failWith = undefined;
    const afterRecovery = await replayParkedEvents({ ...world.deps, parked });

    expect(result.failed.map(({ index }) => index).sort()).toEqual([0, 1]);
    expect(whileDown).toEqual({ replayed: 0, remaining: 2, deadLettered: 0 });
    expect(afterRecovery).toEqual({ replayed: 2, remaining: 0, deadLettered: 0 });
    expect(parked.bodies.size).toBe(0);
    const queued = world.notificationsQueue.sent.flatMap(
      (message) => (JSON.parse(message.text) as { items: unknown[] }).items,
    );
    expect(queued).toHaveLength(3);
  });

  it('marks the envelopes as from the hub only when its adapter says so; nothing a webhook body holds can set the mark', async () => {
    const subscription = subscriptionRecord({ resource: 'users' });
    const world = await ingestWorld([subscription]);
    const attempt = { ...userNotification(subscription), authenticatedRoute: 'eventHubs' };
    const forgedBody = JSON.stringify({ value: [attempt], authenticatedRoute: 'eventHubs' });

    await ingestNotifications(
      'notifications',
      { contentType: 'application/json', body: new TextEncoder().encode(forgedBody) },
      world.deps,
    );
    await ingestEventHubsEvents([forgedBody], world.deps);
    await ingestEventHubsEvents([{ value: [userNotification(subscription)] }], {
      ...world.deps,
      authenticatedRoute: 'eventHubs',
    });

    const envelopes = world.notificationsQueue.sent.map((message) => parseQueueEnvelope(message.text));
    expect(
      envelopes.map((envelope) => ('authenticatedRoute' in envelope ? envelope.authenticatedRoute : undefined)),
    ).toEqual([undefined, undefined, 'eventHubs']);
    expect(() => parseQueueEnvelope({ ...envelopes[2], authenticatedRoute: 'webhook' })).toThrow(EnvelopeInvalid);
  });

  it('recognises the validation message by either of its marks, and only it', () => {
    expect(isValidationMessage(VALIDATION_EVENT.value[0])).toBe(true);
    expect(isValidationMessage({ subscriptionId: crypto.randomUUID(), changeType: 'Validation: x' })).toBe(true);
    expect(isValidationMessage({ subscriptionId: crypto.randomUUID(), changeType: 'updated' })).toBe(false);
  });

  it('never throws while reading any event and never lets a validation message through', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.jsonValue(), fc.string(), fc.uint8Array())), (events) => {
        const items = notificationsOfEvents(events);
        expect(items.some(isValidationMessage)).toBe(false);
      }),
    );
  });
});
