/**
 * Issue #18: over-long input on the management API is the caller's mistake, answered 400 naming the field and its
 * limit before anything reaches storage or Graph — not 503 "storage unavailable" from a table that refused the row.
 * The subscriptions table is Azurite's, as in production.
 */
import { TableClient } from '@azure/data-tables';
import { HttpRequest } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTableSubscriptionRepository } from '../../src/adapters/azure/tableSubscriptionRepository';
import { manageSubscriptions } from '../../src/functions/manageSubscriptions';
import { SubscriptionSnapshot } from '../../src/index';
import { invocationContext } from '../support/functions';
import { azuriteConnectionString, uniqueTableName } from '../support/storage';
import { createWorld, type World } from '../lib/subscriptions/world';

let world: World;

beforeAll(async () => {
  const table = TableClient.fromConnectionString(azuriteConnectionString(), uniqueTableName('Limits'), {
    allowInsecureConnection: true,
  });
  world = await createWorld({ repository: createTableSubscriptionRepository(table) });
});

afterAll(() => {
  world.stop();
});

async function call(
  method: string,
  params: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const path = ['/api/subscriptions', params.id, params.action].filter((part) => part !== undefined).join('/');
  const request = new HttpRequest({
    method,
    url: `http://localhost:7071${path.slice(0, 200)}`,
    params,
    ...(body === undefined ? {} : { body: { string: JSON.stringify(body) } }),
  });
  const { context } = invocationContext('manageSubscriptions');
  const response = await manageSubscriptions(request, context, () => ({
    ...world.deps(),
    observations: new SubscriptionSnapshot(),
  }));
  const text = typeof response.body === 'string' ? response.body : '';
  return { status: response.status ?? 200, json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

const KB64 = 'x'.repeat(64 * 1024);

describe('management API input limits', () => {
  it.each([
    ['resource', { resource: `users/${KB64}/messages`, changeType: 'created,updated' }, /resource.*2048 characters/],
    ['changeType', { resource: 'users', changeType: `updated,${KB64}` }, /changeType.*128 characters/],
    ['tenantId', { resource: 'users', changeType: 'updated', tenantId: KB64 }, /tenantId.*256 characters/],
    [
      'expirationDateTime',
      { resource: 'users', changeType: 'updated', expirationDateTime: KB64 },
      /expirationDateTime.*64 characters/,
    ],
  ])('answers a 64 KB %s with 400 naming the field and its limit', async (_field, body, message) => {
    const requestsBefore = world.requests.length;

    const response = await call('POST', {}, body);

    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({ code: 'ERR_SUBSCRIPTION_REQUEST_INVALID' });
    expect(String(response.json.detail)).toMatch(message);
    expect(world.requests.length).toBe(requestsBefore);
    expect(await world.repository.list()).toEqual([]);
  });

  it.each(['GET', 'DELETE'])('answers %s of a 64 KB subscription id with 400 naming its limit', async (method) => {
    const response = await call(method, { id: KB64 });

    expect(response.status).toBe(400);
    expect(String(response.json.detail)).toMatch(/subscription id.*128 characters/);
  });

  it('answers a renew of a 64 KB subscription id with 400', async () => {
    const response = await call('POST', { id: KB64, action: 'renew' });

    expect(response.status).toBe(400);
  });

  it('still accepts an ordinary request', async () => {
    const response = await call('POST', {}, { resource: 'users', changeType: 'updated,deleted' });

    expect(response.status).toBe(201);
  });
});
