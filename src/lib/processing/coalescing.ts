/**
 * Coalescing across deliveries (docs/processing.md#coalescing-across-deliveries). The first time a message
 * is seen, each basic notification about a resource read by id is either read now or held:
 *
 * - a quiet resource (no notification about it in the COALESCE_DELAY_SECONDS before this one) is read at
 *   once, after at most `settleMs` from the receipt, so a lone change reaches the sink in about a second
 *   and the other POSTs of a burst that land meanwhile are covered by the same read;
 * - a resource with recent activity is debounced: its notifications go back on the notifications queue
 *   (marked `waited`) for about the gap since its previous notification plus a second (`debounceSeconds`,
 *   at most COALESCE_DELAY_SECONDS); when they return, the resource is read only if no later notification
 *   about it is queued, unless it has already waited COALESCE_MAX_WAIT_SECONDS.
 *
 * Both record their receipts, which is how the next notification knows the resource is active. Other
 * basic notifications (drive roots, unsupported resources) are held as before. A lost receipt only costs
 * an extra read, never a change: correctness never rests on coalescing.
 */
import { followUpEnvelope, isRich, QUEUE_MESSAGE_MAX_JSON_BYTES, type NotificationEnvelope } from '../notifications';
import { kindOfNotificationResource, normalizeResourcePath } from '../resources';
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import { describeError } from '../shared/redact';
import type { MessageSender } from '../storage';
import type { ReceiptEntry, ReceiptLog, ResourceReceipt, SinkEntry } from './ports';

export interface CoalescingDependencies {
  /** The latest receipt per resource, recorded when a message's basic notifications are held. */
  readonly receipts: ReceiptLog;
  /**
   * How long a resource must have had no notification to count as quiet, and the longest the notifications
   * of an active resource wait on the queue before they are read (COALESCE_DELAY_SECONDS, > 0).
   */
  readonly delaySeconds: number;
  /** A resource under continuous change is read at least this often (COALESCE_MAX_WAIT_SECONDS). */
  readonly maxWaitMs: number;
  /** A quiet resource is read no sooner than this after the POST was received (`SETTLE_MS` in the app). */
  readonly settleMs: number;
  /** Waits `ms` milliseconds (the composition root passes a timer; tests pass what they like). */
  readonly sleep: (ms: number) => Promise<void>;
  /** Quiet reads claimed in this process, shared by its invocations (one `QuietClaims` per process). */
  readonly claims: QuietClaims;
}

/**
 * The quiet reads this process has decided on, per resource, with the receipt of the message that claimed
 * each. Messages of one burst are often received by one batch of the queue listener and decided at the
 * same moment, before any of their receipts is in the table: the first to claim a resource reads it, the
 * others find the claim and wait like any notification about an active resource (that read, started
 * after they were received, covers them). Only within one instance; across instances the table decides.
 */
export class QuietClaims {
  readonly #claims = new Map<string, number>();

