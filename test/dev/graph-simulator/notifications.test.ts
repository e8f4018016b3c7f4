import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GraphSimulatorOptions } from '../../../dev/graph-simulator/index.js';
import { TENANT_ID, inMinutes, simulatorWithUser, startReceiver, type Receiver, type TestGraph } from './support.js';

let receiver: Receiver;
let graph: TestGraph;

beforeEach(async () => {
  receiver = await startReceiver();
  graph = await simulatorWithUser();
});

afterEach(async () => {
  graph.sim.stop();
  await receiver.stop();
});

async function restart(options: GraphSimulatorOptions): Promise<void> {
  graph.sim.stop();
  graph = await simulatorWithUser(options);
}

async function subscribe(resource: string, changeType: string, extra: Record<string, unknown> = {}): Promise<string> {
  const { status, json } = await graph.call('POST', '/subscriptions', {
    changeType,
    notificationUrl: `${receiver.url}?tenant=t1&x=1`,
    resource,
    expirationDateTime: inMinutes(graph.sim, 600),
    clientState: 'cs-1',
    ...extra,
  });
  expect(status).toBe(201);
  return String(json.id);
}

describe('change notification payloads', () => {
  it('sends an Outlook message creation in Outlook casing with tenantId, clientState and the query string kept', async () => {
    const subscriptionId = await subscribe(`users/${graph.userId}/messages`, 'created,updated,deleted');

    const message = graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: graph.userId });
    await graph.sim.clock.settle();

    const [post] = receiver.posts.filter((p) => !p.query.has('validationToken'));
    expect(post?.contentType).toBe('application/json; charset=utf-8');
    expect(post?.query.get('tenant')).toBe('t1');
    expect(post?.query.get('x')).toBe('1');
    const [item] = receiver.notifications();
    const resource = `Users/${graph.userId}/Messages/${String(message?.id)}`;
    expect(item).toEqual({
      id: expect.any(String) as string,
      subscriptionId,
      subscriptionExpirationDateTime: expect.stringMatching(/\+00:00$/) as string,
      changeType: 'created',
      resource,
      clientState: 'cs-1',
      tenantId: TENANT_ID,
      resourceData: { '@odata.type': '#Microsoft.Graph.Message', '@odata.id': resource, '@odata.etag': message?.['@odata.etag'], id: message?.id },
    });
  });

  it('reports user creation and soft deletion as updated and permanent deletion as deleted', async () => {
    await subscribe('users', 'updated,deleted');

    const user = graph.sim.mutate(TENANT_ID, { kind: 'user', op: 'create' });
    await graph.sim.clock.settle();
    graph.sim.mutate(TENANT_ID, { kind: 'user', op: 'delete', id: String(user?.id) });
    await graph.sim.clock.settle();
    graph.sim.mutate(TENANT_ID, { kind: 'user', op: 'delete', id: String(user?.id), permanent: true });
    await graph.sim.clock.settle();

    const items = receiver.notifications();
    expect(items.map((n) => n.changeType)).toEqual(['updated', 'updated', 'deleted']);
    expect(items[0]).toMatchObject({ resource: `Users/${String(user?.id)}`, resourceData: { '@odata.type': '#Microsoft.Graph.User', id: user?.id, organizationId: TENANT_ID } });
  });

  it('sends drive changes as updated on drives/<id>/root/ with resourceData null', async () => {
    const drive = graph.sim.state(TENANT_ID).find((r) => r.kind === 'drive');
    await subscribe(`users/${graph.userId}/drive/root`, 'updated');

    graph.sim.mutate(TENANT_ID, { kind: 'driveItem', op: 'create', driveId: String(drive?.id) });
    await graph.sim.clock.settle();

    expect(receiver.notifications()).toEqual([expect.objectContaining({ changeType: 'updated', resource: `drives/${String(drive?.id)}/root/`, resourceData: null })]);
  });

  it('follows $filter: entering the set is created, leaving it deleted', async () => {
    await subscribe(`users/${graph.userId}/mailFolders('inbox')/messages?$filter=isRead eq false`, 'created,updated,deleted');
    const message = graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: graph.userId, data: { isRead: true } });

    graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'update', userId: graph.userId, id: String(message?.id), data: { isRead: false } });
    graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'update', userId: graph.userId, id: String(message?.id), data: { subject: 'x' } });
    graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'update', userId: graph.userId, id: String(message?.id), data: { isRead: true } });
    await graph.sim.clock.settle();

    expect(receiver.notifications().map((n) => n.changeType)).toEqual(['created', 'updated', 'deleted']);
  });

  it('reports a move between folders as deleted plus created with a new id', async () => {
    await subscribe(`users/${graph.userId}/messages`, 'created,deleted');
    const message = graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: graph.userId });
    await graph.sim.clock.settle();

    const moved = graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'move', userId: graph.userId, id: String(message?.id), folder: 'archive' });
    await graph.sim.clock.settle();

    expect(receiver.notifications().map((n) => [n.changeType, (n.resourceData as { id: string }).id])).toEqual([
      ['created', message?.id],
      ['deleted', message?.id],
      ['created', moved?.id],
    ]);
  });

  it('batches notifications queued together for one URL into one POST', async () => {
    await subscribe(`users/${graph.userId}/messages`, 'created');
    await subscribe('users', 'updated');

    graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: graph.userId });
    graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: graph.userId });
    graph.sim.mutate(TENANT_ID, { kind: 'user', op: 'update', id: graph.userId, data: { jobTitle: 'CEO' } });
    await graph.sim.clock.settle();

    expect(receiver.collections()).toHaveLength(1);
    expect(receiver.collections()[0]?.value).toHaveLength(3);
  });
});

