/**
 * A setting as the whole project sees it: its name, what it does, its default and whether its value is a
 * secret. Each area declares its settings next to the code that reads them (`settings/*.ts`); the
 * catalogue in `catalogue.ts` gathers them for the docs and the deployment contract test.
 */
export interface SettingDefinition {
  readonly name: string;
  readonly description: string;
  /** Default as the text an operator would write; absent = required or optional without default. */
  readonly default?: string;
  /** True when the app cannot start without it (in the configuration where it applies). */
  readonly required?: boolean;
  /** Secret values are never logged and belong in Key Vault in Azure. */
  readonly secret?: boolean;
  /** What breaks when it is wrong: shown in docs/configuration.md. */
  readonly whenWrong?: string;
}

export function defineSetting<const T extends SettingDefinition>(definition: T): T {
  return Object.freeze(definition);
}
