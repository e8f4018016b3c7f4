import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryChangeSink } from '../../../src/adapters/memory/memoryChangeSink';
import { nextPeriodicResyncAt, runPeriodicResyncs } from '../../../src/lib/resync';
import { createSubscription, type StoredSubscription } from '../../../src/lib/subscriptions';
import {
  createWorld,
  HOUR,
  MINUTE,
  requestsOf,
  simulatorTruth,
  sinkContents,
  TENANT_ID,
  type World,
} from '../subscriptions/world';

const INTERVAL = 6 * HOUR;
let world: World;
let users: StoredSubscription;
let mail: StoredSubscription;

beforeEach(async () => {
  // Drops without `missed` (Graph does not promise one); tokens that never lapse, so only drops lose changes here.
  world = await createWorld({
    simulator: {
      subscriptions: { accessTokenLifetimeMs: null },
      lifecycle: { reauthorization: false, missedOnDropProbability: 0 },
    },
    settings: { resync: { intervalMinutes: INTERVAL / MINUTE, eventWindowDays: 90 } },
  });
  users = await createSubscription({ resource: 'users', changeType: 'updated,deleted' }, world.deps());
  mail = await createSubscription(
    { resource: `users/${world.userId}/messages`, changeType: 'created,updated,deleted' },
    world.deps(),
  );
});

afterEach(() => {
  world.stop();
});

/** Drops every change notification until removed; Graph sends no `missed`. */
function dropEverything(): number {
  return world.sim.faults.inject({
    target: 'delivery',
    path: '/api/notifications',
    action: 'drop',
    times: Number.MAX_SAFE_INTEGER,
  });
}

