/**
 * Keeping one subscription alive: renew (PATCH, which also reauthorizes), reauthorize, recreate after
 * Graph lost it (404, subscriptionRemoved, missing at the drift check) followed by a delta resync
 * (src/lib/resync), finish an interrupted deletion, and resolve a create intent a crash left behind.
 * Shared by the reconciler, the lifecycle handler and the management API.
 *
 * Each step leases the record first (see records.ts), so concurrent workers never both call Graph for
 * one subscription. Outcomes say what happened instead of throwing for the expected cases: Graph's
 * 429 comes back as `throttled` with its Retry-After (the caller stops calling that tenant), other
 * transient failures as `retry` (left for the next run), and refusals (400/403) mark the record
 * `failed` with an operator-actionable reason and come back as `failed` (`classifyFailure` decides which).
 */
import { GraphError, GraphResourceNotFound, GraphResponseInvalid, MAX_BATCH_REQUESTS } from '../graph';
import { classifyFailure } from '../shared/classifyFailure';
import { StorageConflict } from '../shared/errors';
import { describeError } from '../shared/redact';
import { recordRenewal } from '../telemetry';
import { resyncSubscription } from '../resync/resyncSubscription';
import { routeOfUrl, routeUrls } from '../delivery/deliveryUrls';
import type { DeliveryRoute } from '../config/settings/delivery';
import { carryOutIntent, recordIntent } from './createSubscription';
import type { SubscriptionDependencies } from './dependencies';
import { SubscriptionDuplicate, SubscriptionRefused, SubscriptionsNotConfigured } from './errors';
import {
  deleteGraphSubscription,
  displayUrl,
  explainGraphRefusal,
  webhookUnreachableOnRenewal,
  reauthorizeGraphSubscription,
  renewGraphSubscriptions,
  type GraphSubscription,
  type RenewalRequest,
} from './graphSubscriptionApi';
import { claim, reauthorizeRenewWaitMs, revise, settle } from './records';
import type { StoredSubscription } from './subscriptionRecord';
import { combinationKey, renewalExpiration } from './subscriptionRules';

export type MaintenanceOutcome =
  | {
      readonly outcome: 'renewed' | 'reauthorized' | 'resynced' | 'deleted' | 'cleaned';
      readonly subscriptionId: string;
    }
  | { readonly outcome: 'recreated' | 'adopted'; readonly subscriptionId: string; readonly record: StoredSubscription }
  /** Nothing to do, or another worker holds the subscription. */
  | { readonly outcome: 'skipped'; readonly subscriptionId: string; readonly reason: string }
  /** Graph refused; the record is marked failed with `reason`. `error` is the explained refusal. */
  | { readonly outcome: 'failed'; readonly subscriptionId: string; readonly reason: string; readonly error?: unknown }
  /** Graph answered 429: stop calling this tenant for `retryAfterMs`. */
  | {
      readonly outcome: 'throttled';
      readonly subscriptionId: string;
      readonly retryAfterMs: number;
      readonly error?: unknown;
    }
  /** A transient failure (5xx, network, storage); the next run tries again. */
  | { readonly outcome: 'retry'; readonly subscriptionId: string; readonly reason: string; readonly error?: unknown };

interface RenewalOptions {
  /** Renew even inside the reauthorize/renew window (an operator's explicit renew). */
  readonly force?: boolean;
}

interface LeasedOptions {
  /** The caller already holds the record's lease (`claim`). */
  readonly leased?: boolean;
}

/** Renewals never move the expiry backwards past this: one that expires sooner than this is renewed despite a recent reauthorize. */
const IMMINENT_EXPIRY_MS = 15 * 60_000;

/**
 * Renews to the kind's maximum less the margin, or recreates: a record already `removed`, or a 404 to the
 * PATCH (Graph lost it), is recreated and resynced. Not sent inside the reauthorize/renew window
 * (`reauthorizeRenewWaitMs`) unless the expiry is imminent or `force` is set.
 */
export async function renewOrRecreateSubscription(
  record: StoredSubscription,
  deps: SubscriptionDependencies,
  options: RenewalOptions = {},
): Promise<MaintenanceOutcome> {
  const [outcome] = await renewOrRecreateSubscriptions([record], deps, options);
  if (outcome === undefined) throw new TypeError('renewOrRecreateSubscriptions answered no outcome');
  return outcome;
}

