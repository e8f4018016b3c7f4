/**
 * Where the CLI reads its settings: the `Values` of local.settings.json (the file the Functions host reads
 * locally; `--settings <path>` picks another), overlaid by the process environment, so the same settings
 * drive the app and the CLI and an exported variable wins over the file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Environment } from '../lib/config';

export class SettingsFileInvalid extends Error {
  constructor(path: string, detail: string) {
    super(`${path}: ${detail}`);
    this.name = 'SettingsFileInvalid';
  }
}

export function readCliEnvironment(env: Environment, cwd: string, settingsPath: string | undefined): { environment: Environment; source: string } {
  const path = resolve(cwd, settingsPath ?? 'local.settings.json');
  if (!existsSync(path)) {
    if (settingsPath !== undefined) throw new SettingsFileInvalid(path, 'file not found');
    return { environment: env, source: 'environment' };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new SettingsFileInvalid(path, 'not valid JSON');
  }
  const values = typeof parsed === 'object' && parsed !== null ? (parsed as { Values?: unknown }).Values : undefined;
  if (typeof values !== 'object' || values === null || Array.isArray(values)) throw new SettingsFileInvalid(path, 'has no "Values" object');
  const fromFile: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) if (typeof value === 'string') fromFile[name] = value;
  const overlay = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  return { environment: { ...fromFile, ...overlay }, source: `${path} and the environment` };
}
