import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isGraphNotifyError } from '../../../src/lib/shared/errors';
import {
  isRenewalDue,
  parseSubscriptionRequest,
  planSubscription,
  SubscriptionRuleViolated,
  SubscriptionSelectRequired,
  type SubscriptionRequest,
  type SubscriptionSettings,
} from '../../../src/lib/subscriptions';
import { combinationKey } from '../../../src/lib/subscriptions/subscriptionRules';
import { subscriptionSettings } from '../../support/subscriptionSettings';

const NOW = new Date('2026-05-01T10:00:00Z');
const MINUTE = 60_000;
const settings = subscriptionSettings;

function ruleOf(request: SubscriptionRequest, overrides: Partial<SubscriptionSettings> = {}): string | undefined {
  try {
    planSubscription(request, { ...settings, ...overrides }, NOW);
    return undefined;
  } catch (error) {
    return error instanceof SubscriptionRuleViolated ? error.rule : `not a rule violation: ${String(error)}`;
  }
}

describe('subscription rules (checked before Graph is called)', () => {
  it.each([
    [
      'a resource the table does not list',
      { resource: 'solutions/virtualEvents/events', changeType: 'updated' },
      'supported-resource',
    ],
    [
      'a presence collection without its users',
      { resource: 'communications/presences', changeType: 'updated' },
      'resource-query',
    ],
    [
      'a Teams export with an unknown licensing model',
      { resource: 'chats/getAllMessages?model=C', changeType: 'created' },
      'resource-query',
    ],
    [
      'created on presence (Graph sends only updated)',
      { resource: 'communications/presences/u1', changeType: 'created' },
      'change-type',
    ],

    ['created on users (Graph sends creation as updated)', { resource: 'users', changeType: 'created' }, 'change-type'],
    [
      'anything but updated on a drive root',
      { resource: 'drives/b!1/root', changeType: 'updated,deleted' },
      'change-type',
    ],
    ['an unknown change type', { resource: 'users/u1/messages', changeType: 'moved' }, 'change-type'],
    [
      'rich notifications for users',
      { resource: 'users', changeType: 'updated', includeResourceData: true },
      'rich-notifications',
    ],
    [
      'an expiry past the kind maximum',
      {
        resource: 'users/u1/messages',
        changeType: 'created',
        expirationDateTime: new Date(NOW.getTime() + 10_081 * MINUTE).toISOString(),
      },
      'maximum-lifetime',
    ],
    [
      'an expiry past the rich Outlook maximum (1 day)',
      {
        resource: 'users/u1/events?$select=subject,start,end',
        changeType: 'created',
        includeResourceData: true,
        expirationDateTime: new Date(NOW.getTime() + 1_441 * MINUTE).toISOString(),
      },
      'maximum-lifetime',
    ],
    [
      'an expiry in the past',
      { resource: 'users', changeType: 'updated', expirationDateTime: '2026-04-30T10:00:00Z' },
      'expiration',
    ],
    ['a malformed expiry', { resource: 'users', changeType: 'updated', expirationDateTime: 'tomorrow' }, 'expiration'],
    ['a tenant that is not a GUID', { resource: 'users', changeType: 'updated', tenantId: 'contoso.com' }, 'tenant-id'],
  ] as const)('refuses %s', (_case, request, rule) => {
    expect(ruleOf(request)).toBe(rule);
  });

  it.each([
    ['messages', 'users/u1/messages'],
    ['events', 'users/u1/events?$top=5'],
    ['contacts', 'users/u1/contacts?$select='],
  ])('refuses rich %s without $select before calling Graph, with its own code and an example', (_kind, resource) => {
    const act = () => planSubscription({ resource, changeType: 'created', includeResourceData: true }, settings, NOW);

    expect(act).toThrow(SubscriptionSelectRequired);
    expect(act).toThrow(
      expect.objectContaining({
        code: 'ERR_SUBSCRIPTION_SELECT_REQUIRED',
        message: expect.stringMatching(/needs \$select in the resource.*\?\$select=/) as string,
      }),
    );
  });

  it('accepts rich Outlook subscriptions with $select (also URL-encoded) and Teams without one', () => {
    for (const resource of [
      'users/u1/messages?$select=subject,from',
      'users/u1/events?%24select=subject',
      "users('u1')/contacts?$top=1&$select=displayName",
      'chats/19:abc/messages',
    ]) {
      expect(
        planSubscription({ resource, changeType: 'created', includeResourceData: true }, settings, NOW)
          .includeResourceData,
      ).toBe(true);
    }
    expect(
      planSubscription({ resource: 'users/u1/messages', changeType: 'created' }, settings, NOW).includeResourceData,
    ).toBe(false);
  });

  it('refuses rich notifications without a configured certificate, naming the settings', () => {
    const act = () =>
      planSubscription(
        { resource: 'users/u1/messages?$select=subject', changeType: 'created', includeResourceData: true },
        { ...settings, encryption: undefined },
        NOW,
      );

    expect(act).toThrow(/Rule encryption-certificate: .*ENCRYPTION_CERTIFICATE_ID/);
  });

  it('requires a lifecycle URL for Teams chat messages living more than an hour, and accepts a shorter expiry', () => {
    const withoutLifecycle = { lifecycleNotificationUrl: undefined };

    expect(ruleOf({ resource: 'chats/19:abc/messages', changeType: 'created' }, withoutLifecycle)).toBe(
      'lifecycle-url-required',
    );
    expect(
      ruleOf(
        {
          resource: 'chats/19:abc/messages',
          changeType: 'created',
          expirationDateTime: new Date(NOW.getTime() + 50 * MINUTE).toISOString(),
          withoutLifecycleUrl: true,
        },
        withoutLifecycle,
      ),
    ).toBeUndefined();
    expect(ruleOf({ resource: 'chats/19:abc/messages', changeType: 'created' })).toBeUndefined();
    // The opt-out from graph-notify's own rule does not lift Graph's.
    expect(
      ruleOf({ resource: 'chats/19:abc/messages', changeType: 'created', withoutLifecycleUrl: true }, withoutLifecycle),
    ).toBe('lifecycle-url-required');
  });

  it('refuses a webhook subscription without a lifecycle URL unless the request opts out, saying why and how', () => {
    const withoutLifecycle = { lifecycleNotificationUrl: undefined };
    const request = { resource: 'users', changeType: 'updated' };

    expect(ruleOf(request, withoutLifecycle)).toBe('lifecycle-url');
    expect(() => planSubscription(request, { ...settings, ...withoutLifecycle }, NOW)).toThrow(
      /Rule lifecycle-url: .*pause it.*lost.*Set LIFECYCLE_NOTIFICATION_URL.*"withoutLifecycleUrl": true.*--without-lifecycle-url/,
    );
    expect(ruleOf({ ...request, withoutLifecycleUrl: false }, withoutLifecycle)).toBe('lifecycle-url');
    expect(ruleOf({ ...request, withoutLifecycleUrl: true }, withoutLifecycle)).toBeUndefined();
    expect(ruleOf(request)).toBeUndefined();
    // Event Grid and Event Hubs give Graph their own URL as the lifecycle URL.
    expect(ruleOf({ ...request, delivery: 'eventGrid' }, withoutLifecycle)).toBeUndefined();
    expect(ruleOf({ ...request, delivery: 'eventHubs' }, withoutLifecycle)).toBeUndefined();
  });

  it('reads the opt-out from a create request body, and refuses one that is not a boolean', () => {
    expect(parseSubscriptionRequest({ resource: 'users', changeType: 'updated', withoutLifecycleUrl: true })).toEqual({
      resource: 'users',
      changeType: 'updated',
      withoutLifecycleUrl: true,
    });
    expect(() =>
      parseSubscriptionRequest({ resource: 'users', changeType: 'updated', withoutLifecycleUrl: 'yes' }),
    ).toThrow(/withoutLifecycleUrl: /);
  });

  it('defaults the expiry to the kind maximum less the margin, the rich limit included, and capped by the setting', () => {
    const at = (request: SubscriptionRequest, overrides: Partial<SubscriptionSettings> = {}) =>
      (Date.parse(planSubscription(request, { ...settings, ...overrides }, NOW).expirationDateTime) - NOW.getTime()) /
      MINUTE;

    expect(at({ resource: 'users', changeType: 'updated' })).toBe(41_760 - 15);
    expect(at({ resource: 'users/u1/messages', changeType: 'created' })).toBe(10_080 - 15);
    expect(
      at({ resource: 'users/u1/messages?$select=subject', changeType: 'created', includeResourceData: true }),
    ).toBe(1_440 - 15);
    expect(at({ resource: 'drives/b!1/root', changeType: 'updated' }, { maxLifetimeMinutes: 120 })).toBe(120 - 15);
  });

  it('normalises change types to Graph order without duplicates and keeps the resource as written', () => {
    const plan = planSubscription(
      { resource: "/Users('u1')/Messages", changeType: ' deleted,created ,deleted' },
      settings,
      NOW,
    );

    expect(plan).toMatchObject({
      changeType: 'created,deleted',
      resource: "Users('u1')/Messages",
      tenantId: settings.defaultTenantId,
      kind: { name: 'message' },
    });
  });
});

