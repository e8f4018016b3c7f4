/**
 * End to end, ground truth: after a random workload with duplicated and reordered notifications, the sink
 * holds exactly what the simulated tenant holds for every subscribed resource (no resource missing,
 * different or wrongly alive), and Graph's own delivery log shows every notification acknowledged.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareWithGroundTruth, problems, startE2ePipeline, touchEverythingInScope, untilQuiet, type E2ePipeline } from './support';

const CHANGES = 150;
const REORDER_WINDOW_MS = 30_000;

let e2e: E2ePipeline;

beforeAll(async () => {
  e2e = await startE2ePipeline({ simulator: { seed: 6 } });
});

afterAll(async () => {
  await e2e.pipeline.stop();
});

describe('ground truth', () => {
  it(`converges on the simulator's state after ${CHANGES} random changes with duplicates and reordering`, async ({ annotate }) => {
    const { sim, demo } = e2e;
    const touched = touchEverythingInScope(e2e, 'baseline');
    await untilQuiet(e2e);

    // Two changes per virtual second, so successive changes of one resource carry distinct timestamps.
    sim.workload.start({
      tenantId: demo.tenantId,
      ratePerSecond: 2,
      maxChanges: CHANGES,
      userIds: [demo.adeleId, demo.alexId],
      duplicateRatio: 0.3,
      reorderWindowMs: REORDER_WINDOW_MS,
    });
    const changesBefore = sim.notifications().length;
    await sim.clock.advance((CHANGES / 2) * 1000 + REORDER_WINDOW_MS);
    const status = await untilQuiet(e2e, { timeoutMs: 120_000, advanceMs: 60_000 });
    const truth = await compareWithGroundTruth(e2e);
    const summary = sim.deliverySummary();
    await annotate(`${summary.total} notifications (${summary.duplicatesDelivered} duplicates delivered), ${truth.expected} resources and ${truth.tombstones} tombstones compared`);

    expect(touched).toBeGreaterThan(10);
    expect(sim.workload.running).toBe(false);
    expect(sim.notifications().length - changesBefore).toBeGreaterThan(CHANGES / 2);
    expect({ missing: truth.missing, different: truth.different, stale: truth.stale }).toEqual({ missing: [], different: [], stale: [] });
    expect(truth.expected).toBeGreaterThan(40);
    expect(truth.tombstones).toBeGreaterThan(0);
    expect(summary.duplicatesDelivered).toBeGreaterThan(0);
    expect(summary).toMatchObject({ pending: 0, dropped: 0, discarded: 0, abandoned: 0, delivered: summary.total });
    expect(sim.notifications().filter((record) => record.status !== 'delivered')).toEqual([]);
    expect(status).toMatchObject({ failures: 0, poison: 0 });
    expect(problems(e2e.logs)).toEqual([]);
  }, 180_000);
});
