/**
 * Delivery of change and lifecycle notifications to receivers, as docs/graph-protocol.md §3.5–§3.7 describe it:
 * queued per notification URL and batched into one `{"value":[...]}` POST; a 2xx within 3 s (first
 * attempt) or 10 s (retries) acknowledges; anything else is retried with backoff for up to 4 hours;
 * each URL has the slow/drop state machine, judged per notification. While a subscription's access token
 * has lapsed its change notifications are lost (the lifecycle events page; the default) or, with
 * `whilePaused: 'held'`, held (not counted as slow) until reauthorized or renewed, or until the 4 hours pass.
 *
 * Every notification and every attempt lands in a ground-truth log, so a test can prove that nothing
 * was lost (or see exactly what was, and why).
 */
import { randomUUID } from 'node:crypto';
import type { FaultInjector } from './faults.js';
import type { JsonObject } from './model.js';
import type { DeliveryOptions, EndpointThrottleOptions } from './options.js';
import type { ExpiryClass } from './resources.js';
import type { SimClock, TimerHandle } from './simClock.js';

/**
 * `dropped`: the endpoint was in the drop state (or a fault dropped it); `lost`: the subscription was paused
 * (access token lapsed) when it was due; `discarded`: not acknowledged within the 4-hour retry window;
 * `abandoned`: the subscription was deleted or expired first.
 */
export type NotificationStatus = 'pending' | 'delivered' | 'dropped' | 'lost' | 'discarded' | 'abandoned';

/** Ground truth for one notification Graph decided to send. */
export interface NotificationRecord {
  readonly id: string;
  readonly kind: 'change' | 'lifecycle';
  readonly subscriptionId: string;
  readonly tenantId: string;
  readonly appId: string;
  readonly url: string;
  readonly changeType: string | undefined;
  readonly lifecycleEvent: string | undefined;
  readonly resource: string | undefined;
  /** The change this notification reports (see `ChangeRecord`), undefined for lifecycle notifications. */
  readonly changeSeq: number | undefined;
  /** Virtual instant the notification was generated. */
  readonly createdAt: string;
  status: NotificationStatus;
  /** Why a notification was dropped, discarded or abandoned. */
  reason: string | undefined;
  attempts: number;
  deliveredAt: string | undefined;
  /** Extra copies that reached the receiver (injected duplicates). */
  duplicatesDelivered: number;
  /** For a dropped or lost change notification: whether Graph answered it with a `missed` lifecycle event. */
  missedSent: boolean | undefined;
  /** The item exactly as POSTed inside `value`. */
  readonly payload: JsonObject;
}

export type AttemptOutcome = 'acknowledged' | 'rejected' | 'timeout' | 'network-error';

export interface DeliveryAttempt {
  readonly id: string;
  readonly url: string;
  /** Virtual instant the POST started. */
  readonly at: string;
  readonly notificationIds: readonly string[];
  readonly firstAttempt: boolean;
  readonly timeoutMs: number;
  /** Wall-clock milliseconds until the response (or the timeout). */
  readonly durationMs: number;
  readonly outcome: AttemptOutcome;
  readonly status: number | undefined;
  readonly validationTokens: number;
}

export type EndpointState = 'normal' | 'slow' | 'drop';

export interface EndpointStatus {
  url: string;
  state: EndpointState;
  /** Virtual instant the current slow/drop state is re-evaluated. */
  until: string | undefined;
  samples: number;
  slowShare: number;
  dropShare: number;
  queued: number;
  inFlight: number;
}

interface QueuedItem {
  readonly record: NotificationRecord;
  readonly rich: boolean;
  readonly duplicate: boolean;
  /** When Graph first sends it (after latency and reordering): the 4-hour retry window starts here. */
  readonly firstDueAtMs: number;
  dueAtMs: number;
  attempt: number;
}

interface Sample {
  atMs: number;
  slow: boolean;
  verySlow: boolean;
}

interface UrlState {
  readonly url: string;
  queue: QueuedItem[];
  inFlight: number;
  samples: Sample[];
  state: EndpointState;
  untilMs: number;
  timer: TimerHandle | undefined;
  timerAtMs: number;
}

