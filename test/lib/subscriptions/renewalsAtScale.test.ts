/**
 * Renewals at scale under the simulator's subscription-API throttling (500 writes per 20 s per app and
 * tenant, each PATCH inside a `$batch` counted): 800 Outlook subscriptions that all fall due in the same
 * run (no jitter, the worst case) are renewed in that run by waiting out Retry-After, and none lapses over
 * 7 simulated days of 5-minute timer runs. The same fleet with the old behaviour (a 429 stops the tenant
 * until the next run) needs several runs for the same round.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { GraphThrottled } from '../../../src/lib/graph';
import { reconcileSubscriptions, type ReconcileReport } from '../../../src/lib/subscriptions';
import { seedOutlookSubscriptions } from '../../support/subscriptionFleet';
import { APP_ID, createWorld, DAY, MINUTE, NOTIFICATION_URL, requestsOf, TENANT_ID, type World } from './world';

const FLEET = 800;
let world: World;

afterEach(() => {
  world.stop();
});

async function fleet(): Promise<void> {
  world = await createWorld({ settings: { renewalJitterPercent: 0, lifecycleNotificationUrl: undefined } });
  await seedOutlookSubscriptions(world.sim, world.repository, {
    tenantId: TENANT_ID,
    appId: APP_ID,
    count: FLEET,
    notificationUrl: NOTIFICATION_URL,
  });
  // 7 days less the margin, renewed with under 12 hours left: all due together after about 6.5 days.
  await world.sim.clock.advance(6 * DAY + 12 * 60 * MINUTE);
}

describe(`${FLEET} subscriptions due in the same run, under subscription-API throttling`, () => {
  it('renews them all in that run, backing off on 429, and none lapses in 7 days', { timeout: 300_000 }, async () => {
    await fleet();
    const patchesBefore = world.patches.length;

    const round = await reconcileSubscriptions(world.deps());

    expect(round.outcomes.renewed).toBe(FLEET);
    expect(round.outcomes.deferred).toBeUndefined();
    expect(round.outcomes.throttled).toBeGreaterThan(0);
    expect(round.throttledTenants).toEqual([TENANT_ID]);
    // Every renewal is one PATCH (inside $batch calls), and retried ones are PATCHes too.
    expect(world.patches.length - patchesBefore).toBe(FLEET + (round.outcomes.throttled ?? 0));

    const reports: ReconcileReport[] = [];
    for (let elapsed = 0; elapsed < 7 * DAY; elapsed += 5 * MINUTE) reports.push(await world.tick(5 * MINUTE));

    expect(world.simLog.filter((line) => line.endsWith(' expired'))).toEqual([]);
    expect(world.sim.subscriptions()).toHaveLength(FLEET);
    expect(
      reports.every((report) => report.outcomes.recreated === undefined && report.outcomes.failed === undefined),
    ).toBe(true);
    expect(reports.reduce((sum, report) => sum + (report.outcomes.renewed ?? 0), 0)).toBeGreaterThanOrEqual(FLEET);
  });

  it(
    'needs several runs for the same round when a 429 stops the tenant until the next run (the old behaviour)',
    { timeout: 300_000 },
    async () => {
      await fleet();

      const first = await reconcileSubscriptions(world.deps(), { budgetMs: 0, renewalBatchSize: 1 });

      expect(first.outcomes.renewed).toBeLessThan(FLEET);
      expect(first.outcomes.deferred).toBeGreaterThan(0);
    },
  );
});

describe('the simulator throttles the requests inside a $batch, not the batch', () => {
  it('counts each PATCH against the 500 writes per 20 s: the 501st, in the 26th batch of 20, is an inner 429 with Retry-After', async () => {
    world = await createWorld();
    const patch = (): { method: 'PATCH'; path: string; body: { expirationDateTime: string } } => ({
      method: 'PATCH',
      path: `/subscriptions/${randomUUID()}`,
      body: { expirationDateTime: new Date(world.clock.now().getTime() + DAY).toISOString() },
    });
    const statuses: number[] = [];
    let throttled: GraphThrottled | undefined;
    for (let batch = 0; batch < 26; batch += 1) {
      for (const result of await world.graph.sendBatch(
        TENANT_ID,
        Array.from({ length: 20 }, patch),
        'renewSubscriptions',
      )) {
        if (result.ok) statuses.push(result.status);
        else {
          statuses.push(result.error.status ?? 0);
          if (result.error instanceof GraphThrottled) throttled ??= result.error;
        }
      }
    }

    // Unknown ids: 404 while under the limit (the write still counts), 429 from the 501st write on.
    expect(statuses.slice(0, 500).every((status) => status === 404)).toBe(true);
    expect(statuses.slice(500).every((status) => status === 429)).toBe(true);
    expect(throttled?.retryAfterMs).toBeGreaterThan(0);
    expect(requestsOf(world, 'renewSubscriptions')).toHaveLength(26);
  });
});
