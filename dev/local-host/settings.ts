/**
 * App settings the way Core Tools provides them: `local.settings.json` `Values` become environment
 * variables of the worker unless the environment already defines them, and bindings name settings
 * (`connection: 'AzureWebJobsStorage'`, `queueName: '%NOTIFICATIONS_QUEUE_NAME%'`) that the host
 * resolves. Settings passed to the host directly win over both, so a test can start the app with an
 * exact configuration.
 *
 * The app reads its configuration when it is loaded, so the host writes the settings into
 * `process.env` before loading and puts every variable it touched back when it stops. That is why
 * only one local host may be loaded per process at a time (see `createLocalHost`).
 *
 * Setting names are looked up exactly first and then case-insensitively, as the host's .NET
 * configuration does. Values are never put into messages: only names are.
 */
import { readFileSync } from 'node:fs';
import { LocalHostError } from './errors';
import { describeError } from '../../src/lib/shared/redact';

export type Settings = Readonly<Record<string, string>>;

export interface LocalSettingsFile {
  readonly values: Settings;
  /** `Host.LocalHttpPort`, which Core Tools uses as its default port. */
  readonly localHttpPort?: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a local.settings.json; `undefined` when the file does not exist (Core Tools only warns). */
export function readLocalSettingsFile(file: string): LocalSettingsFile | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
    throw new LocalHostError('ERR_LOCAL_HOST_SETTING_INVALID', `Cannot read ${file}: ${describeError(error)}`, {
      cause: error,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    // The JSON error message can quote the offending text, which may be a secret: give the position only.
    throw new LocalHostError('ERR_LOCAL_HOST_SETTING_INVALID', `${file} is not valid JSON`, { cause: error });
  }
  if (!isRecord(parsed)) throw new LocalHostError('ERR_LOCAL_HOST_SETTING_INVALID', `${file} must hold a JSON object`);
  if (parsed.IsEncrypted === true) {
    throw new LocalHostError(
      'ERR_LOCAL_HOST_SETTING_INVALID',
      `${file} is encrypted (IsEncrypted: true); decrypt it with \`func settings decrypt\` first`,
    );
  }
  const values: Record<string, string> = {};
  const rawValues = parsed.Values ?? {};
  if (!isRecord(rawValues))
    throw new LocalHostError('ERR_LOCAL_HOST_SETTING_INVALID', `${file}: "Values" must be an object`);
  for (const [name, value] of Object.entries(rawValues)) {
    if (typeof value !== 'string') {
      throw new LocalHostError(
        'ERR_LOCAL_HOST_SETTING_INVALID',
        `${file}: Values.${name} must be a string, got ${typeof value}`,
      );
    }
    values[name] = value;
  }
  const host = isRecord(parsed.Host) ? parsed.Host : {};
  const port = host.LocalHttpPort;
  if (port !== undefined && (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65_535)) {
    throw new LocalHostError('ERR_LOCAL_HOST_SETTING_INVALID', `${file}: Host.LocalHttpPort must be a port number`);
  }
  return { values, ...(port === undefined ? {} : { localHttpPort: port }) };
}

export interface ComposedSettings {
  /** Everything the app and its bindings see: the environment plus the applied values. */
  readonly all: Settings;
  /** The variables the host writes into process.env. */
  readonly applied: Settings;
  /** local.settings.json names skipped because the environment already defines them. */
  readonly shadowedByEnvironment: readonly string[];
}

/** Core Tools precedence, then explicit settings on top: file < process.env < `explicit`. */
export function composeSettings(
  fileValues: Settings,
  environment: Readonly<Record<string, string | undefined>>,
  explicit: Settings,
): ComposedSettings {
  const applied: Record<string, string> = {};
  const shadowed: string[] = [];
  for (const [name, value] of Object.entries(fileValues)) {
    if (environment[name] !== undefined && explicit[name] === undefined) shadowed.push(name);
    else applied[name] = value;
  }
  Object.assign(applied, explicit);
  const all: Record<string, string> = {};
  for (const [name, value] of Object.entries(environment)) if (value !== undefined) all[name] = value;
  Object.assign(all, applied);
  return { all, applied, shadowedByEnvironment: shadowed };
}

/** The value of setting `name`: exact match first, then case-insensitive like .NET configuration. */
export function lookupSetting(settings: Settings, name: string): string | undefined {
  const exact = settings[name];
  if (exact !== undefined) return exact;
  const lower = name.toLowerCase();
  for (const [key, value] of Object.entries(settings)) if (key.toLowerCase() === lower) return value;
  return undefined;
}

/**
 * Replaces each `%Name%` in a binding property with the setting's value, as the host's name resolver
 * does; `what` names the property in the error when a setting is missing.
 */
export function resolveSettingReferences(text: string, settings: Settings, what: string): string {
  return text.replace(/%([^%]+)%/g, (_match, name: string) => {
    const value = lookupSetting(settings, name);
    if (value === undefined) {
      throw new LocalHostError(
        'ERR_LOCAL_HOST_SETTING_INVALID',
        `${what} refers to setting %${name}%, which is not set`,
      );
    }
    return value;
  });
}

/** Writes variables into process.env and remembers what was there, to put it back exactly. */
export class EnvironmentPatch {
  readonly #previous = new Map<string, string | undefined>();

  apply(values: Settings): void {
    for (const [name, value] of Object.entries(values)) {
      if (!this.#previous.has(name)) this.#previous.set(name, process.env[name]);
      process.env[name] = value;
    }
  }

  restore(): void {
    for (const [name, value] of this.#previous) {
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- unsetting an environment variable.
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    this.#previous.clear();
  }
}
