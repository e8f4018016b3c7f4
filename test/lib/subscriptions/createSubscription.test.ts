import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemorySubscriptionRepository } from '../../../src/adapters/memory/memorySubscriptionRepository';
import { StorageUnavailable } from '../../../src/lib/shared/errors';
import {
  createSubscription,
  INTENT_GRACE_MS,
  isIntentKey,
  reconcileSubscriptions,
  SubscriptionDuplicate,
  SubscriptionRefused,
  SubscriptionRuleViolated,
  SubscriptionsNotConfigured,
  type StoredSubscription,
  type SubscriptionRecord,
} from '../../../src/lib/subscriptions';
import { createWorld, MINUTE, requestsOf, TENANT_ID, type World } from './world';

let world: World;

afterEach(() => {
  world.stop();
});

describe('creating a subscription', () => {
  beforeEach(async () => {
    world = await createWorld();
  });

  it('records a pending intent holding the clientState before Graph validates the webhook, then stores it under the Graph id', async () => {
    let duringHandshake: StoredSubscription[] = [];
    world.onHandshake = async () => {
      duringHandshake = await world.repository.list();
    };

    const created = await createSubscription(
      { resource: `users/${world.userId}/messages`, changeType: 'created,updated' },
      world.deps(),
    );

    expect(duringHandshake).toHaveLength(1);
    expect(duringHandshake[0]).toMatchObject({
      status: 'pending',
      clientState: created.clientState,
      resource: `users/${world.userId}/messages`,
    });
    expect(isIntentKey(duringHandshake[0]?.subscriptionId ?? '')).toBe(true);
    const stored = await world.repository.list();
    expect(stored.map((record) => record.subscriptionId)).toEqual([created.subscriptionId]);
    expect(world.sim.subscriptions().map((subscription) => subscription.id)).toEqual([created.subscriptionId]);
    expect(created).toMatchObject({
      status: 'active',
      origin: 'operator',
      tenantId: TENANT_ID,
      notificationUrl: world.settings.notificationUrl,
    });
  });

  it('asks for the kind maximum less the margin and sends both webhook URLs', async () => {
    const created = await createSubscription({ resource: 'users', changeType: 'updated,deleted' }, world.deps());

    const [inGraph] = world.sim.subscriptions();
    const expected = world.clock.now().getTime() + (41_760 - 15) * MINUTE;
    expect(Date.parse(created.expirationDateTime)).toBe(expected);
    expect(inGraph).toMatchObject({
      lifecycleNotificationUrl: world.settings.lifecycleNotificationUrl,
      notificationUrl: world.settings.notificationUrl,
    });
  });

  it('generates a different, strong clientState for every subscription', async () => {
    const users = await createSubscription({ resource: 'users', changeType: 'updated' }, world.deps());
    const groups = await createSubscription({ resource: 'groups', changeType: 'updated' }, world.deps());

    for (const { clientState } of [users, groups]) {
      expect(clientState).toMatch(/^[A-Za-z0-9_-]{64}$/);
    }
    expect(users.clientState).not.toBe(groups.clientState);
  });

  it('refuses a rule violation before calling Graph, naming the rule', async () => {
    const act = createSubscription({ resource: 'users', changeType: 'created' }, world.deps());

    await expect(act).rejects.toBeInstanceOf(SubscriptionRuleViolated);
    await expect(act).rejects.toMatchObject({
      rule: 'change-type',
      message: expect.stringContaining('Graph accepts updated, deleted') as string,
    });
    expect(requestsOf(world, 'createSubscription')).toHaveLength(0);
    expect(await world.repository.list()).toEqual([]);
  });

  it('refuses a second subscription for the same resource and change types without calling Graph', async () => {
    const first = await createSubscription({ resource: 'users', changeType: 'updated,deleted' }, world.deps());

    const act = createSubscription({ resource: '/Users', changeType: 'deleted, updated' }, world.deps());

    await expect(act).rejects.toBeInstanceOf(SubscriptionDuplicate);
    await expect(act).rejects.toMatchObject({ existingId: first.subscriptionId });
    expect(requestsOf(world, 'createSubscription')).toHaveLength(1);
  });

  it('creates presence subscriptions over different users, and refuses one over the same users listed otherwise', async () => {
    const alex = world.sim.mutate(TENANT_ID, { kind: 'user', op: 'create', data: { mailNickname: 'alex' } });
    const alexId = String(alex?.id);
    const presence = (ids: readonly string[]): string =>
      `communications/presences?$filter=id in (${ids.map((id) => `'${id}'`).join(',')})`;
    const adeleOnly = await createSubscription(
      { resource: presence([world.userId]), changeType: 'updated' },
      world.deps(),
    );

    const both = await createSubscription(
      { resource: presence([world.userId, alexId]), changeType: 'updated' },
      world.deps(),
    );
    const again = createSubscription(
      { resource: presence([alexId.toUpperCase(), world.userId]), changeType: 'updated' },
      world.deps(),
    );

    expect(both.subscriptionId).not.toBe(adeleOnly.subscriptionId);
    await expect(again).rejects.toMatchObject({ code: 'ERR_SUBSCRIPTION_DUPLICATE', existingId: both.subscriptionId });
    expect(world.sim.subscriptions().map((subscription) => subscription.resource)).toEqual([
      presence([world.userId]),
      presence([world.userId, alexId]),
    ]);
  });

  it('explains a failed validation handshake with the webhook address and the reason, and keeps nothing', async () => {
    world.webhook = (url) =>
      url.searchParams.has('validationToken') ? new Response('nope', { status: 401 }) : undefined;

    const act = createSubscription({ resource: 'users', changeType: 'updated' }, world.deps());

    await expect(act).rejects.toBeInstanceOf(SubscriptionRefused);
    const error = (await act.catch((caught: unknown) => caught)) as SubscriptionRefused;
    expect(error.reason).toBe('validationFailed');
    expect(error.message).toContain('http://127.0.0.1:7071/api/notifications');
    expect(error.message).toContain('Notification endpoint must respond with 200 OK to validation request');
    expect(error.message).not.toContain('notifications-key');
    expect(await world.repository.list()).toEqual([]);
    expect(world.sim.subscriptions()).toEqual([]);
  });

  it('explains a quota refusal', async () => {
    world.stop();
    world = await createWorld({ simulator: { subscriptions: { quotas: { directoryPerAppAndTenant: 1 } } } });
    await createSubscription({ resource: 'users', changeType: 'updated' }, world.deps());

    const act = createSubscription({ resource: 'groups', changeType: 'updated' }, world.deps());

    await expect(act).rejects.toMatchObject({
      code: 'ERR_SUBSCRIPTION_REFUSED',
      reason: 'quotaReached',
      message: expect.stringContaining('quota is reached') as string,
    });
  });

  it('explains a duplicate Graph knows about but the table does not', async () => {
    const other = await createSubscription({ resource: 'users', changeType: 'updated' }, world.deps());
    const record = await world.repository.get(other.subscriptionId);
    if (record !== undefined) await world.repository.delete(record.subscriptionId, record.etag);

    const act = createSubscription({ resource: 'users', changeType: 'updated' }, world.deps());

    await expect(act).rejects.toMatchObject({ code: 'ERR_SUBSCRIPTION_DUPLICATE', existingId: other.subscriptionId });
  });

  it('with initialSync, seeds the sink with a full delta at the next reconcile and keeps the deltaLink, so the next resync is incremental', async () => {
    const existing = ['one', 'two', 'three'].map((subject) =>
      world.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: world.userId, data: { subject } }),
    );
    await world.sim.clock.settle();

    const seeded = await createSubscription(
      { resource: `users/${world.userId}/messages`, changeType: 'created,updated,deleted', initialSync: true },
      world.deps(),
    );
    const plain = await createSubscription({ resource: 'users', changeType: 'updated' }, world.deps());
    await world.tick(MINUTE);
    const afterSeed = world.sink.states.size;
    world.sim.mutate(TENANT_ID, {
      kind: 'message',
      op: 'update',
      userId: world.userId,
      id: String(existing[0]?.id),
      data: { subject: 'one, edited' },
    });
    const record = await world.repository.get(seeded.subscriptionId);
    if (record !== undefined)
      await world.repository.update({ ...record, resyncPendingSince: world.clock.now().toISOString() }, record.etag);
    const before = world.requests.length;
    const logsBefore = world.logs.length;
    await world.tick(MINUTE);

    expect(seeded.resyncPendingSince).toBe(seeded.createdAt);
    expect(plain.resyncPendingSince).toBeUndefined();
    expect(afterSeed).toBe(3);
    expect([...world.sink.states.values()].map((state) => state.body?.subject).sort()).toEqual([
      'one, edited',
      'three',
      'two',
    ]);
    expect(await world.repository.get(seeded.subscriptionId)).toMatchObject({
      lastResyncedAt: world.clock.now().toISOString(),
    });
    // Incremental: one delta page per mail folder from its stored link, holding the one edited message only.
    const deltas = world.requests.slice(before).filter((request) => request.operation === 'delta');
    expect(deltas).toHaveLength(5);
    const resyncLines = world.logs.slice(logsBefore).filter((line) => line.message.startsWith('Resynced '));
    expect(resyncLines).toHaveLength(5);
    expect(resyncLines.filter((line) => line.message.includes('(full sync)'))).toEqual([]);
    expect(resyncLines.filter((line) => line.message.includes(' 1 written'))).toHaveLength(1);
  });

  it('refuses initialSync for a kind without a delta query', async () => {
    const act = createSubscription(
      { resource: 'chats/19:abc/messages', changeType: 'created', initialSync: true },
      world.deps(),
    );

    await expect(act).rejects.toThrow(/Rule initial-sync: initialSync is not available for chatMessage subscriptions/);
    expect(requestsOf(world, 'createSubscription')).toHaveLength(0);
  });

  it('fails with the setting name when NOTIFICATION_URL is unset', async () => {
    const act = createSubscription(
      { resource: 'users', changeType: 'updated' },
      { ...world.deps(), settings: { ...world.settings, notificationUrl: undefined } },
    );

    await expect(act).rejects.toBeInstanceOf(SubscriptionsNotConfigured);
    await expect(act).rejects.toThrow(/NOTIFICATION_URL/);
  });
});

