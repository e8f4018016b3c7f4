/**
 * The one result object a processing invocation records into: each step of `processNotifications` adds
 * what it did (writes, reads, work put back, failures), and `toResult` answers the invocation's summary.
 */
import type { SinkWriteOutcome } from './ports';

type Item = Readonly<Record<string, unknown>>;

export interface ProcessingResult {
  readonly items: number;
  readonly writes: Readonly<Record<SinkWriteOutcome, number>>;
  /** Graph reads avoided: duplicates in the message and resources the sink already held newer state for. */
  readonly readsSaved: number;
  readonly graphReads: number;
  readonly deltaRuns: number;
  readonly requeued: number;
  /** Rich notifications rejected: validation tokens or decryption failed, or content naming another resource. */
  readonly rejected: number;
  /** Of those, rich content naming another resource than its notification's (docs/security.md#checks-in-processing). */
  readonly richContentMismatch: number;
  readonly failedPermanently: number;
  /** Basic notifications put back on the queue to wait for coalescing (processed when they return). */
  readonly heldForCoalescing: number;
}

export class ProcessingRecord {
  readonly writes: Record<SinkWriteOutcome, number> = { written: 0, unchanged: 0, stale: 0, tied: 0 };
  readsSaved = 0;
  graphReads = 0;
  deltaRuns = 0;
  rejected = 0;
  richContentMismatch = 0;
  failedPermanently = 0;
  heldForCoalescing = 0;
  /** Items to put back on the notifications queue, and the longest wait any of them was asked for. */
  readonly putBack: { readonly items: Item[]; delaySeconds: number } = { items: [], delaySeconds: 0 };
  /** The first failure that should make the host retry the message, thrown once everything else is written. */
  retryFailure: Error | undefined;

  putBackLater(items: readonly Item[], delaySeconds: number): void {
    this.putBack.items.push(...items);
    this.putBack.delaySeconds = Math.max(this.putBack.delaySeconds, delaySeconds);
  }

  retryMessageAfterAll(error: Error): void {
    this.retryFailure ??= error;
  }

  addWrites(writes: Readonly<Record<SinkWriteOutcome, number>>): void {
    for (const outcome of ['written', 'unchanged', 'stale', 'tied'] as const) this.writes[outcome] += writes[outcome];
  }

  toResult(items: number): ProcessingResult {
    return {
      items,
      writes: this.writes,
      readsSaved: this.readsSaved,
      graphReads: this.graphReads,
      deltaRuns: this.deltaRuns,
      requeued: this.putBack.items.length,
      rejected: this.rejected,
      richContentMismatch: this.richContentMismatch,
      failedPermanently: this.failedPermanently,
      heldForCoalescing: this.heldForCoalescing,
    };
  }
}

/** The processing invocation's one log line. */
export function describeProcessingResult(result: ProcessingResult): string {
  const { writes } = result;
  return (
    `Processed ${result.items} notification(s): ${writes.written} written, ${writes.unchanged} unchanged, ${writes.stale} stale, ` +
    `${writes.tied} tied (read from Graph), ${result.readsSaved} reads saved, ${result.graphReads} Graph reads, ` +
    `${result.deltaRuns} delta runs, ${result.requeued} requeued, ${result.rejected} rejected ` +
    `(${result.richContentMismatch} naming another resource), ` +
    `${result.failedPermanently} failed permanently, ${result.heldForCoalescing} held for coalescing`
  );
}
