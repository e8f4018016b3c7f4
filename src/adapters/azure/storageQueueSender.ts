/**
 * `MessageSender` over Azure Queue Storage. Messages are base64-encoded here because the Functions
 * queue trigger decodes base64 (host.json messageEncoding) while the v12 SDK sends text as-is: the
 * mismatch is a classic cause of everything landing in the poison queue ("Azure Queue storage trigger for Azure Functions", https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue-trigger).
 */
import type { QueueClient } from '@azure/storage-queue';
import { StorageUnavailable } from '../../lib/shared/errors';
import type { MessageSender, PrepareOptions, SendOptions } from '../../lib/storage';
import { once } from './storageClients';

/** Messages live as long as the queue's maximum: a backlog must never silently expire (default is 7 days). */
const NEVER_EXPIRE = -1;
/** A rehearsal message stays invisible this long (deleted long before) and expires soon after, should its delete fail. */
const REHEARSAL_INVISIBLE_SECONDS = 60;
const REHEARSAL_TIME_TO_LIVE_SECONDS = 120;

const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

export function createStorageQueueSender(queue: QueueClient): MessageSender {
  const ensureQueue = once(() => queue.createIfNotExists());
  return {
    async prepare(options?: PrepareOptions) {
      await ensureQueue();
      if (options?.rehearsal === undefined) return;
      // The SDK's first send in a process builds its XML request and parses the reply for the first time, which
      // costs a cold start's first notification several sends' worth (bench:cold-start): pay it here instead.
      const sent = await queue.sendMessage(base64(options.rehearsal), {
        visibilityTimeout: REHEARSAL_INVISIBLE_SECONDS,
        messageTimeToLive: REHEARSAL_TIME_TO_LIVE_SECONDS,
      });
      await queue.deleteMessage(sent.messageId, sent.popReceipt);
    },
    async send(messageText: string, options?: SendOptions) {
      try {
        await ensureQueue();
        await queue.sendMessage(base64(messageText), {
          messageTimeToLive: NEVER_EXPIRE,
          ...(options?.visibilityDelaySeconds === undefined
            ? {}
            : { visibilityTimeout: Math.ceil(options.visibilityDelaySeconds) }),
        });
      } catch (error) {
        throw new StorageUnavailable(`send to queue ${queue.name}`, { cause: error });
      }
    },
  };
}