/** A claimed subscription ready for its PATCH. */
interface PreparedRenewal {
  readonly claimed: StoredSubscription;
  readonly request: RenewalRequest;
}

/**
 * Renews (or recreates) several subscriptions of one tenant like `renewOrRecreateSubscription`, their PATCHes in
 * `$batch` calls of up to 20 (Graph accepts subscription requests in a batch and throttles each one inside it). Outcomes
 * come back in the order of `records`; a 429 on one PATCH is that subscription's `throttled` outcome.
 */
export async function renewOrRecreateSubscriptions(
  records: readonly StoredSubscription[],
  deps: SubscriptionDependencies,
  options: RenewalOptions = {},
): Promise<MaintenanceOutcome[]> {
  const tenantId = records[0]?.tenantId ?? '';
  if (records.some((record) => record.tenantId !== tenantId))
    throw new TypeError('renewOrRecreateSubscriptions takes subscriptions of one tenant');
  const outcomes = new Map<string, MaintenanceOutcome>();
  const prepared: PreparedRenewal[] = [];
  // Each record is its own table partition, so the leases cannot share a transaction: they are written concurrently.
  for (const ready of await Promise.all(records.map((record) => prepareRenewal(record, deps, options)))) {
    if ('outcome' in ready) outcomes.set(ready.subscriptionId, ready);
    else prepared.push(ready);
  }
  for (let start = 0; start < prepared.length; start += MAX_BATCH_REQUESTS) {
    const chunk = prepared.slice(start, start + MAX_BATCH_REQUESTS);
    let answers: (GraphSubscription | GraphError)[];
    try {
      answers = await renewGraphSubscriptions(
        deps.graph,
        tenantId,
        chunk.map((renewal) => renewal.request),
      );
    } catch (error) {
      // The whole call failed (network, envelope 5xx or 429): every renewal in it shares the error.
      if (!(error instanceof GraphError)) {
        await Promise.all(chunk.map((renewal) => settle(renewal.claimed, deps, deps.clock.now(), {})));
        throw error;
      }
      answers = chunk.map(() => error);
    }
    for (const outcome of await Promise.all(
      chunk.map((renewal, index) => completeRenewal(renewal, answers[index], deps)),
    ))
      outcomes.set(outcome.subscriptionId, outcome);
  }
  return records.map((record) => outcomes.get(record.subscriptionId) ?? skipped(record.subscriptionId, 'not renewed'));
}

async function prepareRenewal(
  record: StoredSubscription,
  deps: SubscriptionDependencies,
  options: RenewalOptions,
): Promise<PreparedRenewal | MaintenanceOutcome> {
  const now = deps.clock.now();
  const id = record.subscriptionId;
  if (record.status === 'removed') return recreateSubscription(record, 'the subscription was removed by Graph', deps);
  const claimed = await claim(record, deps, now);
  if (claimed === undefined) return skipped(id, 'another worker holds it');
  const expiresSoon = Date.parse(claimed.expirationDateTime) - now.getTime() < IMMINENT_EXPIRY_MS;
  if (options.force !== true && !expiresSoon && reauthorizeRenewWaitMs(claimed, 'renew', now) > 0) {
    await settle(claimed, deps, now, {});
    return skipped(id, 'reauthorized less than 10 minutes ago; renewing later keeps Graph consistent');
  }
  const expiration = renewalExpiration(claimed, deps.settings, now);
  const encryption = deps.settings.encryption;
  const rotate =
    claimed.includeResourceData &&
    encryption !== undefined &&
    claimed.encryptionCertificateId !== encryption.certificateId
      ? encryption
      : undefined;
  return { claimed, request: { subscriptionId: id, expirationDateTime: expiration, encryption: rotate } };
}

