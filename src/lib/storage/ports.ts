/**
 * Ports through which the domain reaches Azure Storage. The Azure adapters (src/adapters/azure) and the
 * in-memory ones (src/adapters/memory) implement them; the composition root chooses.
 *
 * Adapters raise `StorageUnavailable` for any failure to reach or write storage, so callers map one
 * error to "retry later" (503 on ingest, a failed invocation on a queue trigger).
 */

/** Sends text messages to one queue. The adapter base64-encodes them, as the Functions queue trigger expects. */
export interface MessageSender {
  /** Resolves once the message is durably stored. */
  send(messageText: string, options?: SendOptions): Promise<void>;
  /**
   * Readies the queue (created if needed, connection open) so the first send costs what the next ones do. With
   * a `rehearsal` message, also sends it, invisible, and deletes it at once, so the first real send finds the
   * send path warm as well. A rehearsal must be a message its consumer ignores, in case the delete never happens.
   */
  prepare?(options?: PrepareOptions): Promise<void>;
}

export interface PrepareOptions {
  /** A message the consumer would ignore (an envelope with no items), sent invisible and deleted at once. */
  readonly rehearsal?: string;
}

export interface SendOptions {
  /** Keep the message invisible this long before its first delivery (e.g. a Graph Retry-After). */
  readonly visibilityDelaySeconds?: number;
}

/** Stores and loads claim-check payloads by blob name, in one container. */
export interface PayloadStore {
  save(blobName: string, content: string): Promise<void>;
  /** Throws `StorageNotFound` (code ERR_STORAGE_NOT_FOUND) when the blob does not exist. */
  load(blobName: string): Promise<string>;
  delete(blobName: string): Promise<void>;
}
