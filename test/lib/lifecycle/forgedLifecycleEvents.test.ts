/**
 * Issue #18: an attacker who saw one genuine POST holds the subscription's clientState, so ingest accepts a
 * lifecycle event they forge. These events go through the lifecycle queue and handler as Graph's own do
 * (the simulator answers over HTTP), and must not change state Graph does not confirm.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MISSED_RESYNC_INTERVAL_MS } from '../../../src/lib/lifecycle';
import { ENVELOPE_VERSION, type NotificationEnvelope } from '../../../src/lib/notifications';
import { createSubscription, type StoredSubscription } from '../../../src/lib/subscriptions';
import { createWorld, HOUR, MINUTE, requestsOf, TENANT_ID, type World } from '../subscriptions/world';

let world: World;
let messages: StoredSubscription;

beforeEach(async () => {
  world = await createWorld({
    simulator: { subscriptions: { accessTokenLifetimeMs: null }, lifecycle: { reauthorization: false } },
    // No periodic safety net: its first run falls at a point of its interval chosen by the subscription's id, and a
    // run inside these tests' first minutes would answer the forged `missed` events (coalesced) before they arrive.
    settings: { resync: { intervalMinutes: 0, eventWindowDays: 90 } },
  });
  messages = await createSubscription(
    { resource: `users/${world.userId}/messages`, changeType: 'created,updated,deleted' },
    world.deps(),
  );
  await world.tick(MINUTE);
});

afterEach(() => {
  world.stop();
});

let forged = 0;

/** What ingest queues for a lifecycle POST carrying the genuine clientState. */
async function forge(subscriptionId: string, lifecycleEvent: string): Promise<void> {
  forged += 1;
  const envelope: NotificationEnvelope = {
    v: ENVELOPE_VERSION,
    kind: 'lifecycle',
    id: `forged-${forged}`,
    receivedAt: world.clock.now().toISOString(),
    items: [{ subscriptionId, tenantId: TENANT_ID, lifecycleEvent }],
  };
  await world.lifecycleQueue.send(JSON.stringify(envelope));
}

/** Resyncs of the mailbox subscription: each one lists the mailbox's folders once. */
const resyncs = (): number => requestsOf(world, 'listMailFolders').length;

describe('a forged subscriptionRemoved', () => {
  it('is checked with Graph, ignored while Graph still has the subscription, which stays active and renewing', async () => {
    world.lifecycleResults.splice(0);
    const creates = requestsOf(world, 'createSubscription').length;

    await forge(messages.subscriptionId, 'subscriptionRemoved');
    await world.pump();

    expect(world.lifecycleResults.map((result) => result.actions)).toEqual([{ unconfirmed: 1 }]);
    expect(requestsOf(world, 'getSubscription')).toHaveLength(1);
    expect(requestsOf(world, 'createSubscription')).toHaveLength(creates);
    expect(await world.repository.get(messages.subscriptionId)).toMatchObject({ status: 'active' });
    const warning = world.logs.find((line) => line.message.includes('subscriptionRemoved') && line.level === 'warn');
    expect(warning?.message).toMatch(/Graph still has it/);
    expect(warning?.message).not.toContain(messages.clientState);

    // Days later it is still the one Graph delivers for, renewed by the reconciler.
    for (let day = 0; day < 3; day += 1) await world.tick(24 * HOUR);
    const record = await world.repository.get(messages.subscriptionId);
    expect(record).toMatchObject({ status: 'active' });
    expect(Date.parse(record?.expirationDateTime ?? '')).toBeGreaterThan(world.clock.now().getTime());
    expect(world.sim.subscriptions().map((subscription) => subscription.id)).toEqual([messages.subscriptionId]);
  });

  it('is acted on when Graph answers 404: recreated, the cause named', async () => {
    world.sim.lifecycle(messages.subscriptionId, 'subscriptionRemoved');
    await world.sim.clock.settle();
    world.lifecycleResults.splice(0);
    await world.pump();

    const [replacement] = await world.repository.list();
    expect(replacement?.subscriptionId).not.toBe(messages.subscriptionId);
    expect(world.sim.subscriptions().map((subscription) => subscription.id)).toEqual([replacement?.subscriptionId]);
    expect(world.logs.some((line) => /subscriptionRemoved and answered 404/.test(line.message))).toBe(true);
  });

  it('goes back on the queue when Graph cannot answer the check now, and changes nothing meanwhile', async () => {
    world.sim.faults.inject({
      target: 'graph',
      method: 'GET',
      path: `/subscriptions/${messages.subscriptionId}$`,
      status: 503,
      code: 'ServiceUnavailable',
      times: 1,
    });
    world.lifecycleResults.splice(0);

    await forge(messages.subscriptionId, 'subscriptionRemoved');
    await world.pump();

    expect(world.lifecycleResults.map((result) => result.actions)).toEqual([{ deferred: 1 }]);
    expect(await world.repository.get(messages.subscriptionId)).toMatchObject({ status: 'active' });
    await world.tick(2 * MINUTE);
    expect(world.lifecycleResults.map((result) => result.actions)).toEqual([{ deferred: 1 }, { unconfirmed: 1 }]);
    expect(await world.repository.get(messages.subscriptionId)).toMatchObject({ status: 'active' });
  });
});

