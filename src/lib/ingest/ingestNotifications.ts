/**
 * The ingest use case behind both webhooks (`/api/notifications` and `/api/lifecycle`).
 *
 * Graph counts a reply slower than 3 s as a failure and throttles slow endpoints (reference §3.6-§3.7),
 * so this does the least that makes a notification safe: parse, verify each item, pack the accepted ones
 * into queue messages and wait until every message is durably stored. Only then does the caller answer
 * 202. Any storage failure surfaces as `StorageUnavailable` so the caller answers 503 and Graph retries:
 * nothing is acknowledged that was not stored. Graph calls happen later, in processing.
 */
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import { describeError } from '../shared/redact';
import { StorageUnavailable } from '../shared/errors';
import { packEnvelopes, parseNotificationCollection, type EnvelopeKind, type ClaimCheckEnvelope, type NotificationItem } from '../notifications';
import type { MessageSender, PayloadStore } from '../storage';
import type { SubscriptionLookup } from '../subscriptions';
import { verifyNotification, type RejectionReason } from './verifyNotification';

export type IngestEndpoint = 'notifications' | 'lifecycle';

export interface IngestRequest {
  readonly contentType: string | undefined;
  readonly body: Uint8Array;
}

export interface IngestResult {
  readonly accepted: number;
  readonly rejected: Readonly<Partial<Record<RejectionReason, number>>>;
  /** Queue messages written (claim checks included). */
  readonly messagesSent: number;
}

export interface IngestObserver {
  received(endpoint: IngestEndpoint, count: number): void;
  rejected(endpoint: IngestEndpoint, reason: RejectionReason): void;
  enqueued(endpoint: IngestEndpoint, result: { items: number; messages: number; latencyMs: number; outcome: 'enqueued' | 'failed' }): void;
}

export interface IngestDependencies {
  readonly lookupSubscription: SubscriptionLookup;
  readonly notificationsQueue: MessageSender;
  readonly lifecycleQueue: MessageSender;
  readonly payloads: PayloadStore;
  readonly clock: Clock;
  readonly maxBodyBytes: number;
  readonly log: Logger;
  readonly observer?: IngestObserver;
  /** Bench only: cap items per queue message (1 = the one-message-per-notification design). */
  readonly maxItemsPerMessage?: number;
}

export async function ingestNotifications(endpoint: IngestEndpoint, request: IngestRequest, deps: IngestDependencies): Promise<IngestResult> {
  const receivedAt = deps.clock.now().toISOString();
  const collection = parseNotificationCollection(request.contentType, request.body, deps.maxBodyBytes);
  deps.observer?.received(endpoint, collection.items.length);

  const rejected: Partial<Record<RejectionReason, number>> = {};
  const reject = (reason: RejectionReason, detail: string): void => {
    rejected[reason] = (rejected[reason] ?? 0) + 1;
    deps.observer?.rejected(endpoint, reason);
    deps.log.warn(`Rejected a notification on /${endpoint}: ${reason} (${detail})`);
  };

  const verdicts = await Promise.all(
    collection.items.map(async (parsed) => {
      if (!parsed.ok) {
        reject('invalidItem', parsed.problem);
        return undefined;
      }
      const verdict = await verifyNotification(parsed.item, deps.lookupSubscription);
      if (!verdict.accepted) {
        reject(verdict.reason, `subscription ${parsed.item.subscriptionId}`);
        return undefined;
      }
      return parsed.item;
    }),
  );
  const accepted = verdicts.filter((item): item is NotificationItem => item !== undefined);

  // A lifecycle item can arrive on the notification URL (and the reverse); route each by what it is.
  const changes = accepted.filter((item) => item.kind === 'change').map((item) => item.payload);
  const lifecycle = accepted.filter((item) => item.kind === 'lifecycle').map((item) => item.payload);

  const started = performance.now();
  let messagesSent = 0;
  try {
    const counts = await Promise.all([
      enqueue('notifications', changes, deps.notificationsQueue),
      enqueue('lifecycle', lifecycle, deps.lifecycleQueue),
    ]);
    messagesSent = counts[0] + counts[1];
  } catch (error) {
    deps.observer?.enqueued(endpoint, { items: accepted.length, messages: messagesSent, latencyMs: performance.now() - started, outcome: 'failed' });
    deps.log.error(`Could not store ${accepted.length} notification(s) from /${endpoint}; answering 503 so Graph retries: ${describeError(error)}`);
    throw error instanceof StorageUnavailable ? error : new StorageUnavailable('enqueue', { cause: error });
  }
  deps.observer?.enqueued(endpoint, { items: accepted.length, messages: messagesSent, latencyMs: performance.now() - started, outcome: 'enqueued' });
  return { accepted: accepted.length, rejected, messagesSent };

  async function enqueue(kind: EnvelopeKind, items: readonly Readonly<Record<string, unknown>>[], queue: MessageSender): Promise<number> {
    if (items.length === 0) return 0;
    const packed = packEnvelopes(
      { kind, receivedAt, items, validationTokens: collection.validationTokens },
      deps.maxItemsPerMessage === undefined ? {} : { maxItemsPerMessage: deps.maxItemsPerMessage },
    );
    const sends = packed.envelopes.map((envelope) => queue.send(JSON.stringify(envelope)));
    if (packed.oversized !== undefined) {
      const { oversized } = packed;
      const blobName = `${kind}/${receivedAt.slice(0, 10)}/${oversized.id}.json`;
      const claimCheck: ClaimCheckEnvelope = {
        v: oversized.v,
        kind,
        id: oversized.id,
        receivedAt,
        claimCheck: { blobName, itemCount: oversized.items.length },
      };
      // The blob must exist before the message that points at it can be seen.
      sends.push(deps.payloads.save(blobName, JSON.stringify(oversized)).then(() => queue.send(JSON.stringify(claimCheck))));
    }
    await Promise.all(sends);
    return sends.length;
  }
}
