/** In-memory `MessageSender`: keeps what was sent, in order, for unit tests and simulations. */
import { QUEUE_MESSAGE_MAX_CHARS } from '../../lib/notifications';
import { StorageUnavailable } from '../../lib/shared/errors';
import type { MessageSender, SendOptions } from '../../lib/storage';

export interface SentMessage {
  readonly text: string;
  readonly visibilityDelaySeconds: number | undefined;
}

export class MemoryMessageQueue implements MessageSender {
  readonly sent: SentMessage[] = [];
  /** When set, the next sends fail with this error (an outage). */
  failWith: Error | undefined;

  send(messageText: string, options?: SendOptions): Promise<void> {
    if (this.failWith !== undefined) return Promise.reject(this.failWith);
    // Like Queue Storage, refuse a message whose base64 form is over the limit, so tests see what Azure does.
    if (Math.ceil(Buffer.byteLength(messageText, 'utf8') / 3) * 4 > QUEUE_MESSAGE_MAX_CHARS) {
      return Promise.reject(new StorageUnavailable('send to an in-memory queue (message over the 64 KiB limit)'));
    }
    this.sent.push({ text: messageText, visibilityDelaySeconds: options?.visibilityDelaySeconds });
    return Promise.resolve();
  }
}
