/**
 * "Is this failure transient?" answered in one place. Every use case, the HTTP error mapping and the CLI
 * exit codes classify a caught error here and then decide what their own trigger does with each class
 * (put back on a queue, fail the invocation, record a permanent failure, answer 503, exit 4, …).
 *
 * The classes follow the error's stable code, so a code added to `ERROR_CODES` must be classified below
 * before the code compiles.
 */
import { isGraphNotifyError, type ErrorCode } from './errors';

export type FailureClass =
  /** Graph asked us to slow down (429): wait its Retry-After, then the same call may succeed. */
  | 'throttled'
  /** A dependency failed for now (5xx, network, timeout, a garbled answer, storage, a key set, a busy lease). */
  | 'transient'
  /** The app's own credential or token was refused: the same call succeeds once an operator fixes it. */
  | 'credential'
  /** A setting is missing or invalid: nothing works until the configuration is fixed. */
  | 'configuration'
  /** The request itself is refused or wrong (bad input, 403, 404, other 4xx): it fails the same way again. */
  | 'permanent'
  /** Not one of our coded errors: a programming mistake. */
  | 'unexpected';

export interface ClassifiedFailure {
  readonly kind: FailureClass;
  /**
   * How long Graph asked us to wait before the same call: a 429's Retry-After (the client's default when
   * it sent none), or the Retry-After header of a 503/504. Undefined when Graph did not ask.
   */
  readonly retryAfterMs: number | undefined;
}

/**
 * The 401 question, decided once: a 401 from Graph (`ERR_GRAPH_AUTH_FAILED`) and a refusal from the token
 * endpoint (`ERR_GRAPH_CREDENTIAL_REJECTED`) both say the app's credential, token or consent is wrong or
 * expired. Nothing about the resource or the subscription is at fault, so neither may be recorded as a
 * permanent failure of one (that would drop changes); and retrying unchanged does not help either. Hence a
 * class of its own, `credential`: the work is kept and retried (queue retries, then the poison queue for
 * replay; a subscription keeps its status with `lastError`), the HTTP API answers 502 naming the settings
 * to check, and the CLI exits 1 (retrying the command will not help until the credential is fixed).
 */
const CLASS_BY_CODE: Readonly<Record<ErrorCode, FailureClass>> = {
  ERR_GRAPH_THROTTLED: 'throttled',
  ERR_GRAPH_UNAVAILABLE: 'transient',
  ERR_GRAPH_RESPONSE_INVALID: 'transient',
  ERR_STORAGE_UNAVAILABLE: 'transient',
  ERR_VALIDATION_KEYS_UNAVAILABLE: 'transient',
  // Another worker holds the subscription's lease for a moment.
  ERR_SUBSCRIPTION_BUSY: 'transient',
  // Graph's handshake on a renewal or reauthorize did not reach the webhook in time: the webhook, not the subscription.
  ERR_SUBSCRIPTION_VALIDATION_UNREACHABLE: 'transient',
  // The run's budget ended in the middle of a paced list of Graph's subscriptions: the next run lists again.
  ERR_SUBSCRIPTION_LIST_PAUSED: 'transient',
  ERR_GRAPH_AUTH_FAILED: 'credential',
  ERR_GRAPH_CREDENTIAL_REJECTED: 'credential',
  ERR_CONFIG_INVALID: 'configuration',
  ERR_SUBSCRIPTIONS_NOT_CONFIGURED: 'configuration',
  ERR_INGEST_BODY_TOO_LARGE: 'permanent',
  ERR_INGEST_TOO_MANY_ITEMS: 'permanent',
  ERR_INGEST_UNSUPPORTED_MEDIA_TYPE: 'permanent',
  ERR_INGEST_MALFORMED_JSON: 'permanent',
  ERR_INGEST_INVALID_COLLECTION: 'permanent',
  // Parked and replayed: the container may be configured, or the blob written, later.
  ERR_INGEST_CLAIMED_PAYLOAD_UNREADABLE: 'transient',
  // Azure Resource Manager (graph-notify eventgrid activate): a topic Graph has not created yet, a 429/5xx, a refusal.
  ERR_EVENT_GRID_TOPIC_NOT_FOUND: 'permanent',
  ERR_ARM_UNAVAILABLE: 'transient',
  ERR_ARM_REQUEST_REFUSED: 'permanent',
  // A lost optimistic-concurrency race: callers that can re-read and retry catch it before classifying.
  ERR_STORAGE_CONFLICT: 'permanent',
  ERR_STORAGE_NOT_FOUND: 'permanent',
  ERR_ENVELOPE_INVALID: 'permanent',
  ERR_GRAPH_REQUEST_FAILED: 'permanent',
  ERR_GRAPH_NOT_FOUND: 'permanent',
  ERR_GRAPH_ACCESS_DENIED: 'permanent',
  // The delta link cannot be followed again; the caller starts a full resync instead.
  ERR_GRAPH_RESYNC_REQUIRED: 'permanent',
  ERR_VALIDATION_TOKEN_INVALID: 'permanent',
  ERR_DECRYPTION_FAILED: 'permanent',
  ERR_SUBSCRIPTION_RULE_VIOLATED: 'permanent',
  ERR_SUBSCRIPTION_SELECT_REQUIRED: 'permanent',
  ERR_SUBSCRIPTION_NOT_FOUND: 'permanent',
  ERR_SUBSCRIPTION_USER_NOT_FOUND: 'permanent',
  ERR_SUBSCRIPTION_REQUEST_INVALID: 'permanent',
  ERR_SUBSCRIPTION_REFUSED: 'permanent',
  ERR_SUBSCRIPTION_DUPLICATE: 'permanent',
  ERR_DESIRED_STATE_INVALID: 'permanent',
  ERR_ROUTE_NOT_FOUND: 'permanent',
  ERR_METHOD_NOT_ALLOWED: 'permanent',
  ERR_UNEXPECTED: 'unexpected',
};

export function classifyFailure(error: unknown): ClassifiedFailure {
  if (!isGraphNotifyError(error)) return { kind: 'unexpected', retryAfterMs: undefined };
  const kind = CLASS_BY_CODE[error.code];
  return { kind, retryAfterMs: retryAfterOf(error, kind) };
}

/** True for the classes after which the same call may succeed later without anyone changing anything. */
export function isRetryableLater(failure: ClassifiedFailure): boolean {
  return failure.kind === 'throttled' || failure.kind === 'transient';
}

/** Graph's errors carry `retryAfterMs` (a default when no header came) and `retryAfterFromHeader`. */
function retryAfterOf(error: object, kind: FailureClass): number | undefined {
  const { retryAfterMs, retryAfterFromHeader } = error as { retryAfterMs?: unknown; retryAfterFromHeader?: unknown };
  if (typeof retryAfterMs !== 'number') return undefined;
  return kind === 'throttled' || retryAfterFromHeader === true ? retryAfterMs : undefined;
}
