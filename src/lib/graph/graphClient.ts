/**
 * The one Graph client of the app: single requests, `$batch` reads and delta paging, over an injected
 * `fetch`. Every request carries a fresh `client-request-id` and a timeout; Graph's `request-id` is
 * kept on results, errors and request records so a log line can be matched to Graph's logs. Failures
 * become coded `GraphError`s: 429 → `GraphThrottled` and 5xx → `GraphUnavailable`, both carrying
 * Retry-After. The client never sleeps or retries: the processing layer re-queues the work with a
 * visibility delay instead, so a throttled invocation ends at once and burns no retries.
 */
import { randomUUID } from 'node:crypto';
import { isDotSegment } from '../resources';
import { systemClock, type Clock } from '../shared/clock';
import { graphErrorFromResponse, invalidResponse, type ResponseContext } from './errorFromResponse';
import { GraphError, GraphThrottled, GraphUnavailable, type GraphErrorDetails } from './errors';
import { parseDeltaPage, type GraphDeltaPage } from './deltaPage';
import type { AccessTokenProvider } from './accessTokenProvider';

/** A Graph entity as JSON. */
export type GraphEntity = Readonly<Record<string, unknown>>;

/** Graph accepts at most 20 requests in one `$batch` (docs/graph-protocol.md §7). */
export const MAX_BATCH_REQUESTS = 20;

/** Backoff when a 429/503/504 comes without Retry-After (docs/graph-protocol.md §8.1: some services send none). */
export const DEFAULT_RETRY_AFTER_MS = 10_000;

export interface GraphClientOptions {
  /** Graph root including the version, e.g. https://graph.microsoft.com/v1.0. */
  readonly baseUrl: string;
  readonly tokens: AccessTokenProvider;
  /** Limit for one HTTP request including its body. */
  readonly timeoutMs: number;
  readonly fetch?: typeof globalThis.fetch;
  /** Turns an HTTP-date Retry-After into a delay. */
  readonly clock?: Clock;
  readonly defaultRetryAfterMs?: number;
  readonly newClientRequestId?: () => string;
  /** Called once per HTTP request after it completes or fails: the place to log and count calls. */
  readonly onRequest?: (record: GraphRequestRecord) => void;
}

/** One HTTP request as a log line or metric sees it: no token, no body, no query string. */
export interface GraphRequestRecord {
  readonly tenantId: string;
  readonly method: string;
  /** Path below the base URL, without the query string (which may hold delta tokens). */
  readonly path: string;
  /** Undefined when no response arrived (network failure or timeout). */
  readonly status: number | undefined;
  readonly durationMs: number;
  readonly clientRequestId: string;
  readonly requestId: string | undefined;
  /** The caller's label (e.g. `createSubscription`); `getResource`, `batch` and `delta` for the read helpers. */
  readonly operation: string | undefined;
  /** 429, or 503/504 with Retry-After: Graph asked us to slow down. */
  readonly throttled: boolean;
  /** For a `$batch` call that was answered: each inner response, in request order. */
  readonly items: readonly GraphBatchItemRecord[] | undefined;
}

export interface GraphBatchItemRecord {
  /** Undefined when the `$batch` answer had no response for the item. */
  readonly status: number | undefined;
  readonly throttled: boolean;
}

export interface GraphRequest {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Path below the base URL starting with '/', e.g. `/users/{id}?$select=id`. */
  readonly path: string;
  /** Sent as JSON when present. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Label for the request record (e.g. `renewSubscription`). */
  readonly operation?: string;
}

export interface GraphResponse<T> {
  readonly status: number;
  readonly body: T;
  readonly requestId: string | undefined;
  readonly clientRequestId: string;
}

export interface GraphEntityResponse extends GraphResponse<GraphEntity> {
  /** `@odata.etag` of the entity, or the ETag header. */
  readonly etag: string | undefined;
}

export interface GraphReadRequest {
  /** Path below the base URL starting with '/'. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** The outcome of one read of a `batchGet`, at the same index as its request. */
export type GraphReadResult =
  | { readonly ok: true; readonly status: number; readonly body: GraphEntity; readonly etag: string | undefined }
  | { readonly ok: false; readonly error: GraphError };

/** The outcome of one request of a `sendBatch`, at the same index as its request. */
export type GraphBatchResult =
  | { readonly ok: true; readonly status: number; readonly body: unknown }
  | { readonly ok: false; readonly error: GraphError };

interface RawResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
  readonly requestId: string | undefined;
  readonly clientRequestId: string;
}

