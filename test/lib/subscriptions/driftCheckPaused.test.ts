/**
 * A drift check whose run budget ends mid-list, through the reconciler against the simulator (list limit of 25
 * per 20 s per app and tenant on): the partial list is not compared, so the subscriptions on the pages not
 * read are not taken for missing, and the next full-scan run lists the tenant again, paced, without a 429.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { reconcileSubscriptions } from '../../../src/lib/subscriptions';
import { LIST_PAGES_PER_WINDOW_PER_TENANT } from '../../../src/lib/subscriptions/listPacer';
import { seedOutlookSubscriptions } from '../../support/subscriptionFleet';
import { APP_ID, createWorld, MINUTE, NOTIFICATION_URL, requestsOf, TENANT_ID, type World } from './world';

/** 21 pages of Graph's list: one more than the pacer asks in one window. */
const IN_GRAPH = 2_100;
/** What the table knows (the rest were made by someone else): 20 pages expected, so the list is started. */
const FLEET = 2_000;
let world: World;

afterEach(() => {
  world.stop();
});

describe('a drift check paused at the run deadline', () => {
  it(
    'reports no drift from the partial list and lists again at the next full-scan run',
    { timeout: 120_000 },
    async () => {
      world = await createWorld({ settings: { lifecycleNotificationUrl: undefined, driftCheckIntervalMinutes: 60 } });
      await seedOutlookSubscriptions(world.sim, world.repository, {
        tenantId: TENANT_ID,
        appId: APP_ID,
        count: IN_GRAPH,
        notificationUrl: NOTIFICATION_URL,
      });
      const records = await world.repository.list();
      for (const record of records.slice(FLEET)) await world.repository.delete(record.subscriptionId, record.etag);
      // One subscription Graph loses without a lifecycle event: only a complete list may find it.
      const [lost] = await world.repository.list();
      await world.graph.send(TENANT_ID, { method: 'DELETE', path: `/subscriptions/${lost?.subscriptionId ?? ''}` });

      // A budget of one virtual second: the 20 expected pages fit in the first window, the 21st would start past it.
      const paused = await reconcileSubscriptions(world.deps(), { budgetMs: 1_000 });

      expect(paused.fullScan).toBe(true);
      expect(paused.driftChecked).toEqual([]);
      expect(paused.outcomes.recreated).toBeUndefined();
      expect(paused.outcomes.expiryCorrected).toBeUndefined();
      expect(paused.problems).toHaveLength(1);
      expect(paused.problems[0]).toContain('ERR_SUBSCRIPTION_LIST_PAUSED');
      expect(requestsOf(world, 'listSubscriptions')).toHaveLength(LIST_PAGES_PER_WINDOW_PER_TENANT);
      expect(await world.repository.list()).toHaveLength(FLEET);

      // The next full-scan run (one DRIFT_CHECK_INTERVAL_MINUTES later, not the 240 minutes a 20-page tenant waits
      // after a complete check) lists the whole tenant and finds what Graph lost.
      await world.sim.clock.advance(60 * MINUTE);
      const resumed = await reconcileSubscriptions(world.deps());

      expect(resumed.driftChecked).toEqual([TENANT_ID]);
      expect(resumed.outcomes.recreated).toBe(1);
      expect(resumed.unmanagedInGraph).toBe(IN_GRAPH - FLEET);
      expect(resumed.problems).toEqual([]);
      const lists = requestsOf(world, 'listSubscriptions');
      expect(lists).toHaveLength(LIST_PAGES_PER_WINDOW_PER_TENANT + 21);
      expect(lists.filter((request) => request.throttled)).toEqual([]);
    },
  );

  it('does not start a list whose expected pages cannot fit in the budget, and concludes nothing', async () => {
    world = await createWorld({ settings: { lifecycleNotificationUrl: undefined } });
    await seedOutlookSubscriptions(world.sim, world.repository, {
      tenantId: TENANT_ID,
      appId: APP_ID,
      count: IN_GRAPH,
      notificationUrl: NOTIFICATION_URL,
    });

    // 21 expected pages: more than the one window a one-second budget allows.
    const report = await reconcileSubscriptions(world.deps(), { budgetMs: 1_000 });

    expect(report.driftChecked).toEqual([]);
    expect(report.outcomes.recreated).toBeUndefined();
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]).toContain('ERR_SUBSCRIPTION_LIST_PAUSED');
    expect(requestsOf(world, 'listSubscriptions')).toEqual([]);
  });
});
