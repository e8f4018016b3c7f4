import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { APP_ID, APP_SECRET, TENANT_ID, errorOf, simulatorWithUser, type TestGraph } from './support.js';

let graph: TestGraph;

beforeEach(async () => {
  graph = await simulatorWithUser({ batch: { shuffleResponses: false } });
});

afterEach(() => {
  graph.sim.stop();
});

type Page = { value: Record<string, unknown>[]; '@odata.nextLink'?: string; '@odata.deltaLink'?: string } & Record<
  string,
  unknown
>;

/** Follows nextLinks until a deltaLink; returns every item and the deltaLink. */
async function drain(
  firstPath: string,
  headers: Record<string, string> = {},
): Promise<{ items: Record<string, unknown>[]; deltaLink: string; pages: number }> {
  const items: Record<string, unknown>[] = [];
  let path = firstPath;
  for (let pages = 1; pages < 100; pages++) {
    const { status, json } = await graph.call('GET', path, undefined, headers);
    expect(status).toBe(200);
    const page = json as Page;
    expect(page['@odata.nextLink'] !== undefined && page['@odata.deltaLink'] !== undefined).toBe(false);
    items.push(...page.value);
    if (page['@odata.deltaLink'] !== undefined) return { items, deltaLink: page['@odata.deltaLink'], pages };
    const next = new URL(String(page['@odata.nextLink']));
    path = `${next.pathname}${next.search}`;
  }
  throw new Error('delta never ended');
}

function relative(link: string): string {
  const url = new URL(link);
  return `${url.pathname}${url.search}`;
}

