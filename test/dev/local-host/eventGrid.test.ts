import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { handleEventGridWebhook } from '../../../dev/local-host/eventGridTrigger';
import type { InvocationInput, InvocationOutcome } from '../../../dev/local-host/invokeFunction';
import type { RegisteredFunction } from '../../../dev/local-host/runtimeModule';

let server: Server | undefined;

afterEach(async () => {
  const current = server;
  if (current !== undefined) await new Promise((done) => current.close(done));
  server = undefined;
});

/** The webhook in front of one Event Grid function whose invocations succeed unless `fail` says otherwise. */
async function webhook(fail: (event: unknown) => boolean = () => false): Promise<{ url: string; invoked: unknown[] }> {
  const invoked: unknown[] = [];
  const fn = { name: 'receiveEventGridNotifications' } as RegisteredFunction;
  const invoke = (_fn: RegisteredFunction, input: InvocationInput): Promise<InvocationOutcome> => {
    const event: unknown = JSON.parse(input.inputData[0]?.data?.json ?? 'null');
    invoked.push(event);
    return Promise.resolve({ invocationId: 'i', functionName: fn.name, succeeded: !fail(event), durationMs: 1 });
  };
  server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    void handleEventGridWebhook(request, response, url, {
      functions: [{ fn, triggerBindingName: 'eventGridTrigger' }],
      invoke,
      isAuthorized: () => true,
      readBody: async (incoming) => {
        const chunks: Buffer[] = [];
        for await (const chunk of incoming) chunks.push(chunk as Buffer);
        return Buffer.concat(chunks);
      },
    });
  });
  await new Promise<void>((done) => server?.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/runtime/webhooks/eventgrid?functionName=receiveEventGridNotifications`,
    invoked,
  };
}

const notification = (id: string) => ({
  specversion: '1.0',
  id,
  type: 'Microsoft.Graph.UserUpdated',
  source: '/tenants/t/applications/a',
  data: {},
});

describe("the local host's Event Grid webhook", () => {
  it('answers the CloudEvents OPTIONS handshake, echoing an Event Grid origin and naming its own otherwise', async () => {
    const { url } = await webhook();

    const known = await fetch(url, { method: 'OPTIONS', headers: { 'WebHook-Request-Origin': 'eventgrid.azure.us' } });
    const other = await fetch(url, { method: 'OPTIONS', headers: { 'WebHook-Request-Origin': 'evil.example.com' } });

    expect(known.status).toBe(200);
    expect(known.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.us');
    expect(other.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.net');
  });

  it('runs each event of a delivery once and answers 202; one failure makes the whole delivery 500', async () => {
    const { url, invoked } = await webhook((event) => (event as { id?: string }).id === 'bad');
    const post = (body: unknown) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents-batch+json', 'aeg-event-type': 'Notification' },
        body: JSON.stringify(body),
      });

    const good = await post([notification('a'), notification('b')]);
    const single = await post(notification('c'));
    const mixed = await post([notification('d'), notification('bad')]);

    expect([good.status, single.status, mixed.status]).toEqual([202, 202, 500]);
    expect(invoked.map((event) => (event as { id: string }).id)).toEqual(['a', 'b', 'c', 'd', 'bad']);
  });

  it('refuses a POST without aeg-event-type, and an unknown function name, running nothing', async () => {
    const { url, invoked } = await webhook();

    const missing = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([notification('a')]),
    });
    const unknown = await fetch(url.replace('receiveEventGridNotifications', 'nope'), { method: 'OPTIONS' });

    expect(missing.status).toBe(400);
    expect(unknown.status).toBe(404);
    expect(invoked).toEqual([]);
  });
});
