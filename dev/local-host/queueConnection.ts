/**
 * Turns a binding's `connection` (a setting name, never a value) into a queue service client, with
 * the host's lookup rules: an empty name means `AzureWebJobsStorage`; the setting `<name>` (or
 * `AzureWebJobs<name>`) holds a connection string, `UseDevelopmentStorage=true` meaning Azurite on
 * its default port; otherwise `<name>__queueServiceUri` (or `<name>__accountName`) selects an
 * identity-based connection through `DefaultAzureCredential`, honouring `<name>__clientId`.
 *
 * Retries are kept short: a poller blocked for minutes inside the SDK's default retry policy would
 * hide an Azurite restart instead of riding it out.
 */
import { QueueServiceClient, type StoragePipelineOptions } from '@azure/storage-queue';
import { LocalHostError } from './errors';
import { lookupSetting, type Settings } from './settings';

export const DEFAULT_CONNECTION_SETTING = 'AzureWebJobsStorage';
const DEVELOPMENT_STORAGE = 'usedevelopmentstorage=true';
/** Azurite's well-known account on its default queue port (public and documented, not a secret). */
const AZURITE_DEFAULT_CONNECTION_STRING =
  'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;' +
  'AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;' +
  'QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;';

const PIPELINE_OPTIONS: StoragePipelineOptions = {
  retryOptions: { maxTries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 2_000, tryTimeoutInMs: 30_000 },
};

export type QueueServiceResolver = (connection: string | undefined) => Promise<QueueServiceClient>;

export function createQueueServiceResolver(settings: Settings): QueueServiceResolver {
  const clients = new Map<string, Promise<QueueServiceClient>>();

  async function create(name: string): Promise<QueueServiceClient> {
    const connectionString = lookupSetting(settings, name) ?? lookupSetting(settings, `AzureWebJobs${name}`);
    if (connectionString !== undefined && connectionString.trim() !== '') {
      const effective =
        connectionString.replace(/\s|;$/g, '').toLowerCase() === DEVELOPMENT_STORAGE
          ? AZURITE_DEFAULT_CONNECTION_STRING
          : connectionString;
      try {
        return QueueServiceClient.fromConnectionString(effective, PIPELINE_OPTIONS);
      } catch (error) {
        // The SDK's message can echo the connection string: report the setting name only.
        throw new LocalHostError(
          'ERR_LOCAL_HOST_SETTING_INVALID',
          `Setting ${name} is not a valid storage connection string`,
          {
            cause: error,
          },
        );
      }
    }
    // Blank values count as unset: local.settings.json templates list these keys empty.
    const setting = (key: string): string | undefined => {
      const value = lookupSetting(settings, key)?.trim();
      return value === '' ? undefined : value;
    };
    const accountName = setting(`${name}__accountName`);
    const serviceUri =
      setting(`${name}__queueServiceUri`) ??
      (accountName === undefined ? undefined : `https://${accountName}.queue.core.windows.net`);
    if (serviceUri !== undefined) {
      const { DefaultAzureCredential } = await import('@azure/identity');
      const clientId = setting(`${name}__clientId`);
      const credential = new DefaultAzureCredential(
        clientId === undefined ? {} : { managedIdentityClientId: clientId },
      );
      return new QueueServiceClient(serviceUri, credential, PIPELINE_OPTIONS);
    }
    throw new LocalHostError(
      'ERR_LOCAL_HOST_SETTING_INVALID',
      `Storage connection "${name}" is not configured: set ${name} to a connection string, or ${name}__queueServiceUri for an identity-based connection`,
    );
  }

  return async (connection) => {
    const name = connection === undefined || connection.trim() === '' ? DEFAULT_CONNECTION_SETTING : connection;
    const key = name.toLowerCase();
    let client = clients.get(key);
    if (client === undefined) {
      client = create(name);
      clients.set(key, client);
    }
    return client;
  };
}