describe('resource reads', () => {
  it('gets a message by the notification resource path with $select', async () => {
    const message = graph.sim.mutate(TENANT_ID, {
      kind: 'message',
      op: 'create',
      userId: graph.userId,
      data: { subject: 'Hi' },
    });

    const { status, json } = await graph.call(
      'GET',
      `/Users/${graph.userId}/Messages/${String(message?.id)}?$select=subject`,
    );

    expect(status).toBe(200);
    expect(json).toMatchObject({ id: message?.id, subject: 'Hi', '@odata.etag': message?.['@odata.etag'] });
    expect(json).not.toHaveProperty('bodyPreview');
  });

  it("accepts the rich notification form Users('id')/messages('id') and answers 404 for unknown ids", async () => {
    const message = graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: graph.userId });

    const found = await graph.call('GET', `/Users('${graph.userId}')/messages('${String(message?.id)}')`);
    const missing = await graph.call('GET', `/users/${graph.userId}/messages/AAMkAGnope=`);

    expect(found.status).toBe(200);
    expect(missing.status).toBe(404);
    expect(errorOf(missing.json).code).toBe('ResourceNotFound');
  });

  it('reads users by UPN, groups, events, contacts, drive items and chat messages', async () => {
    const sim = graph.sim;
    const group = sim.mutate(TENANT_ID, { kind: 'group', op: 'create' });
    const event = sim.mutate(TENANT_ID, { kind: 'event', op: 'create', userId: graph.userId });
    const contact = sim.mutate(TENANT_ID, { kind: 'contact', op: 'create', userId: graph.userId });
    const drive = sim.state(TENANT_ID).find((r) => r.kind === 'drive');
    const item = sim.mutate(TENANT_ID, { kind: 'driveItem', op: 'create', driveId: String(drive?.id) });
    const chat = sim.mutate(TENANT_ID, { kind: 'chat', op: 'create' });
    const chatMessage = sim.mutate(TENANT_ID, { kind: 'chatMessage', op: 'create', chatId: String(chat?.id) });

    const paths = [
      '/users/adele@contoso.test',
      `/groups/${String(group?.id)}`,
      `/users/${graph.userId}/events/${String(event?.id)}`,
      `/users/${graph.userId}/contacts/${String(contact?.id)}`,
      `/drives/${String(drive?.id)}/items/${String(item?.id)}`,
      `/users/${graph.userId}/drive/root/children`,
      `/chats/${String(chat?.id)}/messages/${String(chatMessage?.id)}`,
    ];
    const statuses = await Promise.all(paths.map(async (p) => (await graph.call('GET', p)).status));

    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200]);
  });

  it('reads teams, channels, channel messages and team and chat members, lists and items', async () => {
    const { sim, userId } = graph;
    const team = sim.mutate(TENANT_ID, { kind: 'team', op: 'create' });
    const teamId = String(team?.id);
    const channel = sim.mutate(TENANT_ID, { kind: 'channel', op: 'create', teamId });
    const channelId = encodeURIComponent(String(channel?.id));
    const message = sim.mutate(TENANT_ID, {
      kind: 'channelMessage',
      op: 'create',
      teamId,
      channelId: String(channel?.id),
    });
    const member = sim.mutate(TENANT_ID, { kind: 'teamsMember', op: 'create', container: `teams/${teamId}`, userId });
    const chat = sim.mutate(TENANT_ID, { kind: 'chat', op: 'create' });
    const chatId = encodeURIComponent(String(chat?.id));
    const chatMember = sim.mutate(TENANT_ID, {
      kind: 'teamsMember',
      op: 'create',
      container: `chats/${String(chat?.id)}`,
      userId,
    });

    const reads = await Promise.all(
      [
        '/teams',
        `/teams/${teamId}`,
        `/teams/${teamId}/channels`,
        `/teams('${teamId}')/channels('${channelId}')`,
        `/teams/${teamId}/channels/${channelId}/messages/${String(message?.id)}`,
        `/teams/${teamId}/members/${String(member?.id)}`,
        `/chats/${chatId}/members`,
        `/chats/${chatId}/members/${String(chatMember?.id)}`,
        `/teams/${teamId}/members/unknown`,
      ].map(async (path) => graph.call('GET', path)),
    );

    expect(reads.map((read) => read.status)).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 404]);
    expect(reads.map((read) => read.json.id)).toEqual([
      undefined,
      teamId,
      undefined,
      channel?.id,
      message?.id,
      member?.id,
      undefined,
      chatMember?.id,
      undefined,
    ]);
  });

  it('answers 403 to a team member read without TeamMember.Read.All, while the team itself reads', async () => {
    graph.sim.stop();
    graph = await simulatorWithUser({
      apps: [{ clientId: APP_ID, clientSecrets: [APP_SECRET], roles: ['Team.ReadBasic.All'] }],
    });
    const team = graph.sim.mutate(TENANT_ID, { kind: 'team', op: 'create' });
    const teamId = String(team?.id);
    const member = graph.sim.mutate(TENANT_ID, {
      kind: 'teamsMember',
      op: 'create',
      container: `teams/${teamId}`,
      userId: graph.userId,
    });

    const teamRead = await graph.call('GET', `/teams/${teamId}`);
    const memberRead = await graph.call('GET', `/teams/${teamId}/members/${String(member?.id)}`);

    expect(teamRead.status).toBe(200);
    expect(memberRead.status).toBe(403);
    expect(errorOf(memberRead.json).code).toBe('accessDenied');
  });

  it('refuses /me for app-only callers', async () => {
    const { status, json } = await graph.call('GET', '/me/messages');

    expect(status).toBe(400);
    expect(errorOf(json).message).toBe('/me request is only valid with delegated authentication flow.');
  });

  it('pages lists with $top and @odata.nextLink', async () => {
    for (let i = 0; i < 5; i++) graph.sim.mutate(TENANT_ID, { kind: 'user', op: 'create' });

    const first = await graph.call('GET', '/users?$top=4');
    const second = await graph.call('GET', relative(String(first.json['@odata.nextLink'])));

    expect((first.json.value as unknown[]).length).toBe(4);
    expect((second.json.value as unknown[]).length).toBe(2);
    expect(second.json['@odata.nextLink']).toBeUndefined();
  });
});

