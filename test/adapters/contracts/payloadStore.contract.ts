/**
 * The `PayloadStore` contract (claim-check payloads by blob name), seen only through the port. Run against the
 * in-memory store and the blob store on Azurite (payloadStore.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { StorageNotFound } from '../../../src/lib/shared/errors';
import type { PayloadStore } from '../../../src/lib/storage';

/** Registers the contract's tests; `createStore` gives a new, empty store for each test. */
export function payloadStoreContract(adapter: string, createStore: () => PayloadStore): void {
  describe(`PayloadStore contract: ${adapter}`, () => {
    it('loads exactly the text it saved, non-ASCII and large texts included', async () => {
      const payloads = createStore();
      const text = JSON.stringify({ value: [{ subject: 'Grüße 👋 ∑' }], padding: 'x'.repeat(300_000) });

      await payloads.save('2026/05/01/batch-1.json', text);

      expect(await payloads.load('2026/05/01/batch-1.json')).toBe(text);
    });

    it('replaces a payload saved again under the same name', async () => {
      const payloads = createStore();

      await payloads.save('batch.json', '{"n":1}');
      await payloads.save('batch.json', '{"n":2}');

      expect(await payloads.load('batch.json')).toBe('{"n":2}');
    });

    it('answers StorageNotFound for a payload it does not hold, before and after a delete', async () => {
      const payloads = createStore();

      await expect(payloads.load('never-saved.json')).rejects.toBeInstanceOf(StorageNotFound);
      await payloads.save('batch.json', '{}');
      await payloads.delete('batch.json');

      await expect(payloads.load('batch.json')).rejects.toMatchObject({ code: 'ERR_STORAGE_NOT_FOUND' });
    });

    it('deletes quietly what is already gone', async () => {
      const payloads = createStore();
      await payloads.save('batch.json', '{}');

      await payloads.delete('batch.json');
      await payloads.delete('batch.json');

      await expect(payloads.load('batch.json')).rejects.toBeInstanceOf(StorageNotFound);
    });
  });
}