interface SendOptions {
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly body?: unknown;
  readonly operation?: string | undefined;
  readonly delta?: boolean;
  /** For `$batch`: the inner statuses of a 2xx answer, for the request record. */
  readonly itemsOf?: (body: unknown) => readonly GraphBatchItemRecord[];
}

/** What one call saw, for the request record, filled in as it arrives. */
interface ExchangeRecord {
  status: number | undefined;
  requestId: string | undefined;
  throttled: boolean;
  items: readonly GraphBatchItemRecord[] | undefined;
}

const USER_AGENT = 'NONISV|graph-notify|graph-notify/0.1';

function requestHeaders(token: string, clientRequestId: string, options: SendOptions): Headers {
  const headers = new Headers(options.headers);
  headers.set('Authorization', `Bearer ${token}`);
  headers.set('client-request-id', clientRequestId);
  headers.set('return-client-request-id', 'true');
  headers.set('Accept', 'application/json');
  headers.set('User-Agent', USER_AGENT);
  if (options.body !== undefined) headers.set('Content-Type', 'application/json');
  return headers;
}

export class GraphClient {
  readonly #baseUrl: string;
  readonly #origin: string;
  readonly #tokens: AccessTokenProvider;
  readonly #timeoutMs: number;
  readonly #fetch: typeof globalThis.fetch;
  readonly #clock: Clock;
  readonly #defaultRetryAfterMs: number;
  readonly #newClientRequestId: () => string;
  readonly #onRequest: ((record: GraphRequestRecord) => void) | undefined;

  constructor(options: GraphClientOptions) {
    this.#baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#origin = new URL(this.#baseUrl).origin;
    this.#tokens = options.tokens;
    this.#timeoutMs = options.timeoutMs;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#clock = options.clock ?? systemClock;
    this.#defaultRetryAfterMs = options.defaultRetryAfterMs ?? DEFAULT_RETRY_AFTER_MS;
    this.#newClientRequestId = options.newClientRequestId ?? randomUUID;
    this.#onRequest = options.onRequest;
  }

  /** GET one entity. Throws a `GraphError` on any non-2xx answer or a body that is not a JSON object. */
  async get(tenantId: string, path: string, headers?: Readonly<Record<string, string>>): Promise<GraphEntityResponse> {
    const response = await this.#send(tenantId, 'GET', this.#urlFor(path), { headers, operation: 'getResource' });
    return entityResponse(response, { method: 'GET', path: pathOf(path) });
  }

