/**
 * A subscription as the management API and the CLI show it: status, expiry, last renewal and last error,
 * webhook URLs without their query string (function key); never the clientState.
 */
import type { DeliveryRoute } from '../config/settings/delivery';
import { routeOfUrl } from '../delivery/deliveryUrls';
import { kindOfStoredSubscription, type ResourceKindName, type ResourceLevel } from '../resources';
import { displayUrl } from './graphSubscriptionApi';
import { isIntentKey, type SubscriptionRecord, type SubscriptionStatus } from './subscriptionRecord';

export interface SubscriptionView {
  readonly id: string;
  readonly tenantId: string;
  readonly resource: string;
  /** The resource as it was asked for, when a user principal name in it was resolved to the id; else null. */
  readonly requestedResource: string | null;
  /** The resource kind (docs/resources.md); `unlisted` for a resource subscribed with `unlisted: true`. */
  readonly kind: ResourceKindName;
  /** How much of the resource graph-notify keeps: mirroredAndResynced, mirrored or notificationsOnly. */
  readonly level: ResourceLevel;
  readonly changeType: string;
  readonly status: SubscriptionStatus;
  readonly expirationDateTime: string;
  readonly lastRenewedAt: string | null;
  readonly lastReauthorizedAt: string | null;
  readonly lastError: string | null;
  readonly includeResourceData: boolean;
  readonly origin: 'operator' | 'desiredState';
  /** Changes may have been missed and a delta resync is owed since this instant. */
  readonly resyncPendingSince: string | null;
  /** How Graph delivers: webhook, eventGrid or eventHubs (read from the notificationUrl Graph was given). */
  readonly delivery: DeliveryRoute;
  readonly notificationUrl: string;
  readonly lifecycleNotificationUrl: string | null;
  /** True for a create intent not yet confirmed by Graph (id `intent-…`). */
  readonly intent: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export function toSubscriptionView(record: SubscriptionRecord): SubscriptionView {
  const kind = kindOfStoredSubscription(record.resource);
  return {
    id: record.subscriptionId,
    tenantId: record.tenantId,
    resource: record.resource,
    requestedResource: record.requestedResource ?? null,
    kind: kind.name,
    level: kind.level,
    changeType: record.changeType,
    status: record.status,
    expirationDateTime: record.expirationDateTime,
    lastRenewedAt: record.lastRenewedAt ?? null,
    lastReauthorizedAt: record.lastReauthorizedAt ?? null,
    lastError: record.lastError ?? null,
    includeResourceData: record.includeResourceData,
    origin: record.origin ?? 'operator',
    resyncPendingSince: record.resyncPendingSince ?? null,
    delivery: routeOfUrl(record.notificationUrl),
    notificationUrl: displayUrl(record.notificationUrl),
    lifecycleNotificationUrl:
      record.lifecycleNotificationUrl === undefined ? null : displayUrl(record.lifecycleNotificationUrl),
    intent: isIntentKey(record.subscriptionId),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}
