/**
 * Azure Queue Storage's Put Message operation as one plain HTTP request, for every message the app sends (ingest's
 * hot path above all). The storage SDK's `sendMessage` spends about a quarter of a millisecond of CPU per call
 * building and parsing XML, running its request pipeline and allocating for it; a webhook that answers Graph
 * after each send pays that on every POST (docs/ingest.md#throughput). The request here is the one Microsoft's
 * "Put Message" page describes: `POST {queue}/messages?messagettl=…[&visibilitytimeout=…]` with the text in
 * `<QueueMessage><MessageText>…</MessageText></QueueMessage>`, answered 201 with the message's id and pop receipt.
 * It goes through an undici `Pool` (the HTTP client behind Node's own `fetch`, as a package) rather than
 * `http.request`: about a fifth less CPU per message (docs/ingest.md#throughput), CPU the webhook's instance
 * would otherwise take from answering Graph. The package loads with the storage SDKs, on first use.
 *
 * Authorisation is what the SDK client was built with (storageClients.ts): Shared Key from a connection string
 * (Azurite, key-based accounts; Microsoft's "Authorize with Shared Key"), a SAS already in the queue URL, or a
 * Microsoft Entra token for `https://storage.azure.com/.default` (identity-based connections), fetched through
 * the same credential and reused until five minutes before it expires. Retries follow the SDK options the app
 * gives its other storage clients: two tries, 200 ms apart, on a network error, a timeout, 408, 429 or 5xx; any
 * other answer fails at once. A try is abandoned after two seconds.
 */
import { createHmac } from 'node:crypto';
import type { AccessToken, TokenCredential } from '@azure/identity';
import type * as Undici from 'undici';

export type QueueAuthorization =
  | { readonly kind: 'sharedKey'; readonly accountName: string; readonly accountKey: Buffer }
  | { readonly kind: 'sas' }
  | { readonly kind: 'token'; readonly credential: TokenCredential };

export interface PutMessageOptions {
  /** Seconds the message lives; -1: as long as the queue's maximum. */
  readonly timeToLiveSeconds: number;
  /** Seconds before the message becomes visible; omitted: at once. */
  readonly visibilityTimeoutSeconds?: number;
}

/** What the service answers for a message put: what deleting it takes. */
export interface PutMessageReceipt {
  readonly messageId: string;
  readonly popReceipt: string;
}

/** A failed Put Message: `statusCode` is the service's answer, undefined when none came. */
export class PutMessageFailed extends Error {
  constructor(
    message: string,
    readonly statusCode: number | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'PutMessageFailed';
  }
}

/** The REST API version sent: the one @azure/storage-queue 12.32 speaks, so both clients ask the service alike. */
const SERVICE_VERSION = '2026-06-06';
const STORAGE_SCOPE = 'https://storage.azure.com/.default';
const TOKEN_REFRESH_MARGIN_MS = 5 * 60_000;
const TRIES = 2;
const TRY_TIMEOUT_MS = 2_000;
const RETRY_DELAY_MS = 200;

/* eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded with the storage SDKs, on first use (storageClients.ts). */
const undiciLibrary = (): typeof Undici => require('undici') as typeof Undici;

const isRetriable = (status: number | undefined): boolean =>
  status === undefined || status === 408 || status === 429 || status >= 500;

/**
 * A function that puts one message on the queue at `queueUrl` (the SDK `QueueClient.url`: `{endpoint}/{queue}`, with
 * the SAS query when there is one). The message's text is the base64 of its argument's UTF-8, as the Functions queue
 * trigger expects (storageQueueSender.ts), which is also text XML takes as it is.
 */
