import { TableClient } from '@azure/data-tables';
import { afterEach, describe, expect, it } from 'vitest';
import { createTableSubscriptionRepository } from '../../../src/adapters/azure/tableSubscriptionRepository';
import { MemorySubscriptionRepository } from '../../../src/adapters/memory/memorySubscriptionRepository';
import {
  createSubscription,
  reconcileSubscriptions,
  SUBSCRIPTION_LEASE_MS,
  type StoredSubscription,
  type SubscriptionRepository,
} from '../../../src/lib/subscriptions';
import { azuriteConnectionString, uniqueTableName } from '../../support/storage';
import { createWorld, DAY, HOUR, MINUTE, requestsOf, TENANT_ID, type World, type WorldOptions } from './world';

let world: World;

afterEach(() => {
  world.stop();
});

/** Three subscriptions with a 4-hour maximum: due for renewal once under 112 minutes remain. */
async function threeSubscriptions(options: WorldOptions = {}): Promise<StoredSubscription[]> {
  world = await createWorld({
    ...options,
    simulator: {
      subscriptions: {
        outlookMaxExpirationMinutes: 240,
        maxExpirationMinutes: {
          user: 240,
          group: 240,
          message: 240,
          event: 240,
          contact: 240,
          driveRoot: 240,
          chat: 240,
          chatMessage: 240,
        },
      },
      ...options.simulator,
    },
    settings: { maxLifetimeMinutes: 240, ...options.settings },
  });
  const created: StoredSubscription[] = [];
  for (const [resource, changeType] of [
    ['users', 'updated,deleted'],
    ['groups', 'updated,deleted'],
    [`users/${world.userId}/messages`, 'created,updated,deleted'],
  ] as const) {
    created.push(await createSubscription({ resource, changeType }, world.deps()));
  }
  return created;
}

