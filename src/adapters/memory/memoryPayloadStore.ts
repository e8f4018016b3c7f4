/** In-memory `PayloadStore` for unit tests. */
import { StorageNotFound } from '../../lib/shared/errors';
import type { PayloadStore } from '../../lib/storage';

export class MemoryPayloadStore implements PayloadStore {
  readonly blobs = new Map<string, string>();

  save(blobName: string, content: string): Promise<void> {
    this.blobs.set(blobName, content);
    return Promise.resolve();
  }

  load(blobName: string): Promise<string> {
    const content = this.blobs.get(blobName);
    return content === undefined
      ? Promise.reject(new StorageNotFound(`Payload blob ${blobName}`))
      : Promise.resolve(content);
  }

  delete(blobName: string): Promise<void> {
    this.blobs.delete(blobName);
    return Promise.resolve();
  }
}