describe('delta queries', () => {
  it('pages users delta, then reports updates and removals with their reasons', async () => {
    for (let i = 0; i < 4; i++) graph.sim.mutate(TENANT_ID, { kind: 'user', op: 'create' });
    const initial = await drain('/users/delta?$select=displayName,jobTitle', { prefer: 'odata.maxpagesize=2' });
    const [a, b, c] = graph.sim.state(TENANT_ID).filter((r) => r.kind === 'user');

    graph.sim.mutate(TENANT_ID, { kind: 'user', op: 'update', id: String(a?.id), data: { jobTitle: 'Boss' } });
    graph.sim.mutate(TENANT_ID, { kind: 'user', op: 'delete', id: String(b?.id) });
    graph.sim.mutate(TENANT_ID, { kind: 'user', op: 'delete', id: String(c?.id), permanent: true });
    const changes = await drain(relative(initial.deltaLink));
    const quiet = await drain(relative(changes.deltaLink));

    expect(initial.items).toHaveLength(5);
    expect(initial.pages).toBe(3);
    expect(initial.items[0]).not.toHaveProperty('mail');
    expect(changes.items).toEqual([
      { id: a?.id, displayName: a?.body.displayName, jobTitle: 'Boss' },
      { id: b?.id, '@removed': { reason: 'changed' } },
      { id: c?.id, '@removed': { reason: 'deleted' } },
    ]);
    expect(quiet.items).toEqual([]);
  });

  it('tracks messages per folder, reporting a moved-out message as deleted', async () => {
    const message = graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: graph.userId });
    const initial = await drain(`/users/${graph.userId}/mailFolders/inbox/messages/delta`);

    graph.sim.mutate(TENANT_ID, {
      kind: 'message',
      op: 'move',
      userId: graph.userId,
      id: String(message?.id),
      folder: 'archive',
    });
    const added = graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: graph.userId });
    const changes = await drain(relative(initial.deltaLink));

    expect(initial.items.map((m) => m.id)).toEqual([message?.id]);
    expect(changes.items).toEqual([
      { '@odata.type': '#microsoft.graph.message', id: message?.id, '@removed': { reason: 'deleted' } },
      expect.objectContaining({ id: added?.id }),
    ]);
  });

  it('reports drive deletions with the deleted facet and supports token=latest', async () => {
    const drive = graph.sim.state(TENANT_ID).find((r) => r.kind === 'drive');
    const item = graph.sim.mutate(TENANT_ID, { kind: 'driveItem', op: 'create', driveId: String(drive?.id) });
    const latest = await graph.call('GET', `/drives/${String(drive?.id)}/root/delta?token=latest`);

    graph.sim.mutate(TENANT_ID, { kind: 'driveItem', op: 'delete', driveId: String(drive?.id), id: String(item?.id) });
    const changes = await drain(relative(String(latest.json['@odata.deltaLink'])));

    expect(latest.json.value).toEqual([]);
    expect(changes.items).toEqual([expect.objectContaining({ id: item?.id, deleted: { state: 'deleted' } })]);
  });

  it('answers 410 Gone with a Location to restart after a reset, and after the token lifetime', async () => {
    const drive = graph.sim.state(TENANT_ID).find((r) => r.kind === 'drive');
    const users = await drain('/users/delta');
    const files = await drain(`/drives/${String(drive?.id)}/root/delta`);

    graph.sim.resetDelta(TENANT_ID);
    const usersGone = await graph.call('GET', relative(users.deltaLink));
    const filesGone = await graph.call('GET', relative(files.deltaLink));
    const freshFiles = await drain(`/drives/${String(drive?.id)}/root/delta`);
    await graph.sim.clock.advance(7 * 24 * 3_600_000 + 1);
    const filesExpired = await graph.call('GET', relative(freshFiles.deltaLink));

    expect(usersGone.status).toBe(410);
    expect(errorOf(usersGone.json)).toMatchObject({
      code: 'syncStateNotFound',
      message: 'The sync state generation is not found. Please restart the synchronization.',
    });
    expect(usersGone.headers.get('location')).toMatch(/\/v1\.0\/users\/delta$/);
    expect(filesGone.status).toBe(410);
    expect(errorOf(filesGone.json)).toMatchObject({ code: 'resyncRequired', message: 'Resync required.' });
    expect(filesExpired.status).toBe(410);
  });

  it('answers an expired users or groups delta token 400 syncStateNotFound without a Location', async () => {
    const users = await drain('/users/delta');
    const groups = await drain('/groups/delta');
    await graph.sim.clock.advance(7 * 24 * 3_600_000 + 1);

    const expiredUsers = await graph.call('GET', relative(users.deltaLink));
    const expiredGroups = await graph.call('GET', relative(groups.deltaLink));

    for (const expired of [expiredUsers, expiredGroups]) {
      expect(expired.status).toBe(400);
      expect(errorOf(expired.json)).toMatchObject({
        code: 'syncStateNotFound',
        message:
          'The sync state generation is not found. The delta token is expired and data must be synchronized again.',
      });
      expect(expired.headers.get('location')).toBeNull();
    }
  });

  it("answers an expired directory token 410 Gone with a Location under delta.expiredDirectoryToken: 'gone'", async () => {
    graph.sim.stop();
    graph = await simulatorWithUser({ delta: { expiredDirectoryToken: 'gone' } });
    const users = await drain('/users/delta');
    await graph.sim.clock.advance(7 * 24 * 3_600_000 + 1);

    const expired = await graph.call('GET', relative(users.deltaLink));

    expect(expired.status).toBe(410);
    expect(expired.headers.get('location')).toMatch(/\/v1\.0\/users\/delta$/);
  });

  it("answers an Outlook message delta 410 with Outlook's SyncStateNotFound and its generation text", async () => {
    const inbox = await drain(`/users/${graph.userId}/mailFolders/inbox/messages/delta`);

    graph.sim.resetDelta(TENANT_ID);
    const gone = await graph.call('GET', relative(inbox.deltaLink));

    expect(gone.status).toBe(410);
    expect(errorOf(gone.json)).toMatchObject({
      code: 'SyncStateNotFound',
      message: 'The sync state generation is not found; generation=0;[highest=1][1].',
    });
    expect(gone.headers.get('location')).toMatch(/\/messages\/delta$/);
  });
});

