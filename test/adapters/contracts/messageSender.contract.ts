/**
 * The `MessageSender` contract (text messages onto one queue), run against the in-memory queue and the storage
 * queue sender on Azurite (messageSender.test.ts). The port only sends, so each adapter comes with a way to
 * read back what reached the queue: the texts a consumer would be handed, in order.
 */
import { describe, expect, it } from 'vitest';
import { QUEUE_MESSAGE_MAX_JSON_BYTES } from '../../../src/lib/notifications';
import type { MessageSender } from '../../../src/lib/storage';

export interface MessageSenderUnderTest {
  readonly sender: MessageSender;
  /** Every text on the queue, as the queue trigger would receive it (delayed messages included). */
  readonly queued: () => Promise<string[]>;
}

/** Registers the contract's tests; `createQueue` gives a new, empty queue for each test. */
export function messageSenderContract(adapter: string, createQueue: () => MessageSenderUnderTest): void {
  describe(`MessageSender contract: ${adapter}`, () => {
    it('hands the consumer exactly the texts it was given, in order, non-ASCII included', async () => {
      const { sender, queued } = createQueue();
      const texts = ['{"v":1,"id":"a"}', JSON.stringify({ subject: 'Grüße 👋 ∑', line: 'a\nb' }), 'plain text'];

      for (const text of texts) await sender.send(text);

      expect(await queued()).toEqual(texts);
    });

    it('accepts a message as large as the queue allows, and a delayed one', async () => {
      const { sender, queued } = createQueue();
      const largest = `"${'x'.repeat(QUEUE_MESSAGE_MAX_JSON_BYTES - 2)}"`;

      await sender.send(largest);
      await sender.send('{"later":true}', { visibilityDelaySeconds: 0.5 });

      expect((await queued())[0]).toBe(largest);
    });

    it('leaves nothing on the queue for its consumer after a preparation with a rehearsal message', async () => {
      const { sender, queued } = createQueue();

      await sender.prepare?.({ rehearsal: '{"v":1,"kind":"notifications","id":"rehearsal","items":[]}' });
      await sender.send('after');

      expect(await queued()).toEqual(['after']);
    });

    it('refuses a message larger than the queue allows with StorageUnavailable', async () => {
      const { sender, queued } = createQueue();

      await expect(sender.send('x'.repeat(QUEUE_MESSAGE_MAX_JSON_BYTES + 1))).rejects.toMatchObject({
        code: 'ERR_STORAGE_UNAVAILABLE',
      });
      expect(await queued()).toEqual([]);
    });
  });
}