async function completeRenewal(
  { claimed, request }: PreparedRenewal,
  answer: GraphSubscription | GraphError | undefined,
  deps: SubscriptionDependencies,
): Promise<MaintenanceOutcome> {
  const now = deps.clock.now();
  const id = claimed.subscriptionId;
  if (answer === undefined || answer instanceof GraphError) {
    if (answer instanceof GraphResourceNotFound) {
      return recreateSubscription(
        claimed,
        'Graph answered 404 to the renewal: the subscription expired or was removed',
        deps,
        { leased: true },
      );
    }
    return graphFailure(
      claimed,
      answer ?? new GraphResponseInvalid('Graph answered nothing for this renewal'),
      'renewal',
      deps,
      now,
    );
  }
  const rotated = request.encryption;
  const saved = await settle(claimed, deps, now, {
    status: 'active',
    expirationDateTime: new Date(answer.expirationDateTime).toISOString(),
    lastRenewedAt: now.toISOString(),
    lastError: undefined,
    ...(rotated === undefined ? {} : { encryptionCertificateId: rotated.certificateId }),
  });
  recordRenewal('renewed');
  deps.log.info(
    `Renewed subscription ${id} until ${answer.expirationDateTime}${saved === undefined ? ' (record changed meanwhile)' : ''}`,
  );
  return { outcome: 'renewed', subscriptionId: id };
}

/**
 * Answers a reauthorizationRequired challenge without changing the expiry. Skipped when the subscription
 * was renewed or reauthorized less than 10 minutes ago: that already answered the challenge, and a
 * second call so close could leave Graph inconsistent (docs/graph-protocol.md §1.5, §4.1).
 */
export async function reauthorizeSubscription(
  record: StoredSubscription,
  deps: SubscriptionDependencies,
): Promise<MaintenanceOutcome> {
  const now = deps.clock.now();
  const id = record.subscriptionId;
  const claimed = await claim(record, deps, now);
  if (claimed === undefined) return skipped(id, 'another worker holds it');
  if (reauthorizeRenewWaitMs(claimed, 'reauthorize', now) > 0) {
    await settle(claimed, deps, now, {});
    return skipped(id, 'renewed or reauthorized less than 10 minutes ago');
  }
  try {
    await reauthorizeGraphSubscription(deps.graph, claimed.tenantId, id);
  } catch (error) {
    if (error instanceof GraphResourceNotFound) {
      return recreateSubscription(
        claimed,
        'Graph answered 404 to reauthorize: the subscription expired or was removed',
        deps,
        { leased: true },
      );
    }
    return graphFailure(claimed, error, 'reauthorization', deps, now);
  }
  await settle(claimed, deps, now, { lastReauthorizedAt: now.toISOString(), lastError: undefined });
  recordRenewal('reauthorized');
  deps.log.info(`Reauthorized subscription ${id}`);
  return { outcome: 'reauthorized', subscriptionId: id };
}

/**
 * Replaces a subscription Graph no longer has with a new one (new id, new clientState) through a create
 * intent, removes the old record, and resyncs the resource, since nothing was delivered in between
 * (docs/graph-protocol.md §4.1, §6.3). A resync that cannot run now stays owed (`resyncPendingSince`).
 */
export async function recreateSubscription(
  record: StoredSubscription,
  reason: string,
  deps: SubscriptionDependencies,
  options: LeasedOptions = {},
): Promise<MaintenanceOutcome> {
  const now = deps.clock.now();
  const id = record.subscriptionId;
  const claimed = options.leased === true ? record : await claim(record, deps, now);
  if (claimed === undefined) return skipped(id, 'another worker holds it');
  // A recreation keeps the route the subscription was created on.
  const delivery = routeOfUrl(claimed.notificationUrl);
  try {
    routeUrls(delivery, deps.settings);
  } catch (error) {
    if (error instanceof SubscriptionsNotConfigured)
      return markFailed(claimed, `${reason}; it cannot be recreated because ${error.message}`, deps, now);
    throw error;
  }
  // Mark it removed first: if this worker dies, the next run sees a removed subscription and recreates it.
  const old = await markRemoved(claimed, reason, deps, now);
  if (old === undefined) return skipped(id, 'changed by another worker');
  const created = await createReplacement(old, reason, delivery, deps, now);
  if ('outcome' in created) return created;
  await deps.repository.delete(id, old.etag).catch((error: unknown) => {
    deps.log.warn(
      `Recreated ${id} as ${created.subscriptionId} but could not remove the old record (the reconciler will): ${describeError(error)}`,
    );
  });
  recordRenewal('recreated');
  deps.log.warn(`Subscription ${id} was lost (${reason}); recreated as ${created.subscriptionId}`);
  await resyncSubscription(created, deps).catch((error: unknown) => {
    deps.log.warn(
      `Resync after recreating ${created.subscriptionId} did not complete; the reconciler retries it: ${describeError(error)}`,
    );
  });
  return { outcome: 'recreated', subscriptionId: id, record: created };
}

