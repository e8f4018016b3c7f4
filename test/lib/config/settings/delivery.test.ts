import { describe, expect, it } from 'vitest';
import { loadConfig, readConfiguration } from '../../../../src/lib/config';
import { testGraphSettings } from '../../../support/storage';

const base = { AzureWebJobsStorage: 'UseDevelopmentStorage=true', ...testGraphSettings };
const eventGrid = {
  EVENT_GRID_AZURE_SUBSCRIPTION_ID: '33333333-3333-4333-8333-333333333333',
  EVENT_GRID_RESOURCE_GROUP: 'rg-graph-notify',
  EVENT_GRID_PARTNER_TOPIC: 'graph-notify-users',
  EVENT_GRID_LOCATION: 'westeurope',
};
const eventHubs = {
  EVENT_HUBS__fullyQualifiedNamespace: 'gn-hubs.servicebus.windows.net',
  EVENT_HUBS_TENANT_DOMAIN: 'contoso.com',
};

describe('delivery route settings', () => {
  it('defaults to webhooks with neither route configured, naming what each route lacks', () => {
    const config = loadConfig(base);

    expect(config.delivery.defaultRoute).toBe('webhook');
    expect(config.delivery.eventGrid).toBeUndefined();
    expect(config.delivery.eventHubs).toBeUndefined();
    expect(config.delivery.missing.eventGrid).toEqual([
      'EVENT_GRID_AZURE_SUBSCRIPTION_ID',
      'EVENT_GRID_RESOURCE_GROUP',
      'EVENT_GRID_PARTNER_TOPIC',
      'EVENT_GRID_LOCATION',
    ]);
    // The hub name has a default: only the namespace and the domain are missing.
    expect(config.delivery.missing.eventHubs).toEqual([
      'EVENT_HUBS__fullyQualifiedNamespace',
      'EVENT_HUBS_TENANT_DOMAIN',
    ]);
    expect(config.delivery.consumerGroup).toBe('$Default');
  });

  it('reads both routes when every setting is present', () => {
    const config = loadConfig({ ...base, ...eventGrid, ...eventHubs, DEFAULT_DELIVERY: 'eventHubs' });

    expect(config.delivery.defaultRoute).toBe('eventHubs');
    expect(config.delivery.eventGrid).toEqual({
      azureSubscriptionId: eventGrid.EVENT_GRID_AZURE_SUBSCRIPTION_ID,
      resourceGroup: 'rg-graph-notify',
      partnerTopic: 'graph-notify-users',
      location: 'westeurope',
    });
    expect(config.delivery.eventHubs).toEqual({
      fullyQualifiedNamespace: 'gn-hubs.servicebus.windows.net',
      hubName: 'graph-notifications',
      tenantDomain: 'contoso.com',
    });
  });

  it('names each malformed setting and takes down subscription management only', () => {
    const reading = readConfiguration({
      ...base,
      ...eventGrid,
      EVENT_GRID_LOCATION: 'West Europe',
      EVENT_GRID_AZURE_SUBSCRIPTION_ID: 'not-a-guid',
      DEFAULT_DELIVERY: 'carrier-pigeon',
    });

    expect(reading.problems.map((problem) => problem.setting).sort()).toEqual([
      'DEFAULT_DELIVERY',
      'EVENT_GRID_AZURE_SUBSCRIPTION_ID',
      'EVENT_GRID_LOCATION',
    ]);
    expect(reading.problems.find((problem) => problem.setting === 'EVENT_GRID_LOCATION')?.message).toMatch(
      /region name in lower case/,
    );
    expect(reading.problems.find((problem) => problem.setting === 'DEFAULT_DELIVERY')?.message).toMatch(
      /webhook, eventGrid, eventHubs/,
    );
  });
});
