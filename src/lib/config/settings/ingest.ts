/** Ingest: the HTTP webhooks that receive Graph's notification and lifecycle POSTs. */
import type { EnvReader } from '../envReader';
import { defineSetting } from '../setting';

export const ingestSettings = {
  maxBodyBytes: defineSetting({
    name: 'INGEST_MAX_BODY_BYTES',
    description: 'Largest notification POST body accepted, in bytes. Larger bodies get 413 and nothing is enqueued.',
    default: '4194304',
    whenWrong:
      'Too low: large rich-notification batches are refused (Graph retries them for 4 hours, then drops them). Too high: memory per request grows.',
  }),
  hostMaxBodyBytes: defineSetting({
    name: 'FUNCTIONS_REQUEST_BODY_SIZE_LIMIT',
    description:
      'Read by the Functions host, not the app: largest request body the host buffers, in bytes (its own default is 100 MiB). Keep it equal to INGEST_MAX_BODY_BYTES; the Bicep sets it from that setting.',
    default: '4194304',
    whenWrong:
      'Above INGEST_MAX_BODY_BYTES: the host buffers that much of every POST before ingest refuses it, and a flood of large POSTs delays genuine deliveries. Below it: the host refuses bodies the app would accept.',
  }),
  subscriptionCacheTtlSeconds: defineSetting({
    name: 'SUBSCRIPTION_CACHE_TTL_SECONDS',
    description:
      'How long ingest caches a subscription (and its clientState) in memory after reading it from the table. 0 disables the cache.',
    default: '30',
    whenWrong:
      'Too high: a deleted subscription or a rotated clientState is honoured that much longer. 0: every notification costs a table read.',
  }),
} as const;

export interface IngestConfig {
  readonly maxBodyBytes: number;
  readonly subscriptionCacheTtlMs: number;
}

export function readIngestConfig(env: EnvReader): IngestConfig {
  return {
    maxBodyBytes: env.integer(ingestSettings.maxBodyBytes, { min: 1024, max: 100 * 1024 * 1024 }),
    subscriptionCacheTtlMs: env.integer(ingestSettings.subscriptionCacheTtlSeconds, { min: 0, max: 3600 }) * 1000,
  };
}
