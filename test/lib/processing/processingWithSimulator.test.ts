/**
 * Processing against the Graph simulator and Azurite: real notifications from the simulator, ingested,
 * queued, processed with the real Graph client and written to the real blob sink.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_APP_ID } from '../../../dev/graph-simulator';
import { normalizeResourcePath } from '../../../src/lib/resources';
import {
  startProcessingHarness,
  subscribeToEverything,
  SUBSCRIBED_KINDS,
  updateEverything,
  type ProcessingHarness,
} from '../../support/processingHarness';

let harness: ProcessingHarness | undefined;
afterEach(async () => {
  await harness?.stop();
  harness = undefined;
});

function expectSinkToMatchSimulator(
  h: ProcessingHarness,
  sink: Map<string, unknown>,
  ids: { userId: string; drive: string; chat: string },
) {
  const expected = h.sim
    .state(h.tenantId)
    .filter(
      (resource) =>
        SUBSCRIBED_KINDS.has(resource.kind) ||
        SUBSCRIBED_KINDS.has(resource.kind.toLowerCase()) ||
        resource.kind === 'User',
    )
    .filter((resource) => {
      const kind = resource.kind.toLowerCase();
      if (kind === 'message' || kind === 'event' || kind === 'contact')
        return resource.path.startsWith(`users/${ids.userId}/`);
      if (kind === 'driveitem') return resource.path.startsWith(`drives/${ids.drive}/`);
      return true;
    });
  for (const resource of expected) {
    const stored = sink.get(normalizeResourcePath(resource.path)) as Record<string, unknown> | undefined;
    expect(stored, `${resource.kind} ${resource.path} is in the sink`).toBeDefined();
    for (const [property, value] of Object.entries(resource.body)) {
      if (property.startsWith('@odata') || value === null || typeof value === 'object') continue;
      if (stored !== undefined && property in stored)
        expect(stored[property], `${resource.path}.${property}`).toEqual(value);
    }
  }
  return expected.length;
}

describe('processing with the Graph simulator and Azurite', () => {
  it('mirrors every subscribed resource kind and costs at most one read per changed resource', async () => {
    const h = (harness = await startProcessingHarness());
    const ids = await subscribeToEverything(h);

    const changes = updateEverything(h, ids, 5);
    await h.deliver();
    const results = await h.drain();
    const sink = await h.sink();

    const notifications = h.sim.notifications({ kind: 'change' }).length;
    const compared = expectSinkToMatchSimulator(h, sink, ids);
    const notified = results.reduce((sum, result) => sum + result.items, 0);
    expect(notified).toBe(notifications);
    expect(compared).toBeGreaterThan(10);
    // Each id-addressed resource changed 5 times is read at most once; the drive costs delta pages.
    const idAddressed =
      changes / 5 -
      h.sim
        .state(h.tenantId)
        .filter((r) => r.kind === 'driveItem' && r.path.startsWith(`drives/${ids.drive}/`) && r.body.root === undefined)
        .length;
    expect(h.traffic.reads).toBeLessThanOrEqual(
      idAddressed + results.reduce((sum, result) => sum + result.deltaRuns * 2, 0),
    );
    expect(h.traffic.batches).toBeGreaterThan(0);
    expect(h.sim.deliverySummary()).toMatchObject({ pending: 0, dropped: 0, discarded: 0, abandoned: 0 });
  });

  it('writes tombstones for deleted resources', async () => {
    const h = (harness = await startProcessingHarness());
    const ids = await subscribeToEverything(h);
    const message = h.sim
      .state(h.tenantId)
      .find((resource) => resource.kind === 'message' && resource.path.startsWith(`users/${ids.userId}/`));
    if (message === undefined) throw new Error('demo tenant has no message');

    h.sim.mutate(h.tenantId, { kind: 'message', op: 'delete', userId: ids.userId, id: message.id });
    await h.deliver();
    await h.drain();

    expect((await h.sink()).get(normalizeResourcePath(message.path))).toEqual({
      id: message.id,
      '@removed': { reason: 'deleted' },
    });
  });

  it('believes a deletion only when Graph confirms it: forged deletes of live resources change nothing', async () => {
    // The attacker saw one genuine POST per subscription, so it holds their clientStates.
    const h = (harness = await startProcessingHarness());
    const directory = h.sim.state(h.tenantId);
    const userId = directory.find((resource) => resource.kind.toLowerCase() === 'user')?.id ?? '';
    const groupId = directory.find((resource) => resource.kind.toLowerCase() === 'group')?.id ?? '';
    const messageIds = directory
      .filter((resource) => resource.kind === 'message' && resource.path.startsWith(`users/${userId}/`))
      .map((resource) => resource.id);
    const [liveMessage, deletedMessage] = messageIds;
    if (liveMessage === undefined || deletedMessage === undefined) throw new Error('demo mailbox has no two messages');
    const users = await h.subscribe('users', 'updated,deleted');
    const groups = await h.subscribe('groups', 'updated,deleted');
    const mail = await h.subscribe(`users/${userId}/messages`, 'created,updated,deleted');
    const forged = (subscription: typeof users, resource: string, id: string) => ({
      subscriptionId: subscription.subscriptionId,
      clientState: subscription.clientState,
      tenantId: h.tenantId,
      changeType: 'deleted',
      resource,
      resourceData: { id },
    });
    const forgery = await fetch(users.notificationUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        value: [
          forged(users, `Users/${userId}`, userId),
          forged(groups, `Groups/${groupId}`, groupId),
          forged(mail, `Users/${userId}/Messages/${liveMessage}`, liveMessage),
        ],
      }),
    });
    expect(forgery.status).toBe(202);
    h.sim.mutate(h.tenantId, { kind: 'message', op: 'delete', userId, id: deletedMessage });
    await h.deliver();

    const results = await h.drain();
    const sink = await h.sink();

    expect(results.reduce((sum, result) => sum + result.items, 0)).toBe(4);
    expect(h.traffic.reads).toBe(4);
    for (const [path, id] of [
      [`users/${userId}`, userId],
      [`groups/${groupId}`, groupId],
      [`users/${userId}/messages/${liveMessage}`, liveMessage],
    ] as const) {
      expect(sink.get(path), path).toMatchObject({ id });
      expect(sink.get(path), path).not.toHaveProperty('@removed');
    }
    expect(sink.get(`users/${userId}/messages/${deletedMessage}`)).toEqual({
      id: deletedMessage,
      '@removed': { reason: 'deleted' },
    });
  });

  it('puts throttled reads back on the queue with the Retry-After delay and completes them later', async () => {
    const h = (harness = await startProcessingHarness());
    const ids = await subscribeToEverything(h);
    h.sim.faults.configure({ readThrottleRatio: 1, retryAfterSeconds: 1 });
    updateEverything(h, ids, 1);
    await h.deliver();

    const throttled = await h.drain();
    h.sim.faults.configure({ readThrottleRatio: 0 });
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    const retried = await h.drain();

    expect(throttled.reduce((sum, result) => sum + result.requeued, 0)).toBeGreaterThan(0);
    expect(retried.reduce((sum, result) => sum + result.requeued, 0)).toBe(0);
    expectSinkToMatchSimulator(h, await h.sink(), ids);
  });

  it('decrypts rich notifications with the configured certificate and reads nothing from Graph', async () => {
    const h = (harness = await startProcessingHarness({ rich: true }));
    const userId = h.sim.state(h.tenantId).find((resource) => resource.kind.toLowerCase() === 'user')?.id ?? '';
    await h.subscribe(`users/${userId}/messages?$select=id,subject`, 'created,updated', { rich: true });

    const created = h.sim.mutate(h.tenantId, {
      kind: 'message',
      op: 'create',
      userId,
      data: { subject: 'rich hello' },
    });
    await h.deliver();
    const results = await h.drain();

    expect(results.reduce((sum, result) => sum + result.rejected, 0)).toBe(0);
    expect(h.traffic.requests).toBe(0);
    const stored = (await h.sink()).get(`users/${userId}/messages/${String(created?.id)}`);
    expect(stored).toMatchObject({ subject: 'rich hello' });
  });

  it('rejects a captured rich notification replayed with another resource, and writes nothing over that resource', async () => {
    const h = (harness = await startProcessingHarness({ rich: true }));
    const userId = h.sim.state(h.tenantId).find((resource) => resource.kind.toLowerCase() === 'user')?.id ?? '';
    await h.subscribe('users', 'updated');
    const mail = await h.subscribe(`users/${userId}/messages?$select=id,subject`, 'created,updated', { rich: true });
    const create = (subject: string): string =>
      String(h.sim.mutate(h.tenantId, { kind: 'message', op: 'create', userId, data: { subject } })?.id);
    const secret = create('secret of A');
    const mine = create('mine, B');
    h.sim.mutate(h.tenantId, { kind: 'user', op: 'update', id: userId, data: { jobTitle: 'unchanged' } });
    await h.deliver();
    await h.drain();
    const before = await h.sink();
    const captured = h.sim
      .notifications({ kind: 'change' })
      .find((record) => record.resource?.includes(secret) === true)?.payload;
    const other = h.sim
      .notifications({ kind: 'change' })
      .find((record) => record.resource?.includes(mine) === true)?.resource;
    if (captured === undefined || other === undefined) throw new Error('no rich notifications were delivered');
    // The captured POST's validation tokens stay valid about a day: a fresh one from Graph is as good.
    const validationTokens = [await h.sim.issueValidationToken(DEMO_APP_ID, h.tenantId)];

    for (const resource of [other, `Users/${userId}`]) {
      const replay = await fetch(mail.notificationUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ value: [{ ...captured, resource }], validationTokens }),
      });
      expect(replay.status).toBe(202);
    }
    const results = await h.drain();
    const after = await h.sink();

    // The replay under another message of the mailbox reaches processing and is rejected there; the one under a
    // user object lies outside the mail subscription and ingest refuses it first (outsideSubscription).
    expect(results.reduce((sum, result) => sum + result.richContentMismatch, 0)).toBe(1);
    expect(after.get(`users/${userId}/messages/${mine}`)).toMatchObject({ subject: 'mine, B' });
    expect(after.get(`users/${userId}`)).toEqual(before.get(`users/${userId}`));
    expect(after.get(`users/${userId}`)).not.toHaveProperty('subject');
  });
});
