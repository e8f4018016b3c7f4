/**
 * The lifecycle use case behind the lifecycle queue trigger (docs/graph-protocol.md §4.1, §11 step 6). Ingest already
 * checked each item's subscription and clientState; here each event is acted on:
 *
 * - `reauthorizationRequired` → reauthorize, or renew when renewal is due anyway (a PATCH renews and
 *   reauthorizes), then resync: delivery paused until then and what changed meanwhile is lost. Never
 *   both within 10 minutes (docs/graph-protocol.md §1.5): a challenge inside that window (or while another worker
 *   holds the subscription) is recorded on it (`reauthorizationOwedSince`) and answered by the timer
 *   once the window has passed (`answerDeferredChallenges`), never dropped.
 * - `subscriptionRemoved` (`removed` on the old beta page, §13.14) → first asked of Graph (GET
 *   /subscriptions/{id}): only when Graph answers 404 is it recreated, then resynced (nothing is delivered
 *   between removal and re-creation). While Graph still has it the event is ignored and counted `unconfirmed`:
 *   anyone who saw one genuine notification holds the clientState and can forge it (docs/security.md).
 * - `missed` → resync from the stored deltaLink, at most once per MISSED_RESYNC_INTERVAL_MS for one
 *   subscription: an event a resync begun after it was received already answers is counted `coalesced`; one
 *   that arrives within the interval after the last resync waits on the queue until the interval ends.
 * - anything else → logged and counted as `unknown` (Graph may add events, §4.1).
 *
 * Work that cannot finish now never burns queue retries: a removal is recorded (status `removed`) and a
 * missed gap as an owed resync before Graph is called, so the reconciler completes them; a throttled or
 * failed reauthorization goes back on the lifecycle queue, delayed by Graph's Retry-After. Only storage
 * failures throw (the host retries the message, then poisons it).
 */
import { followUpEnvelope, type NotificationEnvelope } from '../notifications';
import { StorageConflict } from '../shared/errors';
import type { MessageSender } from '../storage';
import { classifyFailure } from '../shared/classifyFailure';
import { describeError } from '../shared/redact';
import { canResync, recordOwedResync, resyncSubscription } from '../resync';
import { revise } from '../subscriptions/records';
import {
  getGraphSubscription,
  isRenewalDue,
  reauthorizeRenewWaitMs,
  reauthorizeSubscription,
  recreateSubscription,
  renewOrRecreateSubscription,
  type MaintenanceOutcome,
  type StoredSubscription,
  type SubscriptionDependencies,
} from '../subscriptions';
import { recordLifecycleEvent } from '../telemetry';

export interface LifecycleDependencies extends SubscriptionDependencies {
  /** The lifecycle queue (the one this message came from): challenges not answerable now go back here, delayed. */
  readonly lifecycleQueue: MessageSender;
}

export type LifecycleAction =
  | 'reauthorized'
  | 'renewed'
  | 'recreated'
  | 'resynced'
  | 'skipped'
  | 'deferred'
  | 'failed'
  /** A subscriptionRemoved Graph does not confirm: it still has the subscription. */
  | 'unconfirmed'
  /** A missed already answered by a resync begun after it was received. */
  | 'coalesced'
  | 'unknownEvent'
  | 'unknownSubscription';

export interface LifecycleResult {
  readonly items: number;
  readonly actions: Readonly<Partial<Record<LifecycleAction, number>>>;
  /** Items put back on the queue. */
  readonly requeued: number;
}

/** The lifecycle invocation's one log line. */
export function describeLifecycleResult(result: LifecycleResult): string {
  return `Handled ${result.items} lifecycle event(s): ${JSON.stringify(result.actions)}; ${result.requeued} put back`;
}

/** What handling one event came to, and how long to wait before it is tried again when it goes back on the queue. */
interface Handled {
  readonly action: LifecycleAction;
  readonly putBackSeconds?: number;
}

type Item = Readonly<Record<string, unknown>>;
type KnownEvent = 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed';

/**
 * A burst of `missed` for one subscription costs at most one resync per this interval: Graph sends one per
 * gap, but anyone holding the clientState can send thousands (docs/security.md#lifecycle-events-are-verified).
 * Fifteen minutes bounds that cost to 96 resyncs a day while a genuine gap is caught up within 15 minutes.
 */
export const MISSED_RESYNC_INTERVAL_MS = 15 * 60_000;

/** Delay when Graph gave no Retry-After (a 5xx or network failure). */
const DEFAULT_REQUEUE_SECONDS = 60;
/** A deferred challenge is answered this long after the no-repeat window closes, so clock skew between instances cannot land it inside. */
const NO_REPEAT_SLACK_MS = 30_000;

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