export function queuePutMessage(
  queueUrl: string,
  authorization: QueueAuthorization,
): (text: string, options: PutMessageOptions) => Promise<PutMessageReceipt> {
  const queue = new URL(queueUrl);
  const { Pool } = undiciLibrary();
  const pool = new Pool(queue.origin);
  const path = `${queue.pathname.replace(/\/$/, '')}/messages`;
  const sas = queue.search.slice(1);
  const authorize = authorizer(authorization, path);

  const putOnce = async (body: Buffer, query: readonly (readonly [string, string])[]): Promise<PutMessageReceipt> => {
    const search = [...(sas === '' ? [] : [sas]), ...query.map(([name, value]) => `${name}=${value}`)].join('&');
    const headers: Record<string, string> = {
      'content-type': 'application/xml',
      'content-length': String(body.length),
      'x-ms-date': new Date().toUTCString(),
      'x-ms-version': SERVICE_VERSION,
    };
    const authorizationHeader = await authorize(headers, query);
    if (authorizationHeader !== undefined) headers.authorization = authorizationHeader;
    const { status, reply } = await dispatch(pool, {
      method: 'POST',
      path: `${path}?${search}`,
      headers,
      body,
    });
    const receipt = status === 201 ? receiptOf(reply) : undefined;
    if (receipt === undefined) throw new PutMessageFailed(`Put Message answered ${String(status)}`, status);
    return receipt;
  };

  return async (text, options) => {
    const body = putMessageBody(text);
    const query: [string, string][] = [['messagettl', String(options.timeToLiveSeconds)]];
    if (options.visibilityTimeoutSeconds !== undefined)
      query.push(['visibilitytimeout', String(options.visibilityTimeoutSeconds)]);
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await putOnce(body, query);
      } catch (error) {
        const status = error instanceof PutMessageFailed ? error.statusCode : undefined;
        if (attempt >= TRIES || !isRetriable(status)) throw error;
        await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
      }
    }
  };
}

const XML_HEAD = Buffer.from('<?xml version="1.0" encoding="utf-8"?><QueueMessage><MessageText>', 'latin1');
const XML_TAIL = Buffer.from('</MessageText></QueueMessage>', 'latin1');

/**
 * The request's body, the base64 of the text's UTF-8 inside its XML, written once as the bytes sent: as a string it was
 * joined, measured and encoded again by undici, a third of the body's cost (about 8 of 23 µs for a 25 KB message).
 */
function putMessageBody(text: string): Buffer {
  const base64 = Buffer.from(text, 'utf8').toString('base64');
  const body = Buffer.allocUnsafe(XML_HEAD.length + base64.length + XML_TAIL.length);
  XML_HEAD.copy(body, 0);
  body.write(base64, XML_HEAD.length, 'latin1');
  XML_TAIL.copy(body, XML_HEAD.length + base64.length);
  return body;
}

/**
 * One try: the request dispatched on the pool with a handler that keeps the status and the reply's bytes, and nothing
 * else (no response stream, no parsed headers, no abort listener: what `pool.request` adds was about a seventh of the
 * send's CPU, docs/ingest.md#throughput). The try is abandoned after TRY_TIMEOUT_MS by a timer cleared when it ends: AbortSignal.timeout's would
 * fire two seconds later for every message, and undici's own timeouts tick once a second.
 */
function dispatch(
  pool: Undici.Pool,
  request: { method: 'POST'; path: string; headers: Record<string, string>; body: Buffer },
): Promise<{ status: number; reply: string }> {
  return new Promise((resolve, reject) => {
    let status: number | undefined;
    let controller: Undici.Dispatcher.DispatchController | undefined;
    let timedOut = false;
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      timedOut = true;
      // Still waiting for a connection: give up now, and the request is dropped when its turn comes.
      if (controller === undefined) fail(new Error(`not sent within ${TRY_TIMEOUT_MS} ms`));
      else controller.abort(new Error(`no answer within ${TRY_TIMEOUT_MS} ms`));
    }, TRY_TIMEOUT_MS);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      reject(
        new PutMessageFailed(
          timedOut ? `Put Message took over ${TRY_TIMEOUT_MS} ms` : 'Put Message failed',
          status === 201 ? undefined : status, // a 201 whose reply broke off is worth another try
          { cause: error },
        ),
      );
    };
    try {
      pool.dispatch(request, {
        onRequestStart(started) {
          controller = started;
          if (timedOut) started.abort(new Error(`no answer within ${TRY_TIMEOUT_MS} ms`));
        },
        onResponseStart(_controller, statusCode) {
          status = statusCode;
        },
        onResponseData(_controller, chunk) {
          chunks.push(chunk);
        },
        onResponseEnd() {
          clearTimeout(timer);
          if (status === undefined) fail(new Error('no status'));
          else resolve({ status, reply: Buffer.concat(chunks).toString('utf8') });
        },
        onResponseError(_controller, error) {
          fail(error);
        },
      });
    } catch (error) {
      fail(error instanceof Error ? error : new Error(String(error)));
    }
  });
}

