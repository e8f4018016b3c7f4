/**
 * Parses the body of a notification POST: a `changeNotificationCollection` (`{"value":[...],
 * "validationTokens":[...]}`, docs/graph-protocol.md §3.2). Body-level faults are coded errors the HTTP adapter maps
 * to 4xx; item-level faults are found per item (`parseNotificationItem`) so one bad item never costs the good ones.
 */
import { GraphNotifyError } from '../shared/errors';

export class NotificationBodyTooLarge extends GraphNotifyError {
  constructor(limitBytes: number) {
    super(
      'ERR_INGEST_BODY_TOO_LARGE',
      `Request body exceeds the ${limitBytes}-byte limit (setting INGEST_MAX_BODY_BYTES).`,
    );
  }
}

export class NotificationTooManyItems extends GraphNotifyError {
  constructor(detail: string) {
    super('ERR_INGEST_TOO_MANY_ITEMS', `Request body has too many items: ${detail}.`);
  }
}

export class NotificationMediaTypeUnsupported extends GraphNotifyError {
  constructor(contentType: string | undefined) {
    super(
      'ERR_INGEST_UNSUPPORTED_MEDIA_TYPE',
      `Content-Type must be application/json, got ${contentType === undefined ? 'none' : JSON.stringify(contentType.slice(0, 100))}.`,
    );
  }
}

export class NotificationJsonMalformed extends GraphNotifyError {
  constructor(detail: string) {
    super('ERR_INGEST_MALFORMED_JSON', `Request body is not valid JSON: ${detail}`);
  }
}

export class NotificationCollectionInvalid extends GraphNotifyError {
  constructor(detail: string) {
    super('ERR_INGEST_INVALID_COLLECTION', `Request body is not a change notification collection: ${detail}`);
  }
}

export interface ParsedCollection {
  /** The elements of `value`, not yet checked: `parseNotificationItem` checks each (ingest does, in slices). */
  readonly rawItems: readonly unknown[];
  /** JWTs Graph attaches for rich notifications; verified by processing, not here (docs/graph-protocol.md §5.4, §4.1). */
  readonly validationTokens: readonly string[];
}

/**
 * Most items one POST may carry. Graph documents no maximum, but batches only what queued up for one URL, and the
 * other routes hand over at most 5,000 (Event Grid) or 100 (Event Hubs) events at a time: docs/ingest.md#bounded-work-per-request.
 */
export const MAX_ITEMS_PER_REQUEST = 10_000;
/** Most JSON objects and arrays one POST may hold: eight per item, where Graph's hold at most three. */
export const MAX_CONTAINERS_PER_REQUEST = 8 * MAX_ITEMS_PER_REQUEST;

const MAX_VALIDATION_TOKENS = 100;
const MAX_TOKEN_LENGTH = 16 * 1024;

export function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const mediaType = contentType.split(';', 1)[0]?.trim().toLowerCase();
  return mediaType === 'application/json';
}

/** Refuses a body that is not UTF-8; one instance serves every request (a whole-buffer decode keeps no state). */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Checks media type and size, then parses. `bodyBytes` is the raw body. */
export function parseNotificationCollection(
  contentType: string | undefined,
  bodyBytes: Uint8Array,
  maxBodyBytes: number,
): ParsedCollection {
  if (bodyBytes.byteLength > maxBodyBytes) throw new NotificationBodyTooLarge(maxBodyBytes);
  if (!isJsonContentType(contentType)) throw new NotificationMediaTypeUnsupported(contentType);

  checkItemCount(bodyBytes);

  let body: unknown;
  try {
    body = JSON.parse(STRICT_UTF8.decode(bodyBytes));
  } catch (error) {
    throw new NotificationJsonMalformed(error instanceof Error ? error.message.slice(0, 200) : 'unreadable');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new NotificationCollectionInvalid('expected a JSON object with a "value" array');
  const { value, validationTokens } = body as { value?: unknown; validationTokens?: unknown };
  if (!Array.isArray(value)) throw new NotificationCollectionInvalid('"value" must be an array');
  if (value.length === 0) throw new NotificationCollectionInvalid('"value" is empty');
  return { rawItems: value, validationTokens: parseValidationTokens(validationTokens) };
}

function parseValidationTokens(raw: unknown): readonly string[] {
  // null is documented for misconfigured tenants (§5.1); processing then rejects the rich items.
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw) || raw.length > MAX_VALIDATION_TOKENS) {
    throw new NotificationCollectionInvalid(
      `"validationTokens" must be an array of at most ${MAX_VALIDATION_TOKENS} strings`,
    );
  }
  return raw.map((token, index) => {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
      throw new NotificationCollectionInvalid(`"validationTokens[${index}]" must be a non-empty string`);
    }
    return token;
  });
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;
const isJsonWhitespace = (byte: number) => byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;

