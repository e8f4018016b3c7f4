/**
 * Creating a subscription: intent before action. The request is checked against the rules (no Graph call
 * when it breaks one), a `pending` intent holding the new clientState is stored, Graph is called, and only
 * then is the record stored under Graph's id and the intent removed. A crash or a Graph timeout between
 * the two leaves the intent, which the reconciler resolves (adopts the Graph subscription that matches it,
 * or removes it when Graph has none), so Graph never holds a subscription the table does not know.
 *
 * The clientState is 48 random bytes, base64url (64 characters, under Graph's 128-character limit on the
 * v1.0 page, docs/graph-protocol.md §13.1), and never leaves the table except towards Graph.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { classifyFailure } from '../shared/classifyFailure';
import type { DeliveryRoute } from '../config/settings/delivery';
import { defaultRoute, routeOfUrl, routeUrls } from '../delivery/deliveryUrls';
import { StorageConflict } from '../shared/errors';
import { describeError } from '../shared/redact';
import type { SubscriptionDependencies } from './dependencies';
import { SubscriptionDuplicate } from './errors';
import { createGraphSubscription, explainGraphRefusal } from './graphSubscriptionApi';
import {
  intentKey,
  type StoredSubscription,
  type SubscriptionOrigin,
  type SubscriptionRecord,
} from './subscriptionRecord';
import { resolveSubscriptionResource } from './resolveSubscriptionResource';
import { combinationKey, planSubscription, type SubscriptionRequest } from './subscriptionRules';

export function newClientState(): string {
  return randomBytes(48).toString('base64url');
}

export interface IntentSpec {
  readonly tenantId: string;
  readonly resource: string;
  /** The resource as asked for, when it was resolved to Graph's form (`resolveSubscriptionResource`). */
  readonly requestedResource?: string | undefined;
  readonly changeType: string;
  readonly includeResourceData: boolean;
  readonly expirationDateTime: string;
  readonly origin: SubscriptionOrigin;
  /** Set when the intent recreates a removed subscription. */
  readonly replaces?: string | undefined;
  /** Default: DEFAULT_DELIVERY. */
  readonly delivery?: DeliveryRoute | undefined;
}

/** Stores the `pending` intent: the only record of the new clientState until Graph has answered. */
export async function recordIntent(
  spec: IntentSpec,
  deps: SubscriptionDependencies,
  now: Date,
): Promise<StoredSubscription> {
  const { notificationUrl, lifecycleNotificationUrl } = routeUrls(
    spec.delivery ?? defaultRoute(deps.settings),
    deps.settings,
  );
  const at = now.toISOString();
  const intent: SubscriptionRecord = {
    subscriptionId: intentKey((deps.newIntentId ?? randomUUID)()),
    tenantId: spec.tenantId,
    resource: spec.resource,
    changeType: spec.changeType,
    clientState: (deps.newClientState ?? newClientState)(),
    notificationUrl,
    lifecycleNotificationUrl,
    expirationDateTime: spec.expirationDateTime,
    includeResourceData: spec.includeResourceData,
    encryptionCertificateId: spec.includeResourceData ? deps.settings.encryption?.certificateId : undefined,
    status: 'pending',
    lastRenewedAt: undefined,
    lastError: undefined,
    createdAt: at,
    updatedAt: at,
    origin: spec.origin,
    ...(spec.replaces === undefined ? {} : { replaces: spec.replaces }),
    ...(spec.requestedResource === undefined ? {} : { requestedResource: spec.requestedResource }),
  };
  return deps.repository.create(intent);
}

/**
 * Calls Graph for a stored intent and, on success, stores the record under Graph's id and removes the
 * intent. Graph's refusals are thrown as operator-actionable errors (`explainGraphRefusal`). The intent
 * is removed when Graph certainly created nothing (a refusal or a 429); after a timeout or a 5xx Graph may
 * have created it, so the intent stays for the reconciler to resolve.
 */
