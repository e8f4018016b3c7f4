/**
 * The `SubscriptionRepository` contract (records with ETag-conditional writes), seen only through the port. Run
 * against the in-memory repository and the table repository on Azurite (subscriptionRepository.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { StorageConflict } from '../../../src/lib/shared/errors';
import { intentKey, type StoredSubscription, type SubscriptionRepository } from '../../../src/lib/subscriptions';
import { subscriptionRecord } from '../../support/notificationFactories';

const byId = (rows: readonly StoredSubscription[]): string[] => rows.map((row) => row.subscriptionId).sort();

/** Registers the contract's tests; `createRepository` gives a new, empty repository for each test. */
export function subscriptionRepositoryContract(adapter: string, createRepository: () => SubscriptionRepository): void {
  describe(`SubscriptionRepository contract: ${adapter}`, () => {
    it('creates, reads by id and lists subscriptions with every field', async () => {
      const repo = createRepository();
      const record = subscriptionRecord({
        lifecycleNotificationUrl: undefined,
        encryptionCertificateId: 'cert-1',
        includeResourceData: true,
      });

      const created = await repo.create(record);
      const read = await repo.get(record.subscriptionId);
      const listed = await repo.list();

      expect(created.etag).toMatch(/.+/);
      expect(read).toEqual({ ...record, etag: created.etag });
      expect(listed).toEqual([read]);
    });

    it('answers undefined for an unknown id and an empty list when it holds nothing', async () => {
      const repo = createRepository();

      expect(await repo.get('00000000-0000-0000-0000-000000000000')).toBeUndefined();
      expect(await repo.list()).toEqual([]);
      expect(await repo.listDue(new Date('2026-05-01T10:00:00.000Z'))).toEqual([]);
    });

    it('refuses to create the same subscription twice', async () => {
      const repo = createRepository();
      const record = subscriptionRecord();
      await repo.create(record);

      await expect(repo.create(record)).rejects.toBeInstanceOf(StorageConflict);
    });

    it('updates with the current ETag and refuses a stale one', async () => {
      const repo = createRepository();
      const created = await repo.create(subscriptionRecord());

      const renewed = await repo.update(
        { ...created, status: 'active', lastRenewedAt: '2026-05-01T11:00:00.000Z' },
        created.etag,
      );
      const stale = repo.update({ ...created, lastError: 'second writer' }, created.etag);

      expect(renewed.etag).not.toBe(created.etag);
      await expect(stale).rejects.toMatchObject({ code: 'ERR_STORAGE_CONFLICT' });
      expect((await repo.get(created.subscriptionId))?.lastRenewedAt).toBe('2026-05-01T11:00:00.000Z');
    });

    it('deletes with the current ETag, refuses a stale one, and ignores a missing row', async () => {
      const repo = createRepository();
      const created = await repo.create(subscriptionRecord());
      const updated = await repo.update({ ...created, status: 'failed' }, created.etag);

      await expect(repo.delete(created.subscriptionId, created.etag)).rejects.toBeInstanceOf(StorageConflict);
      await repo.delete(created.subscriptionId, updated.etag);
      await repo.delete(created.subscriptionId, updated.etag);

      expect(await repo.get(created.subscriptionId)).toBeUndefined();
      expect(await repo.list()).toEqual([]);
    });

    it('lists as due every record not active, expiring before the instant, or owing a resync, and no other', async () => {
      const repo = createRepository();
      const before = new Date('2026-05-02T10:00:00.000Z');
      const due = [
        subscriptionRecord({ status: 'pending' }),
        subscriptionRecord({ status: 'failed' }),
        subscriptionRecord({ expirationDateTime: '2026-05-02T09:59:59.999Z' }),
        subscriptionRecord({ resyncPendingSince: '2026-05-01T08:00:00.000Z' }),
      ];
      const notDue = [subscriptionRecord({ expirationDateTime: '2026-05-02T10:00:00.000Z' }), subscriptionRecord()];
      for (const record of [...due, ...notDue]) await repo.create(record);

      expect(byId(await repo.listDue(before))).toEqual(byId(due.map((record) => ({ ...record, etag: '' }))));
      expect(byId(await repo.list())).toHaveLength(6);
    });

    it('round-trips the reconciler fields, and drops them when a later version omits them', async () => {
      const repo = createRepository();
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
      const {
        leaseUntil: _lease,
        resyncPendingSince: _owed,
        replaces: _replaces,
        reauthorizationOwedSince: _challenge,
        ...rest
      } = record;
      await repo.update(rest, created.etag);
      const after = await repo.get(record.subscriptionId);

      expect(read).toEqual({ ...record, etag: created.etag });
      expect(after).not.toHaveProperty('leaseUntil');
      expect(after).not.toHaveProperty('resyncPendingSince');
      expect(after).not.toHaveProperty('replaces');
      expect(after).not.toHaveProperty('reauthorizationOwedSince');
      expect(after).toMatchObject({
        origin: 'desiredState',
        lastReauthorizedAt: '2026-05-01T09:00:00.000Z',
        lastResyncedAt: '2026-05-01T07:00:00.000Z',
      });
    });
  });
}
