/**
 * End to end, rich notifications where Graph's documented behaviour is not the simple case:
 * - one notification URL shared by two tenants: a POST with a rich item of one tenant carries a validation
 *   token for every (app, tenant) pair with an item in it, the basic ones included (Microsoft's
 *   changeNotificationCollection and rich-notification pages). The rich item must still reach the sink.
 * - two versions of an Outlook message with one lastModifiedDateTime: which is newer cannot be told, so the app
 *   reads the message with the rich content's properties as `$select`. That content carries Outlook's type
 *   annotations (`receivedDateTime@odata.type`, Microsoft's Outlook rich-notification page), which are no
 *   properties: Graph answers 400 to a `$select` naming them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXACT_DELIVERY } from '../../dev/graph-simulator/index.js';
import {
  compareWithGroundTruth,
  problems,
  readSink,
  startE2ePipeline,
  untilQuiet,
  withoutResponseAnnotations,
  type E2ePipeline,
} from './support';

let e2e: E2ePipeline;

beforeAll(async () => {
  // Both claims need Graph to put given items in one POST (the first) or deliver versions in order (the second):
  // exact delivery, so the latency and reordering Graph may add do not split what the test puts together.
  e2e = await startE2ePipeline({ simulator: { delivery: EXACT_DELIVERY } });
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

  it("reads a tied Outlook message with its rich content's properties, not its annotations, as $select", async () => {
    const { sim, demo, pipeline } = e2e;
    const message = sim.mutate(demo.tenantId, {
      kind: 'message',
      op: 'create',
      userId: demo.alexId,
      data: { subject: 'Tie, first' },
    });
    await untilQuiet(e2e);
    const id = String(message?.id);
    // Two updates at one instant of Graph's clock: one lastModifiedDateTime, two versions (two changeKeys).
    sim.mutate(demo.tenantId, { kind: 'message', op: 'update', userId: demo.alexId, id, data: { subject: 'Tie, a' } });
    sim.mutate(demo.tenantId, { kind: 'message', op: 'update', userId: demo.alexId, id, data: { subject: 'Tie, b' } });
    const status = await untilQuiet(e2e);

    const path = `users/${demo.alexId}/messages/${id}`;
    const stored = (await readSink(pipeline)).get(path.toLowerCase());
    const truth = await compareWithGroundTruth(e2e, (resource) => resource.path === path);
    expect(stored === undefined ? undefined : withoutResponseAnnotations(stored.body)).toMatchObject({
      subject: 'Tie, b',
    });
    // No annotation is stored as if it were a property: the sink holds what a read of the message returns.
    expect(Object.keys(stored?.body ?? {}).filter((key) => /.@/.test(key))).toEqual([]);
    expect(truth).toMatchObject({ expected: 1, missing: [], different: [] });
    expect(status.failures).toBe(0);
    expect(problems(e2e.logs)).toEqual([]);
  });
});
