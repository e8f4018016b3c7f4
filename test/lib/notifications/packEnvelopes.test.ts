import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  packEnvelopes,
  parseQueueEnvelope,
  QUEUE_MESSAGE_MAX_CHARS,
  QUEUE_MESSAGE_MAX_JSON_BYTES,
  type NotificationEnvelope,
} from '../../../src/lib/notifications';

const receivedAt = '2026-05-01T10:00:00.000Z';
const itemOfSize = (bytes: number, n = 0): Record<string, unknown> => {
  const base = { subscriptionId: `s-${n}`, filler: '' };
  return { ...base, filler: 'x'.repeat(Math.max(0, bytes - Buffer.byteLength(JSON.stringify(base)))) };
};
const base64Length = (envelope: NotificationEnvelope): number =>
  Buffer.from(JSON.stringify(envelope)).toString('base64').length;

describe('packEnvelopes', () => {
  it('packs 50 typical notifications into one message', () => {
    const items = Array.from({ length: 50 }, (_, n) => itemOfSize(600, n));

    const packed = packEnvelopes({ kind: 'notifications', receivedAt, items, validationTokens: [] });

    expect(packed.envelopes).toHaveLength(1);
    expect(packed.envelopes[0]?.items).toEqual(items);
    expect(packed.oversized).toBeUndefined();
  });

  it('fills a message exactly to the limit and starts a new one one byte later', () => {
    const probe = packEnvelopes({ kind: 'notifications', receivedAt, items: [itemOfSize(10)], validationTokens: [] })
      .envelopes[0];
    if (probe === undefined) throw new Error('no envelope');
    const overhead = Buffer.byteLength(JSON.stringify(probe)) - Buffer.byteLength(JSON.stringify(itemOfSize(10)));
    const exact = itemOfSize(QUEUE_MESSAGE_MAX_JSON_BYTES - overhead);

    const fits = packEnvelopes({ kind: 'notifications', receivedAt, items: [exact], validationTokens: [] });
    const tooBig = packEnvelopes({
      kind: 'notifications',
      receivedAt,
      items: [itemOfSize(QUEUE_MESSAGE_MAX_JSON_BYTES - overhead + 1)],
      validationTokens: [],
    });

    expect(fits.envelopes).toHaveLength(1);
    expect(base64Length(fits.envelopes[0] as NotificationEnvelope)).toBe(QUEUE_MESSAGE_MAX_CHARS);
    expect(fits.oversized).toBeUndefined();
    expect(tooBig.envelopes).toHaveLength(0);
    expect(tooBig.oversized?.items).toHaveLength(1);
  });

  it('splits when the next item would cross the limit', () => {
    const items = [itemOfSize(30_000, 1), itemOfSize(30_000, 2), itemOfSize(30_000, 3)];

    const packed = packEnvelopes({ kind: 'notifications', receivedAt, items, validationTokens: [] });

    expect(packed.envelopes.map((envelope) => envelope.items.length)).toEqual([1, 1, 1]);
  });

  it('attaches validation tokens only to messages holding rich notifications', () => {
    const rich = {
      subscriptionId: 'r',
      encryptedContent: { data: 'a', dataKey: 'b', dataSignature: 'c', encryptionCertificateId: 'd' },
    };
    const plain = itemOfSize(48_950);

    const packed = packEnvelopes({
      kind: 'notifications',
      receivedAt,
      items: [plain, rich],
      validationTokens: ['jwt-1'],
    });

    expect(packed.envelopes).toHaveLength(2);
    expect(packed.envelopes[0]?.validationTokens).toBeUndefined();
    expect(packed.envelopes[1]?.validationTokens).toEqual(['jwt-1']);
  });

  it("gives every message with rich items the POST's whole token set, when it splits two tenants' items apart", () => {
    // Graph signs one token per (app, tenant) pair in the POST; processing checks each as Graph's own and
    // requires the one of its rich items' tenant, so no message may lose the token of its tenant.
    const richOf = (tenantId: string) => ({
      subscriptionId: `r-${tenantId}`,
      tenantId,
      encryptedContent: { data: 'a', dataKey: 'b', dataSignature: 'c', encryptionCertificateId: 'd' },
    });
    const tokens = ['jwt-tenant-a', 'jwt-tenant-b'];

    const packed = packEnvelopes(
      { kind: 'notifications', receivedAt, items: [richOf('a'), richOf('b')], validationTokens: tokens },
      { maxItemsPerMessage: 1 },
    );

    expect(packed.envelopes.map((envelope) => envelope.items[0]?.tenantId)).toEqual(['a', 'b']);
    expect(packed.envelopes.map((envelope) => envelope.validationTokens)).toEqual([tokens, tokens]);
    expect(packed.messages.map((message) => parseQueueEnvelope(message))).toMatchObject([
      { validationTokens: tokens },
      { validationTokens: tokens },
    ]);
  });

  it('caps items per message when asked (the one-message-per-notification design)', () => {
    const packed = packEnvelopes(
      { kind: 'lifecycle', receivedAt, items: [itemOfSize(100, 1), itemOfSize(100, 2)], validationTokens: [] },
      { maxItemsPerMessage: 1 },
    );

    expect(packed.envelopes.map((envelope) => envelope.items.length)).toEqual([1, 1]);
  });

  it('never exceeds the queue limit and loses, duplicates or reorders no item', () => {
    const item = fc.record({
      subscriptionId: fc.uuid(),
      resource: fc.string({ maxLength: 200 }),
      filler: fc.oneof(
        fc.string({ maxLength: 2000 }),
        fc.string({ minLength: 10_000, maxLength: 60_000 }),
        fc.string({ unit: 'binary', maxLength: 3000 }),
      ),
    });
    fc.assert(
      fc.property(
        fc.array(item, { minLength: 1, maxLength: 40 }),
        fc.boolean(),
        fc.constantFrom('notifications', 'lifecycle'),
        (items, withTokens, kind) => {
          const packed = packEnvelopes({
            kind,
            receivedAt,
            items,
            validationTokens: withTokens ? ['t'.repeat(1500)] : [],
          });

          for (const envelope of packed.envelopes) {
            expect(base64Length(envelope)).toBeLessThanOrEqual(QUEUE_MESSAGE_MAX_CHARS);
            expect(parseQueueEnvelope(JSON.stringify(envelope))).toEqual(envelope);
          }
          expect(packed.messages).toEqual(packed.envelopes.map((envelope) => JSON.stringify(envelope)));
          const kept = [...packed.envelopes.flatMap((envelope) => envelope.items), ...(packed.oversized?.items ?? [])];
          expect(new Set(kept).size).toBe(items.length);
          expect([...kept].sort(bySubscription)).toEqual([...items].sort(bySubscription));
          const inMessages = packed.envelopes.flatMap((envelope) => envelope.items);
          expect(inMessages).toEqual(items.filter((candidate) => inMessages.includes(candidate)));
        },
      ),
      { numRuns: 60 },
    );
  });
});

function bySubscription(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): number {
  return String(a.subscriptionId).localeCompare(String(b.subscriptionId));
}