describe('renewal from the table', () => {
  it('renews only subscriptions whose remaining lifetime fell under the window, to the maximum less the margin', async () => {
    await threeSubscriptions();
    await world.sim.clock.advance(HOUR);
    const early = await reconcileSubscriptions(world.deps());
    expect(early.outcomes.renewed).toBeUndefined();

    await world.sim.clock.advance(HOUR + 30 * MINUTE);
    const report = await reconcileSubscriptions(world.deps());

    expect(report.outcomes.renewed).toBe(3);
    const expected = new Date(world.clock.now().getTime() + (240 - 15) * MINUTE).toISOString();
    for (const record of await world.repository.list())
      expect(record).toMatchObject({
        status: 'active',
        expirationDateTime: expected,
        lastRenewedAt: world.clock.now().toISOString(),
      });
    for (const subscription of world.sim.subscriptions())
      expect(Date.parse(subscription.expirationDateTime)).toBe(Date.parse(expected));
  });

  it('works from the table: no Graph list outside the periodic drift check', async () => {
    await threeSubscriptions({ settings: { driftCheckIntervalMinutes: 120 } });

    for (let run = 0; run < 12; run += 1) await world.tick(10 * MINUTE);

    expect(requestsOf(world, 'listSubscriptions')).toHaveLength(1);
  });

  it('recreates a subscription Graph answers 404 for and resyncs its resource', async () => {
    const [users] = await threeSubscriptions();
    const user = world.sim.mutate(TENANT_ID, {
      kind: 'user',
      op: 'create',
      data: { mailNickname: 'lost', displayName: 'Changed while lost' },
    });
    await world.graph.send(TENANT_ID, { method: 'DELETE', path: `/subscriptions/${users?.subscriptionId ?? ''}` });
    await world.sim.clock.advance(2 * HOUR + 30 * MINUTE);

    const report = await reconcileSubscriptions({
      ...world.deps(),
      settings: { ...world.settings, driftCheckIntervalMinutes: 10_000 },
    });

    expect(report.outcomes).toMatchObject({ recreated: 1, renewed: 2 });
    const records = await world.repository.list();
    const replacement = records.find((record) => record.resource === 'users');
    expect(replacement?.subscriptionId).not.toBe(users?.subscriptionId);
    expect(replacement?.clientState).not.toBe(users?.clientState);
    expect(replacement?.resyncPendingSince).toBeUndefined();
    expect(world.sim.subscriptions().map((subscription) => subscription.id)).toContain(replacement?.subscriptionId);
    expect(world.sink.states.get(`${TENANT_ID}/users/${String(user?.id)}`)?.body).toMatchObject({
      displayName: 'Changed while lost',
    });
  });

  it('marks a subscription Graph refuses to renew (403) failed with the reason and renews the others', async () => {
    const [users] = await threeSubscriptions();
    world.sim.faults.inject({
      target: 'graph',
      method: 'PATCH',
      path: `/subscriptions/${users?.subscriptionId ?? ''}$`,
      status: 403,
      code: 'Authorization_RequestDenied',
      message: 'Insufficient privileges to complete the operation.',
    });
    await world.sim.clock.advance(2 * HOUR + 30 * MINUTE);

    const report = await reconcileSubscriptions(world.deps());

    expect(report.outcomes).toMatchObject({ failed: 1, renewed: 2 });
    const failed = await world.repository.get(users?.subscriptionId ?? '');
    expect(failed?.status).toBe('failed');
    expect(failed?.lastError).toContain('lacks the application permission');
    expect(failed?.lastError).toContain('Insufficient privileges');
    expect(report.problems.join('\n')).toContain(users?.subscriptionId);
    // A failed subscription waits for an operator: the next runs leave it alone.
    const patches = world.patches.length;
    await reconcileSubscriptions(world.deps());
    expect(world.patches).toHaveLength(patches);
  });

  it('sends due renewals as one $batch of PATCHes', async () => {
    await threeSubscriptions();
    await world.sim.clock.advance(2 * HOUR + 30 * MINUTE);

    const report = await reconcileSubscriptions(world.deps());

    expect(report.outcomes.renewed).toBe(3);
    expect(world.patches).toHaveLength(3);
    expect(requestsOf(world, 'renewSubscriptions')).toHaveLength(1);
    expect(requestsOf(world, 'renewSubscriptions')[0]?.items?.map((item) => item.status)).toEqual([200, 200, 200]);
  });

  it("writes a batch's leases, and then its outcomes, to the table concurrently (one partition per record, so no transaction)", async () => {
    const table = new MemorySubscriptionRepository();
    let inFlight = 0;
    const overlapping: number[] = [];
    const repository: SubscriptionRepository = {
      get: (id) => table.get(id),
      list: () => table.list(),
      listDue: (before) => table.listDue(before),
      create: (record) => table.create(record),
      delete: (id, etag) => table.delete(id, etag),
      update: async (record, etag) => {
        inFlight += 1;
        overlapping.push(inFlight);
        try {
          return await table.update(record, etag);
        } finally {
          inFlight -= 1;
        }
      },
    };
    await threeSubscriptions({ repository });
    await world.sim.clock.advance(2 * HOUR + 30 * MINUTE);
    overlapping.length = 0;

    const report = await reconcileSubscriptions(world.deps());

    expect(report.outcomes.renewed).toBe(3);
    // Three leases, then three outcomes, each set written at once.
    expect(overlapping).toEqual([1, 2, 3, 1, 2, 3]);
  });

  it('backs off on 429 for its Retry-After, then renews what was throttled in the same run', async () => {
    await threeSubscriptions({ settings: { concurrencyPerTenant: 1 } });
    world.sim.faults.inject({
      target: 'graph',
      method: 'PATCH',
      path: '/subscriptions/',
      status: 429,
      code: 'TooManyRequests',
      retryAfterSeconds: 30,
    });
    await world.sim.clock.advance(2 * HOUR + 30 * MINUTE);
    const started = world.clock.now().getTime();

    const report = await reconcileSubscriptions(world.deps());

    expect(report.outcomes).toMatchObject({ throttled: 1, renewed: 3 });
    expect(report.outcomes.deferred).toBeUndefined();
    expect(report.throttledTenants).toEqual([TENANT_ID]);
    expect(world.clock.now().getTime() - started).toBeGreaterThanOrEqual(30_000);
    expect(world.patches).toHaveLength(4);
    expect(
      (await world.repository.list()).every((record) => record.status === 'active' && record.leaseUntil === undefined),
    ).toBe(true);
  });

  it('leaves throttled work to the next run when Retry-After ends past the run budget', async () => {
    await threeSubscriptions({ settings: { concurrencyPerTenant: 1 } });
    world.sim.faults.inject({
      target: 'graph',
      method: 'PATCH',
      path: '/subscriptions/',
      status: 429,
      code: 'TooManyRequests',
      retryAfterSeconds: 30,
    });
    await world.sim.clock.advance(2 * HOUR + 30 * MINUTE);

    const throttled = await reconcileSubscriptions(world.deps(), { budgetMs: 10_000 });

    expect(throttled.outcomes).toMatchObject({ throttled: 1, renewed: 2, deferred: 1 });
    expect(
      (await world.repository.list()).every((record) => record.status === 'active' && record.leaseUntil === undefined),
    ).toBe(true);

    await world.sim.clock.advance(MINUTE);
    const next = await reconcileSubscriptions(world.deps());

    expect(next.outcomes.renewed).toBe(1);
  });

  it('skips a subscription another worker has leased', async () => {
    const [users] = await threeSubscriptions();
    await world.sim.clock.advance(2 * HOUR + 30 * MINUTE);
    const record = await world.repository.get(users?.subscriptionId ?? '');
    if (record === undefined) throw new Error('missing record');
    await world.repository.update(
      { ...record, leaseUntil: new Date(world.clock.now().getTime() + SUBSCRIPTION_LEASE_MS).toISOString() },
      record.etag,
    );

    const report = await reconcileSubscriptions(world.deps());

    expect(report.outcomes.renewed).toBe(2);
    expect(world.patches).toHaveLength(2);
    expect(world.patches).not.toContain(`/subscriptions/${users?.subscriptionId ?? ''}`);
  });
});