export interface NotificationInput {
  kind: 'change' | 'lifecycle';
  subscriptionId: string;
  tenantId: string;
  appId: string;
  url: string;
  payload: JsonObject;
  rich: boolean;
  changeType?: string;
  lifecycleEvent?: string;
  resource?: string;
  changeSeq?: number;
  /** Kind of the changed resource, which sets a change notification's latency (`delivery.latency`). */
  latencyOf?: ExpiryClass;
  /** Extra virtual delay before the first attempt (a workload's reordering hint). */
  delayMs?: number;
  /** A workload's duplicate hint; the larger of it and the configured ratios applies. */
  duplicateRatio?: number;
}

/** What the dispatcher needs to know about subscriptions, without owning them. */
export interface SubscriptionGate {
  /** `gone` abandons change notifications; `paused` loses or holds them. Lifecycle notifications ignore the gate. */
  stateOf(subscriptionId: string): 'active' | 'paused' | 'gone';
  /** One validation token per (app, tenant) with an item in a POST that has rich items (docs/graph-protocol.md §3.2, §5.4). */
  validationToken(appId: string, tenantId: string): Promise<string>;
  /** A notification was dropped (drop state or fault): Outlook subscriptions may get `missed`; true when sent. */
  onDropped(record: NotificationRecord): boolean;
}

/** Takes notifications addressed to a non-webhook URL (Event Grid, Event Hubs): Graph hands them over at once. */
export interface RouteSink {
  handles(url: string): boolean;
  publish(url: string, records: readonly NotificationRecord[]): void;
}

/** Label of the clock timers that send POSTs to a notification URL (`deliver {url}`). */
export const DELIVERY_TIMER_LABEL = 'deliver ';

export class NotificationDispatcher {
  readonly #clock: SimClock;
  readonly #options: DeliveryOptions;
  readonly #faults: FaultInjector;
  readonly #fetch: typeof fetch;
  readonly #gate: SubscriptionGate;
  readonly #log: (line: string) => void;
  readonly #urls = new Map<string, UrlState>();
  readonly #records = new Map<string, NotificationRecord>();
  readonly #attempts: DeliveryAttempt[] = [];
  #routes: RouteSink | undefined;

  constructor(
    clock: SimClock,
    options: DeliveryOptions,
    faults: FaultInjector,
    fetchImpl: typeof fetch,
    gate: SubscriptionGate,
    log: (line: string) => void,
  ) {
    this.#clock = clock;
    this.#options = options;
    this.#faults = faults;
    this.#fetch = fetchImpl;
    this.#gate = gate;
    this.#log = log;
  }

  /** Notifications for Event Grid and Event Hubs URLs go to `routes` instead of an HTTP POST. */
  routeThrough(routes: RouteSink): void {
    this.#routes = routes;
  }

