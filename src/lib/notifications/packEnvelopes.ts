/**
 * Packs accepted notifications into queue messages. Greedy, in arrival order: each message takes items
 * until the next one would push its JSON past `maxJsonBytes` (the base64 limit, see envelope.ts). Sizes
 * are computed exactly from the serialised JSON, so a packed message never exceeds the limit. An item
 * that does not fit in an otherwise empty message is returned in `oversized` for the claim-check path.
 * Ingest runs this for every POST: each item is serialised once and each message makes one id.
 */
import { randomUUID } from 'node:crypto';
import {
  ENVELOPE_VERSION,
  QUEUE_MESSAGE_MAX_JSON_BYTES,
  type AuthenticatedRoute,
  type EnvelopeKind,
  type NotificationEnvelope,
} from './envelope';

export interface PackInput {
  readonly kind: EnvelopeKind;
  readonly receivedAt: string;
  /** Set by ingest only when the caller's adapter vouches for the route (envelope.ts). */
  readonly authenticatedRoute?: AuthenticatedRoute | undefined;
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
  /** The queue message of each envelope, in the same order: exactly `JSON.stringify(envelopes[i])`. */
  readonly messages: readonly string[];
  /** One envelope holding every item too large for a message on its own, or undefined. */
  readonly oversized: NotificationEnvelope | undefined;
}

type Item = Readonly<Record<string, unknown>>;

/** The envelope being filled: its items, their JSON, and the bytes both take. */
interface OpenEnvelope {
  readonly id: string;
  readonly head: string;
  readonly headBytes: number;
  readonly items: Item[];
  readonly itemTexts: string[];
  /** Bytes of the items' JSON and the commas between them. */
  bytes: number;
  rich: boolean;
}

const utf8Length = (text: string): number => Buffer.byteLength(text, 'utf8');

// Longer than most functions here, on purpose: its closures share the head and tail texts worked out once per
// call, and the packing loop reads best next to them.
export function packEnvelopes(input: PackInput, options: PackOptions = {}): PackedEnvelopes {
  const maxJsonBytes = options.maxJsonBytes ?? QUEUE_MESSAGE_MAX_JSON_BYTES;
  const maxItems = options.maxItemsPerMessage ?? Number.POSITIVE_INFINITY;
  const newId = options.newId ?? randomUUID;

  const withTokens = (rich: boolean): boolean =>
    input.validationTokens.length > 0 && (rich || input.kind === 'lifecycle');
  const route = input.authenticatedRoute === undefined ? {} : { authenticatedRoute: input.authenticatedRoute };
  const build = (id: string, items: readonly Item[], rich: boolean): NotificationEnvelope => ({
    v: ENVELOPE_VERSION,
    kind: input.kind,
    id,
    receivedAt: input.receivedAt,
    ...route,
    items,
    ...(withTokens(rich) ? { validationTokens: input.validationTokens } : {}),
  });
  // Each item is serialised once and each message is its items' JSON between a head and a tail: the same
  // text `JSON.stringify` gives the envelope (property order of `build`), without a second serialisation.
  const headOf = (id: string): string =>
    JSON.stringify({
      v: ENVELOPE_VERSION,
      kind: input.kind,
      id,
      receivedAt: input.receivedAt,
      ...route,
      items: [],
    }).slice(0, -2);
  const tokensTail = `],"validationTokens":${JSON.stringify(input.validationTokens)}}`;
  const tailOf = (rich: boolean): string => (withTokens(rich) ? tokensTail : ']}');
  const tailBytes = { plain: utf8Length(tailOf(false)), rich: utf8Length(tailOf(true)) };
  const overhead = (open: OpenEnvelope, rich: boolean): number =>
    open.headBytes + (rich ? tailBytes.rich : tailBytes.plain);

  const envelopes: NotificationEnvelope[] = [];
  const messages: string[] = [];
  const oversizedItems: Item[] = [];
  const start = (): OpenEnvelope => {
    const id = newId();
    const head = headOf(id);
    return { id, head, headBytes: utf8Length(head), items: [], itemTexts: [], bytes: 0, rich: false };
  };
  const finish = (open: OpenEnvelope): void => {
    if (open.items.length === 0) return;
    envelopes.push(build(open.id, open.items, open.rich));
    messages.push(`${open.head}${open.itemTexts.join(',')}${tailOf(open.rich)}`);
  };

  let open = start();
  for (const item of input.items) {
    const text = JSON.stringify(item);
    const itemBytes = utf8Length(text);
    const itemRich = isRich(item);
    if (overhead(open, itemRich) + itemBytes > maxJsonBytes) {
      oversizedItems.push(item);
      continue;
    }
    // +1 for the comma between items.
    const projected = overhead(open, open.rich || itemRich) + open.bytes + itemBytes + (open.items.length > 0 ? 1 : 0);
    if (open.items.length > 0 && (projected > maxJsonBytes || open.items.length >= maxItems)) {
      finish(open);
      open = start();
    }
    open.bytes += itemBytes + (open.items.length > 0 ? 1 : 0);
    open.items.push(item);
    open.itemTexts.push(text);
    open.rich ||= itemRich;
  }
  finish(open);

  return {
    envelopes,
    messages,
    oversized: oversizedItems.length > 0 ? build(newId(), oversizedItems, oversizedItems.some(isRich)) : undefined,
  };
}

/** A rich notification: it carries the resource's data (`encryptedContent`), so processing reads nothing for it. */
export function isRich(item: Readonly<Record<string, unknown>>): boolean {
  return item.encryptedContent !== undefined && item.encryptedContent !== null;
}
