/**
 * The HTTP front end of the local host: maps `<routePrefix>/<route>` to the HTTP-triggered function,
 * enforces function keys, and hands the request to the worker path as the host would, as an RPC
 * `http` input (method, full URL, headers, route params, body bytes untouched). The library builds
 * the `HttpRequest` from that, so `request.query`, `request.params`, `await request.text()` behave
 * as on Azure. The handler's `HttpResponseInit` comes back as RPC `http` output and is written out
 * with its status, headers, cookies and body.
 *
 * Key rules, as the Functions host's (Microsoft's "Azure Functions HTTP trigger: authorization level"
 * and "Work with access keys in Azure Functions"): with no key configured every function is anonymous
 * (Core Tools' local behaviour); once a key is configured, `authLevel: 'function'` needs that function's
 * own key, a host key or the master key, and `authLevel: 'admin'` only the master key, passed as `?code=`
 * or an `x-functions-key` header. A function key opens its own function and nothing else. A wrong or
 * missing key is a 401 with no body, like the host's.
 *
 * What a caller without a key learns, as on the real host (docs/local-host.md#what-a-caller-without-a-key-learns):
 * routing comes first there, so a path no function serves and a method the function does not take are both 404
 * (ASP.NET routing; azure-functions-host issues 10098 and 11625), and a served route without its key is 401. A
 * malformed `Host` header or request target is 400, as Kestrel answers. `Expect: 100-continue` is answered only
 * after the key is checked: a refused caller never gets the go-ahead to send its body.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describeError } from '../../src/lib/shared/redact';
import type { RpcHttpCookie, RpcHttpData, RpcInvocationResponse, RpcTypedData } from './coreTypes';
import { EVENT_GRID_WEBHOOK_PATH, handleEventGridWebhook, type EventGridFunction } from './eventGridTrigger';
import type { InvocationInput, InvocationOutcome } from './invokeFunction';
import type { LocalHostLogSink } from './log';
import { compareRoutePrecedence, matchRoute, type RouteTemplate } from './routeTemplate';
import type { RegisteredFunction } from './runtimeModule';

/** The host's default request size limit (app setting FUNCTIONS_REQUEST_BODY_SIZE_LIMIT overrides it), 100 MiB. */
export const MAX_REQUEST_BODY_BYTES = 100 * 1024 * 1024;
/** The app setting the Functions host reads its request size limit from (Microsoft's "App settings reference for Azure Functions"). */
export const BODY_SIZE_LIMIT_SETTING = 'FUNCTIONS_REQUEST_BODY_SIZE_LIMIT';
/** What the host logs as the reason of every HTTP-triggered invocation. */
const HTTP_REASON = 'This function was programmatically called via the host APIs.';

export type AuthLevel = 'anonymous' | 'function' | 'admin';

export interface HttpKeys {
  /** A host key: accepted by every `authLevel: 'function'` function. */
  readonly function?: string;
  /** Function keys by function name: each accepted by its own function only (when `authLevel: 'function'`). */
  readonly functionKeys?: Readonly<Record<string, string>>;
  /** Accepted by every non-anonymous function and the admin endpoints. */
  readonly master?: string;
}

function hasAnyKey(keys: HttpKeys | undefined): keys is HttpKeys {
  return (
    keys !== undefined &&
    (keys.function !== undefined || keys.master !== undefined || Object.keys(keys.functionKeys ?? {}).length > 0)
  );
}

export interface HttpFunctionRoute {
  readonly fn: RegisteredFunction;
  readonly triggerBindingName: string;
  readonly route: RouteTemplate;
  /** Upper-case methods; undefined accepts any method. */
  readonly methods: ReadonlySet<string> | undefined;
  readonly authLevel: AuthLevel;
}

