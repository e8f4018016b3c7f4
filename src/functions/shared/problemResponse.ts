/**
 * The one place that maps errors to HTTP answers, with one body shape: RFC 9457
 * `application/problem+json` carrying the stable error code.
 *
 * Graph retries any non-2xx for up to 4 hours (docs/graph-protocol.md §3.6), so only "we could not store it" may be a
 * 5xx; bad input is a 4xx, which Graph also retries but which no retry will fix, and says what is wrong.
 * The statuses agree with `classifyFailure` (test/functions/problemResponse.test.ts holds them to it): a permanent
 * failure is never a 5xx, a throttled one is 429, a refused credential 502, a transient one 5xx or 409 (busy).
 */
import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import { classifyFailure } from '../../lib/shared/classifyFailure';
import { isGraphNotifyError, type ErrorCode } from '../../lib/shared/errors';
import { describeError, redact } from '../../lib/shared/redact';

/** Seconds Graph (or any client) should wait before retrying after a 503. */
export const RETRY_AFTER_SECONDS = 10;

export const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  ERR_INGEST_BODY_TOO_LARGE: 413,
  ERR_INGEST_TOO_MANY_ITEMS: 413,
  ERR_INGEST_UNSUPPORTED_MEDIA_TYPE: 415,
  ERR_INGEST_MALFORMED_JSON: 400,
  ERR_INGEST_INVALID_COLLECTION: 400,
  ERR_STORAGE_UNAVAILABLE: 503,
  // Management API (subscriptions): the operator's request or Graph's answer to it.
  ERR_SUBSCRIPTION_REQUEST_INVALID: 400,
  ERR_SUBSCRIPTION_RULE_VIOLATED: 400,
  ERR_SUBSCRIPTION_SELECT_REQUIRED: 400,
  ERR_SUBSCRIPTION_NOT_FOUND: 404,
  ERR_SUBSCRIPTION_DUPLICATE: 409,
  ERR_SUBSCRIPTION_BUSY: 409,
  ERR_SUBSCRIPTION_REFUSED: 422,
  ERR_SUBSCRIPTION_USER_NOT_FOUND: 422,
  ERR_GRAPH_THROTTLED: 429,
  ERR_SUBSCRIPTIONS_NOT_CONFIGURED: 500,
  ERR_GRAPH_AUTH_FAILED: 502,
  ERR_GRAPH_CREDENTIAL_REJECTED: 502,
  ERR_GRAPH_RESPONSE_INVALID: 502,
  ERR_GRAPH_UNAVAILABLE: 503,
  ERR_SUBSCRIPTION_VALIDATION_UNREACHABLE: 503,
  // Answers of the adapters themselves.
  ERR_ROUTE_NOT_FOUND: 404,
  ERR_METHOD_NOT_ALLOWED: 405,
  ERR_UNEXPECTED: 500,
  // A setting this function needs is broken (often an unresolved Key Vault reference); the other functions keep working,
  // and Graph retries this one's notifications until the setting is fixed.
  ERR_CONFIG_INVALID: 503,
};

/** What a 5xx says: the error's own text only where it is meant for operators and holds no secrets. */
const SERVER_DETAIL: Partial<Record<ErrorCode, string>> = {
  ERR_STORAGE_UNAVAILABLE: 'Storage is unavailable; retry later.',
  ERR_GRAPH_UNAVAILABLE: 'Microsoft Graph is unavailable; retry later.',
  ERR_SUBSCRIPTION_VALIDATION_UNREACHABLE:
    'Microsoft Graph validated the webhook again and could not reach it in time; the subscription is unchanged, retry later.',
  ERR_GRAPH_RESPONSE_INVALID: 'Microsoft Graph answered something unexpected; retry later.',
  ERR_GRAPH_AUTH_FAILED:
    "Microsoft Graph refused the app's token: check GRAPH_CLIENT_ID, GRAPH_TENANT_ID, the credential settings and admin consent.",
  ERR_GRAPH_CREDENTIAL_REJECTED:
    "The token endpoint refused the app's credential: check GRAPH_CLIENT_ID, GRAPH_TENANT_ID and the credential settings.",
  ERR_CONFIG_INVALID:
    'A setting this function needs is missing, malformed or an unresolved Key Vault reference, so it is unavailable; GET /api/health and the log name the setting.',
};

const TITLES: Partial<Record<number, string>> = {
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export function problemResponse(
  status: number,
  code: ErrorCode,
  detail: string,
  retryAfterSeconds?: number,
): HttpResponseInit {
  const retryAfter = retryAfterSeconds ?? (status === 503 ? RETRY_AFTER_SECONDS : undefined);
  return {
    status,
    headers: {
      'Content-Type': 'application/problem+json',
      'X-Content-Type-Options': 'nosniff',
      ...(retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) }),
    },
    body: JSON.stringify({
      type: `urn:graph-notify:error:${code}`,
      title: TITLES[status] ?? 'Error',
      status,
      detail,
      code,
    }),
  };
}

/**
 * Maps any thrown value to a problem response. An unknown error is a bug, not an outage: 500 without
 * Retry-After (503 is kept for storage and Graph being unavailable), logged without secrets.
 */
export function errorResponse(error: unknown, context: InvocationContext): HttpResponseInit {
  if (isGraphNotifyError(error)) {
    const status = STATUS_BY_CODE[error.code];
    if (status !== undefined) {
      if (status >= 500) context.error(describeError(error));
      const detail = status >= 500 ? (SERVER_DETAIL[error.code] ?? redact(error.message)) : error.message;
      // A 429 passes on the wait Graph asked of us; a 503 answers the default RETRY_AFTER_SECONDS.
      const { retryAfterMs } = classifyFailure(error);
      const retryAfterSeconds =
        status === 429 && retryAfterMs !== undefined ? Math.max(1, Math.ceil(retryAfterMs / 1000)) : undefined;
      return problemResponse(status, error.code, detail, retryAfterSeconds);
    }
  }
  context.error(`Unexpected failure: ${describeError(error)}`);
  return problemResponse(500, 'ERR_UNEXPECTED', 'The request could not be completed; the failure is logged.');
}
