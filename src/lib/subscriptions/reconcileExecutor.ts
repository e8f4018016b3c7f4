/**
 * Carries out one tenant's reconcile plan (reconcilePlan.ts): its steps run with bounded concurrency
 * (CONCURRENCY_PER_TENANT); a 429 pauses this tenant, and only this tenant, for its Retry-After; a step that
 * would start past the run's deadline is counted `deferred` and left for the next run; one failure never
 * stops the others. Every outcome is recorded in the run's one `ReconcileTally`. Each maintenance step takes
 * the subscription's lease itself (records.ts), so two instances at once are safe.
 */
import { classifyFailure } from '../shared/classifyFailure';
import { resyncSubscription } from '../resync/resyncSubscription';
import { describeError } from '../shared/redact';
import { createSubscription } from './createSubscription';
import type { SubscriptionDependencies } from './dependencies';
import { SubscriptionListPaused } from './errors';
import { listGraphSubscriptions, type GraphSubscription } from './graphSubscriptionApi';
import type { ListPacer } from './listPacer';
import {
  finishDeletion,
  recreateSubscription,
  renewOrRecreateSubscription,
  renewOrRecreateSubscriptions,
  resolveIntent,
  type MaintenanceOutcome,
} from './maintainSubscription';
import type { ReconcileStep } from './reconcilePlan';
import { claim, isLeased, revise } from './records';
import type { StoredSubscription } from './subscriptionRecord';
import { isRenewalDue, type SubscriptionRequest } from './subscriptionRules';
import { TenantBackoff } from './tenantBackoff';

export type ReconcileOutcome = MaintenanceOutcome['outcome'] | 'created' | 'deferred' | 'expiryCorrected';

/** What a run did, across its tenants: the one object every step records into. */
export class ReconcileTally {
  readonly outcomes: Partial<Record<ReconcileOutcome, number>> = {};
  /** Secret-free lines for the log and the CLI. */
  readonly problems: string[] = [];
  readonly driftChecked: string[] = [];
  readonly throttledTenants: string[] = [];
  unmanagedInGraph = 0;

  count(outcome: ReconcileOutcome, n = 1): void {
    this.outcomes[outcome] = (this.outcomes[outcome] ?? 0) + n;
  }
}

type Task = () => Promise<void>;

export class TenantExecutor {
  readonly #tenantId: string;
  readonly #deps: SubscriptionDependencies;
  readonly #tally: ReconcileTally;
  readonly #backoff: TenantBackoff;
  /** Shared by the run's tenants: an adopted intent adds its id. */
  readonly #knownIds: Set<string>;
  /** Shared by the run's tenants: spaces list pages under Graph's list limit. */
  readonly #listPacer: ListPacer;
  #listPaused = false;

  constructor(
    tenantId: string,
    deps: SubscriptionDependencies,
    tally: ReconcileTally,
    deadlineMs: number,
    knownIds: Set<string>,
    listPacer: ListPacer,
  ) {
    this.#tenantId = tenantId;
    this.#deps = deps;
    this.#tally = tally;
    this.#backoff = new TenantBackoff(deps.clock, deadlineMs, deps.sleep);
    this.#knownIds = knownIds;
    this.#listPacer = listPacer;
  }

  /** True when the list stopped because the run's budget ended (`SubscriptionListPaused`): nothing was concluded. */
  get listPaused(): boolean {
    return this.#listPaused;
  }

