/**
 * Fault injection. Two kinds, both changeable while the simulator runs:
 * - ratios (a share of Graph reads throttled, 503s, slow responses, token endpoint failures, deliveries
 *   dropped or duplicated, lifecycle events at random), drawn from a seeded generator so runs repeat;
 * - scripted rules ("the next 3 GETs of /messages answer 429 with Retry-After 2"), which make tests exact.
 * Outlook's 4-concurrent-requests-per-mailbox limit is enforced as a rule of the service, not a fault.
 */

export interface FaultOptions {
  /** Share of Graph GET requests (including inner $batch requests) answered 429 + Retry-After. */
  readThrottleRatio: number;
  /** Retry-After in seconds on injected 429s (fractional allowed, docs/graph-protocol.md §8.1). */
  retryAfterSeconds: number;
  /** 429 ApplicationThrottled when more than 4 requests hit one mailbox at once (docs/graph-protocol.md §8.2). */
  enforceMailboxConcurrency: boolean;
  /** Share of Graph requests answered 503 + Retry-After. */
  serviceUnavailableRatio: number;
  /** Share of Graph requests delayed by `slowResponseMs` wall-clock milliseconds. */
  slowResponseRatio: number;
  slowResponseMs: number;
  /** Share of token requests answered 503 temporarily_unavailable. */
  tokenEndpointFailureRatio: number;
  /** Share of change notifications never sent (recorded as dropped in the ground-truth log). */
  dropDeliveryRatio: number;
  /** Share of change notifications sent twice (Graph replays, docs/graph-protocol.md §3.5). */
  duplicateDeliveryRatio: number;
  /** Upper bound (virtual ms) of a random extra delay per notification, which reorders deliveries. */
  reorderWindowMs: number;
  /** Chance per subscription and virtual hour of a spontaneous subscriptionRemoved (Outlook and Teams chatMessage). */
  subscriptionRemovedPerHour: number;
  /** Chance per subscription and virtual hour of a spontaneous `missed` (Outlook). */
  missedPerHour: number;
}

export const NO_FAULTS: FaultOptions = {
  readThrottleRatio: 0,
  retryAfterSeconds: 1,
  enforceMailboxConcurrency: true,
  serviceUnavailableRatio: 0,
  slowResponseRatio: 0,
  slowResponseMs: 0,
  tokenEndpointFailureRatio: 0,
  dropDeliveryRatio: 0,
  duplicateDeliveryRatio: 0,
  reorderWindowMs: 0,
  subscriptionRemovedPerHour: 0,
  missedPerHour: 0,
};

/** `handshake`: Graph's validation POST to a notification or lifecycle URL (path = the URL). */
export type FaultTarget = 'graph' | 'token' | 'delivery' | 'handshake';

/** A scripted fault: the next `times` matching requests get `status` (or, for deliveries, `action`). */
export interface FaultRule {
  target?: FaultTarget;
  /** HTTP method of the Graph request. */
  method?: string;
  /** Regular expression (source text) tested against the request path or the notification URL. */
  path?: string;
  status?: number;
  code?: string;
  message?: string;
  retryAfterSeconds?: number;
  /** Wall-clock delay before answering. */
  delayMs?: number;
  /**
   * Deliveries: drop the POST or send it twice. Handshakes: `timeout`, the endpoint answered later than Graph's
   * 10-s limit (without waiting them out).
   */
  action?: 'drop' | 'duplicate' | 'timeout';
  /** How many matches this rule answers; default 1. */
  times?: number;
}

interface ActiveRule extends FaultRule {
  id: number;
  remaining: number;
  pattern: RegExp | undefined;
}

/** A small seeded PRNG (mulberry32): the same seed gives the same faults and workload. */
export class SeededRandom {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  chance(probability: number): boolean {
    return probability > 0 && this.next() < probability;
  }

  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }

  pick<T>(items: readonly T[]): T | undefined {
    return items.length === 0 ? undefined : items[this.int(items.length)];
  }
}

/** A Graph request held in flight until the test releases it (see `FaultInjector.hold`). */
export interface HeldRequest {
  /** Resolves when a matching request has arrived and is being held. */
  readonly reached: Promise<void>;
  /** Lets the held request (or, if none has arrived yet, the next one) proceed. */
  release(): void;
}

interface ActiveHold {
  readonly method: string | undefined;
  readonly pattern: RegExp;
  readonly arrived: () => void;
  readonly released: Promise<void>;
}

export class FaultInjector {
  #options: FaultOptions;
  #rules: ActiveRule[] = [];
  #holds: ActiveHold[] = [];
  #nextId = 1;
  readonly random: SeededRandom;

  constructor(options: Partial<FaultOptions>, random: SeededRandom) {
    this.#options = { ...NO_FAULTS, ...options };
    this.random = random;
  }

  get options(): FaultOptions {
    return { ...this.#options };
  }

  /** Changes ratios at run time; unspecified fields keep their values. */
  configure(options: Partial<FaultOptions>): FaultOptions {
    for (const [key, value] of Object.entries(options)) {
      if (!(key in NO_FAULTS)) throw new TypeError(`unknown fault option ${key}`);
      if (typeof value !== typeof NO_FAULTS[key as keyof FaultOptions])
        throw new TypeError(`fault option ${key} has the wrong type`);
    }
    this.#options = { ...this.#options, ...options };
    return this.options;
  }

  reset(): void {
    this.#options = { ...NO_FAULTS };
    this.#rules = [];
    this.#holds = [];
  }

  addRule(rule: FaultRule): number {
    const id = this.#nextId++;
    this.#rules.push({
      ...rule,
      id,
      remaining: rule.times ?? 1,
      pattern: rule.path === undefined ? undefined : new RegExp(rule.path, 'i'),
    });
    return id;
  }

  removeRule(id: number): void {
    this.#rules = this.#rules.filter((r) => r.id !== id);
  }

  rules(): FaultRule[] {
    return this.#rules.map(({ id: _id, pattern: _pattern, remaining, ...rule }) => ({ ...rule, times: remaining }));
  }

  /**
   * Holds the next Graph request matching `path` (a regular expression, inner `$batch` requests included)
   * until `release()`: a read stays in flight while a test changes the resource under it.
   */
  hold(path: string, method?: string): HeldRequest {
    let arrived!: () => void;
    let release!: () => void;
    const reached = new Promise<void>((resolve) => (arrived = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    this.#holds.push({ method: method?.toUpperCase(), pattern: new RegExp(path, 'i'), arrived, released });
    return { reached, release };
  }

  /** Waits while a hold matches this request (each hold catches one request). */
  async waitIfHeld(method: string, path: string): Promise<void> {
    const hold = this.#holds.find(
      (h) => (h.method === undefined || h.method === method.toUpperCase()) && h.pattern.test(path),
    );
    if (hold === undefined) return;
    this.#holds = this.#holds.filter((h) => h !== hold);
    hold.arrived();
    await hold.released;
  }

  /** Consumes and returns the first scripted rule matching this request, if any. */
  takeRule(target: FaultTarget, method: string, path: string): FaultRule | undefined {
    const rule = this.#rules.find(
      (r) =>
        (r.target ?? 'graph') === target &&
        (r.method === undefined || r.method.toUpperCase() === method.toUpperCase()) &&
        (r.pattern === undefined || r.pattern.test(path)),
    );
    if (rule === undefined) return undefined;
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.#rules = this.#rules.filter((r) => r !== rule);
    return rule;
  }
}
