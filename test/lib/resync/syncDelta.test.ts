/**
 * A resync of one user's chat messages (`users/{id}/chats/getAllMessages`) through the per-user chatMessage delta:
 * the items come from many chats, so each is written at the key a notification about it gives,
 * `chats/{chatId}/messages/{id}`, and an item without its chatId is skipped with a warning, never written elsewhere.
 */
import { describe, expect, it } from 'vitest';
import { MemoryChangeSink } from '../../../src/adapters/memory/memoryChangeSink';
import { MemoryLeaseStore } from '../../../src/adapters/memory/memoryLeaseStore';
import type { GraphDeltaPage } from '../../../src/lib/graph';
import { parseDeltaPage } from '../../../src/lib/graph/deltaPage';
import { resyncTargetsOf, syncDelta } from '../../../src/lib/resync';
import { ManualClock } from '../../../src/lib/shared/clock';
import { subscriptionRecord, TENANT_ID, USER_ID } from '../../support/notificationFactories';
import { subscriptionSettings } from '../../support/subscriptionSettings';

const NOW = '2026-05-01T10:00:00.000Z';
const CHAT_A = '19:a1b2@thread.v2';
const CHAT_B = '19:meeting_c3d4@thread.v2';

/** A chatMessage as the delta lists it (Microsoft's "chatMessage: delta" example). */
function chatMessage(id: string, chatId: string | undefined, overrides: Record<string, unknown> = {}) {
  return {
    '@odata.type': '#microsoft.graph.chatMessage',
    id,
    messageType: 'message',
    ...(chatId === undefined ? {} : { chatId }),
    createdDateTime: '2026-04-30T09:00:00.000Z',
    lastModifiedDateTime: '2026-04-30T09:00:00.000Z',
    deletedDateTime: null,
    body: { contentType: 'text', content: `message ${id}` },
    ...overrides,
  };
}

/** A Graph client whose delta answers these pages, recording where each run started. */
function deltaGraph(pages: readonly GraphDeltaPage[]) {
  const starts: string[] = [];
  return {
    starts,
    send: () => Promise.reject(new TypeError('no send expected')),
    sendBatch: () => Promise.reject(new TypeError('no batch expected')),
    async *deltaPages(_tenantId: string, start: string): AsyncGenerator<GraphDeltaPage, void, undefined> {
      starts.push(start);
      for (const page of pages) yield await Promise.resolve(page);
    },
  };
}

describe("syncDelta over a user's chat messages", () => {
  it('writes each message under its chat, tombstones a deleted one, and skips one without a chatId with a warning', async () => {
    const page = parseDeltaPage(
      {
        value: [
          chatMessage('1700000000001', CHAT_A),
          chatMessage('1700000000002', CHAT_B),
          chatMessage('1700000000003', CHAT_A, { deletedDateTime: '2026-04-30T10:00:00.000Z' }),
          chatMessage('1700000000004', undefined),
        ],
        '@odata.deltaLink': `https://graph.microsoft.com/v1.0/users/${USER_ID}/chats/getAllMessages/delta?$deltatoken=t1`,
      },
      { method: 'GET', path: `/users/${USER_ID}/chats/getAllMessages/delta`, delta: true },
    );
    const graph = deltaGraph([page]);
    const sink = new MemoryChangeSink();
    const leases = new MemoryLeaseStore();
    const warnings: string[] = [];
    const log = { warn: (message: string) => warnings.push(message) };
    const record = { ...subscriptionRecord({ resource: `users/${USER_ID}/chats/getAllMessages?model=A` }), etag: '1' };
    const targets = await resyncTargetsOf(record, { graph, settings: subscriptionSettings }, new Date(NOW));

    const run = await syncDelta(targets?.[0] ?? expect.fail('no resync target'), {
      graph,
      leases,
      sink,
      clock: new ManualClock(NOW),
      log,
    });

    expect(targets).toHaveLength(1);
    expect(graph.starts).toEqual([`/users/${USER_ID}/chats/getAllMessages/delta`]);
    expect(run).toMatchObject({ outcome: 'synced', writes: { written: 3 } });
    const held = (path: string) => sink.states.get(MemoryChangeSink.key(TENANT_ID, path));
    expect(held(`chats/${CHAT_A}/messages/1700000000001`)?.body).toMatchObject({ chatId: CHAT_A });
    expect(held(`chats/${CHAT_B}/messages/1700000000002`)?.body).toMatchObject({ chatId: CHAT_B });
    expect(held(`chats/${CHAT_A}/messages/1700000000003`)).toMatchObject({ changeType: 'deleted', body: undefined });
    expect([...sink.states.keys()].filter((key) => key.includes('1700000000004'))).toEqual([]);
    expect(warnings).toEqual([expect.stringContaining('1700000000004')]);
  });
});
