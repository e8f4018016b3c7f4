/**
 * Where the CLI reads its settings, so the same settings drive the app and the CLI:
 *
 * - `--settings <path>`: that file's `Values` (local.settings.json format), overlaid by the environment;
 * - else, while `npm run dev` runs, its session file (`.graph-notify/dev-session.json`, written by
 *   dev/run): the settings the dev stack gave the app, over the environment, over the local.settings.json
 *   the app read too (if any), exactly as the local host composes them;
 * - else `./local.settings.json` `Values` when the file exists, overlaid by the environment;
 * - else the environment alone.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Environment } from '../lib/config';

/** The dev stack's session file, relative to the repository root (git-ignored). */
export const DEV_SESSION_FILE = '.graph-notify/dev-session.json';

export interface DevSessionFile {
  /** The `npm run dev` process; the file is stale once it is gone. */
  readonly pid: number;
  /** A local.settings.json the app read as well (tenant mode). */
  readonly settingsFile?: string;
  readonly Values: Readonly<Record<string, string>>;
}

export class SettingsFileInvalid extends Error {
  constructor(path: string, detail: string) {
    super(`${path}: ${detail}`);
    this.name = 'SettingsFileInvalid';
  }
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new SettingsFileInvalid(path, 'not valid JSON');
  }
}

function stringValues(path: string, parsed: unknown): Record<string, string> {
  const values = typeof parsed === 'object' && parsed !== null ? (parsed as { Values?: unknown }).Values : undefined;
  if (typeof values !== 'object' || values === null || Array.isArray(values))
    throw new SettingsFileInvalid(path, 'has no "Values" object');
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) if (typeof value === 'string') result[name] = value;
  return result;
}

function isRunning(pid: unknown): boolean {
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as { code?: unknown }).code === 'EPERM';
  }
}

/** The running dev stack's settings, or undefined when no `npm run dev` is running from `cwd`. */
function devSessionEnvironment(
  env: Environment,
  cwd: string,
): { environment: Environment; source: string } | undefined {
  const path = resolve(cwd, DEV_SESSION_FILE);
  if (!existsSync(path)) return undefined;
  const parsed = readJson(path);
  if (!isRunning((parsed as { pid?: unknown }).pid)) return undefined;
  const settingsFile = (parsed as { settingsFile?: unknown }).settingsFile;
  const fromFile =
    typeof settingsFile === 'string' && existsSync(settingsFile)
      ? stringValues(settingsFile, readJson(settingsFile))
      : {};
  return {
    environment: { ...fromFile, ...definedValues(env), ...stringValues(path, parsed) },
    source: `the running npm run dev (${path})`,
  };
}

function definedValues(env: Environment): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined && value !== '') result[name] = value;
  return result;
}

export function readCliEnvironment(
  env: Environment,
  cwd: string,
  settingsPath: string | undefined,
): { environment: Environment; source: string } {
  if (settingsPath === undefined) {
    const session = devSessionEnvironment(env, cwd);
    if (session !== undefined) return session;
  }
  const path = resolve(cwd, settingsPath ?? 'local.settings.json');
  if (!existsSync(path)) {
    if (settingsPath !== undefined) throw new SettingsFileInvalid(path, 'file not found');
    return { environment: env, source: 'environment' };
  }
  return {
    environment: { ...stringValues(path, readJson(path)), ...definedValues(env) },
    source: `${path} and the environment`,
  };
}
