/**
 * The HTTP front end of the local host: maps `<routePrefix>/<route>` to the HTTP-triggered function,
 * enforces function keys, and hands the request to the worker path as the host would, as an RPC
 * `http` input (method, full URL, headers, route params, body bytes untouched). The library builds
 * the `HttpRequest` from that, so `request.query`, `request.params`, `await request.text()` behave
 * as on Azure. The handler's `HttpResponseInit` comes back as RPC `http` output and is written out
 * with its status, headers, cookies and body.
 *
 * Key rules: with no key configured every function is anonymous (Core Tools' local behaviour); once
 * a key is configured, `authLevel: 'function'` needs the function key or the master key and
 * `authLevel: 'admin'` the master key, passed as `?code=` or an `x-functions-key` header. A wrong or
 * missing key is a 401 with no body, like the host's.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describeError } from '../../src/lib/shared/redact';
import type { RpcHttpCookie, RpcHttpData, RpcInvocationResponse, RpcTypedData } from './coreTypes';
import type { InvocationInput, InvocationOutcome } from './invokeFunction';
import type { LocalHostLogSink } from './log';
import { compareRoutePrecedence, matchRoute, type RouteTemplate } from './routeTemplate';
import type { RegisteredFunction } from './runtimeModule';

/** The host's default request size limit (FUNCTIONS_REQUEST_BODY_SIZE_LIMIT, 100 MiB). */
export const MAX_REQUEST_BODY_BYTES = 100 * 1024 * 1024;
/** What the host logs as the reason of every HTTP-triggered invocation. */
const HTTP_REASON = 'This function was programmatically called via the host APIs.';

export type AuthLevel = 'anonymous' | 'function' | 'admin';

export interface HttpKeys {
  /** Accepted by `authLevel: 'function'` functions. */
  readonly function?: string;
  /** Accepted by every non-anonymous function and the admin endpoints. */
  readonly master?: string;
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
  /** Runs a non-HTTP function by name (admin API); false when there is no such function. */
  readonly invokeByName: (name: string, input: string | undefined) => Promise<boolean>;
}

function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function presentedKey(request: IncomingMessage, url: URL): string | undefined {
  const header = request.headers['x-functions-key'];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  return fromHeader ?? url.searchParams.get('code') ?? undefined;
}

/** Whether the request may run a function of `level`. */
export function isAuthorized(level: AuthLevel, keys: HttpKeys | undefined, key: string | undefined): boolean {
  if (level === 'anonymous' || keys === undefined || (keys.function === undefined && keys.master === undefined)) return true;
  if (key === undefined) return false;
  if (keys.master !== undefined && sameSecret(key, keys.master)) return true;
  return level === 'function' && keys.function !== undefined && sameSecret(key, keys.function);
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

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REQUEST_BODY_BYTES) throw new BodyTooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
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
function findHttpResponse(route: HttpFunctionRoute, response: RpcInvocationResponse | undefined): RpcHttpData | undefined {
  if (response === undefined) return undefined;
  for (const [name, binding] of Object.entries(route.fn.metadata.bindings)) {
    if (binding.direction !== 'out' || binding.type?.toLowerCase() !== 'http') continue;
    const data = name === '$return' ? response.returnValue : response.outputData?.find((output) => output.name === name)?.data;
    if (data?.http !== null && data?.http !== undefined) return data.http;
  }
  return undefined;
}

/** Statuses that never carry a body (nor, for 204, a Content-Length). */
const BODYLESS_STATUSES = new Set([204, 304]);

function writeEmpty(response: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  response.writeHead(status, BODYLESS_STATUSES.has(status) ? headers : { 'content-length': '0', ...headers });
  response.end();
}

export function createHttpFrontEnd(options: HttpFrontEndOptions): (request: IncomingMessage, response: ServerResponse) => void {
  const routes = [...options.routes].sort((a, b) => compareRoutePrecedence(a.route, b.route));
  const prefix = options.routePrefix.split('/').filter((segment) => segment !== '');

  async function handleAdmin(request: IncomingMessage, response: ServerResponse, url: URL, segments: string[]): Promise<void> {
    if (!isAuthorized('admin', options.keys, presentedKey(request, url))) {
      writeEmpty(response, 401);
      return;
    }
    if (request.method === 'GET' && segments.length === 3 && segments[1] === 'host' && segments[2] === 'status') {
      const body = JSON.stringify({ state: 'Running' });
      response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      response.end(body);
      return;
    }
    const name = segments[2];
    if (request.method === 'POST' && segments.length === 3 && segments[1] === 'functions' && name !== undefined) {
      const text = (await readBody(request)).toString('utf8');
      let input: string | undefined;
      if (text.trim() !== '') {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          writeEmpty(response, 400);
          return;
        }
        const candidate = typeof parsed === 'object' && parsed !== null ? (parsed as { input?: unknown }).input : undefined;
        input = typeof candidate === 'string' ? candidate : undefined;
      }
      writeEmpty(response, (await options.invokeByName(name, input)) ? 202 : 404);
      return;
    }
    writeEmpty(response, 404);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const host = request.headers.host ?? `${request.socket.localAddress ?? '127.0.0.1'}:${request.socket.localPort ?? 0}`;
    const url = new URL(request.url ?? '/', `http://${host}`);
    const segments = url.pathname.split('/').filter((segment) => segment !== '').map(decodePathSegment);
    if (segments[0]?.toLowerCase() === 'admin') {
      await handleAdmin(request, response, url, segments);
      return;
    }
    const underPrefix = prefix.every((part, index) => segments[index]?.toLowerCase() === part.toLowerCase());
    if (!underPrefix) {
      writeEmpty(response, 404);
      return;
    }
    const routeSegments = segments.slice(prefix.length);
    const method = (request.method ?? 'GET').toUpperCase();
    let pathMatched: HttpFunctionRoute[] = [];
    let selected: { route: HttpFunctionRoute; params: Record<string, string> } | undefined;
    for (const route of routes) {
      const params = matchRoute(route.route, routeSegments);
      if (params === undefined) continue;
      pathMatched = [...pathMatched, route];
      if (route.methods === undefined || route.methods.has(method)) {
        selected = { route, params };
        break;
      }
    }
    if (selected === undefined) {
      if (pathMatched.length === 0) writeEmpty(response, 404);
      else writeEmpty(response, 405, { allow: [...new Set(pathMatched.flatMap((route) => [...(route.methods ?? [])]))].join(', ') });
      return;
    }
    const { route, params } = selected;
    if (!isAuthorized(route.authLevel, options.keys, presentedKey(request, url))) {
      writeEmpty(response, 401);
      return;
    }
    let body: Buffer;
    try {
      body = await readBody(request);
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        writeEmpty(response, 413, { connection: 'close' });
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
      options.log({ time: new Date(), level: 'error', source: 'host', message: `HTTP request failed: ${describeError(error)}` });
      if (!response.headersSent) writeEmpty(response, 500);
      else response.destroy();
    });
  };
}
