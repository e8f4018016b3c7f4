import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { answerDeferredChallenges, processLifecycleNotifications } from '../../../src/lib/lifecycle';
import { ENVELOPE_VERSION, parseNotificationEnvelope, type NotificationEnvelope } from '../../../src/lib/notifications';
import { createSubscription, type StoredSubscription } from '../../../src/lib/subscriptions';
import { LIFECYCLE_EVENTS, METRIC } from '../../../src/lib/telemetry';
import { installInMemoryTelemetry, type InMemoryTelemetry } from '../../support/telemetry';
import {
  createWorld,
  HOUR,
  MINUTE,
  requestsOf,
  simulatorTruth,
  sinkContents,
  TENANT_ID,
  type World,
} from '../subscriptions/world';

let world: World;
let telemetry: InMemoryTelemetry;
let messages: StoredSubscription;

beforeEach(async () => {
  telemetry = installInMemoryTelemetry();
  // Subscription tokens that never lapse: these tests send every challenge themselves.
  world = await createWorld({
    simulator: { subscriptions: { accessTokenLifetimeMs: null }, lifecycle: { reauthorization: false } },
  });
  messages = await createSubscription(
    { resource: `users/${world.userId}/messages`, changeType: 'created,updated,deleted' },
    world.deps(),
  );
});

afterEach(async () => {
  world.stop();
  await telemetry.uninstall();
});

function lifecycle(subscriptionId: string, lifecycleEvent: string): NotificationEnvelope {
  return {
    v: ENVELOPE_VERSION,
    kind: 'lifecycle',
    id: `lifecycle-${lifecycleEvent}`,
    receivedAt: world.clock.now().toISOString(),
    items: [
      {
        subscriptionId,
        tenantId: TENANT_ID,
        lifecycleEvent,
        subscriptionExpirationDateTime: messages.expirationDateTime,
      },
    ],
  };
}

