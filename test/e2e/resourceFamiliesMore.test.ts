/**
 * End to end, the families of Microsoft's subscribable-resource list added last, through the local host and the
 * simulator: Teams meeting transcripts and recordings (tenant-wide, per user, per meeting), one meeting's call
 * events (named by its join URL), Copilot AI interactions (all `notificationsOnly`: the decrypted content, or the
 * notification itself, is what lands), security alerts and Universal Print jobs and tasks (`mirrored`: read by
 * id), Teams approvals (`notificationsOnly`: the notification lands, a delete tombstones), Teams virtual events
 * (`mirrored`: a webinar, its sessions and registrations read by id, though Graph names a session's or registration's
 * collection in `resource` and the item in `resourceData`), the app-catalog forms of
 * the Teams families (only the chats and meetings where the Teams app is installed), and a resource graph-notify
 * does not list, subscribed with `"unlisted": true` (the simulator accepts it behind
 * `subscriptions.acceptUnknownResources`). Each subscription is created through the management API; every
 * wait polls the pipeline until it is quiet (`untilQuiet`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinWebUrlOf, meetingChatOf } from '../../dev/graph-simulator/serviceResources';
import { normalizeResourcePath } from '../../src/lib/resources';
import { readSink, startE2ePipeline, untilQuiet, withoutResponseAnnotations, type E2ePipeline } from './support';

let e2e: E2ePipeline;

beforeAll(async () => {
  e2e = await startE2ePipeline({
    subscriptions: false,
    simulator: { subscriptions: { acceptUnknownResources: true } },
    settings: { COALESCE_DELAY_SECONDS: '0' },
  });
}, 120_000);

afterAll(async () => {
  await e2e.pipeline.stop();
});

/** The sink's key of a resource as a notification names it (readSink lower-cases keys). */
const keyOf = (resource: string): string => normalizeResourcePath(resource).toLowerCase();

/** A meeting organised by `userId`, as a transcript's or recording's metadata names it. */
const organizedBy = (userId: string): Record<string, unknown> => ({
  meetingOrganizer: { application: null, device: null, user: { id: userId, userIdentityType: 'aadUser' } },
});

