/**
 * End to end, as an attacker holding a notification URL would try it: over HTTP through the local host with
 * keys enforced as in Azure (a function key per webhook, the management API behind the master key). The key
 * Graph holds opens its webhook and nothing else, and no body, however hostile, costs a 5xx.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collection, TENANT_ID, userNotification } from '../support/notificationFactories';
import { hostileIds, nestedJson } from '../support/hostileInput';
import { startE2ePipeline, type E2ePipeline } from './support';

let e2e: E2ePipeline;
let webhookKey: string;

beforeAll(async () => {
  e2e = await startE2ePipeline({ subscriptions: false });
  webhookKey = new URL(e2e.pipeline.urls.notificationUrl).searchParams.get('code') ?? '';
});

afterAll(async () => {
  await e2e.pipeline.stop();
});

describe('the key Graph holds', () => {
  it('opens the webhooks and gets 401 on every management route, by header or query', async () => {
    const { apiUrl } = e2e.pipeline.urls;
    const id = '5f9a0c3e-2b1d-4c6e-8a7f-0e1d2c3b4a59';

    const answers = await Promise.all([
      fetch(`${apiUrl}/subscriptions`, { headers: { 'x-functions-key': webhookKey } }),
      fetch(`${apiUrl}/subscriptions?code=${encodeURIComponent(webhookKey)}`),
      fetch(`${apiUrl}/subscriptions?code=${encodeURIComponent(webhookKey)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"resource":"users","changeType":"updated"}',
      }),
      fetch(`${apiUrl}/subscriptions/${id}?code=${encodeURIComponent(webhookKey)}`, { method: 'DELETE' }),
      fetch(`${apiUrl}/subscriptions/${id}/renew?code=${encodeURIComponent(webhookKey)}`, { method: 'POST' }),
    ]);
    const webhook = await fetch(e2e.pipeline.urls.notificationUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: collection([userNotification({ subscriptionId: id, clientState: 'x', tenantId: TENANT_ID })]),
    });

    expect(answers.map((answer) => answer.status)).toEqual([401, 401, 401, 401, 401]);
    expect(webhook.status).toBe(202);
    // The pipeline's own management client holds the master key and still gets through.
    expect(await e2e.pipeline.management.list()).toEqual([]);
  });
});

describe('hostile bodies over HTTP', () => {
  it('never get a 5xx: ids that are not GUIDs, deep nesting, forged floods', async () => {
    const item = fc.record({
      subscriptionId: fc.oneof(hostileIds, fc.uuid()),
      tenantId: fc.oneof(hostileIds, fc.constant(TENANT_ID)),
      depth: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 8_000 })),
      copies: fc.integer({ min: 1, max: 200 }),
    });

    await fc.assert(
      fc.asyncProperty(fc.array(item, { minLength: 1, maxLength: 4 }), async (items) => {
        const texts = items.flatMap(({ subscriptionId, tenantId, depth, copies }) => {
          const text = JSON.stringify({
            subscriptionId,
            tenantId,
            clientState: 'guess',
            changeType: 'updated',
            resource: 'users/x',
          }).replace(/}$/, `,"resourceData":${nestedJson(depth)}}`);
          return Array.from({ length: copies }, () => text);
        });
        const response = await fetch(e2e.pipeline.urls.notificationUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: `{"value":[${texts.join(',')}]}`,
        });
        await response.arrayBuffer();
        expect(response.status === 202 || response.status === 413).toBe(true);
      }),
      { numRuns: 25 },
    );
  });
});
