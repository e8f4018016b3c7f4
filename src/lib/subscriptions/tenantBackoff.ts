/**
 * Per-tenant backoff for one reconcile run. Graph's 429 carries a Retry-After for the scope it throttled
 * (for the subscription API: the app in that tenant); the tenant's workers wait that long and go on,
 * while other tenants, each with their own `TenantBackoff`, are not slowed. A wait that would end past
 * the run's deadline is not taken: the work is left for the next run.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { classifyFailure } from '../shared/classifyFailure';
import type { Clock } from '../shared/clock';

export type Sleep = (ms: number) => Promise<void>;

export class TenantBackoff {
  readonly #clock: Clock;
  readonly #deadlineMs: number;
  readonly #sleep: Sleep;
  #untilMs = 0;
  #throttled = false;

  constructor(clock: Clock, deadlineMs: number, sleep: Sleep = (ms) => delay(ms)) {
    this.#clock = clock;
    this.#deadlineMs = deadlineMs;
    this.#sleep = sleep;
  }

  /** Graph answered 429: no call for this tenant before Retry-After has passed (the latest one wins). */
  throttled(retryAfterMs: number): void {
    this.#throttled = true;
    this.#untilMs = Math.max(this.#untilMs, this.#clock.now().getTime() + retryAfterMs);
  }

  /** When `error` is Graph's 429 (`classifyFailure`), pauses the tenant for its Retry-After and answers true. */
  throttledBy(error: unknown): boolean {
    const failure = classifyFailure(error);
    if (failure.kind !== 'throttled') return false;
    this.throttled(failure.retryAfterMs ?? 0);
    return true;
  }

  /** True once this run was throttled at least once. */
  get wasThrottled(): boolean {
    return this.#throttled;
  }

  /** Waits out the tenant's backoff: true when calls may go on, false when the wait would pass the deadline. */
  async ready(): Promise<boolean> {
    for (;;) {
      const nowMs = this.#clock.now().getTime();
      const waitMs = this.#untilMs - nowMs;
      if (waitMs <= 0) return true;
      if (this.#untilMs > this.#deadlineMs) return false;
      await this.#sleep(waitMs);
    }
  }
}