describe('delivery, retries and ground truth', () => {
  it('records every notification as delivered once the receiver acknowledges', async () => {
    const subscriptionId = await subscribe(`users/${graph.userId}/messages`, 'created,updated,deleted');

    for (let i = 0; i < 5; i++) graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: graph.userId });
    await graph.sim.clock.settle();

    expect(graph.sim.deliverySummary({ subscriptionId })).toMatchObject({ total: 5, delivered: 5, pending: 0 });
    expect(graph.sim.deliveryAttempts()).toEqual([expect.objectContaining({ outcome: 'acknowledged', status: 202, firstAttempt: true, timeoutMs: 3_000 })]);
  });

  it('retries a 5xx after the backoff delay in virtual time with the 10-second retry timeout', async () => {
    await subscribe(`users/${graph.userId}/messages`, 'created');
    let failures = 2;
    receiver.behave((post) => (!post.query.has('validationToken') && failures-- > 0 ? { status: 503 } : undefined));

    graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: graph.userId });
    await graph.sim.clock.settle();
    const afterFirst = graph.sim.deliveryAttempts().length;
    await graph.sim.clock.advance(9_999);
    const beforeRetry = graph.sim.deliveryAttempts().length;
    await graph.sim.clock.advance(1);
    await graph.sim.clock.advance(30_000);

    expect(afterFirst).toBe(1);
    expect(beforeRetry).toBe(1);
    expect(graph.sim.deliveryAttempts().map((a) => [a.outcome, a.timeoutMs])).toEqual([
      ['rejected', 3_000],
      ['rejected', 10_000],
      ['acknowledged', 10_000],
    ]);
    expect(graph.sim.notifications()[0]).toMatchObject({ status: 'delivered', attempts: 3 });
  });

  it('treats a reply slower than the first-attempt timeout as a failure', async () => {
    await restart({ delivery: { firstAttemptTimeoutMs: 50, retryTimeoutMs: 1_000 } });
    await subscribe(`users/${graph.userId}/messages`, 'created');
    let slow = true;
    receiver.behave((post) => {
      if (post.query.has('validationToken') || !slow) return undefined;
      slow = false;
      return { status: 202, delayMs: 300 };
    });

    graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: graph.userId });
    await graph.sim.clock.settle();
    await graph.sim.clock.advance(10_000);

    expect(graph.sim.deliveryAttempts().map((a) => a.outcome)).toEqual(['timeout', 'acknowledged']);
  });

  it('discards a notification never acknowledged within 4 hours', async () => {
    await subscribe(`users/${graph.userId}/messages`, 'created');
    receiver.behave((post) => (post.query.has('validationToken') ? undefined : { status: 500 }));

    graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: graph.userId });
    await graph.sim.clock.advance(4 * 3_600_000 + 60_000);

    const [record] = graph.sim.notifications();
    expect(record).toMatchObject({ status: 'discarded', reason: 'not acknowledged within the 4-hour retry window' });
    expect(record?.attempts).toBeGreaterThan(20);
  });

  it('abandons queued notifications of a deleted subscription', async () => {
    const id = await subscribe(`users/${graph.userId}/messages`, 'created');
    receiver.behave((post) => (post.query.has('validationToken') ? undefined : { status: 500 }));
    graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: graph.userId });
    await graph.sim.clock.settle();

    await graph.call('DELETE', `/subscriptions/${id}`);

    expect(graph.sim.notifications()[0]).toMatchObject({ status: 'abandoned', reason: 'subscription deleted' });
  });

  it('flags a URL slow and delays new notifications by 10 minutes, then recovers', async () => {
    await restart({ delivery: { firstAttemptTimeoutMs: 30, retryTimeoutMs: 5_000, endpointThrottle: { minSamples: 2 } } });
    await subscribe(`users/${graph.userId}/messages`, 'created');
    receiver.behave((post) => (post.query.has('validationToken') ? undefined : { status: 202, delayMs: 60 }));
    graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: graph.userId });
    await graph.sim.clock.settle();
    await graph.sim.clock.advance(10_000);
    receiver.behave(undefined);

    const state = graph.sim.endpoints()[0]?.state;
    graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: graph.userId });
    await graph.sim.clock.advance(9 * 60_000);
    const heldFor9Minutes = graph.sim.deliverySummary().pending;
    await graph.sim.clock.advance(60_000);

    expect(state).toBe('slow');
    expect(heldFor9Minutes).toBe(1);
    expect(graph.sim.deliverySummary()).toMatchObject({ delivered: 2, pending: 0 });
  });

  it('drops new notifications while a URL is in the drop state and records why', async () => {
    await restart({ delivery: { firstAttemptTimeoutMs: 20, retryTimeoutMs: 40, endpointThrottle: { minSamples: 2 } } });
    await subscribe(`users/${graph.userId}/messages`, 'created');
    receiver.behave((post) => (post.query.has('validationToken') ? undefined : { status: 202, delayMs: 200 }));
    graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: graph.userId });
    await graph.sim.clock.settle();
    await graph.sim.clock.advance(10_000);
    await graph.sim.clock.advance(30_000);

    graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: graph.userId });

    expect(graph.sim.endpoints()[0]?.state).toBe('drop');
    expect(graph.sim.notifications({ status: 'dropped' })).toEqual([expect.objectContaining({ reason: 'endpoint in drop state' })]);
  });

  it('injects duplicates and drops by ratio and by scripted rule, and the log accounts for each', async () => {
    await restart({ faults: { duplicateDeliveryRatio: 1 } });
    await subscribe(`users/${graph.userId}/messages`, 'created');

    graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: graph.userId });
    await graph.sim.clock.advance(5_000);
    graph.sim.faults.configure({ duplicateDeliveryRatio: 0 });
    graph.sim.faults.inject({ target: 'delivery', action: 'drop' });
    graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: graph.userId });
    await graph.sim.clock.settle();

    expect(receiver.notifications()).toHaveLength(2);
    expect(receiver.notifications()[0]?.resource).toBe(receiver.notifications()[1]?.resource);
    expect(graph.sim.deliverySummary()).toMatchObject({ total: 2, delivered: 1, dropped: 1, duplicatesDelivered: 1 });
  });

  it('exposes the current state of every resource as ground truth', () => {
    const message = graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: graph.userId, data: { subject: 'Ground truth' } });

    const path = `users/${graph.userId}/messages/${String(message?.id)}`;

    expect(graph.sim.resource(TENANT_ID, path)).toMatchObject({ subject: 'Ground truth' });
    expect(graph.sim.state(TENANT_ID).find((r) => r.path === path)?.body.subject).toBe('Ground truth');
  });
});
