/**
 * host.json as the Functions host reads it: keys compared case-insensitively, and any value overridable
 * per environment by an app setting `AzureFunctionsJobHost__<path>` (e.g.
 * `AzureFunctionsJobHost__extensions__queues__maxDequeueCount=10`; Microsoft: "App settings reference for
 * Azure Functions", https://learn.microsoft.com/azure/azure-functions/functions-app-settings#azurefunctionsjobhost__).
 *
 * host.json is the one source of `extensions.queues.maxDequeueCount`: the queue functions read it from
 * here (with the same override the host honours) to say which failed attempt was the last, and the local
 * host reads the whole file through the same rules.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Environment } from './envReader';

export type JsonObject = Record<string, unknown>;

/** The Storage extension's default when host.json does not set it. */
export const DEFAULT_MAX_DEQUEUE_COUNT = 5;
const JOB_HOST_SETTING_PREFIX = 'azurefunctionsjobhost__';

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value at `path`, each key compared case-insensitively; undefined when any step is missing. */
export function hostJsonValue(root: JsonObject, path: readonly string[]): unknown {
  let current: unknown = root;
  for (const key of path) {
    if (!isJsonObject(current)) return undefined;
    const object: JsonObject = current;
    const found =
      key in object ? key : Object.keys(object).find((candidate) => candidate.toLowerCase() === key.toLowerCase());
    current = found === undefined ? undefined : object[found];
  }
  return current;
}

/** Sets `path` in `root`, reusing existing keys whatever their case. */
function setAt(root: JsonObject, path: readonly string[], value: unknown): void {
  let current = root;
  path.forEach((key, index) => {
    const existing = Object.keys(current).find((candidate) => candidate.toLowerCase() === key.toLowerCase()) ?? key;
    if (index === path.length - 1) {
      current[existing] = value;
      return;
    }
    const next = current[existing];
    if (isJsonObject(next)) current = next;
    else {
      const created: JsonObject = {};
      current[existing] = created;
      current = created;
    }
  });
}

/** A copy of the parsed host.json with every `AzureFunctionsJobHost__a__b` setting applied over it. */
export function withJobHostOverrides(document: JsonObject, settings: Environment): JsonObject {
  const root = structuredClone(document);
  for (const [name, value] of Object.entries(settings)) {
    if (value === undefined || !name.toLowerCase().startsWith(JOB_HOST_SETTING_PREFIX)) continue;
    const path = name
      .slice(JOB_HOST_SETTING_PREFIX.length)
      .split('__')
      .filter((key) => key !== '');
    if (path.length > 0) setAt(root, path, value);
  }
  return root;
}

/** `extensions.queues.maxDequeueCount` after overrides; throws a TypeError naming the key when it is not a whole number ≥ 1. */
export function readMaxDequeueCount(document: JsonObject, settings: Environment): number {
  const raw = hostJsonValue(withJobHostOverrides(document, settings), ['extensions', 'queues', 'maxDequeueCount']);
  if (raw === undefined) return DEFAULT_MAX_DEQUEUE_COUNT;
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new TypeError(
      'host.json extensions.queues.maxDequeueCount (or AzureFunctionsJobHost__extensions__queues__maxDequeueCount) must be a whole number from 1',
    );
  }
  return value;
}

/** The app's host.json: the first one found walking up from `from` (dist/src/lib/config or src/lib/config to the app root). */
export function findHostJson(from: string = __dirname): string {
  for (let directory = from; ; directory = dirname(directory)) {
    const candidate = join(directory, 'host.json');
    if (existsSync(candidate)) return candidate;
    if (dirname(directory) === directory) throw new TypeError(`No host.json in ${from} or any folder above it`);
  }
}

let appMaxDequeueCount: number | undefined;

/** The app's maxDequeueCount, read once per process from its host.json and the environment's override. */
export function maxDequeueCount(): number {
  appMaxDequeueCount ??= readMaxDequeueCount(
    JSON.parse(readFileSync(findHostJson(), 'utf8')) as JsonObject,
    process.env,
  );
  return appMaxDequeueCount;
}
