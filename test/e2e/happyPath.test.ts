/**
 * End to end, happy path: the demo subscriptions are created through the management API of the running
 * app (Graph's handshake hits the real webhooks, with the function key in the URL), then one change of
 * every resource kind travels Graph → HTTP ingest → queue → processing → sink, basic and rich alike.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compareWithGroundTruth,
  problems,
  readSink,
  startE2ePipeline,
  untilQuiet,
  withoutResponseAnnotations,
  type E2ePipeline,
} from './support';
import { RICH_MESSAGE_SELECT } from '../../dev/run';

let e2e: E2ePipeline;

beforeAll(async () => {
  e2e = await startE2ePipeline();
});

afterAll(async () => {
  await e2e.pipeline.stop();
});

describe('the pipeline on the local host, end to end', () => {
  it('creates the demo subscriptions through the management API, each validated by Graph against the keyed webhooks', async () => {
    const { pipeline, sim } = e2e;

    const listed = await pipeline.management.list();

    expect(pipeline.subscriptionErrors).toEqual([]);
    expect(listed).toHaveLength(8);
    expect(listed.every((view) => view.status === 'active')).toBe(true);
    expect(
      listed
        .filter((view) => view.includeResourceData)
        .map((view) => view.resource)
        .sort(),
    ).toEqual(
      [`chats/${e2e.demo.chatId}/messages`, `users/${e2e.demo.alexId}/messages?$select=${RICH_MESSAGE_SELECT}`].sort(),
    );
    expect(
      sim
        .subscriptions()
        .map((subscription) => subscription.id)
        .sort(),
    ).toEqual(listed.map((view) => view.id).sort());
    // Graph was given the keyed URLs; the management API never shows the key.
    expect(
      sim.subscriptions().every((subscription) => subscription.notificationUrl === pipeline.urls.notificationUrl),
    ).toBe(true);
    expect(pipeline.urls.notificationUrl).toMatch(/\?code=/);
    expect(JSON.stringify(listed)).not.toContain('code=');
  });

  it('mirrors a change of every resource kind into the sink, from basic and rich subscriptions alike', async () => {
    const { sim, demo } = e2e;
    const T = demo.tenantId;
    const adeleContact = sim
      .state(T)
      .find((resource) => resource.kind === 'contact' && resource.path.startsWith(`users/${demo.adeleId}/`));
    const marketing = sim.state(T).find((resource) => resource.kind === 'group');
    const created = {
      user: sim.mutate(T, {
        kind: 'user',
        op: 'create',
        data: { mailNickname: 'nestor', displayName: 'Nestor Wilke' },
      }),
      message: sim.mutate(T, { kind: 'message', op: 'create', userId: demo.adeleId, data: { subject: 'Basic hello' } }),
      event: sim.mutate(T, { kind: 'event', op: 'create', userId: demo.adeleId, data: { subject: 'Planning' } }),
      driveItem: sim.mutate(T, {
        kind: 'driveItem',
        op: 'create',
        driveId: demo.driveId,
        data: { name: 'Budget.xlsx' },
      }),
      chatMessage: sim.mutate(T, {
        kind: 'chatMessage',
        op: 'create',
        chatId: demo.chatId,
        data: { body: { contentType: 'text', content: 'Rich hello' } },
      }),
      richMessage: sim.mutate(T, {
        kind: 'message',
        op: 'create',
        userId: demo.alexId,
        data: { subject: 'Rich mail' },
      }),
    };
    sim.mutate(T, { kind: 'group', op: 'update', id: marketing?.id ?? '', data: { description: 'Changed' } });
    sim.mutate(T, { kind: 'contact', op: 'delete', userId: demo.adeleId, id: adeleContact?.id ?? '' });

    const status = await untilQuiet(e2e);
    const sink = await readSink(e2e.pipeline);
    const truth = await compareWithGroundTruth(e2e);

    const stored = (path: string): Record<string, unknown> | undefined => {
      const entry = sink.get(path.toLowerCase());
      return entry === undefined ? undefined : withoutResponseAnnotations(entry.body);
    };
    expect(stored(`users/${String(created.user?.id)}`)).toMatchObject({ displayName: 'Nestor Wilke' });
    expect(stored(`groups/${marketing?.id ?? ''}`)).toMatchObject({ description: 'Changed' });
    expect(stored(`users/${demo.adeleId}/messages/${String(created.message?.id)}`)).toMatchObject({
      subject: 'Basic hello',
    });
    expect(stored(`users/${demo.adeleId}/events/${String(created.event?.id)}`)).toMatchObject({ subject: 'Planning' });
    expect(stored(`drives/${demo.driveId}/items/${String(created.driveItem?.id)}`)).toMatchObject({
      name: 'Budget.xlsx',
    });
    expect(stored(`chats/${demo.chatId}/messages/${String(created.chatMessage?.id)}`)).toMatchObject({
      body: { content: 'Rich hello' },
    });
    expect(stored(`users/${demo.alexId}/messages/${String(created.richMessage?.id)}`)).toMatchObject({
      subject: 'Rich mail',
    });
    expect(sink.get(`users/${demo.adeleId}/contacts/${adeleContact?.id ?? ''}`.toLowerCase())).toEqual({
      body: { id: adeleContact?.id, '@removed': { reason: 'deleted' } },
      deleted: true,
    });
    // Everything that reached the sink is exactly what Graph holds; nothing live is stale.
    expect(truth.different).toEqual([]);
    expect(truth.stale).toEqual([]);
    expect(sim.deliverySummary()).toMatchObject({
      pending: 0,
      dropped: 0,
      discarded: 0,
      abandoned: 0,
      delivered: sim.deliverySummary().total,
    });
    expect(status).toMatchObject({
      failures: 0,
      poison: 0,
      received: sim.deliverySummary().total,
      enqueued: sim.deliverySummary().total,
    });
    expect(problems(e2e.logs)).toEqual([]);
  });
});