export async function processLifecycleNotifications(
  envelope: NotificationEnvelope,
  deps: LifecycleDependencies,
): Promise<LifecycleResult> {
  const actions: Partial<Record<LifecycleAction, number>> = {};
  const putBack: { items: Item[]; delaySeconds: number } = { items: [], delaySeconds: 0 };
  // One at a time: a batch may hold several events for one subscription, and they must not race.
  const receivedAt = Date.parse(envelope.receivedAt);
  for (const item of envelope.items) {
    const handled = await handleLifecycleEvent(item, receivedAt, deps);
    actions[handled.action] = (actions[handled.action] ?? 0) + 1;
    if (handled.putBackSeconds !== undefined) {
      putBack.items.push(item);
      putBack.delaySeconds = Math.max(putBack.delaySeconds, handled.putBackSeconds);
    }
  }
  await putBackUnanswered(envelope, putBack, deps);
  return { items: envelope.items.length, actions, requeued: putBack.items.length };
}

/** Finds the managed subscription an event is about and acts on the event; unknown ones are counted and ignored. */
async function handleLifecycleEvent(item: Item, receivedAt: number, deps: LifecycleDependencies): Promise<Handled> {
  const subscriptionId = text(item.subscriptionId);
  const rawEvent = text(item.lifecycleEvent) ?? '';
  // `removed` is the name on the old beta page (docs/graph-protocol.md §13.14).
  const event = rawEvent === 'removed' ? 'subscriptionRemoved' : rawEvent;
  recordLifecycleEvent(event);
  if (subscriptionId === undefined) return { action: 'unknownSubscription' };
  if (event !== 'reauthorizationRequired' && event !== 'subscriptionRemoved' && event !== 'missed') {
    deps.log.warn(
      `Lifecycle event "${rawEvent.slice(0, 64)}" for subscription ${subscriptionId} is not one graph-notify knows; ignored`,
    );
    return { action: 'unknownEvent' };
  }
  const record = await deps.repository.get(subscriptionId);
  if (record === undefined || record.status === 'deleted' || record.status === 'pending') {
    deps.log.info(
      `Lifecycle ${event} for subscription ${subscriptionId}, which graph-notify no longer manages (replaced or deleted); ignored`,
    );
    return { action: 'unknownSubscription' };
  }
  deps.log.info(`Lifecycle ${event} for subscription ${subscriptionId} (${record.changeType} on ${record.resource})`);
  return actOnEvent(event, record, receivedAt, deps);
}

function actOnEvent(
  event: KnownEvent,
  record: StoredSubscription,
  receivedAt: number,
  deps: LifecycleDependencies,
): Promise<Handled> {
  switch (event) {
    case 'reauthorizationRequired':
      return onReauthorizationRequired(record, deps);
    case 'subscriptionRemoved':
      return onSubscriptionRemoved(record, deps);
    case 'missed':
      return onMissed(record, receivedAt, deps);
  }
}

/**
 * Answers the challenge now, unless inside the no-repeat window (docs/graph-protocol.md §1.5) or held by
 * another worker: then it is recorded on the subscription and answered by the timer once it can
 * (answerDeferredChallenges), never dropped. A throttled or failed answer goes back on the lifecycle queue.
 */
async function onReauthorizationRequired(record: StoredSubscription, deps: LifecycleDependencies): Promise<Handled> {
  const subscriptionId = record.subscriptionId;
  const waitMs = noRepeatWaitMs(record, deps.clock.now());
  const outcome: MaintenanceOutcome =
    waitMs > 0
      ? { outcome: 'skipped', subscriptionId, reason: 'inside the no-repeat window' }
      : await answerChallenge(record, deps);
  if (outcome.outcome === 'skipped') {
    await owingChallenge(record, deps);
    deps.log.info(
      `Subscription ${subscriptionId}: the reauthorizationRequired is answered by the next timer run that may (${outcome.reason})`,
    );
    return { action: 'deferred' };
  }
  if (outcome.outcome === 'throttled') {
    return { action: actionOf(outcome), putBackSeconds: Math.ceil(outcome.retryAfterMs / 1000) };
  }
  if (outcome.outcome === 'retry') return { action: actionOf(outcome), putBackSeconds: DEFAULT_REQUEUE_SECONDS };
  return { action: actionOf(outcome) };
}

/**
 * Believed only when Graph confirms it: GET /subscriptions/{id} answers 404. Then recreation starts by recording
 * the removal, so the reconciler finishes it if this stops. While Graph still has the subscription the event is
 * ignored (a forgery or a stale event); when Graph cannot answer now, the event goes back on the queue.
 */