  /**
   * Claims `key` for a read of the notification received at `receivedAtMs`, unless a message of this
   * process claimed it within `windowMs` before (or after); false then.
   */
  claim(key: string, receivedAtMs: number, windowMs: number): boolean {
    const claimed = this.#claims.get(key);
    if (claimed !== undefined && Math.abs(receivedAtMs - claimed) < windowMs && claimed !== receivedAtMs) return false;
    this.#claims.set(key, Math.max(receivedAtMs, claimed ?? receivedAtMs));
    if (this.#claims.size > MAX_CLAIMS) this.#forgetOlderThan(receivedAtMs - windowMs);
    return true;
  }

  /** Whether the message received at `receivedAtMs` holds the claim on `key`: it reads that resource now. */
  isClaimedBy(key: string, receivedAtMs: number): boolean {
    return this.#claims.get(key) === receivedAtMs;
  }

  /** When the message holding the claim on `key` was received, if one of this process holds it. */
  claimedAt(key: string): number | undefined {
    return this.#claims.get(key);
  }

  /**
   * Gives up the claim of the message received at `receivedAtMs` on `key`: the receipt log found the
   * resource active, so that message waits like any other and must not read when it comes back.
   */
  release(key: string, receivedAtMs: number): void {
    if (this.#claims.get(key) === receivedAtMs) this.#claims.delete(key);
  }

  #forgetOlderThan(instantMs: number): void {
    for (const [key, claimed] of this.#claims) if (claimed < instantMs) this.#claims.delete(key);
  }
}

/** Claims kept before old ones are swept (each is a resource key and a number). */
const MAX_CLAIMS = 10_000;

/**
 * How long a quiet resource's read waits after its POST was received: Graph sends the POSTs of a burst
 * tens of milliseconds apart, and the ones received before the read starts are covered by it, so a burst
 * that lands inside this costs one read. Most of it has usually passed while the message waited for the
 * queue listener's next poll, so it rarely adds to a lone change's latency.
 */
export const SETTLE_MS = 500;

/**
 * How much longer than the gap since its resource's previous notification a notification about an active
 * resource waits on the queue. A series of changes tends to keep its pace: waiting the last gap and a bit
 * finds the next notification's receipt if the series goes on, so the read is left to it, and reads soon
 * after the series stops. 1 s covers the queue listener's pickup jitter (up to maxPollingInterval).
 */
export const DEBOUNCE_MARGIN_SECONDS = 1;

type Item = Readonly<Record<string, unknown>>;

export interface HeldForCoalescing {
  /** What this delivery processes now: the message itself, or the part of it that was not held. */
  readonly toProcessNow: NotificationEnvelope;
  /** The basic notifications put back on the queue to wait; their receipts are recorded next (`recordReceipts`). */
  readonly held: readonly Item[];
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * The rule, pure: a notification received at `receivedAt` finds its resource active when a notification
 * about it was received less than `quietMs` before (or later: this one was delivered late), in another
 * POST; else quiet.
 */
export function isRecentlyActive(receipt: ReceiptEntry | undefined, receivedAt: string, quietMs: number): boolean {
  if (receipt === undefined) return false;
  const sinceLast = Date.parse(receivedAt) - Date.parse(receipt.lastReceivedAt);
  // 0: another message of the same POST (or this one, redelivered) recorded it; the same POST is not activity.
  return sinceLast !== 0 && sinceLast < quietMs;
}

/**
 * The debounce of a notification about an active resource, pure: the gap since the resource's previous
 * notification, in whole seconds (a queue visibility delay is whole seconds), plus `DEBOUNCE_MARGIN_SECONDS`,
 * at most `delaySeconds` (COALESCE_DELAY_SECONDS). Changes 1 s apart wait 2 s each, changes 3 s apart 4 s.
 */
export function debounceSeconds(previousReceivedAt: string, receivedAt: string, delaySeconds: number): number {
  const gapSeconds = Math.abs(Date.parse(receivedAt) - Date.parse(previousReceivedAt)) / 1000;
  return Math.min(delaySeconds, Math.round(gapSeconds) + DEBOUNCE_MARGIN_SECONDS);
}

const readById = (item: Item): boolean =>
  kindOfNotificationResource(text(item.resource) ?? '')?.retrieval.kind === 'byId';
const resourceKey = (item: Item): string =>
  `${text(item.tenantId) ?? ''}|${normalizeResourcePath(text(item.resource) ?? '', text(item.tenantId))}`;

/**
 * How long each basic notification waits: 0 for one about a quiet resource (read now), its debounce for one
 * about an active resource, the whole delay for one not read by id (drive roots: a delta run covers them).
 * One receipt read per resource this process has not claimed for another message's read.
 */
async function waitsOf(
  basic: readonly Item[],
  receivedAt: string,
  coalescing: CoalescingDependencies,
): Promise<Map<Item, number>> {
  const waits = new Map<Item, number>();
  const byResource = new Map<string, Item[]>();
  for (const item of basic) {
    if (!readById(item)) waits.set(item, coalescing.delaySeconds);
    else byResource.set(resourceKey(item), [...(byResource.get(resourceKey(item)) ?? []), item]);
  }
  const quietMs = coalescing.delaySeconds * 1000;
  const receivedAtMs = Date.parse(receivedAt);
  const waitFor = (items: readonly Item[], seconds: number): void => {
    for (const item of items) waits.set(item, seconds);
  };
  // Claims are taken before the first await, so concurrent messages of this process see each other's.
  const claimed: [string, Item[]][] = [];
  for (const [key, items] of byResource) {
    if (coalescing.claims.claim(key, receivedAtMs, quietMs)) claimed.push([key, items]);
    else {
      // Another message of this process reads it now: wait as if its receipt were the previous one.
      const claimedAt = coalescing.claims.claimedAt(key) ?? receivedAtMs;
      waitFor(items, debounceSeconds(new Date(claimedAt).toISOString(), receivedAt, coalescing.delaySeconds));
    }
  }
  await Promise.all(
    claimed.map(async ([key, items]) => {
      const first = items[0] as Item;
      const receipt = await coalescing.receipts.read(
        text(first.tenantId) ?? '',
        normalizeResourcePath(text(first.resource) ?? '', text(first.tenantId)),
      );
      if (receipt === undefined || !isRecentlyActive(receipt, receivedAt, quietMs)) {
        waitFor(items, 0);
        return;
      }
      // Active after all: this message waits, and must not read as the claim's holder when it comes back.
      coalescing.claims.release(key, receivedAtMs);
      waitFor(items, debounceSeconds(receipt.lastReceivedAt, receivedAt, coalescing.delaySeconds));
    }),
  );
  return waits;
}

/**
 * The first pass of coalescing: basic notifications about quiet resources stay to be read now, their
 * receipts recorded at once and the read settled (`SETTLE_MS`); the others go back on the notifications
 * queue as one message marked `waited`, invisible for the longest of their waits (`waitsOf`). Rich
 * notifications carry their state and are processed at once, as is anything that already waited or would
 * not fit in a queue message. A receipt that cannot be read counts the resource as quiet: it is read now.
 */
export async function holdForCoalescing(
  envelope: NotificationEnvelope,
  coalescing: CoalescingDependencies | undefined,
  notificationsQueue: MessageSender,
  log: Logger,
  clock: Clock,
): Promise<HeldForCoalescing> {
  const nothingHeld: HeldForCoalescing = { toProcessNow: envelope, held: [] };
  if (coalescing === undefined || envelope.waited === true) return nothingHeld;
  const basic = envelope.items.filter((item) => !isRich(item));
  if (basic.length === 0) return nothingHeld;
  const waits = await waitsOf(basic, envelope.receivedAt, coalescing).catch((error: unknown) => {
    log.warn(
      `Could not read notification receipts for coalescing; reading ${basic.length} notification(s) without waiting: ${describeError(error)}`,
    );
    return new Map(basic.map((item) => [item, readById(item) ? 0 : coalescing.delaySeconds]));
  });
  const readNow = basic.filter((item) => waits.get(item) === 0);
  const held = basic.filter((item) => waits.get(item) !== 0);
  const later = JSON.stringify(followUpEnvelope(envelope, held, { idSuffix: 'waited', waited: true }));
  if (held.length > 0 && Buffer.byteLength(later, 'utf8') > QUEUE_MESSAGE_MAX_JSON_BYTES) return nothingHeld;
  await recordReceipts(coalescing, readNow, envelope.receivedAt, log);
  // The held notifications wait together, for the longest of their waits: waiting longer costs latency, never a read.
  const visibilityDelaySeconds = Math.max(0, ...held.map((item) => waits.get(item) ?? coalescing.delaySeconds));
  if (held.length > 0) await notificationsQueue.send(later, { visibilityDelaySeconds });
  if (readNow.length > 0) await settle(coalescing, envelope.receivedAt, clock);
  const readNowSet = new Set(readNow);
  return held.length === 0
    ? nothingHeld
    : {
        toProcessNow: { ...envelope, items: envelope.items.filter((item) => isRich(item) || readNowSet.has(item)) },
        held,
      };
}

/**
 * Waits until `settleMs` after the receipt before quiet resources are read, so the POSTs of a burst that
 * arrive meanwhile are covered by the same read. No wait when that time has passed.
 */
async function settle(coalescing: CoalescingDependencies, receivedAt: string, clock: Clock): Promise<void> {
  const remainingMs = Date.parse(receivedAt) + coalescing.settleMs - clock.now().getTime();
  if (remainingMs > 0) await coalescing.sleep(remainingMs);
}

/**
 * Records the receipt of each notification about a resource read by id, held or read now (once the
 * message holding them is stored), so a message still waiting knows a later one is queued and the next
 * notification knows the resource is active. A failure is logged and the
 * message goes on: a missing receipt only costs an extra read, never a change.
 */
export async function recordReceipts(
  coalescing: CoalescingDependencies | undefined,
  items: readonly Item[],
  receivedAt: string,
  log: Logger,
): Promise<void> {
  if (coalescing === undefined || items.length === 0) return;
  const entries: ResourceReceipt[] = [];
  for (const item of items) {
    const resource = text(item.resource) ?? '';
    if (kindOfNotificationResource(resource)?.retrieval.kind !== 'byId') continue;
    entries.push({
      tenantId: text(item.tenantId) ?? '',
      resourcePath: normalizeResourcePath(resource, text(item.tenantId)),
      receivedAt,
    });
  }
  try {
    await coalescing.receipts.record(entries);
  } catch (error) {
    log.warn(
      `Could not record ${entries.length} notification receipt(s) for coalescing; ` +
        `they will be read without waiting for later ones: ${describeError(error)}`,
    );
  }
}

/**
 * True when a later notification about this resource is already on the queue (a newer
 * receipt after storing its message): that message reads the resource after its own receipt, which
 * covers this one, so this read is left to it. Unless this resource has waited `maxWaitMs` already: a
 * resource that keeps changing is still read that often. The oldest waiting receipt is remembered in the
 * receipt log; one older than the sink's state is from a wait a read has already ended.
 */
export async function leaveToLaterNotification(
  resource: { readonly tenantId: string; readonly path: string },
  entry: SinkEntry | undefined,
  receivedAt: string,
  coalescing: CoalescingDependencies | undefined,
  clock: Clock,
): Promise<boolean> {
  if (coalescing === undefined) return false;
  // A quiet resource this message claimed is read now, whatever arrived since: those later notifications
  // were held, and each is read after its delay unless this read (started after them) covers it.
  if (coalescing.claims.isClaimedBy(`${resource.tenantId}|${resource.path}`, Date.parse(receivedAt))) return false;
  const receipt = await coalescing.receipts.read(resource.tenantId, resource.path);
  if (receipt === undefined || receipt.lastReceivedAt <= receivedAt) return false;
  const pending = receipt.pendingSince;
  const waiting = pending !== undefined && (entry === undefined || pending > entry.observedAt) ? pending : undefined;
  const since = waiting === undefined || receivedAt < waiting ? receivedAt : waiting;
  if (clock.now().getTime() - Date.parse(since) >= coalescing.maxWaitMs) return false;
  if (since !== waiting) await coalescing.receipts.markPending(resource.tenantId, resource.path, since);
  return true;
}
