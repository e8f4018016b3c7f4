/**
 * Turns a non-2xx Graph answer (a whole response or one `$batch` item) into the matching coded error.
 * Graph's body is an OData error `{ error: { code, message, innerError } }` (docs/graph-protocol.md
 * §1.6); `code` is what clients branch on, the message is kept short for diagnosis.
 */
import {
  GraphAccessDenied,
  GraphAuthenticationFailed,
  GraphDeltaResyncRequired,
  GraphRequestFailed,
  GraphResourceNotFound,
  GraphResponseInvalid,
  GraphThrottled,
  GraphUnavailable,
  type GraphError,
  type GraphErrorDetails,
} from './errors';
import { parseRetryAfter } from './retryAfter';

export interface ResponseContext extends GraphErrorDetails {
  readonly method: string;
  /** Path without query string. */
  readonly path: string;
  /** The request followed a delta link: 410 and sync-state errors mean "resync". */
  readonly delta?: boolean;
}

export interface GraphErrorBody {
  readonly code: string | undefined;
  readonly message: string | undefined;
}

/** Graph's error codes that mean a delta token can no longer be used (§6.1, §6.2). */
const RESYNC_CODES = new Set(
  [
    'resyncRequired',
    'syncStateNotFound',
    'syncStateInvalid',
    'resyncChangesApplyDifferences',
    'resyncChangesUploadDifferences',
  ].map((code) => code.toLowerCase()),
);

const MAX_MESSAGE_CHARS = 200;

export function parseGraphErrorBody(body: unknown): GraphErrorBody {
  const error = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : undefined;
  if (typeof error !== 'object' || error === null) return { code: undefined, message: undefined };
  const { code, message } = error as { code?: unknown; message?: unknown };
  return {
    code: typeof code === 'string' ? code : undefined,
    message: typeof message === 'string' ? message.slice(0, MAX_MESSAGE_CHARS) : undefined,
  };
}

export function graphErrorFromResponse(
  status: number,
  headers: Headers,
  body: unknown,
  context: ResponseContext,
  retry: { readonly now: Date; readonly defaultRetryAfterMs: number },
): GraphError {
  const { code, message } = parseGraphErrorBody(body);
  const details: GraphErrorDetails = { ...withoutCause(context), status, graphCode: code };
  const text = `Graph ${context.method} ${context.path} answered ${status}${code === undefined ? '' : ` ${code}`}${message === undefined ? '' : `: ${message}`}`;
  const retryAfter = () => parseRetryAfter(headers.get('retry-after'), retry.now, retry.defaultRetryAfterMs);

  if (
    context.delta === true &&
    (status === 410 || (status >= 400 && status < 500 && code !== undefined && RESYNC_CODES.has(code.toLowerCase())))
  ) {
    return new GraphDeltaResyncRequired(
      `${text} (delta resync required)`,
      headers.get('location') ?? undefined,
      details,
    );
  }
  if (status === 429) return new GraphThrottled(text, retryAfter(), details);
  if (status >= 500) return new GraphUnavailable(text, 'status', retryAfter(), details);
  if (status === 404) return new GraphResourceNotFound(text, details);
  if (status === 401) return new GraphAuthenticationFailed(text, details);
  if (status === 403) return new GraphAccessDenied(text, details);
  return new GraphRequestFailed(text, details);
}

export function invalidResponse(problem: string, context: ResponseContext): GraphResponseInvalid {
  return new GraphResponseInvalid(`Graph ${context.method} ${context.path}: ${problem}`, context);
}

function withoutCause(context: ResponseContext): GraphErrorDetails {
  return { status: context.status, requestId: context.requestId, clientRequestId: context.clientRequestId };
}