/** An instant outside the eight months chatMessage delta lists, on the simulator's clock. */
function nineMonthsAgo(): string {
  const old = new Date(graph.sim.clock.now());
  old.setUTCMonth(old.getUTCMonth() - 9);
  return old.toISOString();
}

describe("a channel's message delta", () => {
  /** A team with two channels, `messages` root messages in the first and one in the second. */
  function channelWithMessages(messages: number): { path: string; channel: string; teamId: string; ids: string[] } {
    const { sim } = graph;
    const teamId = String(sim.mutate(TENANT_ID, { kind: 'team', op: 'create' })?.id);
    const [channel = '', other = ''] = [1, 2].map((_) =>
      String(sim.mutate(TENANT_ID, { kind: 'channel', op: 'create', teamId })?.id),
    );
    const ids = Array.from({ length: messages }, () =>
      String(sim.mutate(TENANT_ID, { kind: 'channelMessage', op: 'create', teamId, channelId: channel })?.id),
    );
    sim.mutate(TENANT_ID, { kind: 'channelMessage', op: 'create', teamId, channelId: other });
    return { path: `/teams/${teamId}/channels/${encodeURIComponent(channel)}/messages`, channel, teamId, ids };
  }

  it("lists the channel's root messages at most 50 a page, $skiptoken then $deltatoken, honouring a smaller $top", async () => {
    const { path, ids } = channelWithMessages(53);

    const whole = await drain(`${path}/delta?$top=100`);
    const small = await graph.call('GET', `${path}/delta?$top=20`);
    const first = await graph.call('GET', `${path}/delta`);

    expect(whole.items.map((item) => item.id)).toEqual(ids);
    expect(whole.pages).toBe(2);
    expect((small.json as Page).value).toHaveLength(20);
    expect((first.json as Page).value).toHaveLength(50);
    expect(String((first.json as Page)['@odata.nextLink'])).toContain('$skiptoken=');
    expect(whole.deltaLink).toContain('/messages/delta?$deltatoken=');
  });

  it('lists a deleted message as the chatMessage with deletedDateTime set, not @removed, beside a changed one', async () => {
    const { sim } = graph;
    const { path, channel, teamId, ids } = channelWithMessages(2);
    const [kept = '', gone = ''] = ids;
    const baseline = await drain(`${path}/delta`);
    await sim.clock.advance(60_000);
    sim.mutate(TENANT_ID, {
      kind: 'channelMessage',
      op: 'update',
      teamId,
      channelId: channel,
      id: kept,
      data: { subject: 'Edited' },
    });
    sim.mutate(TENANT_ID, { kind: 'channelMessage', op: 'delete', teamId, channelId: channel, id: gone });
    const deletedAt = sim.clock.now().toISOString();

    const changes = await drain(relative(baseline.deltaLink));
    const read = await graph.call('GET', `${path}/${gone}`);

    expect(changes.items).toEqual([
      expect.objectContaining({ id: kept, subject: 'Edited', deletedDateTime: null }),
      expect.objectContaining({
        '@odata.type': '#microsoft.graph.chatMessage',
        id: gone,
        deletedDateTime: deletedAt,
        channelIdentity: { teamId, channelId: channel },
      }),
    ]);
    expect(changes.items[1]).not.toHaveProperty('@removed');
    // Teams deletes softly: the message stays readable by id, marked by its deletedDateTime, and leaves the list.
    expect(read.status).toBe(200);
    expect(read.json).toMatchObject({ id: gone, deletedDateTime: deletedAt });
    const list = await graph.call('GET', path);
    expect((list.json as Page).value.map((message) => message.id)).toEqual([kept]);
  });

  it('leaves out messages last changed more than eight months ago', async () => {
    const { sim } = graph;
    const { path, channel, teamId, ids } = channelWithMessages(1);
    sim.mutate(TENANT_ID, {
      kind: 'channelMessage',
      op: 'create',
      teamId,
      channelId: channel,
      data: { lastModifiedDateTime: nineMonthsAgo() },
    });

    const listed = await drain(`${path}/delta`);

    expect(listed.items.map((item) => item.id)).toEqual(ids);
  });

  it('answers 410 syncStateNotFound with a Location after a reset, and 403 without ChannelMessage.Read.All', async () => {
    const { path } = channelWithMessages(1);
    const baseline = await drain(`${path}/delta`);
    graph.sim.resetDelta(TENANT_ID);
    const gone = await graph.call('GET', relative(baseline.deltaLink));
    graph.sim.stop();
    graph = await simulatorWithUser({
      apps: [{ clientId: APP_ID, clientSecrets: [APP_SECRET], roles: ['Team.ReadBasic.All', 'Channel.ReadBasic.All'] }],
    });
    const denied = await graph.call('GET', `${channelWithMessages(1).path}/delta`);

    expect(gone.status).toBe(410);
    expect(errorOf(gone.json).code).toBe('syncStateNotFound');
    expect(gone.headers.get('location')).toMatch(/\/messages\/delta$/);
    expect(denied.status).toBe(403);
  });
});

