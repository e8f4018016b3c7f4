/**
 * End to end through the local host on each non-webhook route: subscriptions created with `delivery`
 * eventGrid / eventHubs, Graph (the simulator) publishing into its simulated partner topic or hub, the host's
 * Event Grid webhook (handshake included) or its fed Event Hubs function taking the events through the same
 * checks and queue as the webhook, and the sink ending equal to Graph. Also: a reauthorization arriving by the
 * route, duplicates and reordering, and storage down for a while with nothing lost (Event Grid redelivers on
 * its retry schedule; the Event Hubs function's retry policy runs the batch again before the checkpoint moves).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResourceSnapshot } from '../../dev/graph-simulator';
import {
  compareWithGroundTruth,
  startE2ePipeline,
  touchEverythingInScope,
  untilDelivered,
  untilQuiet,
  type E2ePipeline,
} from './support';

const directory = (resource: ResourceSnapshot): boolean => ['user', 'group'].includes(resource.kind.toLowerCase());

describe.each(['eventGrid', 'eventHubs'] as const)('the %s route, end to end on the local host', (route) => {
  let e2e: E2ePipeline;
  let folder: string;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), `graph-notify-${route}-`));
    e2e = await startE2ePipeline({
      delivery: route,
      storageLocation: folder,
      subscriptions: () => [
        { resource: 'users', changeType: 'updated,deleted' },
        { resource: 'groups', changeType: 'updated,deleted' },
      ],
    });
  });

  afterAll(async () => {
    await e2e.pipeline.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  it('creates the subscriptions with Graph given the route URL for changes and lifecycle events', async () => {
    const listed = await e2e.pipeline.management.list();

    expect(e2e.pipeline.subscriptionErrors).toEqual([]);
    expect(listed.map((view) => view.delivery)).toEqual([route, route]);
    const prefix = route === 'eventGrid' ? 'EventGrid:?' : 'EventHub:https://';
    expect(
      e2e.sim
        .subscriptions()
        .every(
          (subscription) =>
            subscription.notificationUrl.startsWith(prefix) &&
            subscription.lifecycleNotificationUrl === subscription.notificationUrl,
        ),
    ).toBe(true);
  });

  it('mirrors every change into the sink, duplicates and reordering included, and Graph delivered nothing by webhook', async () => {
    const { sim, demo } = e2e;
    touchEverythingInScope(e2e, `${route} baseline`);
    const users = sim
      .state(demo.tenantId)
      .filter((resource) => resource.kind.toLowerCase() === 'user')
      .slice(0, 3);
    for (const [index, user] of users.entries()) {
      sim.mutate(
        demo.tenantId,
        { kind: 'user', op: 'update', id: user.id, data: { jobTitle: `reordered ${index}` } },
        { duplicateRatio: 1, reorderWindowMs: 5_000 },
      );
    }
    sim.mutate(demo.tenantId, { kind: 'user', op: 'delete', id: users[2]?.id ?? '' });

    await untilQuiet(e2e, { advanceMs: 5_000 });

    expect(await compareWithGroundTruth(e2e, directory)).toMatchObject({ missing: [], different: [], stale: [] });
    expect(e2e.sim.deliveryAttempts().every((attempt) => !attempt.url.startsWith('http'))).toBe(true);
    if (route === 'eventGrid')
      expect(sim.eventGrid.events().every((record) => record.status === 'delivered')).toBe(true);
    else expect(sim.eventHubs.hubs()[0]?.checkpoint).toBe(sim.eventHubs.hubs()[0]?.events);
  });

  it('answers a reauthorizationRequired that arrives by the route', async () => {
    const [first] = await e2e.pipeline.management.list();
    if (first === undefined) throw new TypeError('no subscription');

    const before = e2e.pipeline.invocations.succeeded('processLifecycleNotifications');

    e2e.sim.lifecycle(first.id, 'reauthorizationRequired');
    await untilQuiet(e2e);

    // Created minutes ago, so Graph's 10-minute no-repeat window defers the answer to the timer; either way
    // the challenge came by the route, passed the checks and was handled for this subscription.
    expect(e2e.pipeline.invocations.succeeded('processLifecycleNotifications')).toBeGreaterThan(before);
    expect(e2e.logs.some((entry) => entry.message.includes(first.id) && /reauthoriz/i.test(entry.message))).toBe(true);
  });

  it('loses nothing while storage is down for a while', async () => {
    const { sim, demo, pipeline } = e2e;
    const user = sim.state(demo.tenantId).find((resource) => resource.kind.toLowerCase() === 'user');
    await pipeline.stopStorage();
    sim.mutate(demo.tenantId, {
      kind: 'user',
      op: 'update',
      id: user?.id ?? '',
      data: { jobTitle: `during the ${route} outage` },
    });
    // Graph publishes the change after its latency; the route then fails to hand it to the app.
    const settling = untilDelivered(e2e, 60_000, { graphOnly: true });
    if (route === 'eventGrid') {
      await settling;
      await pipeline.host.idle();
      // The delivery failed (500) and waits for Event Grid's next retry.
      expect(sim.eventGrid.events().some((record) => record.status === 'pending' && record.attempts >= 1)).toBe(true);
    } else {
      // The function fails, cannot park either, and its retry policy holds the checkpoint.
      await delay(1_000);
    }
    await pipeline.startStorage();
    await settling;

    await untilQuiet(e2e, { advanceMs: 30_000, timeoutMs: 60_000 });

    expect(await compareWithGroundTruth(e2e, directory)).toMatchObject({ missing: [], different: [], stale: [] });
    // The outage was seen: the route's function failed at least once before it recovered.
    const fn = route === 'eventGrid' ? 'receiveEventGridNotifications' : 'receiveEventHubsNotifications';
    expect(pipeline.invocations.failed(fn)).toBeGreaterThan(0);
    if (route === 'eventGrid')
      expect(sim.eventGrid.events().filter((record) => record.status !== 'delivered')).toEqual([]);
  }, 90_000);
});