  notifications(): NotificationRecord[] {
    return [...this.#records.values()];
  }

  attempts(): DeliveryAttempt[] {
    return [...this.#attempts];
  }

  endpoints(): EndpointStatus[] {
    return [...this.#urls.values()].map((u) => this.#status(u));
  }

  endpoint(url: string): EndpointStatus | undefined {
    const state = this.#urls.get(url);
    return state === undefined ? undefined : this.#status(state);
  }

  enqueue(input: NotificationInput): NotificationRecord {
    const now = this.#clock.nowMs();
    const record: NotificationRecord = {
      id: randomUUID(),
      kind: input.kind,
      subscriptionId: input.subscriptionId,
      tenantId: input.tenantId,
      appId: input.appId,
      url: input.url,
      changeType: input.changeType,
      lifecycleEvent: input.lifecycleEvent,
      resource: input.resource,
      changeSeq: input.changeSeq,
      createdAt: new Date(now).toISOString(),
      status: 'pending',
      reason: undefined,
      attempts: 0,
      deliveredAt: undefined,
      duplicatesDelivered: 0,
      missedSent: undefined,
      payload: input.payload,
    };
    this.#records.set(record.id, record);
    const url = this.#url(input.url);
    this.#evaluate(url, now);
    if (input.kind === 'change') {
      if (this.#losesWhilePaused(record)) return this.#lose(record);
      if (url.state === 'drop') return this.#drop(record, 'endpoint in drop state');
      if (this.#faults.random.chance(this.#faults.options.dropDeliveryRatio))
        return this.#drop(record, 'fault: dropDeliveryRatio');
    }
    const faults = this.#faults.options;
    const change = input.kind === 'change';
    // At least once, in no particular order, with latency (webhooks delivery page; latency table of the subscription page).
    const reorder = change ? Math.max(this.#options.reorderWindowMs, faults.reorderWindowMs, 0) : 0;
    let delay =
      (input.delayMs ?? 0) +
      (change ? this.#latencyMs(input.latencyOf) : 0) +
      (reorder > 0 ? this.#faults.random.int(reorder) : 0);
    if (url.state === 'slow' && change && this.#options.endpointThrottle !== false)
      delay += this.#options.endpointThrottle.slowDelayMs;
    const item: QueuedItem = {
      record,
      rich: input.rich,
      duplicate: false,
      firstDueAtMs: now + delay,
      dueAtMs: now + delay,
      attempt: 0,
    };
    url.queue.push(item);
    const duplicateRatio = Math.max(
      input.duplicateRatio ?? 0,
      faults.duplicateDeliveryRatio,
      this.#options.duplicateRatio,
    );
    if (change && this.#faults.random.chance(duplicateRatio)) {
      // Graph replays after outages (docs/graph-protocol.md §3.5): the copy goes out later, possibly after newer changes.
      const copyDelay = delay + 1 + this.#faults.random.int(Math.max(reorder, 1_000));
      url.queue.push({ ...item, duplicate: true, dueAtMs: now + copyDelay });
    }
    // Only the new item can make the next dispatch earlier; a full rescan per enqueue would be quadratic in bursts.
    if (url.timer === undefined || item.dueAtMs < url.timerAtMs) this.#arm(url, url.timer !== undefined);
    return record;
  }

  /**
   * A change notification's latency: within twice the average for most, between the average and the maximum
   * for `lateShare` of them; times `scale`.
   */
  #latencyMs(kind: ExpiryClass | undefined): number {
    const { scale, byResource, lateShare } = this.#options.latency;
    if (kind === undefined || scale === 0) return 0;
    const { averageMs, maxMs } = byResource[kind];
    const random = this.#faults.random;
    const ms = random.chance(lateShare)
      ? averageMs + random.next() * (maxMs - averageMs)
      : random.next() * Math.min(2 * averageMs, maxMs);
    return Math.round(ms * scale);
  }

  /** Re-examines queued items of one URL (after a reauthorize/renew unpaused a subscription). */
  kick(url: string): void {
    const state = this.#urls.get(url);
    if (state !== undefined) this.#arm(state, true);
  }

  /** Change notifications of a deleted or expired subscription are never sent. */
  abandonSubscription(subscriptionId: string, reason: string): void {
    for (const url of this.#urls.values()) {
      url.queue = url.queue.filter((item) => {
        if (item.record.subscriptionId !== subscriptionId || item.record.kind !== 'change') return true;
        if (!item.duplicate && item.record.status === 'pending') {
          item.record.status = 'abandoned';
          item.record.reason = reason;
        }
        return false;
      });
    }
  }

  #drop(record: NotificationRecord, reason: string): NotificationRecord {
    record.status = 'dropped';
    record.reason = reason;
    this.#log(`notification ${record.id} for subscription ${record.subscriptionId} dropped: ${reason}`);
    record.missedSent = this.#gate.onDropped(record);
    return record;
  }

  /** A change notification due while its subscription is paused, under `whilePaused: 'lost'`. */
  #losesWhilePaused(record: NotificationRecord): boolean {
    return (
      record.kind === 'change' &&
      this.#options.whilePaused === 'lost' &&
      this.#gate.stateOf(record.subscriptionId) === 'paused'
    );
  }

  /** The lifecycle events page: changes made while delivery is paused are lost and must be recovered with delta. */
  #lose(record: NotificationRecord): NotificationRecord {
    record.status = 'lost';
    record.reason = 'subscription paused: its access token had lapsed';
    record.missedSent = false;
    this.#log(`notification ${record.id} for subscription ${record.subscriptionId} lost: the subscription was paused`);
    return record;
  }

  #url(url: string): UrlState {
    let state = this.#urls.get(url);
    if (state === undefined) {
      state = {
        url,
        queue: [],
        inFlight: 0,
        samples: [],
        state: 'normal',
        untilMs: 0,
        timer: undefined,
        timerAtMs: Number.POSITIVE_INFINITY,
      };
      this.#urls.set(url, state);
    }
    return state;
  }

  /** Schedules the next dispatch for `url` at the earliest instant something can happen. */
  #arm(url: UrlState, force = false): void {
    // A POST in flight re-arms when it completes; arming now would spin on items it cannot send yet.
    if (url.inFlight >= this.#options.maxConcurrentPerUrl) return;
    let next = Number.POSITIVE_INFINITY;
    for (const item of url.queue) {
      const gate = item.record.kind === 'change' ? this.#gate.stateOf(item.record.subscriptionId) : 'active';
      // Held items matter again when their retry window closes and they must be discarded.
      const at =
        gate === 'paused' && this.#options.whilePaused === 'held'
          ? item.firstDueAtMs + this.#options.retryWindowMs
          : item.dueAtMs;
      if (at < next) next = at;
    }
    if (next === Number.POSITIVE_INFINITY) return;
    if (!force && url.timer !== undefined && url.timerAtMs <= next) return;
    url.timer?.cancel();
    url.timerAtMs = next;
    url.timer = this.#clock.schedule(next, `${DELIVERY_TIMER_LABEL}${url.url}`, async () => {
      url.timer = undefined;
      url.timerAtMs = Number.POSITIVE_INFINITY;
      await this.#dispatch(url);
    });
  }

  /** Sends what is due, up to the URL's concurrency; the clock tracks the POSTs so `settle()` waits for them. */
  async #dispatch(url: UrlState): Promise<void> {
    const now = this.#clock.nowMs();
    this.#evaluate(url, now);
    const ready: QueuedItem[] = [];
    url.queue = url.queue.filter((item) => {
      const gate = item.record.kind === 'change' ? this.#gate.stateOf(item.record.subscriptionId) : 'active';
      if (gate === 'gone') {
        if (!item.duplicate && item.record.status === 'pending') {
          item.record.status = 'abandoned';
          item.record.reason = 'subscription no longer exists';
        }
        return false;
      }
      if (!item.duplicate && item.record.status === 'pending' && this.#losesWhilePaused(item.record)) {
        this.#lose(item.record);
        return false;
      }
      if (item.duplicate && gate === 'paused' && this.#options.whilePaused === 'lost') return false;
      if (now - item.firstDueAtMs >= this.#options.retryWindowMs) {
        if (!item.duplicate && item.record.status === 'pending') {
          item.record.status = 'discarded';
          item.record.reason =
            gate === 'paused'
              ? 'held while the access token had lapsed for 4 hours'
              : 'not acknowledged within the 4-hour retry window';
        }
        return false;
      }
      if (gate === 'paused' || item.dueAtMs > now) return true;
      ready.push(item);
      return false;
    });
    // First attempts and retries travel separately because their timeouts differ (3 s vs 10 s, docs/graph-protocol.md §3.6).
    const batches: QueuedItem[][] = [];
    for (const firstAttempt of [true, false]) {
      const group = ready.filter((item) => (item.attempt === 0) === firstAttempt);
      for (let i = 0; i < group.length; i += this.#options.maxBatchSize)
        batches.push(group.slice(i, i + this.#options.maxBatchSize));
    }
    const capacity = Math.max(0, this.#options.maxConcurrentPerUrl - url.inFlight);
    const sending = batches.slice(0, capacity);
    for (const leftover of batches.slice(capacity)) url.queue.push(...leftover);
    url.inFlight += sending.length;
    this.#arm(url, true);
    await Promise.all(
      sending.map(async (batch) => {
        try {
          await this.#post(url, batch);
        } finally {
          url.inFlight -= 1;
          this.#arm(url, true);
        }
      }),
    );
  }

  async #post(url: UrlState, batch: QueuedItem[]): Promise<void> {
    const firstAttempt = batch.every((item) => item.attempt === 0);
    const timeoutMs = firstAttempt ? this.#options.firstAttemptTimeoutMs : this.#options.retryTimeoutMs;
    const startedAt = this.#clock.nowMs();
    const rule = this.#faults.takeRule('delivery', 'POST', url.url);
    if (rule?.action === 'drop') {
      for (const item of batch) if (!item.duplicate) this.#drop(item.record, 'fault: scripted delivery drop');
      return;
    }
    if (this.#routes?.handles(url.url) === true) {
      // Graph publishes into the topic or hub, which acknowledges at once; delivery from there is the route's.
      for (const item of batch) {
        item.attempt += 1;
        if (!item.duplicate) item.record.attempts += 1;
      }
      this.#routes.publish(
        url.url,
        batch.map((item) => item.record),
      );
      this.#recordAttempt(
        url,
        batch,
        startedAt,
        firstAttempt,
        timeoutMs,
        { outcome: 'acknowledged', status: 202, durationMs: 0 },
        0,
      );
      return;
    }
    // With any rich item in the POST, Graph sends "a single token for each distinct app and tenant pair for whom
    // there's an item in the value array" (changeNotificationCollection and rich-notification pages): basic
    // items of other tenants and apps sharing the URL get theirs too.
    const pairs = new Map<string, { appId: string; tenantId: string }>();
    if (batch.some((item) => item.rich))
      for (const item of batch)
        pairs.set(`${item.record.appId}|${item.record.tenantId}`, {
          appId: item.record.appId,
          tenantId: item.record.tenantId,
        });
    const validationTokens = await Promise.all(
      [...pairs.values()].map((p) => this.#gate.validationToken(p.appId, p.tenantId)),
    );
    const body = JSON.stringify({
      value: batch.map((item) => item.record.payload),
      ...(validationTokens.length > 0 ? { validationTokens } : {}),
    });
    for (const item of batch) {
      item.attempt += 1;
      if (!item.duplicate) item.record.attempts += 1;
    }
    const sendOnce = async (): Promise<{ outcome: AttemptOutcome; status: number | undefined; durationMs: number }> => {
      const wallStart = performance.now();
      try {
        const response = await this.#fetch(url.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        await response.arrayBuffer();
        const durationMs = performance.now() - wallStart;
        return {
          outcome: response.status >= 200 && response.status < 300 ? 'acknowledged' : 'rejected',
          status: response.status,
          durationMs,
        };
      } catch (error) {
        const durationMs = performance.now() - wallStart;
        const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
        return { outcome: timedOut ? 'timeout' : 'network-error', status: undefined, durationMs };
      }
    };
    const result = await sendOnce();
    this.#recordAttempt(url, batch, startedAt, firstAttempt, timeoutMs, result, validationTokens.length);
    if (result.outcome === 'acknowledged' && rule?.action === 'duplicate') {
      const again = await sendOnce();
      this.#recordAttempt(
        url,
        batch.map((item) => ({ ...item, duplicate: true })),
        this.#clock.nowMs(),
        false,
        timeoutMs,
        again,
        validationTokens.length,
      );
    }
  }

  #recordAttempt(
    url: UrlState,
    batch: QueuedItem[],
    startedAtMs: number,
    firstAttempt: boolean,
    timeoutMs: number,
    result: { outcome: AttemptOutcome; status: number | undefined; durationMs: number },
    validationTokens: number,
  ): void {
    const now = this.#clock.nowMs();
    this.#attempts.push({
      id: randomUUID(),
      url: url.url,
      at: new Date(startedAtMs).toISOString(),
      notificationIds: batch.map((item) => item.record.id),
      firstAttempt,
      timeoutMs,
      durationMs: Math.round(result.durationMs),
      outcome: result.outcome,
      status: result.status,
      validationTokens,
    });
    // Graph judges each notification delivery, not each POST (webhooks delivery page): a batch of n
    // notifications answered slowly is n slow deliveries. Paused subscriptions do not count.
    const counted = batch.filter(
      (item) => item.record.kind === 'lifecycle' || this.#gate.stateOf(item.record.subscriptionId) !== 'paused',
    ).length;
    if (counted > 0) {
      const slow = result.outcome === 'timeout' || result.durationMs > this.#options.firstAttemptTimeoutMs;
      const verySlow =
        (result.outcome === 'timeout' && !firstAttempt) || result.durationMs > this.#options.retryTimeoutMs;
      for (let i = 0; i < counted; i++) url.samples.push({ atMs: now, slow, verySlow });
      this.#evaluate(url, now);
    }
    for (const item of batch) {
      if (result.outcome === 'acknowledged') {
        if (item.duplicate) {
          item.record.duplicatesDelivered += 1;
        } else if (item.record.status === 'pending') {
          item.record.status = 'delivered';
          item.record.deliveredAt = new Date(now).toISOString();
        }
        continue;
      }
      if (item.duplicate) continue;
      const schedule = this.#options.retryScheduleMs;
      const delay = schedule[Math.min(item.attempt - 1, schedule.length - 1)] ?? 600_000;
      if (now + delay - item.firstDueAtMs >= this.#options.retryWindowMs) {
        item.record.status = 'discarded';
        item.record.reason = 'not acknowledged within the 4-hour retry window';
        continue;
      }
      item.dueAtMs = now + delay;
      url.queue.push(item);
    }
    if (result.outcome !== 'acknowledged') {
      this.#log(
        `delivery to ${redactUrl(url.url)} failed (${result.outcome}${result.status === undefined ? '' : ` ${result.status}`}); ${batch.length} notification(s) will be retried`,
      );
    }
  }

  /** The slow/drop state machine of docs/graph-protocol.md §3.7, keyed by notification URL. */
  #evaluate(url: UrlState, now: number): void {
    const options: EndpointThrottleOptions | false = this.#options.endpointThrottle;
    if (options === false) return;
    url.samples = url.samples.filter((s) => now - s.atMs < options.windowMs);
    // A state holds until its window ends, except that a slow endpoint whose replies pass the retry
    // allowance goes to drop at once (the worse state is never postponed).
    const holding = url.state !== 'normal' && now < url.untilMs;
    if (holding && url.state === 'drop') return;
    const count = url.samples.length;
    const previous = url.state;
    if (count === 0 || count < options.minSamples) {
      if (!holding) url.state = 'normal';
    } else {
      const slowShare = url.samples.filter((s) => s.slow).length / count;
      const dropShare = url.samples.filter((s) => s.verySlow).length / count;
      if (holding) {
        if (dropShare > options.dropRatio) {
          url.state = 'drop';
          url.untilMs = now + options.dropDurationMs;
        }
      } else if (dropShare > options.dropRatio) {
        url.state = 'drop';
        url.untilMs = now + options.dropDurationMs;
      } else if (slowShare > options.slowRatio) {
        url.state = 'slow';
        url.untilMs = now + options.slowDelayMs;
      } else {
        url.state = 'normal';
      }
    }
    if (previous !== url.state) this.#log(`endpoint ${redactUrl(url.url)} is now ${url.state}`);
  }

  #status(url: UrlState): EndpointStatus {
    const count = url.samples.length;
    return {
      url: url.url,
      state: url.state,
      until: url.state === 'normal' ? undefined : new Date(url.untilMs).toISOString(),
      samples: count,
      slowShare: count === 0 ? 0 : url.samples.filter((s) => s.slow).length / count,
      dropShare: count === 0 ? 0 : url.samples.filter((s) => s.verySlow).length / count,
      queued: url.queue.length,
      inFlight: url.inFlight,
    };
  }
}

/** Notification URLs may carry secrets in their query string; logs show only origin and path. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}${parsed.search === '' ? '' : '?***'}`;
  } catch {
    return '<invalid url>';
  }
}
