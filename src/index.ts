/**
 * Composition root of the Functions app: the one place that reads configuration and wires the Azure
 * adapters to the domain. Function files ask `appServices()` for what they need.
 *
 * Configuration is read and validated once, on first use, and the result is kept for the life of the
 * process. A bad setting takes down only the parts of the app that read it (src/lib/config/appParts.ts):
 * asking for such a part (`appServices().subscriptionServices`, say) throws the error naming its settings,
 * while the other parts work. That keeps ingest and processing running when only a subscription-management
 * secret is an unresolved Key Vault reference. `appHealth()` says what works and what does not.
 *
 * Tests and the local host build their own services with `buildServices(loadConfig(settings))`; to run the
 * domain on other adapters (the in-memory ones in src/adapters/memory, say), build an `AppServices` the
 * same way with those adapters.
 */
import { app } from '@azure/functions';
import { readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { resolve } from 'node:path';
import { createBlobChangeSink } from './adapters/azure/blobChangeSink';
import { createBlobParkedEventStore } from './adapters/azure/blobParkedEventStore';
import { createBlobPayloadStore } from './adapters/azure/blobPayloadStore';
import { MsalAccessTokenProvider } from './adapters/azure/msalAccessTokenProvider';
import { appCredential, createStorageClients, type StorageClients } from './adapters/azure/storageClients';
import { createStorageQueueSender } from './adapters/azure/storageQueueSender';
import { createTableLeaseStore } from './adapters/azure/tableLeaseStore';
import { createTableFailureLog } from './adapters/azure/tableFailureLog';
import { createTableReceiptLog } from './adapters/azure/tableReceiptLog';
import { createTableSubscriptionRepository } from './adapters/azure/tableSubscriptionRepository';
import { startAzureMonitor } from './adapters/azure/telemetry';
import {
  APP_PARTS,
  assessConfiguration,
  describeMisspeltSettings,
  partUnavailable,
  readConfiguration,
  type AppConfig,
  type AppPart,
  type ConfigurationHealth,
  type ConfigurationReading,
} from './lib/config';
import { GraphClient, type AccessTokenProvider } from './lib/graph';
import {
  rehearseIngest,
  type EventHubsIngestDependencies,
  type IngestObserver,
  type ParkedEventStore,
} from './lib/ingest';
import {
  createRichContentOpener,
  QuietClaims,
  ReadsInFlight,
  SETTLE_MS,
  type ProcessingDependencies,
} from './lib/processing';
import { systemClock, type Clock } from './lib/shared/clock';
import { describeError } from './lib/shared/redact';
import type { MessageSender, PayloadStore } from './lib/storage';
import type { LifecycleDependencies } from './lib/lifecycle';
import { ARM_BASE_URL } from './lib/delivery/activateEventGrid';
import type { EventGridRouteDependencies } from './lib/maintenance';
import type { TokenCredential } from '@azure/identity';
import {
  createCachedSubscriptionLookup,
  subscriptionSettingsFrom,
  type SubscriptionRepository,
} from './lib/subscriptions';
import {
  GRAPH_OPERATIONS,
  observeSubscriptions,
  type GraphOperation,
  recordEnqueueLatency,
  recordGraphRequest,
  recordNotificationRejected,
  recordNotificationsAccepted,
  recordNotificationsReceived,
  type SubscriptionObservation,
} from './lib/telemetry';

export interface AppServices {
  readonly config: AppConfig;
  readonly clock: Clock;
  readonly subscriptions: SubscriptionRepository;
  readonly graph: GraphClient;
  readonly ingest: Omit<EventHubsIngestDependencies, 'log'>;
  /** Event Hubs events that could not be queued, waiting for the replayParkedEvents timer (payload container, `parked/eventhubs/`). */
  readonly parkedEvents: ParkedEventStore;
  readonly processing: Omit<ProcessingDependencies, 'log'> & { readonly payloads: PayloadStore };
  /**
   * The subscription use cases (management API, reconciler timer) and the lifecycle handler share these:
   * `lifecycleQueue` is where unanswered lifecycle events go back; `observations` holds the last reconcile's
   * snapshot for the gauges.
   */
  readonly subscriptionServices: Omit<LifecycleDependencies, 'log'> & {
    readonly observations: SubscriptionSnapshot;
    readonly eventGridRoute?: EventGridRouteDependencies;
  };
  /** `<queue>-poison` of each queue trigger: where an unreadable message goes at once (functions/shared/queueDelivery.ts). */
  readonly poisonQueues: Readonly<Record<'notifications' | 'lifecycle', MessageSender>>;
}

/** The subscriptions gauges read the last reconcile's snapshot instead of querying the table at every export. */
export class SubscriptionSnapshot {
  #current: readonly SubscriptionObservation[] = [];

  update(observations: readonly SubscriptionObservation[]): void {
    this.#current = observations;
  }

  current(): readonly SubscriptionObservation[] {
    return this.#current;
  }
}

export interface ServiceOverrides {
  readonly clock?: Clock;
  /** The HTTP client for Graph, the token endpoint and the JWKS; tests count requests through it. */
  readonly fetch?: typeof globalThis.fetch;
  readonly tokens?: AccessTokenProvider;
}

/** Telemetry for ingest: every figure goes through src/lib/telemetry, whose attribute values are closed sets. */
const ingestTelemetry: IngestObserver = {
  received: (endpoint, count) => {
    recordNotificationsReceived(count, { endpoint });
  },
  rejected: (endpoint, reason, count) => {
    recordNotificationRejected(reason, { endpoint, count });
  },
  enqueued: (endpoint, result) => {
    if (result.outcome === 'enqueued') recordNotificationsAccepted(result.items, { endpoint });
    recordEnqueueLatency(result.latencyMs, { outcome: result.outcome });
  },
};

function isGraphOperation(value: string | undefined): value is GraphOperation {
  return (GRAPH_OPERATIONS as readonly (string | undefined)[]).includes(value);
}

/** The Graph client of this process, counting every request (each one inside a `$batch` too) in telemetry. */
function createGraphClient(config: AppConfig, clock: Clock, overrides: ServiceOverrides): GraphClient {
  return new GraphClient({
    baseUrl: config.graph.baseUrl,
    tokens: overrides.tokens ?? new MsalAccessTokenProvider(config.graph),
    timeoutMs: config.graph.requestTimeoutMs,
    clock,
    ...(overrides.fetch === undefined ? {} : { fetch: overrides.fetch }),
    onRequest: (record) => {
      recordGraphRequest({
        throttled: record.throttled,
        durationMs: record.durationMs,
        ...(record.status === undefined ? {} : { status: record.status }),
        ...(isGraphOperation(record.operation) ? { operation: record.operation } : {}),
      });
      // Each read inside a $batch is throttled (or fails) on its own (docs/graph-protocol.md §7): count them one by one.
      for (const item of record.items ?? []) {
        recordGraphRequest({
          operation: 'getResource',
          throttled: item.throttled,
          ...(item.status === undefined ? {} : { status: item.status }),
        });
      }
    },
  });
}

/**
 * The reconcile timer's Event Grid step (src/lib/maintenance/eventGridRoute.ts), when the route and its activation
 * settings are set: Azure Resource Manager with the app's identity, which the Event Grid Bicep module makes an
 * EventGrid Contributor of the resource group.
 */
function eventGridRouteOf(
  config: AppConfig,
  overrides: ServiceOverrides,
): { eventGridRoute?: EventGridRouteDependencies } {
  const grid = config.delivery.eventGrid;
  const activation = config.delivery.eventGridActivation;
  if (grid === undefined || activation === undefined) return {};
  const connection = config.storage.connection;
  let credential: TokenCredential | undefined;
  return {
    eventGridRoute: {
      request: {
        azureSubscriptionId: grid.azureSubscriptionId,
        resourceGroup: grid.resourceGroup,
        partnerTopic: grid.partnerTopic,
        ...activation,
      },
      arm: {
        fetch: overrides.fetch ?? globalThis.fetch,
        baseUrl: ARM_BASE_URL,
        token: async () => {
          credential ??= appCredential(connection.kind === 'identity' ? connection.managedIdentityClientId : undefined);
          const token = await credential.getToken(`${ARM_BASE_URL}/.default`);
          if (token === null) throw new TypeError('the app identity got no token for Azure Resource Manager');
          return token.token;
        },
      },
    },
  };
}

/** Coalescing across deliveries, unless COALESCE_DELAY_SECONDS is 0 (docs/processing.md). */
function coalescingOf(
  config: AppConfig,
  storage: StorageClients,
): { readonly coalescing?: NonNullable<ProcessingDependencies['coalescing']> } {
  if (config.processing.coalesceDelaySeconds <= 0) return {};
  return {
    coalescing: {
      receipts: createTableReceiptLog(storage.tableClient(config.processing.receiptsTable)),
      delaySeconds: config.processing.coalesceDelaySeconds,
      maxWaitMs: config.processing.coalesceMaxWaitMs,
      settleMs: SETTLE_MS,
      sleep: (ms: number) => delay(ms),
      claims: new QuietClaims(),
    },
  };
}

export function buildServices(config: AppConfig, overrides: ServiceOverrides = {}): AppServices {
  const clock = overrides.clock ?? systemClock;
  const storage = createStorageClients(config.storage.connection);
  const queue = (name: string) =>
    createStorageQueueSender(storage.queueService.getQueueClient(name), storage.queueAuthorization);
  const subscriptions = createTableSubscriptionRepository(storage.tableClient(config.storage.subscriptionsTable));
  const payloads = createBlobPayloadStore(storage.blobService.getContainerClient(config.storage.payloadContainer));
  const notificationsQueue = queue(config.storage.notificationsQueue);
  const graph = createGraphClient(config, clock, overrides);
  const changeEvents =
    config.processing.changeEventsQueue === undefined ? undefined : queue(config.processing.changeEventsQueue);
  const lifecycleQueue = queue(config.storage.lifecycleQueue);
  const sink = createBlobChangeSink(
    storage.blobService.getContainerClient(config.processing.resourcesContainer),
    changeEvents,
  );
  const leases = createTableLeaseStore(storage.tableClient(config.processing.deltaStateTable));
  const desiredPath = config.subscriptions.desiredSubscriptionsPath;
  return {
    config,
    clock,
    subscriptions,
    graph,
    ingest: {
      lookupSubscription: createCachedSubscriptionLookup(subscriptions, clock, config.ingest.subscriptionCacheTtlMs),
      notificationsQueue,
      lifecycleQueue,
      payloads,
      clock,
      maxBodyBytes: config.ingest.maxBodyBytes,
      observer: ingestTelemetry,
      claimedPayloads:
        config.delivery.eventHubsPayloadContainer === undefined
          ? undefined
          : createBlobPayloadStore(storage.blobService.getContainerClient(config.delivery.eventHubsPayloadContainer)),
    },
    parkedEvents: createBlobParkedEventStore(
      storage.blobService.getContainerClient(config.storage.payloadContainer),
      'parked/eventhubs/',
      'deadletter/eventhubs/',
    ),
    processing: {
      graph,
      sink,
      leases,
      failures: createTableFailureLog(storage.tableClient(config.processing.failuresTable)),
      notificationsQueue,
      rich: createRichContentOpener(config.graph, clock, overrides.fetch),
      select: config.processing.select,
      clock,
      payloads,
      readsInFlight: new ReadsInFlight(),
      ...coalescingOf(config, storage),
    },
    subscriptionServices: {
      repository: subscriptions,
      graph,
      leases,
      sink,
      clock,
      settings: subscriptionSettingsFrom(config),
      lifecycleQueue,
      observations: new SubscriptionSnapshot(),
      // Read on every run, so an edited file applies without a restart; relative paths from the app root.
      ...(desiredPath === undefined ? {} : { readDesiredState: () => readFile(resolve(desiredPath), 'utf8') }),
      ...eventGridRouteOf(config, overrides),
    },
    poisonQueues: {
      notifications: queue(`${config.storage.notificationsQueue}-poison`),
      lifecycle: queue(`${config.storage.lifecycleQueue}-poison`),
    },
  };
}

/** Which part of the app each service belongs to: asking for it throws while that part's settings are broken. */
const PART_OF_SERVICE: Readonly<Record<Exclude<keyof AppServices, 'config' | 'clock'>, AppPart>> = {
  subscriptions: 'ingest',
  ingest: 'ingest',
  parkedEvents: 'ingest',
  graph: 'processing',
  processing: 'processing',
  subscriptionServices: 'subscriptions',
  poisonQueues: 'processing',
};

export interface ComposedApp {
  readonly services: AppServices;
  readonly health: ConfigurationHealth;
}

/**
 * The app's services for a configuration that may be partly invalid: each part whose settings have a
 * problem throws that problem when asked for (`ConfigurationInvalid` naming its settings); the rest works.
 */
export function composeApp(reading: ConfigurationReading, overrides: ServiceOverrides = {}): ComposedApp {
  const health = assessConfiguration(reading.problems);
  const unavailable = Object.fromEntries(
    APP_PARTS.map((part) => [part, partUnavailable(part, reading.problems)]),
  ) as Record<AppPart, Error | undefined>;
  // Storage is read by every part that builds anything: without it there is nothing to build. Built on first
  // use, not here: the Azure SDKs load then, so the validation handshake (which needs no service) never waits for them.
  const buildable = health.available.ingest || health.available.processing || health.available.subscriptions;
  let built: AppServices | undefined;
  const services = { config: reading.config, clock: overrides.clock ?? systemClock } as AppServices;
  for (const [name, part] of Object.entries(PART_OF_SERVICE)) {
    Object.defineProperty(services, name, {
      enumerable: true,
      get: () => {
        const error = unavailable[part];
        if (error !== undefined) throw error;
        if (!buildable) throw new TypeError(`${name} cannot be built without storage settings`);
        built ??= buildServices(reading.config, overrides);
        return built[name as keyof typeof PART_OF_SERVICE];
      },
    });
  }
  return { services: Object.freeze(services), health };
}

let composed: { value: ComposedApp } | { error: unknown } | undefined;

function composedApp(): { value: ComposedApp } | { error: unknown } {
  composed ??= (() => {
    try {
      const reading = readConfiguration(process.env);
      const value = composeApp(reading);
      if (value.health.available.telemetry) startAzureMonitor(reading.config.telemetry);
      if (value.health.available.subscriptions)
        observeSubscriptions(() => value.services.subscriptionServices.observations.current());
      return { value };
    } catch (error) {
      return { error };
    }
  })();
  return composed;
}

/** The app's services, built once per process from the environment. A part whose settings are broken throws its configuration error when asked for. */
export function appServices(): AppServices {
  const state = composedApp();
  if ('error' in state) throw state.error;
  return state.value.services;
}

/**
 * Loads and connects what the first notification needs: the storage SDKs (loaded on first use, see
 * storageClients.ts), the ingest code and the notifications queue's send path (`rehearseIngest`: a made-up
 * notification through stand-ins, then a rehearsal message sent invisible and deleted), and the subscription
 * lookup's cache. Graph sends notifications right after a subscription's validation handshake, so the webhook
 * runs this once after the first handshake, in the background: the first notification after a cold start
 * then costs what the next ones do. Failures are left to the requests that follow, which report them.
 */
export async function warmIngest(): Promise<void> {
  const state = composedApp();
  if ('error' in state) return;
  const { ingest, subscriptions } = state.value.services;
  // The subscriptions are looked up as the lookup does for a burst (one listing), which fills its cache.
  const lookupAll = async (): Promise<void> => {
    await ingest.lookupSubscription.lookupMany((await subscriptions.list()).map((record) => record.subscriptionId));
  };
  await Promise.allSettled([rehearseIngest(ingest), lookupAll()]);
}

/** What works and what does not, by configuration; never throws. */
export function appHealth(): ConfigurationHealth & { readonly startupError?: string } {
  const state = composedApp();
  if ('value' in state) return state.value.health;
  const available = Object.fromEntries(APP_PARTS.map((part) => [part, false])) as Record<AppPart, boolean>;
  return { status: 'unhealthy', available, problems: [], startupError: describeError(state.error) };
}

/** One log line per problem, naming the setting and what it takes down (never a value). */
export function describeHealth(health: ReturnType<typeof appHealth>): string[] {
  if (health.startupError !== undefined) return [`graph-notify cannot start: ${health.startupError}`];
  return health.problems.map(
    (problem) =>
      `graph-notify runs ${health.status}: ${problem.setting} ${problem.problem}; unavailable: ${problem.affects.join(', ')}`,
  );
}

// Validate configuration as the worker starts, so a bad setting shows in the logs before any request.
// The start hook has no invocation logger; console output reaches the host log (Host.Function.Console).
app.hook.appStart(() => {
  for (const line of describeMisspeltSettings(process.env)) console.warn(line);
  for (const line of describeHealth(appHealth())) console.error(line);
});
