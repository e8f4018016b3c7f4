/**
 * Reads settings from an environment (process.env or local.settings.json Values) and collects every
 * problem instead of stopping at the first, so one start-up failure names all missing or malformed
 * settings. Values of secret settings never appear in a problem message.
 *
 * A Key Vault (or App Configuration) reference that the platform could not resolve reaches the app as
 * its literal text, `@Microsoft.KeyVault(SecretUri=...)` or `@Microsoft.KeyVault(VaultName=...;SecretName=...)`
 * (Microsoft: "Use Key Vault references as app settings in Azure App Service and Azure Functions",
 * https://learn.microsoft.com/azure/app-service/app-service-key-vault-references). Such a value is
 * recognised, reported once as unresolved (never echoed), and otherwise read as if the setting were unset,
 * so it does not also fail as a malformed URL or key.
 */
import { ConfigurationInvalid } from '../shared/errors';
import type { SettingDefinition } from './setting';

export type Environment = Readonly<Record<string, string | undefined>>;

/** A platform reference the platform did not resolve: the kind of store it points at. */
export type UnresolvedReference = 'Key Vault' | 'App Configuration';

/** One problem with one setting. `message` never contains the value of a secret setting. */
export interface SettingProblem {
  readonly setting: string;
  readonly message: string;
  /** Set when the value is the literal text of a reference the platform did not resolve. */
  readonly unresolvedReference?: UnresolvedReference;
}

const PLATFORM_REFERENCE = /^@Microsoft\.(KeyVault|AppConfiguration)\(/i;

/** The kind of platform reference `value` is, or undefined when it is an ordinary value. */
export function unresolvedReferenceKind(value: string): UnresolvedReference | undefined {
  const match = PLATFORM_REFERENCE.exec(value.trim());
  if (match === null) return undefined;
  return match[1]?.toLowerCase() === 'keyvault' ? 'Key Vault' : 'App Configuration';
}

export function formatProblem(problem: SettingProblem): string {
  return `${problem.setting}: ${problem.message}`;
}

export class EnvReader {
  readonly #env: Environment;
  readonly #problems: SettingProblem[] = [];
  readonly #unresolved = new Set<string>();

  constructor(env: Environment) {
    this.#env = env;
  }

  /** The raw trimmed value, or undefined when unset, blank or an unresolved platform reference. */
  raw(name: string): string | undefined {
    const value = this.#env[name]?.trim();
    if (value === undefined || value === '') return undefined;
    const reference = unresolvedReferenceKind(value);
    if (reference === undefined) return value;
    if (!this.#unresolved.has(name)) {
      this.#unresolved.add(name);
      this.#problems.push({
        setting: name,
        unresolvedReference: reference,
        message: `is an unresolved ${reference} reference: the platform passed the reference text instead of the value (check that the secret exists and that the identity in keyVaultReferenceIdentity may read it; the Portal's Environment variables page shows the reason)`,
      });
    }
    return undefined;
  }

  has(setting: SettingDefinition): boolean {
    return this.raw(setting.name) !== undefined;
  }

  /** Records a problem; none is added for a setting already reported as an unresolved reference (it follows from that). */
  problem(setting: SettingDefinition | string, message: string): void {
    const name = typeof setting === 'string' ? setting : setting.name;
    if (this.#unresolved.has(name)) return;
    this.#problems.push({ setting: name, message });
  }

  /** Every problem recorded so far, in the order found. */
  problems(): readonly SettingProblem[] {
    return [...this.#problems];
  }

  /** A string; falls back to the setting's default; records a problem when required and missing. */
  string(setting: SettingDefinition): string {
    const value = this.raw(setting.name) ?? setting.default;
    if (value === undefined) {
      this.problem(setting, `is required (${setting.description})`);
      return '';
    }
    return value;
  }

  optionalString(setting: SettingDefinition): string | undefined {
    return this.raw(setting.name) ?? setting.default;
  }

  integer(setting: SettingDefinition, bounds: { min: number; max: number }): number {
    const text = this.string(setting);
    if (text === '') return bounds.min;
    const value = Number(text);
    if (!Number.isInteger(value) || value < bounds.min || value > bounds.max) {
      this.problem(
        setting,
        `must be a whole number from ${bounds.min} to ${bounds.max}, got ${this.#shown(setting, text)}`,
      );
      return bounds.min;
    }
    return value;
  }

  boolean(setting: SettingDefinition): boolean {
    const text = this.string(setting).toLowerCase();
    if (text === 'true' || text === '1') return true;
    if (text === 'false' || text === '0' || text === '') return false;
    this.problem(setting, `must be true or false, got ${this.#shown(setting, text)}`);
    return false;
  }

  oneOf<const T extends string>(setting: SettingDefinition, allowed: readonly T[]): T {
    const text = this.string(setting);
    const match = allowed.find((candidate) => candidate.toLowerCase() === text.toLowerCase());
    if (match === undefined) {
      if (text !== '') this.problem(setting, `must be one of ${allowed.join(', ')}, got ${this.#shown(setting, text)}`);
      return allowed[0] as T;
    }
    return match;
  }

  /** An absolute URL; `protocols` limits the scheme (e.g. ['https:']). */
  url(setting: SettingDefinition, protocols: readonly string[] = ['https:', 'http:']): string {
    const text = this.string(setting);
    return text === '' ? '' : this.#checkUrl(setting, text, protocols);
  }

  optionalUrl(setting: SettingDefinition, protocols: readonly string[] = ['https:', 'http:']): string | undefined {
    const text = this.optionalString(setting);
    return text === undefined ? undefined : this.#checkUrl(setting, text, protocols);
  }

  /**
   * A storage queue or blob container name: 3-63 lower-case letters, digits and single hyphens
   * (Azure's naming rules), so a typo fails at start-up rather than on the first message.
   */
  queueOrContainerName(setting: SettingDefinition): string {
    const text = this.string(setting);
    if (text !== '' && !/^[a-z0-9](?:[a-z0-9]|-(?!-)){1,61}[a-z0-9]$/.test(text)) {
      this.problem(
        setting,
        `must be 3-63 lower-case letters, digits or single hyphens, starting and ending with a letter or digit, got "${text}"`,
      );
    }
    return text;
  }

  /** A table name: 3-63 letters and digits, starting with a letter. */
  tableName(setting: SettingDefinition): string {
    const text = this.string(setting);
    if (text !== '' && !/^[A-Za-z][A-Za-z0-9]{2,62}$/.test(text)) {
      this.problem(setting, `must be 3-63 letters or digits starting with a letter, got "${text}"`);
    }
    return text;
  }

  /** Throws `ConfigurationInvalid` naming every problem recorded so far. */
  assertValid(): void {
    if (this.#problems.length > 0) throw new ConfigurationInvalid(this.#problems.map(formatProblem));
  }

  #checkUrl(setting: SettingDefinition, text: string, protocols: readonly string[]): string {
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      this.problem(setting, `must be an absolute URL, got ${this.#shown(setting, text)}`);
      return text;
    }
    if (!protocols.includes(parsed.protocol)) {
      this.problem(setting, `must use ${protocols.join(' or ')}, got ${parsed.protocol}`);
    }
    return text;
  }

  #shown(setting: SettingDefinition, value: string): string {
    return setting.secret === true ? '(secret value hidden)' : `"${value}"`;
  }
}
