/**
 * The one place that maps errors to HTTP answers, with one body shape: RFC 9457
 * `application/problem+json` carrying the stable error code.
 *
 * Graph retries any non-2xx for up to 4 hours (reference §3.6), so only "we could not store it" may be a
 * 5xx; bad input is a 4xx, which Graph also retries but which no retry will fix, and says what is wrong.
 */
import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import { isGraphNotifyError, type ErrorCode } from '../../lib/shared/errors';
import { describeError } from '../../lib/shared/redact';

/** Seconds Graph (or any client) should wait before retrying after a 503. */
export const RETRY_AFTER_SECONDS = 10;

const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  ERR_INGEST_BODY_TOO_LARGE: 413,
  ERR_INGEST_UNSUPPORTED_MEDIA_TYPE: 415,
  ERR_INGEST_MALFORMED_JSON: 400,
  ERR_INGEST_INVALID_COLLECTION: 400,
  ERR_STORAGE_UNAVAILABLE: 503,
};

const TITLES: Partial<Record<number, string>> = {
  400: 'Bad Request',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function problemResponse(status: number, code: string, detail: string): HttpResponseInit {
  return {
    status,
    headers: {
      'Content-Type': 'application/problem+json',
      'X-Content-Type-Options': 'nosniff',
      ...(status === 503 ? { 'Retry-After': String(RETRY_AFTER_SECONDS) } : {}),
    },
    body: JSON.stringify({ type: `urn:graph-notify:error:${code}`, title: TITLES[status] ?? 'Error', status, detail, code }),
  };
}

/** Maps any thrown value to a problem response; unknown errors become 503 so the caller retries, logged without secrets. */
export function errorResponse(error: unknown, context: InvocationContext): HttpResponseInit {
  if (isGraphNotifyError(error)) {
    const status = STATUS_BY_CODE[error.code];
    if (status !== undefined) {
      if (status >= 500) context.error(describeError(error));
      return problemResponse(status, error.code, status >= 500 ? 'Storage is unavailable; retry later.' : error.message);
    }
  }
  context.error(`Unexpected failure: ${describeError(error)}`);
  return problemResponse(503, 'ERR_UNEXPECTED', 'The request could not be completed; retry later.');
}