describe('more resource families through the local host', () => {
  it('writes transcripts and recordings of the meetings each subscription covers, decrypted or as notified, reading nothing', async () => {
    const { sim, demo, pipeline } = e2e;
    const T = demo.tenantId;
    const views = [
      await pipeline.management.create({
        resource: 'communications/onlineMeetings/getAllTranscripts',
        changeType: 'created',
        includeResourceData: true,
      }),
      await pipeline.management.create({
        resource: `users/${demo.adeleId}/onlineMeetings/getAllRecordings`,
        changeType: 'created',
        includeResourceData: true,
      }),
      await pipeline.management.create({
        resource: 'communications/onlineMeetings/m2/recordings',
        changeType: 'created',
      }),
    ];
    const readsBefore = sim.graphTraffic().reads;
    const collection = (meeting: string, what: string): string => `communications/onlineMeetings/${meeting}/${what}`;
    const transcript = sim.mutate(T, {
      kind: 'callTranscript',
      op: 'create',
      collection: collection('m1', 'transcripts'),
      data: organizedBy(demo.adeleId),
    });
    const adeleRecording = sim.mutate(T, {
      kind: 'callRecording',
      op: 'create',
      collection: collection('m1', 'recordings'),
      data: organizedBy(demo.adeleId),
    });
    const m2Recording = sim.mutate(T, {
      kind: 'callRecording',
      op: 'create',
      collection: collection('m2', 'recordings'),
      data: organizedBy(demo.alexId),
    });
    // Alex's recording of another meeting: no subscription covers it.
    const uncovered = sim.mutate(T, {
      kind: 'callRecording',
      op: 'create',
      collection: collection('m3', 'recordings'),
      data: organizedBy(demo.alexId),
    });
    await untilQuiet(e2e);
    const sink = await readSink(pipeline);

    expect(views.map((view) => [view.kind, view.level, view.status])).toEqual([
      ['callTranscript', 'notificationsOnly', 'active'],
      ['callRecording', 'notificationsOnly', 'active'],
      ['callRecording', 'notificationsOnly', 'active'],
    ]);
    expect(sink.get(keyOf(`${collection('m1', 'transcripts')}/${String(transcript?.id)}`))?.body).toMatchObject({
      id: transcript?.id,
      meetingId: 'm1',
      meetingOrganizer: { user: { id: demo.adeleId } },
    });
    expect(sink.get(keyOf(`${collection('m1', 'recordings')}/${String(adeleRecording?.id)}`))?.body).toMatchObject({
      id: adeleRecording?.id,
      recordingContentUrl: expect.stringContaining('/recordings/') as string,
    });
    // The basic subscription: the notification itself is the state, clientState stripped.
    const notified = sink.get(keyOf(`${collection('m2', 'recordings')}/${String(m2Recording?.id)}`))?.body;
    expect(notified).toMatchObject({
      changeType: 'created',
      resource: `communications/onlineMeetings('m2')/recordings('${String(m2Recording?.id)}')`,
      resourceData: { '@odata.type': '#Microsoft.Graph.callRecording' },
    });
    expect(notified).not.toHaveProperty('clientState');
    expect(sink.has(keyOf(`${collection('m3', 'recordings')}/${String(uncovered?.id)}`))).toBe(false);
    expect(sim.graphTraffic().reads).toBe(readsBefore);
  });

  it("keeps one meeting's latest call event under the key its join URL gives, and nothing of another meeting", async () => {
    const { sim, demo, pipeline } = e2e;
    const T = demo.tenantId;
    const resource = `communications/onlineMeetings/?$filter=JoinWebUrl eq '${joinWebUrlOf('m1')}'`;
    const view = await pipeline.management.create({ resource, changeType: 'updated', includeResourceData: true });
    const events = (meeting: string): string => `communications/onlineMeetings/${meeting}/meetingCallEvents`;

    sim.mutate(T, { kind: 'meetingCallEvent', op: 'create', collection: events('m1') });
    await untilQuiet(e2e);
    const started = (await readSink(pipeline)).get(keyOf(resource))?.body;
    sim.mutate(T, {
      kind: 'meetingCallEvent',
      op: 'create',
      collection: events('m1'),
      data: {
        eventType: 'Microsoft.Communication.CallRosterUpdate',
        'activeParticipants@joined': [{ id: 'User', identity: { User: { Id: demo.alexId } } }],
      },
    });
    sim.mutate(T, { kind: 'meetingCallEvent', op: 'create', collection: events('m2') });
    await untilQuiet(e2e);
    const sink = await readSink(pipeline);

    expect([view.kind, view.level]).toEqual(['onlineMeeting', 'notificationsOnly']);
    expect(withoutResponseAnnotations(started ?? {})).toMatchObject({
      eventType: 'Microsoft.Communication.CallStarted',
      state: 'active',
    });
    expect(sink.get(keyOf(resource))?.body).toMatchObject({
      eventType: 'Microsoft.Communication.CallRosterUpdate',
      'activeParticipants@joined': [{ identity: { User: { Id: demo.alexId } } }],
    });
    const meetingKeys = [...sink.keys()].filter((key) => key.startsWith('communications/onlinemeetings/https'));
    expect(meetingKeys).toEqual([keyOf(resource)]);
  });

  it("writes a Copilot interaction's decrypted content and tombstones its deletion", async () => {
    const { sim, demo, pipeline } = e2e;
    const T = demo.tenantId;
    const view = await pipeline.management.create({
      resource: 'copilot/interactionHistory/getAllEnterpriseInteractions',
      changeType: 'created,updated,deleted',
      includeResourceData: true,
    });
    const collection = `copilot/users/${demo.adeleId}/interactionHistory/interactions`;
    const interaction = sim.mutate(T, {
      kind: 'aiInteraction',
      op: 'create',
      collection,
      data: { body: { contentType: 'text', content: 'What did I miss?' } },
    });
    const key = keyOf(`copilot/interactionHistory/interactions('${String(interaction?.id)}')`);
    await untilQuiet(e2e);
    const created = (await readSink(pipeline)).get(key);
    sim.mutate(T, { kind: 'aiInteraction', op: 'delete', collection, id: String(interaction?.id) });
    await untilQuiet(e2e);
    const deleted = (await readSink(pipeline)).get(key);

    expect([view.kind, view.level]).toEqual(['aiInteraction', 'notificationsOnly']);
    expect(created?.body).toMatchObject({
      id: interaction?.id,
      interactionType: 'userPrompt',
      body: { content: 'What did I miss?' },
    });
    expect(deleted?.deleted).toBe(true);
  });

  it("mirrors security alerts its filter selects and Universal Print jobs and tasks as Graph's JSON, read by id", async () => {
    const { sim, demo, pipeline } = e2e;
    const T = demo.tenantId;
    const views = [
      await pipeline.management.create({
        resource: "security/alerts?$filter=status eq 'newAlert'",
        changeType: 'created,updated',
      }),
      await pipeline.management.create({ resource: 'print/printers/p1/jobs', changeType: 'updated' }),
      await pipeline.management.create({ resource: 'print/taskDefinitions/d1/tasks', changeType: 'created' }),
    ];
    const readsBefore = sim.graphTraffic().reads;
    const alert = sim.mutate(T, { kind: 'securityAlert', op: 'create', collection: 'security/alerts' });
    const resolved = sim.mutate(T, {
      kind: 'securityAlert',
      op: 'create',
      collection: 'security/alerts',
      data: { status: 'resolved' },
    });
    // JobFetchable: the job is notified when it becomes fetchable (`updated`), not when it is created.
    const job = sim.mutate(T, {
      kind: 'printJob',
      op: 'create',
      collection: 'print/printers/p1/jobs',
      data: { isFetchable: false },
    });
    const notYet = sim.mutate(T, {
      kind: 'printJob',
      op: 'create',
      collection: 'print/printers/p1/jobs',
      data: { isFetchable: false },
    });
    const task = sim.mutate(T, { kind: 'printTask', op: 'create', collection: 'print/taskDefinitions/d1/tasks' });
    await untilQuiet(e2e);
    const beforeUpdates = await readSink(pipeline);
    sim.mutate(T, {
      kind: 'securityAlert',
      op: 'update',
      collection: 'security/alerts',
      id: String(alert?.id),
      data: { severity: 'high' },
    });
    sim.mutate(T, {
      kind: 'printJob',
      op: 'update',
      collection: 'print/printers/p1/jobs',
      id: String(job?.id),
      data: { isFetchable: true },
    });
    // Graph-notify sends the JobFetchable query options: a job updated while still not fetchable is not notified.
    sim.mutate(T, {
      kind: 'printJob',
      op: 'update',
      collection: 'print/printers/p1/jobs',
      id: String(notYet?.id),
      data: { status: { state: 'processing', details: ['converting'] } },
    });
    await untilQuiet(e2e);
    const sink = await readSink(pipeline);

    expect(views.map((view) => [view.kind, view.level])).toEqual([
      ['securityAlert', 'mirrored'],
      ['printJob', 'mirrored'],
      ['printTask', 'mirrored'],
    ]);
    const alertKey = `security/alerts/${String(alert?.id)}`.toLowerCase();
    const jobKey = `print/printers/p1/jobs/${String(job?.id)}`.toLowerCase();
    expect(beforeUpdates.get(alertKey)?.body).toMatchObject({ id: alert?.id, status: 'newAlert', severity: 'medium' });
    expect(beforeUpdates.has(jobKey)).toBe(false);
    expect(sink.get(alertKey)?.body).toMatchObject({ severity: 'high' });
    expect(sink.has(`security/alerts/${String(resolved?.id)}`.toLowerCase())).toBe(false);
    expect(sink.get(jobKey)?.body).toMatchObject({ id: job?.id, isFetchable: true });
    expect(sink.has(`print/printers/p1/jobs/${String(notYet?.id)}`.toLowerCase())).toBe(false);
    expect(sink.get(`print/taskdefinitions/d1/tasks/${String(task?.id)}`.toLowerCase())?.body).toMatchObject({
      id: task?.id,
      status: { state: 'processing' },
    });
    expect(sim.graphTraffic().reads).toBeGreaterThan(readsBefore);
  });

  it("mirrors a team's shifts and time-off requests as Graph's JSON, read by id, and tombstones a deleted shift", async () => {
    const { sim, demo, pipeline } = e2e;
    const T = demo.tenantId;
    const team = '3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f';
    const shifts = `teams/${team}/schedule/shifts`;
    const timeOff = `teams/${team}/schedule/timeOffRequests`;
    const views = [
      await pipeline.management.create({ resource: shifts, changeType: 'created,updated,deleted' }),
      await pipeline.management.create({ resource: timeOff, changeType: 'created,updated,deleted' }),
    ];
    const shift = sim.mutate(T, { kind: 'scheduleItem', op: 'create', collection: shifts });
    const request = sim.mutate(T, { kind: 'scheduleItem', op: 'create', collection: timeOff });
    await untilQuiet(e2e);
    const created = await readSink(pipeline);
    sim.mutate(T, { kind: 'scheduleItem', op: 'delete', collection: shifts, id: String(shift?.id) });
    await untilQuiet(e2e);
    const deleted = await readSink(pipeline);

    expect(views.map((view) => [view.kind, view.level])).toEqual([
      ['scheduleItem', 'mirrored'],
      ['scheduleItem', 'mirrored'],
    ]);
    const shiftKey = `${shifts}/${String(shift?.id)}`.toLowerCase();
    expect(created.get(shiftKey)?.body).toMatchObject({ id: shift?.id, sharedShift: { displayName: 'Morning' } });
    expect(created.get(`${timeOff}/${String(request?.id)}`.toLowerCase())?.body).toMatchObject({
      id: request?.id,
      state: 'pending',
    });
    expect(deleted.get(shiftKey)?.deleted).toBe(true);
  });

  it('writes each Teams approval notification as Graph sent it, reading nothing, and tombstones a deleted approval', async () => {
    const { sim, demo, pipeline } = e2e;
    const T = demo.tenantId;
    const collection = 'solutions/approval/approvalItems';
    const view = await pipeline.management.create({ resource: collection, changeType: 'created,updated,deleted' });
    const readsBefore = sim.graphTraffic().reads;
    const item = sim.mutate(T, { kind: 'approvalItem', op: 'create', collection });
    const key = keyOf(`${collection}('${String(item?.id)}')`);
    await untilQuiet(e2e);
    const created = (await readSink(pipeline)).get(key);
    sim.mutate(T, { kind: 'approvalItem', op: 'delete', collection, id: String(item?.id) });
    await untilQuiet(e2e);
    const deleted = (await readSink(pipeline)).get(key);

    expect([view.kind, view.level, view.status]).toEqual(['approvalItem', 'notificationsOnly', 'active']);
    expect(key).toBe(`solutions/approval/approvalitems/${String(item?.id)}`.toLowerCase());
    expect(created?.body).toMatchObject({
      changeType: 'created',
      resource: `${collection}('${String(item?.id)}')`,
      resourceData: { '@odata.type': '#microsoft.graph.approvalItem', id: item?.id },
    });
    expect(created?.body).not.toHaveProperty('clientState');
    expect(deleted?.deleted).toBe(true);
    expect(sim.graphTraffic().reads).toBe(readsBefore);
  });

  it('mirrors the chats a Teams app is installed in, their messages and members, and nothing of a chat without it', async () => {
    const { sim, demo, pipeline } = e2e;
    const T = demo.tenantId;
    const app = 'teams-app-e2e';
    const views = [
      await pipeline.management.create({
        resource: `appCatalogs/teamsApps/${app}/installedToChats/getAllMessages?model=B`,
        changeType: 'created,updated,deleted',
      }),
      await pipeline.management.create({
        resource: `appCatalogs/teamsApps/${app}/installedToChats/getAllMembers`,
        changeType: 'created,deleted',
      }),
      await pipeline.management.create({
        resource: `appCatalogs/teamsApps/${app}/installedToChats`,
        changeType: 'created,updated',
      }),
    ];
    const [installed, bare] = [0, 1].map(() => String(sim.mutate(T, { kind: 'chat', op: 'create' })?.id));
    sim.mutate(T, {
      kind: 'teamsAppInstallation',
      op: 'create',
      collection: `chats/${String(installed)}/installedApps`,
      data: { teamsApp: { id: app } },
    });
    const message = sim.mutate(T, {
      kind: 'chatMessage',
      op: 'create',
      chatId: String(installed),
      data: { body: { contentType: 'text', content: 'hello app' } },
    });
    const member = sim.mutate(T, {
      kind: 'teamsMember',
      op: 'create',
      container: `chats/${String(installed)}`,
      userId: demo.alexId,
    });
    for (const chat of [installed, bare])
      sim.mutate(T, { kind: 'chat', op: 'update', id: String(chat), data: { topic: `topic of ${String(chat)}` } });
    const unseen = sim.mutate(T, { kind: 'chatMessage', op: 'create', chatId: String(bare) });
    sim.mutate(T, { kind: 'teamsMember', op: 'create', container: `chats/${String(bare)}`, userId: demo.alexId });
    await untilQuiet(e2e);
    const created = await readSink(pipeline);
    sim.mutate(T, { kind: 'chatMessage', op: 'delete', chatId: String(installed), id: String(message?.id) });
    await untilQuiet(e2e);
    const deleted = await readSink(pipeline);

    expect(views.map((view) => [view.kind, view.level, view.status])).toEqual([
      ['allChatMessages', 'mirrored', 'active'],
      ['teamsMember', 'mirrored', 'active'],
      ['chat', 'mirrored', 'active'],
    ]);
    expect(created.get(keyOf(`chats('${installed}')`))?.body).toMatchObject({
      id: installed,
      topic: `topic of ${installed}`,
    });
    const messageKey = keyOf(`chats('${String(installed)}')/messages('${String(message?.id)}')`);
    expect(created.get(messageKey)?.body).toMatchObject({ id: message?.id, body: { content: 'hello app' } });
    expect(created.get(keyOf(`chats('${String(installed)}')/members('${String(member?.id)}')`))?.body).toMatchObject({
      id: member?.id,
    });
    expect(created.has(keyOf(`chats('${String(bare)}')/messages('${String(unseen?.id)}')`))).toBe(false);
    expect([...created.keys()].filter((key) => key.startsWith(keyOf(`chats('${String(bare)}')`)))).toEqual([]);
    expect(deleted.get(messageKey)?.deleted).toBe(true);
  });

  it("writes the recordings of meetings whose chat has the Teams app installed, and nothing of another meeting's", async () => {
    const { sim, demo, pipeline } = e2e;
    const T = demo.tenantId;
    const app = 'teams-app-meetings';
    // Alex's meetings: the earlier subscriptions here cover transcripts, Adele's recordings and meeting m2's only.
    const view = await pipeline.management.create({
      resource: `appCatalogs/teamsApps/${app}/installedToOnlineMeetings/getAllRecordings`,
      changeType: 'created',
      includeResourceData: true,
    });
    sim.mutate(T, {
      kind: 'teamsAppInstallation',
      op: 'create',
      collection: `chats/${meetingChatOf('m7')}/installedApps`,
      data: { teamsApp: { id: app } },
    });
    const collection = (meeting: string): string => `communications/onlineMeetings/${meeting}/recordings`;
    const recording = sim.mutate(T, {
      kind: 'callRecording',
      op: 'create',
      collection: collection('m7'),
      data: organizedBy(demo.alexId),
    });
    const other = sim.mutate(T, {
      kind: 'callRecording',
      op: 'create',
      collection: collection('m8'),
      data: organizedBy(demo.alexId),
    });
    await untilQuiet(e2e);
    const sink = await readSink(pipeline);

    expect([view.kind, view.level, view.status]).toEqual(['callRecording', 'notificationsOnly', 'active']);
    expect(sink.get(keyOf(`${collection('m7')}/${String(recording?.id)}`))?.body).toMatchObject({
      id: recording?.id,
      meetingId: 'm7',
    });
    expect(sink.has(keyOf(`${collection('m8')}/${String(other?.id)}`))).toBe(false);
  });

  it("mirrors a webinar, its sessions and registrations as Graph's JSON, though session and registration notifications name the collection", async () => {
    const { sim, demo, pipeline } = e2e;
    const T = demo.tenantId;
    const webinars = 'solutions/virtualEvents/webinars';
    const webinar = String(sim.mutate(T, { kind: 'virtualEvent', op: 'create', collection: webinars })?.id);
    const other = String(sim.mutate(T, { kind: 'virtualEvent', op: 'create', collection: webinars })?.id);
    const sessions = `${webinars}/${webinar}/sessions`;
    const registrations = `${webinars}/${webinar}/registrations`;
    const views = [
      await pipeline.management.create({ resource: `${webinars}/${webinar}`, changeType: 'updated' }),
      await pipeline.management.create({ resource: sessions, changeType: 'created,updated' }),
      await pipeline.management.create({ resource: registrations, changeType: 'created,updated' }),
    ];
    const readsBefore = sim.graphTraffic().reads;
    const session = String(sim.mutate(T, { kind: 'virtualEventSession', op: 'create', collection: sessions })?.id);
    const registration = String(
      sim.mutate(T, { kind: 'virtualEventRegistration', op: 'create', collection: registrations })?.id,
    );
    const elsewhere = String(
      sim.mutate(T, { kind: 'virtualEventSession', op: 'create', collection: `${webinars}/${other}/sessions` })?.id,
    );
    await untilQuiet(e2e);
    const created = await readSink(pipeline);
    sim.mutate(T, {
      kind: 'virtualEventSession',
      op: 'update',
      collection: sessions,
      id: session,
      data: { subject: 'Q&A' },
    });
    sim.mutate(T, {
      kind: 'virtualEvent',
      op: 'update',
      collection: webinars,
      id: webinar,
      data: { status: 'published' },
    });
    await untilQuiet(e2e);
    const updated = await readSink(pipeline);

    expect(views.map((view) => [view.kind, view.level, view.status])).toEqual([
      ['virtualEvent', 'mirrored', 'active'],
      ['virtualEventSession', 'mirrored', 'active'],
      ['virtualEventRegistration', 'mirrored', 'active'],
    ]);
    // One key per item, `{collection}/{id}`, never the collection's own.
    const sessionKey = `${sessions}/${session}`.toLowerCase();
    expect(created.get(sessionKey)?.body).toMatchObject({ id: session, subject: 'The Impact of Tech on Our Lives' });
    expect(created.get(`${registrations}/${registration}`.toLowerCase())?.body).toMatchObject({
      id: registration,
      status: 'registered',
    });
    expect(created.has(sessions.toLowerCase())).toBe(false);
    expect(created.has(`${webinars}/${other}/sessions/${elsewhere}`.toLowerCase())).toBe(false);
    expect(updated.get(sessionKey)?.body).toMatchObject({ id: session, subject: 'Q&A' });
    expect(updated.get(`${webinars}/${webinar}`.toLowerCase())?.body).toMatchObject({
      id: webinar,
      status: 'published',
    });
    expect(sim.graphTraffic().reads).toBeGreaterThan(readsBefore);
  });

  it('subscribes to a resource it does not list with the unlisted opt-in, writes each notification and tombstones a delete', async () => {
    const { sim, demo, pipeline } = e2e;
    const T = demo.tenantId;
    const collection = 'solutions/virtualEvents/events';
    const view = await pipeline.management.create({
      resource: collection,
      changeType: 'created,updated,deleted',
      unlisted: true,
    });
    const item = sim.mutate(T, { kind: 'unknownItem', op: 'create', collection });
    const key = `${collection}/${String(item?.id)}`.toLowerCase();
    await untilQuiet(e2e);
    const created = (await readSink(pipeline)).get(key);
    sim.mutate(T, { kind: 'unknownItem', op: 'delete', collection, id: String(item?.id) });
    await untilQuiet(e2e);
    const deleted = (await readSink(pipeline)).get(key);

    expect([view.kind, view.level, view.status]).toEqual(['unlisted', 'notificationsOnly', 'active']);
    expect(created?.body).toMatchObject({ changeType: 'created', resource: `${collection}/${String(item?.id)}` });
    expect(created?.body).not.toHaveProperty('clientState');
    expect(deleted?.deleted).toBe(true);
  });
});
