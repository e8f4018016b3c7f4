import { describe, expect, it } from 'vitest';
import { ENDPOINT_THROTTLE_MIN_SAMPLES_2023, EXACT_DELIVERY } from '../../../dev/graph-simulator/index.js';
import { TENANT_ID, inMinutes, useSimulatorWithReceiver } from './support.js';

// Each test pins one behaviour to exact counts, payloads or instants: exactly-once, in-order, immediate delivery.
// The defaults (duplicates, reordering, latency) have their own tests in deliveryRealism.test.ts.
const world = useSimulatorWithReceiver({ delivery: EXACT_DELIVERY });

async function subscribe(resource: string, changeType: string, extra: Record<string, unknown> = {}): Promise<string> {
  const { status, json } = await world.graph.call('POST', '/subscriptions', {
    changeType,
    notificationUrl: `${world.receiver.url}?tenant=t1&x=1`,
    resource,
    expirationDateTime: inMinutes(world.graph.sim, 600),
    clientState: 'cs-1',
    ...extra,
  });
  expect(status).toBe(201);
  return String(json.id);
}

describe('change notification payloads', () => {
  it('sends an Outlook message creation in Outlook casing, the owner as {user-guid}@{tenant-guid}, with tenantId, clientState and the query string kept', async () => {
    const subscriptionId = await subscribe(`users/${world.graph.userId}/messages`, 'created,updated,deleted');

    const message = world.graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: world.graph.userId });
    await world.graph.sim.clock.settle();

    const [post] = world.receiver.posts.filter((p) => !p.query.has('validationToken'));
    expect(post?.contentType).toBe('application/json; charset=utf-8');
    expect(post?.query.get('tenant')).toBe('t1');
    expect(post?.query.get('x')).toBe('1');
    const [item] = world.receiver.notifications();
    // The example of Microsoft's "Receive change notifications through webhooks" page.
    const resource = `Users/${world.graph.userId}@${TENANT_ID}/Messages/${String(message?.id)}`;
    expect(item).toEqual({
      id: expect.any(String) as string,
      subscriptionId,
      subscriptionExpirationDateTime: expect.stringMatching(/\+00:00$/) as string,
      changeType: 'created',
      resource,
      clientState: 'cs-1',
      tenantId: TENANT_ID,
      resourceData: {
        '@odata.type': '#Microsoft.Graph.Message',
        '@odata.id': resource,
        '@odata.etag': message?.['@odata.etag'],
        id: message?.id,
      },
    });
  });

  it('names the owner by id alone with notificationShapes.outlookOwner userId', async () => {
    await world.restart({ notificationShapes: { outlookOwner: 'userId' } });
    await subscribe(`users/${world.graph.userId}/events`, 'created');

    const event = world.graph.sim.mutate(TENANT_ID, { kind: 'event', op: 'create', userId: world.graph.userId });
    await world.graph.sim.clock.settle();

    const resource = `Users/${world.graph.userId}/Events/${String(event?.id)}`;
    expect(world.receiver.notifications()).toMatchObject([
      { resource, resourceData: { '@odata.type': '#Microsoft.Graph.Event', '@odata.id': resource } },
    ]);
  });

  it('reports user creation and soft deletion as updated and permanent deletion as deleted', async () => {
    await subscribe('users', 'updated,deleted');

    const user = world.graph.sim.mutate(TENANT_ID, { kind: 'user', op: 'create' });
    await world.graph.sim.clock.settle();
    world.graph.sim.mutate(TENANT_ID, { kind: 'user', op: 'delete', id: String(user?.id) });
    await world.graph.sim.clock.settle();
    world.graph.sim.mutate(TENANT_ID, { kind: 'user', op: 'delete', id: String(user?.id), permanent: true });
    await world.graph.sim.clock.settle();

    const items = world.receiver.notifications();
    expect(items.map((n) => n.changeType)).toEqual(['updated', 'updated', 'deleted']);
    expect(items[0]).toMatchObject({
      resource: `Users/${String(user?.id)}`,
      resourceData: { '@odata.type': '#Microsoft.Graph.User', id: user?.id, organizationId: TENANT_ID },
    });
  });

  it("sends presence changes of the filtered users only, as updated on communications/presences('{id}'), and serves the read", async () => {
    const { sim, userId } = world.graph;
    const other = sim.mutate(TENANT_ID, { kind: 'user', op: 'create' });
    await sim.clock.settle();
    const tooLong = await world.graph.call('POST', '/subscriptions', {
      changeType: 'updated',
      notificationUrl: world.receiver.url,
      resource: `communications/presences?$filter=id in ('${userId}')`,
      expirationDateTime: inMinutes(sim, 61),
      clientState: 'cs-1',
    });
    await subscribe(`communications/presences?$filter=id in ('${userId}')`, 'updated', {
      expirationDateTime: inMinutes(sim, 60),
    });

    sim.mutate(TENANT_ID, { kind: 'presence', op: 'update', userId, data: { availability: 'Busy' } });
    sim.mutate(TENANT_ID, {
      kind: 'presence',
      op: 'update',
      userId: String(other?.id),
      data: { availability: 'Away' },
    });
    await sim.clock.settle();
    const read = await world.graph.call('GET', `/communications/presences/${userId}`);

    expect(tooLong.status).toBe(400);
    expect(world.receiver.notifications()).toEqual([
      expect.objectContaining({
        changeType: 'updated',
        resource: `communications/presences('${userId}')`,
        resourceData: expect.objectContaining({ id: userId }) as unknown,
      }),
    ]);
    expect(read).toMatchObject({ status: 200, json: { id: userId, availability: 'Busy' } });
  });

  it("sends team, channel and team member changes named as the Teams pages show (teams('{id}')/channels('{id}'), teams('{id}')/members('{id}')), and serves their reads", async () => {
    const { sim, userId } = world.graph;
    const lifecycle = { lifecycleNotificationUrl: world.receiver.url };
    const team = sim.mutate(TENANT_ID, { kind: 'team', op: 'create', data: { displayName: 'Launch' } });
    const teamId = String(team?.id);
    const all = 'created,updated,deleted';
    await subscribe('teams', all, lifecycle);
    await subscribe(`teams/${teamId}/channels`, all, lifecycle);
    await subscribe(`teams/${teamId}/members`, all, lifecycle);
    const other = sim.mutate(TENANT_ID, { kind: 'team', op: 'create' });

    const channel = sim.mutate(TENANT_ID, { kind: 'channel', op: 'create', teamId, data: { displayName: 'Plans' } });
    sim.mutate(TENANT_ID, { kind: 'channel', op: 'create', teamId: String(other?.id) });
    const member = sim.mutate(TENANT_ID, { kind: 'teamsMember', op: 'create', container: `teams/${teamId}`, userId });
    sim.mutate(TENANT_ID, { kind: 'team', op: 'update', id: teamId, data: { description: 'All about the launch' } });
    await sim.clock.settle();
    const channelId = String(channel?.id);
    const memberId = String(member?.id);
    const [teamRead, channelRead, memberRead] = await Promise.all([
      world.graph.call('GET', `/teams/${teamId}`),
      world.graph.call('GET', `/teams/${teamId}/channels/${encodeURIComponent(channelId)}`),
      world.graph.call('GET', `/teams/${teamId}/members/${encodeURIComponent(memberId)}`),
    ]);
    sim.mutate(TENANT_ID, { kind: 'teamsMember', op: 'delete', container: `teams/${teamId}`, id: memberId });
    sim.mutate(TENANT_ID, { kind: 'channel', op: 'delete', teamId, id: channelId });
    await sim.clock.settle();

    expect(channelId).toMatch(/^19:[0-9a-f]{32}@thread\.tacv2$/);
    expect(world.receiver.notifications().map((n) => [n.changeType, n.resource])).toEqual([
      ['created', `teams('${String(other?.id)}')`],
      ['created', `teams('${teamId}')/channels('${channelId}')`],
      ['created', `teams('${teamId}')/members('${memberId}')`],
      ['updated', `teams('${teamId}')`],
      ['deleted', `teams('${teamId}')/members('${memberId}')`],
      ['deleted', `teams('${teamId}')/channels('${channelId}')`],
    ]);
    expect(teamRead).toMatchObject({
      status: 200,
      json: { id: teamId, displayName: 'Launch', description: 'All about the launch' },
    });
    expect(channelRead).toMatchObject({ status: 200, json: { id: channelId, displayName: 'Plans' } });
    expect(memberRead).toMatchObject({
      status: 200,
      json: { id: memberId, userId, '@odata.type': '#microsoft.graph.aadUserConversationMember' },
    });
  });

  it("sends channel messages of teams/getAllMessages as teams('{id}')/channels('{id}')/messages('{id}'), never chat messages", async () => {
    const { sim } = world.graph;
    const team = sim.mutate(TENANT_ID, { kind: 'team', op: 'create' });
    const teamId = String(team?.id);
    const channel = sim.mutate(TENANT_ID, { kind: 'channel', op: 'create', teamId });
    const channelId = String(channel?.id);
    const chat = sim.mutate(TENANT_ID, { kind: 'chat', op: 'create' });
    await subscribe('teams/getAllMessages?model=B', 'created,updated,deleted', {
      lifecycleNotificationUrl: world.receiver.url,
    });

    const message = sim.mutate(TENANT_ID, { kind: 'channelMessage', op: 'create', teamId, channelId });
    sim.mutate(TENANT_ID, { kind: 'chatMessage', op: 'create', chatId: String(chat?.id) });
    await sim.clock.settle();
    const read = await world.graph.call(
      'GET',
      `/teams/${teamId}/channels/${encodeURIComponent(channelId)}/messages/${String(message?.id)}`,
    );

    expect(world.receiver.notifications().map((n) => [n.changeType, n.resource])).toEqual([
      ['created', `teams('${teamId}')/channels('${channelId}')/messages('${String(message?.id)}')`],
    ]);
    expect(read).toMatchObject({ status: 200, json: { id: message?.id, channelIdentity: { teamId, channelId } } });
  });

  it("sends users/{id}/chats/getAllMessages the messages of the chats the user is a member of, named chats('{id}')/messages('{id}')", async () => {
    const { sim, userId } = world.graph;
    const alex = String(sim.mutate(TENANT_ID, { kind: 'user', op: 'create', data: { mailNickname: 'alex' } })?.id);
    const chatWith = (members: readonly string[]): string => {
      const chatId = String(sim.mutate(TENANT_ID, { kind: 'chat', op: 'create' })?.id);
      for (const member of members)
        sim.mutate(TENANT_ID, { kind: 'teamsMember', op: 'create', container: `chats/${chatId}`, userId: member });
      return chatId;
    };
    const mine = chatWith([userId, alex]);
    const theirs = chatWith([alex]);
    await subscribe(`users/${userId}/chats/getAllMessages?model=A`, 'created,deleted', {
      lifecycleNotificationUrl: world.receiver.url,
    });

    const message = String(sim.mutate(TENANT_ID, { kind: 'chatMessage', op: 'create', chatId: mine })?.id);
    sim.mutate(TENANT_ID, { kind: 'chatMessage', op: 'create', chatId: theirs });
    sim.mutate(TENANT_ID, { kind: 'chatMessage', op: 'delete', chatId: mine, id: message });
    await sim.clock.settle();

    expect(world.receiver.notifications().map((n) => [n.changeType, n.resource])).toEqual([
      ['created', `chats('${mine}')/messages('${message}')`],
      ['deleted', `chats('${mine}')/messages('${message}')`],
    ]);
  });

  it("sends one channel's messages to teams/{id}/channels/{id}/messages, and not another channel's", async () => {
    const { sim } = world.graph;
    const team = sim.mutate(TENANT_ID, { kind: 'team', op: 'create' });
    const teamId = String(team?.id);
    const watched = String(sim.mutate(TENANT_ID, { kind: 'channel', op: 'create', teamId })?.id);
    const other = String(sim.mutate(TENANT_ID, { kind: 'channel', op: 'create', teamId })?.id);
    await subscribe(`teams/${teamId}/channels/${encodeURIComponent(watched)}/messages`, 'created', {
      lifecycleNotificationUrl: world.receiver.url,
    });

    const message = sim.mutate(TENANT_ID, { kind: 'channelMessage', op: 'create', teamId, channelId: watched });
    sim.mutate(TENANT_ID, { kind: 'channelMessage', op: 'create', teamId, channelId: other });
    await sim.clock.settle();

    expect(world.receiver.notifications().map((n) => n.resource)).toEqual([
      `teams('${teamId}')/channels('${watched}')/messages('${String(message?.id)}')`,
    ]);
  });

  it("sends chat members added and removed as chats('{id}')/members('{id}'), never an update, and serves the read", async () => {
    const { sim, userId } = world.graph;
    const chat = sim.mutate(TENANT_ID, { kind: 'chat', op: 'create' });
    const chatId = String(chat?.id);
    await subscribe('chats/getAllMembers', 'created,updated,deleted', { lifecycleNotificationUrl: world.receiver.url });

    const member = sim.mutate(TENANT_ID, { kind: 'teamsMember', op: 'create', container: `chats/${chatId}`, userId });
    const memberId = String(member?.id);
    sim.mutate(TENANT_ID, {
      kind: 'teamsMember',
      op: 'update',
      container: `chats/${chatId}`,
      id: memberId,
      data: { roles: ['owner'] },
    });
    await sim.clock.settle();
    const read = await world.graph.call('GET', `/chats/${encodeURIComponent(chatId)}/members/${memberId}`);
    sim.mutate(TENANT_ID, { kind: 'teamsMember', op: 'delete', container: `chats/${chatId}`, id: memberId });
    await sim.clock.settle();

    expect(world.receiver.notifications().map((n) => [n.changeType, n.resource])).toEqual([
      ['created', `chats('${chatId}')/members('${memberId}')`],
      ['deleted', `chats('${chatId}')/members('${memberId}')`],
    ]);
    expect(read).toMatchObject({ status: 200, json: { id: memberId, userId, roles: ['owner'] } });
  });

  it('sends members of every team from teams/getAllMembers, and none of chats', async () => {
    const { sim, userId } = world.graph;
    const team = sim.mutate(TENANT_ID, { kind: 'team', op: 'create' });
    const chat = sim.mutate(TENANT_ID, { kind: 'chat', op: 'create' });
    await subscribe('teams/getAllMembers?model=A', 'created,updated,deleted', {
      lifecycleNotificationUrl: world.receiver.url,
    });

    const member = sim.mutate(TENANT_ID, {
      kind: 'teamsMember',
      op: 'create',
      container: `teams/${String(team?.id)}`,
      userId,
    });
    sim.mutate(TENANT_ID, { kind: 'teamsMember', op: 'create', container: `chats/${String(chat?.id)}`, userId });
    await sim.clock.settle();

    expect(world.receiver.notifications().map((n) => [n.changeType, n.resource])).toEqual([
      ['created', `teams('${String(team?.id)}')/members('${String(member?.id)}')`],
    ]);
  });

  it('asks for a lifecycle URL on a Teams structure subscription that expires more than an hour ahead', async () => {
    const { sim } = world.graph;
    const team = sim.mutate(TENANT_ID, { kind: 'team', op: 'create' });

    const refused = await world.graph.call('POST', '/subscriptions', {
      changeType: 'created,updated,deleted',
      notificationUrl: world.receiver.url,
      resource: `teams/${String(team?.id)}/channels`,
      expirationDateTime: inMinutes(sim, 120),
      clientState: 'cs-1',
    });

    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.json)).toContain('lifecycleNotificationUrl');
  });

  it('sends drive changes as updated on drives/<id>/root/ with resourceData null', async () => {
    const drive = world.graph.sim.state(TENANT_ID).find((r) => r.kind === 'drive');
    await subscribe(`users/${world.graph.userId}/drive/root`, 'updated');

    world.graph.sim.mutate(TENANT_ID, { kind: 'driveItem', op: 'create', driveId: String(drive?.id) });
    await world.graph.sim.clock.settle();

    expect(world.receiver.notifications()).toEqual([
      expect.objectContaining({
        changeType: 'updated',
        resource: `drives/${String(drive?.id)}/root/`,
        resourceData: null,
      }),
    ]);
  });

  it('follows $filter: entering the set is created, leaving it deleted', async () => {
    await subscribe(
      `users/${world.graph.userId}/mailFolders('inbox')/messages?$filter=isRead eq false`,
      'created,updated,deleted',
    );
    const message = world.graph.sim.mutate(TENANT_ID, {
      kind: 'message',
      op: 'create',
      userId: world.graph.userId,
      data: { isRead: true },
    });

    world.graph.sim.mutate(TENANT_ID, {
      kind: 'message',
      op: 'update',
      userId: world.graph.userId,
      id: String(message?.id),
      data: { isRead: false },
    });
    world.graph.sim.mutate(TENANT_ID, {
      kind: 'message',
      op: 'update',
      userId: world.graph.userId,
      id: String(message?.id),
      data: { subject: 'x' },
    });
    world.graph.sim.mutate(TENANT_ID, {
      kind: 'message',
      op: 'update',
      userId: world.graph.userId,
      id: String(message?.id),
      data: { isRead: true },
    });
    await world.graph.sim.clock.settle();

    expect(world.receiver.notifications().map((n) => n.changeType)).toEqual(['created', 'updated', 'deleted']);
  });

  it('reports a move between folders as deleted plus created with a new id', async () => {
    await subscribe(`users/${world.graph.userId}/messages`, 'created,deleted');
    const message = world.graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: world.graph.userId });
    await world.graph.sim.clock.settle();

    const moved = world.graph.sim.mutate(TENANT_ID, {
      kind: 'message',
      op: 'move',
      userId: world.graph.userId,
      id: String(message?.id),
      folder: 'archive',
    });
    await world.graph.sim.clock.settle();

    expect(world.receiver.notifications().map((n) => [n.changeType, (n.resourceData as { id: string }).id])).toEqual([
      ['created', message?.id],
      ['deleted', message?.id],
      ['created', moved?.id],
    ]);
  });

  it('batches notifications queued together for one URL into one POST', async () => {
    await subscribe(`users/${world.graph.userId}/messages`, 'created');
    await subscribe('users', 'updated');

    world.graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: world.graph.userId });
    world.graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: world.graph.userId });
    world.graph.sim.mutate(TENANT_ID, {
      kind: 'user',
      op: 'update',
      id: world.graph.userId,
      data: { jobTitle: 'CEO' },
    });
    await world.graph.sim.clock.settle();

    expect(world.receiver.collections()).toHaveLength(1);
    expect(world.receiver.collections()[0]?.value).toHaveLength(3);
  });
});

