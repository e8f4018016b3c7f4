/**
 * The one place that shapes error bodies on the wire, so every failure the simulator returns looks like
 * the real service's: Graph's OData error (`{error:{code,message,innerError:{date,request-id,client-request-id}}}`,
 * docs/graph-protocol.md §1.6) and the Microsoft identity platform's OAuth error for the token endpoint.
 * Messages quoted in docs/graph-protocol.md are reproduced verbatim; the others are marked "simulator wording" in
 * docs/graph-simulator.md.
 */
import { randomUUID } from 'node:crypto';

export interface SimResponse {
  status: number;
  headers: Record<string, string>;
  body: string | Uint8Array | undefined;
}

export interface GraphErrorResponseBody {
  error: {
    code: string;
    message: string;
    innerError: { date: string; 'request-id': string; 'client-request-id': string; [key: string]: string };
  };
}

/** Graph writes `innerError.date` without fractional seconds or zone letter: `2022-12-17T12:38:36`. */
function graphErrorDate(now: Date): string {
  return now.toISOString().slice(0, 19);
}

export interface RequestIds {
  requestId: string;
  clientRequestId: string;
}

export function newRequestIds(clientRequestId: string | undefined): RequestIds {
  const requestId = randomUUID();
  return { requestId, clientRequestId: clientRequestId ?? requestId };
}

/** A Graph error response. `extraHeaders` carries Retry-After and friends. */
export function graphError(
  status: number,
  code: string,
  message: string,
  context: { now: Date; ids: RequestIds },
  extraHeaders: Record<string, string> = {},
  extraInner: Record<string, string> = {},
): SimResponse {
  const body: GraphErrorResponseBody = {
    error: {
      code,
      message,
      innerError: {
        ...extraInner,
        date: graphErrorDate(context.now),
        'request-id': context.ids.requestId,
        'client-request-id': context.ids.clientRequestId,
      },
    },
  };
  return {
    status,
    headers: {
      'content-type': 'application/json',
      'request-id': context.ids.requestId,
      'client-request-id': context.ids.clientRequestId,
      ...extraHeaders,
    },
    body: JSON.stringify(body),
  };
}

/** The catalogue of docs/graph-protocol.md (§1.6, §6, §7, §8) plus the simulator's own codes, one entry per situation. */
export const GraphErrors = {
  notFound: { status: 404, code: 'ResourceNotFound', message: 'The object was not found.' },
  validationTimedOut: { status: 400, code: 'InvalidRequest', message: 'Subscription validation request timed out.' },
  validationMismatch: {
    status: 400,
    code: 'InvalidRequest',
    message: 'Subscription validation request failed. Response must exactly match validationToken query parameter.',
  },
  validationNot200: {
    status: 400,
    code: 'InvalidRequest',
    message:
      'Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.',
  },
  validationConnection: {
    status: 400,
    code: 'InvalidRequest',
    message: 'The underlying connection was closed: An unexpected error occurred on a send.',
  },
  missingExpiration: {
    status: 400,
    code: 'InvalidRequest',
    message: 'expirationDateTime must be provided with the subscription.',
  },
  malformedPayload: {
    status: 400,
    code: 'InvalidRequest',
    message: 'Could not process subscription creation payload. Are all property names spelled and camelCased properly?',
  },
  patchNeedsExpiryOrUrl: {
    status: 400,
    code: 'InvalidRequest',
    message: "Subscription must contain either the 'expirationDateTime' or 'notificationUrl' property and its value.",
  },
  throttled: { status: 429, code: 'TooManyRequests', message: 'Please retry again later.' },
  mailboxConcurrency: {
    status: 429,
    code: 'ApplicationThrottled',
    message: 'Application is over its MailboxConcurrency limit.',
  },
  unavailable: {
    status: 503,
    code: 'serviceNotAvailable',
    message: 'The service is temporarily unavailable. Please retry later.',
  },
  tokenEmpty: { status: 401, code: 'InvalidAuthenticationToken', message: 'Access token is empty.' },
  tokenExpired: {
    status: 401,
    code: 'InvalidAuthenticationToken',
    message: 'Lifetime validation failed, the token is expired.',
  },
  tokenInvalid: { status: 401, code: 'InvalidAuthenticationToken', message: 'Access token validation failure.' },
  tokenWrongAudience: {
    status: 401,
    code: 'InvalidAuthenticationToken',
    message: 'Access token validation failure. Invalid audience.',
  },
  meWithAppOnly: {
    status: 400,
    code: 'BadRequest',
    message: '/me request is only valid with delegated authentication flow.',
  },
  // "Get approvalItem": application permissions not supported; the simulator answers as Graph does an unsupported scope.
  appOnlyNotSupported: {
    status: 403,
    code: 'Forbidden',
    message: 'This API does not support application permissions.',
  },
  directoryDenied: {
    status: 403,
    code: 'Authorization_RequestDenied',
    message: 'Insufficient privileges to complete the operation.',
  },
  outlookDenied: {
    status: 403,
    code: 'ErrorAccessDenied',
    message: 'Access is denied. Check credentials and try again.',
  },
  syncStateNotFound: {
    status: 410,
    code: 'syncStateNotFound',
    message: 'The sync state generation is not found. Please restart the synchronization.',
  },
  /**
   * A directory (users, groups) delta token past its 7 days: 400, no Location (Microsoft 365 Dev blog, "Duration
   * of change tracking tokens for identity and education resources"). The client restarts the delta without a token.
   */
  directoryDeltaTokenExpired: {
    status: 400,
    code: 'syncStateNotFound',
    message: 'The sync state generation is not found. The delta token is expired and data must be synchronized again.',
  },
  /** Outlook's spelling (capital S) and text, as a field report shows it; `outlookSyncStateNotFound` fills in the generations. */
  outlookSyncStateNotFound: {
    status: 410,
    code: 'SyncStateNotFound',
    message: 'The sync state generation is not found; generation={generation};[highest={highest}][{highest}].',
  },
  /** OneDrive's code for an expired or reset delta token (Graph error codes page). */
  driveResync: { status: 410, code: 'resyncRequired', message: 'Resync required.' },
  richOutlookNeedsSelect: {
    status: 400,
    code: 'ExtensionError',
    message:
      'Operation: Create; Exception: [Status Code: BadRequest; Reason: select clause should be present in query string to support rich notifications]',
  },
  teamsLifecycleUrlRequired: {
    status: 400,
    code: 'InvalidRequest',
    message:
      'lifecycleNotificationUrl is a required property for subscription creation on this resource when the expirationDateTime value is set to greater than 1 hour.',
  },
  odbFolderSubscription: {
    status: 400,
    code: 'InvalidRequest',
    message: 'Only the root of a OneDrive for Business or SharePoint drive supports change notifications.',
  },
  failedDependency: {
    status: 424,
    code: 'FailedDependency',
    message: 'The request failed because of a failed dependency.',
  },
} as const satisfies Record<string, { status: number; code: string; message: string }>;

