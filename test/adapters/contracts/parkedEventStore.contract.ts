/**
 * The `ParkedEventStore` contract (Event Hubs event bodies that could not be queued, kept until replayed), seen
 * only through the port. Run against the in-memory store and the blob store on Azurite (parkedEventStore.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { ParkedEventStore } from '../../../src/lib/ingest';
import { StorageNotFound } from '../../../src/lib/shared/errors';

/** Registers the contract's tests; `createStore` gives a new, empty store for each test. */
export function parkedEventStoreContract(adapter: string, createStore: () => ParkedEventStore): void {
  describe(`ParkedEventStore contract: ${adapter}`, () => {
    it('lists nothing before anything is parked', async () => {
      const parked = createStore();

      expect(await parked.list()).toEqual([]);
    });

    it('lists parked bodies by name, oldest first, and loads exactly the text parked', async () => {
      const parked = createStore();
      const body = JSON.stringify({ value: [{ subscriptionId: 'a', resource: 'Users/x', note: 'Grüße 👋' }] });

      await parked.park('2026-05-01T10-00-02.000Z-b.json', '{"n":2}');
      await parked.park('2026-05-01T10-00-01.000Z-a.json', body);

      expect(await parked.list()).toEqual(['2026-05-01T10-00-01.000Z-a.json', '2026-05-01T10-00-02.000Z-b.json']);
      expect(await parked.load('2026-05-01T10-00-01.000Z-a.json')).toBe(body);
    });

    it('forgets a removed body, and removes quietly what is already gone', async () => {
      const parked = createStore();

      await parked.park('one.json', '{}');
      await parked.remove('one.json');
      await parked.remove('one.json');

      expect(await parked.list()).toEqual([]);
    });

    it('answers StorageNotFound for a body it does not hold', async () => {
      const parked = createStore();

      await parked.park('kept.json', '{}');

      await expect(parked.load('never-parked.json')).rejects.toBeInstanceOf(StorageNotFound);
    });

    it('moves a dead-lettered body out of the parked list, to where the operator lists it', async () => {
      const parked = createStore();

      await parked.park('2026-05-01T10-00-01.000Z-a.json', '{"n":1}');
      await parked.park('2026-05-01T10-00-02.000Z-b.json', '{"n":2}');
      await parked.deadLetter('2026-05-01T10-00-01.000Z-a.json');

      expect(await parked.list()).toEqual(['2026-05-01T10-00-02.000Z-b.json']);
      expect(await parked.listDeadLettered()).toEqual(['2026-05-01T10-00-01.000Z-a.json']);
    });
  });
}
