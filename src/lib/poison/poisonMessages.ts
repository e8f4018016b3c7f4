/**
 * The poison-queue use cases behind `graph-notify poison list|replay|purge`: show what failed (a summary of
 * each envelope, never its content), put messages back on their main queue once the cause is fixed, or
 * drop them. Replay sends first and deletes second, so a crash in between duplicates a message rather
 * than losing it; processing is idempotent, so a duplicate is harmless.
 */
import { isClaimCheck, parseQueueEnvelope } from '../notifications';
import type { MessageSender } from '../storage';
import type { PoisonMessage, PoisonQueue, ReceivedPoisonMessage } from './ports';

export interface PoisonSummary {
  readonly id: string;
  readonly insertedOn: string | undefined;
  readonly dequeueCount: number;
  /** `notifications`, `lifecycle`, or `unreadable` when the text is not an envelope. */
  readonly kind: string;
  readonly envelopeId: string | undefined;
  readonly items: number | undefined;
  readonly receivedAt: string | undefined;
  readonly claimCheck: boolean;
}

/** Azure Queue Storage returns at most 32 messages per peek or receive. */
const PAGE = 32;
/** Long enough to send and delete a page; messages not replayed reappear after it. */
const RECEIVE_VISIBILITY_SECONDS = 60;

export function summarize(message: PoisonMessage): PoisonSummary {
  const base = { id: message.id, insertedOn: message.insertedOn, dequeueCount: message.dequeueCount };
  try {
    const envelope = parseQueueEnvelope(message.text);
    return isClaimCheck(envelope)
      ? { ...base, kind: envelope.kind, envelopeId: envelope.id, items: envelope.claimCheck.itemCount, receivedAt: envelope.receivedAt, claimCheck: true }
      : { ...base, kind: envelope.kind, envelopeId: envelope.id, items: envelope.items.length, receivedAt: envelope.receivedAt, claimCheck: false };
  } catch {
    return { ...base, kind: 'unreadable', envelopeId: undefined, items: undefined, receivedAt: undefined, claimCheck: false };
  }
}

export async function listPoisonMessages(queue: PoisonQueue): Promise<{ readonly total: number; readonly shown: readonly PoisonSummary[] }> {
  const [total, messages] = await Promise.all([queue.count(), queue.peek(PAGE)]);
  return { total, shown: messages.map(summarize) };
}

export interface SelectOptions {
  /** Only these message ids; all when undefined. */
  readonly ids?: readonly string[] | undefined;
}

/** Sends each selected poison message back to `target` (its main queue), then deletes it from the poison queue. */
export async function replayPoisonMessages(queue: PoisonQueue, target: MessageSender, options: SelectOptions = {}): Promise<{ readonly replayed: number; readonly missing: readonly string[] }> {
  let replayed = 0;
  const done = await forEachSelected(queue, options, async (message) => {
    await target.send(message.text);
    await queue.delete(message);
    replayed += 1;
  });
  return { replayed, missing: (options.ids ?? []).filter((id) => !done.has(id)) };
}

/** Deletes the selected poison messages (all of them when no ids are given). */
export async function purgePoisonMessages(queue: PoisonQueue, options: SelectOptions = {}): Promise<{ readonly purged: number; readonly missing: readonly string[] }> {
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

async function forEachSelected(queue: PoisonQueue, options: SelectOptions, act: (message: ReceivedPoisonMessage) => Promise<void>): Promise<Set<string>> {
  const wanted = options.ids === undefined ? undefined : new Set(options.ids);
  const done = new Set<string>();
  const seen = new Set<string>();
  for (;;) {
    const page = await queue.receive(PAGE, RECEIVE_VISIBILITY_SECONDS);
    const fresh = page.filter((message) => !seen.has(message.id));
    if (fresh.length === 0) return done;
    for (const message of fresh) {
      seen.add(message.id);
      if (wanted !== undefined && !wanted.has(message.id)) continue;
      await act(message);
      done.add(message.id);
    }
    if (wanted !== undefined && done.size === wanted.size) return done;
  }
}
