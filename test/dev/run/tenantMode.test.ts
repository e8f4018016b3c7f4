/**
 * `npm run dev -- --tenant`: the app takes its Graph settings from a local.settings.json instead of the
 * simulator wiring, and only storage stays local. A standalone simulator plays the "real" tenant here, as
 * a developer would point the file at one; the subscription created through the management API proves
 * the file's NOTIFICATION_URL, LIFECYCLE_NOTIFICATION_URL, credentials and endpoints are what the app uses.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../dev/azurite';
import {
  DEMO_APP_ID,
  DEMO_CLIENT_SECRET,
  DEMO_TENANT_ID,
  startGraphSimulator,
  type RunningGraphSimulator,
} from '../../../dev/graph-simulator';
import { startLocalPipeline, type LocalPipeline } from '../../../dev/run';

let pipeline: LocalPipeline | undefined;
let tenant: RunningGraphSimulator | undefined;
let folder: string | undefined;

afterEach(async () => {
  await pipeline?.stop();
  await tenant?.stop();
  if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
  pipeline = undefined;
  tenant = undefined;
  folder = undefined;
});

describe('startLocalPipeline in tenant mode', () => {
  it('runs the app with the Graph settings of local.settings.json and local storage, without a simulator of its own', async () => {
    tenant = await startGraphSimulator({ seedDemo: true, allowHttpLoopback: true });
    const port = await freePort();
    folder = mkdtempSync(join(tmpdir(), 'graph-notify-tenant-'));
    const settingsFile = join(folder, 'local.settings.json');
    writeFileSync(
      settingsFile,
      JSON.stringify({
        IsEncrypted: false,
        Values: {
          AzureWebJobsStorage: 'UseDevelopmentStorage=true',
          GRAPH_CLIENT_ID: DEMO_APP_ID,
          GRAPH_TENANT_ID: DEMO_TENANT_ID,
          GRAPH_CLIENT_SECRET: DEMO_CLIENT_SECRET,
          GRAPH_BASE_URL: tenant.graphBaseUrl,
          GRAPH_TOKEN_ENDPOINT: tenant.tokenEndpointTemplate,
          NOTIFICATION_URL: `http://127.0.0.1:${port}/api/notifications`,
          LIFECYCLE_NOTIFICATION_URL: `http://127.0.0.1:${port}/api/lifecycle`,
          NOTIFICATIONS_QUEUE_NAME: 'tenant-notifications',
        },
      }),
    );

    pipeline = await startLocalPipeline({ port, graph: { mode: 'tenant', settingsFile }, log: () => undefined });
    const created = await pipeline.management.create({ resource: 'groups', changeType: 'updated' });

    expect(pipeline.simulator).toBeUndefined();
    expect(pipeline.demo).toBeUndefined();
    expect(pipeline.subscriptions).toEqual([]);
    expect(pipeline.config.graph.tenantId).toBe(DEMO_TENANT_ID);
    // The file's queue name is kept, its storage is replaced by the pipeline's Azurite, and the unset binding settings get their defaults.
    expect(pipeline.config.storage.notificationsQueue).toBe('tenant-notifications');
    expect(pipeline.config.storage.connection).toMatchObject({
      kind: 'connectionString',
      connectionString: pipeline.connectionString,
    });
    expect(pipeline.config.storage.lifecycleQueue).toBe('graph-lifecycle');
    expect(created.status).toBe('active');
    expect(
      tenant
        .subscriptions()
        .map(({ notificationUrl, lifecycleNotificationUrl }) => ({ notificationUrl, lifecycleNotificationUrl })),
    ).toEqual([
      {
        notificationUrl: `http://127.0.0.1:${port}/api/notifications`,
        lifecycleNotificationUrl: `http://127.0.0.1:${port}/api/lifecycle`,
      },
    ]);
  });

  it('says which file it needs when local.settings.json is missing', async () => {
    folder = mkdtempSync(join(tmpdir(), 'graph-notify-tenant-'));

    const starting = startLocalPipeline({
      port: 0,
      graph: { mode: 'tenant', settingsFile: join(folder, 'local.settings.json') },
      log: () => undefined,
    });

    await expect(starting).rejects.toThrow(
      /--tenant reads the real Graph settings .* from .*local\.settings\.json, which does not exist/,
    );
  });
});
