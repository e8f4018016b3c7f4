/**
 * Builds the Azure Storage SDK clients from the validated storage configuration: a connection string
 * locally (Azurite), or service URIs with a managed identity in Azure (shared-key access is disabled on
 * the deployed account, see infra/). One place decides how the app authenticates to storage.
 */
import type * as DataTables from '@azure/data-tables';
import type { TableClient } from '@azure/data-tables';
import type * as Identity from '@azure/identity';
import type { TokenCredential } from '@azure/identity';
import type * as StorageBlob from '@azure/storage-blob';
import type { BlobServiceClient } from '@azure/storage-blob';
import type * as StorageQueue from '@azure/storage-queue';
import type { QueueServiceClient } from '@azure/storage-queue';
import type { StorageConnection } from '../../lib/config';
import type { QueueAuthorization } from './queuePutMessage';

/*
 * The storage SDKs take about half a second to load. They load when the clients are first built (the
 * app's services are built on first use), not with the app's modules: the validation handshake, a
 * cold start's first request, needs none of them. A synchronous `require` keeps the composition root
 * synchronous; the bundle (scripts/build.mjs) leaves these packages out, in node_modules.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- loaded on first use, see above. */
const tablesSdk = (): typeof DataTables => require('@azure/data-tables') as typeof DataTables;
const identitySdk = (): typeof Identity => require('@azure/identity') as typeof Identity;
const blobSdk = (): typeof StorageBlob => require('@azure/storage-blob') as typeof StorageBlob;
const queueSdk = (): typeof StorageQueue => require('@azure/storage-queue') as typeof StorageQueue;
/* eslint-enable @typescript-eslint/no-require-imports */

export interface StorageClients {
  queueService: QueueServiceClient;
  /** How `queuePutMessage` authorises its requests: as `queueService` does. */
  queueAuthorization: QueueAuthorization;
  blobService: BlobServiceClient;
  tableClient(tableName: string): TableClient;
}

/**
 * Fail fast. Ingest has Graph's 3-second budget (docs/graph-protocol.md §3.6): an outage must become a quick 503 that
 * Graph retries, not a hung request that counts as slow. Queue triggers get their retries from the host.
 */
const QUEUE_AND_BLOB_RETRY = { maxTries: 2, tryTimeoutInMs: 2_000, retryDelayInMs: 200, maxRetryDelayInMs: 1_000 };
const TABLE_RETRY = { maxRetries: 1, retryDelayInMs: 200, maxRetryDelayInMs: 1_000 };

export function createStorageClients(connection: StorageConnection): StorageClients {
  const { TableClient } = tablesSdk();
  const { BlobServiceClient } = blobSdk();
  const { QueueServiceClient } = queueSdk();
  if (connection.kind === 'connectionString') {
    const { connectionString } = connection;
    // Azurite serves plain http; the Tables SDK refuses http unless told it is intended.
    const allowInsecureConnection = /DefaultEndpointsProtocol=http;|UseDevelopmentStorage=true/i.test(connectionString);
    const queueService = QueueServiceClient.fromConnectionString(connectionString, {
      retryOptions: QUEUE_AND_BLOB_RETRY,
    });
    return {
      queueService,
      queueAuthorization: connectionStringAuthorization(connectionString, queueService.accountName),
      blobService: BlobServiceClient.fromConnectionString(connectionString, { retryOptions: QUEUE_AND_BLOB_RETRY }),
      tableClient: (tableName) =>
        TableClient.fromConnectionString(connectionString, tableName, {
          allowInsecureConnection,
          retryOptions: TABLE_RETRY,
        }),
    };
  }
  const credential = appCredential(connection.managedIdentityClientId);
  return {
    queueAuthorization: { kind: 'token', credential },
    queueService: new QueueServiceClient(connection.queueServiceUri, credential, {
      retryOptions: QUEUE_AND_BLOB_RETRY,
    }),
    blobService: new BlobServiceClient(connection.blobServiceUri, credential, { retryOptions: QUEUE_AND_BLOB_RETRY }),
    tableClient: (tableName) =>
      new TableClient(connection.tableServiceUri, tableName, credential, { retryOptions: TABLE_RETRY }),
  };
}

/** The account key of Azurite's well-known development account (Microsoft's "Use the Azurite emulator" page). */
const DEVELOPMENT_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/**
 * The authorisation a connection string carries, read as the SDK reads it: a SAS (`SharedAccessSignature`, already
 * in the SDK client's URL) or an account key (`AccountKey`, or the development account's for
 * `UseDevelopmentStorage=true`).
 */
export function connectionStringAuthorization(connectionString: string, accountName: string): QueueAuthorization {
  const value = (name: string): string | undefined => {
    for (const part of connectionString.split(';')) {
      const [key, ...rest] = part.trim().split('=');
      if (key === name) return rest.join('=');
    }
    return undefined;
  };
  if (connectionString.trim().startsWith('UseDevelopmentStorage=true'))
    return { kind: 'sharedKey', accountName, accountKey: Buffer.from(DEVELOPMENT_ACCOUNT_KEY, 'base64') };
  const accountKey = value('AccountKey');
  if (accountKey !== undefined && accountKey !== '')
    return { kind: 'sharedKey', accountName, accountKey: Buffer.from(accountKey, 'base64') };
  return { kind: 'sas' };
}

/** The app's Azure identity: its user-assigned managed identity when a client id is set, else the developer credential chain. */
export function appCredential(managedIdentityClientId: string | undefined): TokenCredential {
  const { DefaultAzureCredential, ManagedIdentityCredential } = identitySdk();
  return managedIdentityClientId === undefined
    ? new DefaultAzureCredential()
    : new ManagedIdentityCredential({ clientId: managedIdentityClientId });
}

/** Runs `create` once; a failure is forgotten so the next call tries again (storage may come back). */
export function once(create: () => Promise<unknown>): () => Promise<void> {
  let pending: Promise<void> | undefined;
  return () => {
    pending ??= create().then(
      () => undefined,
      (error: unknown) => {
        pending = undefined;
        throw error;
      },
    );
    return pending;
  };
}

/** HTTP status of an Azure SDK error, when it has one. */
export function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}