describe("a user's chat messages delta", () => {
  /** A chat whose members are these users, holding `messages` messages. */
  function chatOf(members: readonly string[], messages: number): { chatId: string; ids: string[] } {
    const { sim } = graph;
    const chatId = String(sim.mutate(TENANT_ID, { kind: 'chat', op: 'create' })?.id);
    for (const userId of members)
      sim.mutate(TENANT_ID, { kind: 'teamsMember', op: 'create', container: `chats/${chatId}`, userId });
    const ids = Array.from({ length: messages }, () =>
      String(sim.mutate(TENANT_ID, { kind: 'chatMessage', op: 'create', chatId })?.id),
    );
    return { chatId, ids };
  }
  const otherUser = (): string =>
    String(graph.sim.mutate(TENANT_ID, { kind: 'user', op: 'create', data: { mailNickname: 'alex' } })?.id);
  const deltaOf = (user: string): string => `/users/${user}/chats/getAllMessages/delta`;

  it('lists the messages of every chat the user is a member of, at most 50 a page, $skiptoken then $deltatoken', async () => {
    const alex = otherUser();
    const oneOnOne = chatOf([graph.userId, alex], 30);
    const group = chatOf([alex, graph.userId], 23);
    chatOf([alex], 2);

    const whole = await drain(deltaOf(graph.userId));
    const first = await graph.call('GET', deltaOf('adele@contoso.test'));

    expect(whole.items.map((item) => item.id)).toEqual([...oneOnOne.ids, ...group.ids]);
    expect(whole.items.map((item) => item.chatId)).toEqual([
      ...oneOnOne.ids.map(() => oneOnOne.chatId),
      ...group.ids.map(() => group.chatId),
    ]);
    expect(whole.pages).toBe(2);
    expect((first.json as Page).value).toHaveLength(50);
    expect(String((first.json as Page)['@odata.nextLink'])).toContain('/chats/getAllMessages/delta?$skiptoken=');
    expect(whole.deltaLink).toContain(`/users/${graph.userId}/chats/getAllMessages/delta?$deltatoken=`);
  });

  it("lists changes in the user's chats only, a deleted message as the chatMessage with deletedDateTime and its chatId", async () => {
    const { sim } = graph;
    const alex = otherUser();
    const mine = chatOf([graph.userId, alex], 2);
    const theirs = chatOf([alex], 1);
    const [kept = '', gone = ''] = mine.ids;
    const baseline = await drain(deltaOf(graph.userId));
    const theirBaseline = await drain(deltaOf(alex));
    await sim.clock.advance(60_000);
    sim.mutate(TENANT_ID, {
      kind: 'chatMessage',
      op: 'update',
      chatId: mine.chatId,
      id: kept,
      data: { subject: 'Hi' },
    });
    sim.mutate(TENANT_ID, { kind: 'chatMessage', op: 'delete', chatId: mine.chatId, id: gone });
    sim.mutate(TENANT_ID, { kind: 'chatMessage', op: 'create', chatId: theirs.chatId });
    const deletedAt = sim.clock.now().toISOString();

    const changes = await drain(relative(baseline.deltaLink));
    const theirChanges = await drain(relative(theirBaseline.deltaLink));
    const crossed = await graph.call('GET', relative(baseline.deltaLink).replace(graph.userId, alex));

    expect(changes.items).toEqual([
      expect.objectContaining({ id: kept, chatId: mine.chatId, subject: 'Hi', deletedDateTime: null }),
      expect.objectContaining({
        '@odata.type': '#microsoft.graph.chatMessage',
        id: gone,
        chatId: mine.chatId,
        deletedDateTime: deletedAt,
      }),
    ]);
    expect(changes.items[1]).not.toHaveProperty('@removed');
    expect(theirChanges.items).toHaveLength(3);
    // A token belongs to its user's delta.
    expect(crossed.status).toBe(400);
  });

  it('leaves out messages last changed more than eight months ago, and answers 403 without Chat.Read.All', async () => {
    const { sim } = graph;
    const { chatId, ids } = chatOf([graph.userId], 1);
    sim.mutate(TENANT_ID, {
      kind: 'chatMessage',
      op: 'create',
      chatId,
      data: { lastModifiedDateTime: nineMonthsAgo() },
    });

    const listed = await drain(deltaOf(graph.userId));
    graph.sim.stop();
    graph = await simulatorWithUser({
      apps: [{ clientId: APP_ID, clientSecrets: [APP_SECRET], roles: ['Chat.ReadBasic.All'] }],
    });
    const denied = await graph.call('GET', deltaOf(graph.userId));

    expect(listed.items.map((item) => item.id)).toEqual(ids);
    expect(denied.status).toBe(403);
  });
});

