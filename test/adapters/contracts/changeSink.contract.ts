/**
 * The `ChangeSink` contract: what every sink adapter does, seen only through the port. Run against the
 * in-memory sink and the blob sink on Azurite (changeSink.test.ts); what only the blob sink does (blob names,
 * metadata, change events) is tested beside it in test/adapters/azure/blobChangeSink.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { ChangeSink, ResourceState, SinkEntry } from '../../../src/lib/processing';

export const tenantId = '84bd8158-6d4d-4958-8b9f-9d6445542f95';
export const path = 'users/u1/messages/AAMk=';

/** A message's state as processing hands it to a sink: `path` in `tenantId`, observed at 10:00:05. */
export function state(overrides: Partial<ResourceState> = {}): ResourceState {
  return {
    tenantId,
    resourcePath: path,
    changeType: 'updated',
    subscriptionId: 'sub-1',
    etag: 'W/"1"',
    observedAt: '2026-05-01T10:00:05.000Z',
    receivedAt: '2026-05-01T10:00:00.000Z',
    body: { id: 'AAMk=', subject: 'hello' },
    ...overrides,
  };
}

async function children(
  sink: ChangeSink,
  collectionPath: string,
): Promise<Array<{ resourcePath: string; entry: SinkEntry }>> {
  const listed: Array<{ resourcePath: string; entry: SinkEntry }> = [];
  for await (const child of sink.listChildren(tenantId, collectionPath)) listed.push(child);
  return listed.sort((a, b) => a.resourcePath.localeCompare(b.resourcePath));
}

