/**
 * Every setting the app reads, gathered from the areas. docs/configuration.md, local.settings.json.example
 * and the Bicep app settings must list each of these; `test/contract/settings.test.ts` checks it.
 */
import type { SettingDefinition } from './setting';
import { deliverySettings } from './settings/delivery';
import { graphSettings } from './settings/graph';
import { ingestSettings } from './settings/ingest';
import { processingSettings } from './settings/processing';
import { resyncSettings } from './settings/resync';
import { storageSettings } from './settings/storage';
import { subscriptionSettings } from './settings/subscriptions';
import { telemetrySettings } from './settings/telemetry';

export const settingAreas: readonly {
  readonly area: string;
  readonly settings: Readonly<Record<string, SettingDefinition>>;
}[] = [
  { area: 'Storage', settings: storageSettings },
  { area: 'Ingest', settings: ingestSettings },
  { area: 'Graph', settings: graphSettings },
  { area: 'Processing', settings: processingSettings },
  { area: 'Telemetry', settings: telemetrySettings },
  { area: 'Subscriptions', settings: subscriptionSettings },
  { area: 'Resync', settings: resyncSettings },
  { area: 'Delivery routes', settings: deliverySettings },
];

export const allSettings: readonly SettingDefinition[] = settingAreas.flatMap(({ settings }) =>
  Object.values(settings),
);