describe('JSON batching', () => {
  it('runs up to 20 requests and answers per item', async () => {
    const { status, json } = await graph.call('POST', '/$batch', {
      requests: [
        { id: '1', method: 'GET', url: `/users/${graph.userId}` },
        { id: '2', method: 'GET', url: '/users/00000000-0000-0000-0000-000000000000' },
      ],
    });

    expect(status).toBe(200);
    expect((json.responses as { id: string; status: number }[]).map((r) => [r.id, r.status])).toEqual([
      ['1', 200],
      ['2', 404],
    ]);
  });

  it('refuses more than 20 requests and duplicate ids with 400', async () => {
    const many = Array.from({ length: 21 }, (_, i) => ({ id: String(i), method: 'GET', url: '/users' }));

    const tooMany = await graph.call('POST', '/$batch', { requests: many });
    const duplicate = await graph.call('POST', '/$batch', {
      requests: [
        { id: 'a', method: 'GET', url: '/users' },
        { id: 'A', method: 'GET', url: '/users' },
      ],
    });

    expect(tooMany.status).toBe(400);
    expect(duplicate.status).toBe(400);
  });

  it('fails dependents of a failed request with 424', async () => {
    const { json } = await graph.call('POST', '/$batch', {
      requests: [
        { id: '1', method: 'GET', url: '/users/missing' },
        { id: '2', method: 'GET', url: '/users', dependsOn: ['1'] },
        { id: '3', method: 'GET', url: '/groups', dependsOn: ['2'] },
      ],
    });

    expect((json.responses as { status: number }[]).map((r) => r.status)).toEqual([404, 424, 424]);
  });

  it('puts Retry-After in the inner headers of a throttled item and keeps the envelope 200', async () => {
    graph.sim.faults.inject({ method: 'GET', path: '/groups', status: 429, retryAfterSeconds: 2.5 });

    const { status, json } = await graph.call('POST', '/$batch', {
      requests: [
        { id: '1', method: 'GET', url: '/users' },
        { id: '2', method: 'GET', url: '/groups' },
      ],
    });

    const responses = json.responses as { id: string; status: number; headers: Record<string, string> }[];
    expect(status).toBe(200);
    expect(responses[1]).toMatchObject({ id: '2', status: 429, headers: { 'Retry-After': '2.5' } });
    expect(responses[0]?.status).toBe(200);
  });

  it('runs a PATCH with a body inside a batch', async () => {
    const receiverless = await graph.call('POST', '/$batch', {
      requests: [
        {
          id: '1',
          method: 'PATCH',
          url: '/subscriptions/unknown',
          headers: { 'Content-Type': 'application/json' },
          body: { expirationDateTime: '2030-01-01T00:00:00Z' },
        },
      ],
    });

    expect((receiverless.json.responses as { status: number }[])[0]?.status).toBe(404);
  });
});

