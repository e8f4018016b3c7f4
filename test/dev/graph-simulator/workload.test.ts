/**
 * The workload generator end to end: many random changes with duplicates and reordering reach a
 * receiver, the ground-truth log accounts for every notification, and a receiver that applies the
 * notifications' resources by fetching them ends up equal to the simulator's state.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TENANT_ID, inMinutes, simulatorWithUser, startReceiver, type Receiver, type TestGraph } from './support.js';

/** Messages and users reach the receiver within 3 minutes (Graph's latency table) plus reordering and replays. */
const LATEST_DELIVERY_MS = 5 * 60_000;

let receiver: Receiver;
let graph: TestGraph;

beforeEach(async () => {
  receiver = await startReceiver();
  graph = await simulatorWithUser({ seed: 42, subscriptions: { accessTokenLifetimeMs: null } });
});

afterEach(async () => {
  graph.sim.stop();
  await receiver.stop();
});

describe('workload generator', () => {
  it('delivers every notification of 200 random changes at least once, with duplicates and out of order', async () => {
    await graph.call('POST', '/subscriptions', {
      changeType: 'created,updated,deleted',
      notificationUrl: receiver.url,
      resource: `users/${graph.userId}/messages`,
      expirationDateTime: inMinutes(graph.sim, 600),
    });
    await graph.call('POST', '/subscriptions', {
      changeType: 'updated,deleted',
      notificationUrl: receiver.url,
      resource: 'users',
      expirationDateTime: inMinutes(graph.sim, 600),
    });

    const applied = graph.sim.workload.run(200, {
      mix: { message: 3, user: 1 },
      duplicateRatio: 0.2,
      reorderWindowMs: 30_000,
    });
    await graph.sim.clock.advance(LATEST_DELIVERY_MS);

    const summary = graph.sim.deliverySummary();
    expect(applied).toHaveLength(200);
    expect(summary.total).toBeGreaterThanOrEqual(200);
    expect(summary).toMatchObject({ pending: 0, dropped: 0, discarded: 0, abandoned: 0 });
    expect(summary.delivered).toBe(summary.total);
    expect(summary.duplicatesDelivered).toBeGreaterThan(10);
    expect(receiver.notifications()).toHaveLength(summary.total + summary.duplicatesDelivered);
  });

  it('lets a receiver that fetches what it is told about converge on the simulator state', async () => {
    await graph.call('POST', '/subscriptions', {
      changeType: 'created,updated,deleted',
      notificationUrl: receiver.url,
      resource: `users/${graph.userId}/messages`,
      expirationDateTime: inMinutes(graph.sim, 600),
    });
    graph.sim.workload.run(80, { mix: { message: 1 }, duplicateRatio: 0.3, reorderWindowMs: 10_000 });
    await graph.sim.clock.advance(LATEST_DELIVERY_MS);

    const mirror = new Map<string, unknown>();
    for (const item of receiver.notifications()) {
      // The owner comes as {user-guid}@{tenant-guid}: a receiver reads it as the user of its own tenant.
      const path = String(item.resource)
        .replace(`@${TENANT_ID}/`, '/')
        .replace('Users/', 'users/')
        .replace('/Messages/', '/messages/');
      const { status, json } = await graph.call('GET', `/${path}`);
      if (status === 404) mirror.delete(path);
      else mirror.set(path, json.subject);
    }

    const truth = new Map(
      graph.sim
        .state(TENANT_ID)
        .filter((r) => r.kind === 'message')
        .map((r) => [r.path, r.body.subject]),
    );
    expect(mirror).toEqual(truth);
  });

  it('runs at a rate on the virtual clock until stopped', async () => {
    graph.sim.workload.start({ ratePerSecond: 2 });

    await graph.sim.clock.advance(10_000);
    graph.sim.workload.stop();
    const changed = graph.sim.directory(TENANT_ID).lastSeq;
    await graph.sim.clock.advance(10_000);

    expect(changed).toBeGreaterThanOrEqual(20);
    expect(graph.sim.directory(TENANT_ID).lastSeq).toBe(changed);
  });
});
