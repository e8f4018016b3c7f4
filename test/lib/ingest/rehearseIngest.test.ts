/**
 * The ingest rehearsal a cold start runs after its first handshake (src/index.ts warmIngest): the whole ingest
 * path runs once on a made-up notification, and the real notifications queue only sees a rehearsal message
 * its consumer ignores, handed to `prepare`.
 */
import { describe, expect, it } from 'vitest';
import { rehearseIngest } from '../../../src/lib/ingest';
import { parseQueueEnvelope } from '../../../src/lib/notifications';
import { ManualClock } from '../../../src/lib/shared/clock';
import type { MessageSender, PrepareOptions } from '../../../src/lib/storage';

/** A notifications queue that records sends and preparations. */
function recordingQueue() {
  const sent: string[] = [];
  const prepared: (PrepareOptions | undefined)[] = [];
  const queue: MessageSender = {
    send: (text) => {
      sent.push(text);
      return Promise.resolve();
    },
    prepare: (options) => {
      prepared.push(options);
      return Promise.resolve();
    },
  };
  return { queue, sent, prepared };
}

describe('rehearseIngest', () => {
  it('runs a made-up notification through every ingest step, accepted and packed, without sending it', async () => {
    const { queue, sent } = recordingQueue();

    const result = await rehearseIngest({
      notificationsQueue: queue,
      clock: new ManualClock('2026-05-01T10:00:00Z'),
      maxBodyBytes: 1_000_000,
    });

    expect(result).toEqual({ accepted: 1, rejected: {}, messagesSent: 1 });
    expect(sent).toEqual([]);
  });

  it('prepares the notifications queue with a rehearsal message that is an envelope with no items', async () => {
    const { queue, prepared } = recordingQueue();

    await rehearseIngest({
      notificationsQueue: queue,
      clock: new ManualClock('2026-05-01T10:00:00Z'),
      maxBodyBytes: 1_000_000,
    });

    expect(prepared).toHaveLength(1);
    const rehearsal = parseQueueEnvelope(prepared[0]?.rehearsal);
    expect(rehearsal).toMatchObject({ v: 1, kind: 'notifications', receivedAt: '2026-05-01T10:00:00.000Z', items: [] });
  });
});
