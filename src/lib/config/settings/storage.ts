/**
 * Storage: the account behind every queue, table and container the app uses, and their names.
 * Locally `AzureWebJobsStorage` is a connection string (Azurite); in Azure it is identity-based
 * (`AzureWebJobsStorage__*Uri` + `__credential=managedidentity` + `__clientId`), as the Functions host
 * itself expects, so the app and the host read the same settings.
 */
import type { EnvReader } from '../envReader';
import { defineSetting } from '../setting';

export const storageSettings = {
  connectionString: defineSetting({
    name: 'AzureWebJobsStorage',
    description:
      'Storage connection string (local development and Azurite). In Azure leave it unset and use the identity-based AzureWebJobsStorage__* settings.',
    secret: true,
    whenWrong: 'Nothing starts: the host cannot take its locks, ingest answers 503 and no message is processed.',
  }),
  blobServiceUri: defineSetting({
    name: 'AzureWebJobsStorage__blobServiceUri',
    description: 'Identity-based storage: the blob endpoint, e.g. https://<account>.blob.core.windows.net.',
    whenWrong: 'Claim-check payloads and the resource sink cannot be written; processing retries then poisons.',
  }),
  queueServiceUri: defineSetting({
    name: 'AzureWebJobsStorage__queueServiceUri',
    description: 'Identity-based storage: the queue endpoint, e.g. https://<account>.queue.core.windows.net.',
    whenWrong: 'Ingest answers 503 to every notification (Graph retries for 4 hours) and queue triggers do not fire.',
  }),
  tableServiceUri: defineSetting({
    name: 'AzureWebJobsStorage__tableServiceUri',
    description: 'Identity-based storage: the table endpoint, e.g. https://<account>.table.core.windows.net.',
    whenWrong: 'Subscriptions cannot be looked up: every notification is answered 503 until it is fixed.',
  }),
  credential: defineSetting({
    name: 'AzureWebJobsStorage__credential',
    description: 'Identity-based storage: `managedidentity` in Azure. Unset locally to use your developer sign-in.',
    whenWrong: 'Storage calls fail with 401/403.',
  }),
  clientId: defineSetting({
    name: 'AzureWebJobsStorage__clientId',
    description: 'Identity-based storage: client id of the user-assigned managed identity.',
    whenWrong: 'Storage calls fail with 401/403 (wrong identity).',
  }),
  notificationsQueue: defineSetting({
    name: 'NOTIFICATIONS_QUEUE_NAME',
    description:
      'Queue that ingest writes accepted change notifications to and processing reads from. Its poison queue is `<name>-poison`.',
    default: 'graph-notifications',
    whenWrong: 'Ingest and processing disagree on the queue: notifications pile up unprocessed.',
  }),
  lifecycleQueue: defineSetting({
    name: 'LIFECYCLE_QUEUE_NAME',
    description: 'Queue for lifecycle notifications (reauthorizationRequired, subscriptionRemoved, missed).',
    default: 'graph-lifecycle',
    whenWrong: 'Lifecycle events are not handled: subscriptions get removed or paused and are not recovered.',
  }),
  payloadContainer: defineSetting({
    name: 'PAYLOAD_CONTAINER_NAME',
    description:
      'Blob container for claim-check payloads: a notification too large for one 64 KiB queue message is stored here and the message carries a reference.',
    default: 'graph-payloads',
    whenWrong: 'Oversized notifications cannot be stored: ingest answers 503 for them.',
  }),
  subscriptionsTable: defineSetting({
    name: 'SUBSCRIPTIONS_TABLE_NAME',
    description: 'Table holding the subscriptions this app owns (clientState, status, expiry, last renewal and error).',
    default: 'GraphSubscriptions',
    whenWrong: 'Every notification is rejected as unknown-subscription.',
  }),
} as const;

export type StorageConnection =
  | { readonly kind: 'connectionString'; readonly connectionString: string }
  | {
      readonly kind: 'identity';
      readonly blobServiceUri: string;
      readonly queueServiceUri: string;
      readonly tableServiceUri: string;
      /** Client id of a user-assigned managed identity; undefined = developer credential chain. */
      readonly managedIdentityClientId: string | undefined;
    };

export interface StorageConfig {
  readonly connection: StorageConnection;
  readonly notificationsQueue: string;
  readonly lifecycleQueue: string;
  readonly payloadContainer: string;
  readonly subscriptionsTable: string;
}

export function readStorageConfig(env: EnvReader): StorageConfig {
  const s = storageSettings;
  return {
    connection: readConnection(env),
    notificationsQueue: env.queueOrContainerName(s.notificationsQueue),
    lifecycleQueue: env.queueOrContainerName(s.lifecycleQueue),
    payloadContainer: env.queueOrContainerName(s.payloadContainer),
    subscriptionsTable: env.tableName(s.subscriptionsTable),
  };
}

function readConnection(env: EnvReader): StorageConnection {
  const s = storageSettings;
  if (env.has(s.connectionString)) {
    return { kind: 'connectionString', connectionString: env.string(s.connectionString) };
  }
  const identitySettings = [s.blobServiceUri, s.queueServiceUri, s.tableServiceUri];
  if (!identitySettings.some((setting) => env.has(setting))) {
    env.problem(
      s.connectionString,
      `is required: set it to a storage connection string (UseDevelopmentStorage=true for Azurite), or set ${identitySettings.map((x) => x.name).join(', ')} for identity-based access`,
    );
    return { kind: 'connectionString', connectionString: '' };
  }
  const credential = env.optionalString(s.credential);
  if (credential !== undefined && credential.toLowerCase() !== 'managedidentity') {
    env.problem(s.credential, `must be "managedidentity" or unset, got "${credential}"`);
  }
  return {
    kind: 'identity',
    blobServiceUri: env.url(s.blobServiceUri, ['https:', 'http:']),
    queueServiceUri: env.url(s.queueServiceUri, ['https:', 'http:']),
    tableServiceUri: env.url(s.tableServiceUri, ['https:', 'http:']),
    managedIdentityClientId: env.optionalString(s.clientId),
  };
}
