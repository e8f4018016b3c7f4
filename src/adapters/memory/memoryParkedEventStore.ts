/** In-memory `ParkedEventStore` for unit tests. */
import type { ParkedEventStore } from '../../lib/ingest';
import { StorageNotFound } from '../../lib/shared/errors';

export class MemoryParkedEventStore implements ParkedEventStore {
  readonly bodies = new Map<string, string>();
  readonly deadLettered = new Map<string, string>();

  park(name: string, body: string): Promise<void> {
    this.bodies.set(name, body);
    return Promise.resolve();
  }

  list(): Promise<string[]> {
    return Promise.resolve([...this.bodies.keys()].sort());
  }

  load(name: string): Promise<string> {
    const body = this.bodies.get(name);
    return body === undefined ? Promise.reject(new StorageNotFound(`Parked event ${name}`)) : Promise.resolve(body);
  }

  remove(name: string): Promise<void> {
    this.bodies.delete(name);
    return Promise.resolve();
  }

  deadLetter(name: string): Promise<void> {
    const body = this.bodies.get(name);
    if (body === undefined) return Promise.reject(new StorageNotFound(`Parked event ${name}`));
    this.deadLettered.set(name, body);
    this.bodies.delete(name);
    return Promise.resolve();
  }

  listDeadLettered(): Promise<string[]> {
    return Promise.resolve([...this.deadLettered.keys()].sort());
  }
}