describe('subscription identity (combinationKey)', () => {
  const TENANT = '6c1f0e2d-3b4a-4c5d-8e6f-7a8b9c0d1e2f';
  const ADELE = '0c5d2a5e-7a8b-4c1d-9e0f-1a2b3c4d5e6f';
  const ALEX = '9f8e7d6c-5b4a-4321-8fed-cba987654321';
  const keyOf = (resource: string, changeType = 'updated'): string =>
    combinationKey({ tenantId: TENANT, resource, changeType });

  it('tells apart presence subscriptions over different users, the query naming which users are watched', () => {
    const adele = keyOf(`communications/presences?$filter=id in ('${ADELE}')`);
    const both = keyOf(`communications/presences?$filter=id in ('${ADELE}','${ALEX}')`);

    expect(adele).not.toBe(both);
  });

  it('gives one presence key to one set of users, whatever the order, case and spacing of the list', () => {
    const written = keyOf(`communications/presences?$filter=id in ('${ADELE}','${ALEX}')`);
    const reordered = keyOf(
      `/Communications/Presences?%24filter=id%20in%20('${ALEX.toUpperCase()}', '${ADELE}','${ALEX}')`,
    );

    expect(reordered).toBe(written);
  });

  it('tells apart export API subscriptions under different licensing models, and not those without one', () => {
    expect(keyOf('chats/getAllMessages?model=A', 'created')).not.toBe(keyOf('chats/getAllMessages?model=B', 'created'));
    expect(keyOf('chats/getAllMessages?model=A', 'created')).not.toBe(keyOf('chats/getAllMessages', 'created'));
    expect(keyOf('/chats/getAllMessages', 'created')).toBe(keyOf('chats/getAllMessages', 'created'));
  });

  it('keeps ignoring the query of kinds where it only shapes what is sent', () => {
    expect(keyOf('users/u1/messages?$select=subject', 'created')).toBe(keyOf('users/u1/messages', 'created'));
  });
});

