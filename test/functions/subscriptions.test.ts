import { HttpRequest, type HttpResponseInit } from '@azure/functions';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manageSubscriptions } from '../../src/functions/manageSubscriptions';
import { SubscriptionSnapshot } from '../../src/index';
import type { SubscriptionSettings } from '../../src/lib/subscriptions';
import { invocationContext } from '../support/functions';
import { createWorld, requestsOf, type World } from '../lib/subscriptions/world';

let world: World;

beforeEach(async () => {
  world = await createWorld();
});

afterEach(() => {
  world.stop();
});

async function call(
  method: string,
  path: string,
  body?: unknown,
  settings: Partial<SubscriptionSettings> = {},
): Promise<{ status: number; headers: Record<string, string>; json: Record<string, unknown> }> {
  const [, id, action] = /^\/api\/subscriptions(?:\/([^/]+))?(?:\/([^/]+))?$/.exec(path) ?? [];
  const request = new HttpRequest({
    method,
    url: `http://localhost:7071${path}`,
    params: { ...(id === undefined ? {} : { id }), ...(action === undefined ? {} : { action }) },
    ...(body === undefined ? {} : { body: { string: typeof body === 'string' ? body : JSON.stringify(body) } }),
  });
  const { context } = invocationContext('manageSubscriptions');
  const response: HttpResponseInit = await manageSubscriptions(request, context, () => {
    const deps = world.deps();
    return { ...deps, settings: { ...deps.settings, ...settings }, observations: new SubscriptionSnapshot() };
  });
  const text = typeof response.body === 'string' ? response.body : '';
  return {
    status: response.status ?? 200,
    headers: (response.headers ?? {}) as Record<string, string>,
    json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
  };
}

