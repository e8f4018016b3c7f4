/**
 * `MessageSender` over Azure Queue Storage. Messages are sent base64-encoded because the Functions
 * queue trigger decodes base64 (host.json messageEncoding) while the v12 SDK sends text as-is: the
 * mismatch is a classic cause of everything landing in the poison queue ("Azure Queue storage trigger for Azure Functions", https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue-trigger).
 *
 * The queue is created with the SDK; each message goes by one Put Message request (queuePutMessage.ts), except
 * behind an HTTP proxy (`HTTPS_PROXY`, `HTTP_PROXY`), which the SDK honours and that request does not.
 */
import type { QueueClient } from '@azure/storage-queue';
import { StorageUnavailable } from '../../lib/shared/errors';
import type { MessageSender, PrepareOptions, SendOptions } from '../../lib/storage';
import {
  queuePutMessage,
  type PutMessageOptions,
  type PutMessageReceipt,
  type QueueAuthorization,
} from './queuePutMessage';
import { once } from './storageClients';

/** Messages live as long as the queue's maximum: a backlog must never silently expire (default is 7 days). */
const NEVER_EXPIRE = -1;
/** A rehearsal message stays invisible this long (deleted long before) and expires soon after, should its delete fail. */
const REHEARSAL_INVISIBLE_SECONDS = 60;
const REHEARSAL_TIME_TO_LIVE_SECONDS = 120;

const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

const behindProxy = (): boolean =>
  ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'].some((name) => (process.env[name] ?? '') !== '');

export function createStorageQueueSender(queue: QueueClient, authorization: QueueAuthorization): MessageSender {
  const ensureQueue = once(() => queue.createIfNotExists());
  const put = behindProxy()
    ? (text: string, options: PutMessageOptions): Promise<PutMessageReceipt> =>
        queue.sendMessage(base64(text), {
          messageTimeToLive: options.timeToLiveSeconds,
          ...(options.visibilityTimeoutSeconds === undefined
            ? {}
            : { visibilityTimeout: options.visibilityTimeoutSeconds }),
        })
    : queuePutMessage(queue.url, authorization);
  return {
    async prepare(options?: PrepareOptions) {
      await ensureQueue();
      if (options?.rehearsal === undefined) return;
      // A process's first send opens the connection and runs the send path for the first time, which costs a cold
      // start's first notification several sends' worth (bench:cold-start): pay it here instead, with a message
      // that stays invisible until it is deleted.
      const sent = await put(options.rehearsal, {
        visibilityTimeoutSeconds: REHEARSAL_INVISIBLE_SECONDS,
        timeToLiveSeconds: REHEARSAL_TIME_TO_LIVE_SECONDS,
      });
      await queue.deleteMessage(sent.messageId, sent.popReceipt);
    },
    async send(messageText: string, options?: SendOptions) {
      try {
        await ensureQueue();
        await put(messageText, {
          timeToLiveSeconds: NEVER_EXPIRE,
          ...(options?.visibilityDelaySeconds === undefined
            ? {}
            : { visibilityTimeoutSeconds: Math.ceil(options.visibilityDelaySeconds) }),
        });
      } catch (error) {
        throw new StorageUnavailable(`send to queue ${queue.name}`, { cause: error });
      }
    },
  };
}
