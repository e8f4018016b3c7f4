/**
 * Coalescing across deliveries (docs/processing.md#coalescing-across-deliveries): the first time a message
 * is seen, its basic notifications go back on the notifications queue for COALESCE_DELAY_SECONDS (marked
 * `waited`) and their receipts are recorded; when they return, a resource is read only if no later
 * notification about it is queued, unless it has already waited COALESCE_MAX_WAIT_SECONDS.
 * A lost receipt only costs an extra read, never a change: correctness never rests on coalescing.
 */
import { followUpEnvelope, isRich, QUEUE_MESSAGE_MAX_JSON_BYTES, type NotificationEnvelope } from '../notifications';
import { kindOfNotificationResource, normalizeResourcePath } from '../resources';
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import { describeError } from '../shared/redact';
import type { MessageSender } from '../storage';
import type { ReceiptLog, ResourceReceipt, SinkEntry } from './ports';

export interface CoalescingDependencies {
  /** The latest receipt per resource, recorded when a message's basic notifications are held. */
  readonly receipts: ReceiptLog;
  /** How long basic notifications wait on the queue before they are read (COALESCE_DELAY_SECONDS, > 0). */
  readonly delaySeconds: number;
  /** A resource under continuous change is read at least this often (COALESCE_MAX_WAIT_SECONDS). */
  readonly maxWaitMs: number;
}

type Item = Readonly<Record<string, unknown>>;

export interface HeldForCoalescing {
  /** What this delivery processes now: the message itself, or only its rich notifications when the rest was held. */
  readonly toProcessNow: NotificationEnvelope;
  /** The basic notifications put back on the queue to wait; their receipts are recorded next (`recordReceipts`). */
  readonly held: readonly Item[];
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * The first pass of coalescing: a message's basic notifications go back on the notifications queue,
 * invisible for the delay and marked `waited`. Rich notifications carry their state and are processed at
 * once, as is anything that already waited or would not fit in a queue message.
 */
export async function holdForCoalescing(
  envelope: NotificationEnvelope,
  coalescing: CoalescingDependencies | undefined,
  notificationsQueue: MessageSender,
): Promise<HeldForCoalescing> {
  const nothingHeld: HeldForCoalescing = { toProcessNow: envelope, held: [] };
  if (coalescing === undefined || envelope.waited === true) return nothingHeld;
  const basic = envelope.items.filter((item) => !isRich(item));
  if (basic.length === 0) return nothingHeld;
  const later = JSON.stringify(followUpEnvelope(envelope, basic, { idSuffix: 'waited', waited: true }));
  if (Buffer.byteLength(later, 'utf8') > QUEUE_MESSAGE_MAX_JSON_BYTES) return nothingHeld;
  await notificationsQueue.send(later, { visibilityDelaySeconds: coalescing.delaySeconds });
  return { toProcessNow: { ...envelope, items: envelope.items.filter(isRich) }, held: basic };
}

/**
 * Records the receipt of each held notification about a resource read by id, once the message holding
 * them is stored, so a message still waiting knows a later one is queued. A failure is logged and the
 * message goes on: a missing receipt only costs an extra read, never a change.
 */
export async function recordReceipts(
  coalescing: CoalescingDependencies | undefined,
  held: readonly Item[],
  receivedAt: string,
  log: Logger,
): Promise<void> {
  if (coalescing === undefined || held.length === 0) return;
  const entries: ResourceReceipt[] = [];
  for (const item of held) {
    const resource = text(item.resource) ?? '';
    if (kindOfNotificationResource(resource)?.retrieval.kind !== 'byId') continue;
    entries.push({ tenantId: text(item.tenantId) ?? '', resourcePath: normalizeResourcePath(resource), receivedAt });
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
  const receipt = await coalescing.receipts.read(resource.tenantId, resource.path);
  if (receipt === undefined || receipt.lastReceivedAt <= receivedAt) return false;
  const pending = receipt.pendingSince;
  const waiting = pending !== undefined && (entry === undefined || pending > entry.observedAt) ? pending : undefined;
  const since = waiting === undefined || receivedAt < waiting ? receivedAt : waiting;
  if (clock.now().getTime() - Date.parse(since) >= coalescing.maxWaitMs) return false;
  if (since !== waiting) await coalescing.receipts.markPending(resource.tenantId, resource.path, since);
  return true;
}