export interface HttpFrontEndOptions {
  readonly routes: readonly HttpFunctionRoute[];
  readonly routePrefix: string;
  readonly keys: HttpKeys | undefined;
  readonly invoke: (fn: RegisteredFunction, input: InvocationInput) => Promise<InvocationOutcome>;
  readonly log: LocalHostLogSink;
  /** Largest request body in bytes, enforced while reading as the host does. Default `MAX_REQUEST_BODY_BYTES`. */
  readonly maxRequestBodyBytes?: number;
  /** Runs a non-HTTP function by name (admin API); false when there is no such function. */
  readonly invokeByName: (name: string, input: string | undefined) => Promise<boolean>;
  /** Event Grid-triggered functions, served at the extension's webhook (eventGridTrigger.ts). */
  readonly eventGrid?: readonly EventGridFunction[];
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
/** The digests of the configured keys, each hashed once (there are a handful). */
const keyDigests = new Map<string, Buffer>();

/** Compares a presented key, already hashed, with a configured one, in time independent of both. */
function sameSecret(givenDigest: Buffer, expected: string): boolean {
  let expectedDigest = keyDigests.get(expected);
  if (expectedDigest === undefined) {
    expectedDigest = digest(expected);
    keyDigests.set(expected, expectedDigest);
  }
  return timingSafeEqual(givenDigest, expectedDigest);
}

function presentedKey(request: IncomingMessage, url: URL): string | undefined {
  const header = request.headers['x-functions-key'];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  return fromHeader ?? url.searchParams.get('code') ?? undefined;
}

/** Whether the request may run a function of `level` (the admin API: level `admin`, no function name). */
export function isAuthorized(
  level: AuthLevel,
  keys: HttpKeys | undefined,
  key: string | undefined,
  functionName?: string,
): boolean {
  if (level === 'anonymous' || !hasAnyKey(keys)) return true;
  if (key === undefined) return false;
  const given = digest(key);
  if (keys.master !== undefined && sameSecret(given, keys.master)) return true;
  if (level !== 'function') return false;
  const own = functionName === undefined ? undefined : keys.functionKeys?.[functionName];
  return (
    (keys.function !== undefined && sameSecret(given, keys.function)) || (own !== undefined && sameSecret(given, own))
  );
}

function flattenHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

class BodyTooLarge extends Error {}

/**
 * The body, or `BodyTooLarge` as soon as the declared Content-Length or the bytes received so far pass
 * `limit`: at most `limit` bytes are ever held. On refusal the request stops being read (TCP pushes back on
 * the sender) and the caller answers 413 and closes the connection, as the host does.
 */
function readBody(request: IncomingMessage, response: ServerResponse, limit: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new BodyTooLarge());
  // Called once the key is checked: only now may a client waiting for `100 Continue` send its body.
  if (expectsContinue(request)) response.writeContinue();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (): void => {
      request.off('data', onData).off('end', onEnd).off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        stop();
        request.pause();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      stop();
      resolve(Buffer.concat(chunks));
    };
    const onError = (error: Error): void => {
      stop();
      reject(error);
    };
    request.on('data', onData).on('end', onEnd).on('error', onError);
  });
}

/** How long a refused connection stays half-open so the sender can read the 413 before it is torn down. */
const REFUSED_CONNECTION_LINGER_MS = 5_000;

/**
 * 413, then the connection closes: the rest of the body is never read. Node ends a `connection: close`
 * response with `socket.destroySoon()`, which resets the connection while the sender's unread bytes are
 * still arriving, so a sender still writing would see the reset and never the 413. This socket half-closes
 * instead, and is destroyed when the sender hangs up or after REFUSED_CONNECTION_LINGER_MS.
 */
function refuseTooLarge(request: IncomingMessage, response: ServerResponse): void {
  const socket = request.socket;
  socket.destroySoon = () => {
    socket.end();
    const linger = setTimeout(() => socket.destroy(), REFUSED_CONNECTION_LINGER_MS).unref();
    socket.once('close', () => {
      clearTimeout(linger);
    });
  };
  writeEmpty(response, 413, { connection: 'close' });
}

function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function typedDataToBuffer(data: RpcTypedData | null | undefined): Buffer {
  if (data === null || data === undefined) return Buffer.alloc(0);
  if (data.bytes !== null && data.bytes !== undefined) return Buffer.from(data.bytes);
  if (data.string !== null && data.string !== undefined) return Buffer.from(data.string);
  if (data.json !== null && data.json !== undefined) return Buffer.from(data.json);
  if (data.stream !== null && data.stream !== undefined) return Buffer.from(data.stream);
  return Buffer.alloc(0);
}

/** RPC `none` means "not set"; `explicitNone` is `SameSite=None`. */
const SAME_SITE: Readonly<Record<NonNullable<RpcHttpCookie['sameSite']>, string | undefined>> = {
  none: undefined,
  lax: 'Lax',
  strict: 'Strict',
  explicitNone: 'None',
};