describe('two reconcilers at once (Azurite table, ETag guard)', () => {
  it('renew each subscription exactly once', async () => {
    const table = TableClient.fromConnectionString(azuriteConnectionString(), uniqueTableName('Subs'), {
      allowInsecureConnection: true,
    });
    await threeSubscriptions({ repository: createTableSubscriptionRepository(table) });
    await world.sim.clock.advance(2 * HOUR + 30 * MINUTE);

    const [first, second] = await Promise.all([
      reconcileSubscriptions(world.deps()),
      reconcileSubscriptions(world.deps()),
    ]);

    expect(world.patches).toHaveLength(3);
    expect((first.outcomes.renewed ?? 0) + (second.outcomes.renewed ?? 0)).toBe(3);
    expect(world.sim.anomalies()).toEqual([]);
    const records = await world.repository.list();
    expect(records.map((record) => record.status)).toEqual(['active', 'active', 'active']);
  });
});

describe('drift check', () => {
  it('recreates what Graph lost silently, corrects expiries, and never touches subscriptions it did not create', async () => {
    const [users, groups] = await threeSubscriptions();
    const foreign = await world.graph
      .send(TENANT_ID, {
        method: 'POST',
        path: '/subscriptions',
        body: {
          resource: 'drives/unknown/root',
          changeType: 'updated',
          notificationUrl: 'http://127.0.0.1:7071/other',
          expirationDateTime: new Date(world.clock.now().getTime() + DAY).toISOString(),
        },
      })
      .catch(() => undefined);
    const unmanaged = await world.graph.send(TENANT_ID, {
      method: 'POST',
      path: '/subscriptions',
      body: {
        resource: `users/${world.userId}/events`,
        changeType: 'created',
        notificationUrl: 'http://127.0.0.1:7071/someone-else',
        expirationDateTime: new Date(world.clock.now().getTime() + 3 * HOUR).toISOString(),
      },
    });
    const unmanagedId = (unmanaged.body as { id: string }).id;
    await world.graph.send(TENANT_ID, { method: 'DELETE', path: `/subscriptions/${users?.subscriptionId ?? ''}` });
    await world.graph.send(TENANT_ID, {
      method: 'PATCH',
      path: `/subscriptions/${groups?.subscriptionId ?? ''}`,
      body: { expirationDateTime: new Date(world.clock.now().getTime() + 3 * HOUR).toISOString() },
    });

    const report = await reconcileSubscriptions(world.deps(), { forceDriftCheck: true });

    expect(foreign).toBeUndefined();
    expect(report.driftChecked).toEqual([TENANT_ID]);
    expect(report.outcomes).toMatchObject({ recreated: 1, expiryCorrected: 1 });
    expect(report.unmanagedInGraph).toBe(1);
    expect(world.sim.subscriptions().map((subscription) => subscription.id)).toContain(unmanagedId);
    expect(requestsOf(world, 'deleteSubscription')).toHaveLength(0);
    const groupsRecord = await world.repository.get(groups?.subscriptionId ?? '');
    expect(Date.parse(groupsRecord?.expirationDateTime ?? '')).toBe(world.clock.now().getTime() + 3 * HOUR);
  });
});

describe('desired state', () => {
  const file = (entries: readonly Record<string, unknown>[]): string => JSON.stringify({ subscriptions: entries });

  it('creates missing subscriptions and removes the ones it created that are no longer listed, never operator ones', async () => {
    let desired = file([
      { resource: 'users', changeType: 'updated,deleted' },
      { resource: 'groups', changeType: 'updated' },
    ]);
    world = await createWorld();
    const operators = await createSubscription(
      { resource: `users/${world.userId}/messages`, changeType: 'created' },
      world.deps(),
    );
    const deps = { ...world.deps(), readDesiredState: () => Promise.resolve(desired) };

    const first = await reconcileSubscriptions(deps);
    desired = file([{ resource: 'users', changeType: 'deleted, updated' }]);
    const second = await reconcileSubscriptions(deps);

    expect(first.outcomes.created).toBe(2);
    expect(second.outcomes.deleted).toBe(1);
    const records = await world.repository.list();
    expect(records.map((record) => `${record.resource} ${record.origin ?? ''}`).sort()).toEqual([
      `users desiredState`,
      `users/${world.userId}/messages operator`,
    ]);
    expect(
      world.sim
        .subscriptions()
        .map((subscription) => subscription.resource)
        .sort(),
    ).toEqual(['users', `users/${world.userId}/messages`]);
    expect(records.some((record) => record.subscriptionId === operators.subscriptionId)).toBe(true);
  });

  it('skips the whole pass (deleting nothing) when the file is invalid, and says which entry is wrong', async () => {
    world = await createWorld();
    const deps = (text: string) => ({ ...world.deps(), readDesiredState: () => Promise.resolve(text) });
    await reconcileSubscriptions(deps(file([{ resource: 'users', changeType: 'updated' }])));

    const report = await reconcileSubscriptions(deps(file([{ resource: 'groups', changeType: 'created' }])));

    expect(report.problems.join('\n')).toMatch(/desired state skipped: .*entry 0 \(groups\).*change-type/);
    expect((await world.repository.list()).map((record) => record.resource)).toEqual(['users']);
  });
});
