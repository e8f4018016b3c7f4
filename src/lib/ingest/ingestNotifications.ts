/**
 * The ingest use case behind both webhooks (`/api/notifications` and `/api/lifecycle`).
 *
 * Graph counts a reply slower than 3 s as a failure and throttles slow endpoints (docs/graph-protocol.md §3.6-§3.7),
 * so this does the least that makes a notification safe: parse, verify each item, pack the accepted ones
 * into queue messages and wait until every message is durably stored. Only then does the caller answer
 * 202. Any storage failure surfaces as `StorageUnavailable` so the caller answers 503 and Graph retries:
 * nothing is acknowledged that was not stored. Graph calls happen later, in processing.
 */
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import { describeError } from '../shared/redact';
import { StorageUnavailable } from '../shared/errors';
import {
  packEnvelopes,
  parseNotificationCollection,
  parseNotificationItem,
  type AuthenticatedRoute,
  type EnvelopeKind,
  type ClaimCheckEnvelope,
  type NotificationItem,
} from '../notifications';
import type { MessageSender, PayloadStore } from '../storage';
import type { SubscriptionLookup } from '../subscriptions';
import { presentedSecretDigests } from '../shared/constantTimeEquals';
import {
  checkItemShape,
  verifyNotification,
  type ItemRejectionReason,
  type ShapeCheckedItem,
} from './verifyNotification';

export type IngestEndpoint = 'notifications' | 'lifecycle';

export interface IngestRequest {
  readonly contentType: string | undefined;
  readonly body: Uint8Array;
}

export interface IngestResult {
  readonly accepted: number;
  readonly rejected: Readonly<Partial<Record<ItemRejectionReason, number>>>;
  /** Queue messages written (claim checks included). */
  readonly messagesSent: number;
}