/** One `Set-Cookie` value from the library's RPC cookie. */
export function serializeCookie(cookie: RpcHttpCookie): string {
  const parts = [`${cookie.name ?? ''}=${cookie.value ?? ''}`];
  if (cookie.domain?.value) parts.push(`Domain=${cookie.domain.value}`);
  if (cookie.path?.value) parts.push(`Path=${cookie.path.value}`);
  const expiresSeconds = cookie.expires?.value?.seconds;
  if (typeof expiresSeconds === 'number') parts.push(`Expires=${new Date(expiresSeconds * 1000).toUTCString()}`);
  if (typeof cookie.maxAge?.value === 'number') parts.push(`Max-Age=${cookie.maxAge.value}`);
  if (cookie.secure?.value === true) parts.push('Secure');
  if (cookie.httpOnly?.value === true) parts.push('HttpOnly');
  const sameSite = cookie.sameSite === null || cookie.sameSite === undefined ? undefined : SAME_SITE[cookie.sameSite];
  if (sameSite !== undefined) parts.push(`SameSite=${sameSite}`);
  return parts.join('; ');
}

/** The HTTP response the function produced: the `$return` http binding or an http extra output. */
function findHttpResponse(
  route: HttpFunctionRoute,
  response: RpcInvocationResponse | undefined,
): RpcHttpData | undefined {
  if (response === undefined) return undefined;
  for (const [name, binding] of Object.entries(route.fn.metadata.bindings)) {
    if (binding.direction !== 'out' || binding.type?.toLowerCase() !== 'http') continue;
    const data =
      name === '$return' ? response.returnValue : response.outputData?.find((output) => output.name === name)?.data;
    if (data?.http !== null && data?.http !== undefined) return data.http;
  }
  return undefined;
}

/** Statuses that never carry a body (nor, for 204, a Content-Length). */
const BODYLESS_STATUSES = new Set([204, 304]);

/** RFC 9110 `Host`: a name or IPv4 address, or a bracketed IPv6 literal, and an optional port. */
const HOST_HEADER = /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,252})?|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/**
 * The request's URL from its target and `Host` header (the socket's address when none), or undefined when they do not
 * make one: a `Host` that is not a host[:port], or a target that is not a path.
 */
function requestUrl(request: IncomingMessage): URL | undefined {
  const host = request.headers.host ?? `${request.socket.localAddress ?? '127.0.0.1'}:${request.socket.localPort ?? 0}`;
  const target = request.url ?? '/';
  // Only a host name or IP literal and a port: no user info, path, query or fragment smuggled into the URL.
  if (!HOST_HEADER.test(host) || !target.startsWith('/') || !URL.canParse(target, `http://${host}`)) return undefined;
  return new URL(target, `http://${host}`);
}

/** True when the client waits for `100 Continue` before sending its body. */
export function expectsContinue(request: IncomingMessage): boolean {
  return request.headers.expect?.toLowerCase() === '100-continue';
}

function writeEmpty(response: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  response.writeHead(status, BODYLESS_STATUSES.has(status) ? headers : { 'content-length': '0', ...headers });
  response.end();
}

