/**
 * Realistic Graph notification payloads for tests, shaped like the documented examples
 * (docs/graph-protocol.md §3.4 and §4.2): an Outlook message with mixed casing, a directory user, a driveItem with
 * `resourceData: null`, and lifecycle notifications with `tenantId` or only `organizationId`.
 */
import { randomUUID } from 'node:crypto';
import type { SubscriptionRecord } from '../../src/lib/subscriptions';

export const TENANT_ID = '84bd8158-6d4d-4958-8b9f-9d6445542f95';
export const USER_ID = '622eaaff-0683-4862-9de4-f2ec83c2bd98';

export function subscriptionRecord(overrides: Partial<SubscriptionRecord> = {}): SubscriptionRecord {
  const now = '2026-05-01T10:00:00.000Z';
  return {
    subscriptionId: randomUUID(),
    tenantId: TENANT_ID,
    resource: `users/${USER_ID}/messages`,
    changeType: 'created,updated,deleted',
    clientState: `cs-${randomUUID()}`,
    notificationUrl: 'https://hooks.example.com/api/notifications?code=abc',
    lifecycleNotificationUrl: 'https://hooks.example.com/api/lifecycle?code=abc',
    expirationDateTime: '2026-05-03T10:00:00.000Z',
    includeResourceData: false,
    encryptionCertificateId: undefined,
    status: 'active',
    lastRenewedAt: undefined,
    lastError: undefined,
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

type Item = Record<string, unknown>;

export function outlookMessageNotification(
  subscription: Pick<SubscriptionRecord, 'subscriptionId' | 'clientState' | 'tenantId'>,
  messageId = `AAMkAGUw${randomUUID()}AAA=`,
): Item {
  return {
    id: 'lsgTZMr9KwAAA',
    subscriptionId: subscription.subscriptionId,
    subscriptionExpirationDateTime: '2026-05-02T10:00:00+00:00',
    clientState: subscription.clientState,
    changeType: 'created',
    resource: `Users/${USER_ID}/Messages/${messageId}`,
    tenantId: subscription.tenantId,
    resourceData: {
      '@odata.type': '#Microsoft.Graph.Message',
      '@odata.id': `Users/${USER_ID}/Messages/${messageId}`,
      '@odata.etag': 'W/"CQAAABYAAACQ2fKdhq8oSKEDSVrdi3lRAAGDUUXn"',
      id: messageId,
    },
  };
}

export function userNotification(
  subscription: Pick<SubscriptionRecord, 'subscriptionId' | 'clientState' | 'tenantId'>,
  userId = randomUUID(),
): Item {
  return {
    changeType: 'updated',
    clientState: subscription.clientState,
    resource: `Users/${userId}`,
    resourceData: {
      '@odata.type': '#Microsoft.Graph.User',
      '@odata.id': `Users/${userId}`,
      id: userId,
      organizationId: subscription.tenantId,
      eventTime: '2026-05-01T09:00:00.0000000Z',
      sequenceNumber: '638512345678901234',
    },
    subscriptionExpirationDateTime: '2026-05-20T09:00:00+00:00',
    subscriptionId: subscription.subscriptionId,
    tenantId: subscription.tenantId,
  };
}

export function driveRootNotification(
  subscription: Pick<SubscriptionRecord, 'subscriptionId' | 'clientState' | 'tenantId'>,
  driveId = 'b!drive-1',
): Item {
  return {
    subscriptionId: subscription.subscriptionId,
    subscriptionExpirationDateTime: '2026-05-20T09:00:00-08:00',
    clientState: subscription.clientState,
    changeType: 'updated',
    resource: `drives/${driveId}/root/`,
    tenantId: subscription.tenantId,
    resourceData: null,
  };
}

export function lifecycleNotification(
  subscription: Pick<SubscriptionRecord, 'subscriptionId' | 'clientState' | 'tenantId'>,
  lifecycleEvent = 'reauthorizationRequired',
  variant: 'tenantId' | 'organizationId' = 'tenantId',
): Item {
  const base: Item = {
    subscriptionId: subscription.subscriptionId,
    subscriptionExpirationDateTime: '2026-05-02T10:00:00.0000000Z',
    clientState: subscription.clientState,
    lifecycleEvent,
  };
  if (variant === 'tenantId') return { ...base, tenantId: subscription.tenantId };
  // The Exchange variant seen on the wire (docs/graph-protocol.md §4.2): organizationId instead of tenantId, extra fields.
  return {
    ...base,
    organizationId: subscription.tenantId,
    resource: `Subscriptions/${subscription.subscriptionId}`,
    resourceChangeType: null,
    encryptedContent: null,
    resourceData: {
      '@odata.id': `subscriptions/${subscription.subscriptionId}`,
      '@odata.type': '#microsoft.graph.subscription',
      id: subscription.subscriptionId,
    },
  };
}

export function collection(items: readonly Item[], validationTokens?: readonly string[]): string {
  return JSON.stringify(validationTokens === undefined ? { value: items } : { value: items, validationTokens });
}
