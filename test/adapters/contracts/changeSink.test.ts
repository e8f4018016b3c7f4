import { BlobServiceClient } from '@azure/storage-blob';
import { createBlobChangeSink } from '../../../src/adapters/azure/blobChangeSink';
import { MemoryChangeSink } from '../../../src/adapters/memory/memoryChangeSink';
import { azuriteConnectionString, uniqueName } from '../../support/storage';
import { changeSinkContract } from './changeSink.contract';

changeSinkContract('memory', () => new MemoryChangeSink());
changeSinkContract('blob (Azurite)', () =>
  createBlobChangeSink(
    BlobServiceClient.fromConnectionString(azuriteConnectionString()).getContainerClient(uniqueName('sink')),
  ),
);
