/**
 * The parts of host.json the local host honours, read with the host's rules: keys are
 * case-insensitive, durations are .NET TimeSpans (`hh:mm:ss[.fff]`, `d.hh:mm:ss`), and an app setting
 * `AzureFunctionsJobHost__extensions__queues__batchSize=4` overrides the file (the documented
 * per-environment override; the lookup and overrides are the app's own, src/lib/config/hostJson.ts, so
 * the app and this host read maxDequeueCount alike). Defaults and limits for `extensions.queues` come
 * from the Storage extension 5.x source (`QueuesOptions.cs`, `QueuePollingIntervals.cs` in
 * Azure/azure-sdk-for-net) and Microsoft's "Azure Queue storage trigger and bindings for Azure
 * Functions" host.json section (https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue#hostjson-settings).
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_MAX_DEQUEUE_COUNT,
  hostJsonValue as at,
  isJsonObject as isObject,
  withJobHostOverrides,
  type JsonObject,
} from '../../src/lib/config/hostJson';
import { LocalHostError } from './errors';
import type { Settings } from './settings';

/** QueuesOptions.MaxBatchSize: the service returns at most 32 messages per receive. */
export const MAX_QUEUE_BATCH_SIZE = 32;
export const DEFAULT_QUEUE_BATCH_SIZE = 16;
/** QueuePollingIntervals.Minimum: the first back-off step and the smallest allowed maximum. */
export const MIN_POLLING_INTERVAL_MS = 100;
/** The default maximum polling interval when the host runs in Development, as Core Tools does. */
export const DEVELOPMENT_MAX_POLLING_INTERVAL_MS = 2_000;
export const DEFAULT_ROUTE_PREFIX = 'api';

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
  if (ms === undefined || ms < minMs)
    throw invalid(path.join('.'), `must be a TimeSpan "hh:mm:ss" of at least ${minMs} ms`);
  return ms;
}

export function parseHostJson(document: unknown, settings: Settings): HostJsonConfig {
  if (!isObject(document)) throw invalid('', 'must hold a JSON object');
  const root = withJobHostOverrides(document, settings);
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
  const maxDequeueCount = readInteger(
    root,
    [...queues, 'maxDequeueCount'],
    DEFAULT_MAX_DEQUEUE_COUNT,
    1,
    Number.MAX_SAFE_INTEGER,
  );
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
    queues: {
      batchSize,
      newBatchThreshold,
      maxPollingIntervalMs,
      visibilityTimeoutMs,
      maxDequeueCount,
      messageEncoding,
    },
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