describe('management API', () => {
  it('creates, lists, shows, renews and deletes a subscription, never showing the clientState or the function key', async () => {
    const created = await call('POST', '/api/subscriptions', { resource: 'users', changeType: 'updated,deleted' });
    const id = String(created.json.id);
    const listed = await call('GET', '/api/subscriptions');
    const shown = await call('GET', `/api/subscriptions/${id}`);
    await world.sim.clock.advance(60_000);
    const renewed = await call('POST', `/api/subscriptions/${id}/renew`);
    const deleted = await call('DELETE', `/api/subscriptions/${id}`);
    const gone = await call('GET', `/api/subscriptions/${id}`);

    expect(created.status).toBe(201);
    expect(created.headers.Location).toBe(`/api/subscriptions/${id}`);
    expect(created.json).toMatchObject({
      resource: 'users',
      changeType: 'updated,deleted',
      status: 'active',
      notificationUrl: 'http://127.0.0.1:7071/api/notifications',
      lastError: null,
      kind: 'user',
      level: 'mirroredAndResynced',
      warnings: [],
    });
    const { warnings: _warnings, ...createdView } = created.json;
    expect(shown.json).toMatchObject({ ...createdView, status: 'active' });
    expect(listed.json.value).toEqual([shown.json]);
    expect(renewed.status).toBe(200);
    expect(Date.parse(String(renewed.json.expirationDateTime))).toBe(
      Date.parse(String(created.json.expirationDateTime)) + 60_000,
    );
    expect(deleted.status).toBe(204);
    expect(gone).toMatchObject({ status: 404, json: { code: 'ERR_SUBSCRIPTION_NOT_FOUND' } });
    expect(world.sim.subscriptions()).toEqual([]);
    const everything = JSON.stringify([created, listed, shown, renewed]);
    expect(everything).not.toMatch(/clientState/i);
    expect(everything).not.toContain('notifications-key');
  });

  it('answers a rule violation with 400 problem+json naming the rule, without calling Graph', async () => {
    const response = await call('POST', '/api/subscriptions', { resource: 'users', changeType: 'created' });

    expect(response.status).toBe(400);
    expect(response.headers['Content-Type']).toBe('application/problem+json');
    expect(response.json).toMatchObject({
      code: 'ERR_SUBSCRIPTION_RULE_VIOLATED',
      detail: expect.stringMatching(
        /^Rule change-type: changeType "created" is not allowed for user subscriptions/,
      ) as string,
    });
    expect(requestsOf(world, 'createSubscription')).toHaveLength(0);
  });

  it('refuses a resource the table does not list with 400, naming the families and the unlisted opt-in', async () => {
    const response = await call('POST', '/api/subscriptions', {
      resource: 'solutions/virtualEvents/events',
      changeType: 'created',
    });

    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({
      code: 'ERR_SUBSCRIPTION_RULE_VIOLATED',
      detail: expect.stringMatching(/^Rule supported-resource: .*presence.*"unlisted": true/) as string,
    });
    expect(requestsOf(world, 'createSubscription')).toHaveLength(0);
  });

  it('refuses a webhook subscription without a lifecycle URL with 400, and creates it when the body opts out', async () => {
    const withoutLifecycle = { lifecycleNotificationUrl: undefined };
    const body = { resource: 'users', changeType: 'updated' };

    const refused = await call('POST', '/api/subscriptions', body, withoutLifecycle);

    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({
      code: 'ERR_SUBSCRIPTION_RULE_VIOLATED',
      detail: expect.stringMatching(
        /^Rule lifecycle-url: .*pause it.*lost.*Set LIFECYCLE_NOTIFICATION_URL.*"withoutLifecycleUrl": true/,
      ) as string,
    });
    expect(requestsOf(world, 'createSubscription')).toHaveLength(0);

    const created = await call('POST', '/api/subscriptions', { ...body, withoutLifecycleUrl: true }, withoutLifecycle);

    expect(created.status).toBe(201);
    expect(world.sim.subscriptions().map((subscription) => subscription.lifecycleNotificationUrl)).toEqual([null]);
  });

  it('surfaces a failed validation handshake as 422 saying where and why', async () => {
    world.webhook = (url) =>
      url.searchParams.has('validationToken') ? new Response('<html>Sign in</html>', { status: 200 }) : undefined;

    const response = await call('POST', '/api/subscriptions', { resource: 'groups', changeType: 'updated' });

    expect(response.status).toBe(422);
    expect(response.json.code).toBe('ERR_SUBSCRIPTION_REFUSED');
    expect(response.json.detail).toContain(
      'Graph could not validate the webhook at http://127.0.0.1:7071/api/notifications and http://127.0.0.1:7071/api/lifecycle',
    );
    expect(response.json.detail).toContain('Response must exactly match validationToken query parameter');
    expect(JSON.stringify(response.json)).not.toContain('-key');
  });

  it('answers 409 for a duplicate, 400 for a body that is not JSON or has unknown fields', async () => {
    await call('POST', '/api/subscriptions', { resource: 'users', changeType: 'updated' });

    const duplicate = await call('POST', '/api/subscriptions', { resource: 'users', changeType: 'updated' });
    const notJson = await call('POST', '/api/subscriptions', '{resource:');
    const misspelt = await call('POST', '/api/subscriptions', { resource: 'users', changetype: 'updated' });

    expect(duplicate).toMatchObject({ status: 409, json: { code: 'ERR_SUBSCRIPTION_DUPLICATE' } });
    expect(notJson).toMatchObject({ status: 400, json: { code: 'ERR_SUBSCRIPTION_REQUEST_INVALID' } });
    expect(misspelt).toMatchObject({ status: 400, json: { code: 'ERR_SUBSCRIPTION_REQUEST_INVALID' } });
  });

  it('passes Graph throttling on as 429 with Retry-After', async () => {
    const created = await call('POST', '/api/subscriptions', { resource: 'users', changeType: 'updated' });
    world.sim.faults.inject({
      target: 'graph',
      method: 'PATCH',
      path: '/subscriptions/',
      status: 429,
      code: 'TooManyRequests',
      retryAfterSeconds: 17,
    });

    const response = await call('POST', `/api/subscriptions/${String(created.json.id)}/renew`);

    expect(response.status).toBe(429);
    expect(response.headers['Retry-After']).toBe('17');
    expect(response.json.code).toBe('ERR_GRAPH_THROTTLED');
  });

  it('refuses unknown actions and methods', async () => {
    expect((await call('POST', '/api/subscriptions/abc/pause')).status).toBe(404);
    expect((await call('DELETE', '/api/subscriptions')).status).toBe(405);
  });
});
