/**
 * End to end, coalescing across deliveries does not lose a change: Graph holds the app's read of a user
 * in flight (the simulator keeps the request open), the user changes meanwhile and its notification
 * reaches the webhook; once the read returns the old state, the later notification is still read and the
 * sink ends with the new state. A read covers only the notifications received before it started.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  problems,
  readSink,
  startE2ePipeline,
  untilQuiet,
  withoutResponseAnnotations,
  type E2ePipeline,
  untilDelivered,
} from './support';

let e2e: E2ePipeline;

beforeAll(async () => {
  e2e = await startE2ePipeline({ subscriptions: () => [{ resource: 'users', changeType: 'updated,deleted' }] });
});

afterAll(async () => {
  await e2e.pipeline.stop();
});

describe('coalescing across deliveries', () => {
  it('reads again for a change notified while a read of the resource was in flight', async () => {
    const { sim, demo, pipeline } = e2e;
    const T = demo.tenantId;
    expect(pipeline.subscriptionErrors).toEqual([]);
    const held = sim.faults.hold(`^/users/${demo.meganId}$`, 'GET');
    const readsBefore = sim.graphTraffic().reads;

    sim.mutate(T, { kind: 'user', op: 'update', id: demo.meganId, data: { jobTitle: 'Before the read' } });
    await untilDelivered(e2e);
    await held.reached;

    // The app is inside its read of Megan: she changes, and Graph notifies the webhook before the read returns.
    sim.mutate(T, { kind: 'user', op: 'update', id: demo.meganId, data: { jobTitle: 'During the read' } });
    await untilDelivered(e2e);
    held.release();
    await untilQuiet(e2e, { timeoutMs: 30_000 });

    const stored = (await readSink(pipeline)).get(`users/${demo.meganId}`.toLowerCase());
    expect(withoutResponseAnnotations(stored?.body ?? {})).toEqual(
      withoutResponseAnnotations(sim.resource(T, `users/${demo.meganId}`) ?? {}),
    );
    expect(stored?.body).toMatchObject({ jobTitle: 'During the read' });
    expect(sim.graphTraffic().reads - readsBefore).toBe(2);
    expect(problems(e2e.logs)).toEqual([]);
  }, 90_000);
});
