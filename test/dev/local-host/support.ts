/**
 * Shared pieces of the local-host tests: the fixture apps, a log sink that keeps entries (the fixture
 * functions report what they received through `context.log` as JSON), and settings with unique
 * queue names on the shared Azurite.
 */
import { join } from 'node:path';
import type { LocalHostLogEntry, LocalHostLogSink } from '../../../dev/local-host';
import { azuriteConnectionString, uniqueName } from '../../support/storage';

export const fixturesDir = join(__dirname, 'fixtures');
export const sampleAppDir = join(fixturesDir, 'sample-app');

export interface LogCollector {
  readonly sink: LocalHostLogSink;
  readonly entries: LocalHostLogEntry[];
  /** The JSON events a fixture function logged with `context.log`, in order. */
  events(functionName: string): Record<string, unknown>[];
  /** The host's own lines (Executing/Executed, warnings). */
  hostLines(): string[];
}

export function collectLogs(): LogCollector {
  const entries: LocalHostLogEntry[] = [];
  return {
    sink: (entry) => entries.push(entry),
    entries,
    events: (functionName) =>
      entries
        .filter((entry) => entry.source === 'function' && entry.functionName === functionName)
        .map((entry) => JSON.parse(entry.message) as Record<string, unknown>),
    hostLines: () => entries.filter((entry) => entry.source === 'host').map((entry) => entry.message),
  };
}

/** Every setting the sample app's bindings name, with unique queues; the tick timer far in the future. */
export function sampleSettings(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    AzureWebJobsStorage: azuriteConnectionString(),
    WORK_QUEUE: uniqueName('work'),
    RELAY_QUEUE: uniqueName('relay'),
    SLOW_QUEUE: uniqueName('slow'),
    OUTPUT_QUEUE: uniqueName('output'),
    TICK_SCHEDULE: '0 0 0 1 1 *',
    ...overrides,
  };
}
