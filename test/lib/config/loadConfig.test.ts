import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/lib/config';
import { ConfigurationInvalid } from '../../../src/lib/shared/errors';
import { testGraphSettings } from '../../support/storage';

const connectionString = 'UseDevelopmentStorage=true';

describe('loadConfig', () => {
  it('applies documented defaults and freezes the result', () => {
    const config = loadConfig({ AzureWebJobsStorage: connectionString, ...testGraphSettings });

    expect(config.storage).toMatchObject({
      connection: { kind: 'connectionString', connectionString },
      notificationsQueue: 'graph-notifications',
      lifecycleQueue: 'graph-lifecycle',
      payloadContainer: 'graph-payloads',
      subscriptionsTable: 'GraphSubscriptions',
    });
    expect(config.ingest.subscriptionCacheTtlMs).toBe(30_000);
    expect(Object.isFrozen(config.storage)).toBe(true);
    expect(Object.isFrozen(config.storage.connection)).toBe(true);
  });

  it('names the missing storage setting and both ways to provide it', () => {
    const act = () => loadConfig({});

    expect(act).toThrow(ConfigurationInvalid);
    expect(act).toThrow(/AzureWebJobsStorage: is required.*AzureWebJobsStorage__queueServiceUri/);
  });

  it('reports every malformed setting at once, each by name', () => {
    let error: unknown;
    try {
      loadConfig({
        AzureWebJobsStorage: connectionString,
        ...testGraphSettings,
        NOTIFICATIONS_QUEUE_NAME: 'Bad_Name',
        SUBSCRIPTION_CACHE_TTL_SECONDS: 'soon',
      });
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(ConfigurationInvalid);
    const problems = (error as ConfigurationInvalid).problems;
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^NOTIFICATIONS_QUEUE_NAME: /);
    expect(problems[1]).toMatch(/^SUBSCRIPTION_CACHE_TTL_SECONDS: must be a whole number/);
    expect((error as ConfigurationInvalid).code).toBe('ERR_CONFIG_INVALID');
  });

  it('reads identity-based storage settings when there is no connection string', () => {
    const config = loadConfig({
      AzureWebJobsStorage__blobServiceUri: 'https://acct.blob.core.windows.net',
      AzureWebJobsStorage__queueServiceUri: 'https://acct.queue.core.windows.net',
      AzureWebJobsStorage__tableServiceUri: 'https://acct.table.core.windows.net',
      AzureWebJobsStorage__credential: 'managedidentity',
      AzureWebJobsStorage__clientId: '00000000-0000-0000-0000-000000000001',
      ...testGraphSettings,
    });

    expect(config.storage.connection).toEqual({
      kind: 'identity',
      blobServiceUri: 'https://acct.blob.core.windows.net',
      queueServiceUri: 'https://acct.queue.core.windows.net',
      tableServiceUri: 'https://acct.table.core.windows.net',
      managedIdentityClientId: '00000000-0000-0000-0000-000000000001',
    });
  });

  it('never echoes a secret setting value in a problem', () => {
    expect(() =>
      loadConfig({
        AzureWebJobsStorage: connectionString,
        ...testGraphSettings,
        AzureWebJobsStorage__credential: 'hunter2',
      }),
    ).not.toThrow();
  });
});
