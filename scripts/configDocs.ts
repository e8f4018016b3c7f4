/**
 * Renders the files generated from the settings catalogue (`src/lib/config/catalogue.ts`) and host.json:
 * `docs/configuration.md`, `local.settings.json.example` and the Bicep defaults file. Pure functions of
 * their inputs, so the contract test renders them again and compares byte for byte; the writer is
 * `generateConfigDocs.ts` (`npm run docs:config`).
 */
import type { SettingDefinition } from '../src/lib/config';
import { GENERATED_FILES, LOCAL_ONLY_SETTINGS, isLocalOnly } from './settingsContract';

export interface SettingArea {
  readonly area: string;
  readonly settings: Readonly<Record<string, SettingDefinition>>;
}

/** Values a local run needs that are not graph-notify settings, or differ from the Azure default. */
const LOCAL_VALUES: Readonly<Record<string, string>> = {
  FUNCTIONS_WORKER_RUNTIME: 'node',
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
};

function settingsOf(areas: readonly SettingArea[]): SettingDefinition[] {
  return areas.flatMap(({ settings }) => Object.values(settings));
}

/** What a local settings file holds for a setting: its default, a placeholder when required, else empty (= unset). */
function localValue(setting: SettingDefinition): string {
  const local = LOCAL_VALUES[setting.name];
  if (local !== undefined) return local;
  if (setting.default !== undefined) return setting.default;
  return setting.required === true ? `<${setting.name}>` : '';
}

export function renderLocalSettingsExample(areas: readonly SettingArea[]): string {
  const values: Record<string, string> = { FUNCTIONS_WORKER_RUNTIME: 'node' };
  for (const setting of settingsOf(areas)) values[setting.name] = localValue(setting);
  return `${JSON.stringify({ IsEncrypted: false, Values: values }, null, 2)}\n`;
}

/** Catalogue defaults, keyed by setting name, for `loadJsonContent` in infra/app/api.bicep. */
export function renderBicepDefaults(areas: readonly SettingArea[]): string {
  const defaults: Record<string, string> = {};
  for (const setting of settingsOf(areas)) {
    if (setting.default !== undefined && !isLocalOnly(setting.name)) defaults[setting.name] = setting.default;
  }
  return `${JSON.stringify(defaults, null, 2)}\n`;
}

function cell(text: string): string {
  return text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|').trim();
}

function code(text: string): string {
  return text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``;
}

function defaultCell(setting: SettingDefinition): string {
  if (setting.default === '') return '(empty)';
  if (setting.default !== undefined) return code(setting.default);
  return setting.required === true ? '**required**' : '–';
}

function azureCell(setting: SettingDefinition): string {
  if (isLocalOnly(setting.name)) return 'not set (local only)';
  if (setting.secret === true) return 'Key Vault reference';
  return 'app setting';
}

