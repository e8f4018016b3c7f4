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
