import { describe, expect, it } from 'vitest';
import { MemoryPayloadStore } from '../../../src/adapters/memory/memoryPayloadStore';
import { loadEnvelope } from '../../../src/lib/processing';
import { silentLogger } from '../../../src/lib/shared/logger';

const envelope = {
  v: 1,
  kind: 'notifications',
  id: 'm1',
  receivedAt: '2026-05-01T10:00:00.000Z',
  items: [{ subscriptionId: 's', resource: 'users/1' }],
} as const;

describe('loadEnvelope', () => {
  it('returns an inline envelope as it is, whether the trigger passed text or a parsed object', async () => {
    const payloads = new MemoryPayloadStore();

    const fromObject = await loadEnvelope(envelope, payloads, silentLogger);
    const fromText = await loadEnvelope(JSON.stringify(envelope), payloads, silentLogger);

    expect(fromObject?.envelope).toEqual(envelope);
    expect(fromText?.envelope).toEqual(envelope);
  });

  it('resolves a claim check from its blob and deletes the blob only when done', async () => {
    const payloads = new MemoryPayloadStore();
    await payloads.save('notifications/2026-05-01/m1.json', JSON.stringify(envelope));
    const claim = {
      v: 1,
      kind: 'notifications',
      id: 'm1',
      receivedAt: envelope.receivedAt,
      claimCheck: { blobName: 'notifications/2026-05-01/m1.json', itemCount: 1 },
    };

    const loaded = await loadEnvelope(claim, payloads, silentLogger);

    expect(loaded?.envelope).toEqual(envelope);
    expect(payloads.blobs.size).toBe(1);
    await loaded?.done();
    expect(payloads.blobs.size).toBe(0);
  });

  it('acknowledges a claim check whose blob is gone (processed before), with a warning', async () => {
    const warnings: string[] = [];
    const claim = {
      v: 1,
      kind: 'notifications',
      id: 'm2',
      receivedAt: envelope.receivedAt,
      claimCheck: { blobName: 'gone.json', itemCount: 3 },
    };

    const loaded = await loadEnvelope(claim, new MemoryPayloadStore(), {
      ...silentLogger,
      warn: (message) => warnings.push(message),
    });

    expect(loaded).toBeUndefined();
    expect(warnings[0]).toMatch(/gone\.json is gone: message m2 was already processed/);
  });

  it('rejects a message that is not a version-1 envelope with a coded error', async () => {
    await expect(loadEnvelope({ v: 2, items: [] }, new MemoryPayloadStore(), silentLogger)).rejects.toMatchObject({
      code: 'ERR_ENVELOPE_INVALID',
    });
    await expect(loadEnvelope('not json', new MemoryPayloadStore(), silentLogger)).rejects.toMatchObject({
      code: 'ERR_ENVELOPE_INVALID',
    });
  });
});
