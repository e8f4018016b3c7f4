import { describe, expect, it } from 'vitest';
import { MemoryChangeSink } from '../../../src/adapters/memory/memoryChangeSink';
import { MemoryLeaseStore } from '../../../src/adapters/memory/memoryLeaseStore';
import { MemoryFailureLog } from '../../../src/adapters/memory/memoryFailureLog';
import { MemoryMessageQueue } from '../../../src/adapters/memory/memoryMessageQueue';
import {
  GraphAccessDenied,
  GraphAuthenticationFailed,
  GraphDeltaResyncRequired,
  GraphResourceNotFound,
  GraphThrottled,
  GraphUnavailable,
  type GraphDeltaPage,
  type GraphReadRequest,
  type GraphReadResult,
} from '../../../src/lib/graph';
import { parseQueueEnvelope, type NotificationEnvelope } from '../../../src/lib/notifications';
import { processNotifications, type ProcessingDependencies, type RichContentOpener } from '../../../src/lib/processing';
import { normalizeResourcePath } from '../../../src/lib/resources';
import { ManualClock } from '../../../src/lib/shared/clock';
import { GraphNotifyError } from '../../../src/lib/shared/errors';
import { silentLogger } from '../../../src/lib/shared/logger';
import { TENANT_ID, USER_ID } from '../../support/notificationFactories';

type Entity = Record<string, unknown>;

/** Stands in for Graph in these unit tests: answers reads from a map and records every request. */
class FakeGraph {
  readonly entities = new Map<string, Entity>();
  readonly batches: GraphReadRequest[][] = [];
  readonly deltaStarts: string[] = [];
  failures = new Map<string, () => GraphReadResult>();
  deltaPagesByStart = new Map<string, GraphDeltaPage[] | Error>();

  batchGet(_tenantId: string, requests: readonly GraphReadRequest[]): Promise<GraphReadResult[]> {
    this.batches.push([...requests]);
    return Promise.resolve(
      requests.map((request) => {
        const path = request.path.split('?')[0] ?? '';
        const failure = this.failures.get(path);
        if (failure !== undefined) return failure();
        const entity = this.entities.get(path);
        return entity === undefined
          ? { ok: false, error: new GraphResourceNotFound('gone', { status: 404 }) }
          : { ok: true, status: 200, body: entity, etag: undefined };
      }),
    );
  }

  async *deltaPages(_tenantId: string, start: string): AsyncGenerator<GraphDeltaPage, void, undefined> {
    this.deltaStarts.push(start);
    const pages = this.deltaPagesByStart.get(start);
    if (pages === undefined) throw new Error(`no delta scripted for ${start}`);
    if (pages instanceof Error) throw pages;
    for (const page of pages) {
      await Promise.resolve();
      yield page;
    }
  }

  get reads(): number {
    return this.batches.reduce((sum, batch) => sum + batch.length, 0);
  }
}

const acceptAllRich: RichContentOpener = {
  verifyTokens: () => Promise.resolve(),
  decrypt: (content) => JSON.parse(Buffer.from(content.data, 'base64').toString('utf8')) as Record<string, unknown>,
};

function setup(rich: RichContentOpener = acceptAllRich) {
  const graph = new FakeGraph();
  const sink = new MemoryChangeSink();
  const leases = new MemoryLeaseStore();
  const failures = new MemoryFailureLog();
  const notificationsQueue = new MemoryMessageQueue();
  const clock = new ManualClock('2026-05-01T10:00:05.000Z');
  const deps: ProcessingDependencies = {
    graph,
    sink,
    leases,
    failures,
    notificationsQueue,
    rich,
    select: { message: 'id,subject' },
    clock,
    log: silentLogger,
  };
  return { graph, sink, leases, failures, notificationsQueue, clock, deps };
}

let counter = 0;
function envelope(
  items: Entity[],
  receivedAt = '2026-05-01T10:00:00.000Z',
  validationTokens?: string[],
): NotificationEnvelope {
  counter += 1;
  return {
    v: 1,
    kind: 'notifications',
    id: `m-${counter}`,
    receivedAt,
    items,
    ...(validationTokens === undefined ? {} : { validationTokens }),
  };
}

