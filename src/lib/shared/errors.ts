/**
 * One error catalogue for the whole domain. Every error the domain raises on bad input or a failed
 * dependency is a `GraphNotifyError` with a stable `code` from `ErrorCode`, so callers `switch` on the
 * code and never on the message. Programming mistakes throw `TypeError` instead.
 *
 * Add a code here when you add a subclass; `test/lib/shared/errors.test.ts` keeps this list and
 * `docs/errors.md` in step.
 */
export const ERROR_CODES = [
  'ERR_CONFIG_INVALID',
  'ERR_INGEST_BODY_TOO_LARGE',
  'ERR_INGEST_TOO_MANY_ITEMS',
  'ERR_INGEST_UNSUPPORTED_MEDIA_TYPE',
  'ERR_INGEST_MALFORMED_JSON',
  'ERR_INGEST_INVALID_COLLECTION',
  'ERR_INGEST_CLAIMED_PAYLOAD_UNREADABLE',
  'ERR_EVENT_GRID_TOPIC_NOT_FOUND',
  'ERR_ARM_UNAVAILABLE',
  'ERR_ARM_REQUEST_REFUSED',
  'ERR_STORAGE_UNAVAILABLE',
  'ERR_STORAGE_CONFLICT',
  'ERR_STORAGE_NOT_FOUND',
  'ERR_ENVELOPE_INVALID',
  'ERR_GRAPH_REQUEST_FAILED',
  'ERR_GRAPH_THROTTLED',
  'ERR_GRAPH_NOT_FOUND',
  'ERR_GRAPH_AUTH_FAILED',
  'ERR_VALIDATION_TOKEN_INVALID',
  'ERR_DECRYPTION_FAILED',
  'ERR_SUBSCRIPTION_RULE_VIOLATED',
  'ERR_SUBSCRIPTION_SELECT_REQUIRED',
  'ERR_SUBSCRIPTION_NOT_FOUND',
  'ERR_SUBSCRIPTION_USER_NOT_FOUND',
  'ERR_GRAPH_UNAVAILABLE',
  'ERR_GRAPH_ACCESS_DENIED',
  'ERR_GRAPH_CREDENTIAL_REJECTED',
  'ERR_GRAPH_RESYNC_REQUIRED',
  'ERR_GRAPH_RESPONSE_INVALID',
  'ERR_VALIDATION_KEYS_UNAVAILABLE',
  'ERR_SUBSCRIPTION_REQUEST_INVALID',
  'ERR_SUBSCRIPTION_REFUSED',
  'ERR_SUBSCRIPTION_DUPLICATE',
  'ERR_SUBSCRIPTION_BUSY',
  'ERR_SUBSCRIPTION_VALIDATION_UNREACHABLE',
  'ERR_SUBSCRIPTION_LIST_PAUSED',
  'ERR_SUBSCRIPTIONS_NOT_CONFIGURED',
  'ERR_DESIRED_STATE_INVALID',
  // HTTP-only answers of the function adapters.
  'ERR_ROUTE_NOT_FOUND',
  'ERR_METHOD_NOT_ALLOWED',
  'ERR_UNEXPECTED',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class GraphNotifyError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * A setting is missing or malformed. `problems` lists every one found, each naming its setting. `scope`
 * names the part of the app that cannot work because of them, when the rest still does.
 */
export class ConfigurationInvalid extends GraphNotifyError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[], scope?: string) {
    super(
      'ERR_CONFIG_INVALID',
      `${scope === undefined ? 'Invalid configuration' : `${scope} is unavailable until these settings are fixed`}:\n  - ${problems.join('\n  - ')}`,
    );
    this.problems = problems;
  }
}

/** Storage (queue, table or blob) could not be reached or refused the operation for a transient reason. */
export class StorageUnavailable extends GraphNotifyError {
  constructor(operation: string, options?: { cause?: unknown }) {
    super('ERR_STORAGE_UNAVAILABLE', `Storage unavailable during ${operation}`, options);
  }
}

/** An optimistic-concurrency write lost the race: the entity changed since it was read. */
export class StorageConflict extends GraphNotifyError {
  constructor(what: string, options?: { cause?: unknown }) {
    super('ERR_STORAGE_CONFLICT', `${what} changed since it was read (ETag mismatch) or already exists`, options);
  }
}

/** The entity or blob does not exist. */
export class StorageNotFound extends GraphNotifyError {
  constructor(what: string, options?: { cause?: unknown }) {
    super('ERR_STORAGE_NOT_FOUND', `${what} does not exist`, options);
  }
}

export function isGraphNotifyError(error: unknown): error is GraphNotifyError {
  return error instanceof GraphNotifyError;
}
