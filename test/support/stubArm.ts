/**
 * A stub of Azure Resource Manager's Event Grid partner topic API on 127.0.0.1, recording every call: the
 * partner topic (absent until `state.topicExists`), its activation and its event subscriptions.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const AZURE_SUBSCRIPTION = '00000000-0000-4000-8000-0000000000e9';
export const TOPIC_PATH = `/subscriptions/${AZURE_SUBSCRIPTION}/resourceGroups/rg-notify/providers/Microsoft.EventGrid/partnerTopics/graph-topic`;
export const FUNCTION_APP = `/subscriptions/${AZURE_SUBSCRIPTION}/resourceGroups/rg-notify/providers/Microsoft.Web/sites/func-notify`;
export const STORAGE = `/subscriptions/${AZURE_SUBSCRIPTION}/resourceGroups/rg-notify/providers/Microsoft.Storage/storageAccounts/stnotify`;

export interface ArmCall {
  readonly method: string;
  readonly path: string;
  readonly apiVersion: string | null;
  readonly authorization: string | undefined;
  readonly body: unknown;
}

export function stubArm() {
  const calls: ArmCall[] = [];
  const state = { topicExists: false, activationState: 'NeverActivated', eventSubscriptions: new Set<string>() };
  const armAnswer = (method: string, path: string): [number, unknown] => {
    if (!path.startsWith(TOPIC_PATH) || !state.topicExists)
      return [404, { error: { code: 'ResourceNotFound', message: "The Resource 'graph-topic' was not found." } }];
    if (method === 'GET' && path === TOPIC_PATH)
      return [200, { name: 'graph-topic', properties: { activationState: state.activationState } }];
    if (method === 'POST' && path === `${TOPIC_PATH}/activate`) {
      state.activationState = 'Activated';
      return [200, { name: 'graph-topic', properties: { activationState: 'Activated' } }];
    }
    const subscription = /\/eventSubscriptions\/([^/]+)$/.exec(path)?.[1];
    if (method === 'PUT' && subscription !== undefined) {
      const existed = state.eventSubscriptions.has(subscription);
      state.eventSubscriptions.add(subscription);
      return [existed ? 200 : 201, { name: subscription, properties: { provisioningState: 'Succeeded' } }];
    }
    return [400, { error: { code: 'BadRequest', message: 'unexpected request' } }];
  };
  const server: Server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      calls.push({
        method: request.method ?? '',
        path: url.pathname,
        apiVersion: url.searchParams.get('api-version'),
        authorization: request.headers.authorization,
        body: text === '' ? undefined : (JSON.parse(text) as unknown),
      });
      const [status, body] = armAnswer(request.method ?? '', url.pathname);
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  return { server, calls, state };
}

/** Starts the stub on a free loopback port; `baseUrl` is what ArmDependencies.baseUrl takes. */
export async function startStubArm(): Promise<
  ReturnType<typeof stubArm> & { baseUrl: string; close(): Promise<void> }
> {
  const arm = stubArm();
  arm.server.listen(0, '127.0.0.1');
  await once(arm.server, 'listening');
  return {
    ...arm,
    baseUrl: `http://127.0.0.1:${(arm.server.address() as AddressInfo).port}`,
    close: async () => {
      arm.server.close();
      await once(arm.server, 'close');
    },
  };
}
