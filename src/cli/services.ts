/**
 * The CLI's composition root: the same adapters the app wires in src/index.ts (table repository, Graph
 * client with MSAL, delta state table, blob sink, storage queues), built from the same settings, without
 * the Functions runtime. Tests pass their own `CliServices` instead.
 */
import { readFile } from 'node:fs/promises';
import { DefaultAzureCredential } from '@azure/identity';
import { resolve } from 'node:path';
import { createBlobChangeSink } from '../adapters/azure/blobChangeSink';
import { MsalAccessTokenProvider } from '../adapters/azure/msalAccessTokenProvider';
import { createStorageClients, type StorageClients } from '../adapters/azure/storageClients';
import { createStoragePoisonQueue } from '../adapters/azure/storagePoisonQueue';
import { createStorageQueueSender } from '../adapters/azure/storageQueueSender';
import { createTableLeaseStore } from '../adapters/azure/tableLeaseStore';
import { createTableSubscriptionRepository } from '../adapters/azure/tableSubscriptionRepository';
import type { AppConfig } from '../lib/config';
import { ARM_BASE_URL, type ArmDependencies } from '../lib/delivery/activateEventGrid';
import type { EnvelopeKind as QueueRole } from '../lib/notifications';
import { GraphClient } from '../lib/graph';
import type { PoisonQueue } from '../lib/poison';
import { systemClock } from '../lib/shared/clock';
import type { MessageSender } from '../lib/storage';
import { subscriptionSettingsFrom, type SubscriptionDependencies } from '../lib/subscriptions';

/** The app's two queues, named by the kind of envelope each carries. */
export type { QueueRole };

export interface CliServices {
  readonly subscriptions: Omit<SubscriptionDependencies, 'log'>;
  /** `<queue>-poison` of the role's queue. */
  poisonQueue(role: QueueRole): PoisonQueue;
  /** The role's main queue, for replays. */
  mainQueue(role: QueueRole): MessageSender;
  queueName(role: QueueRole): string;
  /** Azure Resource Manager with the developer's or the pipeline's Azure sign-in (DefaultAzureCredential). */
  readonly arm: ArmDependencies;
}

export function buildCliServices(config: AppConfig): CliServices {
  const storage = createStorageClients(config.storage.connection);
  const queueName = (role: QueueRole): string =>
    role === 'notifications' ? config.storage.notificationsQueue : config.storage.lifecycleQueue;
  let subscriptions: CliServices['subscriptions'] | undefined;
  return {
    // Built on first use: the poison commands run with storage settings alone (run.ts SETTINGS_USED).
    get subscriptions() {
      subscriptions ??= subscriptionServices(config, storage);
      return subscriptions;
    },
    poisonQueue: (role) => createStoragePoisonQueue(storage.queueService.getQueueClient(`${queueName(role)}-poison`)),
    mainQueue: (role) =>
      createStorageQueueSender(storage.queueService.getQueueClient(queueName(role)), storage.queueAuthorization),
    queueName,
    arm: {
      fetch: globalThis.fetch,
      baseUrl: ARM_BASE_URL,
      token: async () => {
        const token = await new DefaultAzureCredential().getToken(`${ARM_BASE_URL}/.default`);
        return token.token;
      },
    },
  };
}

function subscriptionServices(config: AppConfig, storage: StorageClients): CliServices['subscriptions'] {
  const clock = systemClock;
  const graph = new GraphClient({
    baseUrl: config.graph.baseUrl,
    tokens: new MsalAccessTokenProvider(config.graph),
    timeoutMs: config.graph.requestTimeoutMs,
    clock,
  });
  const desiredPath = config.subscriptions.desiredSubscriptionsPath;
  return {
    repository: createTableSubscriptionRepository(storage.tableClient(config.storage.subscriptionsTable)),
    graph,
    leases: createTableLeaseStore(storage.tableClient(config.processing.deltaStateTable)),
    // Resync writes reach the same sinks as the app's, change-event queue included.
    sink: createBlobChangeSink(
      storage.blobService.getContainerClient(config.processing.resourcesContainer),
      config.processing.changeEventsQueue === undefined
        ? undefined
        : createStorageQueueSender(
            storage.queueService.getQueueClient(config.processing.changeEventsQueue),
            storage.queueAuthorization,
          ),
    ),
    clock,
    settings: subscriptionSettingsFrom(config),
    ...(desiredPath === undefined ? {} : { readDesiredState: () => readFile(resolve(desiredPath), 'utf8') }),
  };
}
