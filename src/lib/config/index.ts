export { loadConfig, readConfiguration, type AppConfig, type ConfigurationReading } from './loadConfig';
export { allSettings, settingAreas } from './catalogue';
export { unresolvedReferenceKind, type Environment, type SettingProblem, type UnresolvedReference } from './envReader';
export {
  APP_PARTS,
  areasUnavailable,
  assessConfiguration,
  partUnavailable,
  PART_REQUIREMENTS,
  type AppPart,
  type ConfigurationHealth,
  type HealthProblem,
} from './appParts';
export type { SettingDefinition } from './setting';
export type { StorageConfig, StorageConnection } from './settings/storage';
export type { IngestConfig } from './settings/ingest';
export type { ProcessingConfig } from './settings/processing';
export type {
  GraphConfig,
  GraphCredential,
  GraphEncryptionConfig,
  EncryptionKeyConfig,
  CurrentEncryptionCertificateConfig,
} from './settings/graph';
export type { SubscriptionsConfig } from './settings/subscriptions';
export { maxDequeueCount, readMaxDequeueCount } from './hostJson';
export { describeMisspeltSettings, meantSetting, misspeltSettings, type MisspeltSetting } from './misspeltSettings';
export type { ResyncConfig } from './settings/resync';
export {
  DELIVERY_ROUTES,
  deliverySettings,
  type EventGridActivationConfig,
  type DeliveryConfig,
  type DeliveryRoute,
  type EventGridRouteConfig,
  type EventHubsRouteConfig,
} from './settings/delivery';