/** A repository that fails the next `create` of a record under a Graph id: the process "crashes" there. */
class CrashAfterGraph extends MemorySubscriptionRepository {
  crash = true;

  override create(record: SubscriptionRecord): Promise<StoredSubscription> {
    if (this.crash && !isIntentKey(record.subscriptionId)) {
      this.crash = false;
      return Promise.reject(new StorageUnavailable('create subscription (simulated crash)'));
    }
    return super.create(record);
  }
}

describe('a crash between the intent and the Graph create', () => {
  it('leaves the intent, which the reconciler adopts with its clientState once the grace period passed, and resyncs', async () => {
    const repository = new CrashAfterGraph();
    world = await createWorld({ repository });
    const message = world.sim.mutate(TENANT_ID, {
      kind: 'message',
      op: 'create',
      userId: world.userId,
      data: { subject: 'before' },
    });

    await expect(
      createSubscription(
        { resource: `users/${world.userId}/messages`, changeType: 'created,updated,deleted' },
        world.deps(),
      ),
    ).rejects.toBeInstanceOf(StorageUnavailable);
    const [intent] = await repository.list();
    const [inGraph] = world.sim.subscriptions();
    expect(intent?.status).toBe('pending');

    const early = await reconcileSubscriptions(world.deps(), { forceDriftCheck: true });
    expect(early.outcomes.adopted).toBeUndefined();
    await world.sim.clock.advance(INTENT_GRACE_MS + MINUTE);
    const report = await reconcileSubscriptions(world.deps());

    expect(report.outcomes).toMatchObject({ adopted: 1, resynced: 1 });
    const records = await repository.list();
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      subscriptionId: inGraph?.id,
      status: 'active',
      clientState: intent?.clientState,
    });
    expect(records[0]?.resyncPendingSince).toBeUndefined();
    expect(
      world.sink.states.get(`${TENANT_ID}/users/${world.userId}/messages/${String(message?.id)}`)?.body,
    ).toMatchObject({ subject: 'before' });
  });

  it('removes an intent whose create never reached Graph', async () => {
    world = await createWorld();
    // A 5xx from Graph leaves it open whether Graph created the subscription: the intent stays.
    world.sim.faults.inject({ target: 'graph', method: 'POST', path: '/subscriptions$', status: 503, times: 1 });
    await expect(createSubscription({ resource: 'users', changeType: 'updated' }, world.deps())).rejects.toMatchObject({
      code: 'ERR_GRAPH_UNAVAILABLE',
    });
    expect((await world.repository.list()).map((record) => record.status)).toEqual(['pending']);

    await world.sim.clock.advance(INTENT_GRACE_MS + MINUTE);
    const report = await reconcileSubscriptions(world.deps());

    expect(report.outcomes).toMatchObject({ cleaned: 1 });
    expect(await world.repository.list()).toEqual([]);
    expect(world.sim.subscriptions()).toEqual([]);
  });
});