  /**
   * Graph's list of the tenant (about `expectedPages` pages), its pages paced under the list limit and waiting
   * out any throttling; undefined (and a problem) when it cannot be read whole, or does not fit in the run's
   * budget or is paused at its deadline (`listPaused`).
   */
  async listGraph(forDriftCheck: boolean, expectedPages: number): Promise<GraphSubscription[] | undefined> {
    const deps = this.#deps;
    try {
      if (!this.#listPacer.admit(expectedPages)) throw new SubscriptionListPaused(this.#tenantId, 0);
      const inGraph = await listGraphSubscriptions(deps.graph, this.#tenantId, deps.settings.graphBaseUrl, {
        beforePage: () => this.#listPacer.nextPage(this.#tenantId),
        waitAfterThrottling: async (retryAfterMs) => {
          this.#backoff.throttled(retryAfterMs);
          return this.#backoff.ready();
        },
      });
      if (forDriftCheck) this.#tally.driftChecked.push(this.#tenantId);
      return inGraph;
    } catch (error) {
      this.#listPaused = error instanceof SubscriptionListPaused;
      this.#backoff.throttledBy(error);
      this.#tally.problems.push(
        `tenant ${this.#tenantId}: listing subscriptions in Graph ${this.#listPaused ? 'paused' : 'failed'}: ${describeError(error)}`,
      );
      return undefined;
    }
  }

  /** Runs the steps, at most `concurrency` at once, each guarded; records whether Graph throttled the tenant. */
  async run(
    steps: readonly ReconcileStep[],
    inGraph: readonly GraphSubscription[] | undefined,
    concurrency: number,
  ): Promise<void> {
    await runBounded(
      steps.map((step) => this.#guarded(() => this.#execute(step, inGraph ?? []))),
      concurrency,
    );
    if (this.#backoff.wasThrottled) this.#tally.throttledTenants.push(this.#tenantId);
  }

  async #execute(step: ReconcileStep, inGraph: readonly GraphSubscription[]): Promise<void> {
    const deps = this.#deps;
    switch (step.kind) {
      case 'resolveIntent': {
        const outcome = this.#report(await resolveIntent(step.intent, inGraph, this.#knownIds, deps));
        if (outcome.outcome === 'adopted') this.#report(await resyncSubscription(outcome.record, deps));
        return;
      }
      case 'recreate':
        this.#report(await recreateSubscription(step.record, step.reason, deps));
        return;
      case 'correctExpiry': {
        const updated = await deps.repository.update(
          revise(step.record, deps.clock.now(), { expirationDateTime: step.expirationDateTime }),
          step.record.etag,
        );
        this.#tally.count('expiryCorrected');
        await this.#maintain(updated);
        return;
      }
      case 'payResync':
        return this.#maintain(step.record);
      case 'finishDeletion':
        this.#report(await finishDeletion(step.record, deps));
        return;
      case 'dropReplaced':
        return deps.repository.delete(step.record.subscriptionId, step.record.etag);
      case 'createDesired':
        return this.#createDesired(step.request);
      case 'removeUndesired': {
        const claimed = await claim(step.record, deps, deps.clock.now());
        if (claimed !== undefined) this.#report(await finishDeletion(claimed, deps, { leased: true }));
        return;
      }
      case 'renew':
        return this.#renewBatch(step.batch);
    }
  }

  /** Counts the outcome; a 429 pauses the tenant; a failure or a retry is a problem line. */
  #report(outcome: MaintenanceOutcome): MaintenanceOutcome {
    this.#tally.count(outcome.outcome);
    if (outcome.outcome === 'throttled') this.#backoff.throttled(outcome.retryAfterMs);
    if (outcome.outcome === 'failed' || outcome.outcome === 'retry')
      this.#tally.problems.push(`${outcome.subscriptionId}: ${outcome.reason}`);
    return outcome;
  }

  /** Waits out the tenant's backoff first (or defers past the deadline); an escaped error is counted, not rethrown. */
  #guarded(task: Task): Task {
    return async () => {
      if (!(await this.#backoff.ready())) {
        this.#tally.count('deferred');
        return;
      }
      try {
        await task();
      } catch (error) {
        this.#tally.count(this.#backoff.throttledBy(error) ? 'throttled' : 'retry');
        this.#tally.problems.push(`tenant ${this.#tenantId}: ${describeError(error)}`);
      }
    };
  }

  /** Renews when due (a 404 recreates and resyncs), then pays any owed resync. */
  async #maintain(record: StoredSubscription): Promise<void> {
    const deps = this.#deps;
    if (isRenewalDue(record, deps.settings, deps.clock.now())) {
      const outcome = this.#report(await renewOrRecreateSubscription(record, deps));
      if (outcome.outcome === 'renewed' && record.resyncPendingSince !== undefined)
        await this.#resyncIfOwed(record.subscriptionId);
      return;
    }
    if (record.resyncPendingSince !== undefined && !isLeased(record, deps.clock.now()))
      this.#report(await resyncSubscription(record, deps));
  }

  /** Pays an owed resync once nothing else holds the record. */
  async #resyncIfOwed(subscriptionId: string): Promise<void> {
    const current = await this.#deps.repository.get(subscriptionId);
    if (current?.resyncPendingSince !== undefined && !isLeased(current, this.#deps.clock.now()))
      this.#report(await resyncSubscription(current, this.#deps));
  }

  /** Renews a batch; PATCHes Graph throttled are sent again once the tenant's Retry-After has passed. */
  async #renewBatch(batch: readonly StoredSubscription[]): Promise<void> {
    const deps = this.#deps;
    let pending = batch;
    while (pending.length > 0) {
      const throttledIds: string[] = [];
      for (const outcome of await renewOrRecreateSubscriptions(pending, deps)) {
        this.#report(outcome);
        if (outcome.outcome === 'throttled') throttledIds.push(outcome.subscriptionId);
        else if (
          outcome.outcome === 'renewed' &&
          pending.find((record) => record.subscriptionId === outcome.subscriptionId)?.resyncPendingSince !== undefined
        ) {
          await this.#resyncIfOwed(outcome.subscriptionId);
        }
      }
      if (throttledIds.length === 0) return;
      if (!(await this.#backoff.ready())) {
        this.#tally.count('deferred', throttledIds.length);
        return;
      }
      const fresh = await Promise.all(throttledIds.map((id) => deps.repository.get(id)));
      pending = fresh.filter(
        (record): record is StoredSubscription => record?.status === 'active' && !isLeased(record, deps.clock.now()),
      );
    }
  }

  /** A desired subscription is created like an operator's; a refusal is this entry's failure, a 429 the tenant's. */
  async #createDesired(request: SubscriptionRequest): Promise<void> {
    try {
      await createSubscription(request, this.#deps, { origin: 'desiredState' });
      this.#tally.count('created');
    } catch (error) {
      if (classifyFailure(error).kind === 'throttled') throw error;
      this.#tally.count('failed');
      this.#tally.problems.push(`desired ${request.changeType} on ${request.resource}: ${describeError(error)}`);
    }
  }
}

/** Runs `tasks` with at most `limit` in flight; each task handles its own errors. */
async function runBounded(tasks: readonly Task[], limit: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const task = tasks[next];
      next += 1;
      if (task !== undefined) await task();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}
