/**
 * The least a load generator can spend on one POST: an HTTP/1.1 keep-alive connection that writes a request built
 * once per body and reads the answer's status line and `Content-Length`, nothing more. The webhook bench's load
 * stands for Graph, whose CPU is not the app's; on the shared 2-core machine every microsecond the load's client
 * spends is taken from the local host and Azurite. undici's pool spent 300-400 µs of CPU per POST there; this
 * spends a fraction of that (docs/ingest.md#performance).
 *
 * Only what the local host answers is understood: a status line, headers, and a body of `Content-Length` bytes (or
 * none, for 1xx, 204 and 304). A chunked or length-less answer, a malformed one, or a connection that closes mid
 * answer rejects the request; the connection is then dropped and the next request opens a new one.
 */
import { connect, type Socket } from 'node:net';

/** One request's bytes: head and body, ready to write. */
export function postRequestBytes(url: URL, body: string, contentType = 'application/json'): Buffer {
  const payload = Buffer.from(body, 'utf8');
  const head =
    `POST ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\ncontent-type: ${contentType}\r\n` +
    `content-length: ${payload.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), payload]);
}

const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: |\r|$)/;
const CONTENT_LENGTH = /^content-length:[ \t]*(\d+)[ \t]*$/im;
const TRANSFER_ENCODING = /^transfer-encoding:/im;
const CONNECTION_CLOSE = /^connection:[ \t]*close[ \t]*$/im;

/** Where an answer in `received` ends and what it says, or undefined while it is still incomplete. */
export function parseAnswer(received: Buffer): { status: number; length: number; close: boolean } | undefined {
  const headEnd = received.indexOf(HEAD_END);
  if (headEnd < 0) return undefined;
  const head = received.toString('latin1', 0, headEnd);
  const status = STATUS_LINE.exec(head)?.[1];
  if (status === undefined) throw new Error(`not an HTTP/1.1 status line: ${JSON.stringify(head.split('\r\n')[0])}`);
  const code = Number(status);
  if (TRANSFER_ENCODING.test(head)) throw new Error('a chunked answer: this client reads Content-Length bodies only');
  const declared = CONTENT_LENGTH.exec(head)?.[1];
  const bodiless = code < 200 || code === 204 || code === 304;
  if (declared === undefined && !bodiless) throw new Error(`a ${code} answer without Content-Length`);
  const length = headEnd + HEAD_END.length + (bodiless ? 0 : Number(declared));
  return received.length < length ? undefined : { status: code, length, close: CONNECTION_CLOSE.test(head) };
}

interface Waiting {
  readonly resolve: (status: number) => void;
  readonly reject: (error: Error) => void;
}

/** One keep-alive connection, opened on first use and again after the server drops it; one request at a time. */
export class KeepAliveHttpClient {
  readonly #host: string;
  readonly #port: number;
  #socket: Socket | undefined;
  #received: Buffer = Buffer.alloc(0);
  #waiting: Waiting | undefined;

  constructor(url: URL) {
    this.#host = url.hostname.replace(/^\[|\]$/g, '');
    this.#port = Number(url.port || 80);
  }

  /** Sends `request` (see `postRequestBytes`) and resolves with the answer's status once its body has arrived. */
  send(request: Buffer): Promise<number> {
    if (this.#waiting !== undefined) return Promise.reject(new Error('one request at a time on a connection'));
    const socket = this.#socket ?? this.#open();
    return new Promise<number>((resolve, reject) => {
      this.#waiting = { resolve, reject };
      socket.write(request);
    });
  }

  close(): void {
    this.#drop(new Error('the client was closed'));
  }

  #open(): Socket {
    const socket = connect({ host: this.#host, port: this.#port, noDelay: true });
    socket
      .on('data', (chunk: Buffer) => {
        if (this.#socket === socket) this.#read(chunk);
      })
      .on('error', (error: Error) => {
        if (this.#socket === socket) this.#drop(error);
      })
      .on('close', () => {
        if (this.#socket === socket) this.#drop(new Error('the connection closed before the answer was complete'));
      });
    this.#socket = socket;
    this.#received = Buffer.alloc(0);
    return socket;
  }

  #read(chunk: Buffer): void {
    this.#received = this.#received.length === 0 ? chunk : Buffer.concat([this.#received, chunk]);
    let answer: ReturnType<typeof parseAnswer>;
    try {
      answer = parseAnswer(this.#received);
    } catch (error) {
      this.#drop(error as Error);
      return;
    }
    if (answer === undefined) return;
    const waiting = this.#waiting;
    if (waiting === undefined || this.#received.length > answer.length) {
      this.#drop(new Error('the server sent bytes no request asked for'));
      return;
    }
    this.#waiting = undefined;
    this.#received = Buffer.alloc(0);
    if (answer.close) this.#drop(undefined);
    waiting.resolve(answer.status);
  }

  /** Forgets the connection (the next request opens another) and fails the request waiting on it, if any. */
  #drop(error: Error | undefined): void {
    this.#socket?.destroy();
    this.#socket = undefined;
    const waiting = this.#waiting;
    this.#waiting = undefined;
    if (waiting !== undefined) waiting.reject(error ?? new Error('no answer'));
  }
}
