/**
 * Composition root of the Functions app: the one place that reads configuration and wires the Azure
 * adapters to the domain. Function files ask `appServices()` for what they need.
 *
 * Configuration is read and validated once, on first use, and the result (or the error naming every
 * bad setting) is kept for the life of the process. To run the domain on other adapters (in-memory,
 * or a different storage), build an `AppServices` with `buildServices`-like wiring in your own root;
 * the local host and tests use `buildServices(loadConfig(settings))` with their own settings.
 */
import { app } from '@azure/functions';
import { createBlobPayloadStore } from './adapters/azure/blobPayloadStore';
import { createStorageClients } from './adapters/azure/storageClients';
import { createStorageQueueSender } from './adapters/azure/storageQueueSender';
import { createTableSubscriptionRepository } from './adapters/azure/tableSubscriptionRepository';
import { loadConfig, type AppConfig } from './lib/config';
import type { IngestDependencies } from './lib/ingest';
import { systemClock, type Clock } from './lib/shared/clock';
import { describeError } from './lib/shared/redact';
import { createCachedSubscriptionLookup, type SubscriptionRepository } from './lib/subscriptions';

export interface AppServices {
  readonly config: AppConfig;
  readonly clock: Clock;
  readonly subscriptions: SubscriptionRepository;
  readonly ingest: Omit<IngestDependencies, 'log'>;
}

export function buildServices(config: AppConfig, clock: Clock = systemClock): AppServices {
  const storage = createStorageClients(config.storage.connection);
  const subscriptions = createTableSubscriptionRepository(storage.tableClient(config.storage.subscriptionsTable));
  const payloads = createBlobPayloadStore(storage.blobService.getContainerClient(config.storage.payloadContainer));
  return {
    config,
    clock,
    subscriptions,
    ingest: {
      lookupSubscription: createCachedSubscriptionLookup(subscriptions, clock, config.ingest.subscriptionCacheTtlMs),
      notificationsQueue: createStorageQueueSender(storage.queueService.getQueueClient(config.storage.notificationsQueue)),
      lifecycleQueue: createStorageQueueSender(storage.queueService.getQueueClient(config.storage.lifecycleQueue)),
      payloads,
      clock,
      maxBodyBytes: config.ingest.maxBodyBytes,
    },
  };
}

let services: { value: AppServices } | { error: unknown } | undefined;

/** The app's services, built once per process from the environment. Throws the configuration error on every call if it is invalid. */
export function appServices(): AppServices {
  services ??= (() => {
    try {
      return { value: buildServices(loadConfig(process.env)) };
    } catch (error) {
      return { error };
    }
  })();
  if ('error' in services) throw services.error;
  return services.value;
}

// Validate configuration as the worker starts, so a bad setting shows in the logs before any request.
// The start hook has no invocation logger; console output reaches the host log (Host.Function.Console).
app.hook.appStart(() => {
  try {
    appServices();
  } catch (error) {
    console.error(`graph-notify cannot start: ${describeError(error)}`);
  }
});
