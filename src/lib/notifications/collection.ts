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

const MAX_VALIDATION_TOKENS = 100;
const MAX_TOKEN_LENGTH = 16 * 1024;

export function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const mediaType = contentType.split(';', 1)[0]?.trim().toLowerCase();
  return mediaType === 'application/json';
}

/** Checks media type and size, then parses. `bodyBytes` is the raw body. */
export function parseNotificationCollection(
  contentType: string | undefined,
  bodyBytes: Uint8Array,
  maxBodyBytes: number,
): ParsedCollection {
  if (bodyBytes.byteLength > maxBodyBytes) throw new NotificationBodyTooLarge(maxBodyBytes);
  if (!isJsonContentType(contentType)) throw new NotificationMediaTypeUnsupported(contentType);

  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bodyBytes));
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
