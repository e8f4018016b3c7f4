/**
 * Time is a parameter. The domain asks a `Clock` for the current instant once per invocation and
 * derives everything from it, so tests freeze or advance time instead of sleeping.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock for tests and simulations: starts at `start` and moves only when told to. */
export class ManualClock implements Clock {
  #epochMs: number;

  constructor(start: Date | string | number = '2026-01-01T00:00:00Z') {
    this.#epochMs = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.#epochMs);
  }

  advance(ms: number): void {
    this.#epochMs += ms;
  }

  set(instant: Date | string | number): void {
    this.#epochMs = new Date(instant).getTime();
  }
}
