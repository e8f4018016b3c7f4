/**
 * End to end, the first deployment's state: the subscription-management secrets are Key Vault references the
 * platform has not resolved yet, so the app receives them exactly as the platform hands them over, as their
 * literal reference text. Ingest and processing must keep working through the local host (a subscription
 * created elsewhere, with the real URL, gets its notifications into the sink), while the management API
 * answers a clear error, and GET /api/health and the log name the settings, never their values. (The start-up
 * log line is the app's console output, which the local host does not capture: test/functions/health.test.ts
 * checks its text.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServices } from '../../src/index';
import { loadConfig } from '../../src/lib/config';
import { createManagedSubscription, parseSubscriptionRequest } from '../../src/lib/subscriptions';
import { invocationContext } from '../support/functions';
import { problems, readSink, startE2ePipeline, untilQuiet, type E2ePipeline } from './support';

const UNRESOLVED = {
  NOTIFICATION_URL: '@Microsoft.KeyVault(SecretUri=https://kv-firstdeploy.vault.azure.net/secrets/notification-url/)',
  LIFECYCLE_NOTIFICATION_URL: '@Microsoft.KeyVault(VaultName=kv-firstdeploy;SecretName=lifecycle-notification-url)',
};

let e2e: E2ePipeline;

beforeAll(async () => {
  e2e = await startE2ePipeline({ subscriptions: false, allowDegraded: true, settings: UNRESOLVED });
});

afterAll(async () => {
  await e2e.pipeline.stop();
});

async function get(path: string): Promise<{ status: number; body: Record<string, unknown>; text: string }> {
  const { pipeline } = e2e;
  const response = await fetch(`${pipeline.urls.apiUrl}/${path}`, { headers: { 'x-functions-key': e2e.masterKey } });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as Record<string, unknown>, text };
}

describe('an app whose subscription-management secrets are unresolved Key Vault references', () => {
  it('answers GET /api/health 200 degraded, naming each unresolved setting', async () => {
    const health = await get('health');

    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({
      status: 'degraded',
      available: { ingest: true, processing: true, subscriptions: false, telemetry: true },
      problems: [
        { setting: 'NOTIFICATION_URL', unresolvedReference: 'Key Vault', affects: ['subscriptions'] },
        { setting: 'LIFECYCLE_NOTIFICATION_URL', unresolvedReference: 'Key Vault', affects: ['subscriptions'] },
      ],
    });
    expect(health.text).not.toContain('kv-firstdeploy');
  });

  it('answers the management API 503 ERR_CONFIG_INVALID and logs the settings it needs, without their values', async () => {
    const listed = await get('subscriptions');

    expect(listed.status).toBe(503);
    expect(listed.body).toMatchObject({ code: 'ERR_CONFIG_INVALID', status: 503 });
    expect(listed.text).not.toContain('kv-firstdeploy');
    const failure = e2e.logs
      .filter((entry) => entry.functionName === 'manageSubscriptions' && entry.level === 'error')
      .map((entry) => entry.message);
    expect(failure.join('\n')).toMatch(
      /Subscription management .* is unavailable until these settings are fixed:.*NOTIFICATION_URL: is an unresolved Key Vault reference/s,
    );
    expect(e2e.logs.map((entry) => entry.message).join('\n')).not.toContain('kv-firstdeploy');
  });

  it('receives and processes notifications of a subscription created elsewhere, through the webhook, the queue and the sink', async () => {
    const { pipeline, sim, demo } = e2e;
    // Created as the CLI or a second deployment would, with the real URL (Graph's handshake hits the running webhooks).
    const elsewhere = buildServices(
      loadConfig({
        ...pipeline.settings,
        NOTIFICATION_URL: pipeline.urls.notificationUrl,
        LIFECYCLE_NOTIFICATION_URL: pipeline.urls.lifecycleNotificationUrl,
      }),
    );
    const created = await createManagedSubscription(
      parseSubscriptionRequest({ resource: 'users', changeType: 'updated,deleted' }),
      {
        ...elsewhere.subscriptionServices,
        log: invocationContext('cli').context,
      },
    );
    expect(created.status).toBe('active');

    sim.mutate(demo.tenantId, {
      kind: 'user',
      op: 'update',
      id: demo.meganId,
      data: { jobTitle: 'Seen despite the vault' },
    });
    const status = await untilQuiet(e2e);

    const sink = await readSink(pipeline);
    expect(sink.get(`users/${demo.meganId}`)?.body).toMatchObject({
      id: demo.meganId,
      jobTitle: 'Seen despite the vault',
    });
    expect(status).toMatchObject({ failures: 0, poison: 0 });
    expect(pipeline.invocations.succeeded('receiveNotifications')).toBeGreaterThan(0);
    expect(pipeline.invocations.succeeded('processNotifications')).toBeGreaterThan(0);
    expect(problems(e2e.logs).filter((line) => !line.startsWith('manageSubscriptions'))).toEqual([]);
  });
});
