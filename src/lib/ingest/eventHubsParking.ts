/**
 * Parking for Event Hubs events that could not be queued. The Event Hubs trigger moves its checkpoint on
 * whether or not the function succeeds ("Azure Functions reliable event processing"), so an event whose
 * items could not be stored would be gone with the next checkpoint. Instead its body is parked as a blob;
 * the `replayParkedEvents` timer feeds parked bodies through ingest again and removes each once queued.
 * If parking fails too, the function throws and the trigger's retry policy runs the batch again before the
 * checkpoint moves (src/functions/receiveEventHubsNotifications.ts).
 *
 * The replay goes oldest first and stops at the first event that still cannot be queued: storage is still down,
 * and everything behind it would fail the same way. An event whose claimed payload blob (additionalPayloadStorageId)
 * is not there is different: it does not hold back the events behind it. It is skipped and tried again on each
 * replay for CLAIMED_PAYLOAD_WAIT_MS after it was parked, then dead-lettered: moved out of the replay's way, kept
 * for the operator (docs/ingest.md#event-hubs), counted in the report and logged as an error.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import { describeError } from '../shared/redact';
import { GraphNotifyError } from '../shared/errors';
import {
  ClaimedPayloadUnreadable,
  eventBodyOf,
  ingestEventHubsEvents,
  type EventHubsIngestDependencies,
} from './eventHubsEvents';

/** How long a parked event naming a payload blob that is not there is tried again before it is dead-lettered. */
export const CLAIMED_PAYLOAD_WAIT_MS = 60 * 60_000;

/** Where parked event bodies live (a blob container in Azure, a map in tests). */
export interface ParkedEventStore {
  park(name: string, body: string): Promise<void>;
  /** Names of the parked bodies, oldest first. */
  list(): Promise<string[]>;
  load(name: string): Promise<string>;
  remove(name: string): Promise<void>;
  /** Moves a parked body where the replay no longer sees it but an operator finds it (`listDeadLettered`). */
  deadLetter(name: string): Promise<void>;
  /** Names of the dead-lettered bodies, oldest first. */
  listDeadLettered(): Promise<string[]>;
}

/** Parks each event body; throws (StorageUnavailable) when one cannot be parked. */
export async function parkEvents(events: readonly unknown[], store: ParkedEventStore, clock: Clock): Promise<void> {
  const at = clock.now().toISOString();
  await Promise.all(
    events.map((event) => {
      const body = eventBodyOf(event);
      // Sortable by time, unique by id; parkedAtOf reads the time back.
      return store.park(
        `${at.replaceAll(':', '-')}-${randomUUID()}.json`,
        typeof body === 'string' ? body : JSON.stringify(body),
      );
    }),
  );
}

/** When a body was parked, read back from its name (`parkEvents`); undefined for a name it did not make. */
export function parkedAtOf(name: string): Date | undefined {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2})-(\d{2})-(\d{2}(?:\.\d+)?Z)-/.exec(name);
  if (match === null) return undefined;
  const at = new Date(`${match[1] ?? ''}:${match[2] ?? ''}:${match[3] ?? ''}`);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/** The replay failed because Graph's payload blob is not (yet) there, not because storage is down. */
function isClaimedPayloadMissing(error: unknown): boolean {
  return (
    error instanceof ClaimedPayloadUnreadable ||
    (error instanceof GraphNotifyError && error.code === 'ERR_STORAGE_NOT_FOUND')
  );
}

export interface ReplayReport {
  readonly replayed: number;
  /** Still parked: their items could not be queued yet (or their payload blob is awaited). */
  readonly remaining: number;
  /** Moved aside this run: their payload blob did not appear within CLAIMED_PAYLOAD_WAIT_MS. */
  readonly deadLettered: number;
}

/**
 * Feeds every parked body through ingest again, oldest first; a body is removed once its items are queued (or
 * refused). Stops at the first one that cannot be queued, except one waiting for its payload blob, which is
 * skipped (and dead-lettered once it has waited CLAIMED_PAYLOAD_WAIT_MS).
 */
export async function replayParkedEvents(
  deps: EventHubsIngestDependencies & { readonly parked: ParkedEventStore; readonly log: Logger },
): Promise<ReplayReport> {
  const names = await deps.parked.list();
  let replayed = 0;
  let deadLettered = 0;
  const report = (): ReplayReport => ({ replayed, remaining: names.length - replayed - deadLettered, deadLettered });
  for (const name of names) {
    const body = await deps.parked.load(name);
    const failure = (await ingestEventHubsEvents([body], deps)).failed[0];
    if (failure === undefined) {
      await deps.parked.remove(name);
      replayed += 1;
    } else if (!isClaimedPayloadMissing(failure.error)) {
      deps.log.warn(
        `Parked event ${name} still cannot be queued; it and the ${names.length - replayed - deadLettered - 1} behind it are left for the next replay: ${describeError(failure.error)}`,
      );
      return report();
    } else if (deps.clock.now().getTime() - (parkedAtOf(name)?.getTime() ?? 0) >= CLAIMED_PAYLOAD_WAIT_MS) {
      await deps.parked.deadLetter(name);
      deadLettered += 1;
      deps.log.error(
        `Dead-lettered parked Event Hubs event ${name}: Graph's payload blob it names did not appear within ${CLAIMED_PAYLOAD_WAIT_MS / 60_000} minutes (docs/ingest.md#event-hubs): ${describeError(failure.error)}`,
      );
    } else {
      deps.log.warn(
        `Parked event ${name} names a payload blob that is not there yet; skipped, tried again on the next replays: ${describeError(failure.error)}`,
      );
    }
  }
  return report();
}
