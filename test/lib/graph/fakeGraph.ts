/**
 * A loopback HTTP server standing in for Graph in the client's tests: each test supplies the answers,
 * the server records what arrived (method, URL, headers, JSON body).
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  /** Path and query as received, e.g. /v1.0/users/1?$select=id. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: unknown;
}

export interface FakeAnswer {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  /** JSON-encoded unless it is a string; a string is sent as is. */
  readonly body?: unknown;
  /** Never answer (for timeouts); `'body'` sends headers then stalls. */
  readonly hang?: 'all' | 'body';
}

export type FakeHandler = (request: RecordedRequest) => FakeAnswer | Promise<FakeAnswer>;

export interface FakeGraph {
  readonly origin: string;
  /** `<origin>/v1.0`. */
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
  handle(handler: FakeHandler): void;
  close(): Promise<void>;
}

export async function startFakeGraph(): Promise<FakeGraph> {
  const requests: RecordedRequest[] = [];
  let handler: FakeHandler = () => ({ status: 500 });
  const hanging = new Set<ServerResponse>();
  const server = createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const request: RecordedRequest = {
        method: incoming.method ?? '',
        url: incoming.url ?? '',
        headers: incoming.headers,
        body: text === '' ? undefined : (JSON.parse(text) as unknown),
      };
      requests.push(request);
      void Promise.resolve(handler(request)).then((answer) => {
        if (answer.hang === 'all') {
          hanging.add(response);
          return;
        }
        const body =
          answer.body === undefined ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
        const contentType = typeof answer.body === 'string' ? 'text/plain' : 'application/json; charset=utf-8';
        response.writeHead(answer.status ?? 200, {
          'Content-Type': contentType,
          'request-id': `req-${requests.length}`,
          ...answer.headers,
        });
        if (answer.hang === 'body') {
          response.write(body.slice(0, 1));
          hanging.add(response);
          return;
        }
        response.end(body);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    baseUrl: `${origin}/v1.0`,
    requests,
    handle: (next) => {
      handler = next;
    },
    close: async () => {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Graph's OData error body (docs/graph-protocol.md §1.6). */
export function graphErrorBody(code: string, message = 'Something went wrong.'): unknown {
  return {
    error: {
      code,
      message,
      innerError: { date: '2026-01-01T00:00:00', 'request-id': 'inner-1', 'client-request-id': 'inner-2' },
    },
  };
}
