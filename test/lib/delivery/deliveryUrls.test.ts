import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/lib/config';
import { routeOfUrl, routeUrls } from '../../../src/lib/delivery/deliveryUrls';
import {
  planSubscription,
  SubscriptionRuleViolated,
  SubscriptionsNotConfigured,
  subscriptionSettingsFrom,
} from '../../../src/lib/subscriptions';
import { testGraphSettings } from '../../support/storage';

const settings = subscriptionSettingsFrom(
  loadConfig({
    AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    ...testGraphSettings,
    NOTIFICATION_URL: 'https://app.example.com/api/notifications?code=k',
    EVENT_GRID_AZURE_SUBSCRIPTION_ID: '33333333-3333-4333-8333-333333333333',
    EVENT_GRID_RESOURCE_GROUP: 'rg-graph-notify',
    EVENT_GRID_PARTNER_TOPIC: 'graph-notify-users',
    EVENT_GRID_LOCATION: 'westeurope',
  }),
);
const delivery =
  settings.delivery ?? loadConfig({ AzureWebJobsStorage: 'UseDevelopmentStorage=true', ...testGraphSettings }).delivery;

describe('delivery route URLs', () => {
  it("builds Graph's EventGrid: form and uses it for lifecycle events too", () => {
    const urls = routeUrls('eventGrid', settings);

    expect(urls.notificationUrl).toBe(
      'EventGrid:?azuresubscriptionid=33333333-3333-4333-8333-333333333333&resourcegroup=rg-graph-notify&partnertopic=graph-notify-users&location=westeurope',
    );
    expect(urls.lifecycleNotificationUrl).toBe(urls.notificationUrl);
    expect(routeOfUrl(urls.notificationUrl)).toBe('eventGrid');
  });

  it("builds Graph's EventHub: form with the literal eventhubname segment and the tenant's domain", () => {
    const hubs = {
      ...settings,
      delivery: {
        ...delivery,
        eventHubs: {
          fullyQualifiedNamespace: 'gn.servicebus.windows.net',
          hubName: 'graph-notifications',
          tenantDomain: 'contoso.com',
        },
      },
    };

    const urls = routeUrls('eventHubs', hubs);

    expect(urls.notificationUrl).toBe(
      'EventHub:https://gn.servicebus.windows.net/eventhubname/graph-notifications?tenantId=contoso.com',
    );
    expect(urls.lifecycleNotificationUrl).toBe(urls.notificationUrl);
    expect(routeOfUrl(urls.notificationUrl)).toBe('eventHubs');
  });

  it('refuses a route whose settings are unset, naming them', () => {
    expect(() => routeUrls('eventHubs', settings)).toThrow(SubscriptionsNotConfigured);
    expect(() => routeUrls('eventHubs', settings)).toThrow(
      /set EVENT_HUBS__fullyQualifiedNamespace, EVENT_HUBS_TENANT_DOMAIN/,
    );
    expect(() => routeUrls('webhook', { ...settings, notificationUrl: undefined })).toThrow(
      /NOTIFICATION_URL is not set/,
    );
  });

  it('reads the route back from a stored URL; anything else is a webhook', () => {
    expect(routeOfUrl('https://app.example.com/api/notifications?code=k')).toBe('webhook');
    expect(routeOfUrl('eventgrid:?partnertopic=x')).toBe('eventGrid');
  });
});

describe('a subscription request with a route', () => {
  const now = new Date('2026-05-01T10:00:00Z');

  it('takes DEFAULT_DELIVERY when it names none', () => {
    // These settings have no LIFECYCLE_NOTIFICATION_URL: a webhook subscription needs the explicit opt-out.
    expect(
      planSubscription({ resource: 'users', changeType: 'updated', withoutLifecycleUrl: true }, settings, now).delivery,
    ).toBe('webhook');
    const gridByDefault = { ...settings, delivery: { ...delivery, defaultRoute: 'eventGrid' as const } };
    expect(planSubscription({ resource: 'users', changeType: 'updated' }, gridByDefault, now).delivery).toBe(
      'eventGrid',
    );
  });

  it('needs no LIFECYCLE_NOTIFICATION_URL off the webhook route: the route carries lifecycle events', () => {
    const chats = { resource: 'chats/19:abc@thread.v2/messages', changeType: 'created' };

    expect(() => planSubscription(chats, settings, now)).toThrow(SubscriptionRuleViolated);
    expect(planSubscription({ ...chats, delivery: 'eventGrid' }, settings, now).delivery).toBe('eventGrid');
  });
});
