import { describe, expect, it } from 'vitest';
import { MemoryChangeSink } from '../../../src/adapters/memory/memoryChangeSink';
import { GraphResourceNotFound, GraphThrottled, type GraphRequest, type GraphResponse } from '../../../src/lib/graph';
import type { ResourceState } from '../../../src/lib/processing';
import { tombstoneUnlisted } from '../../../src/lib/resync';
import { ManualClock } from '../../../src/lib/shared/clock';

const TENANT = 'tenant-1';
const LISTING_STARTED_AT = '2026-05-01T10:00:00.000Z';
const scope = { tenantId: TENANT, collectionPath: 'users/u1/messages', subscriptionId: 'sub-1' };

function held(resourcePath: string, overrides: Partial<ResourceState> = {}): ResourceState {
  return {
    tenantId: TENANT,
    resourcePath,
    changeType: 'created',
    subscriptionId: 'sub-1',
    etag: 'W/"1"',
    observedAt: '2026-05-01T09:00:00.000Z',
    receivedAt: undefined,
    body: { id: resourcePath },
    ...overrides,
  };
}

/** Answers GETs by path: 200 for what Graph still holds, 404 otherwise, or the scripted failure. */
function graphHolding(present: readonly string[], failFor: ReadonlyMap<string, Error> = new Map()) {
  const requested: string[] = [];
  return {
    requested,
    send(_tenantId: string, request: GraphRequest): Promise<GraphResponse<unknown>> {
      const path = request.path.replace(/^\//, '').split('?')[0] ?? '';
      requested.push(path);
      const failure = failFor.get(path);
      if (failure !== undefined) return Promise.reject(failure);
      if (!present.includes(path)) return Promise.reject(new GraphResourceNotFound('gone', { status: 404 }));
      return Promise.resolve({ status: 200, body: { id: path }, requestId: undefined, clientRequestId: 'c' });
    },
  };
}

describe('tombstoneUnlisted (the sweep after a full listing)', () => {
  it('tombstones only unlisted live entries observed before the listing that Graph answers 404 for', async () => {
    const sink = new MemoryChangeSink();
    for (const state of [
      held('users/u1/messages/listed'),
      held('users/u1/messages/gone'),
      held('users/u1/messages/created-meanwhile'),
      held('users/u1/messages/written-after-start', { observedAt: '2026-05-01T10:00:01.000Z' }),
      held('users/u1/messages/already-tombstoned', { body: undefined, changeType: 'deleted' }),
      held('users/u1/messages/listed/attachments/a1'),
      held('users/u2/messages/other-mailbox'),
    ])
      await sink.write(state);
    const graph = graphHolding(['users/u1/messages/created-meanwhile']);
    const clock = new ManualClock('2026-05-01T10:05:00.000Z');

    const sweep = await tombstoneUnlisted(scope, new Set(['users/u1/messages/listed']), LISTING_STARTED_AT, {
      graph,
      sink,
      clock,
    });

    expect(sweep).toEqual({ tombstoned: 1, present: 1, unconfirmed: 0 });
    expect(graph.requested.sort()).toEqual(['users/u1/messages/created-meanwhile', 'users/u1/messages/gone']);
    expect(sink.states.get(MemoryChangeSink.key(TENANT, 'users/u1/messages/gone'))).toMatchObject({
      body: undefined,
      changeType: 'deleted',
      observedAt: '2026-05-01T10:05:00.000Z',
    });
    expect(sink.states.get(MemoryChangeSink.key(TENANT, 'users/u1/messages/created-meanwhile'))?.body).toBeDefined();
    expect(sink.states.get(MemoryChangeSink.key(TENANT, 'users/u1/messages/written-after-start'))?.body).toBeDefined();
  });

  it('stops at the first refused read and reports the rest unconfirmed, writing no tombstone it could not confirm', async () => {
    const sink = new MemoryChangeSink();
    for (const id of ['a', 'b', 'c']) await sink.write(held(`users/u1/messages/${id}`));
    const throttled = new GraphThrottled(
      'slow down',
      { retryAfterMs: 60_000, retryAfterFromHeader: true },
      { status: 429 },
    );
    const graph = graphHolding([], new Map([['users/u1/messages/b', throttled]]));

    const sweep = await tombstoneUnlisted(scope, new Set(), LISTING_STARTED_AT, {
      graph,
      sink,
      clock: new ManualClock('2026-05-01T10:05:00.000Z'),
    });

    expect(sweep).toEqual({ tombstoned: 1, present: 0, unconfirmed: 2 });
    expect(sink.states.get(MemoryChangeSink.key(TENANT, 'users/u1/messages/b'))?.body).toBeDefined();
    expect(sink.states.get(MemoryChangeSink.key(TENANT, 'users/u1/messages/c'))?.body).toBeDefined();
  });
});
