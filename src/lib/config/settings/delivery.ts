/**
 * Delivery routes: how Graph brings a subscription's notifications to the app. `webhook` (the default) posts
 * to NOTIFICATION_URL / LIFECYCLE_NOTIFICATION_URL; `eventGrid` publishes into an Azure Event Grid partner
 * topic; `eventHubs` sends into an Azure Event Hubs hub. Each subscription names its route (`delivery`);
 * DEFAULT_DELIVERY is used when it names none. The Event Grid and Event Hubs settings are optional: a create
 * on a route whose settings are unset fails with ERR_SUBSCRIPTIONS_NOT_CONFIGURED naming them
 * (docs/graph-protocol.md §14, docs/ingest.md#delivery-routes).
 */
import type { Environment, EnvReader } from '../envReader';
import {
  BLOB_CONTAINER_NAME,
  EVENT_SUBSCRIPTION_NAME,
  FUNCTION_APP_RESOURCE_ID,
  STORAGE_ACCOUNT_RESOURCE_ID,
} from '../../delivery/armResourceIds';
import { defineSetting, type SettingDefinition } from '../setting';

export const DELIVERY_ROUTES = ['webhook', 'eventGrid', 'eventHubs'] as const;
export type DeliveryRoute = (typeof DELIVERY_ROUTES)[number];

export const deliverySettings = {
  defaultDelivery: defineSetting({
    name: 'DEFAULT_DELIVERY',
    description:
      'Route of a subscription that names none: webhook (Graph POSTs to NOTIFICATION_URL), eventGrid (an Azure Event Grid partner topic, EVENT_GRID_*) or eventHubs (an Azure Event Hubs hub, EVENT_HUBS_*). Lifecycle events take the same route as the changes.',
    default: 'webhook',
    whenWrong:
      'New subscriptions go by a route whose settings are missing (their create fails naming the settings) or one nothing consumes.',
  }),
  eventGridAzureSubscriptionId: defineSetting({
    name: 'EVENT_GRID_AZURE_SUBSCRIPTION_ID',
    description:
      'Azure subscription (GUID) holding the resource group where Graph creates the Event Grid partner topic. Needed by the eventGrid route.',
    whenWrong: 'Graph cannot create the partner topic and refuses eventGrid subscriptions.',
  }),
  eventGridResourceGroup: defineSetting({
    name: 'EVENT_GRID_RESOURCE_GROUP',
    description:
      'Resource group holding the Event Grid partner configuration that authorises MicrosoftGraphAPI; Graph creates the partner topic there. Needed by the eventGrid route.',
    whenWrong:
      'Graph cannot create the partner topic (no authorisation in that group) and refuses eventGrid subscriptions.',
  }),
  eventGridPartnerTopic: defineSetting({
    name: 'EVENT_GRID_PARTNER_TOPIC',
    description:
      'Name of the partner topic Graph creates (or reuses) for eventGrid subscriptions: letters, digits and hyphens, 3-50 characters. One topic carries every eventGrid subscription of the app (Graph allows 10 per tenant and app).',
    whenWrong:
      'A name used by another app, or one whose subscriptions expired more than 30 days ago, makes Graph refuse the create; pick a new name.',
  }),
  eventGridLocation: defineSetting({
    name: 'EVENT_GRID_LOCATION',
    description:
      'Azure region name of the partner topic as `az account list-locations` prints it (westeurope, not "West Europe"). Needed by the eventGrid route.',
    whenWrong: 'A display name or unknown region makes Graph refuse eventGrid subscriptions.',
  }),
  eventGridFunctionAppResourceId: defineSetting({
    name: 'EVENT_GRID_FUNCTION_APP_RESOURCE_ID',
    description:
      "This function app's Azure resource id (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Web/sites/<app>). With EVENT_GRID_DEAD_LETTER_STORAGE_ACCOUNT_ID and the eventGrid route's settings, the reconcile timer activates Graph's partner topic and keeps the event subscription to receiveEventGridNotifications in place while eventGrid subscriptions exist (docs/deploy.md#event-grid-and-event-hubs). Empty = that is left to `graph-notify eventgrid activate`.",
    whenWrong:
      "Another app's id: its events go there. A malformed id is refused at start-up. Unset: nothing is delivered by Event Grid until someone runs the CLI command.",
  }),
  eventGridDeadLetterStorageAccountId: defineSetting({
    name: 'EVENT_GRID_DEAD_LETTER_STORAGE_ACCOUNT_ID',
    description:
      'Resource id of the storage account holding EVENT_GRID_DEAD_LETTER_CONTAINER_NAME (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Storage/storageAccounts/<account>), where Event Grid puts the events it gave up on. Needed with EVENT_GRID_FUNCTION_APP_RESOURCE_ID.',
    whenWrong:
      'ARM refuses the event subscription; the reconcile report and the eventGrid subscriptions show the error.',
  }),
  eventGridDeadLetterContainer: defineSetting({
    name: 'EVENT_GRID_DEAD_LETTER_CONTAINER_NAME',
    default: 'eventgrid-deadletter',
    description: "Blob container for Event Grid's dead letters (the Bicep creates it with the app's other containers).",
    whenWrong: 'ARM refuses the event subscription, or dead letters land where nobody looks.',
  }),
  eventGridEventSubscriptionName: defineSetting({
    name: 'EVENT_GRID_EVENT_SUBSCRIPTION_NAME',
    default: 'to-graph-notify',
    description:
      "Name of the partner topic's event subscription that sends its events to receiveEventGridNotifications (3-64 letters, digits or hyphens).",
    whenWrong:
      'A second name adds a second event subscription: every event is delivered twice (harmless, but twice the work).',
  }),
  eventHubsNamespace: defineSetting({
    name: 'EVENT_HUBS__fullyQualifiedNamespace',
    description:
      "Fully qualified Event Hubs namespace, such as gn-hubs.servicebus.windows.net. Both Graph's notificationUrl for the eventHubs route and the Event Hubs trigger's identity-based connection (prefix EVENT_HUBS) use it. When set, the receiveEventHubsNotifications function is registered.",
    whenWrong:
      'Unset: eventHubs subscriptions cannot be created and nothing reads the hub. Wrong: Graph refuses the create ("Invalid event hub notification url") or the trigger cannot connect.',
  }),
  eventHubsName: defineSetting({
    name: 'EVENT_HUBS_NAME',
    description: 'Event hub (inside the namespace) Graph sends eventHubs notifications to and the trigger reads.',
    default: 'graph-notifications',
    whenWrong: 'Graph sends to a hub nothing reads, or refuses the create when the hub does not exist.',
  }),
  eventHubsConsumerGroup: defineSetting({
    name: 'EVENT_HUBS_CONSUMER_GROUP',
    description:
      'Consumer group the Event Hubs trigger reads with; keep it for this app alone so checkpoints are not shared.',
    default: '$Default',
    whenWrong:
      'A group shared with another reader splits or repeats events between them; a missing group stops the trigger.',
  }),
  eventHubsTenantDomain: defineSetting({
    name: 'EVENT_HUBS_TENANT_DOMAIN',
    description:
      "The tenant's primary domain (contoso.com), sent as tenantId in the Event Hubs notificationUrl; it must be the domain of the tenant holding the hub's Azure subscription.",
    whenWrong: 'Graph refuses eventHubs subscriptions.',
  }),
  eventHubsBlobStoreUrl: defineSetting({
    name: 'EVENT_HUBS_BLOB_STORE_URL',
    description:
      "Key Vault secret Graph reads a storage connection string from, sent as blobStoreUrl when an eventHubs subscription with resource data is created: https://<vault>.vault.azure.net/secrets/<name>?tenantId=<domain>. Graph stores each rich notification over the hub's 1 MB there and sends additionalPayloadStorageId instead; the connection string must name the app's storage account.",
    whenWrong:
      'Unset: Graph has nowhere to put rich notifications over 1 MB. Wrong: Graph refuses the create or cannot write the blob.',
  }),
  eventHubsPayloadContainer: defineSetting({
    name: 'EVENT_HUBS_PAYLOAD_CONTAINER_NAME',
    default: 'graph-eventhubs-payloads',
    description:
      "Container of the app's storage account where Graph writes the oversized rich notifications of EVENT_HUBS_BLOB_STORE_URL; receiveEventHubsNotifications reads each additionalPayloadStorageId from it.",
    whenWrong:
      'Not the container Graph writes to: events naming a payload blob cannot be read; they are parked (never dropped) and replayed once it is fixed.',
  }),
} as const;

