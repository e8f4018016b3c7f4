/**
 * End to end, a lone change is read without waiting: with the longest coalescing delay (60 s), a quiet resource
 * (no notification about it within the delay) still reaches the sink, read once, while the next change to
 * it, now active, waits on the queue for the delay (docs/processing.md#coalescing-across-deliveries).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problems, readSink, startE2ePipeline, type E2ePipeline, untilDelivered } from './support';

let e2e: E2ePipeline;

beforeAll(async () => {
  e2e = await startE2ePipeline({
    subscriptions: () => [{ resource: 'users', changeType: 'updated,deleted' }],
    settings: { COALESCE_DELAY_SECONDS: '60' },
  });
});

afterAll(async () => {
  await e2e.pipeline.stop();
});

describe('a lone change', () => {
  it('is read without waiting for the coalescing delay; the next change to the same resource waits', async () => {
    const { sim, demo, pipeline } = e2e;
    const T = demo.tenantId;
    const sinkKey = `users/${demo.meganId}`.toLowerCase();
    expect(pipeline.subscriptionErrors).toEqual([]);
    const readsBefore = sim.graphTraffic().reads;

    sim.mutate(T, { kind: 'user', op: 'update', id: demo.meganId, data: { jobTitle: 'Lone change' } });
    await untilDelivered(e2e);
    const deadline = Date.now() + 30_000;
    while ((await readSink(pipeline)).get(sinkKey)?.body.jobTitle !== 'Lone change') {
      if (Date.now() > deadline) throw new Error('the lone change did not reach the sink within 30 s');
      await delay(100);
    }
    expect(sim.graphTraffic().reads - readsBefore).toBe(1);

    // Megan is active now: her next change is held on the queue for the delay, not read.
    sim.mutate(T, { kind: 'user', op: 'update', id: demo.meganId, data: { jobTitle: 'Second change' } });
    await untilDelivered(e2e);
    await pipeline.host.idle();

    // Held on the queue, not read; Graph delivers at least once, so a slow answer on a loaded machine can queue a
    // duplicate of it beside it.
    expect((await pipeline.status()).queued).toBeGreaterThanOrEqual(1);
    expect(sim.graphTraffic().reads - readsBefore).toBe(1);
    expect((await readSink(pipeline)).get(sinkKey)?.body).toMatchObject({ jobTitle: 'Lone change' });
    expect(problems(e2e.logs)).toEqual([]);
  }, 90_000);
});
