import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assessConfiguration,
  loadConfig,
  partUnavailable,
  readConfiguration,
  unresolvedReferenceKind,
} from '../../../src/lib/config';
import { ConfigurationInvalid } from '../../../src/lib/shared/errors';
import { testGraphSettings } from '../../support/storage';

const base = { AzureWebJobsStorage: 'UseDevelopmentStorage=true', ...testGraphSettings };
/** Exactly as the platform hands over a reference it could not resolve: the reference text itself. */
const secretUriReference = '@Microsoft.KeyVault(SecretUri=https://kv-demo.vault.azure.net/secrets/notification-url/)';
const vaultNameReference = '@Microsoft.KeyVault(VaultName=kv-demo;SecretName=lifecycle-url)';

describe('unresolved platform references', () => {
  it.each([
    [secretUriReference, 'Key Vault'],
    [vaultNameReference, 'Key Vault'],
    ['  @microsoft.keyvault(SecretUri=https://kv-demo.vault.azure.net/secrets/x/abc123)  ', 'Key Vault'],
    ['@Microsoft.AppConfiguration(Endpoint=https://demo.azconfig.io; Key=notification-url)', 'App Configuration'],
  ])('recognises %s', (text, kind) => {
    expect(unresolvedReferenceKind(text)).toBe(kind);
  });

  it('takes no ordinary value for a reference', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        fc.pre(!/^\s*@microsoft\./i.test(text));
        expect(unresolvedReferenceKind(text)).toBeUndefined();
      }),
    );
    expect(
      unresolvedReferenceKind('https://app.azurewebsites.net/api/notifications?code=@Microsoft.KeyVault('),
    ).toBeUndefined();
  });

  it('reports each unresolved setting once, by name, without its value and without follow-on problems', () => {
    const { problems } = readConfiguration({
      ...base,
      NOTIFICATION_URL: secretUriReference,
      LIFECYCLE_NOTIFICATION_URL: vaultNameReference,
    });

    expect(problems.map((problem) => [problem.setting, problem.unresolvedReference])).toEqual([
      ['NOTIFICATION_URL', 'Key Vault'],
      ['LIFECYCLE_NOTIFICATION_URL', 'Key Vault'],
    ]);
    expect(JSON.stringify(problems)).not.toContain('kv-demo');
    expect(problems[0]?.message).toMatch(/^is an unresolved Key Vault reference/);
  });

  it('replaces the required-setting problem of an unresolved secret rather than adding to it', () => {
    const { problems } = readConfiguration({ ...base, GRAPH_CLIENT_SECRET: secretUriReference });

    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ setting: 'GRAPH_CLIENT_SECRET', unresolvedReference: 'Key Vault' });
  });

  it('still fails loadConfig as a whole, naming the setting', () => {
    expect(() => loadConfig({ ...base, NOTIFICATION_URL: secretUriReference })).toThrow(ConfigurationInvalid);
    expect(() => loadConfig({ ...base, NOTIFICATION_URL: secretUriReference })).toThrow(
      /NOTIFICATION_URL: is an unresolved Key Vault reference/,
    );
  });
});

describe('which part a problem takes down', () => {
  it('keeps ingest and processing when only the subscription URLs are unresolved', () => {
    const { problems } = readConfiguration({
      ...base,
      NOTIFICATION_URL: secretUriReference,
      LIFECYCLE_NOTIFICATION_URL: vaultNameReference,
    });
    const health = assessConfiguration(problems);

    expect(health.status).toBe('degraded');
    expect(health.available).toEqual({ ingest: true, processing: true, subscriptions: false, telemetry: true });
    expect(health.problems.map((problem) => problem.affects)).toEqual([['subscriptions'], ['subscriptions']]);
    expect(partUnavailable('ingest', problems)).toBeUndefined();
    expect(partUnavailable('subscriptions', problems)?.message).toMatch(
      /^Subscription management .* is unavailable until these settings are fixed:\n {2}- NOTIFICATION_URL: /,
    );
  });

  it('takes processing and subscriptions down, not ingest, when the Graph secret is unresolved', () => {
    const health = assessConfiguration(
      readConfiguration({ ...base, GRAPH_CLIENT_SECRET: secretUriReference }).problems,
    );

    expect(health.status).toBe('unhealthy');
    expect(health.available).toEqual({ ingest: true, processing: false, subscriptions: false, telemetry: true });
  });

  it('takes everything but telemetry down when storage is missing', () => {
    const health = assessConfiguration(readConfiguration(testGraphSettings).problems);

    expect(health.available).toEqual({ ingest: false, processing: false, subscriptions: false, telemetry: true });
  });

  it('turns only telemetry off for a malformed Application Insights setting', () => {
    const health = assessConfiguration(
      readConfiguration({ ...base, APPLICATIONINSIGHTS_CONNECTION_STRING: 'not a connection string' }).problems,
    );

    expect(health).toMatchObject({
      status: 'degraded',
      available: { ingest: true, processing: true, subscriptions: true, telemetry: false },
    });
  });

  it('is healthy with nothing to report', () => {
    expect(assessConfiguration(readConfiguration(base).problems)).toEqual({
      status: 'healthy',
      available: { ingest: true, processing: true, subscriptions: true, telemetry: true },
      problems: [],
    });
  });
});