describe('throttling and faults', () => {
  it('answers 429 ApplicationThrottled when more than 4 requests hit one mailbox at once', async () => {
    graph.sim.faults.configure({ slowResponseRatio: 1, slowResponseMs: 50 });

    const statuses = await Promise.all(
      Array.from({ length: 6 }, async () => (await graph.call('GET', `/users/${graph.userId}/messages`)).status),
    );

    expect(statuses.filter((s) => s === 200)).toHaveLength(4);
    expect(statuses.filter((s) => s === 429)).toHaveLength(2);
  });

  it('throttles a share of reads with Retry-After and fails a share with 503', async () => {
    graph.sim.faults.configure({ readThrottleRatio: 1, retryAfterSeconds: 7 });
    const throttled = await graph.call('GET', '/users');
    graph.sim.faults.configure({ readThrottleRatio: 0, serviceUnavailableRatio: 1 });
    const unavailable = await graph.call('GET', '/users');

    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('7');
    expect(errorOf(throttled.json)).toMatchObject({ code: 'TooManyRequests', message: 'Please retry again later.' });
    expect(unavailable.status).toBe(503);
  });

  it('answers scripted faults exactly the given number of times', async () => {
    graph.sim.faults.inject({ path: '/users$', status: 503, times: 2 });

    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await graph.call('GET', '/users')).status);

    expect(statuses).toEqual([503, 503, 200]);
  });
});

describe('documented alternatives', () => {
  it('fails the whole batch envelope with 424 when an item is throttled, if configured (throttling guide)', async () => {
    graph.sim.stop();
    graph = await simulatorWithUser({ batch: { throttledEnvelopeStatus: 424 } });
    graph.sim.faults.inject({ path: '/groups', status: 429 });

    const { status } = await graph.call('POST', '/$batch', { requests: [{ id: '1', method: 'GET', url: '/groups' }] });

    expect(status).toBe(424);
  });

  it('judges access tokens on virtual time when tokens.clock is virtual', async () => {
    graph.sim.stop();
    graph = await simulatorWithUser({ tokens: { clock: 'virtual' } });

    const fresh = await graph.call('GET', '/users');
    await graph.sim.clock.advance(2 * 3_600_000);
    const later = await graph.call('GET', '/users');

    expect(fresh.status).toBe(200);
    expect(later.status).toBe(401);
    expect(errorOf(later.json).message).toBe('Lifetime validation failed, the token is expired.');
  });

  it("throttles reads at Graph's per-service limits: a chat's messages once a second, 429 with Retry-After", async () => {
    const chat = graph.sim.mutate(TENANT_ID, { kind: 'chat', op: 'create' });
    const message = graph.sim.mutate(TENANT_ID, { kind: 'chatMessage', op: 'create', chatId: String(chat?.id) });
    const read = (): Promise<{ status: number; headers: Headers }> =>
      graph.call('GET', `/chats/${String(chat?.id)}/messages/${String(message?.id)}`);

    const first = await read();
    const second = await read();

    expect(first.status).toBe(200);
    expect(second.status).toBe(429);
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('counts users and groups reads per app and tenant under readLimits overrides, and readLimits: false lifts them', async () => {
    graph.sim.stop();
    graph = await simulatorWithUser({ readLimits: { directoryPerAppAndTenant: { limit: 3, windowMs: 60_000 } } });
    const statuses = [];
    for (const path of ['/users', `/users/${graph.userId}`, '/groups', '/users'])
      statuses.push((await graph.call('GET', path)).status);
    graph.sim.stop();
    graph = await simulatorWithUser({ readLimits: false });
    const unlimited = [];
    for (let n = 0; n < 5; n++) {
      const chat = graph.sim.mutate(TENANT_ID, { kind: 'chat', op: 'create' });
      unlimited.push((await graph.call('GET', `/chats/${String(chat?.id)}/messages`)).status);
      unlimited.push((await graph.call('GET', `/chats/${String(chat?.id)}/messages`)).status);
    }

    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(unlimited.every((status) => status === 200)).toBe(true);
  });
});
