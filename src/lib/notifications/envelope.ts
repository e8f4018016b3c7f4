/**
 * The queue message contract between ingest and processing, version 1.
 *
 * Ingest packs accepted notifications into as few queue messages as fit Azure Queue Storage's 64 KiB
 * message limit *after* base64 (the Functions queue trigger expects base64, "Azure Queue storage trigger for Azure Functions", https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue-trigger), so a
 * POST of 50 notifications usually costs one queue write instead of 50. A notification too large for one
 * message on its own is written to a blob, and the message carries a claim check naming the blob.
 *
 * clientState never enters a message: ingest verified it and stripped it.
 */
import * as z from 'zod/mini';
import { GraphNotifyError } from '../shared/errors';
import { lazySchema } from '../shared/lazySchema';

export const ENVELOPE_VERSION = 1;

/** Azure Queue Storage accepts at most 64 KiB of message text; base64 turns 3 bytes into 4 characters. */
export const QUEUE_MESSAGE_MAX_CHARS = 64 * 1024;
export const QUEUE_MESSAGE_MAX_JSON_BYTES = (QUEUE_MESSAGE_MAX_CHARS / 4) * 3;

export type EnvelopeKind = 'notifications' | 'lifecycle';

/**
 * A delivery route that itself proves its events come from Graph, so rich items from it need no validation
 * tokens: only Graph's Change Tracking principal may send to the app's event hub (docs/security.md, "Rich
 * notifications by Event Hubs"). Set only by the Event Hubs functions' adapters, never from what a caller sends.
 */
export type AuthenticatedRoute = 'eventHubs';

export interface NotificationEnvelope {
  readonly v: typeof ENVELOPE_VERSION;
  readonly kind: EnvelopeKind;
  /** Unique per message; a redelivered message keeps it. */
  readonly id: string;
  /** When ingest received the POST (ISO 8601); processing's newer-wins checks compare against it. */
  readonly receivedAt: string;
  /** Present when the items came by a route that authenticates Graph (see `AuthenticatedRoute`). */
  readonly authenticatedRoute?: AuthenticatedRoute;
  /** Each item as Graph sent it, tenantId normalised, clientState removed. */
  readonly items: readonly Readonly<Record<string, unknown>>[];
  /** Present when an item carries encryptedContent (or on lifecycle messages that came with tokens). */
  readonly validationTokens?: readonly string[];
  /** True once the items have waited for coalescing across deliveries (docs/processing.md): process them now. */
  readonly waited?: boolean;
}

export interface ClaimCheckEnvelope {
  readonly v: typeof ENVELOPE_VERSION;
  readonly kind: EnvelopeKind;
  readonly id: string;
  readonly receivedAt: string;
  /** The blob (in the PAYLOAD_CONTAINER_NAME container) holding a complete `NotificationEnvelope`. */
  readonly claimCheck: { readonly blobName: string; readonly itemCount: number };
}

export type QueueEnvelope = NotificationEnvelope | ClaimCheckEnvelope;

export class EnvelopeInvalid extends GraphNotifyError {
  constructor(detail: string) {
    super('ERR_ENVELOPE_INVALID', `Queue message is not a version-${ENVELOPE_VERSION} envelope: ${detail}`);
  }
}

const envelopeSchemas = lazySchema(() => {
  const common = {
    v: z.literal(ENVELOPE_VERSION),
    kind: z.enum(['notifications', 'lifecycle']),
    id: z.string().check(z.minLength(1)),
    receivedAt: z.iso.datetime({ offset: true }),
  };
  return {
    notifications: z.object({
      ...common,
      authenticatedRoute: z.optional(z.literal('eventHubs')),
      items: z.array(z.record(z.string(), z.unknown())),
      validationTokens: z.optional(z.array(z.string())),
      waited: z.optional(z.boolean()),
    }),
    claimCheck: z.object({
      ...common,
      claimCheck: z.object({ blobName: z.string().check(z.minLength(1)), itemCount: z.int().check(z.nonnegative()) }),
    }),
  };
});

export function isClaimCheck(envelope: QueueEnvelope): envelope is ClaimCheckEnvelope {
  return 'claimCheck' in envelope;
}

/** Parses a decoded queue message (JSON text or the object the queue trigger already parsed). */
export function parseQueueEnvelope(message: unknown): QueueEnvelope {
  let value = message;
  if (typeof message === 'string') {
    try {
      value = JSON.parse(message);
    } catch {
      throw new EnvelopeInvalid('not JSON');
    }
  }
  const schemas = envelopeSchemas();
  const claim = schemas.claimCheck.safeParse(value);
  if (claim.success) return claim.data;
  const envelope = schemas.notifications.safeParse(value);
  if (envelope.success) return stripUndefined(envelope.data);
  const issue = envelope.error.issues[0];
  throw new EnvelopeInvalid(
    issue === undefined ? 'unrecognised shape' : `${issue.path.join('.') || 'message'}: ${issue.message}`,
  );
}

/** Parses the content of a claim-check blob. */
export function parseNotificationEnvelope(json: string): NotificationEnvelope {
  const envelope = parseQueueEnvelope(json);
  if (isClaimCheck(envelope))
    throw new EnvelopeInvalid('a claim-check blob must hold the notifications, not another claim check');
  return envelope;
}

function stripUndefined(envelope: z.infer<ReturnType<typeof envelopeSchemas>['notifications']>): NotificationEnvelope {
  const { authenticatedRoute, validationTokens, waited, ...rest } = envelope;
  return {
    ...rest,
    ...(authenticatedRoute === undefined ? {} : { authenticatedRoute }),
    ...(validationTokens === undefined ? {} : { validationTokens }),
    ...(waited === undefined ? {} : { waited }),
  };
}
