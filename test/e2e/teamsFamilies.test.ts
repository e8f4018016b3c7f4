/**
 * End to end, the Teams structure families through the local host and the simulator: teams, channels, team and
 * chat members, chats, and every channel message of the tenant (`teams/getAllMessages`). Each subscription is
 * created through the management API, which answers with its kind and level; a change lands Graph's JSON in the
 * sink under the canonical key of the name Graph gives the resource in its notifications (`teams('{id}')`,
 * `teams('{id}')/channels('{id}')`, `teams('{id}')/members('{id}')`, `chats('{id}')/members('{id}')`, Microsoft's
 * Teams change-notification pages), read by id; a delete gives a tombstone where Graph reports deletes (chats:
 * Graph reports creation and update only). None of these families has a delta, so there is no resync to prove.
 *
 * The tests wait for events (the pipeline quiet, polled with a deadline), never on how fast they come.
 */
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SubscriptionView } from '../../src/lib/subscriptions';
import { normalizeResourcePath, sinkBlobName } from '../../src/lib/resources';
import { startE2ePipeline, untilQuiet, withoutResponseAnnotations, type E2ePipeline } from './support';

let e2e: E2ePipeline;
let teamId: string;
let chatId: string;
let views: SubscriptionView[];

interface Stored {
  readonly body: Record<string, unknown>;
  readonly deleted: boolean;
}

/**
 * The sink blob of the resource Graph names `notificationResource` (OData key syntax, as in a notification), read
 * by its exact name (case kept, unlike `readSink`): undefined when nothing was written there.
 */
async function stored(notificationResource: string): Promise<Stored | undefined> {
  const { pipeline, demo } = e2e;
  const container = BlobServiceClient.fromConnectionString(pipeline.connectionString).getContainerClient(
    pipeline.config.processing.resourcesContainer,
  );
  const blob = container.getBlockBlobClient(
    sinkBlobName(demo.tenantId, normalizeResourcePath(notificationResource, demo.tenantId)),
  );
  if (!(await blob.exists())) return undefined;
  const properties = await blob.getProperties();
  const body = JSON.parse((await blob.downloadToBuffer()).toString('utf8')) as Record<string, unknown>;
  return { body: withoutResponseAnnotations(body), deleted: properties.metadata?.deleted === 'true' };
}

beforeAll(async () => {
  e2e = await startE2ePipeline({ settings: { COALESCE_DELAY_SECONDS: '0' } });
  const { sim, demo, pipeline } = e2e;
  const team = sim.mutate(demo.tenantId, { kind: 'team', op: 'create', data: { displayName: 'Mark 8 Project' } });
  const chat = sim.mutate(demo.tenantId, { kind: 'chat', op: 'create', data: { topic: 'Design review' } });
  teamId = String(team?.id);
  chatId = String(chat?.id);
  const all = 'created,updated,deleted';
  views = [
    await pipeline.management.create({ resource: 'teams', changeType: all }),
    await pipeline.management.create({ resource: `teams/${teamId}/channels`, changeType: all }),
    await pipeline.management.create({ resource: `teams/${teamId}/members`, changeType: all }),
    await pipeline.management.create({ resource: `chats/${chatId}/members`, changeType: 'created,deleted' }),
    await pipeline.management.create({ resource: 'chats', changeType: 'created,updated' }),
    await pipeline.management.create({ resource: 'teams/getAllMessages?model=B', changeType: all }),
  ];
}, 120_000);

afterAll(async () => {
  await e2e.pipeline.stop();
});