describe('a subscriptionRemoved Graph refuses to confirm', () => {
  it('changes nothing when Graph answers the check with a refusal other than 404', async () => {
    world.sim.faults.inject({
      target: 'graph',
      method: 'GET',
      path: `/subscriptions/${messages.subscriptionId}$`,
      status: 403,
      code: 'Forbidden',
      times: 1,
    });
    world.lifecycleResults.splice(0);

    await forge(messages.subscriptionId, 'subscriptionRemoved');
    await world.pump();

    expect(world.lifecycleResults.map((result) => result.actions)).toEqual([{ unconfirmed: 1 }]);
    expect(await world.repository.get(messages.subscriptionId)).toMatchObject({ status: 'active' });
  });
});

describe('a burst of forged missed events', () => {
  it('costs one resync per interval: 30 events, 1 resync', async () => {
    await world.tick(MISSED_RESYNC_INTERVAL_MS);
    const before = resyncs();
    world.lifecycleResults.splice(0);

    for (let index = 0; index < 30; index += 1) await forge(messages.subscriptionId, 'missed');
    await world.pump();

    expect(resyncs() - before).toBe(1);
    const actions = world.lifecycleResults.map((result) => result.actions);
    expect(actions.filter((action) => action.resynced === 1)).toHaveLength(1);
    expect(actions.filter((action) => action.coalesced === 1)).toHaveLength(29);
  });

  it('keeps to one resync per interval when the events keep coming, and pays a gap no resync covered once the interval ends', async () => {
    await world.tick(MISSED_RESYNC_INTERVAL_MS);
    const before = resyncs();

    // One forged event a minute for two intervals.
    const minutes = (2 * MISSED_RESYNC_INTERVAL_MS) / MINUTE;
    for (let minute = 0; minute < minutes; minute += 1) {
      await forge(messages.subscriptionId, 'missed');
      await world.sim.clock.advance(MINUTE);
      await world.pump();
    }
    await world.sim.clock.advance(MISSED_RESYNC_INTERVAL_MS);
    await world.pump();

    // The first event, one at the end of each interval for the events inside it: never more than one per interval.
    expect(resyncs() - before).toBeLessThanOrEqual(3);
    expect(resyncs() - before).toBeGreaterThanOrEqual(2);
    // Every event is answered in the end: none stays on the queue.
    expect(world.lifecycleQueue.sent).toHaveLength(0);
    expect(world.lifecycleResults.reduce((sum, result) => sum + result.items, 0)).toBeGreaterThanOrEqual(minutes);
  });
});
