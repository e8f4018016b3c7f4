/**
 * `ParkedEventStore` over a blob container: one blob per parked Event Hubs event body under `prefix`, and the
 * dead-lettered ones under `deadLetterPrefix`.
 */
import type { ContainerClient } from '@azure/storage-blob';
import type { ParkedEventStore } from '../../lib/ingest';
import { StorageNotFound, StorageUnavailable } from '../../lib/shared/errors';
import { once, statusOf } from './storageClients';

export function createBlobParkedEventStore(
  container: ContainerClient,
  prefix: string,
  deadLetterPrefix: string,
): ParkedEventStore {
  const ensureContainer = once(() => container.createIfNotExists());
  const guarded = async <T>(what: string, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      if (statusOf(error) === 404) throw new StorageNotFound(what, { cause: error });
      throw new StorageUnavailable(what, { cause: error });
    }
  };
  const namesUnder = async (under: string): Promise<string[]> => {
    if (!(await container.exists())) return [];
    const names: string[] = [];
    for await (const blob of container.listBlobsFlat({ prefix: under })) names.push(blob.name.slice(under.length));
    return names.sort();
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
    list: () => guarded('list parked events', () => namesUnder(prefix)),
    listDeadLettered: () => guarded('list dead-lettered events', () => namesUnder(deadLetterPrefix)),
    load: (name) =>
      guarded(`read parked event ${name}`, async () =>
        (await container.getBlockBlobClient(`${prefix}${name}`).downloadToBuffer()).toString('utf8'),
      ),
    deadLetter: (name) =>
      guarded(`dead-letter parked event ${name}`, async () => {
        const bytes = await container.getBlockBlobClient(`${prefix}${name}`).downloadToBuffer();
        await container
          .getBlockBlobClient(`${deadLetterPrefix}${name}`)
          .upload(bytes, bytes.byteLength, { blobHTTPHeaders: { blobContentType: 'application/json' } });
        await container.getBlockBlobClient(`${prefix}${name}`).deleteIfExists();
      }),
    remove: (name) =>
      guarded(`remove parked event ${name}`, async () => {
        await container.getBlockBlobClient(`${prefix}${name}`).deleteIfExists();
      }),
  };
}
