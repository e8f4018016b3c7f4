/**
 * `PoisonQueue` over Azure Queue Storage. The host copies a failed message's body (base64, host.json
 * messageEncoding) into `<queue>-poison` unchanged, so texts are base64-decoded here when they are base64.
 * A poison queue that does not exist yet is empty.
 */
import type { QueueClient } from '@azure/storage-queue';
import type { PoisonMessage, PoisonQueue, ReceivedPoisonMessage } from '../../lib/poison';
import { StorageUnavailable } from '../../lib/shared/errors';
import { statusOf } from './storageClients';

function decoded(text: string): string {
  const bytes = Buffer.from(text, 'base64');
  // Only a text that round-trips is base64; anything else was enqueued as plain text.
  return bytes.toString('base64') === text.replace(/\s/g, '') ? bytes.toString('utf8') : text;
}

// An adapter factory: its body is the port's methods over one queue client, each short.
export function createStoragePoisonQueue(queue: QueueClient): PoisonQueue {
  const guard = async <T>(operation: string, run: () => Promise<T>, whenMissing: T): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      if (statusOf(error) === 404) return whenMissing;
      throw new StorageUnavailable(`${operation} on queue ${queue.name}`, { cause: error });
    }
  };
  return {
    name: queue.name,
    count: () => guard('get properties', async () => (await queue.getProperties()).approximateMessagesCount ?? 0, 0),
    peek: (max) =>
      guard(
        'peek',
        async () =>
          (await queue.peekMessages({ numberOfMessages: Math.min(32, max) })).peekedMessageItems.map(
            (item): PoisonMessage => ({
              id: item.messageId,
              insertedOn: item.insertedOn.toISOString(),
              dequeueCount: item.dequeueCount,
              text: decoded(item.messageText),
            }),
          ),
        [],
      ),
    receive: (max, visibilitySeconds) =>
      guard(
        'receive',
        async () =>
          (
            await queue.receiveMessages({ numberOfMessages: Math.min(32, max), visibilityTimeout: visibilitySeconds })
          ).receivedMessageItems.map((item): ReceivedPoisonMessage => ({
            id: item.messageId,
            insertedOn: item.insertedOn.toISOString(),
            dequeueCount: item.dequeueCount,
            text: decoded(item.messageText),
            popReceipt: item.popReceipt,
          })),
        [],
      ),
    delete: (message) =>
      guard(
        'delete',
        async () => {
          await queue.deleteMessage(message.id, message.popReceipt);
        },
        undefined,
      ),
    release: (message) =>
      guard(
        'release',
        async () => {
          await queue.updateMessage(message.id, message.popReceipt, undefined, 0);
        },
        undefined,
      ),
    clear: () =>
      guard(
        'clear',
        async () => {
          await queue.clearMessages();
        },
        undefined,
      ),
  };
}
