/**
 * End to end, resource families beyond the original seven, through the local host and the simulator:
 * Teams presence (rich, one-hour subscriptions kept alive over a simulated day by the app's own timer),
 * tenant-wide Teams chat messages (`chats/getAllMessages`, read by id, tombstoned on delete), a SharePoint
 * list (notified as the list, read by its item delta), To Do tasks and one Teams channel's messages (read by id, a
 * dropped change caught up by the periodic delta resync; for channel messages a dropped deletion too), the messages
 * of one user's chats (`users/{id}/chats/getAllMessages`, caught up by the per-user chat message delta), group
 * conversations and calendars, and Teams call records (read by id). Each
 * subscription is created through the management API, which answers with the level it gets
 * (docs/resources.md).
 *
 * As in lifecycle.test.ts, the app reads the wall clock, so only `Date` is faked and every step moves it,
 * Graph's clock and the timer scheduler to the same virtual instant (Graph's GRAPH_CLOCK_LAG_MS behind).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  GRAPH_CLOCK_LAG_MS,
  problems,
  readSink,
  startE2ePipeline,
  untilQuiet,
  withoutResponseAnnotations,
  type E2ePipeline,
  type SinkEntry,
} from './support';

const MINUTE = 60_000;
/** The reconcile timer's period and the step of virtual time: a third of presence's one-hour lifetime. */
const STEP = 20 * MINUTE;
const DAY = 24 * 60 * MINUTE;
const AVAILABILITIES = ['Available', 'Busy', 'Away', 'DoNotDisturb'] as const;
const RESYNC_INTERVAL_MINUTES = 60;
const LIST = 'sites/site1/lists/list1';
const tasksOf = (userId: string): string => `users/${userId}/todo/lists/tasks1/tasks`;

let e2e: E2ePipeline;
const presenceResource = (): string =>
  `communications/presences?$filter=id in ('${e2e.demo.adeleId}','${e2e.demo.alexId}')`;

/** Moves the app's wall clock, Graph's clock and the timer scheduler one step on, then waits for quiet. */
async function step(graphTime: number): Promise<void> {
  vi.setSystemTime(graphTime + GRAPH_CLOCK_LAG_MS);
  await e2e.sim.clock.advanceTo(graphTime);
  await e2e.scheduler.advanceTo(graphTime + GRAPH_CLOCK_LAG_MS);
  await untilQuiet(e2e, { timeoutMs: 20_000 });
}

/**
 * Graph drops the next `deliveries` notification POSTs (those of `change`) and says nothing about them; then one resync
 * interval and a reconcile period of virtual time pass. Answers the sink as it was right after the drop.
 */
async function dropThenWait(change: () => void, deliveries = 1): Promise<Map<string, SinkEntry>> {
  const { sim, pipeline } = e2e;
  const drop = sim.faults.inject({ target: 'delivery', path: '/api/notifications', action: 'drop', times: deliveries });
  change();
  await untilQuiet(e2e);
  sim.faults.remove(drop);
  const afterDrop = await readSink(pipeline);
  const start = sim.clock.now().getTime();
  for (let n = 1; n <= (RESYNC_INTERVAL_MINUTES * MINUTE) / STEP + 1; n += 1) await step(start + n * STEP);
  return afterDrop;
}

beforeAll(async () => {
  vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
  e2e = await startE2ePipeline({
    subscriptions: (demo) => [
      {
        resource: `communications/presences?$filter=id in ('${demo.adeleId}','${demo.alexId}')`,
        changeType: 'updated',
        includeResourceData: true,
      },
      { resource: 'chats/getAllMessages', changeType: 'created,updated,deleted' },
      { resource: LIST, changeType: 'updated' },
      { resource: tasksOf(demo.adeleId), changeType: 'created,updated,deleted' },
    ],
    settings: {
      RECONCILE_SCHEDULE: '0 */20 * * * *',
      COALESCE_DELAY_SECONDS: '0',
      RESYNC_INTERVAL_MINUTES: String(RESYNC_INTERVAL_MINUTES),
    },
  });
}, 120_000);

