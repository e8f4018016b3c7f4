import { HttpRequest } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { health } from '../../src/functions/health';
import { manageSubscriptions } from '../../src/functions/manageSubscriptions';
import { composeApp, describeHealth } from '../../src/index';
import { readConfiguration } from '../../src/lib/config';
import { ConfigurationInvalid } from '../../src/lib/shared/errors';
import { invocationContext } from '../support/functions';
import { testEnvironment } from '../support/storage';

const reference = '@Microsoft.KeyVault(SecretUri=https://kv-demo.vault.azure.net/secrets/notification-url/)';

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
  it('answers 200 degraded, naming the unresolved setting, while ingest and processing work', () => {
    const composed = composeApp(readConfiguration(testEnvironment({ NOTIFICATION_URL: reference })));

    const response = health(undefined, () => composed.health);

    expect(response.status).toBe(200);
    expect(bodyOf(response)).toMatchObject({
      status: 'degraded',
      available: { ingest: true, processing: true, subscriptions: false, telemetry: true },
      problems: [{ setting: 'NOTIFICATION_URL', unresolvedReference: 'Key Vault', affects: ['subscriptions'] }],
    });
    expect(response.headers).toMatchObject({ 'Cache-Control': 'no-store' });
  });

  it('answers 503 unhealthy when processing cannot work', () => {
    const composed = composeApp(readConfiguration(testEnvironment({ GRAPH_CLIENT_SECRET: reference })));

    expect(health(undefined, () => composed.health).status).toBe(503);
  });

  it('answers 200 healthy with nothing to report', () => {
    const composed = composeApp(readConfiguration(testEnvironment()));

    expect(bodyOf(health(undefined, () => composed.health))).toEqual({
      status: 'healthy',
      available: { ingest: true, processing: true, subscriptions: true, telemetry: true },
      problems: [],
    });
  });
});
