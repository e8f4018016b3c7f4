import { describe, expect, it } from 'vitest';
import { MemorySubscriptionRepository } from '../../../src/adapters/memory/memorySubscriptionRepository';
import { ManualClock } from '../../../src/lib/shared/clock';
import { createCachedSubscriptionLookup } from '../../../src/lib/subscriptions';
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
});