/** The id and pop receipt in a Put Message reply (`<QueueMessagesList><QueueMessage><MessageId>…`), which need no unescaping. */
function receiptOf(reply: string): PutMessageReceipt | undefined {
  const messageId = /<MessageId>([^<]*)<\/MessageId>/.exec(reply)?.[1];
  const popReceipt = /<PopReceipt>([^<]*)<\/PopReceipt>/.exec(reply)?.[1];
  return messageId === undefined || popReceipt === undefined ? undefined : { messageId, popReceipt };
}

type Authorize = (
  headers: Readonly<Record<string, string>>,
  query: readonly (readonly [string, string])[],
) => Promise<string | undefined> | string | undefined;

function authorizer(authorization: QueueAuthorization, path: string): Authorize {
  switch (authorization.kind) {
    case 'sas':
      return () => undefined;
    case 'sharedKey':
      return (headers, query) => sharedKeySignature(authorization, path, headers, query);
    case 'token': {
      let token: AccessToken | null = null;
      return async () => {
        if (token === null || token.expiresOnTimestamp - Date.now() < TOKEN_REFRESH_MARGIN_MS)
          token = await authorization.credential.getToken(STORAGE_SCOPE);
        if (token === null) throw new PutMessageFailed('No access token for Azure Storage', 401);
        return `Bearer ${token.token}`;
      };
    }
  }
}

/**
 * The Shared Key `Authorization` header (Microsoft's "Authorize with Shared Key", version 2015-02-21 and later): an
 * HMAC-SHA256 of the verb, the standard headers in their fixed order (Content-Length empty when 0), the `x-ms-`
 * headers sorted, and the canonical resource `/{account}{path}` followed by each query parameter, lower-cased and
 * sorted, as `name:value`.
 */
function sharedKeySignature(
  key: Extract<QueueAuthorization, { kind: 'sharedKey' }>,
  path: string,
  headers: Readonly<Record<string, string>>,
  query: readonly (readonly [string, string])[],
): string {
  const header = (name: string): string => headers[name] ?? '';
  const contentLength = header('content-length');
  const msHeaders = Object.keys(headers)
    .filter((name) => name.startsWith('x-ms-'))
    .sort()
    .map((name) => `${name}:${header(name)}\n`)
    .join('');
  const parameters = [...query]
    .map(([name, value]) => [name.toLowerCase(), decodeURIComponent(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `\n${name}:${value}`)
    .join('');
  const stringToSign = [
    'POST',
    '', // Content-Encoding
    '', // Content-Language
    contentLength === '0' ? '' : contentLength,
    '', // Content-MD5
    header('content-type'),
    '', // Date (x-ms-date is sent instead)
    '', // If-Modified-Since
    '', // If-Match
    '', // If-None-Match
    '', // If-Unmodified-Since
    '', // Range
    `${msHeaders}/${key.accountName}${path}${parameters}`,
  ].join('\n');
  const signature = createHmac('sha256', key.accountKey).update(stringToSign, 'utf8').digest('base64');
  return `SharedKey ${key.accountName}:${signature}`;
}
