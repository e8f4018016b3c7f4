/**
 * The lease store contract (delta links and one-run-at-a-time leases), seen only through the port. Run
 * against the in-memory store and the table store on Azurite (leaseStore.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { Lease, LeaseStore } from '../../../src/lib/resync';

const tenant = '84bd8158-6d4d-4958-8b9f-9d6445542f95';
const key = "drives/b!x'y/root";
const minute = 60_000;
const at = (time: string): Date => new Date(`2026-05-01T${time}Z`);

function held(lease: Lease | undefined): Lease {
  if (lease === undefined) throw new Error('expected a lease');
  return lease;
}

/** Registers the contract's tests; `createStore` gives a new, empty store for each test. */
export function leaseStoreContract(adapter: string, createStore: () => LeaseStore): void {
  describe(`LeaseStore contract: ${adapter}`, () => {
    it('grants one lease at a time and keeps the delta link across runs', async () => {
      const states = createStore();

      const first = held(await states.tryAcquire(tenant, key, at('10:00:00'), minute));
      const rival = await states.tryAcquire(tenant, key, at('10:00:30'), minute);
      const saved = await states.saveLink(first, 'https://graph/delta?token=1');
      await states.release(saved);
      const second = await states.tryAcquire(tenant, key, at('10:00:30'), minute);

      expect(first).toMatchObject({ tenantId: tenant, key, deltaLink: undefined });
      expect(rival).toBeUndefined();
      expect(saved.deltaLink).toBe('https://graph/delta?token=1');
      expect(second?.deltaLink).toBe('https://graph/delta?token=1');
    });

    it('keeps streams apart by tenant and by key', async () => {
      const states = createStore();

      const first = held(await states.tryAcquire(tenant, key, at('10:00:00'), minute));
      await states.saveLink(first, 'https://graph/delta?token=1');
      const otherKey = await states.tryAcquire(tenant, `${key}/children`, at('10:00:00'), minute);
      const otherTenant = await states.tryAcquire('other-tenant', key, at('10:00:00'), minute);

      expect(otherKey).toMatchObject({ deltaLink: undefined });
      expect(otherTenant).toMatchObject({ deltaLink: undefined });
    });

    it('forgets the link when told to, forcing a full sync next time', async () => {
      const states = createStore();
      const first = held(await states.tryAcquire(tenant, key, at('10:00:00'), minute));
      const saved = await states.saveLink(first, 'https://graph/delta?token=1');

      const forgotten = await states.saveLink(saved, undefined);
      await states.release(forgotten);

      expect(forgotten.deltaLink).toBeUndefined();
      expect((await states.tryAcquire(tenant, key, at('10:00:10'), minute))?.deltaLink).toBeUndefined();
    });

    it('lets a new run take over an expired lease, and the old holder can no longer write or release it', async () => {
      const states = createStore();
      const crashed = held(await states.tryAcquire(tenant, key, at('10:00:00'), minute));

      const takeover = held(await states.tryAcquire(tenant, key, at('10:01:01'), minute));

      await expect(states.saveLink(crashed, 'https://graph/stale')).rejects.toMatchObject({
        code: 'ERR_STORAGE_UNAVAILABLE',
      });
      await states.release(crashed);
      expect(await states.tryAcquire(tenant, key, at('10:01:02'), minute)).toBeUndefined();
      expect((await states.saveLink(takeover, 'https://graph/new')).deltaLink).toBe('https://graph/new');
    });

    it('refuses a write from a lease that was released', async () => {
      const states = createStore();
      const lease = held(await states.tryAcquire(tenant, key, at('10:00:00'), minute));
      await states.release(lease);

      await expect(states.saveLink(lease, 'https://graph/late')).rejects.toMatchObject({
        code: 'ERR_STORAGE_UNAVAILABLE',
      });
    });

    it('gives the lease to only one of several simultaneous runs', async () => {
      const states = createStore();

      const leases = await Promise.all(
        Array.from({ length: 6 }, () => states.tryAcquire(tenant, key, at('10:00:00'), minute)),
      );

      expect(leases.filter((lease) => lease !== undefined)).toHaveLength(1);
    });
  });
}
