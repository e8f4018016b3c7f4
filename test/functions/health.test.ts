import { HttpRequest } from '@azure/functions';
import { afterEach, describe, expect, it } from 'vitest';
import { health, type HealthSources } from '../../src/functions/health';
import { manageSubscriptions } from '../../src/functions/manageSubscriptions';
import { composeApp, describeHealth, type ComposedApp } from '../../src/index';
import { readConfiguration } from '../../src/lib/config';
import { ConfigurationInvalid, StorageUnavailable } from '../../src/lib/shared/errors';
import {
  createSubscription,
  renewOrRecreateSubscription,
  subscriptionsHealth,
  subscriptionsNeedingOperator,
} from '../../src/lib/subscriptions';
import { createWorld, type World } from '../lib/subscriptions/world';
import { invocationContext } from '../support/functions';
import { testEnvironment } from '../support/storage';

const reference = '@Microsoft.KeyVault(SecretUri=https://kv-demo.vault.azure.net/secrets/notification-url/)';

/** The composed app's configuration health, and a subscriptions table where nothing needs an operator. */
function sources(
  composed: ComposedApp,
  subscriptions: HealthSources['subscriptions'] = () =>
    Promise.resolve({ needingOperator: [], withoutLifecycleUrl: [] }),
) {
  return { read: () => composed.health, subscriptions };
}

function bodyOf(response: { body?: unknown }): Record<string, unknown> {
  return JSON.parse(String(response.body)) as Record<string, unknown>;
}

describe('a partly invalid configuration', () => {
  it('builds the parts that can work and makes the others throw their own settings', () => {
    const composed = composeApp(readConfiguration(testEnvironment({ NOTIFICATION_URL: reference })));

    expect(composed.services.ingest.maxBodyBytes).toBeGreaterThan(0);
    expect(composed.services.processing.select).toEqual({});
    expect(() => composed.services.subscriptionServices).toThrow(ConfigurationInvalid);
    expect(() => composed.services.subscriptionServices).toThrow(
      /NOTIFICATION_URL: is an unresolved Key Vault reference/,
    );
    expect(describeHealth(composed.health)).toEqual([
      expect.stringMatching(
        /^graph-notify runs degraded: NOTIFICATION_URL is an unresolved Key Vault reference.*; unavailable: subscriptions$/,
      ),
    ]);
    expect(describeHealth(composed.health).join()).not.toContain('kv-demo');
  });

  it('builds nothing that needs storage when storage is missing', () => {
    const environment = testEnvironment();
    delete environment.AzureWebJobsStorage;
    const composed = composeApp(readConfiguration(environment));

    expect(() => composed.services.ingest).toThrow(/AzureWebJobsStorage: is required/);
    expect(() => composed.services.processing).toThrow(ConfigurationInvalid);
  });

  it('lets the management API answer 503 ERR_CONFIG_INVALID without a secret', async () => {
    const composed = composeApp(readConfiguration(testEnvironment({ NOTIFICATION_URL: reference })));
    const { context, logs } = invocationContext('manageSubscriptions');

    const response = await manageSubscriptions(
      new HttpRequest({ method: 'GET', url: 'http://localhost:7071/api/subscriptions' }),
      context,
      () => composed.services.subscriptionServices,
    );

    expect(response.status).toBe(503);
    expect(bodyOf(response)).toMatchObject({
      code: 'ERR_CONFIG_INVALID',
      detail: expect.stringContaining('/api/health') as unknown,
    });
    expect(logs.map((log) => log.message).join('\n')).toMatch(/NOTIFICATION_URL: is an unresolved Key Vault reference/);
    expect(JSON.stringify(response)).not.toContain('kv-demo');
  });
});

describe('GET /api/health', () => {
  it('answers 200 degraded, naming the unresolved setting, while ingest and processing work', async () => {
    const composed = composeApp(readConfiguration(testEnvironment({ NOTIFICATION_URL: reference })));

    const response = await health(undefined, sources(composed));

    expect(response.status).toBe(200);
    expect(bodyOf(response)).toMatchObject({
      status: 'degraded',
      available: { ingest: true, processing: true, subscriptions: false, telemetry: true },
      problems: [{ setting: 'NOTIFICATION_URL', unresolvedReference: 'Key Vault', affects: ['subscriptions'] }],
    });
    expect(response.headers).toMatchObject({ 'Cache-Control': 'no-store' });
  });

  it('answers 503 unhealthy when processing cannot work', async () => {
    const composed = composeApp(readConfiguration(testEnvironment({ GRAPH_CLIENT_SECRET: reference })));

    expect((await health(undefined, sources(composed))).status).toBe(503);
  });

  it('answers 200 healthy with nothing to report', async () => {
    const composed = composeApp(readConfiguration(testEnvironment()));

    expect(bodyOf(await health(undefined, sources(composed)))).toEqual({
      status: 'healthy',
      available: { ingest: true, processing: true, subscriptions: true, telemetry: true },
      problems: [],
      subscriptionsNeedingOperator: [],
      subscriptionsWithoutLifecycleUrl: [],
    });
  });
});