const messagePath = (id: string): string => `users/${USER_ID}/messages/${id}`;
const messageItem = (id: string, changeType = 'updated'): Entity => ({
  subscriptionId: 'sub-mail',
  tenantId: TENANT_ID,
  changeType,
  resource: `Users/${USER_ID}/Messages/${id}`,
  resourceData: { id },
});
const driveItem = (): Entity => ({
  subscriptionId: 'sub-drive',
  tenantId: TENANT_ID,
  changeType: 'updated',
  resource: 'drives/b!d1/root/',
  resourceData: null,
});

describe('processNotifications', () => {
  it('reads 10 resources once each for 100 notifications, in one $batch call', async () => {
    const { graph, sink, deps } = setup();
    for (let n = 0; n < 10; n += 1)
      graph.entities.set(`/${messagePath(`m${n}`)}`, { id: `m${n}`, subject: `s${n}`, '@odata.etag': `W/"${n}"` });
    const items = Array.from({ length: 100 }, (_, n) => messageItem(`m${n % 10}`));

    const result = await processNotifications(envelope(items), deps);

    expect(graph.reads).toBe(10);
    expect(graph.batches).toHaveLength(1);
    expect(graph.batches[0]?.[0]?.path).toBe(`/${messagePath('m0')}?$select=id,subject`);
    expect(result).toMatchObject({ items: 100, graphReads: 10, readsSaved: 90, writes: { written: 10 } });
    expect(sink.states.get(MemoryChangeSink.key(TENANT_ID, messagePath('m3')))).toMatchObject({
      etag: 'W/"3"',
      body: { subject: 's3' },
      observedAt: '2026-05-01T10:00:05.000Z',
      receivedAt: '2026-05-01T10:00:00.000Z',
    });
  });

  it('reads a deleted resource like any other, in the same $batch: a 404 writes the tombstone', async () => {
    const { graph, sink, deps } = setup();

    await processNotifications(envelope([messageItem('gone', 'deleted'), messageItem('vanished', 'updated')]), deps);

    expect(graph.reads).toBe(2);
    expect(graph.batches).toHaveLength(1);
    expect(sink.states.get(MemoryChangeSink.key(TENANT_ID, messagePath('gone')))).toMatchObject({
      body: undefined,
      changeType: 'deleted',
      observedAt: '2026-05-01T10:00:05.000Z',
    });
    expect(sink.states.get(MemoryChangeSink.key(TENANT_ID, messagePath('vanished')))).toMatchObject({
      body: undefined,
      changeType: 'deleted',
    });
  });

  it('writes a tombstone when Graph answers a read with a Teams message whose deletedDateTime is set', async () => {
    // Teams deletes softly: a deleted channel message still answers 200, marked by its deletedDateTime.
    const { graph, sink, deps } = setup();
    const path = 'teams/t1/channels/19:c@thread.tacv2/messages/1';
    graph.entities.set(`/${path}`, { id: '1', deletedDateTime: '2026-05-01T09:59:00Z', body: { content: '' } });
    graph.entities.set(`/${messagePath('live')}`, { id: 'live', deletedDateTime: null, subject: 'still here' });
    const deleted = {
      ...messageItem('x', 'deleted'),
      resource: "teams('t1')/channels('19:c@thread.tacv2')/messages('1')",
    };

    await processNotifications(envelope([deleted, messageItem('live')]), deps);

    expect(sink.states.get(MemoryChangeSink.key(TENANT_ID, path))).toMatchObject({
      body: undefined,
      changeType: 'deleted',
    });
    expect(sink.states.get(MemoryChangeSink.key(TENANT_ID, messagePath('live')))).toMatchObject({
      body: { subject: 'still here' },
    });
  });

  it('believes no forged deletion: live users, groups and messages stay in the sink, one read each', async () => {
    // Anyone who saw one genuine POST holds its clientState and can send `deleted` for any resource.
    const { graph, sink, deps } = setup();
    const live: [resource: string, path: string, entity: Entity][] = [
      [`Users/${USER_ID}`, `users/${USER_ID}`, { id: USER_ID, displayName: 'Adele' }],
      ['Groups/g1', 'groups/g1', { id: 'g1', displayName: 'Sales' }],
      [`Users/${USER_ID}/Messages/m1`, messagePath('m1'), { id: 'm1', subject: 'still here' }],
    ];
    for (const [, path, entity] of live) graph.entities.set(`/${path}`, entity);
    const forged = live.map(([resource]) => ({ ...messageItem('x', 'deleted'), resource }));

    const result = await processNotifications(envelope([...forged, messageItem('really-gone', 'deleted')]), deps);

    expect(graph.reads).toBe(4);
    expect(result.graphReads).toBe(4);
    for (const [, path, entity] of live)
      expect(sink.states.get(MemoryChangeSink.key(TENANT_ID, path)), path).toMatchObject({ body: entity });
    expect(sink.states.get(MemoryChangeSink.key(TENANT_ID, messagePath('really-gone')))?.body).toBeUndefined();
  });

  it('skips the read when the sink already holds state observed after the message arrived', async () => {
    const { graph, deps, clock } = setup();
    graph.entities.set(`/${messagePath('a')}`, { id: 'a' });
    await processNotifications(envelope([messageItem('a')], '2026-05-01T10:00:00.000Z'), deps);
    clock.advance(60_000);

    const result = await processNotifications(envelope([messageItem('a')], '2026-05-01T10:00:01.000Z'), deps);

    expect(graph.reads).toBe(1);
    expect(result.readsSaved).toBe(1);
  });

  it('puts throttled reads back on the queue with the Retry-After delay and completes the message', async () => {
    const { graph, notificationsQueue, sink, deps } = setup();
    graph.entities.set(`/${messagePath('ok')}`, { id: 'ok' });
    graph.failures.set(`/${messagePath('busy')}`, () => ({
      ok: false,
      error: new GraphThrottled('slow down', { retryAfterMs: 7_500, retryAfterFromHeader: true }, { status: 429 }),
    }));
    const original = envelope([messageItem('ok'), messageItem('busy')]);

    const result = await processNotifications(original, deps);

    expect(result.requeued).toBe(1);
    expect(notificationsQueue.sent).toHaveLength(1);
    expect(notificationsQueue.sent[0]?.visibilityDelaySeconds).toBe(8);
    const next = parseQueueEnvelope(notificationsQueue.sent[0]?.text);
    expect(next).toMatchObject({ receivedAt: original.receivedAt, items: [messageItem('busy')] });
    expect(sink.states.has(MemoryChangeSink.key(TENANT_ID, messagePath('ok')))).toBe(true);
  });

  it('fails the invocation on a transient error after writing everything else', async () => {
    const { graph, sink, deps } = setup();
    graph.entities.set(`/${messagePath('ok')}`, { id: 'ok' });
    graph.failures.set(`/${messagePath('flaky')}`, () => ({
      ok: false,
      error: new GraphUnavailable(
        '503',
        'status',
        { retryAfterMs: 10_000, retryAfterFromHeader: false },
        { status: 503 },
      ),
    }));

    await expect(processNotifications(envelope([messageItem('ok'), messageItem('flaky')]), deps)).rejects.toMatchObject(
      { code: 'ERR_GRAPH_UNAVAILABLE' },
    );
    expect(sink.states.has(MemoryChangeSink.key(TENANT_ID, messagePath('ok')))).toBe(true);
  });

  it("retries the message when Graph refuses the app's token (401), recording no permanent failure", async () => {
    const { graph, sink, failures, deps } = setup();
    graph.entities.set(`/${messagePath('ok')}`, { id: 'ok' });
    graph.failures.set(`/${messagePath('locked')}`, () => ({
      ok: false,
      error: new GraphAuthenticationFailed('401', { status: 401, graphCode: 'InvalidAuthenticationToken' }),
    }));

    await expect(
      processNotifications(envelope([messageItem('ok'), messageItem('locked')]), deps),
    ).rejects.toMatchObject({ code: 'ERR_GRAPH_AUTH_FAILED' });
    expect(sink.states.has(MemoryChangeSink.key(TENANT_ID, messagePath('ok')))).toBe(true);
    expect(failures.failures.size).toBe(0);
  });

  it('records a 403 once as a permanent failure and does not retry', async () => {
    const { graph, failures, notificationsQueue, deps } = setup();
    graph.failures.set(`/${messagePath('secret')}`, () => ({
      ok: false,
      error: new GraphAccessDenied('Access denied', { status: 403, graphCode: 'ErrorAccessDenied' }),
    }));

    const result = await processNotifications(envelope([messageItem('secret'), messageItem('secret')]), deps);

    expect(result.failedPermanently).toBe(1);
    expect([...failures.failures.values()]).toEqual([
      expect.objectContaining({
        reason: 'access-denied',
        resourcePath: messagePath('secret'),
        subscriptionId: 'sub-mail',
      }),
    ]);
    expect(notificationsQueue.sent).toHaveLength(0);
  });

  it('writes the notification itself for a resource of no listed kind (an unlisted subscription), reading nothing', async () => {
    const { graph, sink, failures, deps } = setup();
    const item = {
      ...messageItem('x'),
      subscriptionId: 'sub-virtual-events',
      resource: 'solutions/virtualEvents/events/a1',
    };

    const result = await processNotifications(envelope([item]), deps);

    expect(graph.reads).toBe(0);
    expect(failures.failures.size).toBe(0);
    expect(result.writes.written).toBe(1);
    expect(sink.states.get(MemoryChangeSink.key(TENANT_ID, 'solutions/virtualevents/events/a1'))).toMatchObject({
      changeType: 'updated',
      subscriptionId: 'sub-virtual-events',
      observedAt: '2026-05-01T10:00:00.000Z',
      body: item,
    });
  });

  it('writes a tombstone for a deleted resource of no listed kind', async () => {
    const { sink, deps } = setup();
    const resource = 'solutions/virtualEvents/events/a1';
    await processNotifications(envelope([{ ...messageItem('x'), resource }]), deps);

    await processNotifications(
      envelope([{ ...messageItem('x', 'deleted'), resource }], '2026-05-01T10:00:01.000Z'),
      deps,
    );

    expect(sink.states.get(MemoryChangeSink.key(TENANT_ID, resource.toLowerCase()))).toMatchObject({
      changeType: 'deleted',
      body: undefined,
    });
  });

  it('runs the delta of a SharePoint list its notification names, writing each item under the list', async () => {
    const { graph, sink, deps } = setup();
    graph.deltaPagesByStart.set('/sites/s1/lists/l1/items/delta', [
      {
        items: [{ kind: 'changed', id: '7', entity: { id: '7', fields: { Title: 'row' } } }],
        nextLink: undefined,
        deltaLink: 'https://graph/delta?token=1',
      },
    ]);

    const result = await processNotifications(
      envelope([{ ...driveItem(), subscriptionId: 'sub-list', resource: "sites('s1')/lists('l1')" }]),
      deps,
    );

    expect(result.deltaRuns).toBe(1);
    expect(sink.states.get(MemoryChangeSink.key(TENANT_ID, 'sites/s1/lists/l1/items/7'))).toMatchObject({
      body: { id: '7', fields: { Title: 'row' } },
    });
  });

  it('converges on the same sink state whatever the order and however often messages are processed', async () => {
    // `a` is updated, read at 10:00:05, then deleted in Graph; its deletion's notification is read at 10:00:15.
    const first = setup();
    const second = setup();
    first.graph.entities.set(`/${messagePath('a')}`, { id: 'a', subject: 'v1' });
    const older = envelope([messageItem('a')], '2026-05-01T10:00:00.000Z');
    const newer = envelope([messageItem('a', 'deleted')], '2026-05-01T10:00:10.000Z');
    first.clock.set('2026-05-01T10:00:05.000Z');
    second.clock.set('2026-05-01T10:00:15.000Z');

    await processNotifications(older, first.deps);
    first.graph.entities.delete(`/${messagePath('a')}`);
    first.clock.set('2026-05-01T10:00:15.000Z');
    await processNotifications(newer, first.deps);
    await processNotifications(older, first.deps);
    await processNotifications(newer, second.deps);
    await processNotifications(older, second.deps);

    expect([...first.sink.states.entries()]).toEqual([...second.sink.states.entries()]);
    expect(first.sink.states.get(MemoryChangeSink.key(TENANT_ID, messagePath('a')))?.body).toBeUndefined();
  });

  it('runs delta for a drive root, pages through it and keeps the delta link', async () => {
    const { graph, sink, leases, deps } = setup();
    graph.deltaPagesByStart.set('/drives/b!d1/root/delta', [
      {
        items: [{ kind: 'changed', id: 'i1', entity: { id: 'i1', name: 'a.txt' } }],
        nextLink: 'https://graph/next',
        deltaLink: undefined,
      },
      {
        items: [{ kind: 'removed', id: 'i2', reason: 'deleted', entity: { id: 'i2', deleted: {} } }],
        nextLink: undefined,
        deltaLink: 'https://graph/delta?token=1',
      },
    ]);
    graph.deltaPagesByStart.set('https://graph/delta?token=1', [
      { items: [], nextLink: undefined, deltaLink: 'https://graph/delta?token=2' },
    ]);

    const first = await processNotifications(envelope([driveItem(), driveItem()]), deps);
    await processNotifications(envelope([driveItem()]), deps);

    expect(first).toMatchObject({ deltaRuns: 1, graphReads: 2, writes: { written: 2 } });
    expect(graph.deltaStarts).toEqual(['/drives/b!d1/root/delta', 'https://graph/delta?token=1']);
    expect(sink.states.get(MemoryChangeSink.key(TENANT_ID, 'drives/b!d1/items/i1'))?.body).toEqual({
      id: 'i1',
      name: 'a.txt',
    });
    expect(sink.states.get(MemoryChangeSink.key(TENANT_ID, 'drives/b!d1/items/i2'))?.body).toBeUndefined();
    expect(leases.rows.get(`${TENANT_ID}|drives/b!d1/root`)?.deltaLink).toBe('https://graph/delta?token=2');
  });

  it('resyncs a drive from scratch when its delta link has expired (410)', async () => {
    const { graph, leases, deps } = setup();
    leases.rows.set(`${TENANT_ID}|drives/b!d1/root`, { deltaLink: 'https://graph/old', owner: undefined, until: 0 });
    graph.deltaPagesByStart.set('https://graph/old', new GraphDeltaResyncRequired('gone', undefined, { status: 410 }));
    graph.deltaPagesByStart.set('/drives/b!d1/root/delta', [
      { items: [], nextLink: undefined, deltaLink: 'https://graph/fresh' },
    ]);

    await processNotifications(envelope([driveItem()]), deps);

    expect(graph.deltaStarts).toEqual(['https://graph/old', '/drives/b!d1/root/delta']);
    expect(leases.rows.get(`${TENANT_ID}|drives/b!d1/root`)?.deltaLink).toBe('https://graph/fresh');
  });

  it('puts a drive notification back when another run holds the drive', async () => {
    const { leases, notificationsQueue, deps, clock } = setup();
    await leases.tryAcquire(TENANT_ID, 'drives/b!d1/root', clock.now(), 60_000);

    const result = await processNotifications(envelope([driveItem()]), deps);

    expect(result.requeued).toBe(1);
    expect(notificationsQueue.sent[0]?.visibilityDelaySeconds).toBe(5);
  });

  it('decrypts rich notifications without reading Graph, and rejects those that fail', async () => {
    const rich: RichContentOpener = {
      verifyTokens: () => Promise.resolve(),
      decrypt: (content) => {
        if (content.encryptionCertificateId !== 'cert-1')
          throw new GraphNotifyError('ERR_DECRYPTION_FAILED', 'unknown certificate');
        return { id: 'r1', subject: 'secret subject' };
      },
    };
    const { graph, sink, deps } = setup(rich);
    const encrypted = (certificateId: string) => ({
      data: 'AA==',
      dataKey: 'AA==',
      dataSignature: 'AA==',
      encryptionCertificateId: certificateId,
    });

    const result = await processNotifications(
      envelope(
        [
          { ...messageItem('r1', 'created'), encryptedContent: encrypted('cert-1') },
          { ...messageItem('r2', 'created'), encryptedContent: encrypted('cert-x') },
        ],
        undefined,
        ['jwt'],
      ),
      deps,
    );

    expect(graph.reads).toBe(0);
    expect(result.rejected).toBe(1);
    expect(sink.states.get(MemoryChangeSink.key(TENANT_ID, messagePath('r1')))?.body).toEqual({
      id: 'r1',
      subject: 'secret subject',
    });
    expect(sink.states.has(MemoryChangeSink.key(TENANT_ID, messagePath('r2')))).toBe(false);
  });

  it('keeps the newest rich snapshot and the tombstone when Graph delivers rich notifications out of order', async () => {
    const { sink, deps } = setup();
    const rich = (id: string, changeType: string, content?: Entity): Entity => ({
      ...messageItem(id, changeType),
      ...(content === undefined
        ? {}
        : {
            encryptedContent: {
              data: Buffer.from(JSON.stringify(content)).toString('base64'),
              dataKey: 'k',
              dataSignature: 's',
              encryptionCertificateId: 'c',
            },
          }),
    });
    const older = { id: 'r1', subject: 'first draft', lastModifiedDateTime: '2026-05-01T09:59:00Z' };
    const newer = { id: 'r1', subject: 'final', lastModifiedDateTime: '2026-05-01T09:59:30.1234567Z' };

    await processNotifications(envelope([rich('r1', 'updated', newer)], '2026-05-01T10:00:00.000Z', ['jwt']), deps);
    const late = await processNotifications(
      envelope([rich('r1', 'updated', older)], '2026-05-01T10:00:02.000Z', ['jwt']),
      deps,
    );
    await processNotifications(envelope([rich('r2', 'deleted')], '2026-05-01T10:00:03.000Z', ['jwt']), deps);
    const resurrecting = await processNotifications(
      envelope(
        [rich('r2', 'created', { id: 'r2', subject: 'before deletion', lastModifiedDateTime: '2026-05-01T09:58:00Z' })],
        '2026-05-01T10:00:04.000Z',
        ['jwt'],
      ),
      deps,
    );

    expect(late.writes.stale).toBe(1);
    expect(sink.states.get(MemoryChangeSink.key(TENANT_ID, messagePath('r1')))).toMatchObject({
      body: { subject: 'final' },
      observedAt: '2026-05-01T09:59:30.123Z',
    });
    expect(resurrecting.writes.stale).toBe(1);
    expect(sink.states.get(MemoryChangeSink.key(TENANT_ID, messagePath('r2')))).toMatchObject({
      body: undefined,
      changeType: 'deleted',
    });
  });

  it("keeps the whole rich content of a kind with no read: a meeting call event's roster annotations", async () => {
    const { graph, sink, deps } = setup();
    const meeting =
      "communications/onlineMeetings?$filter=joinWebUrl+eq+'https://teams.microsoft.com/l/meetup-join/19%3ameeting_a%40thread.v2/0'";
    const event = {
      '@odata.type': '#Microsoft.Graph.onlineMeeting',
      '@odata.id': meeting,
      id: meeting,
      eventType: 'Microsoft.Communication.CallRosterUpdate',
      'activeParticipants@joined': [{ id: 'User', identity: { User: { Id: USER_ID } } }],
    };
    const item = {
      ...messageItem('x'),
      resource: meeting,
      encryptedContent: {
        data: Buffer.from(JSON.stringify(event)).toString('base64'),
        dataKey: 'k',
        dataSignature: 's',
        encryptionCertificateId: 'c',
      },
    };

    await processNotifications(envelope([item], '2026-05-01T10:00:00.000Z', ['jwt']), deps);

    expect(graph.reads).toBe(0);
    expect(sink.states.get(MemoryChangeSink.key(TENANT_ID, normalizeResourcePath(meeting)))?.body).toEqual(event);
  });

  it("leaves Outlook's type annotations out of the tie's $select and out of the sink", async () => {
    const { graph, sink, deps } = setup();
    const rich = (content: Entity): Entity => ({
      ...messageItem('r1', 'updated'),
      encryptedContent: {
        data: Buffer.from(JSON.stringify(content)).toString('base64'),
        dataKey: 'k',
        dataSignature: 's',
        encryptionCertificateId: 'c',
      },
    });
    const sameSecond = '2026-05-01T09:59:30Z';
    const annotated = (etag: string, subject: string): Entity => ({
      '@odata.type': '#microsoft.graph.message',
      '@odata.etag': etag,
      id: 'r1',
      subject,
      lastModifiedDateTime: sameSecond,
      'lastModifiedDateTime@odata.type': '#DateTimeOffset',
    });
    graph.entities.set(`/${messagePath('r1')}`, {
      '@odata.etag': 'W/"v2"',
      id: 'r1',
      subject: 'final',
      lastModifiedDateTime: sameSecond,
    });

    await processNotifications(
      envelope([rich(annotated('W/"v1"', 'first'))], '2026-05-01T10:00:00.000Z', ['jwt']),
      deps,
    );
    const stored = sink.states.get(MemoryChangeSink.key(TENANT_ID, messagePath('r1')))?.body;
    await processNotifications(
      envelope([rich(annotated('W/"v2"', 'final'))], '2026-05-01T10:00:02.000Z', ['jwt']),
      deps,
    );

    expect(stored).not.toHaveProperty(['lastModifiedDateTime@odata.type']);
    expect(stored).toMatchObject({ '@odata.etag': 'W/"v1"', subject: 'first' });
    expect(graph.batches).toEqual([[{ path: `/${messagePath('r1')}?$select=id,subject,lastModifiedDateTime` }]]);
  });

  it('reads Graph, with the properties the rich content carried, when two versions share a lastModifiedDateTime', async () => {
    // Outlook gives lastModifiedDateTime to the second: two updates in one second carry the same one, so
    // a late older snapshot cannot be told from a newer one by it.
    const { graph, sink, deps } = setup();
    const rich = (content: Entity): Entity => ({
      ...messageItem('r1', 'updated'),
      encryptedContent: {
        data: Buffer.from(JSON.stringify(content)).toString('base64'),
        dataKey: 'k',
        dataSignature: 's',
        encryptionCertificateId: 'c',
      },
    });
    const sameSecond = '2026-05-01T09:59:30Z';
    const newer = { '@odata.etag': 'W/"v2"', id: 'r1', subject: 'final', lastModifiedDateTime: sameSecond };
    const older = { '@odata.etag': 'W/"v1"', id: 'r1', subject: 'first draft', lastModifiedDateTime: sameSecond };
    graph.entities.set(`/${messagePath('r1')}`, { ...newer, bodyPreview: 'not selected by the subscription' });

    const first = await processNotifications(envelope([rich(newer)], '2026-05-01T10:00:00.000Z', ['jwt']), deps);
    const late = await processNotifications(envelope([rich(older)], '2026-05-01T10:00:02.000Z', ['jwt']), deps);

    expect(first.graphReads).toBe(0);
    expect(late.writes).toMatchObject({ tied: 1, written: 1 });
    expect(graph.batches).toEqual([[{ path: `/${messagePath('r1')}?$select=id,subject,lastModifiedDateTime` }]]);
    expect(sink.states.get(MemoryChangeSink.key(TENANT_ID, messagePath('r1')))).toMatchObject({
      etag: 'W/"v2"',
      body: { subject: 'final' },
      observedAt: '2026-05-01T10:00:05.000Z',
    });
  });

  describe('rich content must name the resource it arrived for', () => {
    const rich = (resource: string, content: Entity, changeType = 'updated'): Entity => ({
      ...messageItem('x', changeType),
      resource,
      encryptedContent: {
        data: Buffer.from(JSON.stringify(content)).toString('base64'),
        dataKey: 'k',
        dataSignature: 's',
        encryptionCertificateId: 'c',
      },
    });
    const messageResource = (id: string): string => `Users/${USER_ID}/Messages/${id}`;

    it('rejects content replayed under another resource (another message, a resource of another kind)', async () => {
      const { graph, sink, deps } = setup();
      graph.entities.set(`/users/${USER_ID}`, { id: USER_ID, displayName: 'Adele' });
      await processNotifications(
        envelope(
          [
            rich(messageResource('r2'), { id: 'r2', subject: 'mine' }),
            { ...messageItem('u'), resource: `Users/${USER_ID}` },
          ],
          '2026-05-01T10:00:00.000Z',
          ['jwt'],
        ),
        deps,
      );
      const captured = { id: 'r1', subject: 'secret', lastModifiedDateTime: '2026-05-01T10:00:01Z' };

      const replay = await processNotifications(
        envelope(
          [rich(messageResource('r2'), captured), rich(`Users/${USER_ID}`, captured)],
          '2026-05-01T10:00:02.000Z',
          ['jwt'],
        ),
        deps,
      );

      expect(replay).toMatchObject({ rejected: 2, richContentMismatch: 2, graphReads: 0, writes: { written: 0 } });
      expect(sink.states.get(MemoryChangeSink.key(TENANT_ID, messagePath('r2')))?.body).toEqual({
        id: 'r2',
        subject: 'mine',
      });
      expect(sink.states.get(MemoryChangeSink.key(TENANT_ID, `users/${USER_ID}`))?.body).toEqual({
        id: USER_ID,
        displayName: 'Adele',
      });
    });

    it('reads Graph, with the properties it carried, for content that names no resource', async () => {
      const { graph, sink, deps } = setup();
      graph.entities.set(`/${messagePath('r1')}`, { id: 'r1', subject: 'from Graph' });

      const result = await processNotifications(
        envelope([rich(messageResource('r1'), { subject: 'unproven' })], undefined, ['jwt']),
        deps,
      );

      expect(result).toMatchObject({ rejected: 0, graphReads: 1 });
      expect(graph.batches).toEqual([[{ path: `/${messagePath('r1')}?$select=subject` }]]);
      expect(sink.states.get(MemoryChangeSink.key(TENANT_ID, messagePath('r1')))?.body).toEqual({
        id: 'r1',
        subject: 'from Graph',
      });
    });

    it('believes a rich deletion without a read only when its content shows the deletion', async () => {
      // A genuine update's content under a forged changeType: read, and the message is alive.
      const { graph, sink, deps } = setup();
      graph.entities.set(`/${messagePath('r1')}`, { id: 'r1', subject: 'alive' });

      const result = await processNotifications(
        envelope(
          [
            rich(messageResource('r1'), { id: 'r1', subject: 'alive' }, 'deleted'),
            rich(messageResource('r3'), { id: 'r3', deletedDateTime: '2026-05-01T09:59:59Z' }, 'deleted'),
          ],
          undefined,
          ['jwt'],
        ),
        deps,
      );

      expect(result.graphReads).toBe(1);
      expect(sink.states.get(MemoryChangeSink.key(TENANT_ID, messagePath('r1')))?.body).toEqual({
        id: 'r1',
        subject: 'alive',
      });
      expect(sink.states.get(MemoryChangeSink.key(TENANT_ID, messagePath('r3')))).toMatchObject({
        body: undefined,
        changeType: 'deleted',
      });
    });
  });

  it('rejects every rich item when the validation tokens fail, and retries when the signing keys are unreachable', async () => {
    const forged = setup({
      ...acceptAllRich,
      verifyTokens: () => Promise.reject(new GraphNotifyError('ERR_VALIDATION_TOKEN_INVALID', 'bad audience')),
    });
    const offline = setup({
      ...acceptAllRich,
      verifyTokens: () => Promise.reject(new GraphNotifyError('ERR_VALIDATION_KEYS_UNAVAILABLE', 'jwks down')),
    });
    const richItem = {
      ...messageItem('r1', 'created'),
      encryptedContent: {
        data: Buffer.from('{"id":"r1"}').toString('base64'),
        dataKey: 'k',
        dataSignature: 's',
        encryptionCertificateId: 'c',
      },
    };

    const result = await processNotifications(envelope([richItem], undefined, ['jwt']), forged.deps);

    expect(result.rejected).toBe(1);
    expect(forged.sink.states.size).toBe(0);
    await expect(processNotifications(envelope([richItem], undefined, ['jwt']), offline.deps)).rejects.toMatchObject({
      code: 'ERR_VALIDATION_KEYS_UNAVAILABLE',
    });
  });
  it('accepts rich items without validation tokens only from an envelope its Event Hubs adapter marked, and still decrypts them', async () => {
    // As the real opener does: no token covers the tenant, so verification fails.
    const strict = setup({
      ...acceptAllRich,
      verifyTokens: (tokens) =>
        tokens.length === 0 || tokens.includes('forged')
          ? Promise.reject(new GraphNotifyError('ERR_VALIDATION_TOKEN_INVALID', 'no token for the tenant'))
          : Promise.resolve(),
    });
    const richItem = (id: string, data: string): Entity => ({
      ...messageItem(id, 'created'),
      encryptedContent: { data, dataKey: 'k', dataSignature: 's', encryptionCertificateId: 'c' },
    });
    const content = (id: string): string => Buffer.from(JSON.stringify({ id, subject: id })).toString('base64');
    const byHub = (items: Entity[], validationTokens?: string[]): NotificationEnvelope => ({
      ...envelope(items, undefined, validationTokens),
      authenticatedRoute: 'eventHubs',
    });

    const unmarked = await processNotifications(envelope([richItem('web', content('web'))]), strict.deps);
    const marked = await processNotifications(
      byHub([richItem('hub', content('hub')), richItem('garbled', 'not base64 json')]),
      strict.deps,
    );
    const markedForged = await processNotifications(
      byHub([richItem('forged', content('forged'))], ['forged']),
      strict.deps,
    );

    expect(unmarked.rejected).toBe(1);
    // The content is still decrypted (and its signature checked): the garbled item is refused.
    expect(marked.rejected).toBe(1);
    expect(markedForged.rejected).toBe(1);
    expect([...strict.sink.states.keys()].filter((key) => key.includes('/messages/'))).toHaveLength(1);
    expect([...strict.sink.states.keys()].some((key) => key.endsWith('/messages/hub'))).toBe(true);
    expect(strict.graph.reads).toBe(0);
  });
});
