import { describe, expect, it } from 'vitest';
import { EXACT_DELIVERY } from '../../../dev/graph-simulator/index.js';
import { joinWebUrlOf, meetingChatOf } from '../../../dev/graph-simulator/serviceResources.js';
import { APP_ID, APP_SECRET, TENANT_ID, inMinutes, useSimulatorWithReceiver } from './support.js';

// Exact delivery: each test pins payloads and counts.
const world = useSimulatorWithReceiver({ delivery: EXACT_DELIVERY });

/** POST /subscriptions for `resource`, 50 minutes ahead (under the hour that would need a lifecycle URL). */
async function create(resource: string, changeType: string, minutes = 50) {
  return world.graph.call('POST', '/subscriptions', {
    changeType,
    notificationUrl: world.receiver.url,
    resource,
    expirationDateTime: inMinutes(world.graph.sim, minutes),
    clientState: 'cs-1',
  });
}

describe('Teams meetings, Copilot, security, print and Shifts subscriptions', () => {
  it("refuses what Microsoft's pages rule out: other change types, a Teams expiry past an hour without a lifecycle URL, an unknown meeting", async () => {
    const wrongChange = await create('communications/onlineMeetings/getAllTranscripts', 'updated');
    const fetchableOnly = await create('print/printers/p1/jobs', 'created');
    const noLifecycle = await create('copilot/interactionHistory/getAllEnterpriseInteractions', 'created', 120);
    const unknownMeeting = await create(
      "communications/onlineMeetings/?$filter=JoinWebUrl eq 'https://teams.microsoft.com/l/other'",
      'updated',
    );
    const shiftsTooLong = await create('teams/t1/schedule/shifts', 'created', 361);

    expect(wrongChange.status).toBe(400);
    expect(fetchableOnly.status).toBe(400);
    expect(noLifecycle.status).toBe(400);
    expect(unknownMeeting.status).toBe(404);
    expect(shiftsTooLong).toMatchObject({ status: 400, json: { error: { code: 'ExtensionError' } } });
  });

  it("sends a meeting's call events as updated on its join URL filter, the event in resourceData, and not another meeting's", async () => {
    const { sim } = world.graph;
    const url = joinWebUrlOf('m1');
    expect((await create(`communications/onlineMeetings/?$filter=JoinWebUrl eq '${url}'`, 'updated')).status).toBe(201);

    sim.mutate(TENANT_ID, {
      kind: 'meetingCallEvent',
      op: 'create',
      collection: 'communications/onlineMeetings/m1/meetingCallEvents',
    });
    sim.mutate(TENANT_ID, {
      kind: 'meetingCallEvent',
      op: 'create',
      collection: 'communications/onlineMeetings/m2/meetingCallEvents',
    });
    await sim.clock.settle();

    const resource = `communications/onlineMeetings?$filter=joinWebUrl+eq+'${url}'`;
    expect(world.receiver.notifications()).toEqual([
      expect.objectContaining({
        changeType: 'updated',
        resource,
        resourceData: expect.objectContaining({
          '@odata.type': '#Microsoft.Graph.onlineMeeting',
          '@odata.id': resource,
          id: resource,
          eventType: 'Microsoft.Communication.CallStarted',
        }) as unknown,
      }),
    ]);
  });

  it("serves a transcript's app-only read under its organiser, and under no other user", async () => {
    const { sim, userId } = world.graph;
    const other = sim.mutate(TENANT_ID, { kind: 'user', op: 'create' });
    const transcript = sim.mutate(TENANT_ID, {
      kind: 'callTranscript',
      op: 'create',
      collection: 'communications/onlineMeetings/m1/transcripts',
      data: { meetingOrganizer: { user: { id: userId } } },
    });
    const path = (user: string): string => `/users/${user}/onlineMeetings/m1/transcripts/${String(transcript?.id)}`;

    const read = await world.graph.call('GET', path(userId));
    const list = await world.graph.call('GET', `/users/${userId}/onlineMeetings/m1/transcripts`);
    const elsewhere = await world.graph.call('GET', path(String(other?.id)));

    expect(read).toMatchObject({ status: 200, json: { id: transcript?.id, meetingId: 'm1' } });
    expect(list).toMatchObject({ status: 200, json: { value: [{ id: transcript?.id }] } });
    expect(elsewhere.status).toBe(404);
  });

  it('notifies the alerts its $filter selects, and serves the read of one', async () => {
    const { sim } = world.graph;
    expect((await create("security/alerts?$filter=status eq 'newAlert'", 'created,updated')).status).toBe(201);

    const alert = sim.mutate(TENANT_ID, { kind: 'securityAlert', op: 'create', collection: 'security/alerts' });
    sim.mutate(TENANT_ID, {
      kind: 'securityAlert',
      op: 'create',
      collection: 'security/alerts',
      data: { status: 'resolved' },
    });
    await sim.clock.settle();
    const read = await world.graph.call('GET', `/security/alerts/${String(alert?.id)}`);

    expect(world.receiver.notifications().map((item) => [item.changeType, item.resource])).toEqual([
      ['created', `security/alerts('${String(alert?.id)}')`],
    ]);
    expect(read).toMatchObject({ status: 200, json: { id: alert?.id, status: 'newAlert' } });
  });

  it("notifies a printer's jobs only once they reach the state notificationQueryOptions names", async () => {
    const { sim } = world.graph;
    const created = await world.graph.call('POST', '/subscriptions', {
      changeType: 'updated',
      notificationUrl: world.receiver.url,
      resource: 'print/printers/p1/jobs',
      notificationQueryOptions: '$filter = isFetchable eq true',
      expirationDateTime: inMinutes(sim, 50),
    });
    const collection = 'print/printers/p1/jobs';
    const job = sim.mutate(TENANT_ID, { kind: 'printJob', op: 'create', collection, data: { isFetchable: false } });
    sim.mutate(TENANT_ID, { kind: 'printJob', op: 'update', collection, id: String(job?.id), data: { copies: 2 } });
    sim.mutate(TENANT_ID, {
      kind: 'printJob',
      op: 'update',
      collection,
      id: String(job?.id),
      data: { isFetchable: true },
    });
    await sim.clock.settle();

    expect(created).toMatchObject({ status: 201, json: { notificationQueryOptions: '$filter = isFetchable eq true' } });
    expect(world.receiver.notifications().map((item) => [item.changeType, item.resource])).toEqual([
      ['updated', `print/printers('p1')/jobs('${String(job?.id)}')`],
    ]);
  });

  it('refuses a resource it does not know unless acceptUnknownResources, then notifies its items as {collection}/{id}', async () => {
    const refused = await create('solutions/virtualEvents/events', 'created');
    await world.restart({ subscriptions: { acceptUnknownResources: true } });
    const accepted = await create('/solutions/virtualEvents/events/', 'created,deleted');
    const item = world.graph.sim.mutate(TENANT_ID, {
      kind: 'unknownItem',
      op: 'create',
      collection: 'solutions/virtualEvents/events',
    });
    await world.graph.sim.clock.settle();

    expect(refused).toMatchObject({
      status: 400,
      json: { error: { message: expect.stringContaining('is not supported') as string } },
    });
    expect(accepted.status).toBe(201);
    expect(world.receiver.notifications().map((notified) => [notified.changeType, notified.resource])).toEqual([
      ['created', `solutions/virtualEvents/events/${String(item?.id)}`],
    ]);
  });
});

