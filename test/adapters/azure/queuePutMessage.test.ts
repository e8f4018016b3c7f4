import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AccessToken, TokenCredential } from '@azure/identity';
import { afterEach, describe, expect, it } from 'vitest';
import { PutMessageFailed, queuePutMessage } from '../../../src/adapters/azure/queuePutMessage';
import { connectionStringAuthorization } from '../../../src/adapters/azure/storageClients';

interface Received {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly authorization: string | undefined;
  readonly body: string;
}

const REPLY =
  '<?xml version="1.0" encoding="utf-8"?><QueueMessagesList><QueueMessage><MessageId>m-1</MessageId>' +
  '<InsertionTime>x</InsertionTime><ExpirationTime>x</ExpirationTime><PopReceipt>AgAAAA+/=</PopReceipt>' +
  '<TimeNextVisible>x</TimeNextVisible></QueueMessage></QueueMessagesList>';

const servers: http.Server[] = [];
/** Stops the stand-ins, dropping the connections the sender keeps alive. */
async function stopServers(): Promise<void> {
  await Promise.all(
    servers.splice(0).map((server) => {
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      return closed;
    }),
  );
}
afterEach(stopServers);

/** A stand-in for the queue service on loopback: answers each request with the next status (201 once they run out). */
async function queueService(statuses: number[] = []): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        method: request.method,
        url: request.url,
        authorization: request.headers.authorization,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const status = statuses.shift() ?? 201;
      response.writeHead(status, { 'content-type': 'application/xml' }).end(status === 201 ? REPLY : '');
    });
  });
  return { url: await listen(server), received };
}