/** Registers the contract's tests; `createSink` gives a new, empty sink for each test. */
export function changeSinkContract(adapter: string, createSink: () => ChangeSink): void {
  describe(`ChangeSink contract: ${adapter}`, () => {
    it('reads back what it wrote, and nothing for a resource it never saw', async () => {
      const sink = createSink();

      expect(await sink.read(tenantId, path)).toBeUndefined();
      expect(await sink.write(state())).toBe('written');

      expect(await sink.read(tenantId, path)).toEqual({
        observedAt: '2026-05-01T10:00:05.000Z',
        etag: 'W/"1"',
        deleted: false,
      });
    });

    it('records a deletion as a tombstone entry', async () => {
      const sink = createSink();

      expect(await sink.write(state({ body: undefined, changeType: 'deleted', etag: undefined }))).toBe('written');

      expect(await sink.read(tenantId, path)).toEqual({
        observedAt: '2026-05-01T10:00:05.000Z',
        etag: undefined,
        deleted: true,
      });
    });

    it('keeps the newer state whatever the order of writes, and treats a replay as unchanged', async () => {
      const sink = createSink();
      const older = state({
        observedAt: '2026-05-01T10:00:05.000Z',
        body: { id: 'AAMk=', subject: 'v1' },
        etag: 'W/"1"',
      });
      const newer = state({
        observedAt: '2026-05-01T10:00:09.000Z',
        body: { id: 'AAMk=', subject: 'v2' },
        etag: 'W/"2"',
      });

      expect(await sink.write(newer)).toBe('written');
      expect(await sink.write(older)).toBe('stale');
      expect(await sink.write(newer)).toBe('unchanged');

      expect(await sink.read(tenantId, path)).toMatchObject({ observedAt: '2026-05-01T10:00:09.000Z', etag: 'W/"2"' });
    });

    it('replaces different state of the same instant by default, and answers tied without writing when asked to refuse', async () => {
      const sink = createSink();
      const at = '2026-05-01T10:00:05.000Z';
      const first = state({ observedAt: at, body: { id: 'AAMk=', subject: 'v1' }, etag: 'W/"1"' });
      const second = state({ observedAt: at, body: { id: 'AAMk=', subject: 'v2' }, etag: 'W/"2"' });

      expect(await sink.write(first)).toBe('written');
      expect(await sink.write({ ...second, onSameInstant: 'refuse' })).toBe('tied');
      expect(await sink.read(tenantId, path)).toMatchObject({ etag: 'W/"1"' });
      expect(await sink.write({ ...first, onSameInstant: 'refuse' })).toBe('unchanged');
      expect(await sink.write(second)).toBe('written');
      expect(await sink.read(tenantId, path)).toMatchObject({ etag: 'W/"2"' });
    });

    it('lets a deletion of the same instant replace the resource, and a later write bring it back', async () => {
      const sink = createSink();

      await sink.write(state());
      expect(await sink.write(state({ body: undefined, changeType: 'deleted' }))).toBe('written');
      expect(await sink.read(tenantId, path)).toMatchObject({ deleted: true });
      expect(await sink.write(state({ observedAt: '2026-05-01T10:00:06.000Z', changeType: 'created' }))).toBe(
        'written',
      );

      expect(await sink.read(tenantId, path)).toMatchObject({ observedAt: '2026-05-01T10:00:06.000Z', deleted: false });
    });

    it('lists the resources directly under a collection, tombstones included, and nothing for an empty sink', async () => {
      const sink = createSink();
      const empty = await children(sink, 'users/u1/messages');
      await sink.write(
        state({ resourcePath: 'users/u1/messages/m2', body: undefined, changeType: 'deleted', etag: undefined }),
      );
      await sink.write(state({ resourcePath: 'users/u1/messages/m1' }));
      await sink.write(state({ resourcePath: 'users/u1/messages/m1/attachments/a1' }));
      await sink.write(state({ resourcePath: 'users/u1/messagesArchive/m3' }));
      await sink.write(state({ tenantId: 'other-tenant', resourcePath: 'users/u1/messages/m4' }));

      const listed = await children(sink, 'users/u1/messages');

      expect(empty).toEqual([]);
      expect(listed).toEqual([
        {
          resourcePath: 'users/u1/messages/m1',
          entry: { observedAt: '2026-05-01T10:00:05.000Z', etag: 'W/"1"', deleted: false },
        },
        {
          resourcePath: 'users/u1/messages/m2',
          entry: { observedAt: '2026-05-01T10:00:05.000Z', etag: undefined, deleted: true },
        },
      ]);
    });

    it('lets exactly one of many concurrent writers win and never loses the newest', async () => {
      const sink = createSink();
      const at = (n: number): string => `2026-05-01T10:00:${String(10 + n).padStart(2, '0')}.000Z`;
      const writes = Array.from({ length: 12 }, (_, n) =>
        state({ observedAt: at(n), etag: `W/"${n}"`, body: { id: 'AAMk=', n } }),
      );

      await Promise.all([...writes].reverse().map((write) => sink.write(write)));

      expect(await sink.read(tenantId, path)).toEqual({ observedAt: at(11), etag: 'W/"11"', deleted: false });
    });

    it('treats a tenant id in any casing as one tenant', async () => {
      const sink = createSink();
      const upper = state({ tenantId: tenantId.toUpperCase(), observedAt: '2026-05-01T10:00:06.000Z', etag: 'W/"2"' });

      expect(await sink.write(state())).toBe('written');
      expect(await sink.write(upper)).toBe('written');
      expect(await sink.write(state())).toBe('stale');

      expect(await sink.read(tenantId, path)).toMatchObject({ observedAt: '2026-05-01T10:00:06.000Z', etag: 'W/"2"' });
      expect(await sink.read(tenantId.toUpperCase(), path)).toMatchObject({ etag: 'W/"2"' });
    });

    it('stores and reads resources whose paths are very long or hold odd characters', async () => {
      const sink = createSink();
      const longPath = `users/u1/messages/${'m'.repeat(1_100)}`;
      const oddPath = "users/u1/messages/a%23b%3Fc'd";

      expect(await sink.write(state({ resourcePath: longPath }))).toBe('written');
      expect(await sink.write(state({ resourcePath: oddPath }))).toBe('written');

      expect(await sink.read(tenantId, longPath)).toMatchObject({ deleted: false });
      expect(await sink.read(tenantId, oddPath)).toMatchObject({ deleted: false });
      expect(await sink.read(tenantId, `${longPath}x`)).toBeUndefined();
    });
  });
}
