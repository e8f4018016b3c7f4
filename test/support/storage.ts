/** Helpers for tests that talk to the shared Azurite: its connection string and unique resource names. */
import { randomBytes } from 'node:crypto';
import { QueueClient } from '@azure/storage-queue';
import { connectionStringAuthorization } from '../../src/adapters/azure/storageClients';
import { createStorageQueueSender } from '../../src/adapters/azure/storageQueueSender';
import type { MessageSender } from '../../src/lib/storage';

/** Where the test run's (or a benchmark's) Azurite connection string is published. */
export const TEST_STORAGE_VARIABLE = 'GRAPH_NOTIFY_TEST_STORAGE';

/** The shared Azurite's connection string, set by the global setup (or by a benchmark that starts its own). */
export function azuriteConnectionString(): string {
  const connectionString = process.env[TEST_STORAGE_VARIABLE];
  if (connectionString === undefined)
    throw new TypeError(
      `${TEST_STORAGE_VARIABLE} is not set: run through vitest (test/support/globalSetup.ts) or start Azurite first`,
    );
  return connectionString;
}

/** A queue or container name no other test uses: lower-case, 3-63 chars. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`.toLowerCase().slice(0, 63);
}

/** A table name no other test uses: letters and digits only. */
export function uniqueTableName(prefix: string): string {
  return `${prefix}${randomBytes(5).toString('hex')}`.replace(/[^A-Za-z0-9]/g, '').slice(0, 63);
}

/** Valid dummy Graph settings: loadConfig requires them, and nothing reaches Graph with them in these tests. */
export const testGraphSettings: Readonly<Record<string, string>> = {
  GRAPH_CLIENT_ID: '11111111-1111-4111-8111-111111111111',
  GRAPH_TENANT_ID: '22222222-2222-4222-8222-222222222222',
  GRAPH_CLIENT_SECRET: 'test-client-secret-not-real',
};

/** An environment with the shared Azurite, dummy Graph settings and unique names for everything the app stores. */
export function testEnvironment(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    AzureWebJobsStorage: azuriteConnectionString(),
    NOTIFICATIONS_QUEUE_NAME: uniqueName('notifications'),
    LIFECYCLE_QUEUE_NAME: uniqueName('lifecycle'),
    PAYLOAD_CONTAINER_NAME: uniqueName('payloads'),
    SUBSCRIPTIONS_TABLE_NAME: uniqueTableName('Subscriptions'),
    ...testGraphSettings,
    ...overrides,
  };
}

/** The app's queue sender for `queueName` on the storage `connectionString` names, authorised as the app would be. */
export function storageQueueSender(connectionString: string, queueName: string): MessageSender {
  const queue = new QueueClient(connectionString, queueName);
  return createStorageQueueSender(queue, connectionStringAuthorization(connectionString, queue.accountName));
}