describe('renewal window', () => {
  const expiringIn = (minutes: number, resource = 'users', includeResourceData = false) => ({
    resource,
    includeResourceData,
    expirationDateTime: new Date(NOW.getTime() + minutes * MINUTE).toISOString(),
  });

  it('is due only once the remaining lifetime falls under the window', () => {
    expect(isRenewalDue(expiringIn(721), settings, NOW)).toBe(false);
    expect(isRenewalDue(expiringIn(719), settings, NOW)).toBe(true);
  });

  it('caps the window at half of what a renewal grants, so a 1-day subscription is not renewed on every run', () => {
    // A rich message subscription is renewed to 1,425 minutes: the window shrinks to half of that (712.5).
    expect(isRenewalDue(expiringIn(715, 'users/u1/messages', true), settings, NOW)).toBe(false);
    expect(isRenewalDue(expiringIn(712, 'users/u1/messages', true), settings, NOW)).toBe(true);
    expect(isRenewalDue(expiringIn(715, 'users'), settings, NOW)).toBe(true);
  });
});

describe('reading a create request', () => {
  it('names the field that is wrong', () => {
    expect(() => parseSubscriptionRequest({ resource: 'users', changetype: 'updated' })).toThrow(
      /ERR|Invalid subscription request: (changeType|body)/,
    );
    expect(() =>
      parseSubscriptionRequest({ resource: 'users', changeType: 'updated', includeResourceData: 'yes' }),
    ).toThrow(/includeResourceData/);
  });

  it('never fails with anything but a coded error, whatever the body', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (body) => {
        try {
          const request = parseSubscriptionRequest(body);
          planSubscription(request, settings, NOW);
        } catch (error) {
          expect(isGraphNotifyError(error)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
