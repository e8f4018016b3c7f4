/**
 * The parts of host.json the local host honours, read with the host's rules: keys are
 * case-insensitive, durations are .NET TimeSpans (`hh:mm:ss[.fff]`, `d.hh:mm:ss`), and an app setting
 * `AzureFunctionsJobHost__extensions__queues__batchSize=4` overrides the file (the documented
 * per-environment override). Defaults and limits for `extensions.queues` come from the Storage
 * extension 5.x source (`QueuesOptions.cs`, `QueuePollingIntervals.cs`); see
 * "Azure Queue storage trigger for Azure Functions", https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue-trigger.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { LocalHostError } from './errors';
import type { Settings } from './settings';

/** QueuesOptions.MaxBatchSize: the service returns at most 32 messages per receive. */
export const MAX_QUEUE_BATCH_SIZE = 32;
export const DEFAULT_QUEUE_BATCH_SIZE = 16;
/** QueuePollingIntervals.Minimum: the first back-off step and the smallest allowed maximum. */
export const MIN_POLLING_INTERVAL_MS = 100;
/** The default maximum polling interval when the host runs in Development, as Core Tools does. */
export const DEVELOPMENT_MAX_POLLING_INTERVAL_MS = 2_000;
export const DEFAULT_MAX_DEQUEUE_COUNT = 5;
export const DEFAULT_ROUTE_PREFIX = 'api';
const JOB_HOST_SETTING_PREFIX = 'azurefunctionsjobhost__';

export type MessageEncoding = 'base64' | 'none';

export interface QueueHostOptions {
  readonly batchSize: number;
  readonly newBatchThreshold: number;
  readonly maxPollingIntervalMs: number;
  /** How long a failed message stays invisible before its next try. */
  readonly visibilityTimeoutMs: number;
  readonly maxDequeueCount: number;
  readonly messageEncoding: MessageEncoding;
}

export interface HostJsonConfig {
  readonly queues: QueueHostOptions;
  readonly routePrefix: string;
  /** host.json `functionTimeout`; undefined when unbounded (the local default, or `-1`). */
  readonly functionTimeoutMs: number | undefined;
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The property of `object` named `key`, compared case-insensitively. */
function property(object: JsonObject, key: string): unknown {
  if (key in object) return object[key];
  const lower = key.toLowerCase();
  const found = Object.keys(object).find((candidate) => candidate.toLowerCase() === lower);
  return found === undefined ? undefined : object[found];
}

function at(root: JsonObject, path: readonly string[]): unknown {
  let current: unknown = root;
  for (const key of path) {
    if (!isObject(current)) return undefined;
    current = property(current, key);
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
    if (isObject(next)) current = next;
    else {
      const created: JsonObject = {};
      current[existing] = created;
      current = created;
    }
  });
}

/**
 * Milliseconds in a .NET TimeSpan string: `[-][d.]hh:mm[:ss[.fffffff]]`. Returns undefined when the
 * text is not one.
 */
export function parseTimeSpan(text: string): number | undefined {
  const match = /^\s*(-)?(?:(\d+)\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,7}))?)?\s*$/.exec(text);
  if (match === null) return undefined;
  const [, minus, days, hours, minutes, seconds, fraction] = match;
  const h = Number(hours);
  const m = Number(minutes);
  const s = Number(seconds ?? '0');
  if (h > 23 || m > 59 || s > 59) return undefined;
  const fractionMs = fraction === undefined ? 0 : Number(`0.${fraction}`) * 1000;
  const total = ((Number(days ?? '0') * 24 + h) * 60 + m) * 60_000 + s * 1000 + fractionMs;
  return minus === undefined ? total : -total;
}

function invalid(key: string, problem: string): LocalHostError {
  return new LocalHostError('ERR_LOCAL_HOST_APP_INVALID', `host.json ${key} ${problem}`);
}

function readInteger(root: JsonObject, path: readonly string[], fallback: number, min: number, max: number): number {
  const raw = at(root, path);
  if (raw === undefined) return fallback;
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(path.join('.'), `must be a whole number from ${min} to ${max}`);
  }
  return value;
}