  /** Any request with an optional JSON body (subscription management). The body is undefined for 204. */
  async send(tenantId: string, request: GraphRequest): Promise<GraphResponse<unknown>> {
    const response = await this.#send(tenantId, request.method, this.#urlFor(request.path), {
      headers: request.headers,
      body: request.body,
      operation: request.operation,
    });
    return {
      status: response.status,
      body: response.body,
      requestId: response.requestId,
      clientRequestId: response.clientRequestId,
    };
  }

  /**
   * Reads many entities of one tenant with `$batch`, at most 20 per call, and returns one result per
   * request at the same index. Inner failures (429 with its own Retry-After, 404, 403, ...) are per
   * item; a failure of a whole `$batch` call applies to each of its items. After a throttled or
   * unavailable `$batch` call the remaining chunks are not sent: they fail with the same error, since
   * sending them would only extend the throttling. A single read is a plain GET (same cost, simpler).
   */
  async batchGet(tenantId: string, requests: readonly GraphReadRequest[]): Promise<GraphReadResult[]> {
    for (const request of requests) this.#urlFor(request.path);
    const results: GraphReadResult[] = [];
    let stopWith: GraphError | undefined;
    for (let start = 0; start < requests.length; start += MAX_BATCH_REQUESTS) {
      const chunk = requests.slice(start, start + MAX_BATCH_REQUESTS);
      if (stopWith !== undefined) {
        const error = stopWith;
        results.push(...chunk.map(() => ({ ok: false as const, error })));
        continue;
      }
      try {
        results.push(
          ...(chunk.length === 1
            ? [await this.#readOne(tenantId, chunk[0] as GraphReadRequest)]
            : await this.#batchRead(tenantId, chunk)),
        );
      } catch (error) {
        if (!(error instanceof GraphError)) throw error;
        results.push(...chunk.map(() => ({ ok: false as const, error })));
        if (error instanceof GraphThrottled || error instanceof GraphUnavailable) stopWith = error;
      }
    }
    return results;
  }

  /**
   * Sends up to 20 requests of one tenant in one `$batch` call (writes included: Graph's batching accepts
   * any method) and returns one outcome per request at the same index. Graph throttles the requests
   * inside, not the call: each carries its own 429 and Retry-After. A failure of the whole call throws.
   */
  async sendBatch(tenantId: string, requests: readonly GraphRequest[], operation: string): Promise<GraphBatchResult[]> {
    if (requests.length > MAX_BATCH_REQUESTS)
      throw new TypeError(`a $batch holds at most ${MAX_BATCH_REQUESTS} requests, got ${requests.length}`);
    for (const request of requests) this.#urlFor(request.path);
    return (await this.#postBatch(tenantId, requests, operation)).map(({ item, context }, index): GraphBatchResult => {
      if (item === undefined)
        return { ok: false, error: invalidResponse(`$batch answer has no response for item ${index + 1}`, context) };
      if (item.status < 200 || item.status > 299) {
        return {
          ok: false,
          error: graphErrorFromResponse(
            item.status,
            new Headers(item.headers),
            item.body,
            { ...context, status: item.status },
            this.#retryDefaults(),
          ),
        };
      }
      return { ok: true, status: item.status, body: item.body };
    });
  }

  /**
   * Follows a delta query page by page: from a stored deltaLink (absolute URL on the Graph origin) or
   * an initial path such as `/drives/{id}/root/delta`. The last page yielded carries `deltaLink`; store
   * it for the next round. 410 Gone and Graph's resync error codes throw `GraphDeltaResyncRequired`.
   * Links are used exactly as returned: they carry the original query options (§6.1).
   */
  async *deltaPages(tenantId: string, start: string): AsyncGenerator<GraphDeltaPage, void, undefined> {
    const seen = new Set<string>();
    let url = start.startsWith('/') ? this.#urlFor(start) : this.#checkedAbsolute(start);
    for (;;) {
      const response = await this.#send(tenantId, 'GET', url, { delta: true, operation: 'delta' });
      const page = parseDeltaPage(response.body, { method: 'GET', path: pathOf(url), ...detailsOf(response) });
      yield page;
      if (page.nextLink === undefined) return;
      // A server that hands back a link it already gave would page forever.
      if (seen.has(page.nextLink))
        throw invalidResponse('delta nextLink repeats an earlier page', { method: 'GET', path: pathOf(url) });
      seen.add(page.nextLink);
      url = this.#checkedAbsolute(page.nextLink);
    }
  }

  async #readOne(tenantId: string, request: GraphReadRequest): Promise<GraphReadResult> {
    const response = await this.get(tenantId, request.path, request.headers);
    return { ok: true, status: response.status, body: response.body, etag: response.etag };
  }

  async #batchRead(tenantId: string, chunk: readonly GraphReadRequest[]): Promise<GraphReadResult[]> {
    const requests = chunk.map((request): GraphRequest => ({
      method: 'GET',
      path: request.path,
      ...(request.headers === undefined ? {} : { headers: request.headers }),
    }));
    return (await this.#postBatch(tenantId, requests, 'batch')).map(({ item, context }, index): GraphReadResult => {
      if (item === undefined)
        return { ok: false, error: invalidResponse(`$batch answer has no response for item ${index + 1}`, context) };
      const headers = new Headers(item.headers);
      if (item.status < 200 || item.status > 299) {
        return {
          ok: false,
          error: graphErrorFromResponse(item.status, headers, item.body, context, this.#retryDefaults()),
        };
      }
      if (!isJsonObject(item.body))
        return {
          ok: false,
          error: invalidResponse('$batch item body is not a JSON object', { ...context, status: item.status }),
        };
      return { ok: true, status: item.status, body: item.body, etag: etagOf(item.body, headers) };
    });
  }

  /**
   * One `$batch` call (the one place its body is built): the inner answer of each request at the request's
   * index, undefined when Graph left one out, with the context its error would name. The request record
   * gets each inner status, so throttling inside a batch is counted per request.
   */
  async #postBatch(
    tenantId: string,
    requests: readonly GraphRequest[],
    operation: string,
  ): Promise<{ item: BatchItem | undefined; context: ResponseContext }[]> {
    // Our own ids ("1".."20"): Graph matches them case-insensitively and rejects duplicates, so caller keys are
    // not used.
    const body = {
      requests: requests.map((request, index) => ({
        id: String(index + 1),
        method: request.method,
        url: request.path,
        ...(request.body === undefined
          ? request.headers === undefined
            ? {}
            : { headers: request.headers }
          : { headers: { ...request.headers, 'Content-Type': 'application/json' }, body: request.body }),
      })),
    };
    const envelope: ResponseContext = { method: 'POST', path: '/$batch' };
    const response = await this.#send(tenantId, 'POST', this.#urlFor('/$batch'), {
      body,
      operation,
      itemsOf: (answer) => {
        const answered = batchResponses(answer, envelope);
        return requests.map((_, index) => {
          const item = answered.get(String(index + 1));
          return {
            status: item?.status,
            throttled: item !== undefined && isThrottling(item.status, new Headers(item.headers)),
          };
        });
      },
    });
    const items = batchResponses(response.body, { ...envelope, ...detailsOf(response) });
    return requests.map((request, index) => ({
      item: items.get(String(index + 1)),
      context: {
        method: request.method,
        path: pathOf(request.path),
        requestId: response.requestId,
        clientRequestId: response.clientRequestId,
      },
    }));
  }

  /** One HTTP call to Graph: token, headers, timeout, the error a failed answer means, and the request record. */
  async #send(tenantId: string, method: string, url: string, options: SendOptions): Promise<RawResponse> {
    const token = await this.#tokens.getToken(tenantId);
    const clientRequestId = this.#newClientRequestId();
    const path = url.startsWith(`${this.#baseUrl}/`) ? pathOf(url.slice(this.#baseUrl.length)) : pathOf(url);
    const context: ResponseContext = { method, path, clientRequestId, delta: options.delta === true };
    const seen: ExchangeRecord = { status: undefined, requestId: undefined, throttled: false, items: undefined };
    const started = performance.now();
    try {
      const { response, text } = await this.#exchange(
        url,
        method,
        requestHeaders(token, clientRequestId, options),
        options.body,
        context,
        seen,
      );
      const full: ResponseContext = { ...context, status: seen.status, requestId: seen.requestId };
      const body = parseBody(text, response.headers, full);
      if (response.status < 200 || response.status > 299) {
        throw graphErrorFromResponse(response.status, response.headers, body, full, this.#retryDefaults());
      }
      try {
        seen.items = options.itemsOf?.(body);
      } catch {
        // A malformed $batch answer is reported by the caller's own parse; the record just lacks items.
      }
      return { status: response.status, headers: response.headers, body, requestId: seen.requestId, clientRequestId };
    } finally {
      const { status, requestId, throttled, items } = seen;
      const durationMs = Math.round(performance.now() - started);
      this.#onRequest?.({
        tenantId,
        method,
        path,
        status,
        durationMs,
        clientRequestId,
        requestId,
        operation: options.operation,
        throttled,
        items,
      });
    }
  }

  /**
   * The fetch and the body text, within the timeout; what arrived goes into `seen`. A failure before a complete
   * answer is `GraphUnavailable`.
   */
  async #exchange(
    url: string,
    method: string,
    headers: Headers,
    body: unknown,
    context: ResponseContext,
    seen: ExchangeRecord,
  ): Promise<{ response: Response; text: string }> {
    const signal = AbortSignal.timeout(this.#timeoutMs);
    try {
      const response = await this.#fetch(url, {
        method,
        headers,
        signal,
        redirect: 'manual',
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      seen.status = response.status;
      seen.requestId = response.headers.get('request-id') ?? undefined;
      seen.throttled = isThrottling(response.status, response.headers);
      return { response, text: await response.text() };
    } catch (error) {
      throw this.#networkError(error, signal, { ...context, status: seen.status, requestId: seen.requestId });
    }
  }

  #networkError(error: unknown, signal: AbortSignal, context: ResponseContext): GraphUnavailable {
    const timedOut = signal.aborted;
    const details: GraphErrorDetails = { ...context, cause: error };
    const message = timedOut
      ? `Graph ${context.method} ${context.path} did not complete within ${this.#timeoutMs} ms`
      : `Graph ${context.method} ${context.path} failed before a complete response arrived`;
    return new GraphUnavailable(
      message,
      timedOut ? 'timeout' : 'network',
      { retryAfterMs: this.#defaultRetryAfterMs, retryAfterFromHeader: false },
      details,
    );
  }

  #retryDefaults(): { now: Date; defaultRetryAfterMs: number } {
    return { now: this.#clock.now(), defaultRetryAfterMs: this.#defaultRetryAfterMs };
  }

  #urlFor(path: string): string {
    // A path, never a URL: an absolute or protocol-relative value here would send our token elsewhere.
    if (!path.startsWith('/') || path.startsWith('//'))
      throw new TypeError(`Graph path must start with a single '/', got "${path}"`);
    // URL parsers and Graph resolve `..` and `%2E%2E` alike: `/users/{id}/messages/..` would read the user. Ingest
    // refuses such ids; this keeps any other caller from sending one (the path is not echoed: it names a resource).
    if ((path.split('?', 1)[0] ?? '').split('/').some(isDotSegment))
      throw new TypeError("Graph path has a '.' or '..' segment (percent-encoded or not); refusing to send it");
    return `${this.#baseUrl}${path}`;
  }

  #checkedAbsolute(link: string): string {
    if (!URL.canParse(link) || new URL(link).origin !== this.#origin) {
      throw invalidResponse('delta link does not point at the configured Graph origin', {
        method: 'GET',
        path: '(delta link)',
      });
    }
    return link;
  }
}

