export { loadConfig, type AppConfig } from './loadConfig';
export { allSettings, settingAreas } from './catalogue';
export type { Environment } from './envReader';
export type { SettingDefinition } from './setting';
export type { StorageConfig, StorageConnection } from './settings/storage';
export type { IngestConfig } from './settings/ingest';
