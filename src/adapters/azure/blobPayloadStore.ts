/** `PayloadStore` over one Azure Blob Storage container: claim-check payloads, one blob per oversized batch. */
import type { ContainerClient } from '@azure/storage-blob';
import { StorageNotFound, StorageUnavailable } from '../../lib/shared/errors';
import type { PayloadStore } from '../../lib/storage';
import { once, statusOf } from './storageClients';

export function createBlobPayloadStore(container: ContainerClient): PayloadStore {
  const ensureContainer = once(() => container.createIfNotExists());
  return {
    async save(blobName, content) {
      try {
        await ensureContainer();
        const body = Buffer.from(content, 'utf8');
        await container.getBlockBlobClient(blobName).upload(body, body.byteLength, {
          blobHTTPHeaders: { blobContentType: 'application/json' },
        });
      } catch (error) {
        throw new StorageUnavailable(`write payload blob ${blobName}`, { cause: error });
      }
    },
    async load(blobName) {
      try {
        const buffer = await container.getBlockBlobClient(blobName).downloadToBuffer();
        return buffer.toString('utf8');
      } catch (error) {
        if (statusOf(error) === 404) throw new StorageNotFound(`Payload blob ${blobName}`, { cause: error });
        throw new StorageUnavailable(`read payload blob ${blobName}`, { cause: error });
      }
    },
    async delete(blobName) {
      try {
        await container.getBlockBlobClient(blobName).deleteIfExists();
      } catch (error) {
        throw new StorageUnavailable(`delete payload blob ${blobName}`, { cause: error });
      }
    },
  };
}
