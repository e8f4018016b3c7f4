/** `ParkedEventStore` over a blob container: one blob per parked Event Hubs event body, under a prefix. */
import type { ContainerClient } from '@azure/storage-blob';
import type { ParkedEventStore } from '../../lib/ingest';
import { StorageNotFound, StorageUnavailable } from '../../lib/shared/errors';
import { once, statusOf } from './storageClients';

export function createBlobParkedEventStore(container: ContainerClient, prefix: string): ParkedEventStore {
  const ensureContainer = once(() => container.createIfNotExists());
  const guarded = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (statusOf(error) === 404) throw new StorageNotFound(what, { cause: error });
      throw new StorageUnavailable(what, { cause: error });
    }
  };
  return {
    park: (name, body) =>
      guarded(`park event ${name}`, async () => {
        await ensureContainer();
        const bytes = Buffer.from(body, 'utf8');
        await container
          .getBlockBlobClient(`${prefix}${name}`)
          .upload(bytes, bytes.byteLength, { blobHTTPHeaders: { blobContentType: 'application/json' } });
      }),
    list: () =>
      guarded('list parked events', async () => {
        if (!(await container.exists())) return [];
        const names: string[] = [];
        for await (const blob of container.listBlobsFlat({ prefix })) names.push(blob.name.slice(prefix.length));
        return names.sort();
      }),
    load: (name) =>
      guarded(`read parked event ${name}`, async () =>
        (await container.getBlockBlobClient(`${prefix}${name}`).downloadToBuffer()).toString('utf8'),
      ),
    remove: (name) =>
      guarded(`remove parked event ${name}`, async () => {
        await container.getBlockBlobClient(`${prefix}${name}`).deleteIfExists();
      }),
  };
}
