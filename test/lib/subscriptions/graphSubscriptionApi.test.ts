import { describe, expect, it } from 'vitest';
import type { GraphRequest } from '../../../src/lib/graph';
import {
  createGraphSubscription,
  type CreateSubscriptionBody,
} from '../../../src/lib/subscriptions/graphSubscriptionApi';

const HUB_URL = 'EventHub:https://ns.servicebus.windows.net/eventhubname/graph?tenantId=contoso.com';
const BLOB_STORE_URL = 'https://vault.vault.azure.net/secrets/payload-storage?tenantId=contoso.com';

/** Graph that answers every create with the subscription it was asked for, recording the request. */
function recordingGraph() {
  const requests: GraphRequest[] = [];
  return {
    requests,
    send: (_tenantId: string, request: GraphRequest) => {
      requests.push(request);
      const body = { id: 'sub-1', ...(request.body as Record<string, unknown>) };
      return Promise.resolve({ status: 201, body, requestId: undefined, clientRequestId: 'c' });
    },
  };
}

const createBody = (blobStoreUrl: string | undefined): CreateSubscriptionBody => ({
  changeType: 'created',
  notificationUrl: HUB_URL,
  lifecycleNotificationUrl: HUB_URL,
  resource: 'chats/c/messages',
  expirationDateTime: '2026-05-01T11:00:00Z',
  clientState: 'state',
  includeResourceData: false,
  encryption: undefined,
  blobStoreUrl,
});

describe('the create request Graph is sent', () => {
  it('carries blobStoreUrl when one is given, and no such property otherwise', async () => {
    const graph = recordingGraph();

    await createGraphSubscription(graph, 't', createBody(BLOB_STORE_URL));
    await createGraphSubscription(graph, 't', createBody(undefined));

    expect(graph.requests[0]?.body).toMatchObject({ blobStoreUrl: BLOB_STORE_URL });
    expect(graph.requests[1]?.body).not.toHaveProperty('blobStoreUrl');
  });
});
