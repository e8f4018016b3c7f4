/**
 * Graph access: the one Graph client (single requests, `$batch` reads, delta paging), the port for
 * access tokens and the coded errors. The MSAL token adapter lives in `src/adapters/azure`.
 */
export {
  GraphClient,
  MAX_BATCH_REQUESTS,
  DEFAULT_RETRY_AFTER_MS,
  type GraphBatchItemRecord,
  type GraphBatchResult,
  type GraphClientOptions,
  type GraphEntity,
  type GraphEntityResponse,
  type GraphReadRequest,
  type GraphReadResult,
  type GraphRequest,
  type GraphRequestRecord,
  type GraphResponse,
} from './graphClient';
export type { GraphDeltaItem, GraphDeltaPage } from './deltaPage';
export { graphScopeFor, isTenantId, type AccessTokenProvider } from './accessTokenProvider';
export { parseRetryAfter } from './retryAfter';
export {
  GraphError,
  GraphThrottled,
  GraphUnavailable,
  GraphResourceNotFound,
  GraphAuthenticationFailed,
  GraphAccessDenied,
  GraphRequestFailed,
  GraphResponseInvalid,
  GraphCredentialRejected,
  GraphDeltaResyncRequired,
  isGraphError,
  isTransientGraphError,
  type GraphErrorDetails,
  type GraphUnavailableReason,
  type RetryAfter,
} from './errors';
