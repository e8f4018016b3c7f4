/**
 * End to end, ground truth: after a random workload under the simulator's defaults (Graph delivers at least
 * once, in no particular order, with latency; here a thousand times shorter), the sink
 * holds exactly what the simulated tenant holds for every subscribed resource (no resource missing,
 * different or wrongly alive), and Graph's own delivery log shows every notification acknowledged.
 *
 * Accounting, not only final state: every change Graph reported has each of its notifications delivered
 * with a 2xx, and reached the sink (see `changesNotReached` for what "reached" means); every notification
 * is counted through each stage, delivered with a 2xx -> received -> accepted (durably enqueued) ->
 * processed, and the counts must match. A notification lost inside the pipeline therefore fails the test
 * even when a later change of the same resource hides it in the final state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  changesNotReached,
  compareWithGroundTruth,
  problems,
  stageCounts,
  startE2ePipeline,
  touchEverythingInScope,
  untilQuiet,
  type E2ePipeline,
} from './support';

const CHANGES = 150;
/** Long enough for the defaults' reordering (10 s) and scaled latency (a drive's 6 h become 21.6 s). */
const DELIVERY_SPREAD_MS = 30_000;

let e2e: E2ePipeline;

beforeAll(async () => {
  e2e = await startE2ePipeline({ simulator: { seed: 6 } });
});

afterAll(async () => {
  await e2e.pipeline.stop();
});

describe('ground truth', () => {
  it(`converges on the simulator's state after ${CHANGES} random changes under Graph's delivery defaults`, async ({
    annotate,
  }) => {
    const { sim, demo } = e2e;
    const touched = touchEverythingInScope(e2e, 'baseline');
    await untilQuiet(e2e);

    // Two changes per virtual second, so successive changes of one resource carry distinct timestamps.
    sim.workload.start({
      tenantId: demo.tenantId,
      ratePerSecond: 2,
      maxChanges: CHANGES,
      userIds: [demo.adeleId, demo.alexId],
    });
    const changesBefore = sim.notifications().length;
    await sim.clock.advance((CHANGES / 2) * 1000 + DELIVERY_SPREAD_MS);
    const status = await untilQuiet(e2e, { timeoutMs: 120_000, advanceMs: 60_000 });
    const truth = await compareWithGroundTruth(e2e);
    const summary = sim.deliverySummary();
    await annotate(
      `${summary.total} notifications (${summary.duplicatesDelivered} duplicates delivered), ${truth.expected} resources and ${truth.tombstones} tombstones compared`,
    );

    expect(touched).toBeGreaterThan(10);
    expect(sim.workload.running).toBe(false);
    expect(sim.notifications().length - changesBefore).toBeGreaterThan(CHANGES / 2);
    expect({ missing: truth.missing, different: truth.different, stale: truth.stale }).toEqual({
      missing: [],
      different: [],
      stale: [],
    });
    expect(truth.expected).toBeGreaterThan(40);
    expect(truth.tombstones).toBeGreaterThan(0);
    expect(summary.duplicatesDelivered).toBeGreaterThan(0);
    expect(summary).toMatchObject({ pending: 0, dropped: 0, discarded: 0, abandoned: 0, delivered: summary.total });
    expect(sim.notifications().filter((record) => record.status !== 'delivered')).toEqual([]);
    expect(status).toMatchObject({ failures: 0, poison: 0 });
    expect(problems(e2e.logs)).toEqual([]);
  }, 180_000);

  it('accounts for every change and counts every notification through each stage', async () => {
    const { sim, demo } = e2e;
    const reported = sim.changes(demo.tenantId).filter((change) => change.notifications.length > 0);

    const counts = await stageCounts(e2e);
    const notReached = await changesNotReached(e2e);

    expect(reported.length).toBeGreaterThan(CHANGES / 2);
    expect(reported.flatMap((change) => change.notifications).filter((fate) => fate.status !== 'delivered')).toEqual(
      [],
    );
    expect(notReached).toEqual([]);
    expect(sim.notifications({ kind: 'lifecycle' })).toEqual([]);
    expect(counts.deliveredWith2xx).toBe(
      sim
        .notifications()
        .reduce((sum, record) => sum + (record.status === 'delivered' ? 1 : 0) + record.duplicatesDelivered, 0),
    );
    // A POST Graph timed out on may or may not have reached the app; every other count is exact.
    expect(counts.received).toBeGreaterThanOrEqual(counts.sentToApp - counts.uncertain);
    expect(counts.received).toBeLessThanOrEqual(counts.sentToApp);
    expect(counts.accepted).toBeGreaterThanOrEqual(counts.deliveredWith2xx);
    expect(counts.accepted).toBeLessThanOrEqual(counts.deliveredWith2xx + counts.uncertain);
    expect(counts.processed).toBe(counts.accepted);
  });
});