describe('Teams approvals', () => {
  it('takes 43,200 minutes with a lifecycle URL, refuses rich content, notifies each item by key and has no app-only read', async () => {
    const { sim } = world.graph;
    const tooLong = await create('solutions/approval/approvalItems', 'created', 43_201);
    const noLifecycle = await create('solutions/approval/approvalItems', 'created', 120);
    const rich = await world.graph.call('POST', '/subscriptions', {
      changeType: 'created',
      notificationUrl: world.receiver.url,
      resource: 'solutions/approval/approvalItems',
      expirationDateTime: inMinutes(sim, 50),
      includeResourceData: true,
      encryptionCertificate: 'MIIB',
      encryptionCertificateId: 'c1',
    });
    const created = await create('solutions/approval/approvalItems', 'created,updated,deleted');
    const item = sim.mutate(TENANT_ID, {
      kind: 'approvalItem',
      op: 'create',
      collection: 'solutions/approval/approvalItems',
    });
    const id = String(item?.id);
    sim.mutate(TENANT_ID, { kind: 'approvalItem', op: 'delete', collection: 'solutions/approval/approvalItems', id });
    await sim.clock.settle();
    const read = await world.graph.call('GET', `/solutions/approval/approvalItems/${id}`);

    expect(tooLong.status).toBe(400);
    expect(noLifecycle.status).toBe(400);
    expect(rich).toMatchObject({
      status: 400,
      json: { error: { message: expect.stringContaining('includeResourceData is not supported') as string } },
    });
    expect(created.status).toBe(201);
    expect(world.receiver.notifications().map((notified) => [notified.changeType, notified.resource])).toEqual([
      ['created', `solutions/approval/approvalItems('${id}')`],
      ['deleted', `solutions/approval/approvalItems('${id}')`],
    ]);
    expect(read).toMatchObject({ status: 403, json: { error: { code: 'Forbidden' } } });
  });
});