/** Records the subscription as `removed` with a resync owed; undefined when another worker changed it first. */
async function markRemoved(
  claimed: StoredSubscription,
  reason: string,
  deps: SubscriptionDependencies,
  now: Date,
): Promise<StoredSubscription | undefined> {
  try {
    return await deps.repository.update(
      revise(claimed, now, {
        status: 'removed',
        lastError: reason,
        resyncPendingSince: claimed.resyncPendingSince ?? now.toISOString(),
      }),
      claimed.etag,
    );
  } catch (error) {
    if (error instanceof StorageConflict) return undefined;
    throw error;
  }
}

/** Creates the replacement of a removed subscription through a create intent, or says why it could not. */
async function createReplacement(
  old: StoredSubscription,
  reason: string,
  delivery: DeliveryRoute,
  deps: SubscriptionDependencies,
  now: Date,
): Promise<StoredSubscription | MaintenanceOutcome> {
  const expirationDateTime = renewalExpiration(old, deps.settings, now);
  try {
    const intent = await recordIntent(
      {
        tenantId: old.tenantId,
        resource: old.resource,
        requestedResource: old.requestedResource,
        changeType: old.changeType,
        includeResourceData: old.includeResourceData,
        expirationDateTime,
        origin: old.origin ?? 'operator',
        replaces: old.subscriptionId,
        delivery,
      },
      deps,
      now,
    );
    return await carryOutIntent(intent, deps, { resyncPendingSince: old.resyncPendingSince ?? now.toISOString() });
  } catch (error) {
    if (error instanceof SubscriptionsNotConfigured) return markFailed(old, `${reason}; ${error.message}`, deps, now);
    return graphFailure(old, error, 'recreation', deps, now);
  }
}

/** Completes a deletion (status `deleted`, or marks it so): Graph DELETE (404 is fine), then the row. */
export async function finishDeletion(
  record: StoredSubscription,
  deps: SubscriptionDependencies,
  options: LeasedOptions = {},
): Promise<MaintenanceOutcome> {
  const now = deps.clock.now();
  const id = record.subscriptionId;
  const claimed = options.leased === true ? record : await claim(record, deps, now);
  if (claimed === undefined) return skipped(id, 'another worker holds it');
  const marked =
    claimed.status === 'deleted'
      ? claimed
      : await deps.repository.update(revise(claimed, now, { status: 'deleted' }), claimed.etag);
  try {
    await deleteGraphSubscription(deps.graph, marked.tenantId, id);
  } catch (error) {
    // Stays `deleted` without a lease: the next attempt (API retry or reconciler) finishes it.
    await settle(marked, deps, now, {});
    const failure = classifyFailure(error);
    if (failure.kind === 'throttled')
      return { outcome: 'throttled', subscriptionId: id, retryAfterMs: failure.retryAfterMs ?? 0, error };
    return { outcome: 'retry', subscriptionId: id, reason: `Graph DELETE failed: ${describeError(error)}`, error };
  }
  await deps.repository.delete(id, marked.etag);
  deps.log.info(`Deleted subscription ${id} (${marked.changeType} on ${marked.resource})`);
  return { outcome: 'deleted', subscriptionId: id };
}

/**
 * Resolves a create intent older than any create can take: adopts the Graph subscription that matches it
 * (same tenant, resource, change types and webhook, not yet in the table) with the intent's clientState,
 * owing a resync for what was refused meanwhile; otherwise removes the intent, since Graph created nothing.
 */
