import { describe, expect, it } from 'vitest';
import { EXACT_DELIVERY } from '../../../dev/graph-simulator/index.js';
import { TENANT_ID, inMinutes, useSimulatorWithReceiver } from './support.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

// Each test pins one behaviour to exact counts, payloads or instants: exactly-once, in-order, immediate delivery.
// The defaults (duplicates, reordering, latency) have their own tests in deliveryRealism.test.ts.
const world = useSimulatorWithReceiver({ delivery: EXACT_DELIVERY });

async function subscribe(minutes: number, lifecycle = true): Promise<string> {
  const { status, json } = await world.graph.call('POST', '/subscriptions', {
    changeType: 'created',
    notificationUrl: `${world.receiver.origin}/changes`,
    ...(lifecycle ? { lifecycleNotificationUrl: `${world.receiver.origin}/lifecycle` } : {}),
    resource: `users/${world.graph.userId}/messages`,
    expirationDateTime: inMinutes(world.graph.sim, minutes),
    clientState: 'life',
  });
  expect(status).toBe(201);
  return String(json.id);
}

function lifecycleEvents(): Record<string, unknown>[] {
  return world.receiver.posts
    .filter((p) => p.path === '/lifecycle' && !p.query.has('validationToken'))
    .flatMap((p) => (JSON.parse(p.body) as { value: Record<string, unknown>[] }).value);
}

describe('reauthorizationRequired', () => {
  it('challenges every 15 minutes before the access token lapses, then loses the changes made while paused', async () => {
    const id = await subscribe(2_000);

    await world.graph.sim.clock.advance(HOUR - 1);
    const challenges = lifecycleEvents().filter((e) => e.lifecycleEvent === 'reauthorizationRequired');
    await world.graph.sim.clock.advance(1);
    world.graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: world.graph.userId });
    await world.graph.sim.clock.advance(5 * MINUTE);
    await world.graph.call('POST', `/subscriptions/${id}/reauthorize`);
    world.graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: world.graph.userId });
    await world.graph.sim.clock.settle();

    expect(challenges).toHaveLength(3);
    expect(challenges[0]).toEqual({
      subscriptionId: id,
      subscriptionExpirationDateTime: expect.stringMatching(/Z$/) as string,
      tenantId: TENANT_ID,
      clientState: 'life',
      lifecycleEvent: 'reauthorizationRequired',
    });
    expect(world.graph.sim.notifications({ kind: 'change' }).map((n) => [n.status, n.reason, n.missedSent])).toEqual([
      ['lost', 'subscription paused: its access token had lapsed', false],
      ['delivered', undefined, undefined],
    ]);
    expect(lifecycleEvents().map((e) => e.lifecycleEvent)).not.toContain('missed');
  });

  it("holds the changes made while paused and delivers them after reauthorize with whilePaused: 'held'", async () => {
    await world.restart({ delivery: { whilePaused: 'held' } });
    const id = await subscribe(2_000);
    await world.graph.sim.clock.advance(HOUR);

    world.graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: world.graph.userId });
    await world.graph.sim.clock.advance(5 * MINUTE);
    const heldWhilePaused = world.graph.sim.deliverySummary({ kind: 'change' });
    await world.graph.call('POST', `/subscriptions/${id}/reauthorize`);
    await world.graph.sim.clock.settle();

    expect(heldWhilePaused).toMatchObject({ pending: 1, delivered: 0 });
    expect(world.graph.sim.deliverySummary({ kind: 'change' })).toMatchObject({ pending: 0, delivered: 1, lost: 0 });
  });

  it("discards notifications held for 4 hours by a lapsed token with whilePaused: 'held'", async () => {
    await world.restart({ delivery: { whilePaused: 'held' } });
    await subscribe(2_000);
    await world.graph.sim.clock.advance(HOUR);

    world.graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: world.graph.userId });
    await world.graph.sim.clock.advance(4 * HOUR);

    expect(world.graph.sim.notifications({ kind: 'change' })[0]).toMatchObject({
      status: 'discarded',
      reason: 'held while the access token had lapsed for 4 hours',
    });
  });

  it('pauses a subscription without a lifecycle URL too, with no challenge, until a renewal', async () => {
    const id = await subscribe(2_000, false);
    await world.graph.sim.clock.advance(2 * HOUR);

    world.graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: world.graph.userId });
    await world.graph.sim.clock.settle();
    await world.graph.call('PATCH', `/subscriptions/${id}`, { expirationDateTime: inMinutes(world.graph.sim, 1_000) });
    world.graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: world.graph.userId });
    await world.graph.sim.clock.settle();

    expect(lifecycleEvents()).toEqual([]);
    expect(world.graph.sim.notifications({ kind: 'change' }).map((record) => record.status)).toEqual([
      'lost',
      'delivered',
    ]);
  });

  it('never pauses a subscription without a lifecycle URL with pauseWithoutLifecycleUrl: false', async () => {
    await world.restart({ subscriptions: { pauseWithoutLifecycleUrl: false } });
    await subscribe(2_000, false);
    await world.graph.sim.clock.advance(2 * HOUR);

    world.graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: world.graph.userId });
    await world.graph.sim.clock.settle();

    expect(world.graph.sim.deliverySummary()).toMatchObject({ delivered: 1 });
  });

  it('starts challenges 3 hours before expiry when the token never lapses', async () => {
    await world.restart({ subscriptions: { accessTokenLifetimeMs: null } });
    await subscribe(6 * 60);

    await world.graph.sim.clock.advance(3 * HOUR - 1);
    const early = lifecycleEvents().length;
    await world.graph.sim.clock.advance(3 * HOUR);

    expect(early).toBe(0);
    // At 3:00, 3:15, ... 5:45: twelve challenges, none at the expiry itself.
    expect(lifecycleEvents().length).toBe(12);
  });

  it('records a reauthorize and a PATCH within 10 minutes as an anomaly', async () => {
    const id = await subscribe(2_000);

    await world.graph.call('POST', `/subscriptions/${id}/reauthorize`);
    await world.graph.call('PATCH', `/subscriptions/${id}`, { expirationDateTime: inMinutes(world.graph.sim, 3_000) });

    expect(world.graph.sim.anomalies()).toEqual([expect.objectContaining({ subscriptionId: id })]);
  });
});

