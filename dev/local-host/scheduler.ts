/**
 * Time for timer triggers is a parameter. The host asks a `HostScheduler` for the current instant and
 * to call it back later; `realTimeScheduler` uses the wall clock, `ManualScheduler` lets a test jump
 * through simulated days. A callback may return a promise (a timer invocation); the manual scheduler
 * awaits it before firing the next callback, so timers run in order and a test needs no real waits.
 * Queue polling and HTTP stay on real time: they talk to real sockets.
 */
import type { Clock } from '../../src/lib/shared/clock';

export interface ScheduledCallback {
  cancel(): void;
}

export interface HostScheduler extends Clock {
  /** Calls `callback` once, `delayMs` from now (0 or less: as soon as possible). */
  schedule(callback: () => unknown, delayMs: number): ScheduledCallback;
}

/** setTimeout caps delays at 2^31-1 ms (about 24.8 days); longer waits are chained. */
const MAX_TIMEOUT_MS = 2_147_483_647;

export const realTimeScheduler: HostScheduler = {
  now: () => new Date(),
  schedule(callback, delayMs) {
    let handle: NodeJS.Timeout;
    const dueAt = Date.now() + Math.max(0, delayMs);
    const arm = (): void => {
      const remaining = dueAt - Date.now();
      handle = setTimeout(
        () => {
          if (Date.now() < dueAt) arm();
          else void Promise.resolve().then(callback);
        },
        Math.min(Math.max(0, remaining), MAX_TIMEOUT_MS),
      );
    };
    arm();
    return {
      cancel: () => {
        clearTimeout(handle);
      },
    };
  },
};

interface PendingCallback {
  readonly dueAt: number;
  readonly order: number;
  readonly callback: () => unknown;
}

/** A scheduler whose time moves only through `advance`/`advanceTo`, firing due callbacks in order. */
export class ManualScheduler implements HostScheduler {
  #nowMs: number;
  #order = 0;
  readonly #pending = new Set<PendingCallback>();

  constructor(start: Date | string | number = '2026-01-01T00:00:00Z') {
    this.#nowMs = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.#nowMs);
  }

  schedule(callback: () => unknown, delayMs: number): ScheduledCallback {
    const entry: PendingCallback = { dueAt: this.#nowMs + Math.max(0, delayMs), order: this.#order++, callback };
    this.#pending.add(entry);
    return {
      cancel: () => {
        this.#pending.delete(entry);
      },
    };
  }

  /** How many callbacks wait to fire. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Moves time forward by `ms`, firing (and awaiting) every callback that falls due on the way. */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.#nowMs + ms);
  }

  async advanceTo(instant: Date | string | number): Promise<void> {
    const target = new Date(instant).getTime();
    if (target < this.#nowMs) throw new RangeError('ManualScheduler cannot move backwards');
    for (;;) {
      let earliest: PendingCallback | undefined;
      for (const entry of this.#pending) {
        if (entry.dueAt > target) continue;
        if (
          earliest === undefined ||
          entry.dueAt < earliest.dueAt ||
          (entry.dueAt === earliest.dueAt && entry.order < earliest.order)
        ) {
          earliest = entry;
        }
      }
      if (earliest === undefined) break;
      this.#pending.delete(earliest);
      this.#nowMs = Math.max(this.#nowMs, earliest.dueAt);
      await earliest.callback();
    }
    this.#nowMs = target;
  }
}
