/**
 * The simulator's time and timers. Everything that happens "later" in Graph (delivery retries,
 * subscription expiry, lifecycle challenges, workload ticks) is a timer on this clock, so a test can
 * run days of subscription lifecycle in milliseconds by advancing virtual time.
 *
 * Two modes:
 * - `manual`: time moves only through `advance`/`advanceTo`. Timers due now run promptly on their own.
 * - `realtime`: time follows the wall clock multiplied by `scale` (1 = real time), and `advance` still jumps.
 *
 * Network timeouts (delivery and handshake) are wall-clock by nature; they are not on this clock.
 */
import type { Clock } from '../../src/lib/shared/clock.js';

export type ClockMode = 'manual' | 'realtime';

export interface SimClockOptions {
  mode?: ClockMode;
  /** Virtual start instant; defaults to the wall clock at creation. */
  start?: Date | string | number;
  /** Realtime mode only: virtual milliseconds per wall millisecond. */
  scale?: number;
}

export interface TimerHandle {
  cancel(): void;
}

interface Timer {
  readonly seq: number;
  readonly atMs: number;
  readonly label: string;
  readonly run: () => Promise<void> | void;
  cancelled: boolean;
}

const MAX_WALL_TIMEOUT_MS = 2_147_483_647;

export class SimClock implements Clock {
  readonly mode: ClockMode;
  readonly scale: number;
  #virtualBaseMs: number;
  #wallBaseMs: number;
  #timers: Timer[] = [];
  #seq = 0;
  #inFlight = new Set<Promise<void>>();
  #wallTimer: NodeJS.Timeout | undefined;
  #drainQueued = false;
  #stopped = false;
  #onError: (label: string, error: unknown) => void;

  constructor(options: SimClockOptions = {}, onError: (label: string, error: unknown) => void = () => undefined) {
    this.mode = options.mode ?? 'manual';
    this.scale = options.scale ?? 1;
    if (!(this.scale > 0)) throw new TypeError('clock scale must be a positive number');
    this.#wallBaseMs = Date.now();
    this.#virtualBaseMs = options.start === undefined ? this.#wallBaseMs : new Date(options.start).getTime();
    if (Number.isNaN(this.#virtualBaseMs)) throw new TypeError('clock start is not a valid date');
    this.#onError = onError;
  }

  nowMs(): number {
    if (this.mode === 'manual') return this.#virtualBaseMs;
    return this.#virtualBaseMs + (Date.now() - this.#wallBaseMs) * this.scale;
  }

  now(): Date {
    return new Date(this.nowMs());
  }

  /** Runs `run` when virtual time reaches `atMs` (immediately, asynchronously, when that is not in the future). */
  schedule(atMs: number, label: string, run: () => Promise<void> | void): TimerHandle {
    const timer: Timer = { seq: this.#seq++, atMs, label, run, cancelled: false };
    // Kept in order (time, then scheduling order) by binary search: tens of thousands of subscription timers stay cheap.
    this.#timers.splice(this.#indexAfter(timer), 0, timer);
    this.#arm();
    return {
      cancel: () => {
        timer.cancelled = true;
        const index = this.#indexAfter(timer) - 1;
        if (this.#timers[index] === timer) this.#timers.splice(index, 1);
      },
    };
  }

  /** Where `timer` goes in the ordered list: after every timer due before it or at the same time and scheduled no later. */
  #indexAfter(timer: Timer): number {
    let low = 0;
    let high = this.#timers.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const other = this.#timers[middle];
      if (other !== undefined && (other.atMs < timer.atMs || (other.atMs === timer.atMs && other.seq <= timer.seq)))
        low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Moves virtual time forward by `ms`, running every timer that falls due on the way, in order, to completion. */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new TypeError('advance needs a non-negative number of milliseconds');
    await this.advanceTo(this.nowMs() + ms);
  }

  async advanceTo(targetMs: number): Promise<void> {
    await this.settle();
    for (;;) {
      const next = this.#timers[0];
      if (next === undefined || next.atMs > targetMs) break;
      this.#jumpTo(Math.max(next.atMs, this.nowMs()));
      await this.settle();
    }
    if (targetMs > this.nowMs()) this.#jumpTo(targetMs);
    await this.settle();
  }

  /** Resolves once no timer is due and no timer's work is still running. */
  async settle(): Promise<void> {
    for (;;) {
      this.#runDue();
      if (this.#inFlight.size === 0) {
        if (this.#hasDue()) continue;
        return;
      }
      await Promise.race(this.#inFlight);
    }
  }

  pendingTimers(): { atMs: number; label: string }[] {
    return this.#timers.map((t) => ({ atMs: t.atMs, label: t.label }));
  }

  stop(): void {
    this.#stopped = true;
    if (this.#wallTimer !== undefined) clearTimeout(this.#wallTimer);
    this.#timers = [];
  }

  #jumpTo(ms: number): void {
    const now = this.nowMs();
    if (ms <= now) return;
    this.#virtualBaseMs += ms - now;
    this.#arm();
  }

  #hasDue(): boolean {
    const next = this.#timers[0];
    return next !== undefined && next.atMs <= this.nowMs();
  }

  #runDue(): void {
    while (!this.#stopped && this.#hasDue()) {
      const timer = this.#timers.shift();
      if (timer === undefined || timer.cancelled) continue;
      const work = (async () => {
        try {
          await timer.run();
        } catch (error) {
          this.#onError(timer.label, error);
        }
      })();
      this.#inFlight.add(work);
      void work.finally(() => this.#inFlight.delete(work));
    }
    this.#arm();
  }

  /** Makes sure due timers run without anyone calling `settle`, and (realtime) that a wall timer waits for the next one. */
  #arm(): void {
    if (this.#stopped) return;
    if (this.#hasDue()) {
      if (!this.#drainQueued) {
        this.#drainQueued = true;
        setImmediate(() => {
          this.#drainQueued = false;
          this.#runDue();
        });
      }
      return;
    }
    if (this.mode !== 'realtime') return;
    if (this.#wallTimer !== undefined) clearTimeout(this.#wallTimer);
    this.#wallTimer = undefined;
    const next = this.#timers[0];
    if (next === undefined) return;
    const wallDelay = Math.min(MAX_WALL_TIMEOUT_MS, Math.max(0, Math.ceil((next.atMs - this.nowMs()) / this.scale)));
    this.#wallTimer = setTimeout(() => {
      this.#wallTimer = undefined;
      this.#runDue();
    }, wallDelay);
    this.#wallTimer.unref();
  }
}
