import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemorySubscriptionRepository } from '../../../src/adapters/memory/memorySubscriptionRepository';
import { readDeliveryConfig } from '../../../src/lib/config/settings/delivery';
import { EnvReader } from '../../../src/lib/config/envReader';
import {
  EVENT_GRID_ROUTE_ERROR_PREFIX,
  keepEventGridRouteActive,
  type EventGridRouteDependencies,
} from '../../../src/lib/maintenance';
import { ManualClock } from '../../../src/lib/shared/clock';
import { silentLogger } from '../../../src/lib/shared/logger';
import { subscriptionRecord } from '../../support/notificationFactories';
import { AZURE_SUBSCRIPTION, FUNCTION_APP, startStubArm, STORAGE, TOPIC_PATH } from '../../support/stubArm';

const EVENT_GRID_URL = `EventGrid:?azuresubscriptionid=${AZURE_SUBSCRIPTION}&resourcegroup=rg-notify&partnertopic=graph-topic&location=westeurope`;

describe('the reconcile timer keeps the Event Grid route active (against a stub Azure Resource Manager)', () => {
  let arm: Awaited<ReturnType<typeof startStubArm>>;

  beforeEach(async () => {
    arm = await startStubArm();
  });

  afterEach(async () => {
    await arm.close();
  });

  const route = (): EventGridRouteDependencies => ({
    request: {
      azureSubscriptionId: AZURE_SUBSCRIPTION,
      resourceGroup: 'rg-notify',
      partnerTopic: 'graph-topic',
      functionAppResourceId: FUNCTION_APP,
      deadLetterStorageAccountId: STORAGE,
      deadLetterContainer: 'eventgrid-deadletter',
      eventSubscriptionName: 'to-graph-notify',
    },
    arm: { fetch: globalThis.fetch, baseUrl: arm.baseUrl, token: () => Promise.resolve('app-token') },
  });

  async function world(records: Parameters<typeof subscriptionRecord>[0][]) {
    const repository = new MemorySubscriptionRepository();
    for (const record of records) await repository.create(subscriptionRecord(record));
    const clock = new ManualClock('2026-05-01T10:00:00Z');
    return { repository, clock, log: silentLogger };
  }

  it('does nothing without its settings, and calls nothing while no eventGrid subscription is active', async () => {
    const webhookOnly = await world([{}, { notificationUrl: EVENT_GRID_URL, status: 'pending' }]);

    expect(await keepEventGridRouteActive(webhookOnly)).toEqual({ status: 'notConfigured' });
    expect(await keepEventGridRouteActive({ ...webhookOnly, eventGridRoute: route() })).toEqual({
      status: 'noSubscriptions',
    });
    expect(arm.calls).toEqual([]);
  });

  it('reports a topic Graph has not created on the eventGrid subscriptions, then activates and subscribes, idempotently', async () => {
    const deps = { ...(await world([{ notificationUrl: EVENT_GRID_URL }, {}])), eventGridRoute: route() };
    const [onRoute, webhook] = await deps.repository.list();

    const missing = await keepEventGridRouteActive(deps);
    const shownWhileMissing = await deps.repository.get(onRoute?.subscriptionId ?? '');
    arm.state.topicExists = true;
    const first = await keepEventGridRouteActive(deps);
    const again = await keepEventGridRouteActive(deps);

    expect(missing.status).toBe('failed');
    expect('error' in missing ? missing.error : '').toContain('ERR_EVENT_GRID_TOPIC_NOT_FOUND');
    expect(shownWhileMissing?.lastError).toMatch(new RegExp(`^${EVENT_GRID_ROUTE_ERROR_PREFIX}.*graph-topic`));
    expect((await deps.repository.get(webhook?.subscriptionId ?? ''))?.lastError).toBeUndefined();
    expect(first).toEqual({ status: 'active', topic: 'activated', eventSubscription: 'created' });
    expect(again).toEqual({ status: 'active', topic: 'alreadyActive', eventSubscription: 'updated' });
    expect((await deps.repository.get(onRoute?.subscriptionId ?? ''))?.lastError).toBeUndefined();
    expect(arm.calls.map((call) => `${call.method} ${call.path.slice(TOPIC_PATH.length) || '/'}`)).toEqual([
      'GET /',
      'GET /',
      'POST /activate',
      'PUT /eventSubscriptions/to-graph-notify',
      'GET /',
      'PUT /eventSubscriptions/to-graph-notify',
    ]);
    expect(arm.calls.every((call) => call.authorization === 'Bearer app-token')).toBe(true);
    expect(arm.state.eventSubscriptions).toEqual(new Set(['to-graph-notify']));
  });

  it("reports ARM's refusal without failing the run and never hides an error Graph gave the subscription", async () => {
    arm.state.topicExists = true;
    arm.server.removeAllListeners('request');
    arm.server.on('request', (_request, response: import('node:http').ServerResponse) => {
      response
        .writeHead(403, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { code: 'AuthorizationFailed', message: 'no EventGrid Contributor' } }));
    });
    const deps = {
      ...(await world([{ notificationUrl: EVENT_GRID_URL, lastError: 'Graph: 403 Forbidden on renewal' }])),
      eventGridRoute: route(),
    };

    const report = await keepEventGridRouteActive(deps);

    expect(report.status).toBe('failed');
    expect('error' in report ? report.error : '').toContain('ERR_ARM_REQUEST_REFUSED');
    expect((await deps.repository.list())[0]?.lastError).toBe('Graph: 403 Forbidden on renewal');
  });
});

describe('the activation settings', () => {
  const read = (env: Record<string, string>) => {
    const reader = new EnvReader(env);
    return { config: readDeliveryConfig(reader), problems: reader.problems() };
  };

  it('are complete with the function app and dead-letter storage ids, the container and name taking defaults', () => {
    const { config, problems } = read({
      EVENT_GRID_FUNCTION_APP_RESOURCE_ID: FUNCTION_APP,
      EVENT_GRID_DEAD_LETTER_STORAGE_ACCOUNT_ID: STORAGE,
    });

    expect(problems).toEqual([]);
    expect(config.eventGridActivation).toEqual({
      functionAppResourceId: FUNCTION_APP,
      deadLetterStorageAccountId: STORAGE,
      deadLetterContainer: 'eventgrid-deadletter',
      eventSubscriptionName: 'to-graph-notify',
    });
    expect(read({ EVENT_GRID_FUNCTION_APP_RESOURCE_ID: FUNCTION_APP }).config.eventGridActivation).toBeUndefined();
  });

  it('name a malformed resource id', () => {
    const { problems } = read({ EVENT_GRID_FUNCTION_APP_RESOURCE_ID: 'func-notify' });

    expect(JSON.stringify(problems)).toContain('EVENT_GRID_FUNCTION_APP_RESOURCE_ID');
  });
});