async function onSubscriptionRemoved(record: StoredSubscription, deps: LifecycleDependencies): Promise<Handled> {
  if (record.status === 'removed') return { action: 'skipped' };
  const id = record.subscriptionId;
  try {
    if ((await getGraphSubscription(deps.graph, record.tenantId, id)) !== undefined) {
      deps.log.warn(
        `Lifecycle subscriptionRemoved for subscription ${id} ignored: Graph still has it (GET /subscriptions/${id} answered 200), so the event is stale or forged by someone holding the clientState`,
      );
      return { action: 'unconfirmed' };
    }
  } catch (error) {
    const failure = classifyFailure(error);
    if (failure.kind === 'unexpected') throw error;
    if (failure.kind === 'permanent' || failure.kind === 'configuration') {
      // Graph refused the question (a 4xx other than 404): nothing says the subscription is gone, so nothing changes.
      deps.log.warn(
        `Lifecycle subscriptionRemoved for subscription ${id} ignored: Graph refused to confirm it (${describeError(error)})`,
      );
      return { action: 'unconfirmed' };
    }
    deps.log.warn(
      `Lifecycle subscriptionRemoved for subscription ${id}: Graph could not confirm it now, asked again later: ${describeError(error)}`,
    );
    return {
      action: 'deferred',
      putBackSeconds: Math.ceil((failure.retryAfterMs ?? DEFAULT_REQUEUE_SECONDS * 1000) / 1000),
    };
  }
  return {
    action: actionOf(
      await recreateSubscription(record, 'Graph sent subscriptionRemoved and answered 404 to GET /subscriptions', deps),
    ),
  };
}

/**
 * Resyncs from the stored deltaLink, at most once per MISSED_RESYNC_INTERVAL_MS (`claimMissedResync`); the owed resync
 * is recorded with the claim, so the reconciler pays it if this fails.
 */
async function onMissed(record: StoredSubscription, receivedAt: number, deps: LifecycleDependencies): Promise<Handled> {
  const claimed = await claimMissedResync(record, receivedAt, deps);
  if ('action' in claimed) return claimed;
  const outcome = await resyncSubscription(claimed, deps).catch((error: unknown): MaintenanceOutcome => ({
    outcome: 'retry',
    subscriptionId: record.subscriptionId,
    reason: `resync after missed deferred to the reconciler: ${error instanceof Error ? error.name : 'error'}`,
    error,
  }));
  return { action: actionOf(outcome) };
}

/**
 * Decides whether this `missed` starts a resync, and if so claims it with one ETag-guarded write of the subscription
 * (`lastResyncedAt` = now, the resync recorded as owed): of several handlers at once, exactly one wins. An event
 * received before the last resync began is answered by it (`coalesced`); one received after it, within the interval,
 * waits on the queue until the interval has passed (`deferred`). Answers the claimed record, or what was done instead.
 */
async function claimMissedResync(
  record: StoredSubscription,
  receivedAt: number,
  deps: LifecycleDependencies,
): Promise<StoredSubscription | Handled> {
  let current: StoredSubscription | undefined = record;
  for (let attempt = 0; attempt < 3 && current !== undefined; attempt += 1) {
    const lastResync = Date.parse(current.lastResyncedAt ?? '');
    if (lastResync >= receivedAt) return { action: 'coalesced' };
    const now = deps.clock.now();
    const waitMs = lastResync + MISSED_RESYNC_INTERVAL_MS - now.getTime();
    if (waitMs > 0) return { action: 'deferred', putBackSeconds: Math.ceil(waitMs / 1000) };
    try {
      return await deps.repository.update(
        revise(current, now, {
          lastResyncedAt: now.toISOString(),
          resyncPendingSince: current.resyncPendingSince ?? now.toISOString(),
        }),
        current.etag,
      );
    } catch (error) {
      if (!(error instanceof StorageConflict)) throw error;
      current = await deps.repository.get(record.subscriptionId);
    }
  }
  // Written by others three times in a row (or gone): asked again shortly.
  return current === undefined ? { action: 'unknownSubscription' } : { action: 'deferred', putBackSeconds: 1 };
}

/** Puts the challenges that could not be answered now back on the lifecycle queue, delayed. */
async function putBackUnanswered(
  envelope: NotificationEnvelope,
  putBack: { readonly items: readonly Item[]; readonly delaySeconds: number },
  deps: LifecycleDependencies,
): Promise<void> {
  if (putBack.items.length === 0) return;
  const next = followUpEnvelope(envelope, putBack.items, { idSuffix: deps.clock.now().getTime().toString(36) });
  const delaySeconds = Math.max(1, putBack.delaySeconds);
  await deps.lifecycleQueue.send(JSON.stringify(next), { visibilityDelaySeconds: delaySeconds });
  deps.log.info(`Put ${putBack.items.length} lifecycle event(s) back on the queue for ${delaySeconds} s`);
}

