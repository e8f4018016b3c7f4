/**
 * End to end, under faults injected from outside the app (the production code has no test branch):
 * Graph answers 10 % of reads with 429 or 503 and now and then a 500 that fails the whole invocation (the
 * host retries it), and storage goes down in the middle of the run — while invocations are inside Graph
 * reads and while Graph keeps delivering — and comes back on the same ports with its data. Afterwards
 * the sink equals the simulator's state, nothing went to a poison queue and Graph lost no notification.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compareWithGroundTruth,
  startE2ePipeline,
  touchEverythingInScope,
  untilQuiet,
  type E2ePipeline,
} from './support';

let e2e: E2ePipeline;
let storageFolder = '';

beforeAll(async () => {
  // Persisted storage: an outage loses no data, as in Azure. Graph reads may be slowed past the outage.
  storageFolder = mkdtempSync(join(tmpdir(), 'graph-notify-e2e-'));
  e2e = await startE2ePipeline({
    storageLocation: storageFolder,
    simulator: { seed: 7 },
    settings: { GRAPH_REQUEST_TIMEOUT_MS: '20000' },
  });
});

afterAll(async () => {
  await e2e.pipeline.stop();
  rmSync(storageFolder, { recursive: true, force: true });
});

/**
 * The next `times` reads (single GETs, $batch calls or reads inside one) fail with a 500 and no
 * Retry-After: a transient failure, so the invocation throws once the rest is written and the host retries it.
 */
function crashNextReads(times: number): void {
  e2e.sim.faults.inject({
    target: 'graph',
    path: '^/(\\$batch|users/|groups/|drives/|chats/)',
    status: 500,
    code: 'generalException',
    message: 'Injected crash.',
    times,
  });
}

function executions(functionName: string): number {
  return e2e.logs.filter(
    (entry) => entry.functionName === functionName && entry.source === 'host' && entry.message.startsWith('Executing'),
  ).length;
}

describe('faults', () => {
  it('converges on the ground truth through throttling, failed invocations and a storage outage, losing nothing', async ({
    annotate,
  }) => {
    const { sim, demo, pipeline } = e2e;
    const T = demo.tenantId;
    const workload = {
      tenantId: T,
      ratePerSecond: 2,
      userIds: [demo.adeleId, demo.alexId],
      duplicateRatio: 0.2,
      reorderWindowMs: 10_000,
    };
    touchEverythingInScope(e2e, 'baseline');
    await untilQuiet(e2e);

    // 1. Graph throttles and fails reads, and some invocations crash.
    sim.faults.configure({ readThrottleRatio: 0.05, serviceUnavailableRatio: 0.05, retryAfterSeconds: 1 });
    crashNextReads(3);
    sim.workload.start({ ...workload, maxChanges: 60 });
    await sim.clock.advance(40_000);
    crashNextReads(3);
    await untilQuiet(e2e, { timeoutMs: 30_000, advanceMs: 30_000 });

    // 2. Storage stops while invocations wait on (slowed) Graph reads, and Graph keeps delivering meanwhile.
    sim.faults.configure({ slowResponseRatio: 1, slowResponseMs: 6_000 });
    const started = executions('processNotifications');
    sim.mutate(T, {
      kind: 'message',
      op: 'create',
      userId: demo.adeleId,
      data: { subject: 'In flight during the outage' },
    });
    sim.mutate(T, { kind: 'user', op: 'update', id: demo.meganId, data: { officeLocation: 'Outage' } });
    const deadline = Date.now() + 10_000;
    while (executions('processNotifications') === started && Date.now() < deadline) await delay(20);
    await delay(500);
    await pipeline.stopStorage();
    sim.mutate(T, {
      kind: 'message',
      op: 'create',
      userId: demo.alexId,
      data: { subject: 'Sent while storage is down' },
    });
    sim.mutate(T, {
      kind: 'chatMessage',
      op: 'create',
      chatId: demo.chatId,
      data: { body: { contentType: 'text', content: 'Down' } },
    });
    sim.mutate(T, { kind: 'event', op: 'create', userId: demo.adeleId, data: { subject: 'Down too' } });
    await sim.clock.advance(10_000);
    await pipeline.startStorage();
    sim.faults.configure({ slowResponseRatio: 0 });

    // 3. The rest of the workload, faults still on.
    sim.workload.start({ ...workload, maxChanges: 60 });
    await sim.clock.advance(40_000);
    crashNextReads(3);
    const status = await untilQuiet(e2e, { timeoutMs: 40_000, advanceMs: 30_000 });
    sim.faults.reset();

    const truth = await compareWithGroundTruth(e2e);
    const summary = sim.deliverySummary();
    const refusedWhileDown = sim.deliveryAttempts().filter((attempt) => attempt.outcome !== 'acknowledged').length;
    const requeued = e2e.logs.filter((entry) => entry.message.includes('back on the queue')).length;
    await annotate(
      `${summary.total} notifications, ${refusedWhileDown} delivery attempts refused during the outage, ${status.failures} failed invocations retried, ` +
        `${requeued} throttled messages put back, ${truth.expected} resources compared`,
    );

    expect({ missing: truth.missing, different: truth.different, stale: truth.stale }).toEqual({
      missing: [],
      different: [],
      stale: [],
    });
    expect(status.poison).toBe(0);
    expect(summary).toMatchObject({ pending: 0, dropped: 0, discarded: 0, abandoned: 0, delivered: summary.total });
    expect(sim.notifications().filter((record) => record.status !== 'delivered')).toEqual([]);
    // The faults did happen: Graph's deliveries were refused while storage was down, invocations failed and were retried, reads were throttled.
    expect(refusedWhileDown).toBeGreaterThan(0);
    expect(status.failures).toBeGreaterThan(0);
    expect(requeued).toBeGreaterThan(0);
  }, 90_000);
});
