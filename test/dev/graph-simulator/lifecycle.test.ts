import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GraphSimulatorOptions } from '../../../dev/graph-simulator/index.js';
import { TENANT_ID, inMinutes, simulatorWithUser, startReceiver, type Receiver, type TestGraph } from './support.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let receiver: Receiver;
let graph: TestGraph;

beforeEach(async () => {
  receiver = await startReceiver();
  graph = await simulatorWithUser();
});

afterEach(async () => {
  graph.sim.stop();
  await receiver.stop();
});

async function restart(options: GraphSimulatorOptions): Promise<void> {
  graph.sim.stop();
  graph = await simulatorWithUser(options);
}

async function subscribe(minutes: number, lifecycle = true): Promise<string> {
  const { status, json } = await graph.call('POST', '/subscriptions', {
    changeType: 'created',
    notificationUrl: `${receiver.origin}/changes`,
    ...(lifecycle ? { lifecycleNotificationUrl: `${receiver.origin}/lifecycle` } : {}),
    resource: `users/${graph.userId}/messages`,
    expirationDateTime: inMinutes(graph.sim, minutes),
    clientState: 'life',
  });
  expect(status).toBe(201);
  return String(json.id);
}

function lifecycleEvents(): Record<string, unknown>[] {
  return receiver.posts
    .filter((p) => p.path === '/lifecycle' && !p.query.has('validationToken'))
    .flatMap((p) => (JSON.parse(p.body) as { value: Record<string, unknown>[] }).value);
}

describe('reauthorizationRequired', () => {
  it('challenges every 15 minutes before the access token lapses, then pauses delivery until reauthorize', async () => {
    const id = await subscribe(2_000);

    await graph.sim.clock.advance(HOUR - 1);
    const challenges = lifecycleEvents().filter((e) => e.lifecycleEvent === 'reauthorizationRequired');
    await graph.sim.clock.advance(1);
    graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: graph.userId });
    await graph.sim.clock.advance(5 * MINUTE);
    const heldWhilePaused = graph.sim.deliverySummary({ kind: 'change' });
    await graph.call('POST', `/subscriptions/${id}/reauthorize`);
    await graph.sim.clock.settle();

    expect(challenges).toHaveLength(3);
    expect(challenges[0]).toEqual({ subscriptionId: id, subscriptionExpirationDateTime: expect.stringMatching(/Z$/) as string, tenantId: TENANT_ID, clientState: 'life', lifecycleEvent: 'reauthorizationRequired' });
    expect(heldWhilePaused).toMatchObject({ pending: 1, delivered: 0 });
    expect(graph.sim.deliverySummary({ kind: 'change' })).toMatchObject({ pending: 0, delivered: 1 });
  });

  it('discards notifications held for 4 hours by a lapsed token', async () => {
    await subscribe(2_000);
    await graph.sim.clock.advance(HOUR);

    graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: graph.userId });
    await graph.sim.clock.advance(4 * HOUR);

    expect(graph.sim.notifications({ kind: 'change' })[0]).toMatchObject({ status: 'discarded', reason: 'held while the access token had lapsed for 4 hours' });
  });

  it('never pauses a subscription without a lifecycle URL', async () => {
    await subscribe(2_000, false);
    await graph.sim.clock.advance(2 * HOUR);

    graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: graph.userId });
    await graph.sim.clock.settle();

    expect(graph.sim.deliverySummary()).toMatchObject({ delivered: 1 });
  });

  it('starts challenges 3 hours before expiry when the token never lapses', async () => {
    await restart({ subscriptions: { accessTokenLifetimeMs: null } });
    await subscribe(6 * 60);

    await graph.sim.clock.advance(3 * HOUR - 1);
    const early = lifecycleEvents().length;
    await graph.sim.clock.advance(3 * HOUR);

    expect(early).toBe(0);
    // At 3:00, 3:15, ... 5:45: twelve challenges, none at the expiry itself.
    expect(lifecycleEvents().length).toBe(12);
  });

  it('records a reauthorize and a PATCH within 10 minutes as an anomaly', async () => {
    const id = await subscribe(2_000);

    await graph.call('POST', `/subscriptions/${id}/reauthorize`);
    await graph.call('PATCH', `/subscriptions/${id}`, { expirationDateTime: inMinutes(graph.sim, 3_000) });

    expect(graph.sim.anomalies()).toEqual([expect.objectContaining({ subscriptionId: id })]);
  });
});

describe('subscriptionRemoved and missed', () => {
  it('removes the subscription and tells the lifecycle URL, in the tenantId variant by default', async () => {
    const id = await subscribe(600);

    graph.sim.lifecycle(id, 'subscriptionRemoved');
    await graph.sim.clock.settle();
    const after = await graph.call('GET', `/subscriptions/${id}`);

    expect(lifecycleEvents()).toEqual([expect.objectContaining({ subscriptionId: id, tenantId: TENANT_ID, lifecycleEvent: 'subscriptionRemoved' })]);
    expect(after.status).toBe(404);
  });

  it('sends the organizationId variant observed from Exchange on request', async () => {
    const id = await subscribe(600);

    graph.sim.lifecycle(id, 'missed', 'organizationId');
    await graph.sim.clock.settle();

    const [event] = lifecycleEvents();
    expect(event).toMatchObject({ organizationId: TENANT_ID, lifecycleEvent: 'missed', resource: `Subscriptions/${id}`, resourceData: { '@odata.type': '#microsoft.graph.subscription', id } });
    expect(event).not.toHaveProperty('tenantId');
  });

  it('sends missed when a change notification of an Outlook subscription is dropped', async () => {
    await restart({ faults: { dropDeliveryRatio: 1 } });
    const id = await subscribe(600);

    graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: graph.userId });
    await graph.sim.clock.settle();

    expect(lifecycleEvents()).toEqual([expect.objectContaining({ subscriptionId: id, lifecycleEvent: 'missed' })]);
    expect(graph.sim.deliverySummary({ kind: 'change' })).toMatchObject({ dropped: 1 });
  });

  it('removes subscriptions at random under fault injection, drawn each virtual hour', async () => {
    await restart({ faults: { subscriptionRemovedPerHour: 1 }, subscriptions: { accessTokenLifetimeMs: null } });
    const id = await subscribe(600);

    await graph.sim.clock.advance(HOUR);

    expect(lifecycleEvents().map((e) => e.lifecycleEvent)).toContain('subscriptionRemoved');
    expect(graph.sim.subscriptions().map((s) => s.id)).not.toContain(id);
  });

  it("uses the old beta name 'removed' when configured", async () => {
    await restart({ lifecycle: { removedEventName: 'removed' } });
    const id = await subscribe(600);

    graph.sim.lifecycle(id, 'subscriptionRemoved');
    await graph.sim.clock.settle();

    expect(lifecycleEvents()[0]?.lifecycleEvent).toBe('removed');
  });
});