export interface IngestObserver {
  received(endpoint: IngestEndpoint, count: number): void;
  /** `count` items of one request refused for `reason`. */
  rejected(endpoint: IngestEndpoint, reason: ItemRejectionReason, count: number): void;
  enqueued(
    endpoint: IngestEndpoint,
    result: { items: number; messages: number; latencyMs: number; outcome: 'enqueued' | 'failed' },
  ): void;
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

/** Items checked between two yields to the event loop. */
const ITEMS_PER_SLICE = 250;

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The steps: parse the body, check each item's shape, verify the survivors against their subscriptions,
 * then store the accepted ones, each kind on its own queue. Rejections are tallied along the way and
 * reported once.
 *
 * `authenticatedRoute` marks the envelopes as delivered by a route that authenticates Graph itself; only the
 * Event Hubs ingest passes it (from its adapter), never the webhooks: nothing in a request body can set it.
 */
export async function ingestNotifications(
  endpoint: IngestEndpoint,
  request: IngestRequest,
  deps: IngestDependencies,
  authenticatedRoute?: AuthenticatedRoute,
): Promise<IngestResult> {
  const receivedAt = deps.clock.now().toISOString();
  const collection = parseNotificationCollection(request.contentType, request.body, deps.maxBodyBytes);
  deps.observer?.received(endpoint, collection.rawItems.length);
  const rejections = tallyRejections();

  const candidates = await checkShapes(collection.rawItems, rejections);
  const accepted = await verifyAgainstSubscriptions(candidates, deps.lookupSubscription, rejections);
  const rejected = rejections.report(endpoint, deps);
  const messagesSent = await storeAccepted(
    endpoint,
    accepted,
    { receivedAt, authenticatedRoute, validationTokens: collection.validationTokens },
    deps,
  );
  return { accepted: accepted.length, rejected, messagesSent };
}

type Rejections = ReturnType<typeof tallyRejections>;

/** Parses each raw item and checks what needs no storage; refused items are tallied as `invalidItem`. */
async function checkShapes(rawItems: readonly unknown[], rejections: Rejections): Promise<ShapeCheckedItem[]> {
  const candidates: ShapeCheckedItem[] = [];
  for (let start = 0; start < rawItems.length; start += ITEMS_PER_SLICE) {
    // Checking thousands of items takes a while: let the validation handshakes and other requests that share
    // this worker's event loop through between slices (Graph gives a handshake 10 s, a POST 3 s).
    if (start > 0) await yieldToEventLoop();
    const end = Math.min(rawItems.length, start + ITEMS_PER_SLICE);
    for (let index = start; index < end; index += 1) {
      const parsed = parseNotificationItem(rawItems[index]);
      const shape = parsed.ok ? checkItemShape(parsed.item) : parsed;
      if (shape.problem === undefined) candidates.push(shape.checked);
      else rejections.add('invalidItem', shape.problem);
    }
  }
  return candidates;
}

/** Keeps the items their subscription vouches for: one lookup per distinct subscription id in the request. */
async function verifyAgainstSubscriptions(
  candidates: readonly ShapeCheckedItem[],
  lookup: SubscriptionLookup,
  rejections: Rejections,
): Promise<NotificationItem[]> {
  if (candidates.length === 0) return [];
  const subscriptions = await lookup.lookupMany(candidates.map(({ item }) => item.subscriptionId));
  const digestOf = presentedSecretDigests();
  const accepted: NotificationItem[] = [];
  for (const candidate of candidates) {
    const verdict = verifyNotification(candidate, subscriptions.get(candidate.item.subscriptionId), digestOf);
    if (verdict.accepted) accepted.push(verdict.item ?? candidate.item);
    else rejections.add(verdict.reason);
  }
  return accepted;
}

interface Receipt {
  readonly receivedAt: string;
  readonly authenticatedRoute: AuthenticatedRoute | undefined;
  readonly validationTokens: readonly string[];
}

/**
 * Stores the accepted items and returns the queue messages written. A lifecycle item can arrive on the
 * notification URL (and the reverse): each is routed by what it is.
 */
async function storeAccepted(
  endpoint: IngestEndpoint,
  accepted: readonly NotificationItem[],
  receipt: Receipt,
  deps: IngestDependencies,
): Promise<number> {
  const changes = accepted.filter((item) => item.kind === 'change').map((item) => item.payload);
  const lifecycle = accepted.filter((item) => item.kind === 'lifecycle').map((item) => item.payload);
  const started = performance.now();
  const outcome = (result: 'enqueued' | 'failed', messages: number) => ({
    items: accepted.length,
    messages,
    latencyMs: performance.now() - started,
    outcome: result,
  });
  try {
    const counts = await Promise.all([
      enqueue('notifications', changes, deps.notificationsQueue, receipt, deps),
      enqueue('lifecycle', lifecycle, deps.lifecycleQueue, receipt, deps),
    ]);
    const messagesSent = counts[0] + counts[1];
    deps.observer?.enqueued(endpoint, outcome('enqueued', messagesSent));
    return messagesSent;
  } catch (error) {
    deps.observer?.enqueued(endpoint, outcome('failed', 0));
    // Only a failed storage call is an outage (503, Graph retries); anything else (a serialisation error, a
    // bug) keeps its own type so it is never reported as one.
    if (!(error instanceof StorageUnavailable)) throw error;
    deps.log.error(
      `Could not store ${accepted.length} notification(s) from /${endpoint}; answering 503 so Graph retries: ${describeError(error)}`,
    );
    throw error;
  }
}

/** Packs one kind's items into queue messages and sends them; an oversized remainder goes by claim check. */
async function enqueue(
  kind: EnvelopeKind,
  items: readonly Readonly<Record<string, unknown>>[],
  queue: MessageSender,
  receipt: Receipt,
  deps: IngestDependencies,
): Promise<number> {
  if (items.length === 0) return 0;
  const { receivedAt, authenticatedRoute } = receipt;
  const packed = packEnvelopes(
    { kind, receivedAt, authenticatedRoute, items, validationTokens: receipt.validationTokens },
    deps.maxItemsPerMessage === undefined ? {} : { maxItemsPerMessage: deps.maxItemsPerMessage },
  );
  const sends = packed.messages.map((message) => queue.send(message));
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
    sends.push(
      deps.payloads.save(blobName, JSON.stringify(oversized)).then(() => queue.send(JSON.stringify(claimCheck))),
    );
  }
  await Promise.all(sends);
  return sends.length;
}

/**
 * Counts a request's rejections by reason and reports them once: one warning line per reason with its count
 * and the first problem seen, so a forged flood of 10,000 items writes a line, not 10,000. No id, clientState
 * or resource is echoed: the problems name fields only.
 */
function tallyRejections() {
  const counts: Partial<Record<ItemRejectionReason, number>> = {};
  const firstProblem: Partial<Record<ItemRejectionReason, string>> = {};
  return {
    add(reason: ItemRejectionReason, problem?: string): void {
      counts[reason] = (counts[reason] ?? 0) + 1;
      if (problem !== undefined) firstProblem[reason] ??= problem;
    },
    report(
      endpoint: IngestEndpoint,
      deps: Pick<IngestDependencies, 'log' | 'observer'>,
    ): Readonly<Partial<Record<ItemRejectionReason, number>>> {
      for (const [reason, count] of Object.entries(counts) as [ItemRejectionReason, number][]) {
        deps.observer?.rejected(endpoint, reason, count);
        const example = firstProblem[reason];
        deps.log.warn(
          `Rejected ${count} notification(s) on /${endpoint}: ${reason}${example === undefined ? '' : ` (first: ${example})`}`,
        );
      }
      return counts;
    },
  };
}
