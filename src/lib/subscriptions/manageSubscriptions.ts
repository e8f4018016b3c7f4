/**
 * The operator's use cases, behind the management API and the CLI: list, show, create, delete and renew
 * one subscription by id. They answer views (never the clientState) and throw coded errors the HTTP
 * adapter maps to problem responses and the CLI to exit codes.
 */
import { GraphThrottled, GraphUnavailable } from '../graph';
import { createSubscription } from './createSubscription';
import type { SubscriptionDependencies } from './dependencies';
import { SubscriptionBusy, SubscriptionNotFound, SubscriptionRefused } from './errors';
import { finishDeletion, renewOrRecreateSubscription, type MaintenanceOutcome } from './maintainSubscription';
import { claim, revise } from './records';
import type { StoredSubscription } from './subscriptionRecord';
import { kindOfSubscriptionResource } from '../resources';
import { unlistedWarning, type SubscriptionRequest } from './subscriptionRules';
import { toSubscriptionView, type SubscriptionView } from './subscriptionView';

export async function listSubscriptions(
  deps: Pick<SubscriptionDependencies, 'repository'>,
): Promise<SubscriptionView[]> {
  const records = await deps.repository.list();
  return records
    .map(toSubscriptionView)
    .sort(
      (a, b) =>
        a.tenantId.localeCompare(b.tenantId) || a.resource.localeCompare(b.resource) || a.id.localeCompare(b.id),
    );
}

export async function getSubscription(
  subscriptionId: string,
  deps: Pick<SubscriptionDependencies, 'repository'>,
): Promise<SubscriptionView> {
  return toSubscriptionView(await existing(subscriptionId, deps));
}

/** The create answer: the subscription, with its `level`, and what the operator should know about it. */
export interface CreatedSubscriptionView extends SubscriptionView {
  readonly warnings: readonly string[];
}

export async function createManagedSubscription(
  request: SubscriptionRequest,
  deps: SubscriptionDependencies,
): Promise<CreatedSubscriptionView> {
  const stored = await createSubscription(request, deps, { origin: 'operator' });
  const warnings = kindOfSubscriptionResource(stored.resource) === undefined ? [unlistedWarning(stored.resource)] : [];
  return { ...toSubscriptionView(stored), warnings };
}

/**
 * Deletes it in Graph and then from the table. The record is marked `deleted` first, so a failure or crash
 * after that is finished by the reconciler; the error (429, 5xx) is still thrown so the caller knows.
 */
export async function deleteManagedSubscription(subscriptionId: string, deps: SubscriptionDependencies): Promise<void> {
  const record = await existing(subscriptionId, deps);
  if (record.status === 'pending') throw new SubscriptionBusy(subscriptionId);
  const now = deps.clock.now();
  const claimed = await claim(record, deps, now);
  if (claimed === undefined) throw new SubscriptionBusy(subscriptionId);
  const marked = await deps.repository.update(revise(claimed, now, { status: 'deleted' }), claimed.etag);
  throwUnlessDone(await finishDeletion(marked, deps, { leased: true }), subscriptionId);
}

/** Renews now (or recreates it when Graph lost it), also for a `failed` one after the cause was fixed. */
export async function renewManagedSubscription(
  subscriptionId: string,
  deps: SubscriptionDependencies,
): Promise<SubscriptionView> {
  const record = await existing(subscriptionId, deps);
  if (record.status === 'pending') throw new SubscriptionBusy(subscriptionId);
  const outcome = await renewOrRecreateSubscription(record, deps, { force: true });
  throwUnlessDone(outcome, subscriptionId);
  const current = outcome.outcome === 'recreated' ? outcome.record : await deps.repository.get(subscriptionId);
  if (current === undefined) throw new SubscriptionNotFound(subscriptionId);
  return toSubscriptionView(current);
}

async function existing(
  subscriptionId: string,
  deps: Pick<SubscriptionDependencies, 'repository'>,
): Promise<StoredSubscription> {
  const record = await deps.repository.get(subscriptionId);
  if (record === undefined || record.status === 'deleted') throw new SubscriptionNotFound(subscriptionId);
  return record;
}

function throwUnlessDone(outcome: MaintenanceOutcome, subscriptionId: string): void {
  switch (outcome.outcome) {
    case 'skipped':
      throw new SubscriptionBusy(subscriptionId);
    case 'failed':
      throw outcome.error instanceof Error ? outcome.error : new SubscriptionRefused('invalidRequest', outcome.reason);
    case 'throttled':
      throw outcome.error instanceof Error
        ? outcome.error
        : new GraphThrottled(`Graph throttled the request for subscription ${subscriptionId}`, {
            retryAfterMs: outcome.retryAfterMs,
            retryAfterFromHeader: true,
          });
    case 'retry':
      throw outcome.error instanceof Error
        ? outcome.error
        : new GraphUnavailable(outcome.reason, 'status', { retryAfterMs: 10_000, retryAfterFromHeader: false });
    default:
      return;
  }
}
