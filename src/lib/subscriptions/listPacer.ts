/**
 * Paces the pages of Graph's subscription list under its documented limit (docs/graph-protocol.md §1.7: 25
 * list requests per 20 s per app and tenant, 40 per app), so a large tenant's drift check is never throttled:
 * 10,000 subscriptions are 100 pages, four times what the limit lets through at once. One pacer serves one
 * reconcile run and all its tenants (the per-app limit spans them). It keeps a headroom under each limit for
 * clock skew and the other callers of the list (the CLI, another instance).
 *
 * Time comes from the injected clock and waits from the injected sleep, so virtual-time tests and benches see
 * the same pacing as production. A list starts only when its expected pages fit in what is left of the run's
 * budget beside the lists admitted before it (`admit`): with many large tenants, those that fit are checked
 * whole and the others wait for a later run, rather than every tenant stopping half way in every run. A page
 * that could only start past the run's deadline is not asked: the caller stops the list there
 * (`SubscriptionListPaused`) and the next due run lists again.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from '../shared/clock';
import type { Sleep } from './tenantBackoff';

/** The list limit's window (docs/graph-protocol.md §1.7). */
export const LIST_WINDOW_MS = 20_000;
/** Pages asked per window and tenant: 20 of Graph's 25, leaving a fifth for skew and other callers. */
export const LIST_PAGES_PER_WINDOW_PER_TENANT = 20;
/** Pages asked per window across tenants: 32 of Graph's 40 per app. */
export const LIST_PAGES_PER_WINDOW_PER_APP = 32;

export class ListPacer {
  readonly #clock: Clock;
  readonly #deadlineMs: number;
  readonly #sleep: Sleep;
  /** Start times of the pages asked in the last window, per tenant, and for the app. */
  readonly #byTenant = new Map<string, number[]>();
  readonly #byApp: number[] = [];
  /** Pages of the lists admitted in this run. */
  #admittedPages = 0;

  constructor(clock: Clock, deadlineMs: number, sleep: Sleep = (ms) => delay(ms)) {
    this.#clock = clock;
    this.#deadlineMs = deadlineMs;
    this.#sleep = sleep;
  }

  /**
   * True (and the pages reserved) when a list of about `expectedPages` pages fits before the deadline at the
   * paced rate, for the tenant and beside the lists admitted before; false: do not start it in this run.
   */
  admit(expectedPages: number): boolean {
    const windowsLeft = Math.floor(Math.max(0, this.#deadlineMs - this.#clock.now().getTime()) / LIST_WINDOW_MS) + 1;
    const fits =
      expectedPages <= windowsLeft * LIST_PAGES_PER_WINDOW_PER_TENANT &&
      this.#admittedPages + expectedPages <= windowsLeft * LIST_PAGES_PER_WINDOW_PER_APP;
    if (fits) this.#admittedPages += expectedPages;
    return fits;
  }

  /**
   * Waits until `tenantId` may ask its next page and records it: true then, false (nothing recorded, no wait)
   * when that moment is past the run's deadline.
   */
  async nextPage(tenantId: string): Promise<boolean> {
    for (;;) {
      const nowMs = this.#clock.now().getTime();
      const tenant = this.#tenantWindow(tenantId);
      const startMs = Math.max(
        nowMs,
        freeAt(tenant, LIST_PAGES_PER_WINDOW_PER_TENANT, nowMs),
        freeAt(this.#byApp, LIST_PAGES_PER_WINDOW_PER_APP, nowMs),
      );
      if (startMs <= nowMs) {
        tenant.push(nowMs);
        this.#byApp.push(nowMs);
        return true;
      }
      if (startMs > this.#deadlineMs) return false;
      // Another tenant may take the freed slot meanwhile: look again after the wait.
      await this.#sleep(startMs - nowMs);
    }
  }

  #tenantWindow(tenantId: string): number[] {
    let window = this.#byTenant.get(tenantId);
    if (window === undefined) {
      window = [];
      this.#byTenant.set(tenantId, window);
    }
    return window;
  }
}

/** Drops the starts that left the window (in place) and answers when the next page fits under `limit`. */
function freeAt(starts: number[], limit: number, nowMs: number): number {
  while (starts.length > 0 && (starts[0] ?? 0) <= nowMs - LIST_WINDOW_MS) starts.shift();
  if (starts.length < limit) return nowMs;
  return (starts[starts.length - limit] ?? nowMs) + LIST_WINDOW_MS;
}
