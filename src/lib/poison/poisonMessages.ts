/**
 * The poison-queue use cases behind `graph-notify poison list|replay|purge`: show what failed (a summary of
 * each envelope, never its content), put messages back on their main queue once the cause is fixed, or
 * drop them. Replay sends first and deletes second, so a crash in between duplicates a message rather
 * than losing it; processing is idempotent, so a duplicate is harmless.
 *
 * Listing only peeks. Acting on chosen ids must receive (Queue Storage deletes a message only with the pop
 * receipt a receive hands out), so it first peeks to find them, receives no further than the last of them,
 * and makes every other message it received visible again at once: nothing else stays hidden.
 */
import { isClaimCheck, parseQueueEnvelope } from '../notifications';
import type { MessageSender } from '../storage';
import type { PoisonMessage, PoisonQueue, ReceivedPoisonMessage } from './ports';

export interface PoisonSummary {
  readonly id: string;
  readonly insertedOn: string | undefined;
  /** Times the poison-queue copy itself was received (0 unless a tool received it). */
  readonly dequeueCount: number;
  /**
   * Deliveries to the trigger before the message was poisoned: a message that is not an envelope goes to the
   * poison queue at its first delivery; the host moves any other after maxDequeueCount failed deliveries.
   */
  readonly attempts: number;
  /** `notifications`, `lifecycle`, or `unreadable` when the text is not an envelope. */
  readonly kind: string;
  readonly envelopeId: string | undefined;
  readonly items: number | undefined;
  readonly receivedAt: string | undefined;
  readonly claimCheck: boolean;
}

/** Azure Queue Storage returns at most 32 messages per peek or receive, and peeks only at the first 32. */
const PAGE = 32;
/** Long enough to send and delete a page; a message a crash leaves hidden reappears after it. */
const RECEIVE_VISIBILITY_SECONDS = 60;

/** `maxDequeueCount` is the host's limit (host.json, or its app-setting override). */
export function summarize(message: PoisonMessage, maxDequeueCount: number): PoisonSummary {
  const base = { id: message.id, insertedOn: message.insertedOn, dequeueCount: message.dequeueCount };
  try {
    const envelope = parseQueueEnvelope(message.text);
    const readable = {
      ...base,
      attempts: maxDequeueCount,
      kind: envelope.kind,
      envelopeId: envelope.id,
      receivedAt: envelope.receivedAt,
    };
    return isClaimCheck(envelope)
      ? { ...readable, items: envelope.claimCheck.itemCount, claimCheck: true }
      : { ...readable, items: envelope.items.length, claimCheck: false };
  } catch {
    return {
      ...base,
      attempts: 1,
      kind: 'unreadable',
      envelopeId: undefined,
      items: undefined,
      receivedAt: undefined,
      claimCheck: false,
    };
  }
}

export async function listPoisonMessages(
  queue: PoisonQueue,
  maxDequeueCount: number,
): Promise<{ readonly total: number; readonly shown: readonly PoisonSummary[] }> {
  const [total, messages] = await Promise.all([queue.count(), queue.peek(PAGE)]);
  return { total, shown: messages.map((message) => summarize(message, maxDequeueCount)) };
}

export interface SelectOptions {
  /** Only these message ids; all when undefined. */
  readonly ids?: readonly string[] | undefined;
}

/** Sends each selected poison message back to `target` (its main queue), then deletes it from the poison queue. */
export async function replayPoisonMessages(
  queue: PoisonQueue,
  target: MessageSender,
  options: SelectOptions = {},
): Promise<{ readonly replayed: number; readonly missing: readonly string[] }> {
  let replayed = 0;
  const done = await forEachSelected(queue, options, async (message) => {
    await target.send(message.text);
    await queue.delete(message);
    replayed += 1;
  });
  return { replayed, missing: (options.ids ?? []).filter((id) => !done.has(id)) };
}

/** Deletes the selected poison messages (all of them when no ids are given). */
export async function purgePoisonMessages(
  queue: PoisonQueue,
  options: SelectOptions = {},
): Promise<{ readonly purged: number; readonly missing: readonly string[] }> {
  if (options.ids === undefined) {
    const total = await queue.count();
    await queue.clear();
    return { purged: total, missing: [] };
  }
  let purged = 0;
  const done = await forEachSelected(queue, options, async (message) => {
    await queue.delete(message);
    purged += 1;
  });
  return { purged, missing: options.ids.filter((id) => !done.has(id)) };
}

async function forEachSelected(
  queue: PoisonQueue,
  options: SelectOptions,
  act: (message: ReceivedPoisonMessage) => Promise<void>,
): Promise<Set<string>> {
  return options.ids === undefined ? forEachMessage(queue, act) : forEachChosen(queue, new Set(options.ids), act);
}

/** Every message, page by page. */
async function forEachMessage(
  queue: PoisonQueue,
  act: (message: ReceivedPoisonMessage) => Promise<void>,
): Promise<Set<string>> {
  const done = new Set<string>();
  for (;;) {
    const fresh = (await queue.receive(PAGE, RECEIVE_VISIBILITY_SECONDS)).filter((message) => !done.has(message.id));
    if (fresh.length === 0) return done;
    for (const message of fresh) {
      await act(message);
      done.add(message.id);
    }
  }
}

/**
 * Only the chosen ids, among the messages a peek sees (the first 32): receives up to the last chosen one and
 * releases (makes visible again) every other message it received, even when acting fails.
 */
async function forEachChosen(
  queue: PoisonQueue,
  wanted: ReadonlySet<string>,
  act: (message: ReceivedPoisonMessage) => Promise<void>,
): Promise<Set<string>> {
  const done = new Set<string>();
  const peeked = await queue.peek(PAGE);
  const reach = peeked.findLastIndex((message) => wanted.has(message.id)) + 1;
  if (reach === 0) return done;
  const others: ReceivedPoisonMessage[] = [];
  try {
    const present = new Set(
      peeked
        .slice(0, reach)
        .filter((message) => wanted.has(message.id))
        .map((message) => message.id),
    );
    // Queue Storage receives in roughly, not exactly, the order a peek shows: receive again while a chosen one is missing.
    for (let received = await queue.receive(reach, RECEIVE_VISIBILITY_SECONDS); received.length > 0;) {
      for (const message of received) {
        if (!present.has(message.id)) {
          others.push(message);
          continue;
        }
        await act(message);
        done.add(message.id);
      }
      received =
        done.size === present.size ? [] : await queue.receive(present.size - done.size, RECEIVE_VISIBILITY_SECONDS);
    }
  } finally {
    await Promise.all(others.map((message) => queue.release(message)));
  }
  return done;
}
