/**
 * `MessageSender` over Azure Queue Storage. Messages are base64-encoded here because the Functions
 * queue trigger decodes base64 (host.json messageEncoding) while the v12 SDK sends text as-is: the
 * mismatch is a classic cause of everything landing in the poison queue ("Azure Queue storage trigger for Azure Functions", https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue-trigger).
 */
import type { QueueClient } from '@azure/storage-queue';
import { StorageUnavailable } from '../../lib/shared/errors';
import type { MessageSender, SendOptions } from '../../lib/storage';
import { once } from './storageClients';

/** Messages live as long as the queue's maximum: a backlog must never silently expire (default is 7 days). */
const NEVER_EXPIRE = -1;

export function createStorageQueueSender(queue: QueueClient): MessageSender {
  const ensureQueue = once(() => queue.createIfNotExists());
  return {
    async prepare() {
      await ensureQueue();
    },
    async send(messageText: string, options?: SendOptions) {
      try {
        await ensureQueue();
        await queue.sendMessage(Buffer.from(messageText, 'utf8').toString('base64'), {
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
