import { BlobServiceClient } from '@azure/storage-blob';
import { createBlobPayloadStore } from '../../../src/adapters/azure/blobPayloadStore';
import { MemoryPayloadStore } from '../../../src/adapters/memory/memoryPayloadStore';
import { azuriteConnectionString, uniqueName } from '../../support/storage';
import { payloadStoreContract } from './payloadStore.contract';

payloadStoreContract('memory', () => new MemoryPayloadStore());
payloadStoreContract('blob (Azurite)', () =>
  createBlobPayloadStore(
    BlobServiceClient.fromConnectionString(azuriteConnectionString()).getContainerClient(uniqueName('payloads')),
  ),
);
