/**
 * Composition root of the Functions app: the one place that reads configuration and wires the Azure
 * adapters to the domain. Function files ask `appServices()` for what they need.
 *
 * Configuration is read and validated once, on first use, and the result (or the error naming every
 * bad setting) is kept for the life of the process. Tests and the local host build their own services
 * with `buildServices(loadConfig(settings))`; to run the domain on other adapters (the in-memory ones in
 * src/adapters/memory, say), build an `AppServices` the same way with those adapters.
 */
import { app } from '@azure/functions';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createBlobChangeSink } from './adapters/azure/blobChangeSink';
import { createBlobPayloadStore } from './adapters/azure/blobPayloadStore';
import { MsalAccessTokenProvider } from './adapters/azure/msalAccessTokenProvider';
import { createStorageClients } from './adapters/azure/storageClients';
import { createStorageQueueSender } from './adapters/azure/storageQueueSender';
import { createTableDeltaStateStore } from './adapters/azure/tableDeltaStateStore';
import { createTableFailureLog } from './adapters/azure/tableFailureLog';
import { createTableSubscriptionRepository } from './adapters/azure/tableSubscriptionRepository';
import { startAzureMonitor } from './adapters/azure/telemetry';
import { loadConfig, type AppConfig } from './lib/config';
import { GraphClient, type AccessTokenProvider } from './lib/graph';
import type { IngestDependencies, IngestObserver } from './lib/ingest';
import { createRichContentOpener, type ProcessingDependencies } from './lib/processing';
import { systemClock, type Clock } from './lib/shared/clock';
import { describeError } from './lib/shared/redact';
import type { PayloadStore } from './lib/storage';
import type { LifecycleDependencies } from './lib/lifecycle';
import { createCachedSubscriptionLookup, subscriptionSettingsFrom, type SubscriptionRepository } from './lib/subscriptions';
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
  readonly ingest: Omit<IngestDependencies, 'log'>;
  readonly processing: Omit<ProcessingDependencies, 'log'> & { readonly payloads: PayloadStore };
  /**
   * The subscription use cases (management API, reconciler timer) and the lifecycle handler share these:
   * `requeue` is the lifecycle queue; `observations` holds the last reconcile's snapshot for the gauges.
   */
  readonly subscriptionServices: Omit<LifecycleDependencies, 'log'> & { readonly observations: SubscriptionSnapshot };
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
  rejected: (endpoint, reason) => {
    recordNotificationRejected(reason, { endpoint });
  },
  enqueued: (endpoint, result) => {
    if (result.outcome === 'enqueued') recordNotificationsAccepted(result.items, { endpoint });
    recordEnqueueLatency(result.latencyMs, { outcome: result.outcome });
  },
};

function isGraphOperation(value: string | undefined): value is GraphOperation {
  return (GRAPH_OPERATIONS as readonly (string | undefined)[]).includes(value);
}

export function buildServices(config: AppConfig, overrides: ServiceOverrides = {}): AppServices {
  const clock = overrides.clock ?? systemClock;
  const storage = createStorageClients(config.storage.connection);
  const queue = (name: string) => createStorageQueueSender(storage.queueService.getQueueClient(name));
  const subscriptions = createTableSubscriptionRepository(storage.tableClient(config.storage.subscriptionsTable));
  const payloads = createBlobPayloadStore(storage.blobService.getContainerClient(config.storage.payloadContainer));
  const notificationsQueue = queue(config.storage.notificationsQueue);
  const graph = new GraphClient({
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
      // Each read inside a $batch is throttled (or fails) on its own (reference §7): count them one by one.
      for (const item of record.items ?? []) {
        recordGraphRequest({ operation: 'getResource', throttled: item.throttled, ...(item.status === undefined ? {} : { status: item.status }) });
      }
    },
  });
  const changeEvents = config.processing.changeEventsQueue === undefined ? undefined : queue(config.processing.changeEventsQueue);
  const lifecycleQueue = queue(config.storage.lifecycleQueue);
  const sink = createBlobChangeSink(storage.blobService.getContainerClient(config.processing.resourcesContainer), changeEvents);
  const deltaStates = createTableDeltaStateStore(storage.tableClient(config.processing.deltaStateTable));
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
    },
    processing: {
      graph,
      sink,
      deltaStates,
      failures: createTableFailureLog(storage.tableClient(config.processing.failuresTable)),
      requeue: notificationsQueue,
      rich: createRichContentOpener(config.graph, clock, overrides.fetch),
      select: config.processing.select,
      clock,
      payloads,
    },
    subscriptionServices: {
      repository: subscriptions,
      graph,
      deltaStates,
      sink,
      clock,
      settings: subscriptionSettingsFrom(config),
      requeue: lifecycleQueue,
      observations: new SubscriptionSnapshot(),
      // Read on every run, so an edited file applies without a restart; relative paths from the app root.
      ...(desiredPath === undefined ? {} : { readDesiredState: () => readFile(resolve(desiredPath), 'utf8') }),
    },
  };
}

type Outcome<T> = { value: T } | { error: unknown };

function remembered<T>(outcome: Outcome<T>): T {
  if ('error' in outcome) throw outcome.error;
  return outcome.value;
}

let configuration: Outcome<AppConfig> | undefined;
let services: Outcome<AppServices> | undefined;

/**
 * The app's configuration, read and validated once per process from the environment; telemetry starts
 * (in the background) with it. Throws the configuration error on every call if it is invalid.
 */
function appConfig(): AppConfig {
  configuration ??= (() => {
    try {
      const config = loadConfig(process.env);
      startAzureMonitor(config.telemetry);
      return { value: config };
    } catch (error) {
      return { error };
    }
  })();
  return remembered(configuration);
}

/**
 * The app's services, built on first use from the configuration. The Azure SDKs load then, not with the
 * app's modules, so the validation handshake (which needs no service) answers without waiting for them.
 */
export function appServices(): AppServices {
  services ??= (() => {
    try {
      const built = buildServices(appConfig());
      observeSubscriptions(() => built.subscriptionServices.observations.current());
      return { value: built };
    } catch (error) {
      return { error };
    }
  })();
  return remembered(services);
}

// Validate configuration as the worker starts, so a bad setting shows in the logs before any request.
// The start hook has no invocation logger; console output reaches the host log (Host.Function.Console).
app.hook.appStart(() => {
  try {
    appConfig();
  } catch (error) {
    console.error(`graph-notify cannot start: ${describeError(error)}`);
  }
});
