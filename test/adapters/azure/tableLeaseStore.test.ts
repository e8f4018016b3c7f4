import { TableClient } from '@azure/data-tables';
import { describe, expect, it } from 'vitest';
import { createTableLeaseStore } from '../../../src/adapters/azure/tableLeaseStore';
import { azuriteConnectionString, uniqueTableName } from '../../support/storage';

const tenant = '84bd8158-6d4d-4958-8b9f-9d6445542f95';
const key = "drives/b!x'y/root";

function store() {
  return createTableLeaseStore(TableClient.fromConnectionString(azuriteConnectionString(), uniqueTableName('Delta'), { allowInsecureConnection: true }));
}

describe('table lease store (Azurite)', () => {
  it('grants one lease at a time and keeps the delta link across runs', async () => {
    const states = store();
    const now = new Date('2026-05-01T10:00:00Z');

    const first = await states.tryAcquire(tenant, key, now, 60_000);
    const rival = await states.tryAcquire(tenant, key, now, 60_000);
    if (first === undefined) throw new Error('expected a lease');
    const saved = await states.saveLink(first, 'https://graph/delta?token=1');
    await states.release(saved);
    const second = await states.tryAcquire(tenant, key, now, 60_000);

    expect(first.deltaLink).toBeUndefined();
    expect(rival).toBeUndefined();
    expect(second?.deltaLink).toBe('https://graph/delta?token=1');
  });

  it('lets a new run take over an expired lease, and the old holder can no longer write', async () => {
    const states = store();
    const crashed = await states.tryAcquire(tenant, key, new Date('2026-05-01T10:00:00Z'), 60_000);
    if (crashed === undefined) throw new Error('expected a lease');

    const takeover = await states.tryAcquire(tenant, key, new Date('2026-05-01T10:01:01Z'), 60_000);

    expect(takeover).toBeDefined();
    await expect(states.saveLink(crashed, 'https://graph/stale')).rejects.toMatchObject({ code: 'ERR_STORAGE_UNAVAILABLE' });
  });

  it('only one of two simultaneous runs gets the lease', async () => {
    const states = store();
    const now = new Date('2026-05-01T10:00:00Z');

    const leases = await Promise.all(Array.from({ length: 6 }, () => states.tryAcquire(tenant, key, now, 60_000)));

    expect(leases.filter((lease) => lease !== undefined)).toHaveLength(1);
  });
});