/** Graph asked us to slow down: 429, or 503/504 with Retry-After (docs/graph-protocol.md §8.1). */
function isThrottling(status: number, headers: Headers): boolean {
  return status === 429 || ((status === 503 || status === 504) && headers.has('retry-after'));
}

function entityResponse(response: RawResponse, context: ResponseContext): GraphEntityResponse {
  if (!isJsonObject(response.body)) {
    throw invalidResponse('response body is not a JSON object', {
      ...context,
      ...detailsOf(response),
      status: response.status,
    });
  }
  return {
    status: response.status,
    body: response.body,
    etag: etagOf(response.body, response.headers),
    requestId: response.requestId,
    clientRequestId: response.clientRequestId,
  };
}

function parseBody(text: string, headers: Headers, context: ResponseContext): unknown {
  if (text === '') return undefined;
  const contentType = headers.get('content-type') ?? '';
  if (!/json/i.test(contentType)) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw invalidResponse('response body is not valid JSON', { ...context, cause: error });
  }
}

interface BatchItem {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

/** The inner responses by id; they may come in any order (§7). */
function batchResponses(body: unknown, context: ResponseContext): Map<string, BatchItem> {
  const responses = isJsonObject(body) ? body.responses : undefined;
  if (!Array.isArray(responses)) throw invalidResponse('$batch answer has no responses array', context);
  const items = new Map<string, BatchItem>();
  for (const entry of responses as unknown[]) {
    if (!isJsonObject(entry) || typeof entry.id !== 'string' || typeof entry.status !== 'number') continue;
    items.set(entry.id, { status: entry.status, headers: stringRecord(entry.headers), body: entry.body });
  }
  return items;
}

function stringRecord(value: unknown): Record<string, string> {
  const result: Record<string, string> = {};
  if (isJsonObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (typeof item === 'string') result[key] = item;
      else if (typeof item === 'number') result[key] = String(item);
    }
  }
  return result;
}

function etagOf(body: GraphEntity, headers: Headers): string | undefined {
  const annotated = body['@odata.etag'];
  if (typeof annotated === 'string') return annotated;
  return headers.get('etag') ?? undefined;
}

function detailsOf(response: RawResponse): { requestId: string | undefined; clientRequestId: string } {
  return { requestId: response.requestId, clientRequestId: response.clientRequestId };
}

/** The path without origin, version root and query string: safe and useful in logs. */
function pathOf(pathOrUrl: string): string {
  const withoutQuery = pathOrUrl.split('?')[0] ?? '';
  if (!URL.canParse(withoutQuery)) return withoutQuery;
  return new URL(withoutQuery).pathname.replace(/^\/(v1\.0|beta)(?=\/)/, '');
}

export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
