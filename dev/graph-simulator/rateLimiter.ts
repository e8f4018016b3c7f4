/**
 * Sliding-window request counting on virtual time, for the subscription API's own limits (docs/graph-protocol.md §1.7).
 * A request counts against every scope it belongs to; the first scope that is full throttles it, and
 * Retry-After says when that scope's oldest request leaves the window.
 */
export class SlidingWindowLimiter {
  readonly #windowMs: number;
  readonly #hits = new Map<string, number[]>();

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  /** Records the request in every scope and returns undefined, or returns the seconds to wait and records nothing. */
  take(nowMs: number, scopes: readonly { key: string; limit: number }[]): number | undefined {
    let waitMs = 0;
    for (const scope of scopes) {
      const hits = (this.#hits.get(scope.key) ?? []).filter((at) => nowMs - at < this.#windowMs);
      this.#hits.set(scope.key, hits);
      const oldest = hits[0];
      if (hits.length >= scope.limit && oldest !== undefined)
        waitMs = Math.max(waitMs, oldest + this.#windowMs - nowMs);
    }
    if (waitMs > 0) return Math.max(1, Math.ceil(waitMs / 1000));
    for (const scope of scopes) this.#hits.get(scope.key)?.push(nowMs);
    return undefined;
  }
}
