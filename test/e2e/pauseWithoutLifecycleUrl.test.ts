/**
 * End to end: Graph stops delivering when a subscription's access token lapses, whatever the subscription
 * (the simulator's default). A subscription created without a lifecycle URL (LIFECYCLE_NOTIFICATION_URL
 * unset) gets no reauthorizationRequired, so nothing resumes it before its next renewal and the change made
 * meanwhile is lost in Graph. What the app does about it: the periodic resync brings the sink back to the
 * tenant within one interval plus one reconcile period (the loss bound docs/subscriptions.md gives).
 *
 * As in lifecycle.test.ts only `Date` is faked; each step sets it, Graph's clock and the timer scheduler
 * STEP further (Graph's kept GRAPH_CLOCK_LAG_MS behind).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  compareWithGroundTruth,
  GRAPH_CLOCK_LAG_MS,
  readSink,
  startE2ePipeline,
  untilQuiet,
  type E2ePipeline,
} from './support';

const MINUTE = 60_000;
const STEP = 15 * MINUTE;
const RESYNC_INTERVAL_MINUTES = 60;
/** The change is made at 1 h 15: the subscription's token (1 h) has lapsed, its first renewal (2 h) not come. */
const CHANGE_STEP = 6;
const STEPS = CHANGE_STEP + (RESYNC_INTERVAL_MINUTES * MINUTE) / STEP + 2;

let e2e: E2ePipeline;
let changedUserId = '';

beforeAll(async () => {
  vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
  e2e = await startE2ePipeline({
    subscriptions: () => [{ resource: 'users', changeType: 'updated,deleted', withoutLifecycleUrl: true }],
    settings: {
      LIFECYCLE_NOTIFICATION_URL: '',
      SUBSCRIPTION_MAX_LIFETIME_MINUTES: '240',
      // Renewed at 2 h exactly (half the lifetime), not earlier by jitter.
      RENEWAL_JITTER_PERCENT: '0',
      RECONCILE_SCHEDULE: '0 */15 * * * *',
      RESYNC_INTERVAL_MINUTES: String(RESYNC_INTERVAL_MINUTES),
      COALESCE_DELAY_SECONDS: '0',
    },
  });
  const { sim, demo, scheduler } = e2e;
  await untilQuiet(e2e);
  const simStart = sim.clock.now().getTime();
  changedUserId = demo.adeleId;
  for (let step = 1; step <= STEPS; step += 1) {
    if (step === CHANGE_STEP)
      sim.mutate(demo.tenantId, { kind: 'user', op: 'update', id: changedUserId, data: { jobTitle: 'While paused' } });
    const graphTime = simStart + step * STEP;
    vi.setSystemTime(graphTime + GRAPH_CLOCK_LAG_MS);
    await sim.clock.advanceTo(graphTime);
    await scheduler.advanceTo(graphTime + GRAPH_CLOCK_LAG_MS);
    await untilQuiet(e2e);
  }
}, 300_000);

afterAll(async () => {
  vi.useRealTimers();
  await e2e.pipeline.stop();
});

describe('a subscription without a lifecycle URL', () => {
  it('is paused by Graph when its token lapses, unannounced, and the periodic resync recovers what was lost', async () => {
    const { sim } = e2e;

    expect(sim.subscriptions().map((subscription) => subscription.lifecycleNotificationUrl)).toEqual([null]);
    expect(sim.notifications({ kind: 'lifecycle' })).toEqual([]);
    const change = sim
      .notifications({ kind: 'change' })
      .filter((record) => record.resource?.toLowerCase().endsWith(changedUserId.toLowerCase()));
    expect(change.map((record) => record.status)).toEqual(['lost']);
    const users = await compareWithGroundTruth(e2e, (resource) => resource.kind.toLowerCase() === 'user');
    expect(users.different.concat(users.missing).filter((entry) => entry.includes(changedUserId))).toEqual([]);
    expect((await readSink(e2e.pipeline)).get(`users/${changedUserId}`.toLowerCase())?.body).toMatchObject({
      jobTitle: 'While paused',
    });
    expect(e2e.pipeline.invocations.failed()).toBe(0);
  });
});
