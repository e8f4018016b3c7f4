/**
 * The URLs Graph is given for each delivery route. Graph takes a webhook's https URL, or one of two
 * pseudo-URLs ("Receive change notifications through Azure Event Grid" and "… through Azure Event Hubs"):
 *
 * - `EventGrid:?azuresubscriptionid=<guid>&resourcegroup=<rg>&partnertopic=<topic>&location=<region>`
 * - `EventHub:https://<namespace>.servicebus.windows.net/eventhubname/<hub>?tenantId=<domain>`
 *
 * For both, Graph wants the same value as lifecycleNotificationUrl, so lifecycle events come by the same
 * route as the changes (docs/graph-protocol.md §14).
 */
import type {
  DeliveryConfig,
  DeliveryRoute,
  EventGridRouteConfig,
  EventHubsRouteConfig,
} from '../config/settings/delivery';
import { SubscriptionsNotConfigured } from '../subscriptions/errors';

export interface RouteUrls {
  readonly notificationUrl: string;
  readonly lifecycleNotificationUrl: string | undefined;
}

/** What the URLs are built from: the webhook settings and the route settings. */
export interface RouteUrlSettings {
  readonly notificationUrl: string | undefined;
  readonly lifecycleNotificationUrl: string | undefined;
  readonly delivery?: DeliveryConfig | undefined;
}

export function eventGridUrl(grid: EventGridRouteConfig): string {
  const query = new URLSearchParams({
    azuresubscriptionid: grid.azureSubscriptionId,
    resourcegroup: grid.resourceGroup,
    partnertopic: grid.partnerTopic,
    location: grid.location,
  });
  return `EventGrid:?${query.toString()}`;
}

export function eventHubsUrl(hubs: EventHubsRouteConfig): string {
  // `eventhubname` is a literal path segment of Graph's format, not a placeholder.
  return `EventHub:https://${hubs.fullyQualifiedNamespace}/eventhubname/${encodeURIComponent(hubs.hubName)}?tenantId=${encodeURIComponent(hubs.tenantDomain)}`;
}

/** The route a request without `delivery` takes. */
export function defaultRoute(settings: RouteUrlSettings): DeliveryRoute {
  return settings.delivery?.defaultRoute ?? 'webhook';
}

/** The route a stored record was created on; records from before routes existed are webhooks. */
export function routeOfUrl(notificationUrl: string): DeliveryRoute {
  if (/^EventGrid:/i.test(notificationUrl)) return 'eventGrid';
  if (/^EventHub:/i.test(notificationUrl)) return 'eventHubs';
  return 'webhook';
}

/** The URLs for `route`; throws `SubscriptionsNotConfigured` naming the settings the route lacks. */
export function routeUrls(route: DeliveryRoute, settings: RouteUrlSettings): RouteUrls {
  switch (route) {
    case 'webhook':
      if (settings.notificationUrl === undefined) {
        throw new SubscriptionsNotConfigured(
          'NOTIFICATION_URL is not set: graph-notify cannot create webhook subscriptions without the public URL of its notifications webhook (https://<app>/api/notifications?code=<key>)',
        );
      }
      return { notificationUrl: settings.notificationUrl, lifecycleNotificationUrl: settings.lifecycleNotificationUrl };
    case 'eventGrid': {
      const grid = settings.delivery?.eventGrid;
      if (grid === undefined) throw notConfigured(route, settings.delivery?.missing.eventGrid);
      const url = eventGridUrl(grid);
      return { notificationUrl: url, lifecycleNotificationUrl: url };
    }
    case 'eventHubs': {
      const hubs = settings.delivery?.eventHubs;
      if (hubs === undefined) throw notConfigured(route, settings.delivery?.missing.eventHubs);
      const url = eventHubsUrl(hubs);
      return { notificationUrl: url, lifecycleNotificationUrl: url };
    }
  }
}

function notConfigured(route: DeliveryRoute, missing: readonly string[] | undefined): SubscriptionsNotConfigured {
  const names = missing === undefined || missing.length === 0 ? 'its settings' : missing.join(', ');
  return new SubscriptionsNotConfigured(
    `the ${route} delivery route is not configured: set ${names} (docs/configuration.md#delivery-routes)`,
  );
}
