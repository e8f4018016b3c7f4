/**
 * The simulator's delivery defaults are Graph's documented behaviour, not the kind one: at least once
 * (duplicates), in no particular order, and with each resource's latency from the subscription page's table
 * (a drive change can be notified hours later); `delivery.latency.scale` shrinks time for tests, and
 * `EXACT_DELIVERY` is the named opt-out for tests that count exactly.
 */
import { describe, expect, it } from 'vitest';
import { EXACT_DELIVERY, type GraphSimulatorOptions } from '../../../dev/graph-simulator/index.js';
import { TENANT_ID, inMinutes, useSimulatorWithReceiver } from './support.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** The default reordering window: every notification may be held up to this much beyond its latency. */
const REORDER_MS = 10_000;

// Tokens that never lapse: a 6-hour latency must not turn into a paused subscription in these tests.
const world = useSimulatorWithReceiver({ subscriptions: { accessTokenLifetimeMs: null } });

async function subscribe(resource: string, changeType: string, minutes = 600): Promise<void> {
  const { status } = await world.graph.call('POST', '/subscriptions', {
    changeType,
    notificationUrl: world.receiver.url,
    resource,
    expirationDateTime: inMinutes(world.graph.sim, minutes),
  });
  expect(status).toBe(201);
}

function mailChanges(count: number): void {
  for (let n = 0; n < count; n++)
    world.graph.sim.mutate(TENANT_ID, {
      kind: 'message',
      op: 'create',
      userId: world.graph.userId,
      data: { subject: `m${n}` },
    });
}

/** Virtual milliseconds between each delivered change notification's change and its first delivery. */
function latencies(): number[] {
  return world.graph.sim
    .notifications({ kind: 'change' })
    .map((record) => Date.parse(record.deliveredAt ?? '') - Date.parse(record.createdAt));
}

describe('delivery realism by default', () => {
  it('delivers every notification at least once, some twice and out of order', async () => {
    await subscribe(`users/${world.graph.userId}/messages`, 'created');

    mailChanges(200);
    await world.graph.sim.clock.advance(5 * MINUTE);

    const summary = world.graph.sim.deliverySummary();
    const arrived = world.receiver.notifications().map((item) => String(item.resource));
    const changeOrder = world.graph.sim.notifications().map((record) => String(record.resource));
    expect(summary).toMatchObject({ total: 200, delivered: 200, pending: 0 });
    expect(summary.duplicatesDelivered).toBeGreaterThan(0);
    expect(arrived).toHaveLength(200 + summary.duplicatesDelivered);
    expect(new Set(arrived)).toEqual(new Set(changeOrder));
    expect([...new Set(arrived)]).not.toEqual(changeOrder);
  });

  it("holds each notification back by its resource's latency: Outlook within 3 minutes, drives up to 6 hours", async () => {
    await subscribe(`users/${world.graph.userId}/messages`, 'created');
    await subscribe(`users/${world.graph.userId}/drive/root`, 'updated');
    const drive = world.graph.sim.state(TENANT_ID).find((resource) => resource.kind === 'drive');

    mailChanges(60);
    for (let n = 0; n < 60; n++)
      world.graph.sim.mutate(TENANT_ID, { kind: 'driveItem', op: 'create', driveId: String(drive?.id) });
    await world.graph.sim.clock.settle();
    const atOnce = world.graph.sim.deliverySummary().delivered;
    await world.graph.sim.clock.advance(6 * HOUR + REORDER_MS);

    const byFamily = (prefix: string): number[] =>
      world.graph.sim
        .notifications({ kind: 'change' })
        .filter((record) => String(record.resource).startsWith(prefix))
        .map((record) => Date.parse(record.deliveredAt ?? '') - Date.parse(record.createdAt));
    const mail = byFamily('Users/');
    const drives = byFamily('drives/');
    expect(atOnce).toBeLessThan(10);
    expect(world.graph.sim.deliverySummary()).toMatchObject({ total: 120, delivered: 120, pending: 0 });
    expect(Math.max(...mail)).toBeLessThanOrEqual(3 * MINUTE + REORDER_MS);
    expect(Math.max(...drives)).toBeGreaterThan(3 * MINUTE);
    expect(Math.max(...drives)).toBeLessThanOrEqual(6 * HOUR + REORDER_MS);
  });

  it('scales every latency with delivery.latency.scale, and EXACT_DELIVERY sends exactly once, in order, at once', async () => {
    const scaled: GraphSimulatorOptions = { delivery: { latency: { scale: 0.001 }, reorderWindowMs: 0 } };
    await world.restart({ ...scaled, subscriptions: { accessTokenLifetimeMs: null } });
    await subscribe(`users/${world.graph.userId}/drive/root`, 'updated');
    const drive = world.graph.sim.state(TENANT_ID).find((resource) => resource.kind === 'drive');
    for (let n = 0; n < 60; n++)
      world.graph.sim.mutate(TENANT_ID, { kind: 'driveItem', op: 'create', driveId: String(drive?.id) });
    await world.graph.sim.clock.advance(6 * HOUR * 0.001);
    expect(world.graph.sim.deliverySummary()).toMatchObject({ total: 60, delivered: 60 });
    expect(Math.max(...latencies())).toBeLessThanOrEqual(6 * HOUR * 0.001);

    await world.restart({ delivery: EXACT_DELIVERY, subscriptions: { accessTokenLifetimeMs: null } });
    await subscribe(`users/${world.graph.userId}/messages`, 'created');
    mailChanges(100);
    await world.graph.sim.clock.settle();

    const order = world.graph.sim.notifications().map((record) => String(record.resource));
    const arrived = world.receiver
      .notifications()
      .map((item) => String(item.resource))
      .filter((resource) => resource.startsWith('Users/'));
    expect(arrived).toEqual(order);
    expect(world.graph.sim.deliverySummary()).toMatchObject({ total: 100, delivered: 100, duplicatesDelivered: 0 });
  });
});