export interface EventGridRouteConfig {
  readonly azureSubscriptionId: string;
  readonly resourceGroup: string;
  readonly partnerTopic: string;
  readonly location: string;
}

/** What the reconcile timer needs to activate the partner topic and keep its event subscription (activateEventGrid.ts). */
export interface EventGridActivationConfig {
  readonly functionAppResourceId: string;
  readonly deadLetterStorageAccountId: string;
  readonly deadLetterContainer: string;
  readonly eventSubscriptionName: string;
}

export interface EventHubsRouteConfig {
  readonly fullyQualifiedNamespace: string;
  readonly hubName: string;
  readonly tenantDomain: string;
}

export interface DeliveryConfig {
  readonly defaultRoute: DeliveryRoute;
  /** Undefined until every EVENT_GRID_* setting is set; `missing` names the unset ones. */
  readonly eventGrid: EventGridRouteConfig | undefined;
  /** Undefined unless EVENT_GRID_FUNCTION_APP_RESOURCE_ID and EVENT_GRID_DEAD_LETTER_STORAGE_ACCOUNT_ID are set. */
  readonly eventGridActivation?: EventGridActivationConfig | undefined;
  readonly eventHubs: EventHubsRouteConfig | undefined;
  readonly consumerGroup: string;
  /** blobStoreUrl for eventHubs subscriptions with resource data; absent = Graph is given none. */
  readonly eventHubsBlobStoreUrl?: string | undefined;
  /** Where Graph's oversized Event Hubs payloads are read (additionalPayloadStorageId names the blob). */
  readonly eventHubsPayloadContainer?: string | undefined;
  /** The settings each route still lacks, by name (empty when the route is configured). */
  readonly missing: Readonly<Record<Exclude<DeliveryRoute, 'webhook'>, readonly string[]>>;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function readDeliveryConfig(env: EnvReader): DeliveryConfig {
  const s = deliverySettings;
  const checked = (setting: SettingDefinition, pattern: RegExp, expected: string): string | undefined => {
    const text = env.optionalString(setting);
    if (text !== undefined && !pattern.test(text)) env.problem(setting, `must be ${expected}, got "${text}"`);
    return text;
  };
  const grid = {
    azureSubscriptionId: checked(s.eventGridAzureSubscriptionId, GUID, 'a GUID'),
    resourceGroup: checked(
      s.eventGridResourceGroup,
      /^[\w.()-]{1,90}$/,
      'a resource group name (1-90 letters, digits, _ . ( ) -)',
    ),
    partnerTopic: checked(s.eventGridPartnerTopic, /^[A-Za-z0-9-]{3,50}$/, '3-50 letters, digits or hyphens'),
    // Graph wants the region's name, never its display name ("Receive Microsoft Graph change notifications through Azure Event Grid").
    location: checked(
      s.eventGridLocation,
      /^[a-z0-9]+$/,
      'a region name in lower case without spaces, such as westeurope',
    ),
  };
  const activation = {
    functionAppResourceId: checked(
      s.eventGridFunctionAppResourceId,
      FUNCTION_APP_RESOURCE_ID,
      'a function app resource id (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Web/sites/<app>)',
    ),
    deadLetterStorageAccountId: checked(
      s.eventGridDeadLetterStorageAccountId,
      STORAGE_ACCOUNT_RESOURCE_ID,
      'a storage account resource id (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Storage/storageAccounts/<account>)',
    ),
    deadLetterContainer: checked(s.eventGridDeadLetterContainer, BLOB_CONTAINER_NAME, 'a blob container name'),
    eventSubscriptionName: checked(
      s.eventGridEventSubscriptionName,
      EVENT_SUBSCRIPTION_NAME,
      '3-64 letters, digits or hyphens',
    ),
  };
  const hubs = {
    fullyQualifiedNamespace: checked(
      s.eventHubsNamespace,
      /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/,
      'a host name such as <namespace>.servicebus.windows.net',
    ),
    hubName: checked(s.eventHubsName, /^[A-Za-z0-9][\w.-]{0,255}$/, 'an event hub name (letters, digits, . _ -)'),
    tenantDomain: checked(
      s.eventHubsTenantDomain,
      /^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/,
      'a domain name such as contoso.com',
    ),
  };
  const gridNames = {
    azureSubscriptionId: s.eventGridAzureSubscriptionId,
    resourceGroup: s.eventGridResourceGroup,
    partnerTopic: s.eventGridPartnerTopic,
    location: s.eventGridLocation,
  };
  const hubNames = {
    fullyQualifiedNamespace: s.eventHubsNamespace,
    hubName: s.eventHubsName,
    tenantDomain: s.eventHubsTenantDomain,
  };
  const missingGrid = Object.entries(grid)
    .filter(([, value]) => value === undefined)
    .map(([key]) => gridNames[key as keyof typeof gridNames].name);
  const missingHubs = Object.entries(hubs)
    .filter(([, value]) => value === undefined)
    .map(([key]) => hubNames[key as keyof typeof hubNames].name);
  return {
    defaultRoute: env.oneOf(s.defaultDelivery, DELIVERY_ROUTES),
    eventGrid: missingGrid.length === 0 ? (grid as EventGridRouteConfig) : undefined,
    eventGridActivation: Object.values(activation).every((value) => value !== undefined)
      ? (activation as EventGridActivationConfig)
      : undefined,
    eventHubs: missingHubs.length === 0 ? (hubs as EventHubsRouteConfig) : undefined,
    consumerGroup: env.string(s.eventHubsConsumerGroup),
    eventHubsBlobStoreUrl: checked(
      s.eventHubsBlobStoreUrl,
      /^https:\/\/[A-Za-z0-9-]+\.vault\.azure\.net\/secrets\/[A-Za-z0-9-]+\?tenantId=[^&\s]+$/,
      'a Key Vault secret URL such as https://<vault>.vault.azure.net/secrets/<name>?tenantId=<domain>',
    ),
    eventHubsPayloadContainer: checked(
      s.eventHubsPayloadContainer,
      BLOB_CONTAINER_NAME,
      'a blob container name (3-63 lower-case letters, digits and single hyphens)',
    ),
    missing: { eventGrid: missingGrid, eventHubs: missingHubs },
  };
}

/**
 * Whether the Event Hubs trigger (and its replay timer) is registered: the host cannot index an Event Hubs
 * trigger without its connection, so an app on webhooks alone registers neither. Read at registration,
 * before the configuration is loaded; the namespace's format is checked with the rest of the settings.
 */
export function isEventHubsRouteEnabled(environment: Environment): boolean {
  return (environment[deliverySettings.eventHubsNamespace.name] ?? '').trim() !== '';
}