describe('periodic resync (the safety net)', () => {
  it('catches up changes whose notifications Graph dropped without `missed`, within one interval', async () => {
    const dropping = dropEverything();
    world.sim.mutate(TENANT_ID, {
      kind: 'message',
      op: 'create',
      userId: world.userId,
      data: { subject: 'dropped mail' },
    });
    world.sim.mutate(TENANT_ID, { kind: 'user', op: 'update', id: world.userId, data: { jobTitle: 'dropped title' } });
    await world.sim.clock.settle();
    world.sim.faults.remove(dropping);
    await world.pump();
    expect(world.lifecycleResults).toEqual([]);
    expect(sinkContents(world, /\/messages\//, 'subject').size).toBe(0);

    const reports = [];
    for (let elapsed = 0; elapsed < INTERVAL; elapsed += 5 * MINUTE) {
      await world.sim.clock.advance(5 * MINUTE);
      reports.push(await runPeriodicResyncs(world.deps()));
    }

    expect(reports.reduce((sum, report) => sum + report.resynced, 0)).toBe(2);
    expect(sinkContents(world, /\/messages\//, 'subject')).toEqual(simulatorTruth(world, ['message'], 'subject'));
    expect(sinkContents(world, /^users\/[^/]+$/, 'jobTitle')).toEqual(simulatorTruth(world, ['user'], 'jobTitle'));
    const stored = await world.repository.get(mail.subscriptionId);
    expect(Date.parse(stored?.lastResyncedAt ?? '')).toBeLessThanOrEqual(Date.parse(mail.createdAt) + INTERVAL);
  });

  it('tombstones a resource deleted while its deletion notification was dropped, found by the first full listing', async () => {
    world.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: world.userId, data: { subject: 'kept' } });
    world.sim.mutate(TENANT_ID, {
      kind: 'message',
      op: 'create',
      userId: world.userId,
      data: { subject: 'deleted unreported' },
    });
    await world.sim.clock.settle();
    await world.pump();
    const pathOf = (subject: string): string =>
      world.sim.state(TENANT_ID).find((resource) => resource.body.subject === subject)?.path ?? '';
    const [kept, doomed] = [pathOf('kept'), pathOf('deleted unreported')];
    expect([...sinkContents(world, /\/messages\//, 'subject').values()].sort()).toEqual(['deleted unreported', 'kept']);
    const dropping = dropEverything();
    world.sim.mutate(TENANT_ID, {
      kind: 'message',
      op: 'delete',
      userId: world.userId,
      id: doomed.split('/').at(-1) ?? '',
    });
    await world.sim.clock.settle();
    world.sim.faults.remove(dropping);
    await world.pump();

    for (let elapsed = 0; elapsed < INTERVAL; elapsed += 5 * MINUTE) {
      await world.sim.clock.advance(5 * MINUTE);
      await runPeriodicResyncs(world.deps());
    }

    expect(sinkContents(world, /\/messages\//, 'subject')).toEqual(simulatorTruth(world, ['message'], 'subject'));
    expect([...sinkContents(world, /\/messages\//, 'subject').keys()]).toContain(kept);
    expect(world.sink.states.get(MemoryChangeSink.key(TENANT_ID, doomed))).toMatchObject({
      changeType: 'deleted',
      body: undefined,
    });
    expect(requestsOf(world, 'confirmDeleted')).toHaveLength(1);
  });

  it('starts the delta again from scratch when Graph answers an expired users delta link 400 syncStateNotFound', async () => {
    for (let elapsed = 0; elapsed < INTERVAL; elapsed += 5 * MINUTE) {
      await world.sim.clock.advance(5 * MINUTE);
      await runPeriodicResyncs(world.deps());
    }
    const dropping = dropEverything();
    world.sim.mutate(TENANT_ID, { kind: 'user', op: 'update', id: world.userId, data: { jobTitle: 'while away' } });
    await world.sim.clock.settle();
    world.sim.faults.remove(dropping);
    // More than a week without a resync: the stored users delta link is past Graph's 7 days, even one issued by
    // a resync at the last step above (a link exactly 7 days old is still valid).
    await world.sim.clock.advance(7 * 24 * HOUR + HOUR);
    const before = world.requests.length;

    await runPeriodicResyncs(world.deps());

    const userDeltas = world.requests
      .slice(before)
      .filter((request) => request.operation === 'delta' && request.path === '/users/delta');
    expect(userDeltas.map((request) => request.status)).toEqual([400, 200]);
    expect(sinkContents(world, /^users\/[^/]+$/, 'jobTitle')).toEqual(simulatorTruth(world, ['user'], 'jobTitle'));
    expect(world.logs.filter((line) => line.level === 'error')).toEqual([]);
  });

  it('spreads first resyncs over the interval per subscription, then repeats every interval', () => {
    const createdAt = '2026-05-01T08:00:00.000Z';
    const firsts = ['a', 'b', 'c', 'd', 'e', 'f'].map(
      (id) => nextPeriodicResyncAt({ subscriptionId: id, createdAt }, INTERVAL) - Date.parse(createdAt),
    );

    expect(new Set(firsts).size).toBe(firsts.length);
    expect(firsts.every((offset) => offset > 0 && offset <= INTERVAL)).toBe(true);
    expect(
      nextPeriodicResyncAt({ subscriptionId: 'a', createdAt, lastResyncedAt: '2026-05-01T10:00:00.000Z' }, INTERVAL),
    ).toBe(Date.parse('2026-05-01T16:00:00.000Z'));
  });

  it('does nothing before a subscription is due, and nothing at all when RESYNC_INTERVAL_MINUTES is 0', async () => {
    await world.sim.clock.advance(INTERVAL);
    const off = await runPeriodicResyncs({
      ...world.deps(),
      settings: { ...world.settings, resync: { intervalMinutes: 0, eventWindowDays: 90 } },
    });
    const first = await runPeriodicResyncs(world.deps());
    await world.sim.clock.advance(5 * MINUTE);
    const soonAfter = await runPeriodicResyncs(world.deps());

    expect(off).toMatchObject({ due: 0, resynced: 0 });
    expect(first).toMatchObject({ due: 2, resynced: 2 });
    expect(soonAfter).toMatchObject({ due: 0, resynced: 0 });
  });

  it('stops at a 429 and holds the tenant back for Retry-After on every instance', async () => {
    await world.sim.clock.advance(INTERVAL);
    const fault = world.sim.faults.inject({
      target: 'graph',
      method: 'GET',
      path: '/delta',
      status: 429,
      code: 'TooManyRequests',
      retryAfterSeconds: 600,
    });

    const throttled = await runPeriodicResyncs(world.deps());
    world.sim.faults.remove(fault);
    const deltasAfterThrottle = requestsOf(world, 'delta').length;
    await world.sim.clock.advance(5 * MINUTE);
    const held = await runPeriodicResyncs(world.deps());
    const deltasWhileHeld = requestsOf(world, 'delta').length - deltasAfterThrottle;
    await world.sim.clock.advance(6 * MINUTE);
    const resumed = await runPeriodicResyncs(world.deps());

    expect(throttled).toMatchObject({ due: 2, resynced: 0, throttledTenants: [TENANT_ID] });
    // One throttled call, not one per subscription.
    expect(deltasAfterThrottle).toBe(1);
    expect(held).toMatchObject({ due: 2, resynced: 0 });
    expect(deltasWhileHeld).toBe(0);
    expect(resumed).toMatchObject({ due: 2, resynced: 2, throttledTenants: [] });
  });

  it('leaves a resource whose delta stream another run holds for the next run', async () => {
    await world.sim.clock.advance(INTERVAL);
    const other = await world.leases.tryAcquire(TENANT_ID, 'users', world.clock.now(), 5 * MINUTE);

    const busy = await runPeriodicResyncs(world.deps());
    if (other !== undefined) await world.leases.release(other);
    const later = await runPeriodicResyncs(world.deps());

    expect(busy).toMatchObject({ due: 2, resynced: 1, postponed: 1 });
    expect(later).toMatchObject({ due: 1, resynced: 1 });
    expect((await world.repository.get(users.subscriptionId))?.lastResyncedAt).toBe(world.clock.now().toISOString());
  });
});
