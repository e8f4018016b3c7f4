/**
 * End to end, subscription lifecycle over two simulated days, through the app's real timer
 * (reconcileSubscriptions on RECONCILE_SCHEDULE, fired by the host's ManualScheduler) and its real
 * lifecycle webhook and queue trigger: 4-hour subscriptions renewed before they lapse, Graph's
 * reauthorizationRequired challenges answered, a subscriptionRemoved recreated and resynced, dropped
 * notifications recovered after `missed` — with the sink still equal to the simulated tenant at the end.
 *
 * The app reads the wall clock, so the test moves it: only `Date` is faked (timers, sockets and Azurite
 * stay real), and every step sets it one virtual hour on, then moves Graph's clock and the timer
 * scheduler to the same instant (Graph's kept GRAPH_CLOCK_LAG_MS behind, as everywhere in test/e2e).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  compareWithGroundTruth,
  GRAPH_CLOCK_LAG_MS,
  problems,
  startE2ePipeline,
  touchEverythingInScope,
  untilQuiet,
  type E2ePipeline,
} from './support';

const HOUR = 3_600_000;
const STEP = HOUR;
const DAYS = 2;
const LIFETIME_MINUTES = 240;

let e2e: E2ePipeline;
/** Instants (Graph's clock) at which a subscription the app holds was missing or expired in Graph. */
const lapses: string[] = [];
const renewalsSeen: number[] = [];
let dropRule: number | undefined;

beforeAll(async () => {
  vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
  e2e = await startE2ePipeline({
    // Graph sends `missed` for some drops only (the simulator's default is half); this run is about answering
    // it, so every drop gets one. Drops with no `missed` are test/e2e/lossRecovery.test.ts's subject.
    simulator: { seed: 4, lifecycle: { missedOnDropProbability: 1 } },
    subscriptions: (demo) => [
      { resource: 'users', changeType: 'updated,deleted' },
      { resource: `users/${demo.adeleId}/messages`, changeType: 'created,updated,deleted' },
      { resource: `drives/${demo.driveId}/root`, changeType: 'updated' },
    ],
    // No coalescing wait: it is a queue visibility delay, which Azurite counts on the wall clock while this
    // test moves virtual hours in seconds (coalescing has its own tests, test/e2e/coalescing.test.ts).
    settings: {
      SUBSCRIPTION_MAX_LIFETIME_MINUTES: String(LIFETIME_MINUTES),
      RECONCILE_SCHEDULE: '0 0 * * * *',
      COALESCE_DELAY_SECONDS: '0',
    },
  });
  const { sim, demo, scheduler, pipeline } = e2e;
  const T = demo.tenantId;
  // Every subscribed resource changes once, so each has a blob to compare at the end.
  touchEverythingInScope(e2e, 'baseline');
  await untilQuiet(e2e);
  const simStart = sim.clock.now().getTime();
  const mailSubscription = (): string | undefined =>
    sim.subscriptions().find((subscription) => subscription.resource.endsWith('/messages'))?.id;

  for (let step = 1; step <= (DAYS * 24 * HOUR) / STEP; step += 1) {
    // A few changes every step in the subscribed directory, mailbox and drive (not while dropping, below).
    if (step !== 24)
      sim.workload.run(3, { tenantId: T, userIds: [demo.adeleId], mix: { user: 1, message: 3, driveItem: 1 } });
    if (step === 12) {
      // Day 1: Graph removes the mailbox subscription, and mail arrives before it is recreated.
      const removed = mailSubscription();
      if (removed !== undefined) sim.lifecycle(removed, 'subscriptionRemoved');
      sim.mutate(T, { kind: 'message', op: 'create', userId: demo.adeleId, data: { subject: 'Sent while removed' } });
    }
    if (step === 24) {
      // Day 2: the delivery of two new messages is dropped; Graph tells the lifecycle webhook it `missed` them.
      dropRule = sim.faults.inject({ target: 'delivery', path: '/api/notifications', action: 'drop', times: 2 });
      sim.mutate(T, { kind: 'message', op: 'create', userId: demo.adeleId, data: { subject: 'Dropped 1' } });
      sim.mutate(T, { kind: 'message', op: 'create', userId: demo.adeleId, data: { subject: 'Dropped 2' } });
    }
    if (step === 25 && dropRule !== undefined) sim.faults.remove(dropRule);

    const graphTime = simStart + step * STEP;
    vi.setSystemTime(graphTime + GRAPH_CLOCK_LAG_MS);
    await sim.clock.advanceTo(graphTime);
    await scheduler.advanceTo(graphTime + GRAPH_CLOCK_LAG_MS);
    await untilQuiet(e2e, { timeoutMs: 20_000 });

    const live = sim.subscriptions().filter((subscription) => Date.parse(subscription.expirationDateTime) > graphTime);
    const held = (await pipeline.management.list()).filter((view) => view.status === 'active');
    for (const view of held)
      if (!live.some((subscription) => subscription.id === view.id))
        lapses.push(`${new Date(graphTime).toISOString()} ${view.resource}`);
    if (live.length !== 3)
      lapses.push(`${new Date(graphTime).toISOString()}: ${live.length} live subscriptions in Graph`);
    renewalsSeen.push((await pipeline.status()).renewals ?? 0);
  }
  // A hang guard, not a speed bar: 48 virtual hours through the real host take ~90 s on a quiet machine and
  // over two minutes on a loaded one.
}, 360_000);