describe('Teams virtual events', () => {
  const webinars = 'solutions/virtualEvents/webinars';

  it("takes a day with a lifecycle URL past an hour, basic notifications only and the page's change types", async () => {
    const { sim } = world.graph;
    const webinar = String(sim.mutate(TENANT_ID, { kind: 'virtualEvent', op: 'create', collection: webinars })?.id);
    const tooLong = await create(`${webinars}/${webinar}/sessions`, 'created', 1_441);
    const noLifecycle = await create(`${webinars}/${webinar}/sessions`, 'created', 120);
    const deletes = await create(`${webinars}/${webinar}/registrations`, 'created,deleted');
    const webinarCreated = await create(`${webinars}/${webinar}`, 'created');
    const rich = await world.graph.call('POST', '/subscriptions', {
      changeType: 'created',
      notificationUrl: world.receiver.url,
      resource: `${webinars}/${webinar}/sessions`,
      expirationDateTime: inMinutes(sim, 50),
      includeResourceData: true,
      encryptionCertificate: 'MIIB',
      encryptionCertificateId: 'c1',
    });
    const townHallRegistrations = await create('solutions/virtualEvents/townhalls/t1/registrations', 'created');
    const tenantWide = await create('solutions/virtualEvents/events', 'created');

    expect(tooLong.status).toBe(400);
    expect(noLifecycle.status).toBe(400);
    expect(deletes.status).toBe(400);
    expect(webinarCreated.status).toBe(400);
    expect(rich.status).toBe(400);
    expect(townHallRegistrations.status).toBe(400);
    expect(tenantWide.status).toBe(400);
  });

  it("names a session's or registration's collection in resource and the item's path in resourceData, as Microsoft's examples do, and reads each with VirtualEvent.Read.All", async () => {
    const { sim } = world.graph;
    const webinar = String(sim.mutate(TENANT_ID, { kind: 'virtualEvent', op: 'create', collection: webinars })?.id);
    const sessions = `${webinars}/${webinar}/sessions`;
    const registrations = `${webinars}/${webinar}/registrations`;
    const subscribed = await Promise.all([
      create(`${webinars}/${webinar}`, 'updated'),
      create(sessions, 'created,updated'),
      create(registrations, 'created'),
    ]);
    const session = String(
      sim.mutate(TENANT_ID, { kind: 'virtualEventSession', op: 'create', collection: sessions })?.id,
    );
    sim.mutate(TENANT_ID, {
      kind: 'virtualEventSession',
      op: 'update',
      collection: sessions,
      id: session,
      data: { subject: 'Q&A' },
    });
    const registration = String(
      sim.mutate(TENANT_ID, { kind: 'virtualEventRegistration', op: 'create', collection: registrations })?.id,
    );
    sim.mutate(TENANT_ID, {
      kind: 'virtualEvent',
      op: 'update',
      collection: webinars,
      id: webinar,
      data: { status: 'published' },
    });
    const otherWebinar = String(
      sim.mutate(TENANT_ID, { kind: 'virtualEvent', op: 'create', collection: webinars })?.id,
    );
    sim.mutate(TENANT_ID, {
      kind: 'virtualEventSession',
      op: 'create',
      collection: `${webinars}/${otherWebinar}/sessions`,
    });
    const deleted = (() => {
      try {
        sim.mutate(TENANT_ID, { kind: 'virtualEventSession', op: 'delete', collection: sessions, id: session });
        return 'deleted';
      } catch (error) {
        return String(error);
      }
    })();
    await sim.clock.settle();
    const reads = await Promise.all([
      world.graph.call('GET', `/${webinars}/${webinar}`),
      world.graph.call('GET', `/${sessions}/${session}`),
      world.graph.call('GET', `/${registrations}/${registration}`),
    ]);

    expect(subscribed.map((answer) => answer.status)).toEqual([201, 201, 201]);
    expect(world.receiver.notifications().map((item) => [item.changeType, item.resource, item.resourceData])).toEqual([
      [
        'created',
        sessions,
        {
          '@odata.id': `${sessions}/${session}`,
          '@odata.type': '#microsoft.graph.virtualEventSession',
          id: `${sessions}/${session}`,
        },
      ],
      [
        'updated',
        sessions,
        {
          '@odata.id': `${sessions}/${session}`,
          '@odata.type': '#microsoft.graph.virtualEventSession',
          id: `${sessions}/${session}`,
        },
      ],
      [
        'created',
        registrations,
        {
          '@odata.id': `${registrations}/${registration}`,
          '@odata.type': '#microsoft.graph.virtualEventRegistration',
          id: `${registrations}/${registration}`,
        },
      ],
      [
        'updated',
        `${webinars}/${webinar}/`,
        {
          '@odata.id': `${webinars}/${webinar}/`,
          '@odata.type': '#microsoft.graph.virtualEvent',
          id: `${webinars}/${webinar}/`,
        },
      ],
    ]);
    expect(deleted).toContain('Graph reports no deletion');
    expect(reads.map((read) => [read.status, (read.json as { id?: unknown }).id])).toEqual([
      [200, webinar],
      [200, session],
      [200, registration],
    ]);
  });
});