afterAll(async () => {
  vi.useRealTimers();
  await e2e.pipeline.stop();
});

describe('resource families through the local host', () => {
  it('creates presence and tenant-wide chat message subscriptions through the management API, answering their level', () => {
    const { pipeline } = e2e;

    expect(pipeline.subscriptionErrors).toEqual([]);
    expect(pipeline.subscriptions.map((view) => [view.resource, view.kind, view.level, view.status])).toEqual([
      [presenceResource(), 'presence', 'mirrored', 'active'],
      ['chats/getAllMessages', 'allChatMessages', 'mirrored', 'active'],
      [LIST, 'listItem', 'mirroredAndResynced', 'active'],
      [tasksOf(e2e.demo.adeleId), 'todoTask', 'mirroredAndResynced', 'active'],
    ]);
    // Presence lives one hour at most: the app asked for its maximum less the margin.
    const presence = e2e.sim.subscriptions().find((subscription) => subscription.resource === presenceResource());
    expect(Date.parse(presence?.expirationDateTime ?? '') - e2e.sim.clock.now().getTime()).toBeLessThanOrEqual(
      60 * MINUTE,
    );
  });

  it("writes a presence change's decrypted content under the key a read of it uses", async () => {
    const { sim, demo } = e2e;
    const readsBefore = sim.graphTraffic().reads;
    sim.mutate(demo.tenantId, {
      kind: 'presence',
      op: 'update',
      userId: demo.adeleId,
      data: { availability: 'Busy', activity: 'InACall' },
    });

    await untilQuiet(e2e);
    const sink = await readSink(e2e.pipeline);

    const stored = sink.get(`communications/presences/${demo.adeleId}`.toLowerCase());
    expect(stored?.deleted).toBe(false);
    expect(withoutResponseAnnotations(stored?.body ?? {})).toMatchObject({
      id: demo.adeleId,
      availability: 'Busy',
      activity: 'InACall',
    });
    // Rich: its content came with the notification, nothing was read from Graph.
    expect(sim.graphTraffic().reads).toBe(readsBefore);
  });

  it("mirrors a chat message of any chat from chats/getAllMessages as Graph's JSON, and tombstones its deletion", async () => {
    const { sim, demo } = e2e;
    const T = demo.tenantId;
    const created = sim.mutate(T, {
      kind: 'chatMessage',
      op: 'create',
      chatId: demo.chatId,
      data: { body: { contentType: 'text', content: 'Tenant-wide hello' } },
    });
    const path = `chats/${demo.chatId}/messages/${String(created?.id)}`.toLowerCase();

    await untilQuiet(e2e);
    const afterCreate = (await readSink(e2e.pipeline)).get(path);
    sim.mutate(T, { kind: 'chatMessage', op: 'delete', chatId: demo.chatId, id: String(created?.id) });
    await untilQuiet(e2e);
    const afterDelete = (await readSink(e2e.pipeline)).get(path);

    expect(withoutResponseAnnotations(afterCreate?.body ?? {})).toMatchObject({
      id: created?.id,
      body: { content: 'Tenant-wide hello' },
    });
    expect(afterDelete?.deleted).toBe(true);
  });

  it("mirrors a SharePoint list's items from notifications that name only the list, and tombstones a deleted item", async () => {
    const { sim, demo } = e2e;
    const T = demo.tenantId;
    const collection = `${LIST}/items`;
    const item = sim.mutate(T, { kind: 'listItem', op: 'create', collection, data: { fields: { Title: 'Draft' } } });
    const kept = sim.mutate(T, { kind: 'listItem', op: 'create', collection });
    const itemPath = `${collection}/${String(item?.id)}`;

    await untilQuiet(e2e);
    const created = (await readSink(e2e.pipeline)).get(itemPath);
    sim.mutate(T, {
      kind: 'listItem',
      op: 'update',
      collection,
      id: String(item?.id),
      data: { fields: { Title: 'Final' } },
    });
    await untilQuiet(e2e);
    const updated = (await readSink(e2e.pipeline)).get(itemPath);
    sim.mutate(T, { kind: 'listItem', op: 'delete', collection, id: String(item?.id) });
    await untilQuiet(e2e);
    const sink = await readSink(e2e.pipeline);

    expect(created?.body).toMatchObject({ id: item?.id, fields: { Title: 'Draft' } });
    expect(updated?.body).toMatchObject({ fields: { Title: 'Final' } });
    expect(sink.get(itemPath)?.deleted).toBe(true);
    expect(sink.get(`${collection}/${String(kept?.id)}`)?.deleted).toBe(false);
  });

  it('mirrors To Do tasks, tombstones a deleted one, and the periodic resync catches a change whose notification was dropped', async () => {
    const { sim, demo } = e2e;
    const T = demo.tenantId;
    const collection = tasksOf(demo.adeleId);
    const task = sim.mutate(T, { kind: 'todoTask', op: 'create', collection, data: { title: 'Write the report' } });
    const gone = sim.mutate(T, { kind: 'todoTask', op: 'create', collection, data: { title: 'Cancelled' } });
    await untilQuiet(e2e);
    sim.mutate(T, { kind: 'todoTask', op: 'delete', collection, id: String(gone?.id) });
    await untilQuiet(e2e);
    const before = await readSink(e2e.pipeline);

    // Graph drops the notification of the next change and says nothing about it.
    const drop = sim.faults.inject({ target: 'delivery', path: '/api/notifications', action: 'drop', times: 1 });
    sim.mutate(T, { kind: 'todoTask', op: 'update', collection, id: String(task?.id), data: { status: 'completed' } });
    await untilQuiet(e2e);
    const afterDrop = await readSink(e2e.pipeline);
    sim.faults.remove(drop);
    const start = sim.clock.now().getTime();
    for (let n = 1; n <= (RESYNC_INTERVAL_MINUTES * MINUTE) / STEP + 1; n += 1) await step(start + n * STEP);
    const afterResync = await readSink(e2e.pipeline);

    const taskPath = `${collection}/${String(task?.id)}`.toLowerCase();
    expect(before.get(taskPath)?.body).toMatchObject({ title: 'Write the report', status: 'notStarted' });
    expect(before.get(`${collection}/${String(gone?.id)}`.toLowerCase())?.deleted).toBe(true);
    expect(afterDrop.get(taskPath)?.body).toMatchObject({ status: 'notStarted' });
    expect(afterResync.get(taskPath)?.body).toMatchObject({ title: 'Write the report', status: 'completed' });
  }, 300_000);

  it("mirrors one channel's messages, tombstones a deletion, and its delta resync catches a dropped change and a dropped deletion", async () => {
    const { sim, demo, pipeline } = e2e;
    const T = demo.tenantId;
    const teamId = String(sim.mutate(T, { kind: 'team', op: 'create', data: { displayName: 'Launch' } })?.id);
    const channelId = String(sim.mutate(T, { kind: 'channel', op: 'create', teamId })?.id);
    const view = await pipeline.management.create({
      resource: `teams/${teamId}/channels/${channelId}/messages`,
      changeType: 'created,updated,deleted',
    });
    const post = (content: string): string =>
      String(
        sim.mutate(T, {
          kind: 'channelMessage',
          op: 'create',
          teamId,
          channelId,
          data: { body: { contentType: 'text', content } },
        })?.id,
      );
    const edited = post('Launch on Monday');
    const deletedUnseen = post('Draft');
    const deleted = post('Wrong channel');
    await untilQuiet(e2e);
    sim.mutate(T, { kind: 'channelMessage', op: 'delete', teamId, channelId, id: deleted });
    await untilQuiet(e2e);
    const before = await readSink(pipeline);

    const afterDroppedEdit = await dropThenWait(() =>
      sim.mutate(T, {
        kind: 'channelMessage',
        op: 'update',
        teamId,
        channelId,
        id: edited,
        data: { body: { contentType: 'text', content: 'Launch on Tuesday' } },
      }),
    );
    const afterFirstResync = await readSink(pipeline);
    // A resync after the first lists only what changed since its deltaLink: the deletion comes as the message
    // with its deletedDateTime set.
    const afterDroppedDelete = await dropThenWait(() =>
      sim.mutate(T, { kind: 'channelMessage', op: 'delete', teamId, channelId, id: deletedUnseen }),
    );
    const afterSecondResync = await readSink(pipeline);

    const key = (id: string): string => `teams/${teamId}/channels/${channelId}/messages/${id}`.toLowerCase();
    expect([view.kind, view.level]).toEqual(['channelMessage', 'mirroredAndResynced']);
    expect(before.get(key(edited))?.body).toMatchObject({ id: edited, body: { content: 'Launch on Monday' } });
    expect(before.get(key(deleted))?.deleted).toBe(true);
    expect(afterDroppedEdit.get(key(edited))?.body).toMatchObject({ body: { content: 'Launch on Monday' } });
    expect(afterFirstResync.get(key(edited))?.body).toMatchObject({ body: { content: 'Launch on Tuesday' } });
    expect(afterDroppedDelete.get(key(deletedUnseen))?.deleted).toBe(false);
    expect(afterSecondResync.get(key(deletedUnseen))?.deleted).toBe(true);
  }, 300_000);

  it("mirrors the messages of a user's chats, and the per-user chat message delta resync catches a dropped change and a dropped deletion", async () => {
    const { sim, demo, pipeline } = e2e;
    const T = demo.tenantId;
    const chatId = String(sim.mutate(T, { kind: 'chat', op: 'create', data: { topic: 'Launch' } })?.id);
    for (const userId of [demo.adeleId, demo.alexId])
      sim.mutate(T, { kind: 'teamsMember', op: 'create', container: `chats/${chatId}`, userId });
    const view = await pipeline.management.create({
      resource: `users/${demo.adeleId}/chats/getAllMessages`,
      changeType: 'created,updated,deleted',
    });
    const post = (content: string): string =>
      String(
        sim.mutate(T, { kind: 'chatMessage', op: 'create', chatId, data: { body: { contentType: 'text', content } } })
          ?.id,
      );
    const edited = post('Launch on Monday');
    const deletedUnseen = post('Draft');
    await untilQuiet(e2e);
    const before = await readSink(pipeline);
    // Each change notifies this subscription and the tenant-wide `chats/getAllMessages` one: both are dropped.
    const dropBoth = (change: () => void): Promise<Map<string, SinkEntry>> => dropThenWait(change, 2);

    const afterDroppedEdit = await dropBoth(() =>
      sim.mutate(T, {
        kind: 'chatMessage',
        op: 'update',
        chatId,
        id: edited,
        data: { body: { contentType: 'text', content: 'Launch on Tuesday' } },
      }),
    );
    const afterFirstResync = await readSink(pipeline);
    const afterDroppedDelete = await dropBoth(() =>
      sim.mutate(T, { kind: 'chatMessage', op: 'delete', chatId, id: deletedUnseen }),
    );
    const afterSecondResync = await readSink(pipeline);

    // The key a notification gives, `chats('{chat}')/messages('{id}')`, which the resync writes from the item's chatId.
    const key = (id: string): string => `chats/${chatId}/messages/${id}`.toLowerCase();
    expect([view.kind, view.level]).toEqual(['userChatMessages', 'mirroredAndResynced']);
    expect(before.get(key(edited))?.body).toMatchObject({ id: edited, chatId, body: { content: 'Launch on Monday' } });
    expect(afterDroppedEdit.get(key(edited))?.body).toMatchObject({ body: { content: 'Launch on Monday' } });
    expect(afterFirstResync.get(key(edited))?.body).toMatchObject({ body: { content: 'Launch on Tuesday' } });
    expect(afterDroppedDelete.get(key(deletedUnseen))?.deleted).toBe(false);
    expect(afterSecondResync.get(key(deletedUnseen))?.deleted).toBe(true);
  }, 300_000);

  it('mirrors group conversations, group events and call records, created through the management API, and tombstones what Graph deletes', async () => {
    const { sim, demo, pipeline } = e2e;
    const T = demo.tenantId;
    const group = sim.state(T).find((resource) => resource.kind === 'group');
    const groupId = String(group?.body.id);
    const views = [
      await pipeline.management.create({
        resource: `groups/${groupId}/conversations`,
        changeType: 'created,updated,deleted',
      }),
      await pipeline.management.create({ resource: `groups/${groupId}/events`, changeType: 'created,updated,deleted' }),
      await pipeline.management.create({ resource: 'communications/callRecords', changeType: 'created,updated' }),
    ];
    const conversations = `groups/${groupId}/conversations`;
    const events = `groups/${groupId}/events`;
    const conversation = sim.mutate(T, {
      kind: 'conversation',
      op: 'create',
      collection: conversations,
      data: { topic: 'Launch' },
    });
    const event = sim.mutate(T, {
      kind: 'groupEvent',
      op: 'create',
      collection: events,
      data: { subject: 'All hands' },
    });
    const call = sim.mutate(T, { kind: 'callRecord', op: 'create', collection: 'communications/callRecords' });
    await untilQuiet(e2e);
    const created = await readSink(pipeline);
    sim.mutate(T, { kind: 'conversation', op: 'delete', collection: conversations, id: String(conversation?.id) });
    sim.mutate(T, { kind: 'groupEvent', op: 'delete', collection: events, id: String(event?.id) });
    await untilQuiet(e2e);
    const deleted = await readSink(pipeline);

    expect(views.map((view) => [view.kind, view.level])).toEqual([
      ['groupConversation', 'mirrored'],
      ['groupEvent', 'mirrored'],
      ['callRecord', 'mirrored'],
    ]);
    const key = (path: string): string => path.toLowerCase();
    expect(created.get(key(`${conversations}/${String(conversation?.id)}`))?.body).toMatchObject({ topic: 'Launch' });
    expect(created.get(key(`${events}/${String(event?.id)}`))?.body).toMatchObject({ subject: 'All hands' });
    expect(created.get(key(`communications/callrecords/${String(call?.id)}`))?.body).toMatchObject({
      id: call?.id,
      type: 'groupCall',
    });
    expect(deleted.get(key(`${conversations}/${String(conversation?.id)}`))?.deleted).toBe(true);
    expect(deleted.get(key(`${events}/${String(event?.id)}`))?.deleted).toBe(true);
  });

  it('keeps the one-hour presence subscription alive over a simulated day by renewing it, and keeps its state', async () => {
    const { sim, demo, pipeline } = e2e;
    const lapses: string[] = [];
    const start = sim.clock.now().getTime();
    let last: string = AVAILABILITIES[0];

    for (let n = 1; n <= DAY / STEP; n += 1) {
      last = AVAILABILITIES[n % AVAILABILITIES.length] ?? 'Available';
      sim.mutate(demo.tenantId, { kind: 'presence', op: 'update', userId: demo.alexId, data: { availability: last } });
      const graphTime = start + n * STEP;
      await step(graphTime);
      const live = sim
        .subscriptions()
        .filter(
          (subscription) =>
            subscription.resource === presenceResource() && Date.parse(subscription.expirationDateTime) > graphTime,
        );
      if (live.length !== 1) lapses.push(new Date(graphTime).toISOString());
    }
    const sink = await readSink(pipeline);
    const status = await pipeline.status();

    expect(lapses).toEqual([]);
    // Each renewal buys at most 45 minutes, so a day needs at least 32 of them.
    expect(status.renewals ?? 0).toBeGreaterThanOrEqual(DAY / (45 * MINUTE));
    expect(sink.get(`communications/presences/${demo.alexId}`.toLowerCase())?.body).toMatchObject({
      availability: last,
    });
    // No invocation failed (the reconciler and the lifecycle handler racing for one record is handled, and
    // logged as a warning); the host's problems are shown when one did.
    expect({
      failed: pipeline.invocations.failed(),
      problems: pipeline.invocations.failed() === 0 ? [] : problems(e2e.logs),
    }).toEqual({ failed: 0, problems: [] });
    expect((await pipeline.management.list()).every((view) => view.status === 'active')).toBe(true);
    expect(await pipeline.management.list()).toHaveLength(9);
  }, 600_000);
});