/** Milliseconds until Graph may be sent another reauthorize or renewal for this subscription (0 = now). */
function noRepeatWaitMs(record: StoredSubscription, now: Date): number {
  // Renewing is allowed inside the window when the expiry is imminent (maintainSubscription.ts); a challenge then is answered by that renewal.
  return reauthorizeRenewWaitMs(record, 'reauthorize', now, NO_REPEAT_SLACK_MS);
}

/**
 * Answers the challenges recorded on subscriptions (`reauthorizationOwedSince`) whose no-repeat window has
 * passed; runs after each reconcile. A throttled tenant waits for the next run.
 */
export async function answerDeferredChallenges(
  deps: SubscriptionDependencies,
): Promise<{ readonly answered: number; readonly waiting: number }> {
  const now = deps.clock.now();
  const owed = (await deps.repository.list()).filter(
    (record) => record.status === 'active' && record.reauthorizationOwedSince !== undefined,
  );
  const throttled = new Set<string>();
  let answered = 0;
  for (const record of owed) {
    if (
      throttled.has(record.tenantId) ||
      noRepeatWaitMs(record, now) > 0 ||
      (record.leaseUntil !== undefined && Date.parse(record.leaseUntil) > now.getTime())
    )
      continue;
    const outcome = await answerChallenge(record, deps);
    if (outcome.outcome === 'throttled') throttled.add(record.tenantId);
    if (outcome.outcome === 'reauthorized' || outcome.outcome === 'renewed') answered += 1;
  }
  if (owed.length > 0)
    deps.log.info(`Answered ${answered} of ${owed.length} deferred reauthorizationRequired challenge(s)`);
  return { answered, waiting: owed.length - answered };
}

/** Records an unanswered challenge on the subscription (ETag-guarded; a lost race means another write recorded or answered it). */
async function owingChallenge(record: StoredSubscription, deps: SubscriptionDependencies): Promise<void> {
  const current = await deps.repository.get(record.subscriptionId);
  if (current === undefined || current.reauthorizationOwedSince !== undefined) return;
  const { etag, ...fields } = current;
  await deps.repository
    .update(
      {
        ...fields,
        reauthorizationOwedSince: deps.clock.now().toISOString(),
        updatedAt: deps.clock.now().toISOString(),
      },
      etag,
    )
    .catch((error: unknown) => {
      if (!(error instanceof StorageConflict)) throw error;
    });
}

/**
 * Reauthorizes (or renews when due anyway), then resyncs: Graph pauses delivery while a subscription
 * waits for reauthorization and the changes made meanwhile are lost (docs/graph-protocol.md §4.1). The resync is
 * recorded as owed first, so a throttled or interrupted one is paid by the reconciler.
 */
async function answerChallenge(
  record: StoredSubscription,
  deps: SubscriptionDependencies,
): Promise<MaintenanceOutcome> {
  const owing = canResync(record.resource) ? await recordOwedResync(record, deps) : record;
  const outcome = isRenewalDue(owing, deps.settings, deps.clock.now())
    ? await renewOrRecreateSubscription(owing, deps)
    : await reauthorizeSubscription(owing, deps);
  if (outcome.outcome !== 'reauthorized' && outcome.outcome !== 'renewed') return outcome;
  let current = await deps.repository.get(record.subscriptionId);
  if (current?.reauthorizationOwedSince !== undefined) {
    const { etag, reauthorizationOwedSince: _answered, ...fields } = current;
    current = await deps.repository
      .update({ ...fields, updatedAt: deps.clock.now().toISOString() }, etag)
      .catch((error: unknown) => {
        if (!(error instanceof StorageConflict)) throw error;
        return deps.repository.get(record.subscriptionId);
      });
  }
  if (current?.resyncPendingSince === undefined) return outcome;
  await resyncSubscription(current, deps).catch((error: unknown) => {
    deps.log.warn(
      `Resync after reauthorizing ${record.subscriptionId} did not complete; the reconciler retries it: ${describeError(error)}`,
    );
  });
  return outcome;
}

function actionOf(outcome: MaintenanceOutcome): LifecycleAction {
  switch (outcome.outcome) {
    case 'reauthorized':
    case 'renewed':
    case 'recreated':
    case 'resynced':
    case 'skipped':
    case 'failed':
      return outcome.outcome;
    case 'throttled':
    case 'retry':
      return 'deferred';
    default:
      return 'skipped';
  }
}