export async function resolveIntent(
  intent: StoredSubscription,
  inGraph: readonly GraphSubscription[],
  knownIds: Set<string>,
  deps: SubscriptionDependencies,
): Promise<MaintenanceOutcome> {
  const now = deps.clock.now();
  const claimed = await claim(intent, deps, now);
  if (claimed === undefined) return skipped(intent.subscriptionId, 'another worker holds it');
  const key = combinationKey(claimed);
  const match = inGraph.find(
    (subscription) =>
      !knownIds.has(subscription.id) &&
      combinationKey({
        tenantId: claimed.tenantId,
        resource: subscription.resource,
        changeType: subscription.changeType,
      }) === key &&
      displayUrl(subscription.notificationUrl) === displayUrl(claimed.notificationUrl),
  );
  if (match === undefined) {
    await deps.repository.delete(claimed.subscriptionId, claimed.etag);
    deps.log.warn(
      `Removed create intent ${claimed.subscriptionId} (${claimed.changeType} on ${claimed.resource}): Graph has no matching subscription, so the create never happened`,
    );
    return { outcome: 'cleaned', subscriptionId: claimed.subscriptionId };
  }
  const { etag: _etag, leaseUntil: _lease, replaces, ...fields } = claimed;
  const adopted = await deps.repository.create({
    ...fields,
    subscriptionId: match.id,
    status: 'active',
    expirationDateTime: new Date(match.expirationDateTime).toISOString(),
    lastRenewedAt: claimed.createdAt,
    updatedAt: now.toISOString(),
    // Notifications Graph sent before now were refused as unknown: catch up with delta.
    resyncPendingSince: claimed.createdAt,
  });
  knownIds.add(match.id);
  await deps.repository.delete(claimed.subscriptionId, claimed.etag);
  if (replaces !== undefined) {
    const old = await deps.repository.get(replaces);
    if (old?.status === 'removed') await deps.repository.delete(replaces, old.etag).catch(() => undefined);
  }
  deps.log.warn(
    `Adopted Graph subscription ${match.id} left by an interrupted create (intent ${claimed.subscriptionId})`,
  );
  return { outcome: 'adopted', subscriptionId: match.id, record: adopted };
}

function skipped(subscriptionId: string, reason: string): MaintenanceOutcome {
  return { outcome: 'skipped', subscriptionId, reason };
}

async function markFailed(
  claimed: StoredSubscription,
  reason: string,
  deps: SubscriptionDependencies,
  now: Date,
  error?: unknown,
): Promise<MaintenanceOutcome> {
  await settle(claimed, deps, now, { status: 'failed', lastError: reason });
  recordRenewal('failed');
  deps.log.error(
    `Subscription ${claimed.subscriptionId} (${claimed.changeType} on ${claimed.resource}) failed: ${reason}`,
  );
  return {
    outcome: 'failed',
    subscriptionId: claimed.subscriptionId,
    reason,
    ...(error === undefined ? {} : { error }),
  };
}

/**
 * By `classifyFailure`: 429 → throttled (lease dropped); transient failures (5xx, network, storage, a repeated
 * handshake on a renewal or reauthorize that could not reach the webhook) and a refused credential (a problem of the app, not of this subscription) → retry with lastError; Graph's
 * refusals (400/403/409) and their explanations → failed. Anything else is a bug and is rethrown.
 */
async function graphFailure(
  claimed: StoredSubscription,
  caught: unknown,
  step: string,
  deps: SubscriptionDependencies,
  now: Date,
): Promise<MaintenanceOutcome> {
  const id = claimed.subscriptionId;
  // A renewal or reauthorize whose repeated handshake could not reach the webhook is retried, never `failed`.
  const error = (step === 'recreation' ? undefined : webhookUnreachableOnRenewal(caught, claimed, step)) ?? caught;
  const failure = classifyFailure(error);
  if (failure.kind === 'throttled') {
    await settle(claimed, deps, now, {});
    return { outcome: 'throttled', subscriptionId: id, retryAfterMs: failure.retryAfterMs ?? 0, error };
  }
  if (failure.kind === 'transient' || failure.kind === 'credential') {
    const reason = `${step} failed transiently, will retry: ${describeError(error)}`;
    await settle(claimed, deps, now, { lastError: reason });
    deps.log.warn(`Subscription ${id}: ${reason}`);
    return { outcome: 'retry', subscriptionId: id, reason, error };
  }
  // Only a refusal from Graph (or its explanation) is this subscription's failure; another permanent error
  // here (a lost storage race, a bad record) is a bug.
  if (
    failure.kind === 'permanent' &&
    (error instanceof GraphError || error instanceof SubscriptionRefused || error instanceof SubscriptionDuplicate)
  ) {
    const explained = explainGraphRefusal(error, claimed);
    return markFailed(
      claimed,
      `${step} refused: ${explained instanceof Error ? explained.message : describeError(explained)}`,
      deps,
      now,
      explained,
    );
  }
  await settle(claimed, deps, now, {});
  throw error;
}