describe('GET /api/health and subscriptions that need an operator', () => {
  let world: World | undefined;
  afterEach(() => world?.stop());

  it('answers degraded and lists a subscription Graph refused, with its cause, never its clientState', async () => {
    world = await createWorld();
    const created = await createSubscription(
      { resource: `users/${world.userId}/messages`, changeType: 'created,updated,deleted' },
      world.deps(),
    );
    world.sim.faults.inject({
      target: 'graph',
      method: 'PATCH',
      path: '/subscriptions/',
      status: 400,
      code: 'InvalidRequest',
      message: 'The resource is no longer valid.',
    });
    const stored = await world.repository.get(created.subscriptionId);
    if (stored === undefined) throw new Error('the subscription was not stored');
    await renewOrRecreateSubscription(stored, world.deps(), { force: true });
    const composed = composeApp(readConfiguration(testEnvironment()));
    const table = world;

    const response = await health(
      undefined,
      sources(composed, async () => subscriptionsHealth(await table.repository.list(), table.clock.now())),
    );

    expect(response.status).toBe(200);
    const body = bodyOf(response);
    expect(body).toMatchObject({
      status: 'degraded',
      subscriptionsNeedingOperator: [
        {
          id: created.subscriptionId,
          status: 'failed',
          resource: `users/${world.userId}/messages`,
          lastError: expect.stringContaining('The resource is no longer valid.') as unknown,
        },
      ],
    });
    expect(JSON.stringify(body)).not.toContain(created.clientState);
  });

  it('lists a subscription that lapsed while the table counts on it', () => {
    const now = new Date('2026-05-01T08:00:00Z');
    const record = {
      subscriptionId: 'b2f5b5c4-4a4e-4b8e-9d53-0d3a8e0c8c11',
      tenantId: 'tenant',
      resource: 'users',
      changeType: 'updated',
      clientState: 'secret',
      notificationUrl: 'https://app.example/api/notifications',
      lifecycleNotificationUrl: undefined,
      expirationDateTime: '2026-05-01T07:59:00.000Z',
      includeResourceData: false,
      encryptionCertificateId: undefined,
      lastRenewedAt: undefined,
      lastError: 'renewal failed transiently, will retry: ERR_GRAPH_UNAVAILABLE',
      createdAt: '2026-04-30T08:00:00.000Z',
      updatedAt: '2026-04-30T08:00:00.000Z',
    } as const;

    expect(subscriptionsNeedingOperator([{ ...record, status: 'active' }], now)).toEqual([
      expect.objectContaining({ id: record.subscriptionId, reason: expect.stringMatching(/^expired/) as unknown }),
    ]);
    expect(
      subscriptionsNeedingOperator([{ ...record, status: 'active', expirationDateTime: '2026-05-02T00:00:00Z' }], now),
    ).toEqual([]);
  });

  it('answers degraded and lists the active subscriptions that run without a lifecycle URL', async () => {
    const now = new Date('2026-05-01T08:00:00Z');
    const record = {
      subscriptionId: 'c3a6c6d5-5b5f-4c9f-8e64-1e4b9f1d9d22',
      tenantId: 'tenant',
      resource: 'users',
      changeType: 'updated',
      clientState: 'secret',
      notificationUrl: 'https://app.example/api/notifications',
      lifecycleNotificationUrl: undefined,
      expirationDateTime: '2026-05-02T00:00:00.000Z',
      includeResourceData: false,
      encryptionCertificateId: undefined,
      status: 'active',
      lastRenewedAt: undefined,
      lastError: undefined,
      createdAt: '2026-04-30T08:00:00.000Z',
      updatedAt: '2026-04-30T08:00:00.000Z',
    } as const;
    const withUrl = {
      ...record,
      subscriptionId: 'd4b7d7e6-6c60-4da0-9f75-2f5c0a2e0e33',
      lifecycleNotificationUrl: 'https://app.example/api/lifecycle',
    };
    const deleted = { ...record, subscriptionId: 'e5c8e8f7-7d71-4eb1-8086-306d1b3f1f44', status: 'deleted' } as const;
    const composed = composeApp(readConfiguration(testEnvironment()));

    const response = await health(
      undefined,
      sources(composed, () => Promise.resolve(subscriptionsHealth([record, withUrl, deleted], now))),
    );

    expect(response.status).toBe(200);
    const body = bodyOf(response);
    expect(body).toEqual(
      expect.objectContaining({
        status: 'degraded',
        subscriptionsNeedingOperator: [],
        subscriptionsWithoutLifecycleUrl: [
          { id: record.subscriptionId, tenantId: 'tenant', resource: 'users', changeType: 'updated' },
        ],
      }),
    );
    expect(JSON.stringify(body)).not.toContain('secret');
    expect(
      bodyOf(
        await health(
          undefined,
          sources(composed, () => Promise.resolve(subscriptionsHealth([withUrl, deleted], now))),
        ),
      ).status,
    ).toBe('healthy');
  });

  it('answers degraded, saying so, when the subscriptions table cannot be read', async () => {
    const composed = composeApp(readConfiguration(testEnvironment()));

    const response = await health(
      undefined,
      sources(composed, () => Promise.reject(new StorageUnavailable('list subscriptions'))),
    );

    expect(response.status).toBe(200);
    expect(bodyOf(response)).toMatchObject({
      status: 'degraded',
      subscriptionsNeedingOperator: null,
      subscriptionsWithoutLifecycleUrl: null,
      subscriptionsUnreadable: expect.stringContaining('could not read the subscriptions table') as unknown,
    });
  });
});
