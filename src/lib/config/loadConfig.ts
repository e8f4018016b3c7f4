/**
 * Reads and validates every setting once, at start-up, into one frozen `AppConfig`. `loadConfig` throws
 * `ConfigurationInvalid` naming each missing or malformed setting; `readConfiguration` returns the
 * problems instead, so the composition root can keep the parts of the app that do not depend on them
 * running (`appParts.ts`). To add a setting: declare it in the area's `settings/<area>.ts`, read it in
 * that file's `read…Config`, and list the area in `catalogue.ts`.
 */
import { ConfigurationInvalid } from '../shared/errors';
import { EnvReader, formatProblem, type Environment, type SettingProblem } from './envReader';
import { readDeliveryConfig, type DeliveryConfig } from './settings/delivery';
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
  readonly delivery: DeliveryConfig;
}

export interface ConfigurationReading {
  /** Every setting as read; a setting with a problem holds a placeholder (its default, or blank). */
  readonly config: AppConfig;
  /** Empty when the whole configuration is valid. */
  readonly problems: readonly SettingProblem[];
}

/** Reads every setting and collects every problem without throwing. */
export function readConfiguration(environment: Environment): ConfigurationReading {
  const env = new EnvReader(environment);
  const config: AppConfig = {
    storage: readStorageConfig(env),
    ingest: readIngestConfig(env),
    graph: readGraphConfig(env),
    processing: readProcessingConfig(env),
    telemetry: readTelemetryConfig(env),
    subscriptions: readSubscriptionsConfig(env),
    resync: readResyncConfig(env),
    delivery: readDeliveryConfig(env),
  };
  return { config: deepFreeze(config), problems: env.problems() };
}

/** The whole configuration, or `ConfigurationInvalid` naming every problem. */
export function loadConfig(environment: Environment): AppConfig {
  const { config, problems } = readConfiguration(environment);
  if (problems.length > 0) throw new ConfigurationInvalid(problems.map(formatProblem));
  return config;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
