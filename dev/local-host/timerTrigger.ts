/**
 * Timer triggers on their NCRONTAB schedule, driven by an injectable `HostScheduler`. Each firing
 * hands the worker the object the host sends, `{ Schedule: { AdjustForDST }, ScheduleStatus: { Last,
 * Next, LastUpdated }, IsPastDue }`, which the library camel-cases into the `Timer` a handler gets.
 *
 * As in the host's `TimerListener`: one occurrence runs at a time and the next is scheduled from the
 * moment it finishes, so an occurrence missed while a run was busy (or while time jumped) is not
 * replayed; the late run says so with `isPastDue: true`. `runOnStartup` fires once when the host
 * starts. The schedule status lives in memory (`useMonitor` decides whether it is sent at all; it
 * defaults to on for schedules at least a minute apart). A `retry` policy on the function
 * (fixedDelay or exponentialBackoff) re-runs a failed occurrence with `context.retryContext` set.
 */
import type { RpcRetryOptions } from './coreTypes';
import type { InvocationInput, InvocationOutcome } from './invokeFunction';
import type { CronSchedule } from './ncrontab';
import type { HostScheduler, ScheduledCallback } from './scheduler';
import type { RegisteredFunction } from './runtimeModule';
import { describeError } from '../../src/lib/shared/redact';

/** What the host reports as `Last` before a timer has ever run (.NET DateTime.MinValue). */
const NEVER = '0001-01-01T00:00:00.000Z';

export interface TimerOptions {
  readonly fn: RegisteredFunction;
  readonly triggerBindingName: string;
  readonly schedule: CronSchedule;
  readonly runOnStartup: boolean;
  /** Undefined: the host's default (on when occurrences are at least a minute apart). */
  readonly useMonitor: boolean | undefined;
  readonly scheduler: HostScheduler;
  readonly invoke: (fn: RegisteredFunction, input: InvocationInput) => Promise<InvocationOutcome>;
}

interface ScheduleStatus {
  readonly last: Date | undefined;
  readonly next: Date;
  readonly lastUpdated: Date;
}

function durationMs(duration: { seconds?: number | null; nanos?: number | null } | null | undefined): number {
  return (duration?.seconds ?? 0) * 1000 + Math.round((duration?.nanos ?? 0) / 1e6);
}

/** The delay before retry number `retryCount` (1-based), or undefined when no retry is left. */
export function retryDelayMs(retry: RpcRetryOptions | null | undefined, retryCount: number): number | undefined {
  if (retry === null || retry === undefined) return undefined;
  const max = retry.maxRetryCount ?? 0;
  if (max !== -1 && retryCount > max) return undefined;
  if (retry.retryStrategy === 'exponentialBackoff') {
    const min = durationMs(retry.minimumInterval);
    const maxInterval = durationMs(retry.maximumInterval);
    return Math.min(maxInterval, min * 2 ** (retryCount - 1));
  }
  return durationMs(retry.delayInterval);
}

export class TimerTrigger {
  readonly #o: TimerOptions;
  readonly #useMonitor: boolean;
  #status: ScheduleStatus | undefined;
  #pending: ScheduledCallback | undefined;
  #stopped = true;

  constructor(options: TimerOptions) {
    this.#o = options;
    const now = options.scheduler.now();
    const first = options.schedule.next(now);
    this.#useMonitor = options.useMonitor ?? options.schedule.next(first).getTime() - first.getTime() >= 60_000;
  }

  get name(): string {
    return this.#o.fn.name;
  }

  /** The next scheduled occurrence, while started. */
  get nextOccurrence(): Date | undefined {
    return this.#stopped ? undefined : this.#status?.next;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    const now = this.#o.scheduler.now();
    this.#status = { last: undefined, next: this.#o.schedule.next(now), lastUpdated: now };
    if (this.#o.runOnStartup) {
      this.#pending = this.#o.scheduler.schedule(() => this.#occurrence(now, false, 'startup'), 0);
    } else {
      this.#scheduleNext();
    }
  }

  stop(): void {
    this.#stopped = true;
    this.#pending?.cancel();
    this.#pending = undefined;
  }

  /** Runs the function now, outside the schedule (the host's admin invoke); the schedule is untouched. */
  async trigger(isPastDue = false): Promise<InvocationOutcome> {
    return this.#invoke(this.#o.scheduler.now(), isPastDue, 'manual', 0, undefined);
  }

  #scheduleNext(): void {
    if (this.#stopped || this.#status === undefined) return;
    const due = this.#status.next;
    const delay = due.getTime() - this.#o.scheduler.now().getTime();
    this.#pending = this.#o.scheduler.schedule(() => this.#occurrence(due, true, 'schedule'), delay);
  }

  async #occurrence(scheduledAt: Date, checkPastDue: boolean, kind: 'startup' | 'schedule'): Promise<void> {
    this.#pending = undefined;
    if (this.#stopped) return;
    const now = this.#o.scheduler.now();
    // Late by at least one whole period: the occurrence(s) in between were skipped.
    const isPastDue = checkPastDue && this.#o.schedule.next(scheduledAt).getTime() <= now.getTime();
    await this.#attempt(scheduledAt, isPastDue, kind, 0, undefined);
  }

  async #attempt(
    scheduledAt: Date,
    isPastDue: boolean,
    kind: 'startup' | 'schedule',
    retryCount: number,
    lastError: unknown,
  ): Promise<void> {
    const outcome = await this.#invoke(scheduledAt, isPastDue, kind, retryCount, lastError);
    if (this.#stopped) return;
    if (!outcome.succeeded) {
      const delay = retryDelayMs(this.#o.fn.metadata.retryOptions, retryCount + 1);
      if (delay !== undefined) {
        this.#pending = this.#o.scheduler.schedule(
          () => this.#attempt(scheduledAt, isPastDue, kind, retryCount + 1, outcome.error),
          delay,
        );
        return;
      }
    }
    const finished = this.#o.scheduler.now();
    if (kind === 'schedule' || this.#status === undefined) {
      this.#status = { last: scheduledAt, next: this.#o.schedule.next(finished), lastUpdated: finished };
    }
    this.#scheduleNext();
  }

  async #invoke(
    scheduledAt: Date,
    isPastDue: boolean,
    kind: 'startup' | 'schedule' | 'manual',
    retryCount: number,
    lastError: unknown,
  ): Promise<InvocationOutcome> {
    const status = this.#status ?? {
      last: undefined,
      next: this.#o.schedule.next(scheduledAt),
      lastUpdated: scheduledAt,
    };
    const timer = {
      Schedule: { AdjustForDST: true },
      ScheduleStatus: this.#useMonitor
        ? {
            Last: status.last?.toISOString() ?? NEVER,
            Next: status.next.toISOString(),
            LastUpdated: status.lastUpdated.toISOString(),
          }
        : null,
      IsPastDue: isPastDue,
    };
    const retry = this.#o.fn.metadata.retryOptions;
    const reason =
      kind === 'manual'
        ? 'This function was programmatically called via the host APIs.'
        : `Timer fired at ${this.#o.scheduler.now().toISOString()}`;
    return this.#o.invoke(this.#o.fn, {
      inputData: [{ name: this.#o.triggerBindingName, data: { json: JSON.stringify(timer) } }],
      reason,
      ...(retry === null || retry === undefined
        ? {}
        : {
            retryContext: {
              retryCount,
              maxRetryCount: retry.maxRetryCount ?? 0,
              ...(lastError === undefined
                ? {}
                : { exception: { message: describeError(lastError), source: this.#o.fn.name } }),
            },
          }),
    });
  }
}
