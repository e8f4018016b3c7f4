/**
 * End to end, rich notifications where Graph's documented behaviour is not the simple case:
 * - one notification URL shared by two tenants: a POST with a rich item of one tenant carries a validation
 *   token for every (app, tenant) pair with an item in it, the basic ones included (Microsoft's
 *   changeNotificationCollection and rich-notification pages). The rich item must still reach the sink.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  problems,
  readSink,
  startE2ePipeline,
  untilQuiet,
  withoutResponseAnnotations,
  type E2ePipeline,
} from './support';

let e2e: E2ePipeline;

beforeAll(async () => {
  e2e = await startE2ePipeline();
  await untilQuiet(e2e);
});

afterAll(async () => {
  await e2e.pipeline.stop();
});

describe('rich notifications on the local host', () => {
  it('stores the rich item of a POST that also carries a basic item, and its token, of another tenant', async () => {
    const { sim, demo, pipeline } = e2e;
    const otherTenant = sim.addTenant({ displayName: 'Fabrikam (simulated)' }).id;
    const basic = await pipeline.management.create({
      resource: 'users',
      changeType: 'updated,deleted',
      tenantId: otherTenant,
      initialSync: false,
    });
    expect(basic.status).toBe('active');
    await untilQuiet(e2e);
    const attemptsBefore = sim.deliveryAttempts().length;

    const chatMessage = sim.mutate(demo.tenantId, {
      kind: 'chatMessage',
      op: 'create',
      chatId: demo.chatId,
      data: { body: { contentType: 'text', content: 'Shared URL, rich' } },
    });
    sim.mutate(otherTenant, { kind: 'user', op: 'create', data: { mailNickname: 'lee', displayName: 'Lee Gu' } });
    const status = await untilQuiet(e2e);

    // Graph put both items in one POST, with one token per tenant: the case under test happened.
    const mixed = sim
      .deliveryAttempts()
      .slice(attemptsBefore)
      .filter((attempt) => attempt.notificationIds.length === 2 && attempt.validationTokens === 2);
    expect(mixed).not.toEqual([]);
    const sink = await readSink(pipeline);
    const stored = sink.get(`chats/${demo.chatId}/messages/${String(chatMessage?.id)}`.toLowerCase());
    expect(stored === undefined ? undefined : withoutResponseAnnotations(stored.body)).toMatchObject({
      body: { content: 'Shared URL, rich' },
    });
    expect(status.failures).toBe(0);
    expect(problems(e2e.logs)).toEqual([]);
  });
});
