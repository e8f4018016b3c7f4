/**
 * Newer wins: the one rule every `ChangeSink` applies before it writes, so replays and reordering can
 * never roll a resource back (docs/sink.md). Pure: the sink reads what it holds, asks, then writes or not.
 */
import type { ResourceState, SinkEntry, SinkWriteOutcome } from './ports';

/** `write`: the state is newer (or the sink holds nothing); otherwise the outcome to answer without writing. */
export type SinkWriteDecision = 'write' | Exclude<SinkWriteOutcome, 'written'>;

export function decideSinkWrite(held: SinkEntry | undefined, incoming: ResourceState): SinkWriteDecision {
  if (held === undefined) return 'write';
  // ISO 8601 instants in one form compare as text.
  if (held.observedAt > incoming.observedAt) return 'stale';
  if (held.observedAt < incoming.observedAt) return 'write';
  // Observed at the same instant: the same state again changes nothing; different state is replaced unless
  // the writer cannot tell which version is newer (`onSameInstant: 'refuse'`).
  if (held.deleted === (incoming.body === undefined) && held.etag === incoming.etag) return 'unchanged';
  return incoming.onSameInstant === 'refuse' ? 'tied' : 'write';
}