describe('reauthorizationRequired', () => {
  it('reauthorizes when renewal is not due, without touching the expiry', async () => {
    await world.sim.clock.advance(HOUR);

    const result = await processLifecycleNotifications(
      lifecycle(messages.subscriptionId, 'reauthorizationRequired'),
      world.deps(),
    );

    expect(result.actions).toEqual({ reauthorized: 1 });
    expect(requestsOf(world, 'reauthorizeSubscription')).toHaveLength(1);
    expect(requestsOf(world, 'renewSubscription')).toHaveLength(0);
    expect(await world.repository.get(messages.subscriptionId)).toMatchObject({
      lastReauthorizedAt: world.clock.now().toISOString(),
      expirationDateTime: messages.expirationDateTime,
    });
  });

  it("puts the challenge back, keeping the subscription active, when reauthorize's repeated handshake times out", async () => {
    await world.sim.clock.advance(HOUR);
    world.sim.faults.inject({ target: 'handshake', action: 'timeout' });

    const slow = await processLifecycleNotifications(
      lifecycle(messages.subscriptionId, 'reauthorizationRequired'),
      world.deps(),
    );
    const stored = await world.repository.get(messages.subscriptionId);
    const again = await processLifecycleNotifications(
      lifecycle(messages.subscriptionId, 'reauthorizationRequired'),
      world.deps(),
    );

    expect(slow.actions).toEqual({ deferred: 1 });
    expect(stored).toMatchObject({
      status: 'active',
      lastError: expect.stringMatching(/reauthorization failed transiently.*validation request timed out/i) as string,
    });
    expect(again.actions).toEqual({ reauthorized: 1 });
    expect(await world.repository.get(messages.subscriptionId)).toMatchObject({ status: 'active' });
  });

  it('renews instead when renewal is due anyway (a PATCH also reauthorizes)', async () => {
    await world.sim.clock.advance(10_080 * MINUTE - 15 * MINUTE - 11 * HOUR);

    const result = await processLifecycleNotifications(
      lifecycle(messages.subscriptionId, 'reauthorizationRequired'),
      world.deps(),
    );

    expect(result.actions).toEqual({ renewed: 1 });
    expect(requestsOf(world, 'reauthorizeSubscription')).toHaveLength(0);
    expect(requestsOf(world, 'renewSubscription')).toHaveLength(1);
  });

  it('never reauthorizes and renews within 10 minutes of each other: a challenge inside the window waits until it has passed', async () => {
    await world.sim.clock.advance(HOUR);
    await processLifecycleNotifications(lifecycle(messages.subscriptionId, 'reauthorizationRequired'), world.deps());
    await world.sim.clock.advance(10_080 * MINUTE - 15 * MINUTE - 12 * HOUR);
    const record = await world.repository.get(messages.subscriptionId);
    if (record !== undefined)
      await world.repository.update(
        { ...record, lastReauthorizedAt: new Date(world.clock.now().getTime() - 4 * MINUTE).toISOString() },
        record.etag,
      );

    const early = await processLifecycleNotifications(
      lifecycle(messages.subscriptionId, 'reauthorizationRequired'),
      world.deps(),
    );
    await world.sim.clock.advance(7 * MINUTE);
    const later = await processLifecycleNotifications(
      lifecycle(messages.subscriptionId, 'reauthorizationRequired'),
      world.deps(),
    );
    await world.sim.clock.advance(MINUTE);
    const again = await processLifecycleNotifications(
      lifecycle(messages.subscriptionId, 'reauthorizationRequired'),
      world.deps(),
    );

    expect(early).toMatchObject({ actions: { deferred: 1 }, requeued: 0 });
    expect(later.actions).toEqual({ renewed: 1 });
    expect(again).toMatchObject({ actions: { deferred: 1 }, requeued: 0 });
    // Recorded on the subscription, for the timer to answer once the window has passed: never dropped.
    expect((await world.repository.get(messages.subscriptionId))?.reauthorizationOwedSince).toBe(
      world.clock.now().toISOString(),
    );
    expect(requestsOf(world, 'reauthorizeSubscription')).toHaveLength(1);
    expect(requestsOf(world, 'renewSubscription')).toHaveLength(1);
    expect(world.sim.anomalies()).toEqual([]);
  });

  it('answers a deferred challenge from the timer once the window has passed, then resyncs', async () => {
    await world.sim.clock.advance(HOUR);
    await processLifecycleNotifications(lifecycle(messages.subscriptionId, 'reauthorizationRequired'), world.deps());
    await world.sim.clock.advance(2 * MINUTE);

    const deferred = await processLifecycleNotifications(
      lifecycle(messages.subscriptionId, 'reauthorizationRequired'),
      world.deps(),
    );
    const inside = await answerDeferredChallenges(world.deps());
    await world.sim.clock.advance(9 * MINUTE);
    const after = await answerDeferredChallenges(world.deps());

    expect(deferred.actions).toEqual({ deferred: 1 });
    expect(inside).toEqual({ answered: 0, waiting: 1 });
    expect(after).toEqual({ answered: 1, waiting: 0 });
    expect(requestsOf(world, 'reauthorizeSubscription')).toHaveLength(2);
    const record = await world.repository.get(messages.subscriptionId);
    expect(record).toMatchObject({
      lastReauthorizedAt: world.clock.now().toISOString(),
      lastResyncedAt: world.clock.now().toISOString(),
    });
    expect(record?.reauthorizationOwedSince).toBeUndefined();
    expect(world.sim.anomalies()).toEqual([]);
  });

  it('resyncs after reauthorizing, so changes whose notifications Graph dropped while it waited reach the sink', async () => {
    world.sim.mutate(TENANT_ID, {
      kind: 'message',
      op: 'create',
      userId: world.userId,
      data: { subject: 'before the pause' },
    });
    await world.sim.clock.settle();
    await world.pump();
    await world.sim.clock.advance(HOUR);
    world.sim.faults.inject({ target: 'delivery', path: '/api/notifications', action: 'drop', times: 2 });
    world.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: world.userId, data: { subject: 'lost 1' } });
    world.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: world.userId, data: { subject: 'lost 2' } });
    await world.sim.clock.settle();
    // No `missed` for this test: only the challenge tells the app.
    world.lifecycleQueue.sent.splice(0);
    expect(sinkContents(world, /\/messages\//, 'subject').size).toBe(1);

    const result = await processLifecycleNotifications(
      lifecycle(messages.subscriptionId, 'reauthorizationRequired'),
      world.deps(),
    );

    expect(result.actions).toEqual({ reauthorized: 1 });
    expect(sinkContents(world, /\/messages\//, 'subject')).toEqual(simulatorTruth(world, ['message'], 'subject'));
    expect(await world.repository.get(messages.subscriptionId)).toMatchObject({
      lastResyncedAt: world.clock.now().toISOString(),
    });
    expect((await world.repository.get(messages.subscriptionId))?.resyncPendingSince).toBeUndefined();
  });

  it('puts the challenge back on the queue, delayed by Retry-After, when Graph throttles', async () => {
    await world.sim.clock.advance(HOUR);
    world.sim.faults.inject({
      target: 'graph',
      method: 'POST',
      path: '/reauthorize$',
      status: 429,
      code: 'TooManyRequests',
      retryAfterSeconds: 42,
    });

    const result = await processLifecycleNotifications(
      lifecycle(messages.subscriptionId, 'reauthorizationRequired'),
      world.deps(),
    );

    expect(result).toMatchObject({ requeued: 1, actions: { deferred: 1 } });
    const [sent] = world.lifecycleQueue.sent;
    expect(sent?.visibilityDelaySeconds).toBe(42);
    expect(parseNotificationEnvelope(sent?.text ?? '').items).toEqual([
      expect.objectContaining({ subscriptionId: messages.subscriptionId, lifecycleEvent: 'reauthorizationRequired' }),
    ]);
  });
});

