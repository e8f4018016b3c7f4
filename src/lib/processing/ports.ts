/**
 * Ports of the processing area: where resource state goes (the sink), where permanent failures are
 * recorded, and the notification receipts coalescing reads. (Delta links and run leases: `LeaseStore` in
 * src/lib/resync/ports.ts.) Azure adapters: src/adapters/azure; in-memory ones: src/adapters/memory.
 */

/** A resource's state as processing learned it, ready for the sink. */
export interface ResourceState {
  readonly tenantId: string;
  /** Canonical path (`normalizeResourcePath`), e.g. `users/{id}/messages/{id}`. */
  readonly resourcePath: string;
  /** The notification's changeType, or `resync` for state found by a delta run. */
  readonly changeType: string;
  readonly subscriptionId: string | undefined;
  /** Graph's `@odata.etag` when it sent one. */
  readonly etag: string | undefined;
  /**
   * When this state was known to be true: the time of the Graph read for fetched state, the time the
   * notification was received for state a notification carried (rich data, deletions). Newer wins.
   */
  readonly observedAt: string;
  /** When ingest received the notification behind this state (undefined for delta runs). */
  readonly receivedAt: string | undefined;
  /** The Graph JSON; undefined means the resource is gone (the sink writes a tombstone). */
  readonly body: Readonly<Record<string, unknown>> | undefined;
  /**
   * What the write does when the sink holds different state observed at the same instant. `replace`
   * (default): the later write wins, right for state this app stamped (a read, a delta page). `refuse`:
   * for state stamped with Graph's `lastModifiedDateTime`, which Outlook gives to the second, so two
   * versions can share it and their order cannot be told; the write answers `tied` and the caller reads Graph.
   */
  readonly onSameInstant?: 'replace' | 'refuse';
}

export interface SinkEntry {
  readonly observedAt: string;
  readonly etag: string | undefined;
  readonly deleted: boolean;
}

/** `tied`: nothing written, the sink holds different state from the same instant (see `ResourceState.onSameInstant`). */
export type SinkWriteOutcome = 'written' | 'unchanged' | 'stale' | 'tied';

/**
 * Where resource state goes. Writes are idempotent and newer-wins: a state older than what the sink
 * holds is dropped (`stale`), so replays and reordering can never roll a resource back.
 */
export interface ChangeSink {
  read(tenantId: string, resourcePath: string): Promise<SinkEntry | undefined>;
  write(state: ResourceState): Promise<SinkWriteOutcome>;
  /**
   * The resources held directly under a collection path (`users/{id}/messages` lists its messages, not
   * their attachments), with their entries, tombstones included. Resources whose path was too long for a
   * blob name (stored under a hash) are not listed.
   */
  listChildren(
    tenantId: string,
    collectionPath: string,
  ): AsyncIterable<{ readonly resourcePath: string; readonly entry: SinkEntry }>;
}

export interface PermanentFailure {
  readonly tenantId: string;
  readonly resourcePath: string;
  readonly subscriptionId: string | undefined;
  /** Stable reason: `access-denied`, `unsupported-resource`, `bad-request`, `undecryptable`, `token-invalid`. */
  readonly reason: string;
  /** Secret-free detail for operators (status, Graph error code, request id). */
  readonly detail: string;
  readonly at: string;
}

/** Records resources that failed in a way retrying will not fix, once per resource and reason. */
export interface FailureLog {
  record(failure: PermanentFailure): Promise<void>;
}

/** A notification's receipt (when ingest received it), recorded for coalescing (docs/processing.md#coalescing-across-deliveries). */
export interface ResourceReceipt {
  readonly tenantId: string;
  /** Canonical path (`normalizeResourcePath`). */
  readonly resourcePath: string;
  readonly receivedAt: string;
}

export interface ReceiptEntry {
  /** The latest receipt recorded for the resource (ISO 8601). */
  readonly lastReceivedAt: string;
  /** The oldest notification a coalescing decision left waiting, if one did (for the max wait). */
  readonly pendingSince: string | undefined;
}

/**
 * The latest notification receipt per resource. Processing records a receipt only after the message that
 * holds the notification until its coalescing delay is stored, so an entry newer than a message's
 * `receivedAt` proves that a later message for the same resource is on the queue and will read it (or be
 * covered by a read that starts later still).
 * A lost or out-of-order record only costs an extra read, never a change: correctness never rests on it.
 */
export interface ReceiptLog {
  /** Records receipts; an entry keeps the latest `receivedAt` it was given, whatever the order of the calls. */
  record(receipts: readonly ResourceReceipt[]): Promise<void>;
  read(tenantId: string, resourcePath: string): Promise<ReceiptEntry | undefined>;
  /** Notes that a notification received at `since` is waiting for a later one's read. */
  markPending(tenantId: string, resourcePath: string, since: string): Promise<void>;
}