function readDuration(root: JsonObject, path: readonly string[], fallbackMs: number, minMs: number): number {
  const raw = at(root, path);
  if (raw === undefined) return fallbackMs;
  const ms = typeof raw === 'string' ? parseTimeSpan(raw) : undefined;
  if (ms === undefined || ms < minMs) throw invalid(path.join('.'), `must be a TimeSpan "hh:mm:ss" of at least ${minMs} ms`);
  return ms;
}

/** Applies `AzureFunctionsJobHost__a__b` app settings onto the parsed host.json. */
function applySettingOverrides(root: JsonObject, settings: Settings): void {
  for (const [name, value] of Object.entries(settings)) {
    if (!name.toLowerCase().startsWith(JOB_HOST_SETTING_PREFIX)) continue;
    const path = name.slice(JOB_HOST_SETTING_PREFIX.length).split('__').filter((key) => key !== '');
    if (path.length > 0) setAt(root, path, value);
  }
}

export function parseHostJson(document: unknown, settings: Settings): HostJsonConfig {
  if (!isObject(document)) throw invalid('', 'must hold a JSON object');
  const root = structuredClone(document);
  applySettingOverrides(root, settings);
  const version = at(root, ['version']);
  if (version !== '2.0') throw invalid('version', 'must be "2.0" (the Functions v4 host schema)');

  const queues = ['extensions', 'queues'];
  const batchSize = readInteger(root, [...queues, 'batchSize'], DEFAULT_QUEUE_BATCH_SIZE, 1, MAX_QUEUE_BATCH_SIZE);
  const newBatchThreshold = readInteger(
    root,
    [...queues, 'newBatchThreshold'],
    Math.floor(batchSize / 2) * availableParallelism(),
    0,
    Number.MAX_SAFE_INTEGER,
  );
  const maxPollingIntervalMs = readDuration(
    root,
    [...queues, 'maxPollingInterval'],
    DEVELOPMENT_MAX_POLLING_INTERVAL_MS,
    MIN_POLLING_INTERVAL_MS,
  );
  const visibilityTimeoutMs = readDuration(root, [...queues, 'visibilityTimeout'], 0, 0);
  const maxDequeueCount = readInteger(root, [...queues, 'maxDequeueCount'], DEFAULT_MAX_DEQUEUE_COUNT, 1, Number.MAX_SAFE_INTEGER);
  const encodingRaw = at(root, [...queues, 'messageEncoding']) ?? 'base64';
  const messageEncoding = typeof encodingRaw === 'string' ? encodingRaw.toLowerCase() : encodingRaw;
  if (messageEncoding !== 'base64' && messageEncoding !== 'none') {
    throw invalid('extensions.queues.messageEncoding', 'must be "base64" or "none"');
  }

  const routePrefixRaw = at(root, ['extensions', 'http', 'routePrefix']) ?? DEFAULT_ROUTE_PREFIX;
  if (typeof routePrefixRaw !== 'string') throw invalid('extensions.http.routePrefix', 'must be a string');

  const timeoutRaw = at(root, ['functionTimeout']);
  let functionTimeoutMs: number | undefined;
  if (timeoutRaw !== undefined && timeoutRaw !== null && timeoutRaw !== '-1') {
    const ms = typeof timeoutRaw === 'string' ? parseTimeSpan(timeoutRaw) : undefined;
    if (ms === undefined) throw invalid('functionTimeout', 'must be a TimeSpan "hh:mm:ss" or "-1"');
    functionTimeoutMs = ms < 0 ? undefined : ms;
  }

  return {
    queues: { batchSize, newBatchThreshold, maxPollingIntervalMs, visibilityTimeoutMs, maxDequeueCount, messageEncoding },
    routePrefix: routePrefixRaw.replace(/^\/+|\/+$/g, ''),
    functionTimeoutMs,
  };
}

/** Reads `<appDir>/host.json`; the host refuses to start without one, and so does this. */
export function readHostJson(appDir: string, settings: Settings): HostJsonConfig {
  const file = join(appDir, 'host.json');
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new LocalHostError('ERR_LOCAL_HOST_APP_INVALID', `Cannot read ${file} as JSON`, { cause: error });
  }
  return parseHostJson(document, settings);
}