export async function carryOutIntent(
  intent: StoredSubscription,
  deps: SubscriptionDependencies,
  extra: { readonly resyncPendingSince?: string } = {},
): Promise<StoredSubscription> {
  const notificationUrl = intent.notificationUrl;
  let created;
  try {
    created = await createGraphSubscription(deps.graph, intent.tenantId, {
      changeType: intent.changeType,
      notificationUrl,
      lifecycleNotificationUrl: intent.lifecycleNotificationUrl,
      resource: intent.resource,
      expirationDateTime: intent.expirationDateTime,
      clientState: intent.clientState,
      includeResourceData: intent.includeResourceData,
      encryption: intent.includeResourceData ? deps.settings.encryption : undefined,
      // Graph puts a rich notification too large for one event in this store ("… through Azure Event Hubs").
      blobStoreUrl:
        intent.includeResourceData && routeOfUrl(notificationUrl) === 'eventHubs'
          ? deps.settings.delivery?.eventHubsBlobStoreUrl
          : undefined,
    });
  } catch (error) {
    // A 429 or a refusal created nothing; only a transient failure (no answer) may have.
    if (classifyFailure(error).kind !== 'transient') {
      await deps.repository.delete(intent.subscriptionId, intent.etag).catch((cleanup: unknown) => {
        deps.log.warn(
          `Could not remove create intent ${intent.subscriptionId} after Graph refused it (the reconciler will): ${describeError(cleanup)}`,
        );
      });
    } else {
      deps.log.warn(
        `Graph create for intent ${intent.subscriptionId} ended without an answer; the reconciler will adopt or remove it: ${describeError(error)}`,
      );
    }
    throw explainGraphRefusal(error, intent);
  }

  const now = deps.clock.now();
  const { etag: _etag, subscriptionId: _intentKey, leaseUntil: _lease, replaces: _replaces, ...fields } = intent;
  const record: SubscriptionRecord = {
    ...fields,
    subscriptionId: created.id,
    status: 'active',
    expirationDateTime: new Date(created.expirationDateTime).toISOString(),
    lastRenewedAt: now.toISOString(),
    lastError: undefined,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    ...(extra.resyncPendingSince === undefined ? {} : { resyncPendingSince: extra.resyncPendingSince }),
  };
  const stored = await deps.repository.create(record);
  await deps.repository.delete(intent.subscriptionId, intent.etag).catch((error: unknown) => {
    // Harmless: the reconciler finds the Graph subscription already in the table and drops the intent.
    deps.log.warn(`Could not remove create intent ${intent.subscriptionId}: ${describeError(error)}`);
  });
  deps.log.info(
    `Created subscription ${stored.subscriptionId} (${stored.changeType} on ${stored.resource}, tenant ${stored.tenantId}), expires ${stored.expirationDateTime}`,
  );
  return stored;
}

/**
 * The create use case behind `POST /api/subscriptions`, `graph-notify subscriptions create` and the
 * desired-state pass. Throws `SubscriptionRuleViolated` / `SubscriptionRequestInvalid` before any Graph
 * call, `SubscriptionUserNotFound` when the resource names a user principal name Graph does not know,
 * `SubscriptionDuplicate` when graph-notify already manages the same subscription, and Graph's
 * refusals explained (`SubscriptionRefused`, `SubscriptionDuplicate`); 429/5xx as `GraphThrottled` /
 * `GraphUnavailable`.
 */
export async function createSubscription(
  request: SubscriptionRequest,
  deps: SubscriptionDependencies,
  options: { readonly origin?: SubscriptionOrigin } = {},
): Promise<StoredSubscription> {
  const now = deps.clock.now();
  const checked = planSubscription(request, deps.settings, now);
  routeUrls(checked.delivery, deps.settings);
  for (const warning of checked.warnings) deps.log.warn(`Subscription request: ${warning}`);
  // One key per resource: a user principal name becomes the user's id, an owner's drive the drive, before anything
  // is stored or subscribed.
  const plan = { ...checked, ...(await resolveSubscriptionResource(checked.resource, checked.tenantId, deps.graph)) };
  const key = combinationKey(plan);
  const existing = (await deps.repository.list()).find(
    (record) => record.status !== 'deleted' && combinationKey(record) === key,
  );
  if (existing !== undefined) {
    throw new SubscriptionDuplicate(
      `graph-notify already manages subscription ${existing.subscriptionId} (${existing.status}) for ${plan.changeType} on ${plan.resource} in tenant ${plan.tenantId}; Graph allows only one per app, resource and change types`,
      existing.subscriptionId,
    );
  }
  let intent: StoredSubscription;
  try {
    intent = await recordIntent({ ...plan, origin: options.origin ?? 'operator' }, deps, now);
  } catch (error) {
    if (error instanceof StorageConflict)
      throw new TypeError('intent key collision: the intent id generator must produce unique ids', { cause: error });
    throw error;
  }
  // An initial sync is owed from the start: the next reconcile run pays it (throttle-aware, one run per
  // resource), so the create answers at once however large the resource is.
  return carryOutIntent(intent, deps, plan.initialSync ? { resyncPendingSince: now.toISOString() } : {});
}
