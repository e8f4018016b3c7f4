import { BlobServiceClient } from '@azure/storage-blob';
import { createBlobParkedEventStore } from '../../../src/adapters/azure/blobParkedEventStore';
import { MemoryParkedEventStore } from '../../../src/adapters/memory/memoryParkedEventStore';
import { azuriteConnectionString, uniqueName } from '../../support/storage';
import { parkedEventStoreContract } from './parkedEventStore.contract';

parkedEventStoreContract('memory', () => new MemoryParkedEventStore());
parkedEventStoreContract('blob (Azurite)', () =>
  createBlobParkedEventStore(
    BlobServiceClient.fromConnectionString(azuriteConnectionString()).getContainerClient(uniqueName('parked')),
    'parked/eventhubs/',
    'deadletter/eventhubs/',
  ),
);
