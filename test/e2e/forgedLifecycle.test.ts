/**
 * Issue #18 end to end: an attacker who saw one genuine POST holds the clientState and forges lifecycle notifications
 * to the real lifecycle webhook (function key included, as in the URL Graph holds). Through the local host, the
 * lifecycle queue and function, Azurite and the Graph simulator over HTTP, nothing Graph does not confirm changes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startE2ePipeline, untilQuiet, type E2ePipeline } from './support';

let e2e: E2ePipeline;
let subscriptionId = '';
let clientState = '';

beforeAll(async () => {
  e2e = await startE2ePipeline({
    subscriptions: (demo) => [{ resource: `users/${demo.adeleId}/messages`, changeType: 'created,updated,deleted' }],
  });
  // One genuine notification, captured as the attacker did: its item carries the clientState.
  e2e.sim.mutate(e2e.demo.tenantId, {
    kind: 'message',
    op: 'create',
    userId: e2e.demo.adeleId,
    data: { subject: 'captured' },
  });
  await untilQuiet(e2e);
  const [captured] = e2e.sim.notifications({ kind: 'change' });
  subscriptionId = captured?.subscriptionId ?? '';
  clientState = typeof captured?.payload.clientState === 'string' ? captured.payload.clientState : '';
}, 120_000);

afterAll(async () => {
  await e2e.pipeline.stop();
});

/** POSTs one lifecycle notification with the genuine clientState to the lifecycle webhook, as Graph would. */
async function forge(lifecycleEvent: string): Promise<number> {
  const response = await fetch(e2e.pipeline.urls.lifecycleNotificationUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      value: [
        {
          subscriptionId,
          subscriptionExpirationDateTime: new Date(Date.now() + 3_600_000).toISOString(),
          tenantId: e2e.demo.tenantId,
          clientState,
          lifecycleEvent,
        },
      ],
    }),
  });
  return response.status;
}

/** The lifecycle function's actions so far, summed over its "Handled N lifecycle event(s): {...}" lines. */
function lifecycleActions(): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const entry of e2e.logs) {
    const match = /Handled \d+ lifecycle event\(s\): (\{[^}]*\})/.exec(entry.message);
    if (match?.[1] === undefined) continue;
    for (const [action, count] of Object.entries(JSON.parse(match[1]) as Record<string, number>))
      totals[action] = (totals[action] ?? 0) + count;
  }
  return totals;
}

describe('forged lifecycle notifications with a genuine clientState', () => {
  it('a forged subscriptionRemoved leaves the working subscription active, renewable and delivering', async () => {
    expect([subscriptionId, clientState].map((value) => value.length > 0)).toEqual([true, true]);

    expect(await forge('subscriptionRemoved')).toBe(202);
    await untilQuiet(e2e);

    expect(lifecycleActions()).toMatchObject({ unconfirmed: 1 });
    expect(lifecycleActions().recreated ?? 0).toBe(0);
    const [view] = await e2e.pipeline.management.list();
    expect(view).toMatchObject({ id: subscriptionId, status: 'active', lastError: null });
    expect(e2e.sim.subscriptions().map((subscription) => subscription.id)).toEqual([subscriptionId]);
    expect((await e2e.pipeline.management.renew(subscriptionId)).status).toBe('active');
    const health = await fetch(`${e2e.pipeline.urls.apiUrl}/health`, { headers: { 'x-functions-key': e2e.masterKey } });
    expect(await health.json()).toMatchObject({ status: 'healthy', subscriptionsNeedingOperator: [] });
    expect(e2e.logs.map((entry) => entry.message).join('\n')).not.toContain(clientState);
  });

  it('30 forged missed cost one resync; those received after it began wait on the queue for the interval', async () => {
    const before = lifecycleActions();
    const handledSince = (): number =>
      Object.entries(lifecycleActions()).reduce((sum, [action, count]) => sum + count - (before[action] ?? 0), 0);

    for (let index = 0; index < 30; index += 1) expect(await forge('missed')).toBe(202);
    // Each event is handled once now; those put back for the 15-minute interval are not due again within this test.
    await waitFor(() => handledSince() >= 30);

    const since = (action: string): number => (lifecycleActions()[action] ?? 0) - (before[action] ?? 0);
    expect(since('resynced')).toBe(1);
    expect(since('coalesced') + since('deferred') + since('skipped')).toBe(29);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(`not reached within ${timeoutMs} ms: ${JSON.stringify(lifecycleActions())}`);
    await e2e.sim.clock.settle();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
