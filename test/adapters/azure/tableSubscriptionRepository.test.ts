import { TableClient } from '@azure/data-tables';
import { describe, expect, it } from 'vitest';
import { createTableSubscriptionRepository } from '../../../src/adapters/azure/tableSubscriptionRepository';
import { StorageConflict, StorageUnavailable } from '../../../src/lib/shared/errors';
import { subscriptionRecord } from '../../support/notificationFactories';
import { azuriteConnectionString, uniqueTableName } from '../../support/storage';

function repository() {
  const table = TableClient.fromConnectionString(azuriteConnectionString(), uniqueTableName('Subs'), { allowInsecureConnection: true });
  return createTableSubscriptionRepository(table);
}

describe('table subscription repository (Azurite)', () => {
  it('creates, reads by id and lists subscriptions with every field', async () => {
    const repo = repository();
    const record = subscriptionRecord({ lifecycleNotificationUrl: undefined, encryptionCertificateId: 'cert-1', includeResourceData: true });

    const created = await repo.create(record);
    const read = await repo.get(record.subscriptionId);
    const listed = await repo.list();

    expect(created.etag).toMatch(/.+/);
    expect(read).toEqual({ ...record, etag: created.etag });
    expect(listed).toEqual([read]);
  });

  it('answers undefined for an unknown id', async () => {
    expect(await repository().get('00000000-0000-0000-0000-000000000000')).toBeUndefined();
  });

  it('refuses to create the same subscription twice', async () => {
    const repo = repository();
    const record = subscriptionRecord();
    await repo.create(record);

    await expect(repo.create(record)).rejects.toBeInstanceOf(StorageConflict);
  });

  it('updates with the current ETag and refuses a stale one', async () => {
    const repo = repository();
    const created = await repo.create(subscriptionRecord());

    const renewed = await repo.update({ ...created, status: 'active', lastRenewedAt: '2026-05-01T11:00:00.000Z' }, created.etag);
    const stale = repo.update({ ...created, lastError: 'second writer' }, created.etag);

    expect(renewed.etag).not.toBe(created.etag);
    await expect(stale).rejects.toMatchObject({ code: 'ERR_STORAGE_CONFLICT' });
    expect((await repo.get(created.subscriptionId))?.lastRenewedAt).toBe('2026-05-01T11:00:00.000Z');
  });

  it('deletes with the current ETag, refuses a stale one, and ignores a missing row', async () => {
    const repo = repository();
    const created = await repo.create(subscriptionRecord());
    const updated = await repo.update({ ...created, status: 'failed' }, created.etag);

    await expect(repo.delete(created.subscriptionId, created.etag)).rejects.toBeInstanceOf(StorageConflict);
    await repo.delete(created.subscriptionId, updated.etag);
    await repo.delete(created.subscriptionId, updated.etag);

    expect(await repo.get(created.subscriptionId)).toBeUndefined();
  });

  it('reports an unreachable table as StorageUnavailable', async () => {
    const table = TableClient.fromConnectionString(
      'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:9/devstoreaccount1;',
      'Unreachable',
      { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } },
    );

    await expect(createTableSubscriptionRepository(table).get('x')).rejects.toBeInstanceOf(StorageUnavailable);
  });
});
