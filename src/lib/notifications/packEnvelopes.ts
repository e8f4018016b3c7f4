/**
 * Packs accepted notifications into queue messages. Greedy, in arrival order: each message takes items
 * until the next one would push its JSON past `maxJsonBytes` (the base64 limit, see envelope.ts). Sizes
 * are computed exactly from the serialised JSON, so a packed message never exceeds the limit. An item
 * that does not fit in an otherwise empty message is returned in `oversized` for the claim-check path.
 */
import { randomUUID } from 'node:crypto';
import { ENVELOPE_VERSION, QUEUE_MESSAGE_MAX_JSON_BYTES, type EnvelopeKind, type NotificationEnvelope } from './envelope';

export interface PackInput {
  readonly kind: EnvelopeKind;
  readonly receivedAt: string;
  readonly items: readonly Readonly<Record<string, unknown>>[];
  readonly validationTokens: readonly string[];
}

export interface PackOptions {
  /** Upper bound on each message's JSON size in bytes. */
  readonly maxJsonBytes?: number;
  /** Upper bound on items per message (1 = one message per notification). */
  readonly maxItemsPerMessage?: number;
  readonly newId?: () => string;
}

export interface PackedEnvelopes {
  /** Envelopes that each fit in one queue message. */
  readonly envelopes: readonly NotificationEnvelope[];
  /** One envelope holding every item too large for a message on its own, or undefined. */
  readonly oversized: NotificationEnvelope | undefined;
}

const utf8Length = (value: unknown): number => Buffer.byteLength(JSON.stringify(value), 'utf8');

export function packEnvelopes(input: PackInput, options: PackOptions = {}): PackedEnvelopes {
  const maxJsonBytes = options.maxJsonBytes ?? QUEUE_MESSAGE_MAX_JSON_BYTES;
  const maxItems = options.maxItemsPerMessage ?? Number.POSITIVE_INFINITY;
  const newId = options.newId ?? randomUUID;

  const envelopes: NotificationEnvelope[] = [];
  const oversizedItems: Readonly<Record<string, unknown>>[] = [];
  let current: Readonly<Record<string, unknown>>[] = [];
  let currentRich = false;
  let currentBytes = 0;

  const build = (items: readonly Readonly<Record<string, unknown>>[], rich: boolean): NotificationEnvelope => {
    const withTokens = input.validationTokens.length > 0 && (rich || input.kind === 'lifecycle');
    return {
      v: ENVELOPE_VERSION,
      kind: input.kind,
      id: newId(),
      receivedAt: input.receivedAt,
      items,
      ...(withTokens ? { validationTokens: input.validationTokens } : {}),
    };
  };
  // Overhead of an envelope with an empty item list, with and without tokens (ids are fixed-length UUIDs).
  const overhead = (rich: boolean): number => utf8Length(build([], rich));

  const flush = (): void => {
    if (current.length > 0) envelopes.push(build(current, currentRich));
    current = [];
    currentRich = false;
    currentBytes = 0;
  };

  for (const item of input.items) {
    const itemBytes = utf8Length(item);
    const itemRich = isRich(item);
    if (overhead(itemRich) + itemBytes > maxJsonBytes) {
      oversizedItems.push(item);
      continue;
    }
    const rich = currentRich || itemRich;
    // +1 for the comma between items.
    const projected = overhead(rich) + currentBytes + itemBytes + (current.length > 0 ? 1 : 0);
    if (current.length > 0 && (projected > maxJsonBytes || current.length >= maxItems)) flush();
    current.push(item);
    currentBytes += itemBytes + (current.length > 1 ? 1 : 0);
    currentRich = currentRich || itemRich;
  }
  flush();

  return {
    envelopes,
    oversized: oversizedItems.length > 0 ? build(oversizedItems, oversizedItems.some(isRich)) : undefined,
  };
}

/** A rich notification: it carries the resource's data (`encryptedContent`), so processing reads nothing for it. */
export function isRich(item: Readonly<Record<string, unknown>>): boolean {
  return item.encryptedContent !== undefined && item.encryptedContent !== null;
}
