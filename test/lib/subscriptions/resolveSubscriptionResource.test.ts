/**
 * A subscription resource that names its user by user principal name is resolved to the user's id once, at
 * create, so its resync and its notifications write under one key; `me/…` is refused (app-only has no "me").
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createSubscription,
  reconcileSubscriptions,
  SubscriptionDuplicate,
  SubscriptionRuleViolated,
  SubscriptionUserNotFound,
  toSubscriptionView,
} from '../../../src/lib/subscriptions';
import { userPrincipalNameOf, withUserId } from '../../../src/lib/subscriptions/resolveSubscriptionResource';
import { createWorld, requestsOf, TENANT_ID, type World } from './world';

let world: World;

beforeEach(async () => {
  world = await createWorld();
});

afterEach(() => {
  world.stop();
});

/** The demo user of the world: mailNickname adele in the tenant's domain. */
const UPN = 'Adele@Contoso.test';

describe('a subscription made with a user principal name', () => {
  it('is subscribed and stored under the user id, the name kept for display, resolved by one lookup', async () => {
    const created = await createSubscription(
      { resource: `users/${UPN}/contacts`, changeType: 'created,updated,deleted' },
      world.deps(),
    );

    expect(created.resource).toBe(`users/${world.userId}/contacts`);
    expect(created.requestedResource).toBe(`users/${UPN}/contacts`);
    expect(toSubscriptionView(created)).toMatchObject({
      resource: `users/${world.userId}/contacts`,
      requestedResource: `users/${UPN}/contacts`,
    });
    expect(world.sim.subscriptions().map((subscription) => subscription.resource)).toEqual([
      `users/${world.userId}/contacts`,
    ]);
    expect(requestsOf(world, 'resolveUser').map((request) => request.path)).toEqual([
      `/users/${encodeURIComponent(UPN)}`,
    ]);
    expect(await world.repository.get(created.subscriptionId)).toMatchObject({
      resource: `users/${world.userId}/contacts`,
      requestedResource: `users/${UPN}/contacts`,
    });
  });

  it('keeps the key syntax and the query of the resource as written', async () => {
    const created = await createSubscription(
      { resource: `/users('${UPN}')/messages?$select=subject`, changeType: 'created' },
      world.deps(),
    );

    expect(created.resource).toBe(`users/${world.userId}/messages?$select=subject`);
  });

  it('is the same subscription as one made with the id: the second is a duplicate', async () => {
    await createSubscription({ resource: `users/${UPN}/events`, changeType: 'created' }, world.deps());

    await expect(
      createSubscription(
        { resource: `users/${world.userId.toUpperCase()}/events`, changeType: 'created' },
        world.deps(),
      ),
    ).rejects.toBeInstanceOf(SubscriptionDuplicate);
  });

  it('is refused with ERR_SUBSCRIPTION_USER_NOT_FOUND when Graph knows no such user, and nothing is left behind', async () => {
    const refusal = createSubscription(
      { resource: 'users/nobody@contoso.test/contacts', changeType: 'created' },
      world.deps(),
    );

    await expect(refusal).rejects.toBeInstanceOf(SubscriptionUserNotFound);
    await expect(refusal).rejects.toMatchObject({ code: 'ERR_SUBSCRIPTION_USER_NOT_FOUND' });
    await expect(refusal).rejects.toThrow(/nobody@contoso\.test.*users\/\{id\}/);
    expect(await world.repository.list()).toEqual([]);
    expect(world.sim.subscriptions()).toEqual([]);
  });

  it('asks Graph nothing for a resource that names its user by id', async () => {
    await createSubscription({ resource: `users/${world.userId}/contacts`, changeType: 'created' }, world.deps());

    expect(requestsOf(world, 'resolveUser')).toEqual([]);
  });
});