function renderArea({ area, settings }: SettingArea): string {
  const rows = Object.values(settings).map(
    (setting) =>
      `| ${code(setting.name)} | ${defaultCell(setting)} | ${setting.secret === true ? 'yes' : 'no'} | ${azureCell(setting)} | ${cell(setting.description)} | ${cell(setting.whenWrong ?? '–')} |`,
  );
  return [
    `### ${area}`,
    '',
    '| Setting | Default | Secret | In Azure | What it does | When it is wrong |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// host.json

interface HostKeyExplanation {
  readonly path: readonly string[];
  readonly meaning: string;
}

/** What each host.json value we set does for this app. Values are read from host.json itself. */
const HOST_KEYS: readonly HostKeyExplanation[] = [
  {
    path: ['functionTimeout'],
    meaning:
      "Longest a single invocation may run. Flex Consumption allows more (default 30 min), but a queue message that takes longer than this is stuck, not working: the host kills it, the message becomes visible again and counts a dequeue. HTTP functions must answer within 230 s regardless; ingest answers in well under Graph's 3 s.",
  },
  {
    path: ['extensions', 'queues', 'batchSize'],
    meaning:
      'Messages one queue listener fetches at a time, per instance (maximum 32). Each notifications message already packs many notifications, so a moderate batch keeps Graph calls per instance within the per-mailbox concurrency limit (4 concurrent requests for Outlook).',
  },
  {
    path: ['extensions', 'queues', 'newBatchThreshold'],
    meaning:
      'When the in-flight count falls to this, the listener fetches the next batch. Concurrency per function per instance is at most batchSize + newBatchThreshold.',
  },
  {
    path: ['extensions', 'queues', 'maxDequeueCount'],
    meaning:
      'Deliveries before a failing message moves to `<queue>-poison`. Throttling does not burn these: processing re-queues throttled work with a delay and completes the message. Raise it only if transient Graph outages outlast the retries.',
  },
  {
    path: ['extensions', 'queues', 'visibilityTimeout'],
    meaning:
      'Delay before a failed message is visible again, i.e. the back-off between retries. With maxDequeueCount 5, a message that keeps failing is poisoned after about 4 times this delay plus processing time.',
  },
  {
    path: ['extensions', 'queues', 'maxPollingInterval'],
    meaning:
      'Longest wait between polls of an empty queue. Short values lower latency but cost storage transactions per listener and instance; raise it (default 1 min) if latency matters less than cost.',
  },
  {
    path: ['extensions', 'queues', 'messageEncoding'],
    meaning:
      '`base64`: the trigger expects base64 message bodies. Ingest and the poison replay write base64 themselves (the Azure SDK does not encode); a mismatch makes every message fail to decode and end up poisoned.',
  },
  {
    path: ['logging', 'logLevel'],
    meaning:
      'Minimum level per log category. `Function.<name>.User` is what handlers log through `context`; `Host.Function.Console` is console output, uncorrelated with invocations, kept at Warning so stray console logging does not flood Application Insights.',
  },
  {
    path: ['logging', 'applicationInsights', 'samplingSettings'],
    meaning:
      "Adaptive sampling of host telemetry (logs, dependencies) to about `maxTelemetryItemsPerSecond` per instance. Requests and exceptions are excluded from sampling so the ingest 5xx alert and failure counts are exact. The app's own custom metrics are pre-aggregated and never sampled.",
  },
  {
    path: ['extensionBundle'],
    meaning:
      'Binding extensions (storage queues, timers) the host loads; Flex Consumption requires bundle 4.x or later for Node apps.',
  },
];

function lookup(json: unknown, path: readonly string[]): unknown {
  let value: unknown = json;
  for (const key of path) {
    if (value === null || typeof value !== 'object' || !(key in value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function renderHostJson(hostJson: unknown): string {
  const rows = HOST_KEYS.map(({ path, meaning }) => {
    const value = lookup(hostJson, path);
    const shown = value === undefined ? '(not set: host default)' : code(JSON.stringify(value));
    return `| ${code(path.join('.'))} | ${shown} | ${cell(meaning)} |`;
  });
  return [
    '| host.json key | Value | Why |',
    '|---|---|---|',
    ...rows,
    '',
    'Any host.json value can be overridden per environment with an app setting whose name is the path joined by `__` under',
    '`AzureFunctionsJobHost`, e.g. `AzureFunctionsJobHost__extensions__queues__maxDequeueCount=10`, without a new deployment',
    '(Microsoft: "App settings reference for Azure Functions", https://learn.microsoft.com/azure/azure-functions/functions-app-settings).',
    '',
    'host.json is the one source of `maxDequeueCount`: the queue functions read the same file and the same',
    '`AzureFunctionsJobHost__extensions__queues__maxDequeueCount` override as the host (`src/lib/config/hostJson.ts`), so',
    'their "attempt n of m" log lines and poison counts always agree with what the host does. There is no other setting for it.',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------------------
// docs/configuration.md

export function renderConfigurationDoc(areas: readonly SettingArea[], hostJson: unknown): string {
  const localOnly = LOCAL_ONLY_SETTINGS.map(({ name, reason }) => `- ${code(name)}: ${reason}`);
  return [
    '# Configuration',
    '',
    `<!-- Generated by \`npm run docs:config\` from src/lib/config/catalogue.ts and host.json. Do not edit by hand: change the`,
    `     setting's definition in src/lib/config/settings/<area>.ts (or scripts/configDocs.ts for the prose) and regenerate. -->`,
    '',
    'Every setting graph-notify reads is listed below, by area, with its default, whether it is a secret, how it is set in',
    'Azure, what it does and what breaks when it is wrong. The app reads and checks all of them once at start-up. A missing',
    'or malformed setting takes down only the functions that read it (see "When a setting is wrong" below); the host log',
    'names every bad setting (look for `graph-notify runs degraded` or `graph-notify runs unhealthy`) and so does',
    '`GET /api/health` ([operations](operations.md#health)). An empty value counts as unset.',
    '',
    '## Where settings come from',
    '',
    `**Locally** copy \`${GENERATED_FILES.localSettingsExample}\` to \`local.settings.json\` (git-ignored) and fill in the`,
    'placeholders. Core Tools (`func start`), the local host (`npm run dev`) and the `graph-notify` CLI read its `Values`',
    'as environment variables. `AzureWebJobsStorage=UseDevelopmentStorage=true` points everything at Azurite on its default',
    'ports. Never commit `local.settings.json`: secret values sit there in plain text.',
    '',
    '**In Azure** the app settings come from `infra/app/api.bicep`: every setting below except the local-only ones. Defaults',
    `come from \`${GENERATED_FILES.bicepDefaults}\` (generated with this page), so the Bicep and the code cannot disagree.`,
    'Change a value with the `appSettingOverrides` parameter in `infra/main.parameters.json` and `azd provision`; a change made',
    'in the portal is overwritten by the next provision. Secrets are never app-setting values: see Key Vault references below.',
    '',
    'Settings that are deliberately not set in Azure:',
    '',
    ...localOnly,
    '',
    '## Key Vault references',
    '',
    'Secret settings hold a reference such as `@Microsoft.KeyVault(SecretUri=https://<vault>.vault.azure.net/secrets/<name>/)`.',
    'The platform resolves it before the app starts, signing in as the user-assigned identity named by the site property',
    '`keyVaultReferenceIdentity` (role Key Vault Secrets User on the vault). The value never appears in Bicep, deployment',
    'history or the portal. A reference without a version follows the newest secret version: the platform picks it up',
    'within 24 hours, or at once on a restart or any app-settings change. A reference pinned to a version (`.../<name>/<version>`)',
    'never moves; the deployment pins the rich-notification certificate versions so the certificate id and its key always',
    'change together (see docs/operations.md, "Rotating the rich-notification certificate").',
    '',
    'If a reference cannot be resolved (missing secret, missing role, firewall), the app receives the reference text itself',
    '(`@Microsoft.KeyVault(SecretUri=...)` or `@Microsoft.KeyVault(VaultName=...;SecretName=...)`). The app recognises that text,',
    'reports the setting as an unresolved Key Vault reference without showing it, and treats it as broken; the portal shows',
    'the reason under Environment variables, "Key vault reference" status. Microsoft describes the behaviour in "Use Key Vault',
    'references as app settings in Azure App Service and Azure Functions"',
    '(https://learn.microsoft.com/azure/app-service/app-service-key-vault-references). The app reads its settings once per',
    'process: after fixing the secret, ask the platform to read its references again (the refresh call in',
    '[deploy](deploy.md#key-vault-references); a restart alone does not, and any app-settings change does both).',
    '',
    '## When a setting is wrong',
    '',
    'Each part of the app needs only some areas of settings. A problem in an area takes down the parts that need it and',
    'nothing else: their functions answer `503` with `ERR_CONFIG_INVALID` (HTTP) or fail and are retried (queues, timer), and',
    'the log line of each failure names the settings. The other parts keep working.',
    '',
    '| Part | Functions | Needs the areas |',
    '|---|---|---|',
    '| Ingest | receiveNotifications, receiveLifecycleNotifications | Storage, Ingest |',
    '| Processing | processNotifications | Storage, Graph, Processing |',
    '| Subscription management | manageSubscriptions, reconcileSubscriptions, processLifecycleNotifications | Storage, Graph, Processing, Subscriptions |',
    '| Telemetry export | (none: the app exports nothing while it is off) | Telemetry |',
    '',
    "So on a first deployment whose `NOTIFICATION_URL` and `LIFECYCLE_NOTIFICATION_URL` secrets are not written yet, Graph's",
    'notifications are still received and processed; only subscription management waits. An unresolved',
    '`GRAPH_CLIENT_SECRET` stops processing (nothing can be fetched) but ingest keeps accepting and queueing.',
    '',
    '## Identity-based storage',
    '',
    'In Azure the storage account has shared-key access disabled. The host and the app both use',
    '`AzureWebJobsStorage__blobServiceUri`, `__queueServiceUri` and `__tableServiceUri` with `__credential=managedidentity`',
    'and `__clientId=<client id of the user-assigned identity>`. The identity holds Storage Blob Data Owner (host locks, the',
    'deployment package, claim-check payloads and the sink), Storage Queue Data Contributor (ingest writes, triggers read,',
    'delete and poison) and Storage Table Data Contributor (subscriptions). Locally you may use the same three URIs without',
    '`__credential`: your developer sign-in (`az login`) is used, and needs the same data roles (the deployment grants them to',
    'the deploying user).',
    '',
    '## host.json',
    '',
    renderHostJson(hostJson),
    '## Settings',
    '',
    ...areas.map(renderArea),
  ].join('\n');
}

/** Every generated file, path → content. */
export function renderGeneratedFiles(
  areas: readonly SettingArea[],
  hostJson: unknown,
): Readonly<Record<string, string>> {
  return {
    [GENERATED_FILES.configurationDoc]: renderConfigurationDoc(areas, hostJson),
    [GENERATED_FILES.localSettingsExample]: renderLocalSettingsExample(areas),
    [GENERATED_FILES.bicepDefaults]: renderBicepDefaults(areas),
  };
}