describe('subscriptionRemoved and missed', () => {
  it('removes the subscription and tells the lifecycle URL, in the tenantId variant by default', async () => {
    const id = await subscribe(600);

    world.graph.sim.lifecycle(id, 'subscriptionRemoved');
    await world.graph.sim.clock.settle();
    const after = await world.graph.call('GET', `/subscriptions/${id}`);

    expect(lifecycleEvents()).toEqual([
      expect.objectContaining({ subscriptionId: id, tenantId: TENANT_ID, lifecycleEvent: 'subscriptionRemoved' }),
    ]);
    expect(after.status).toBe(404);
  });

  it('sends the organizationId variant observed from Exchange on request', async () => {
    const id = await subscribe(600);

    world.graph.sim.lifecycle(id, 'missed', 'organizationId');
    await world.graph.sim.clock.settle();

    const [event] = lifecycleEvents();
    expect(event).toMatchObject({
      organizationId: TENANT_ID,
      lifecycleEvent: 'missed',
      resource: `Subscriptions/${id}`,
      resourceData: { '@odata.type': '#microsoft.graph.subscription', id },
    });
    expect(event).not.toHaveProperty('tenantId');
  });

  it('sends missed for a dropped Outlook notification when missedOnDropProbability is 1', async () => {
    await world.restart({ faults: { dropDeliveryRatio: 1 }, lifecycle: { missedOnDropProbability: 1 } });
    const id = await subscribe(600);

    world.graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: world.graph.userId });
    await world.graph.sim.clock.settle();

    expect(lifecycleEvents()).toEqual([expect.objectContaining({ subscriptionId: id, lifecycleEvent: 'missed' })]);
    expect(world.graph.sim.notifications({ kind: 'change' })).toMatchObject([{ status: 'dropped', missedSent: true }]);
  });

  it('does not promise missed: by default some dropped Outlook notifications get none', async () => {
    await world.restart({ faults: { dropDeliveryRatio: 1 }, subscriptions: { accessTokenLifetimeMs: null } });
    await subscribe(600);

    // One drop per 10 minutes, so the one-missed-per-10-minutes limit never hides a draw.
    for (let i = 0; i < 20; i++) {
      world.graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: world.graph.userId });
      await world.graph.sim.clock.advance(10 * MINUTE);
    }
    const drops = world.graph.sim.notifications({ kind: 'change' });

    expect(drops.every((n) => n.status === 'dropped')).toBe(true);
    expect(drops.filter((n) => n.missedSent === true).length).toBe(
      lifecycleEvents().filter((e) => e.lifecycleEvent === 'missed').length,
    );
    expect(drops.filter((n) => n.missedSent === true).length).toBeGreaterThan(0);
    expect(drops.filter((n) => n.missedSent === false).length).toBeGreaterThan(0);
  });

  it('never sends missed to users, groups, drives or Teams, not even on demand', async () => {
    await world.restart({ faults: { dropDeliveryRatio: 1 }, lifecycle: { missedOnDropProbability: 1 } });
    const { json } = await world.graph.call('POST', '/subscriptions', {
      changeType: 'updated',
      notificationUrl: `${world.receiver.origin}/changes`,
      lifecycleNotificationUrl: `${world.receiver.origin}/lifecycle`,
      resource: 'users',
      expirationDateTime: inMinutes(world.graph.sim, 600),
      clientState: 'life',
    });

    world.graph.sim.mutate(TENANT_ID, {
      kind: 'user',
      op: 'update',
      id: world.graph.userId,
      data: { jobTitle: 'Lost' },
    });
    await world.graph.sim.clock.settle();

    expect(world.graph.sim.notifications({ kind: 'change' })).toMatchObject([{ status: 'dropped', missedSent: false }]);
    expect(lifecycleEvents()).toEqual([]);
    expect(() => world.graph.sim.lifecycle(String(json.id), 'missed')).toThrow(/only to Outlook subscriptions/);
  });

  it('removes subscriptions at random under fault injection, drawn each virtual hour', async () => {
    await world.restart({ faults: { subscriptionRemovedPerHour: 1 }, subscriptions: { accessTokenLifetimeMs: null } });
    const id = await subscribe(600);

    await world.graph.sim.clock.advance(HOUR);

    expect(lifecycleEvents().map((e) => e.lifecycleEvent)).toContain('subscriptionRemoved');
    expect(world.graph.sim.subscriptions().map((s) => s.id)).not.toContain(id);
  });

  it("uses the old beta name 'removed' when configured", async () => {
    await world.restart({ lifecycle: { removedEventName: 'removed' } });
    const id = await subscribe(600);

    world.graph.sim.lifecycle(id, 'subscriptionRemoved');
    await world.graph.sim.clock.settle();

    expect(lifecycleEvents()[0]?.lifecycleEvent).toBe('removed');
  });
});
