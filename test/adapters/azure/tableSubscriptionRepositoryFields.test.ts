import { TableClient } from '@azure/data-tables';
import { describe, expect, it } from 'vitest';
import { createTableSubscriptionRepository } from '../../../src/adapters/azure/tableSubscriptionRepository';
import { intentKey } from '../../../src/lib/subscriptions';
import { subscriptionRecord } from '../../support/notificationFactories';
import { azuriteConnectionString, uniqueTableName } from '../../support/storage';

function repository() {
  return createTableSubscriptionRepository(TableClient.fromConnectionString(azuriteConnectionString(), uniqueTableName('SubFields'), { allowInsecureConnection: true }));
}

describe('table subscription repository: reconciler fields (Azurite)', () => {
  it('round-trips origin, lease, reauthorization, owed and last resync and the replaced id, and drops them when a later version omits them', async () => {
    const repo = repository();
    const record = subscriptionRecord({
      subscriptionId: intentKey('7d0b8d5e-1f0a-4a57-9f55-3c7c2f6b1a10'),
      status: 'pending',
      origin: 'desiredState',
      leaseUntil: '2026-05-01T10:02:00.000Z',
      lastReauthorizedAt: '2026-05-01T09:00:00.000Z',
      resyncPendingSince: '2026-05-01T08:00:00.000Z',
      lastResyncedAt: '2026-05-01T07:00:00.000Z',
      reauthorizationOwedSince: '2026-05-01T09:30:00.000Z',
      replaces: '0f3c5a8e-2b1d-4c6e-9a7f-1e2d3c4b5a69',
    });

    const created = await repo.create(record);
    const read = await repo.get(record.subscriptionId);
    const { leaseUntil: _lease, resyncPendingSince: _owed, replaces: _replaces, reauthorizationOwedSince: _challenge, ...rest } = record;
    await repo.update(rest, created.etag);
    const after = await repo.get(record.subscriptionId);

    expect(read).toEqual({ ...record, etag: created.etag });
    expect(after).not.toHaveProperty('leaseUntil');
    expect(after).not.toHaveProperty('resyncPendingSince');
    expect(after).not.toHaveProperty('replaces');
    expect(after).not.toHaveProperty('reauthorizationOwedSince');
    expect(after).toMatchObject({ origin: 'desiredState', lastReauthorizedAt: '2026-05-01T09:00:00.000Z', lastResyncedAt: '2026-05-01T07:00:00.000Z' });
  });
});