describe('Teams structure families through the local host', () => {
  it('creates team, channel, member, chat and channel-message subscriptions through the management API, answering kind and level', () => {
    expect(views.map((view) => [view.resource, view.kind, view.level, view.status])).toEqual([
      ['teams', 'team', 'mirrored', 'active'],
      [`teams/${teamId}/channels`, 'channel', 'mirrored', 'active'],
      [`teams/${teamId}/members`, 'teamsMember', 'mirrored', 'active'],
      [`chats/${chatId}/members`, 'teamsMember', 'mirrored', 'active'],
      ['chats', 'chat', 'mirrored', 'active'],
      ['teams/getAllMessages?model=B', 'allChannelMessages', 'mirrored', 'active'],
    ]);
    // Teams subscriptions that live past an hour carry a lifecycle URL, or Graph would have refused them.
    const inGraph = e2e.sim.subscriptions().filter((subscription) => subscription.resource.startsWith('teams'));
    expect(inGraph).toHaveLength(4);
    for (const subscription of inGraph) expect(subscription.lifecycleNotificationUrl).toMatch(/^https?:\/\//);
  });

  it("mirrors a team created and changed as Graph's JSON under teams/{id}, and tombstones its deletion", async () => {
    const { sim, demo } = e2e;
    const T = demo.tenantId;
    const created = sim.mutate(T, { kind: 'team', op: 'create', data: { displayName: 'Retail' } });
    const id = String(created?.id);
    await untilQuiet(e2e);
    const afterCreate = await stored(`teams('${id}')`);
    sim.mutate(T, { kind: 'team', op: 'update', id, data: { description: 'Stores and outlets' } });
    await untilQuiet(e2e);
    const afterUpdate = await stored(`teams('${id}')`);
    sim.mutate(T, { kind: 'team', op: 'delete', id });
    await untilQuiet(e2e);
    const afterDelete = await stored(`teams('${id}')`);

    expect(normalizeResourcePath(`teams('${id}')`)).toBe(`teams/${id}`);
    expect(afterCreate).toEqual({
      body: expect.objectContaining({ id, displayName: 'Retail' }) as unknown,
      deleted: false,
    });
    expect(afterUpdate?.body).toMatchObject({ id, displayName: 'Retail', description: 'Stores and outlets' });
    expect(afterDelete?.deleted).toBe(true);
  });

  it("mirrors a channel under teams/{id}/channels/{id} as Graph's JSON, and tombstones its deletion", async () => {
    const { sim, demo } = e2e;
    const T = demo.tenantId;
    const channel = sim.mutate(T, { kind: 'channel', op: 'create', teamId, data: { displayName: 'Plans' } });
    const id = String(channel?.id);
    const name = `teams('${teamId}')/channels('${id}')`;
    await untilQuiet(e2e);
    const afterCreate = await stored(name);
    sim.mutate(T, { kind: 'channel', op: 'update', teamId, id, data: { description: 'Roadmap' } });
    await untilQuiet(e2e);
    const afterUpdate = await stored(name);
    sim.mutate(T, { kind: 'channel', op: 'delete', teamId, id });
    await untilQuiet(e2e);
    const afterDelete = await stored(name);

    expect(normalizeResourcePath(name)).toBe(`teams/${teamId}/channels/${id}`);
    expect(afterCreate?.body).toMatchObject({ id, displayName: 'Plans', membershipType: 'standard' });
    expect(afterUpdate?.body).toMatchObject({ id, description: 'Roadmap' });
    expect(afterDelete?.deleted).toBe(true);
  });

  it('mirrors a team member under teams/{id}/members/{id}, its base64 id kept verbatim, and tombstones the removal', async () => {
    const { sim, demo } = e2e;
    const T = demo.tenantId;
    const container = `teams/${teamId}`;
    const member = sim.mutate(T, { kind: 'teamsMember', op: 'create', container, userId: demo.adeleId });
    const id = String(member?.id);
    const name = `teams('${teamId}')/members('${id}')`;
    await untilQuiet(e2e);
    const afterCreate = await stored(name);
    sim.mutate(T, { kind: 'teamsMember', op: 'update', container, id, data: { roles: ['owner'] } });
    await untilQuiet(e2e);
    const afterUpdate = await stored(name);
    sim.mutate(T, { kind: 'teamsMember', op: 'delete', container, id });
    await untilQuiet(e2e);
    const afterDelete = await stored(name);

    expect(normalizeResourcePath(name)).toBe(`teams/${teamId}/members/${id}`);
    expect(afterCreate?.body).toMatchObject({ id, userId: demo.adeleId, roles: [] });
    expect(afterUpdate?.body).toMatchObject({ id, roles: ['owner'] });
    expect(afterDelete?.deleted).toBe(true);
  });

  it('mirrors a chat member under chats/{id}/members/{id}, and tombstones the removal', async () => {
    const { sim, demo } = e2e;
    const T = demo.tenantId;
    const container = `chats/${chatId}`;
    const member = sim.mutate(T, { kind: 'teamsMember', op: 'create', container, userId: demo.alexId });
    const id = String(member?.id);
    const name = `chats('${chatId}')/members('${id}')`;
    await untilQuiet(e2e);
    const afterCreate = await stored(name);
    sim.mutate(T, { kind: 'teamsMember', op: 'delete', container, id });
    await untilQuiet(e2e);
    const afterDelete = await stored(name);

    expect(normalizeResourcePath(name)).toBe(`chats/${chatId}/members/${id}`);
    expect(afterCreate?.body).toMatchObject({ id, userId: demo.alexId });
    expect(afterDelete?.deleted).toBe(true);
  });

  it("mirrors chats created and changed as Graph's JSON under chats/{id} (Graph reports no chat deletion)", async () => {
    const { sim, demo } = e2e;
    const T = demo.tenantId;
    const chat = sim.mutate(T, { kind: 'chat', op: 'create', data: { topic: 'Quarterly numbers' } });
    const id = String(chat?.id);
    await untilQuiet(e2e);
    const afterCreate = await stored(`chats('${id}')`);
    sim.mutate(T, { kind: 'chat', op: 'update', id: chatId, data: { topic: 'Design review, round 2' } });
    await untilQuiet(e2e);
    const updated = await stored(`chats('${chatId}')`);

    expect(normalizeResourcePath(`chats('${id}')`)).toBe(`chats/${id}`);
    expect(afterCreate).toEqual({
      body: expect.objectContaining({ id, topic: 'Quarterly numbers', chatType: 'group' }) as unknown,
      deleted: false,
    });
    expect(updated?.body).toMatchObject({ id: chatId, topic: 'Design review, round 2' });
  });

  it("mirrors every channel message of the tenant from teams/getAllMessages as Graph's JSON, and tombstones its deletion", async () => {
    const { sim, demo } = e2e;
    const T = demo.tenantId;
    const channel = sim.mutate(T, { kind: 'channel', op: 'create', teamId, data: { displayName: 'General' } });
    const channelId = String(channel?.id);
    const message = sim.mutate(T, {
      kind: 'channelMessage',
      op: 'create',
      teamId,
      channelId,
      data: { body: { contentType: 'text', content: 'Launch on Monday' } },
    });
    const id = String(message?.id);
    const name = `teams('${teamId}')/channels('${channelId}')/messages('${id}')`;
    await untilQuiet(e2e);
    const afterCreate = await stored(name);
    sim.mutate(T, { kind: 'channelMessage', op: 'delete', teamId, channelId, id });
    await untilQuiet(e2e);
    const afterDelete = await stored(name);

    expect(afterCreate?.body).toMatchObject({
      id,
      channelIdentity: { teamId, channelId },
      body: { content: 'Launch on Monday' },
    });
    expect(afterDelete?.deleted).toBe(true);
  });

  it('writes the decrypted content of a rich Teams notification under the same key, reading nothing from Graph', async () => {
    const { sim, demo, pipeline } = e2e;
    const T = demo.tenantId;
    const team = sim.mutate(T, { kind: 'team', op: 'create', data: { displayName: 'Contoso Rich' } });
    const richTeamId = String(team?.id);
    await untilQuiet(e2e);
    const view = await pipeline.management.create({
      resource: `teams/${richTeamId}/channels`,
      changeType: 'created,updated,deleted',
      includeResourceData: true,
    });
    const readsBefore = sim.graphTraffic().reads;
    const channel = sim.mutate(T, {
      kind: 'channel',
      op: 'create',
      teamId: richTeamId,
      data: { displayName: 'Encrypted' },
    });
    const id = String(channel?.id);
    await untilQuiet(e2e);
    const afterCreate = await stored(`teams('${richTeamId}')/channels('${id}')`);

    expect([view.kind, view.level, view.includeResourceData]).toEqual(['channel', 'mirrored', true]);
    expect(afterCreate).toEqual({
      body: expect.objectContaining({ id, displayName: 'Encrypted' }) as unknown,
      deleted: false,
    });
    expect(sim.graphTraffic().reads).toBe(readsBefore);
  });
});
