/** In-memory `MessageSender`: keeps what was sent, in order, for unit tests and simulations. */
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
    this.sent.push({ text: messageText, visibilityDelaySeconds: options?.visibilityDelaySeconds });
    return Promise.resolve();
  }
}
