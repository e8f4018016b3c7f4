import { describe, expect, it } from 'vitest';
import { MemoryPayloadStore } from '../../../src/adapters/memory/memoryPayloadStore';
import type { NotificationEnvelope } from '../../../src/lib/notifications';
import { handleQueueMessage } from '../../../src/lib/processing';
import { silentLogger } from '../../../src/lib/shared/logger';

const envelope: NotificationEnvelope = {
  v: 1,
  kind: 'notifications',
  id: 'm1',
  receivedAt: '2026-05-01T10:00:00.000Z',
  items: [{ subscriptionId: 's', resource: 'users/1' }],
};
const blobName = 'notifications/2026-05-01/m1.json';
const claim = {
  v: 1,
  kind: 'notifications',
  id: 'm1',
  receivedAt: envelope.receivedAt,
  claimCheck: { blobName, itemCount: 1 },
};

function useCase(requeued: number, seen: NotificationEnvelope[] = []) {
  return {
    run: (loaded: NotificationEnvelope) => {
      seen.push(loaded);
      return Promise.resolve({ requeued });
    },
    summarize: (result: { requeued: number }) => `${result.requeued} put back`,
  };
}

describe('handleQueueMessage', () => {
  it("runs the use case on the claim check's envelope, logs its summary and only then removes the blob", async () => {
    const payloads = new MemoryPayloadStore();
    await payloads.save(blobName, JSON.stringify(envelope));
    const seen: NotificationEnvelope[] = [];
    const infos: string[] = [];

    const handled = await handleQueueMessage(
      claim,
      { payloads, log: { ...silentLogger, info: (message) => infos.push(message) } },
      useCase(0, seen),
    );

    expect(handled).toEqual({ outcome: 'succeeded', result: { requeued: 0 } });
    expect(seen).toEqual([envelope]);
    expect(infos).toEqual(['0 put back']);
    expect(payloads.blobs.size).toBe(0);
  });

  it('answers deferred when some of the message went back on the queue', async () => {
    const handled = await handleQueueMessage(
      JSON.stringify(envelope),
      { payloads: new MemoryPayloadStore(), log: silentLogger },
      useCase(2),
    );

    expect(handled.outcome).toBe('deferred');
  });

  it('keeps the blob when the use case fails, so the retried message still finds it', async () => {
    const payloads = new MemoryPayloadStore();
    await payloads.save(blobName, JSON.stringify(envelope));

    const failing = { run: () => Promise.reject(new Error('Graph down')), summarize: () => '' };

    await expect(handleQueueMessage(claim, { payloads, log: silentLogger }, failing)).rejects.toThrow('Graph down');
    expect(payloads.blobs.size).toBe(1);
  });

  it('discards a claim check whose blob is gone without running the use case', async () => {
    const seen: NotificationEnvelope[] = [];

    const handled = await handleQueueMessage(
      claim,
      { payloads: new MemoryPayloadStore(), log: silentLogger },
      useCase(0, seen),
    );

    expect(handled).toEqual({ outcome: 'discarded' });
    expect(seen).toHaveLength(0);
  });
});
