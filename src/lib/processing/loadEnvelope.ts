/**
 * Turns a queue message into the envelope it stands for: parses it, and for a claim check loads the blob.
 * The blob is deleted only after the message was processed (`done`), so a redelivery still finds it; a
 * claim check whose blob is already gone was completed before and is acknowledged quietly.
 */
import {
  isClaimCheck,
  parseNotificationEnvelope,
  parseQueueEnvelope,
  type NotificationEnvelope,
} from '../notifications';
import { StorageNotFound } from '../shared/errors';
import type { Logger } from '../shared/logger';
import type { PayloadStore } from '../storage';

export interface LoadedEnvelope {
  readonly envelope: NotificationEnvelope;
  /** Call after successful processing: removes the claim-check blob, if any. */
  done(): Promise<void>;
}

export async function loadEnvelope(
  message: unknown,
  payloads: PayloadStore,
  log: Logger,
): Promise<LoadedEnvelope | undefined> {
  const parsed = parseQueueEnvelope(message);
  if (!isClaimCheck(parsed)) return { envelope: parsed, done: () => Promise.resolve() };
  let content: string;
  try {
    content = await payloads.load(parsed.claimCheck.blobName);
  } catch (error) {
    if (error instanceof StorageNotFound) {
      log.warn(`Claim-check blob ${parsed.claimCheck.blobName} is gone: message ${parsed.id} was already processed`);
      return undefined;
    }
    throw error;
  }
  return { envelope: parseNotificationEnvelope(content), done: () => payloads.delete(parsed.claimCheck.blobName) };
}
