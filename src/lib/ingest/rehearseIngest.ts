/**
 * Rehearses ingest once, so the first notification after a cold start costs what the next ones do
 * (docs/operations.md#ingest-graphs-reply-budget). The code a POST runs (parsing, the shape and subscription
 * checks, packing) runs first on a made-up notification, against stand-ins that store nothing and count
 * nothing; then the notifications queue is readied with a rehearsal message, an envelope with no items
 * that is sent invisible and deleted at once (`MessageSender.prepare`), so the storage SDK's send path is
 * warm too. Nothing reaches the queue's consumer, the subscriptions table or telemetry.
 */
import { randomUUID } from 'node:crypto';
import { ENVELOPE_VERSION, type NotificationEnvelope } from '../notifications';
import { silentLogger } from '../shared/logger';
import type { MessageSender, PayloadStore } from '../storage';
import type { SubscriptionLookup, SubscriptionRecord } from '../subscriptions';
import { ingestNotifications, type IngestDependencies, type IngestResult } from './ingestNotifications';

export type RehearsalDependencies = Pick<IngestDependencies, 'notificationsQueue' | 'clock' | 'maxBodyBytes'>;

/** Runs the rehearsal; answers what ingest made of the made-up notification (accepted, one message). */
export async function rehearseIngest(deps: RehearsalDependencies): Promise<IngestResult> {
  const now = deps.clock.now().toISOString();
  const subscription = madeUpSubscription(now);
  const result = await ingestNotifications(
    'notifications',
    { contentType: 'application/json', body: new TextEncoder().encode(madeUpPost(subscription)) },
    {
      lookupSubscription: lookupOnly(subscription),
      notificationsQueue: DISCARD,
      lifecycleQueue: DISCARD,
      payloads: NO_PAYLOADS,
      clock: deps.clock,
      maxBodyBytes: deps.maxBodyBytes,
      log: silentLogger,
    },
  );
  const rehearsal: NotificationEnvelope = {
    v: ENVELOPE_VERSION,
    kind: 'notifications',
    id: `rehearsal-${randomUUID()}`,
    receivedAt: now,
    items: [],
  };
  await deps.notificationsQueue.prepare?.({ rehearsal: JSON.stringify(rehearsal) });
  return result;
}

const DISCARD: MessageSender = { send: () => Promise.resolve() };
const NO_PAYLOADS: PayloadStore = {
  save: () => Promise.resolve(),
  load: () => Promise.reject(new TypeError('the ingest rehearsal loads no payload')),
  delete: () => Promise.resolve(),
};

function madeUpSubscription(now: string): SubscriptionRecord {
  return {
    subscriptionId: randomUUID(),
    tenantId: randomUUID(),
    resource: 'users',
    changeType: 'updated',
    clientState: randomUUID(),
    notificationUrl: 'https://rehearsal.invalid/api/notifications',
    lifecycleNotificationUrl: undefined,
    expirationDateTime: now,
    includeResourceData: false,
    encryptionCertificateId: undefined,
    status: 'active',
    lastRenewedAt: undefined,
    lastError: undefined,
    createdAt: now,
    updatedAt: now,
  };
}

/** A POST as Graph sends it for a user change (docs/graph-protocol.md §3.4). */
function madeUpPost(subscription: SubscriptionRecord): string {
  const userId = randomUUID();
  return JSON.stringify({
    value: [
      {
        subscriptionId: subscription.subscriptionId,
        clientState: subscription.clientState,
        changeType: 'updated',
        resource: `Users/${userId}`,
        subscriptionExpirationDateTime: subscription.expirationDateTime,
        tenantId: subscription.tenantId,
        resourceData: { '@odata.type': '#Microsoft.Graph.User', '@odata.id': `Users/${userId}`, id: userId },
      },
    ],
  });
}

function lookupOnly(subscription: SubscriptionRecord): SubscriptionLookup {
  const known = (id: string): SubscriptionRecord | undefined =>
    id === subscription.subscriptionId ? subscription : undefined;
  return Object.assign((id: string) => Promise.resolve(known(id)), {
    lookupMany: (ids: Iterable<string>) =>
      Promise.resolve(
        new Map([...ids].flatMap((id) => (known(id) === undefined ? [] : [[id, subscription] as const]))),
      ),
  });
}