/** Starts a stand-in on a free loopback port (stopped after each test) and gives its queue URL. */
async function listen(server: http.Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/account/orders`;
}

function tokens(expiresInMs: number): TokenCredential & { readonly calls: () => number } {
  let calls = 0;
  return {
    calls: () => calls,
    getToken: (): Promise<AccessToken> => {
      calls += 1;
      return Promise.resolve({ token: `token-${calls}`, expiresOnTimestamp: Date.now() + expiresInMs });
    },
  };
}

describe('queuePutMessage', () => {
  it("posts the text's base64 in Put Message's XML and returns the id and pop receipt", async () => {
    const service = await queueService();
    const put = queuePutMessage(service.url, { kind: 'sas' });

    const receipt = await put('{"subject":"Grüße <&>"}', { timeToLiveSeconds: -1, visibilityTimeoutSeconds: 30 });

    expect(receipt).toEqual({ messageId: 'm-1', popReceipt: 'AgAAAA+/=' });
    const [request] = service.received;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/account/orders/messages?messagettl=-1&visibilitytimeout=30');
    const text = /<MessageText>(.*)<\/MessageText>/.exec(request?.body ?? '')?.[1] ?? '';
    expect(Buffer.from(text, 'base64').toString('utf8')).toBe('{"subject":"Grüße <&>"}');
  });

  it('keeps a SAS in the URL and sends no Authorization header', async () => {
    const service = await queueService();
    const put = queuePutMessage(`${service.url}?sv=2026-06-06&sig=abc%3D`, { kind: 'sas' });

    await put('x', { timeToLiveSeconds: 60 });

    expect(service.received[0]?.url).toBe('/account/orders/messages?sv=2026-06-06&sig=abc%3D&messagettl=60');
    expect(service.received[0]?.authorization).toBeUndefined();
  });

  it('sends a bearer token, reused while it is valid and fetched again five minutes before it expires', async () => {
    const service = await queueService();
    const longLived = tokens(60 * 60_000);
    const put = queuePutMessage(service.url, { kind: 'token', credential: longLived });
    await put('a', { timeToLiveSeconds: -1 });
    await put('b', { timeToLiveSeconds: -1 });
    const shortLived = tokens(4 * 60_000);
    const putShort = queuePutMessage(service.url, { kind: 'token', credential: shortLived });
    await putShort('c', { timeToLiveSeconds: -1 });
    await putShort('d', { timeToLiveSeconds: -1 });

    expect(service.received.map((request) => request.authorization)).toEqual([
      'Bearer token-1',
      'Bearer token-1',
      'Bearer token-1',
      'Bearer token-2',
    ]);
    expect(longLived.calls()).toBe(1);
    expect(shortLived.calls()).toBe(2);
  });

  it('tries once more after a 503 or a 429, and not after a 403', async () => {
    const busy = await queueService([503]);
    await queuePutMessage(busy.url, { kind: 'sas' })('x', { timeToLiveSeconds: -1 });
    const throttled = await queueService([429, 429]);
    const refused = await queueService([403]);

    await expect(queuePutMessage(throttled.url, { kind: 'sas' })('x', { timeToLiveSeconds: -1 })).rejects.toMatchObject(
      {
        statusCode: 429,
      },
    );
    const denied = queuePutMessage(refused.url, { kind: 'sas' })('x', { timeToLiveSeconds: -1 });
    await expect(denied).rejects.toBeInstanceOf(PutMessageFailed);
    await expect(denied).rejects.toMatchObject({ statusCode: 403 });
    expect([busy.received.length, throttled.received.length, refused.received.length]).toEqual([2, 2, 1]);
  });

  it('fails with no status when nothing listens', async () => {
    const service = await queueService();
    await stopServers();

    await expect(queuePutMessage(service.url, { kind: 'sas' })('x', { timeToLiveSeconds: -1 })).rejects.toMatchObject({
      name: 'PutMessageFailed',
      statusCode: undefined,
    });
  });
  it('tries again after a 201 whose reply broke off, and returns the second reply', async () => {
    let requests = 0;
    const server = http.createServer((request, response) => {
      requests += 1;
      request.resume();
      request.on('end', () => {
        if (requests > 1) {
          response.writeHead(201, { 'content-type': 'application/xml' }).end(REPLY);
          return;
        }
        response.writeHead(201, { 'content-type': 'application/xml', 'content-length': String(REPLY.length) });
        response.write(REPLY.slice(0, 40), () => {
          request.socket.destroy();
        });
      });
    });
    const url = await listen(server);

    await expect(queuePutMessage(url, { kind: 'sas' })('x', { timeToLiveSeconds: -1 })).resolves.toEqual({
      messageId: 'm-1',
      popReceipt: 'AgAAAA+/=',
    });
    expect(requests).toBe(2);
  });

  it('gives up on a service that never answers after two tries, with no status', async () => {
    let requests = 0;
    const server = http.createServer(() => {
      requests += 1; // and never answered
    });
    const url = await listen(server);

    await expect(queuePutMessage(url, { kind: 'sas' })('x', { timeToLiveSeconds: -1 })).rejects.toMatchObject({
      name: 'PutMessageFailed',
      message: 'Put Message took over 2000 ms',
      statusCode: undefined,
    });
    expect(requests).toBe(2);
  });
});

describe('connectionStringAuthorization', () => {
  const key = Buffer.from('a key').toString('base64');

  it('signs with the account key, or the development account key, and leaves a SAS to the URL', () => {
    expect(
      connectionStringAuthorization(
        `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${key};EndpointSuffix=core.windows.net`,
        'acct',
      ),
    ).toEqual({ kind: 'sharedKey', accountName: 'acct', accountKey: Buffer.from('a key') });
    expect(connectionStringAuthorization('UseDevelopmentStorage=true', 'devstoreaccount1')).toMatchObject({
      kind: 'sharedKey',
      accountName: 'devstoreaccount1',
    });
    expect(
      connectionStringAuthorization(
        'QueueEndpoint=https://acct.queue.core.windows.net;SharedAccessSignature=sv=2026-06-06&sig=abc',
        'acct',
      ),
    ).toEqual({ kind: 'sas' });
  });
});
