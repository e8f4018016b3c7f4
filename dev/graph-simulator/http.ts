/**
 * The simulator's transport-neutral request and response, with adapters for Node's `http` server and
 * for the WHATWG `fetch` signature. Building the simulator never listens; `server.ts` does that.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimResponse } from './graphError.js';

export interface SimRequest {
  method: string;
  url: URL;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  body: Buffer;
}

export type SimHandler = (request: SimRequest) => Promise<SimResponse>;

export function parseJsonBody(request: SimRequest): unknown {
  if (request.body.length === 0) return undefined;
  return JSON.parse(request.body.toString('utf8')) as unknown;
}

/** Adapts a `SimHandler` to `http.createServer`. */
export function nodeListener(handler: SimHandler): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const chunks: Buffer[] = [];
    // A client that disconnects mid-body must not take the simulator down with an unhandled 'error'.
    req.on('error', () => {
      res.destroy();
    });
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const host = req.headers.host ?? '127.0.0.1';
      const headers: Record<string, string | undefined> = {};
      for (const [name, value] of Object.entries(req.headers))
        headers[name] = Array.isArray(value) ? value.join(', ') : value;
      const request: SimRequest = {
        method: req.method ?? 'GET',
        url: new URL(req.url ?? '/', `http://${host}`),
        headers,
        body: Buffer.concat(chunks),
      };
      handler(request)
        .then((response) => {
          res.writeHead(response.status, response.headers);
          res.end(response.body);
        })
        .catch((error: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(error instanceof Error ? error.name : 'internal error');
        });
    });
  };
}

/** Adapts a `SimHandler` to the `fetch` signature, so a client can talk to the simulator with no socket at all. */
export function fetchAdapter(handler: SimHandler): typeof fetch {
  return async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : new Request(input, init);
    const headers: Record<string, string | undefined> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const body = Buffer.from(await request.arrayBuffer());
    const response = await handler({ method: request.method, url: new URL(request.url), headers, body });
    const payload =
      response.body === undefined || response.status === 204
        ? null
        : typeof response.body === 'string'
          ? response.body
          : new Uint8Array(response.body);
    return new Response(payload, { status: response.status, headers: response.headers });
  };
}
