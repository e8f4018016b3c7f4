/**
 * The deployment side of the settings catalogue: which settings are deliberately NOT app settings in
 * Azure, and why. `docs/configuration.md` shows this, and `test/contract/settings.test.ts` requires every
 * other catalogue setting to appear in the Bicep app settings. Keep the list short and every reason real:
 * a setting missing here and from the Bicep fails the contract test.
 */

export interface LocalOnlySetting {
  readonly name: string;
  readonly reason: string;
}

export const LOCAL_ONLY_SETTINGS: readonly LocalOnlySetting[] = [
  {
    name: 'AzureWebJobsStorage',
    reason:
      'A connection string carries the account key, and the storage account in Azure has shared-key access disabled. Azure uses the identity-based AzureWebJobsStorage__* settings instead.',
  },
  {
    name: 'GRAPH_TOKEN_ENDPOINT',
    reason: 'Points token requests at the Graph simulator or a mock. In Azure, tokens come from GRAPH_AUTHORITY_HOST.',
  },
];

export function isLocalOnly(name: string): boolean {
  return LOCAL_ONLY_SETTINGS.some((setting) => setting.name === name);
}

/** Files the generator owns, relative to the repository root. */
export const GENERATED_FILES = {
  configurationDoc: 'docs/configuration.md',
  localSettingsExample: 'local.settings.json.example',
  bicepDefaults: 'infra/app/settingDefaults.json',
} as const;
