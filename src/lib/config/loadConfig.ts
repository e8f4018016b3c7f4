/**
 * Reads and validates every setting once, at start-up, into one frozen `AppConfig`. A failure throws
 * `ConfigurationInvalid` naming each missing or malformed setting. To add a setting: declare it in the
 * area's `settings/<area>.ts`, read it in that file's `read…Config`, and list the area in `catalogue.ts`.
 */
import { EnvReader, type Environment } from './envReader';
import { readGraphConfig, type GraphConfig } from './settings/graph';
import { readIngestConfig, type IngestConfig } from './settings/ingest';
import { readProcessingConfig, type ProcessingConfig } from './settings/processing';
import { readResyncConfig, type ResyncConfig } from './settings/resync';
import { readStorageConfig, type StorageConfig } from './settings/storage';
import { readSubscriptionsConfig, type SubscriptionsConfig } from './settings/subscriptions';
import { readTelemetryConfig, type TelemetryConfig } from './settings/telemetry';

export interface AppConfig {
  readonly storage: StorageConfig;
  readonly ingest: IngestConfig;
  readonly graph: GraphConfig;
  readonly processing: ProcessingConfig;
  readonly telemetry: TelemetryConfig;
  readonly subscriptions: SubscriptionsConfig;
  readonly resync: ResyncConfig;
}

export function loadConfig(environment: Environment): AppConfig {
  const env = new EnvReader(environment);
  const config: AppConfig = {
    storage: readStorageConfig(env),
    ingest: readIngestConfig(env),
    graph: readGraphConfig(env),
    processing: readProcessingConfig(env),
    telemetry: readTelemetryConfig(env),
    subscriptions: readSubscriptionsConfig(env),
    resync: readResyncConfig(env),
  };
  env.assertValid();
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