describe('app-catalog forms: the chats and meetings a Teams app is installed in', () => {
  /** A chat with Teams app `app` installed, or with none. */
  function chatWith(app: string | undefined): string {
    const { sim } = world.graph;
    const chat = String(sim.mutate(TENANT_ID, { kind: 'chat', op: 'create' })?.id);
    if (app !== undefined)
      sim.mutate(TENANT_ID, {
        kind: 'teamsAppInstallation',
        op: 'create',
        collection: `chats/${chat}/installedApps`,
        data: { teamsApp: { id: app } },
      });
    return chat;
  }

  it("notifies the messages of chats where the app is installed, not another app's chat nor a chat without apps", async () => {
    const { sim } = world.graph;
    const created = await create('appCatalogs/teamsApps/app1/installedToChats/getAllMessages?model=B', 'created');
    const modelA = await create('appCatalogs/teamsApps/app1/installedToChats/getAllMessages?model=A', 'created');
    const [installed, otherApp, bare] = [chatWith('app1'), chatWith('app2'), chatWith(undefined)];
    const message = sim.mutate(TENANT_ID, { kind: 'chatMessage', op: 'create', chatId: installed });
    for (const chatId of [otherApp, bare]) sim.mutate(TENANT_ID, { kind: 'chatMessage', op: 'create', chatId });
    await sim.clock.settle();

    expect(created.status).toBe(201);
    expect(modelA.status).toBe(400);
    expect(world.receiver.notifications().map((notified) => notified.resource)).toEqual([
      `chats('${installed}')/messages('${String(message?.id)}')`,
    ]);
  });

  it('notifies the members of chats where the app is installed, and reads them with ChatMember.Read.WhereInstalled there only', async () => {
    await world.restart({
      apps: [{ clientId: APP_ID, clientSecrets: [APP_SECRET], roles: ['ChatMember.Read.WhereInstalled'] }],
    });
    const { sim, userId } = world.graph;
    const created = await create('appCatalogs/teamsApps/app1/installedToChats/getAllMembers', 'created,deleted');
    const [installed, bare] = [chatWith('app1'), chatWith(undefined)];
    const member = sim.mutate(TENANT_ID, {
      kind: 'teamsMember',
      op: 'create',
      container: `chats/${installed}`,
      userId,
    });
    sim.mutate(TENANT_ID, { kind: 'teamsMember', op: 'create', container: `chats/${bare}`, userId });
    await sim.clock.settle();
    const read = await world.graph.call('GET', `/chats/${installed}/members/${String(member?.id)}`);
    const elsewhere = await world.graph.call('GET', `/chats/${bare}/members`);

    expect(created.status).toBe(201);
    expect(world.receiver.notifications().map((notified) => notified.resource)).toEqual([
      `chats('${installed}')/members('${String(member?.id)}')`,
    ]);
    expect(read).toMatchObject({ status: 200, json: { id: member?.id } });
    expect(elsewhere.status).toBe(403);
  });

  it("notifies the transcripts of meetings whose chat has the app installed, as communications/onlineMeetings('{id}')/…", async () => {
    const { sim } = world.graph;
    const created = await create('appCatalogs/teamsApps/app1/installedToOnlineMeetings/getAllTranscripts', 'created');
    sim.mutate(TENANT_ID, {
      kind: 'teamsAppInstallation',
      op: 'create',
      collection: `chats/${meetingChatOf('m1')}/installedApps`,
      data: { teamsApp: { id: 'app1' } },
    });
    const transcript = sim.mutate(TENANT_ID, {
      kind: 'callTranscript',
      op: 'create',
      collection: 'communications/onlineMeetings/m1/transcripts',
    });
    sim.mutate(TENANT_ID, {
      kind: 'callTranscript',
      op: 'create',
      collection: 'communications/onlineMeetings/m2/transcripts',
    });
    await sim.clock.settle();

    expect(created.status).toBe(201);
    expect(world.receiver.notifications().map((notified) => notified.resource)).toEqual([
      `communications/onlineMeetings('m1')/transcripts('${String(transcript?.id)}')`,
    ]);
  });
});
