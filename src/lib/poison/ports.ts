/**
 * Port: a poison queue (`<queue>-poison`, where the Functions host moves a message after maxDequeueCount
 * failed deliveries, "Azure Queue storage trigger for Azure Functions", https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue-trigger). Texts are given decoded (the host copies the base64 body as is).
 * The Azure adapter is src/adapters/azure/storagePoisonQueue.ts; the in-memory one serves tests.
 */
export interface PoisonMessage {
  readonly id: string;
  readonly insertedOn: string | undefined;
  readonly dequeueCount: number;
  /** The message text, base64-decoded when it was base64. */
  readonly text: string;
}

export interface ReceivedPoisonMessage extends PoisonMessage {
  readonly popReceipt: string;
}

export interface PoisonQueue {
  readonly name: string;
  /** Approximate number of messages. */
  count(): Promise<number>;
  /** Looks at up to `max` (≤ 32) messages without hiding them. */
  peek(max: number): Promise<PoisonMessage[]>;
  /** Takes up to `max` (≤ 32) messages, hiding them for `visibilitySeconds` unless deleted. */
  receive(max: number, visibilitySeconds: number): Promise<ReceivedPoisonMessage[]>;
  delete(message: ReceivedPoisonMessage): Promise<void>;
  /** Makes a received message visible again at once. */
  release(message: ReceivedPoisonMessage): Promise<void>;
  clear(): Promise<void>;
}