export function createHttpFrontEnd(
  options: HttpFrontEndOptions,
): (request: IncomingMessage, response: ServerResponse) => void {
  const routes = [...options.routes].sort((a, b) => compareRoutePrecedence(a.route, b.route));
  const prefix = options.routePrefix.split('/').filter((segment) => segment !== '');
  const bodyLimit = options.maxRequestBodyBytes ?? MAX_REQUEST_BODY_BYTES;

  async function handleAdmin(
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    segments: string[],
  ): Promise<void> {
    if (!isAuthorized('admin', options.keys, presentedKey(request, url))) {
      writeEmpty(response, 401);
      return;
    }
    if (request.method === 'GET' && segments.length === 3 && segments[1] === 'host' && segments[2] === 'status') {
      const body = JSON.stringify({ state: 'Running' });
      response.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(body),
      });
      response.end(body);
      return;
    }
    const name = segments[2];
    if (request.method === 'POST' && segments.length === 3 && segments[1] === 'functions' && name !== undefined) {
      let text: string;
      try {
        text = (await readBody(request, response, bodyLimit)).toString('utf8');
      } catch (error) {
        if (!(error instanceof BodyTooLarge)) throw error;
        refuseTooLarge(request, response);
        return;
      }
      let input: string | undefined;
      if (text.trim() !== '') {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          writeEmpty(response, 400);
          return;
        }
        const candidate =
          typeof parsed === 'object' && parsed !== null ? (parsed as { input?: unknown }).input : undefined;
        input = typeof candidate === 'string' ? candidate : undefined;
      }
      writeEmpty(response, (await options.invokeByName(name, input)) ? 202 : 404);
      return;
    }
    writeEmpty(response, 404);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = requestUrl(request);
    if (url === undefined) {
      writeEmpty(response, 400);
      return;
    }
    const segments = url.pathname
      .split('/')
      .filter((segment) => segment !== '')
      .map(decodePathSegment);
    if (segments[0]?.toLowerCase() === 'admin') {
      await handleAdmin(request, response, url, segments);
      return;
    }
    if (url.pathname.toLowerCase() === EVENT_GRID_WEBHOOK_PATH) {
      await handleEventGridWebhook(request, response, url, {
        functions: options.eventGrid ?? [],
        invoke: options.invoke,
        isAuthorized: (incoming, target) => isAuthorized('admin', options.keys, presentedKey(incoming, target)),
        readBody: (incoming) => readBody(incoming, response, bodyLimit),
      });
      return;
    }
    const underPrefix = prefix.every((part, index) => segments[index]?.toLowerCase() === part.toLowerCase());
    if (!underPrefix) {
      writeEmpty(response, 404);
      return;
    }
    const routeSegments = segments.slice(prefix.length);
    const method = (request.method ?? 'GET').toUpperCase();
    let selected: { route: HttpFunctionRoute; params: Record<string, string> } | undefined;
    for (const route of routes) {
      if (route.methods !== undefined && !route.methods.has(method)) continue;
      const params = matchRoute(route.route, routeSegments);
      if (params === undefined) continue;
      selected = { route, params };
      break;
    }
    // The method is part of the route, as in ASP.NET routing on the real host: another method finds nothing.
    if (selected === undefined) {
      writeEmpty(response, 404);
      return;
    }
    const { route, params } = selected;
    if (!isAuthorized(route.authLevel, options.keys, presentedKey(request, url), route.fn.name)) {
      writeEmpty(response, 401);
      return;
    }
    let body: Buffer;
    try {
      body = await readBody(request, response, bodyLimit);
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        refuseTooLarge(request, response);
        return;
      }
      throw error;
    }
    const http: RpcHttpData = {
      method,
      url: url.toString(),
      headers: flattenHeaders(request),
      params,
      // Bytes, never a decoded string: signatures and non-UTF-8 payloads must arrive untouched.
      ...(body.length > 0 || (method !== 'GET' && method !== 'HEAD') ? { body: { bytes: body } } : {}),
    };
    const traceHeader = request.headers.traceparent;
    const outcome = await options.invoke(route.fn, {
      inputData: [{ name: route.triggerBindingName, data: { http } }],
      reason: HTTP_REASON,
      ...(typeof traceHeader === 'string' ? { traceParent: traceHeader } : {}),
    });
    if (!outcome.succeeded) {
      writeEmpty(response, 500);
      return;
    }
    const result = findHttpResponse(route, outcome.response);
    if (result === undefined) {
      // Nothing returned and no http output set: the host answers 204 No Content.
      writeEmpty(response, 204);
      return;
    }
    const parsedStatus = Number(result.statusCode ?? '200');
    const status = Number.isInteger(parsedStatus) && parsedStatus >= 100 && parsedStatus <= 999 ? parsedStatus : 500;
    for (const [name, value] of Object.entries(result.headers ?? {})) response.setHeader(name, value);
    const cookies = (result.cookies ?? []).map(serializeCookie);
    if (cookies.length > 0) response.setHeader('set-cookie', cookies);
    if (BODYLESS_STATUSES.has(status)) {
      response.writeHead(status);
      response.end();
      return;
    }
    const payload = typedDataToBuffer(result.body);
    response.setHeader('content-length', payload.length);
    response.writeHead(status);
    response.end(method === 'HEAD' ? undefined : payload);
  }

  return (request, response) => {
    handle(request, response).catch((error: unknown) => {
      options.log({
        time: new Date(),
        level: 'error',
        source: 'host',
        message: `HTTP request failed: ${describeError(error)}`,
      });
      if (!response.headersSent) writeEmpty(response, 500);
      else response.destroy();
    });
  };
}