/** Whether the bytes of a JSON string's content spell `value` (escapes included: `\u0076alue` is `value` too). */
function spellsValue(bytes: Uint8Array, start: number, end: number): boolean {
  // `value` written with every character escaped is 30 bytes; anything longer is another key.
  if (end - start > 30) return false;
  try {
    return JSON.parse(`"${new TextDecoder().decode(bytes.subarray(start, end))}"`) === 'value';
  } catch {
    return false;
  }
}

/**
 * The index of the quote that closes the JSON string whose content starts at `start` (a quote preceded by an even
 * run of backslashes), or the body's length when it never closes.
 */
function closingQuote(bytes: Uint8Array, start: number): number {
  for (let quote = bytes.indexOf(QUOTE, start); quote >= 0; quote = bytes.indexOf(QUOTE, quote + 1)) {
    let backslashes = 0;
    while (quote - backslashes - 1 >= start && bytes[quote - backslashes - 1] === BACKSLASH) backslashes += 1;
    if (backslashes % 2 === 0) return quote;
  }
  return bytes.length;
}

/**
 * No body shorter than this passes a cap, so the count below is skipped for it: one item more than
 * MAX_ITEMS_PER_REQUEST takes a byte each and a `[` or `,` before each, and one container more than
 * MAX_CONTAINERS_PER_REQUEST a bracket each. Most POSTs are this short (ten Graph notifications are about 6 KB).
 */
export const SHORTEST_BODY_OVER_A_CAP = Math.min(2 * (MAX_ITEMS_PER_REQUEST + 1), MAX_CONTAINERS_PER_REQUEST + 1);

/**
 * Counts, in one pass over the raw bytes and without building anything, the items of the top-level `value` array
 * (or of a top-level array) and every JSON object and array in the body, and refuses the body as soon as either
 * passes its cap: `JSON.parse` of 4 MiB of `{},` would build 1.3 million objects before any check could run. The
 * body is not validated here (`JSON.parse` does that next): a malformed body is counted as far as it goes. UTF-8 never
 * uses an ASCII byte inside a multi-byte character, so scanning bytes for JSON's structural characters is exact.
 */
function checkItemCount(bytes: Uint8Array): void {
  if (bytes.length < SHORTEST_BODY_OVER_A_CAP) return;
  let depth = 0;
  let containers = 0;
  let items = 0;
  let rootIsObject = false;
  /** In the top-level object, the next string is a key. */
  let expectingKey = false;
  /** The last top-level key read is `value`. */
  let keyIsValue = false;
  /** Depth of the array whose elements are counted (`value`'s, or a top-level array); undefined outside it. */
  let itemsDepth: number | undefined;
  let expectingItem = false;
  for (let index = 0; index < bytes.length; index += 1) {
    const byte = bytes[index] ?? 0;
    if (isJsonWhitespace(byte)) continue;
    if (expectingItem && byte !== CLOSE_ARRAY) {
      expectingItem = false;
      items += 1;
      if (items > MAX_ITEMS_PER_REQUEST)
        throw new NotificationTooManyItems(`more than ${MAX_ITEMS_PER_REQUEST} notifications in "value"`);
    }
    if (byte === QUOTE) {
      // Most of a body is string content: jump to the string's closing quote instead of stepping through it.
      const end = closingQuote(bytes, index + 1);
      if (expectingKey) keyIsValue = spellsValue(bytes, index + 1, end);
      expectingKey = false;
      index = end;
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      depth += 1;
      containers += 1;
      if (containers > MAX_CONTAINERS_PER_REQUEST)
        throw new NotificationTooManyItems(`more than ${MAX_CONTAINERS_PER_REQUEST} JSON objects and arrays`);
      if (depth === 1) rootIsObject = expectingKey = byte === OPEN_OBJECT;
      const opensItems = byte === OPEN_ARRAY && (depth === 1 || (depth === 2 && rootIsObject && keyIsValue));
      if (opensItems) {
        itemsDepth = depth;
        expectingItem = true;
      }
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      if (depth === itemsDepth) {
        itemsDepth = undefined;
        expectingItem = false;
      }
      depth -= 1;
    } else if (byte === COMMA) {
      if (depth === 1 && rootIsObject) expectingKey = true;
      if (depth === itemsDepth) expectingItem = true;
    }
  }
}