afterAll(async () => {
  vi.useRealTimers();
  await e2e.pipeline.stop();
});

describe(`subscription lifecycle over ${DAYS} simulated days`, () => {
  it('never lets a subscription lapse: the timer renews them and the lifecycle function recreates the removed one', async ({
    annotate,
  }) => {
    const renewals = renewalsSeen.at(-1) ?? 0;
    const telemetry = await e2e.pipeline.status();
    await annotate(
      `${renewals} renewals or re-creations, ${telemetry.reauthorizations ?? 0} reauthorizations, ${e2e.pipeline.invocations.succeeded('reconcileSubscriptions')} reconciler runs`,
    );

    expect(lapses).toEqual([]);
    // 4-hour subscriptions for two days: each renewed about every 2 hours, reauthorized in between.
    expect(renewals).toBeGreaterThan((3 * DAYS * 24) / 4);
    expect(telemetry.reauthorizations).toBeGreaterThan(0);
    // A failed invocation first, with the host's warnings and errors, so a failure says what went wrong.
    expect({
      failed: e2e.pipeline.invocations.failed(),
      problems: e2e.pipeline.invocations.failed() === 0 ? [] : problems(e2e.logs),
    }).toEqual({ failed: 0, problems: [] });
    expect(e2e.pipeline.invocations.succeeded('reconcileSubscriptions')).toBe(DAYS * 24);
    expect((await e2e.pipeline.management.list()).map((view) => view.status)).toEqual(['active', 'active', 'active']);
  });

  it("answers Graph's lifecycle events through the lifecycle webhook and queue", async () => {
    const { sim } = e2e;
    const lifecycle = sim.notifications({ kind: 'lifecycle' });
    const events = new Set(lifecycle.map((record) => record.lifecycleEvent));

    expect(events).toEqual(new Set(['reauthorizationRequired', 'subscriptionRemoved', 'missed']));
    expect(lifecycle.every((record) => record.status === 'delivered')).toBe(true);
    expect(e2e.pipeline.invocations.succeeded('processLifecycleNotifications')).toBeGreaterThan(0);
    expect(e2e.sim.anomalies()).toEqual([]);
    expect((await e2e.pipeline.status()).poison).toBe(0);
  });

  it('ends with the sink equal to the simulated tenant, the removal and the dropped notifications caught up by resyncs', async () => {
    const { sim } = e2e;
    const summary = sim.deliverySummary({ kind: 'change' });

    const truth = await compareWithGroundTruth(e2e, (resource) => {
      const kind = resource.kind.toLowerCase();
      if (kind === 'user') return true;
      if (kind === 'message') return resource.path.startsWith(`users/${e2e.demo.adeleId}/`);
      return kind === 'driveitem' && resource.path.startsWith(`drives/${e2e.demo.driveId}/`);
    });

    expect({ missing: truth.missing, different: truth.different, stale: truth.stale }).toEqual({
      missing: [],
      different: [],
      stale: [],
    });
    const dropped = sim.notifications({ status: 'dropped' });
    expect(dropped.map((record) => record.resource?.split('/')[2])).toEqual(['Messages', 'Messages']);
    expect(dropped.every((record) => record.reason?.startsWith('fault') === true)).toBe(true);
    expect(summary).toMatchObject({ pending: 0, discarded: 0, dropped: 2 });
  });
});