describe('a drive named through its owner', () => {
  it('is subscribed as the drive its notifications name, the owner form kept for display', async () => {
    const driveId = world.sim.directory(TENANT_ID).driveOfUser(world.userId)?.id;
    expect(driveId).toBeDefined();

    const created = await createSubscription(
      { resource: `users/${UPN}/drive/root`, changeType: 'updated' },
      world.deps(),
    );

    expect(created.resource).toBe(`drives/${driveId}/root`);
    expect(created.requestedResource).toBe(`users/${UPN}/drive/root`);
    expect(world.sim.subscriptions().map((subscription) => subscription.resource)).toEqual([`drives/${driveId}/root`]);
    expect(requestsOf(world, 'resolveDrive').map((request) => request.path)).toEqual([`/users/${world.userId}/drive`]);
  });

  it('is refused when Graph knows no such owner, and nothing is created', async () => {
    const refusal = createSubscription(
      { resource: 'users/00000000-0000-4000-8000-00000000abcd/drive/root', changeType: 'updated' },
      world.deps(),
    );

    await expect(refusal).rejects.toMatchObject({ code: 'ERR_SUBSCRIPTION_REFUSED', reason: 'resourceNotFound' });
    expect(world.sim.subscriptions()).toEqual([]);
  });
});

describe('me/…', () => {
  it.each(['me/messages', "/Me/mailFolders('inbox')/messages", 'me/drive/root'])(
    'is refused before Graph is called, saying why and what to write instead: %s',
    async (resource) => {
      const refusal = createSubscription({ resource, changeType: 'updated' }, world.deps());

      await expect(refusal).rejects.toBeInstanceOf(SubscriptionRuleViolated);
      await expect(refusal).rejects.toMatchObject({ rule: 'app-only-user' });
      await expect(refusal).rejects.toThrow(/app-only token.*users\/\{id\}\//);
      expect(world.requests).toEqual([]);
    },
  );
});

describe('the desired-state file', () => {
  const file = (entries: readonly Record<string, unknown>[]): string => JSON.stringify({ subscriptions: entries });

  it('resolves a user principal name at create and then keeps matching the subscription it made', async () => {
    const deps = {
      ...world.deps(),
      readDesiredState: () => Promise.resolve(file([{ resource: `users/${UPN}/messages`, changeType: 'created' }])),
    };

    const first = await reconcileSubscriptions(deps);
    const second = await reconcileSubscriptions(deps);

    expect(first.outcomes.created).toBe(1);
    expect(second.outcomes.created ?? 0).toBe(0);
    expect(second.outcomes.deleted ?? 0).toBe(0);
    expect(second.problems).toEqual([]);
    expect((await world.repository.list()).map((record) => [record.resource, record.requestedResource])).toEqual([
      [`users/${world.userId}/messages`, `users/${UPN}/messages`],
    ]);
    expect(requestsOf(world, 'resolveUser')).toHaveLength(1);
  });

  it('refuses a me/… entry, skipping the whole pass', async () => {
    const report = await reconcileSubscriptions({
      ...world.deps(),
      readDesiredState: () => Promise.resolve(file([{ resource: 'me/contacts', changeType: 'created' }])),
    });

    expect(report.problems.join('\n')).toMatch(/desired state skipped: .*entry 0 \(me\/contacts\).*app-only-user/);
  });
});

describe('reading a user principal name out of a resource', () => {
  it.each([
    ['users/megan@contoso.com/contacts', 'megan@contoso.com'],
    ["users('o''hara@contoso.com')/messages", "o'hara@contoso.com"],
    ['Users/megan%40contoso.com/events', 'megan@contoso.com'],
    ['users/622EAAFF-0683-4862-9DE6-C7A4A8E8B8E1/messages', undefined],
    ['users', undefined],
    ['drives/b!x/root', undefined],
  ])('%s names %s', (resource, upn) => {
    expect(userPrincipalNameOf(resource)).toBe(upn);
  });

  it('replaces only the owner, lower-casing the id', () => {
    expect(withUserId("users('megan@contoso.com')/mailFolders('inbox')/messages?$select=a", 'AB-CD')).toBe(
      "users/ab-cd/mailFolders('inbox')/messages?$select=a",
    );
  });
});
