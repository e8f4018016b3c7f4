/**
 * Ingest's side of coalescing across deliveries: basic notifications wait COALESCE_DELAY_SECONDS on the
 * queue and their receipts are recorded once stored; rich ones, lifecycle events and delta-tracked drive
 * roots are not delayed or recorded; with the delay at 0 nothing changes.
 */
import { describe, expect, it } from 'vitest';
import { MemoryMessageQueue } from '../../../src/adapters/memory/memoryMessageQueue';
import { MemoryPayloadStore } from '../../../src/adapters/memory/memoryPayloadStore';
import { MemoryReceiptLog } from '../../../src/adapters/memory/memoryReceiptLog';
import { MemorySubscriptionRepository } from '../../../src/adapters/memory/memorySubscriptionRepository';
import { ingestNotifications, type IngestDependencies } from '../../../src/lib/ingest';
import { parseQueueEnvelope, type NotificationEnvelope } from '../../../src/lib/notifications';
import { ManualClock } from '../../../src/lib/shared/clock';
import { StorageUnavailable } from '../../../src/lib/shared/errors';
import { silentLogger } from '../../../src/lib/shared/logger';
import { createCachedSubscriptionLookup } from '../../../src/lib/subscriptions';
import { collection, driveRootNotification, lifecycleNotification, outlookMessageNotification, subscriptionRecord, TENANT_ID, USER_ID } from '../../support/notificationFactories';

async function setup(delaySeconds: number) {
  const repository = new MemorySubscriptionRepository();
  const mail = subscriptionRecord();
  const richMail = subscriptionRecord({ includeResourceData: true, encryptionCertificateId: 'c1' });
  const drive = subscriptionRecord({ resource: 'drives/b!drive-1/root', changeType: 'updated' });
  await Promise.all([mail, richMail, drive].map((record) => repository.create(record)));
  const clock = new ManualClock('2026-05-01T10:00:00.000Z');
  const notifications = new MemoryMessageQueue();
  const lifecycle = new MemoryMessageQueue();
  const receipts = new MemoryReceiptLog();
  const deps: IngestDependencies = {
    lookupSubscription: createCachedSubscriptionLookup(repository, clock, 0),
    notificationsQueue: notifications,
    lifecycleQueue: lifecycle,
    payloads: new MemoryPayloadStore(),
    clock,
    maxBodyBytes: 4 * 1024 * 1024,
    log: silentLogger,
    coalescing: { delaySeconds, receipts },
  };
  const rich = { ...outlookMessageNotification(richMail, 'rich-1'), encryptedContent: { data: 'ZGF0YQ==', dataSignature: 'c2ln', dataKey: 'a2V5', encryptionCertificateId: 'c1', encryptionCertificateThumbprint: 'AB' } };
  const body = collection([outlookMessageNotification(mail, 'basic-1'), outlookMessageNotification(mail, 'basic-2'), rich, driveRootNotification(drive), lifecycleNotification(mail)], ['eyJhbGciOiJSUzI1NiJ9.e30.c2ln']);
  const post = () => ingestNotifications('notifications', { contentType: 'application/json', body: Buffer.from(body) }, deps);
  return { notifications, lifecycle, receipts, post, deps };
}

const envelopes = (queue: MemoryMessageQueue) => queue.sent.map((message) => ({ delay: message.visibilityDelaySeconds, envelope: parseQueueEnvelope(message.text) as NotificationEnvelope }));

describe('ingest with coalescing across deliveries', () => {
  it('delays basic notifications on the queue and records their receipts; rich ones and lifecycle events go at once', async () => {
    const { notifications, lifecycle, receipts, post } = await setup(5);

    const result = await post();

    expect(result.accepted).toBe(5);
    const sent = envelopes(notifications);
    const delayed = sent.filter((m) => m.delay === 5).flatMap((m) => m.envelope.items);
    const immediate = sent.filter((m) => m.delay === undefined).flatMap((m) => m.envelope.items);
    expect(delayed.map((item) => item.resource)).toEqual([`Users/${USER_ID}/Messages/basic-1`, `Users/${USER_ID}/Messages/basic-2`, 'drives/b!drive-1/root/']);
    expect(immediate.map((item) => item.resource)).toEqual([`Users/${USER_ID}/Messages/rich-1`]);
    expect(lifecycle.sent.map((m) => m.visibilityDelaySeconds)).toEqual([undefined]);
    // Only resources read by id are coalesced: the drive root runs delta under its own lease.
    expect([...receipts.entries.keys()].sort()).toEqual([`${TENANT_ID}/users/${USER_ID}/messages/basic-1`, `${TENANT_ID}/users/${USER_ID}/messages/basic-2`]);
    expect(receipts.entries.get(`${TENANT_ID}/users/${USER_ID}/messages/basic-1`)).toEqual({ lastReceivedAt: '2026-05-01T10:00:00.000Z', pendingSince: undefined });
  });

  it('records no receipt when the messages could not be stored, and still answers once they are stored if the receipts cannot be written', async () => {
    const { notifications, receipts, post } = await setup(5);
    notifications.failWith = new StorageUnavailable('queue down');
    await expect(post()).rejects.toBeInstanceOf(StorageUnavailable);
    expect(receipts.entries.size).toBe(0);

    notifications.failWith = undefined;
    receipts.record = () => Promise.reject(new StorageUnavailable('table down'));
    await expect(post()).resolves.toMatchObject({ accepted: 5 });
    expect(notifications.sent.length).toBeGreaterThan(0);
  });

  it('sends everything at once and records nothing with the delay at 0', async () => {
    const { notifications, receipts, post } = await setup(0);

    await post();

    expect(notifications.sent.every((m) => m.visibilityDelaySeconds === undefined)).toBe(true);
    expect(receipts.entries.size).toBe(0);
  });
});
