/**
 * Every setting the app reads, gathered from the areas. docs/configuration.md, local.settings.json.example
 * and the Bicep app settings must list each of these; `test/contract/settings.test.ts` checks it.
 */
import type { SettingDefinition } from './setting';
import { ingestSettings } from './settings/ingest';
import { storageSettings } from './settings/storage';

export const settingAreas: readonly { readonly area: string; readonly settings: Readonly<Record<string, SettingDefinition>> }[] = [
  { area: 'Storage', settings: storageSettings },
  { area: 'Ingest', settings: ingestSettings },
];

export const allSettings: readonly SettingDefinition[] = settingAreas.flatMap(({ settings }) => Object.values(settings));
