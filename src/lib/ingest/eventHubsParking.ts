/**
 * Parking for Event Hubs events that could not be queued. The Event Hubs trigger moves its checkpoint on
 * whether or not the function succeeds ("Azure Functions reliable event processing"), so an event whose
 * items could not be stored would be gone with the next checkpoint. Instead its body is parked as a blob;
 * the `replayParkedEvents` timer feeds parked bodies through ingest again and removes each once queued.
 * If parking fails too, the function throws and the trigger's retry policy runs the batch again before the
 * checkpoint moves (src/functions/receiveEventHubsNotifications.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import { describeError } from '../shared/redact';
import { eventBodyOf, ingestEventHubsEvents, type EventHubsIngestDependencies } from './eventHubsEvents';

/** Where parked event bodies live (a blob container in Azure, a map in tests). */
export interface ParkedEventStore {
  park(name: string, body: string): Promise<void>;
  /** Names of the parked bodies, oldest first. */
  list(): Promise<string[]>;
  load(name: string): Promise<string>;
  remove(name: string): Promise<void>;
}

/** Parks each event body; throws (StorageUnavailable) when one cannot be parked. */
export async function parkEvents(events: readonly unknown[], store: ParkedEventStore, clock: Clock): Promise<void> {
  const at = clock.now().toISOString();
  await Promise.all(
    events.map((event) => {
      const body = eventBodyOf(event);
      // Sortable by time, unique by id.
      return store.park(
        `${at.replaceAll(':', '-')}-${randomUUID()}.json`,
        typeof body === 'string' ? body : JSON.stringify(body),
      );
    }),
  );
}

export interface ReplayReport {
  readonly replayed: number;
  /** Still parked: their items could not be queued yet. */
  readonly remaining: number;
}

/** Feeds every parked body through ingest again; a body is removed once its items are queued (or refused). */
export async function replayParkedEvents(
  deps: EventHubsIngestDependencies & { readonly parked: ParkedEventStore; readonly log: Logger },
): Promise<ReplayReport> {
  const names = await deps.parked.list();
  let replayed = 0;
  for (const name of names) {
    const body = await deps.parked.load(name);
    const result = await ingestEventHubsEvents([body], deps);
    if (result.failed.length > 0) {
      deps.log.warn(
        `Parked event ${name} still cannot be queued; left for the next replay: ${describeError(result.failed[0]?.error)}`,
      );
      return { replayed, remaining: names.length - replayed };
    }
    await deps.parked.remove(name);
    replayed += 1;
  }
  return { replayed, remaining: 0 };
}