export type GraphErrorKind = keyof typeof GraphErrors;

/** An error thrown inside a route; the router turns it into a `graphError` response. */
export class GraphHttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'GraphHttpError';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }

  static of(kind: GraphErrorKind, headers: Record<string, string> = {}): GraphHttpError {
    const entry = GraphErrors[kind];
    return new GraphHttpError(entry.status, entry.code, entry.message, headers);
  }

  /** Outlook's 410 for a delta token of an older sync state generation. */
  static outlookSyncStateNotFound(
    generation: number,
    highest: number,
    headers: Record<string, string> = {},
  ): GraphHttpError {
    const entry = GraphErrors.outlookSyncStateNotFound;
    const message = entry.message.replace('{generation}', String(generation)).replaceAll('{highest}', String(highest));
    return new GraphHttpError(entry.status, entry.code, message, headers);
  }

  /** Graph's 400 for a `$select` item that is not a property of the type (OData's URI parser). */
  static unknownSelectProperty(name: string): GraphHttpError {
    return new GraphHttpError(
      400,
      'BadRequest',
      `Could not find a property named '${name}' on type 'microsoft.graph.entity'.`,
    );
  }

  static badRequest(message: string, code = 'InvalidRequest'): GraphHttpError {
    return new GraphHttpError(400, code, message);
  }
}

/** The identity platform's OAuth error body (token endpoint), e.g. `invalid_client` + AADSTS7000215. */
export function oauthError(
  status: number,
  error: string,
  aadstsCode: number,
  description: string,
  context: { now: Date; ids: RequestIds },
): SimResponse {
  const body = {
    error,
    error_description: `AADSTS${aadstsCode}: ${description} Trace ID: ${context.ids.requestId} Correlation ID: ${context.ids.clientRequestId} Timestamp: ${context.now.toISOString().replace('T', ' ').slice(0, 19)}Z`,
    error_codes: [aadstsCode],
    timestamp: `${context.now.toISOString().replace('T', ' ').slice(0, 19)}Z`,
    trace_id: context.ids.requestId,
    correlation_id: context.ids.clientRequestId,
  };
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store, no-cache' },
    body: JSON.stringify(body),
  };
}

export function jsonResponse(status: number, value: unknown, headers: Record<string, string> = {}): SimResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; odata.metadata=minimal; charset=utf-8', ...headers },
    body: JSON.stringify(value),
  };
}

export function emptyResponse(status: number, headers: Record<string, string> = {}): SimResponse {
  return { status, headers, body: undefined };
}
