export { loadConfig, type AppConfig } from './loadConfig';
export { allSettings, settingAreas } from './catalogue';
export type { Environment } from './envReader';
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
export type { ResyncConfig } from './settings/resync';