describe('delivery, retries and ground truth', () => {
  it('records every notification as delivered once the receiver acknowledges', async () => {
    const subscriptionId = await subscribe(`users/${world.graph.userId}/messages`, 'created,updated,deleted');

    for (let i = 0; i < 5; i++)
      world.graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: world.graph.userId });
    await world.graph.sim.clock.settle();

    expect(world.graph.sim.deliverySummary({ subscriptionId })).toMatchObject({ total: 5, delivered: 5, pending: 0 });
    expect(world.graph.sim.deliveryAttempts()).toEqual([
      expect.objectContaining({ outcome: 'acknowledged', status: 202, firstAttempt: true, timeoutMs: 3_000 }),
    ]);
  });

  it('retries a 5xx after the backoff delay in virtual time with the 10-second retry timeout', async () => {
    await subscribe(`users/${world.graph.userId}/messages`, 'created');
    let failures = 2;
    world.receiver.behave((post) =>
      !post.query.has('validationToken') && failures-- > 0 ? { status: 503 } : undefined,
    );

    world.graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: world.graph.userId });
    await world.graph.sim.clock.settle();
    const afterFirst = world.graph.sim.deliveryAttempts().length;
    await world.graph.sim.clock.advance(9_999);
    const beforeRetry = world.graph.sim.deliveryAttempts().length;
    await world.graph.sim.clock.advance(1);
    await world.graph.sim.clock.advance(30_000);

    expect(afterFirst).toBe(1);
    expect(beforeRetry).toBe(1);
    expect(world.graph.sim.deliveryAttempts().map((a) => [a.outcome, a.timeoutMs])).toEqual([
      ['rejected', 3_000],
      ['rejected', 10_000],
      ['acknowledged', 10_000],
    ]);
    expect(world.graph.sim.notifications()[0]).toMatchObject({ status: 'delivered', attempts: 3 });
  });

  it('treats a reply slower than the first-attempt timeout as a failure', async () => {
    await world.restart({ delivery: { firstAttemptTimeoutMs: 50, retryTimeoutMs: 1_000 } });
    await subscribe(`users/${world.graph.userId}/messages`, 'created');
    let slow = true;
    world.receiver.behave((post) => {
      if (post.query.has('validationToken') || !slow) return undefined;
      slow = false;
      return { status: 202, delayMs: 300 };
    });

    world.graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: world.graph.userId });
    await world.graph.sim.clock.settle();
    await world.graph.sim.clock.advance(10_000);

    expect(world.graph.sim.deliveryAttempts().map((a) => a.outcome)).toEqual(['timeout', 'acknowledged']);
  });

  it('discards a notification never acknowledged within 4 hours', async () => {
    // A token that never lapses: this is the retry window, not the reauthorization pause.
    await world.restart({ subscriptions: { accessTokenLifetimeMs: null } });
    await subscribe(`users/${world.graph.userId}/messages`, 'created');
    world.receiver.behave((post) => (post.query.has('validationToken') ? undefined : { status: 500 }));

    world.graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: world.graph.userId });
    await world.graph.sim.clock.advance(4 * 3_600_000 + 60_000);

    const [record] = world.graph.sim.notifications();
    expect(record).toMatchObject({ status: 'discarded', reason: 'not acknowledged within the 4-hour retry window' });
    expect(record?.attempts).toBeGreaterThan(20);
  });

  it('abandons queued notifications of a deleted subscription', async () => {
    const id = await subscribe(`users/${world.graph.userId}/messages`, 'created');
    world.receiver.behave((post) => (post.query.has('validationToken') ? undefined : { status: 500 }));
    world.graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: world.graph.userId });
    await world.graph.sim.clock.settle();

    await world.graph.call('DELETE', `/subscriptions/${id}`);

    expect(world.graph.sim.notifications()[0]).toMatchObject({ status: 'abandoned', reason: 'subscription deleted' });
  });

  it('flags a quiet URL slow after one slow delivery (no minimum volume) and delays new notifications by 10 minutes, then recovers', async () => {
    await world.restart({ delivery: { firstAttemptTimeoutMs: 200, retryTimeoutMs: 5_000 } });
    await subscribe(`users/${world.graph.userId}/messages`, 'created');
    world.receiver.behave((post) => (post.query.has('validationToken') ? undefined : { status: 202, delayMs: 400 }));
    world.graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: world.graph.userId });
    await world.graph.sim.clock.settle();
    await world.graph.sim.clock.advance(10_000);
    world.receiver.behave(undefined);

    const state = world.graph.sim.endpoints()[0]?.state;
    world.graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: world.graph.userId });
    await world.graph.sim.clock.advance(9 * 60_000);
    const heldFor9Minutes = world.graph.sim.deliverySummary().pending;
    await world.graph.sim.clock.advance(60_000);

    expect(state).toBe('slow');
    expect(heldFor9Minutes).toBe(1);
    expect(world.graph.sim.deliverySummary()).toMatchObject({ delivered: 2, pending: 0 });
  });

  it('keeps a quiet URL normal under the 2023 rule of 100 notifications before the slow share counts', async () => {
    await world.restart({
      delivery: {
        firstAttemptTimeoutMs: 200,
        retryTimeoutMs: 5_000,
        endpointThrottle: { minSamples: ENDPOINT_THROTTLE_MIN_SAMPLES_2023 },
      },
    });
    await subscribe(`users/${world.graph.userId}/messages`, 'created');
    world.receiver.behave((post) => (post.query.has('validationToken') ? undefined : { status: 202, delayMs: 400 }));

    world.graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: world.graph.userId });
    await world.graph.sim.clock.settle();

    expect(world.graph.sim.endpoints()[0]).toMatchObject({ state: 'normal', samples: 1, slowShare: 1 });
  });

  it('judges each notification of a batch, not the POST: one slow POST of 3 notifications is 3 slow deliveries', async () => {
    await world.restart({ delivery: { firstAttemptTimeoutMs: 200, retryTimeoutMs: 5_000 } });
    await subscribe(`users/${world.graph.userId}/messages`, 'created');
    world.receiver.behave((post) => (post.query.has('validationToken') ? undefined : { status: 202, delayMs: 400 }));

    for (let i = 0; i < 3; i++)
      world.graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: world.graph.userId });
    await world.graph.sim.clock.settle();

    expect(world.graph.sim.deliveryAttempts()).toEqual([
      expect.objectContaining({ notificationIds: expect.any(Array) as unknown, outcome: 'timeout' }),
    ]);
    expect(world.graph.sim.deliveryAttempts()[0]?.notificationIds).toHaveLength(3);
    expect(world.graph.sim.endpoints()[0]).toMatchObject({ state: 'slow', samples: 3 });
  });

  it('drops new notifications while a URL is in the drop state, records why, and the dropped notification is gone', async () => {
    await world.restart({ delivery: { firstAttemptTimeoutMs: 20, retryTimeoutMs: 40 } });
    await subscribe(`users/${world.graph.userId}/messages`, 'created');
    world.receiver.behave((post) => (post.query.has('validationToken') ? undefined : { status: 202, delayMs: 200 }));
    world.graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: world.graph.userId });
    await world.graph.sim.clock.settle();
    await world.graph.sim.clock.advance(10_000);
    await world.graph.sim.clock.advance(30_000);

    world.graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: world.graph.userId });

    expect(world.graph.sim.endpoints()[0]?.state).toBe('drop');
    expect(world.graph.sim.notifications({ status: 'dropped' })).toEqual([
      expect.objectContaining({ reason: 'endpoint in drop state' }),
    ]);
    world.receiver.behave(undefined);
    await world.graph.sim.clock.advance(5 * 3_600_000);
    expect(world.graph.sim.notifications({ status: 'dropped' })).toHaveLength(1);
    expect(
      world.receiver
        .notifications()
        .filter((n) => n.resource === world.graph.sim.notifications({ status: 'dropped' })[0]?.resource),
    ).toEqual([]);
  });

  it('injects duplicates and drops by ratio and by scripted rule, and the log accounts for each', async () => {
    await world.restart({ faults: { duplicateDeliveryRatio: 1 } });
    await subscribe(`users/${world.graph.userId}/messages`, 'created');

    world.graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: world.graph.userId });
    await world.graph.sim.clock.advance(5_000);
    world.graph.sim.faults.configure({ duplicateDeliveryRatio: 0 });
    world.graph.sim.faults.inject({ target: 'delivery', action: 'drop' });
    world.graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: world.graph.userId });
    await world.graph.sim.clock.settle();

    expect(world.receiver.notifications()).toHaveLength(2);
    expect(world.receiver.notifications()[0]?.resource).toBe(world.receiver.notifications()[1]?.resource);
    expect(world.graph.sim.deliverySummary()).toMatchObject({
      total: 2,
      delivered: 1,
      dropped: 1,
      duplicatesDelivered: 1,
    });
  });

  it('writes basic chatMessage notifications with #Microsoft.Graph.ChatMessage', async () => {
    const chat = world.graph.sim.mutate(TENANT_ID, { kind: 'chat', op: 'create' });
    await subscribe(`chats/${String(chat?.id)}/messages`, 'created', {
      lifecycleNotificationUrl: `${world.receiver.url}?lifecycle=1`,
    });

    const message = world.graph.sim.mutate(TENANT_ID, { kind: 'chatMessage', op: 'create', chatId: String(chat?.id) });
    await world.graph.sim.clock.settle();

    const resource = `chats('${String(chat?.id)}')/messages('${String(message?.id)}')`;
    expect(world.receiver.notifications()).toEqual([
      expect.objectContaining({
        changeType: 'created',
        resource,
        resourceData: { id: message?.id, '@odata.type': '#Microsoft.Graph.ChatMessage', '@odata.id': resource },
      }),
    ]);
  });

  it('exposes the current state of every resource as ground truth', () => {
    const message = world.graph.sim.mutate(TENANT_ID, {
      kind: 'message',
      op: 'create',
      userId: world.graph.userId,
      data: { subject: 'Ground truth' },
    });

    const path = `users/${world.graph.userId}/messages/${String(message?.id)}`;

    expect(world.graph.sim.resource(TENANT_ID, path)).toMatchObject({ subject: 'Ground truth' });
    expect(world.graph.sim.state(TENANT_ID).find((r) => r.path === path)?.body.subject).toBe('Ground truth');
  });
});
