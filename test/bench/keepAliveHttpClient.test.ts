import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { KeepAliveHttpClient, parseAnswer, postRequestBytes } from '../../bench/keepAliveHttpClient';

const servers: Server[] = [];

async function serve(
  handler: (request: IncomingMessage, response: ServerResponse, body: string) => void,
): Promise<{ url: URL; connections: () => number }> {
  let connections = 0;
  const server = createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      handler(request, response, body);
    });
  });
  server.on('connection', () => (connections += 1));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: new URL(`http://127.0.0.1:${port}/api/notifications?code=k`), connections: () => connections };
}

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => {
            resolve();
          });
        }),
    ),
  );
});

describe('KeepAliveHttpClient', () => {
  it('POSTs the body to the path and query, and reuses one connection', async () => {
    const seen: string[] = [];
    const { url, connections } = await serve((request, response, body) => {
      seen.push(`${request.method} ${request.url} ${request.headers['content-type']} ${body}`);
      response.writeHead(202, { 'content-length': '0' }).end();
    });
    const client = new KeepAliveHttpClient(url);
    const request = postRequestBytes(url, '{"value":["é"]}');

    expect(await client.send(request)).toBe(202);
    expect(await client.send(request)).toBe(202);
    client.close();

    expect(seen).toEqual([
      'POST /api/notifications?code=k application/json {"value":["é"]}',
      'POST /api/notifications?code=k application/json {"value":["é"]}',
    ]);
    expect(connections()).toBe(1);
  });

  it('reads a body sent in pieces before answering, and stays on the connection', async () => {
    const { url, connections } = await serve((_request, response) => {
      response.writeHead(503, { 'content-length': '10', 'retry-after': '1' });
      response.write('refu');
      setTimeout(() => response.end('sed!!!'), 20);
    });
    const client = new KeepAliveHttpClient(url);

    expect(await client.send(postRequestBytes(url, '{}'))).toBe(503);
    expect(await client.send(postRequestBytes(url, '{}'))).toBe(503);
    client.close();
    expect(connections()).toBe(1);
  });

  it('opens a new connection after the server closes one', async () => {
    const { url, connections } = await serve((_request, response) => {
      response.writeHead(202, { 'content-length': '0', connection: 'close' }).end();
    });
    const client = new KeepAliveHttpClient(url);

    expect(await client.send(postRequestBytes(url, '{}'))).toBe(202);
    expect(await client.send(postRequestBytes(url, '{}'))).toBe(202);
    client.close();
    expect(connections()).toBe(2);
  });

  it('fails a request whose connection drops mid-answer, and the next one opens another', async () => {
    let calls = 0;
    const { url } = await serve((request, response) => {
      calls += 1;
      if (calls === 1) {
        response.writeHead(202, { 'content-length': '5' });
        response.write('ab', () => {
          request.socket.destroy();
        });
        return;
      }
      response.writeHead(202, { 'content-length': '0' }).end();
    });
    const client = new KeepAliveHttpClient(url);

    await expect(client.send(postRequestBytes(url, '{}'))).rejects.toThrow(/closed before the answer was complete/);
    expect(await client.send(postRequestBytes(url, '{}'))).toBe(202);
    client.close();
  });

  it('refuses a chunked answer rather than guessing where it ends', async () => {
    const { url } = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('no length');
    });
    const client = new KeepAliveHttpClient(url);

    await expect(client.send(postRequestBytes(url, '{}'))).rejects.toThrow(/chunked/);
    client.close();
  });

  it('fails when nothing listens', async () => {
    const { url } = await serve(() => undefined);
    await new Promise<void>((resolve) => {
      servers.pop()?.close(() => {
        resolve();
      });
    });
    const client = new KeepAliveHttpClient(url);

    await expect(client.send(postRequestBytes(url, '{}'))).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('parseAnswer', () => {
  const answer = fc.record({
    status: fc.integer({ min: 200, max: 599 }).filter((status) => status !== 204 && status !== 304),
    body: fc.uint8Array({ maxLength: 300 }),
    headers: fc.array(
      fc.tuple(fc.constantFrom('x-ms-request-id', 'Date', 'Server'), fc.stringMatching(/^[a-z0-9 ]{0,20}$/)),
    ),
    lengthName: fc.constantFrom('content-length', 'Content-Length', 'CONTENT-LENGTH'),
  });

  it('is undefined until the whole answer has arrived, then gives its status and length', () => {
    fc.assert(
      fc.property(answer, ({ status, body, headers, lengthName }) => {
        const head =
          `HTTP/1.1 ${status} Whatever\r\n` +
          headers.map(([name, value]) => `${name}: ${value}\r\n`).join('') +
          `${lengthName}: ${body.length}\r\n\r\n`;
        const bytes = Buffer.concat([Buffer.from(head, 'latin1'), body]);
        for (let cut = 0; cut < bytes.length; cut += 1) expect(parseAnswer(bytes.subarray(0, cut))).toBeUndefined();
        expect(parseAnswer(bytes)).toEqual({ status, length: bytes.length, close: false });
      }),
      { numRuns: 60 },
    );
  });

  it('takes 204 and 304 as bodiless, and notices connection: close', () => {
    expect(parseAnswer(Buffer.from('HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n'))).toEqual({
      status: 204,
      length: 46,
      close: true,
    });
  });

  it('names what is not an HTTP/1.1 answer', () => {
    expect(() => parseAnswer(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n'))).toThrow(/not an HTTP\/1.1 status line/);
    expect(() => parseAnswer(Buffer.from('HTTP/1.1 200 OK\r\n\r\n'))).toThrow(/without Content-Length/);
  });
});