describe('subscriptionRemoved', () => {
  it('recreates the subscription, then resyncs so the sink equals the simulator', async () => {
    world.sim.mutate(TENANT_ID, {
      kind: 'message',
      op: 'create',
      userId: world.userId,
      data: { subject: 'before removal' },
    });
    await world.pump();
    world.sim.lifecycle(messages.subscriptionId, 'subscriptionRemoved');
    world.sim.mutate(TENANT_ID, {
      kind: 'message',
      op: 'create',
      userId: world.userId,
      data: { subject: 'while removed' },
    });
    await world.sim.clock.settle();

    await world.pump();

    expect(world.lifecycleResults.map((result) => result.actions)).toEqual([{ recreated: 1 }]);
    const [replacement] = await world.repository.list();
    expect(replacement?.subscriptionId).not.toBe(messages.subscriptionId);
    expect(replacement?.resyncPendingSince).toBeUndefined();
    expect(world.sim.subscriptions().map((subscription) => subscription.id)).toEqual([replacement?.subscriptionId]);
    expect(sinkContents(world, /\/messages\//, 'subject')).toEqual(simulatorTruth(world, ['message'], 'subject'));
    expect(sinkContents(world, /\/messages\//, 'subject').size).toBe(2);
  });

  it('accepts the old beta name `removed` and ignores a second removal of the same subscription', async () => {
    world.sim.lifecycle(messages.subscriptionId, 'subscriptionRemoved');
    await world.sim.clock.settle();
    world.lifecycleQueue.sent.splice(0);

    const first = await processLifecycleNotifications(lifecycle(messages.subscriptionId, 'removed'), world.deps());
    const second = await processLifecycleNotifications(
      lifecycle(messages.subscriptionId, 'subscriptionRemoved'),
      world.deps(),
    );

    expect(first.actions).toEqual({ recreated: 1 });
    expect(second.actions).toEqual({ unknownSubscription: 1 });
    expect(requestsOf(world, 'createSubscription')).toHaveLength(2);
  });
});

describe('missed', () => {
  it('resyncs from the stored delta link and closes the gap', async () => {
    world.sim.faults.inject({ target: 'delivery', path: '/api/notifications', action: 'drop', times: 2 });
    world.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: world.userId, data: { subject: 'lost 1' } });
    world.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: world.userId, data: { subject: 'lost 2' } });
    await world.sim.clock.settle();
    expect(sinkContents(world, /\/messages\//, 'subject').size).toBe(0);

    await world.pump();

    expect(world.lifecycleResults.map((result) => result.actions)).toEqual([{ resynced: 1 }]);
    expect(sinkContents(world, /\/messages\//, 'subject')).toEqual(simulatorTruth(world, ['message'], 'subject'));
    expect((await world.repository.get(messages.subscriptionId))?.resyncPendingSince).toBeUndefined();
  });

  it('resyncs every mail folder of a whole-mailbox subscription, not only the Inbox', async () => {
    world.sim.faults.inject({ target: 'delivery', path: '/api/notifications', action: 'drop', times: 3 });
    world.sim.mutate(TENANT_ID, {
      kind: 'message',
      op: 'create',
      userId: world.userId,
      folder: 'inbox',
      data: { subject: 'lost in the inbox' },
    });
    world.sim.mutate(TENANT_ID, {
      kind: 'message',
      op: 'create',
      userId: world.userId,
      folder: 'sentitems',
      data: { subject: 'lost in sent items' },
    });
    world.sim.mutate(TENANT_ID, {
      kind: 'message',
      op: 'create',
      userId: world.userId,
      folder: 'archive',
      data: { subject: 'lost in the archive' },
    });
    await world.sim.clock.settle();

    await world.pump();

    expect(world.lifecycleResults.map((result) => result.actions)).toEqual([{ resynced: 1 }]);
    expect([...sinkContents(world, /\/messages\//, 'subject').values()].sort()).toEqual([
      'lost in sent items',
      'lost in the archive',
      'lost in the inbox',
    ]);
    // One delta stream per folder of the mailbox, each continued from its own deltaLink next time.
    expect(requestsOf(world, 'listMailFolders')).toHaveLength(1);
    expect(requestsOf(world, 'delta')).toHaveLength(5);
  });

  it('catches up events through calendarView delta over the configured window, and contacts by delta', async () => {
    const events = await createSubscription(
      { resource: `users/${world.userId}/events`, changeType: 'created,updated,deleted' },
      world.deps(),
    );
    const contacts = await createSubscription(
      { resource: `users/${world.userId}/contacts`, changeType: 'created,updated,deleted' },
      world.deps(),
    );
    world.sim.faults.inject({ target: 'delivery', path: '/api/notifications', action: 'drop', times: 3 });
    const soon = world.sim.mutate(TENANT_ID, {
      kind: 'event',
      op: 'create',
      userId: world.userId,
      data: { subject: 'next week' },
    });
    world.sim.mutate(TENANT_ID, {
      kind: 'event',
      op: 'create',
      userId: world.userId,
      data: {
        subject: 'in two years',
        start: { dateTime: '2028-05-01T09:00:00', timeZone: 'UTC' },
        end: { dateTime: '2028-05-01T10:00:00', timeZone: 'UTC' },
      },
    });
    world.sim.mutate(TENANT_ID, {
      kind: 'contact',
      op: 'create',
      userId: world.userId,
      data: { displayName: 'Lost Contact' },
    });
    await world.sim.clock.settle();
    world.lifecycleQueue.sent.splice(0);

    const eventResult = await processLifecycleNotifications(lifecycle(events.subscriptionId, 'missed'), world.deps());
    const contactResult = await processLifecycleNotifications(
      lifecycle(contacts.subscriptionId, 'missed'),
      world.deps(),
    );

    expect([eventResult.actions, contactResult.actions]).toEqual([{ resynced: 1 }, { resynced: 1 }]);
    // The default window reaches at least 90 days either side: next week's event is caught up, one in two years is not.
    expect(sinkContents(world, /\/events\//, 'subject')).toEqual(
      new Map([[`users/${world.userId}/events/${String(soon?.id)}`, 'next week']]),
    );
    expect(sinkContents(world, /\/contacts\//, 'displayName')).toEqual(
      simulatorTruth(world, ['contact'], 'displayName'),
    );
    expect(requestsOf(world, 'delta').map((record) => record.path.split('?')[0])).toEqual([
      `/users/${world.userId}/calendarView/delta`,
      `/users/${world.userId}/contacts/delta`,
    ]);
  });

  it('leaves the resync owed for the reconciler when Graph throttles the delta query', async () => {
    world.sim.faults.inject({
      target: 'graph',
      method: 'GET',
      path: '/delta',
      status: 429,
      code: 'TooManyRequests',
      retryAfterSeconds: 5,
    });

    const result = await processLifecycleNotifications(lifecycle(messages.subscriptionId, 'missed'), world.deps());

    expect(result.actions).toEqual({ deferred: 1 });
    expect((await world.repository.get(messages.subscriptionId))?.resyncPendingSince).toBe(
      world.clock.now().toISOString(),
    );
    const report = await world.tick(MINUTE);
    expect(report.outcomes.resynced).toBe(1);
  });
});

describe('other events', () => {
  it('logs and counts an event graph-notify does not know, and does nothing else', async () => {
    const result = await processLifecycleNotifications(
      lifecycle(messages.subscriptionId, 'subscriptionPaused'),
      world.deps(),
    );

    expect(result.actions).toEqual({ unknownEvent: 1 });
    expect(world.logs.some((line) => line.level === 'warn' && line.message.includes('"subscriptionPaused"'))).toBe(
      true,
    );
    expect(await telemetry.sum(METRIC.lifecycleEvents, { 'graph_notify.lifecycle_event': 'unknown' })).toBe(1);
    expect(LIFECYCLE_EVENTS).toContain('unknown');
    expect(world.requests.filter((request) => request.operation !== 'createSubscription')).toEqual([]);
  });
});
