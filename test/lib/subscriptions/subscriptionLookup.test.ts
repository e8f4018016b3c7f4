import { describe, expect, it } from 'vitest';
import { MemorySubscriptionRepository } from '../../../src/adapters/memory/memorySubscriptionRepository';
import { ManualClock } from '../../../src/lib/shared/clock';
import { randomUUID } from 'node:crypto';
import { createCachedSubscriptionLookup } from '../../../src/lib/subscriptions';
import { POINT_READS_PER_REQUEST } from '../../../src/lib/subscriptions/subscriptionLookup';
import { subscriptionRecord } from '../../support/notificationFactories';

describe('createCachedSubscriptionLookup', () => {
  it('turns a burst of lookups for one subscription into one read', async () => {
    const repository = new MemorySubscriptionRepository();
    const record = await repository.create(subscriptionRecord());
    const lookup = createCachedSubscriptionLookup(repository, new ManualClock(), 30_000);

    const results = await Promise.all(Array.from({ length: 50 }, () => lookup(record.subscriptionId)));

    expect(results.every((result) => result?.subscriptionId === record.subscriptionId)).toBe(true);
    expect(repository.reads).toBe(1);
  });

  it('reads again once the TTL has passed', async () => {
    const repository = new MemorySubscriptionRepository();
    const record = await repository.create(subscriptionRecord());
    const clock = new ManualClock();
    const lookup = createCachedSubscriptionLookup(repository, clock, 30_000);

    await lookup(record.subscriptionId);
    clock.advance(29_999);
    await lookup(record.subscriptionId);
    clock.advance(2);
    await lookup(record.subscriptionId);

    expect(repository.reads).toBe(2);
  });

  it('remembers an unknown id for at most 5 seconds', async () => {
    const repository = new MemorySubscriptionRepository();
    const clock = new ManualClock();
    const lookup = createCachedSubscriptionLookup(repository, clock, 60_000);
    const record = subscriptionRecord();

    expect(await lookup(record.subscriptionId)).toBeUndefined();
    await repository.create(record);
    clock.advance(4_000);
    expect(await lookup(record.subscriptionId)).toBeUndefined();
    clock.advance(1_001);

    expect((await lookup(record.subscriptionId))?.subscriptionId).toBe(record.subscriptionId);
  });

  it('does not cache a failed read', async () => {
    let calls = 0;
    const record = subscriptionRecord();
    const flaky = {
      list: () => Promise.resolve([]),
      get: () => {
        calls += 1;
        return calls === 1 ? Promise.reject(new Error('storage down')) : Promise.resolve({ ...record, etag: 'e' });
      },
    };
    const lookup = createCachedSubscriptionLookup(flaky, new ManualClock(), 30_000);

    await expect(lookup(record.subscriptionId)).rejects.toThrow('storage down');
    expect((await lookup(record.subscriptionId))?.subscriptionId).toBe(record.subscriptionId);
  });

  it('with a TTL of 0 reads every time', async () => {
    const repository = new MemorySubscriptionRepository();
    const record = await repository.create(subscriptionRecord());
    const lookup = createCachedSubscriptionLookup(repository, new ManualClock(), 0);

    await lookup(record.subscriptionId);
    await lookup(record.subscriptionId);

    expect(repository.reads).toBe(2);
  });

  describe("lookupMany (one request's ids)", () => {
    /** Counts point reads and listings separately. */
    function countingRepository() {
      const repository = new MemorySubscriptionRepository();
      let lists = 0;
      return {
        repository,
        source: { get: (id: string) => repository.get(id), list: () => ((lists += 1), repository.list()) },
        lists: () => lists,
      };
    }

    it('looks each distinct id up once, however often it repeats', async () => {
      const { repository, source } = countingRepository();
      const record = await repository.create(subscriptionRecord());
      const lookup = createCachedSubscriptionLookup(source, new ManualClock(), 0);

      const found = await lookup.lookupMany([
        ...Array.from({ length: 500 }, () => record.subscriptionId),
        randomUUID(),
      ]);

      expect(found.get(record.subscriptionId)?.subscriptionId).toBe(record.subscriptionId);
      expect(found.size).toBe(1);
      expect(repository.reads).toBe(2);
    });

    it('answers 10,000 forged ids with one table listing, and the next flood within 5 s with none', async () => {
      const { repository, source, lists } = countingRepository();
      const genuine = await repository.create(subscriptionRecord());
      const clock = new ManualClock();
      const lookup = createCachedSubscriptionLookup(source, clock, 30_000);
      const forged = () => Array.from({ length: 10_000 }, () => randomUUID());

      const first = await lookup.lookupMany([...forged(), genuine.subscriptionId]);
      clock.advance(4_000);
      const second = await lookup.lookupMany(forged());
      const single = await lookup(randomUUID());

      expect([...first.keys()]).toEqual([genuine.subscriptionId]);
      expect(second.size).toBe(0);
      expect(single).toBeUndefined();
      expect(lists()).toBe(1);
      expect(repository.reads).toBe(0);
    });

    it('sees a subscription created after the listing once the listing is 5 s old', async () => {
      const { repository, source, lists } = countingRepository();
      const clock = new ManualClock();
      const lookup = createCachedSubscriptionLookup(source, clock, 30_000);
      const late = subscriptionRecord();

      await lookup.lookupMany(Array.from({ length: POINT_READS_PER_REQUEST + 1 }, () => randomUUID()));
      await repository.create(late);
      clock.advance(5_000);
      const found = await lookup.lookupMany([late.subscriptionId]);

      expect(found.get(late.subscriptionId)?.subscriptionId).toBe(late.subscriptionId);
      expect(lists()).toBe(1);
    });

    it('reads a few uncached ids point by point, without listing the table', async () => {
      const { repository, source, lists } = countingRepository();
      const lookup = createCachedSubscriptionLookup(source, new ManualClock(), 30_000);

      await lookup.lookupMany(Array.from({ length: POINT_READS_PER_REQUEST }, () => randomUUID()));

      expect(repository.reads).toBe(POINT_READS_PER_REQUEST);
      expect(lists()).toBe(0);
    });

    it('forgets a failed listing so the next request lists again', async () => {
      let calls = 0;
      const record = subscriptionRecord();
      const source = {
        get: () => Promise.resolve(undefined),
        list: () => (
          (calls += 1),
          calls === 1 ? Promise.reject(new Error('storage down')) : Promise.resolve([{ ...record, etag: 'e' }])
        ),
      };
      const lookup = createCachedSubscriptionLookup(source, new ManualClock(), 30_000);
      const ids = [record.subscriptionId, ...Array.from({ length: POINT_READS_PER_REQUEST }, () => randomUUID())];

      await expect(lookup.lookupMany(ids)).rejects.toThrow('storage down');
      expect((await lookup.lookupMany(ids)).has(record.subscriptionId)).toBe(true);
    });
  });
});
