/**
 * What can go wrong talking to Graph or its token endpoint, as coded errors. Each carries what a log
 * line and the retry decision need (HTTP status, Graph's error code, request ids, Retry-After) and
 * nothing else: no token, no request body, no resource content. Whether the same call may succeed
 * later is decided by `classifyFailure` (src/lib/shared/classifyFailure.ts), for these errors and every
 * other; each use case decides what its trigger does with the answer.
 */
import { classifyFailure, isRetryableLater } from '../shared/classifyFailure';
import { GraphNotifyError, type ErrorCode } from '../shared/errors';

export interface GraphErrorDetails {
  /** HTTP status of the response (of the inner response for a `$batch` item); undefined when none arrived. */
  readonly status?: number | undefined;
  /** `error.code` from Graph's body, the value Graph documents for clients to branch on. */
  readonly graphCode?: string | undefined;
  /** Graph's `request-id` response header: quote it to Microsoft support. */
  readonly requestId?: string | undefined;
  /** The `client-request-id` we sent. */
  readonly clientRequestId?: string | undefined;
  readonly cause?: unknown;
}

export abstract class GraphError extends GraphNotifyError {
  readonly status: number | undefined;
  readonly graphCode: string | undefined;
  readonly requestId: string | undefined;
  readonly clientRequestId: string | undefined;

  constructor(code: ErrorCode, message: string, details: GraphErrorDetails = {}) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.status = details.status;
    this.graphCode = details.graphCode;
    this.requestId = details.requestId;
    this.clientRequestId = details.clientRequestId;
  }

  /** True when repeating the same call later may succeed, by `classifyFailure`. */
  get transient(): boolean {
    return isRetryableLater(classifyFailure(this));
  }
}

/** When to try again: from Retry-After when Graph sent it, otherwise the client's default backoff. */
export interface RetryAfter {
  readonly retryAfterMs: number;
  /** False when Graph sent no (usable) Retry-After and `retryAfterMs` is the default backoff. */
  readonly retryAfterFromHeader: boolean;
}

/** 429: Graph throttled this request. Wait `retryAfterMs` before the same call; retrying sooner extends throttling. */
export class GraphThrottled extends GraphError implements RetryAfter {
  readonly retryAfterMs: number;
  readonly retryAfterFromHeader: boolean;

  constructor(message: string, retryAfter: RetryAfter, details: GraphErrorDetails = {}) {
    super('ERR_GRAPH_THROTTLED', message, details);
    this.retryAfterMs = retryAfter.retryAfterMs;
    this.retryAfterFromHeader = retryAfter.retryAfterFromHeader;
  }
}

export type GraphUnavailableReason = 'status' | 'network' | 'timeout' | 'token-endpoint';

/** 5xx, a network failure, a timeout or an unreachable token endpoint. 503/504 may carry Retry-After. */
export class GraphUnavailable extends GraphError implements RetryAfter {
  readonly reason: GraphUnavailableReason;
  readonly retryAfterMs: number;
  readonly retryAfterFromHeader: boolean;

  constructor(
    message: string,
    reason: GraphUnavailableReason,
    retryAfter: RetryAfter,
    details: GraphErrorDetails = {},
  ) {
    super('ERR_GRAPH_UNAVAILABLE', message, details);
    this.reason = reason;
    this.retryAfterMs = retryAfter.retryAfterMs;
    this.retryAfterFromHeader = retryAfter.retryAfterFromHeader;
  }
}

/** 404: the resource does not exist (any more). For a changed resource this means it was deleted. */
export class GraphResourceNotFound extends GraphError {
  constructor(message: string, details: GraphErrorDetails = {}) {
    super('ERR_GRAPH_NOT_FOUND', message, details);
  }
}

/** 401: Graph refused our token. */
export class GraphAuthenticationFailed extends GraphError {
  constructor(message: string, details: GraphErrorDetails = {}) {
    super('ERR_GRAPH_AUTH_FAILED', message, details);
  }
}

/** 403: the app lacks the permission (or consent) for this resource, or a quota forbids the call. */
export class GraphAccessDenied extends GraphError {
  constructor(message: string, details: GraphErrorDetails = {}) {
    super('ERR_GRAPH_ACCESS_DENIED', message, details);
  }
}

/** Any other 4xx: the request itself is wrong or unsupported and will fail the same way again. */
export class GraphRequestFailed extends GraphError {
  constructor(message: string, details: GraphErrorDetails = {}) {
    super('ERR_GRAPH_REQUEST_FAILED', message, details);
  }
}

/** Graph answered 2xx with a body we cannot use (not JSON, wrong shape, a `$batch` answer missing an item). */
export class GraphResponseInvalid extends GraphError {
  constructor(message: string, details: GraphErrorDetails = {}) {
    super('ERR_GRAPH_RESPONSE_INVALID', message, details);
  }
}

/**
 * The token endpoint refused our credential (invalid_client, unauthorized_client, unknown app or
 * tenant, a rejected assertion). A configuration problem: retrying does not help until it is fixed.
 */
export class GraphCredentialRejected extends GraphError {
  /** The OAuth error (`invalid_client`) and, when present, the AADSTS code: safe to log, no secrets. */
  readonly oauthError: string;

  constructor(message: string, oauthError: string, details: GraphErrorDetails = {}) {
    super('ERR_GRAPH_CREDENTIAL_REJECTED', message, details);
    this.oauthError = oauthError;
  }
}

/**
 * A delta link can no longer be followed (410 Gone, or syncStateNotFound / resyncRequired): start a
 * full resync, from `location` when Graph sent one.
 */
export class GraphDeltaResyncRequired extends GraphError {
  /** Graph's `Location` header on 410: a fresh delta link to restart from. */
  readonly location: string | undefined;

  constructor(message: string, location: string | undefined, details: GraphErrorDetails = {}) {
    super('ERR_GRAPH_RESYNC_REQUIRED', message, details);
    this.location = location;
  }
}

export function isGraphError(error: unknown): error is GraphError {
  return error instanceof GraphError;
}

/** True for Graph errors after which the same call may succeed later (throttled, unavailable, garbled response). */
export function isTransientGraphError(
  error: unknown,
): error is GraphThrottled | GraphUnavailable | GraphResponseInvalid {
  return error instanceof GraphError && isRetryableLater(classifyFailure(error));
}
