/**
 * The processing use case behind the notifications queue trigger: turns one queue message (a packed
 * envelope of verified notifications) into resource state in the sink.
 *
 * - Coalescing across deliveries (docs/processing.md, coalescing.ts): the first time a message is seen, a
 *   basic notification about a quiet resource is read at once; the others go back on the queue for
 *   COALESCE_DELAY_SECONDS (marked `waited`); receipts are recorded for both; when held ones return, a
 *   resource is read only if no later notification about it is queued.
 * - Rich notifications: every validation token is verified first, then each item is decrypted; no Graph
 *   read happens for them (docs/graph-protocol.md §5). Any failure rejects the item, counted, logged without content.
 * - `deleted` notifications write a tombstone without a read; a 404 on a read does too.
 * - Resources named by id are read with `$batch` (≤20 per call, per tenant) after coalescing: several
 *   notifications about one resource cost one read, and none when the sink already holds state observed
 *   after this message was received, or when a later notification about it is already queued (its read
 *   covers this one). A read's state is stamped with the instant the read *started*: it covers exactly the
 *   notifications received before then, so a change made while a read is in flight is read again.
 * - Drive roots name no item: a delta run from the stored link covers them, one run at a time per drive.
 * - Throttling (429, or 503/504 with Retry-After) never sleeps and never burns a retry: the throttled items
 *   go back on the queue as a new message, invisible for the Retry-After, and this message completes.
 * - Other transient failures (5xx, network, a rejected credential) fail the invocation once everything
 *   else is written, so the host retries the message and, after maxDequeueCount, poisons it.
 * - Permanent failures (403, other 4xx, unsupported resources) are recorded once and not retried.
 *
 * Every write is idempotent and newer-wins, so redelivery and reordering converge on the same state.
 */
import type { EncryptedContent } from '../notifications';
import { ENVELOPE_VERSION, isRich, type NotificationEnvelope } from '../notifications';
import type { GraphClient, GraphError } from '../graph';
import { GraphCredentialRejected, GraphResourceNotFound, GraphThrottled, GraphUnavailable, isGraphError } from '../graph';
import { encodeResourceId, kindOfNotificationResource, normalizeResourcePath, type ResourceKind } from '../resources';
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import { isGraphNotifyError } from '../shared/errors';
import { describeError } from '../shared/redact';
import type { MessageSender } from '../storage';
import { recordCoalescingSaved, recordEndToEndLatency, withSpan } from '../telemetry';
import type { ChangeSink, DeltaStateStore, FailureLog, ResourceState, SinkWriteOutcome } from './ports';
import { holdForCoalescing, leaveToLaterNotification, recordReceipts, type CoalescingDependencies } from './coalescing';
import type { ReadsInFlight } from './readsInFlight';
import { syncDelta } from './syncDelta';

/** Opens rich notifications: verifies validation tokens and decrypts content. Errors are coded and content-free. */
export interface RichContentOpener {
  /** Throws when any token is invalid or when the tokens do not cover every tenant listed. */
  verifyTokens(validationTokens: readonly string[], tenantIds: readonly string[]): Promise<void>;
  decrypt(content: EncryptedContent): Readonly<Record<string, unknown>>;
}

export interface ProcessingDependencies {
  readonly graph: Pick<GraphClient, 'batchGet' | 'deltaPages'>;
  readonly sink: ChangeSink;
  readonly deltaStates: DeltaStateStore;
  readonly failures: FailureLog;
  /** The notifications queue, for work put back after throttling or a busy delta run. */
  readonly requeue: MessageSender;
  readonly rich: RichContentOpener;
  /** `$select` per resource kind name. */
  readonly select: Readonly<Partial<Record<string, string>>>;
  readonly clock: Clock;
  readonly log: Logger;
  /** Coalescing across deliveries (docs/processing.md); absent = every uncovered notification is read. */
  readonly coalescing?: CoalescingDependencies;
  /** Reads in flight in this process, shared by its invocations; absent = no joining. */
  readonly readsInFlight?: ReadsInFlight;
}

export interface ProcessingResult {
  readonly items: number;
  readonly writes: Readonly<Record<SinkWriteOutcome, number>>;
  /** Graph reads avoided: duplicates in the message and resources the sink already held newer state for. */
  readonly readsSaved: number;
  readonly graphReads: number;
  readonly deltaRuns: number;
  readonly requeued: number;
  readonly rejected: number;
  readonly failedPermanently: number;
  /** Basic notifications put back on the queue to wait for coalescing (processed when they return). */
  readonly heldForCoalescing: number;
}

/** Delay before retrying a drive whose delta run is busy in another invocation. */
const BUSY_DELTA_RETRY_SECONDS = 5;

type Item = Readonly<Record<string, unknown>>;

interface Target {
  readonly tenantId: string;
  readonly path: string;
  readonly kind: ResourceKind;
  readonly items: Item[];
  readonly subscriptionId: string | undefined;
  readonly changeTypes: Set<string>;
  /** The $select of the read when it must match a rich notification's content (see `selectOfRichContent`); else the kind's. */
  readonly select: string | undefined;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * When the state a rich notification carries was true: the resource's `lastModifiedDateTime` (Graph's
 * clock), else its receipt. Graph may deliver notifications out of order (docs/graph-protocol.md §3.5); stamped with
 * the receipt time, an older snapshot arriving late would overwrite a newer one, or bring a deleted
 * resource back to life over its tombstone. Normalised to the sink's ISO form, which compares as text.
 */
function richObservedAt(body: Item, receivedAt: string): string {
  const modified = typeof body.lastModifiedDateTime === 'string' ? Date.parse(body.lastModifiedDateTime) : Number.NaN;
  return Number.isNaN(modified) ? receivedAt : new Date(modified).toISOString();
}

/** The properties a rich notification carried, as a $select, so a read of the resource returns the same shape. */
function selectOfRichContent(body: Item): string {
  return Object.keys(body).filter((name) => !name.startsWith('@')).join(',');
}

export async function processNotifications(received: NotificationEnvelope, deps: ProcessingDependencies): Promise<ProcessingResult> {
  const { toProcessNow: envelope, held } = await holdForCoalescing(received, deps.coalescing, deps.requeue, deps.log, deps.clock);
  await recordReceipts(deps.coalescing, held, received.receivedAt, deps.log);
  const heldForCoalescing = held.length;
  const writes: Record<SinkWriteOutcome, number> = { written: 0, unchanged: 0, stale: 0, tied: 0 };
  let readsSaved = 0;
  let graphReads = 0;
  let deltaRuns = 0;
  let rejected = 0;
  let failedPermanently = 0;
  const requeue: { items: Item[]; delaySeconds: number } = { items: [], delaySeconds: 0 };
  let transientFailure: Error | undefined;

  const write = async (state: ResourceState, kind?: ResourceKind): Promise<SinkWriteOutcome> => {
    const outcome = await deps.sink.write(state);
    writes[outcome] += 1;
    if (outcome === 'written' && state.receivedAt !== undefined) {
      recordEndToEndLatency(deps.clock.now().getTime() - Date.parse(state.receivedAt), { resourceKind: kind?.name ?? 'other' });
    }
    return outcome;
  };
  const recordPermanent = async (tenantId: string, path: string, subscriptionId: string | undefined, reason: string, detail: string): Promise<void> => {
    failedPermanently += 1;
    deps.log.warn(`Permanent failure for a resource of tenant ${tenantId} (subscription ${subscriptionId ?? 'unknown'}): ${reason}: ${detail}`);
    await deps.failures.record({ tenantId, resourcePath: path, subscriptionId, reason, detail, at: deps.clock.now().toISOString() });
  };
  const putBack = (items: readonly Item[], delaySeconds: number): void => {
    requeue.items.push(...items);
    requeue.delaySeconds = Math.max(requeue.delaySeconds, delaySeconds);
  };
  const handleReadError = async (target: Target, error: GraphError): Promise<void> => {
    if (error instanceof GraphThrottled || (error instanceof GraphUnavailable && error.retryAfterFromHeader)) {
      putBack(target.items, error.retryAfterMs / 1000);
    } else if (error.transient || error instanceof GraphCredentialRejected) {
      transientFailure ??= error;
    } else {
      const reason = error.status === 403 ? 'access-denied' : error.status === 400 ? 'bad-request' : `graph-${error.status ?? 'error'}`;
      await recordPermanent(target.tenantId, target.path, target.subscriptionId, reason, describeError(error));
    }
  };

  // 1. Rich notifications: verify the tokens once for the message, then decrypt each item.
  const richItems = envelope.items.filter(isRich);
  const plainItems = envelope.items.filter((item) => !richItems.includes(item));
  /** Rich items whose state tied with another version's in the sink, with the $select their read uses. */
  const tiedRichSelect = new Map<Item, string>();
  if (richItems.length > 0) {
    const tenants = [...new Set(richItems.map((item) => text(item.tenantId) ?? ''))];
    let tokensValid = true;
    try {
      await deps.rich.verifyTokens(envelope.validationTokens ?? [], tenants);
    } catch (error) {
      tokensValid = false;
      if (isGraphNotifyError(error) && error.code === 'ERR_VALIDATION_KEYS_UNAVAILABLE') {
        // Nothing was decided about the tokens: retry the message rather than reject genuine data.
        transientFailure ??= error;
      } else {
        rejected += richItems.length;
        deps.log.warn(`Rejected ${richItems.length} rich notification(s): validation tokens failed: ${describeError(error)}`);
      }
    }
    if (tokensValid) {
      for (const item of richItems) {
        const tenantId = text(item.tenantId) ?? '';
        const path = normalizeResourcePath(text(item.resource) ?? '');
        try {
          const body = deps.rich.decrypt(item.encryptedContent as EncryptedContent);
          const deleted = item.changeType === 'deleted';
          const outcome = await write({
            tenantId,
            resourcePath: path,
            changeType: String(item.changeType),
            subscriptionId: text(item.subscriptionId),
            etag: text(body['@odata.etag']),
            observedAt: deleted ? envelope.receivedAt : richObservedAt(body, envelope.receivedAt),
            receivedAt: envelope.receivedAt,
            body: deleted ? undefined : body,
            onSameInstant: deleted ? 'replace' : 'refuse',
          }, kindOfNotificationResource(text(item.resource) ?? ''));
          // Another version carries the same lastModifiedDateTime: which is newer cannot be told, so read Graph.
          if (outcome === 'tied') {
            plainItems.push(item);
            tiedRichSelect.set(item, selectOfRichContent(body));
          }
        } catch (error) {
          rejected += 1;
          deps.log.warn(`Rejected a rich notification for subscription ${text(item.subscriptionId) ?? 'unknown'}: ${describeError(error)}`);
        }
      }
    }
  }

  // 2. Group the rest by resource: duplicates collapse to one action.
  const targets = new Map<string, Target>();
  for (const item of plainItems) {
    const tenantId = text(item.tenantId) ?? '';
    const resource = text(item.resource) ?? '';
    const path = normalizeResourcePath(resource);
    const kind = kindOfNotificationResource(resource);
    if (kind === undefined) {
      await recordPermanent(tenantId, path, text(item.subscriptionId), 'unsupported-resource', `no resource kind matches "${path.split('/').filter((_, i) => i % 2 === 0).join('/')}"`);
      continue;
    }
    const key = `${tenantId}|${path}`;
    const existing = targets.get(key);
    if (existing === undefined) {
      targets.set(key, { tenantId, path, kind, items: [item], subscriptionId: text(item.subscriptionId), changeTypes: new Set([String(item.changeType)]), select: tiedRichSelect.get(item) });
    } else {
      existing.items.push(item);
      existing.changeTypes.add(String(item.changeType));
      readsSaved += 1;
    }
  }

  const reads: Target[] = [];
  const deltas: Target[] = [];
  for (const target of targets.values()) {
    if (target.kind.retrieval.kind === 'delta') deltas.push(target);
    else if (target.changeTypes.size === 1 && target.changeTypes.has('deleted')) {
      // Only deletions: nothing to read (docs/graph-protocol.md §11).
      await write({
        tenantId: target.tenantId,
        resourcePath: target.path,
        changeType: 'deleted',
        subscriptionId: target.subscriptionId,
        etag: undefined,
        observedAt: envelope.receivedAt,
        receivedAt: envelope.receivedAt,
        body: undefined,
      }, target.kind);
    } else reads.push(target);
  }

  // 3. Across messages: skip reads the sink has already answered with state observed after this message
  //    arrived, and reads a later queued notification about the same resource will do.
  const decisions = await Promise.all(
    reads.map(async (target) => {
      const entry = await deps.sink.read(target.tenantId, target.path);
      if (entry !== undefined && entry.observedAt >= envelope.receivedAt) return false;
      return !(await leaveToLaterNotification(target, entry, envelope.receivedAt, deps.coalescing, deps.clock));
    }),
  );
  const toRead = reads.filter((_, index) => decisions[index] === true);
  readsSaved += reads.length - toRead.length;

  // 4. Read by id, batched per tenant. A read of the same resource already in flight in this process,
  //    started after this message arrived (another message of the same POST), covers it: wait for it.
  const readByIdBatched = async (targets: readonly Target[]): Promise<void> => {
    // Stamped before the requests leave (and before any await, so the in-flight registry is exact): the
    // state covers notifications received before this instant only.
    const observedAt = deps.clock.now().toISOString();
    const finishers = new Map(targets.map((target) => [target, deps.readsInFlight?.start(`${target.tenantId}|${target.path}`, observedAt)]));
    const byTenant = new Map<string, Target[]>();
    for (const target of targets) byTenant.set(target.tenantId, [...(byTenant.get(target.tenantId) ?? []), target]);
    try {
      for (const [tenantId, tenantTargets] of byTenant) {
        graphReads += tenantTargets.length;
        const results = await withSpan('graph.batch', () =>
          deps.graph.batchGet(
            tenantId,
            tenantTargets.map((target) => {
              const select = target.select ?? deps.select[target.kind.name];
              return { path: `/${target.path}${select === undefined ? '' : `?$select=${select}`}` };
            }),
          ),
        );
        await Promise.all(
          tenantTargets.map(async (target, index) => {
            const result = results[index];
            if (result === undefined) return;
            const base = { tenantId, resourcePath: target.path, subscriptionId: target.subscriptionId, observedAt, receivedAt: envelope.receivedAt };
            if (result.ok) {
              await write({ ...base, changeType: [...target.changeTypes].join(','), etag: text(result.body['@odata.etag']) ?? result.etag, body: result.body }, target.kind);
            } else if (result.error instanceof GraphResourceNotFound) {
              await write({ ...base, changeType: 'deleted', etag: undefined, body: undefined }, target.kind);
            } else {
              await handleReadError(target, result.error);
              return;
            }
            finishers.get(target)?.(true);
          }),
        );
      }
    } finally {
      for (const finish of finishers.values()) finish?.(false);
    }
  };
  const joined: { target: Target; read: Promise<boolean> }[] = [];
  const own: Target[] = [];
  for (const target of toRead) {
    const read = deps.readsInFlight?.covering(`${target.tenantId}|${target.path}`, envelope.receivedAt);
    if (read === undefined) own.push(target);
    else joined.push({ target, read });
  }
  await readByIdBatched(own);
  const covered = await Promise.all(joined.map((join) => join.read));
  readsSaved += covered.filter(Boolean).length;
  // A covering read that failed (throttled, transient) covers nothing: read these ourselves.
  await readByIdBatched(joined.filter((_, index) => covered[index] !== true).map((join) => join.target));

  // 5. Delta-tracked containers (drive roots).
  for (const target of deltas) {
    try {
      const run = await withSpan('graph.delta', () => syncDelta(
        {
          tenantId: target.tenantId,
          key: target.path,
          startPath: `/${target.path}/delta`,
          subscriptionId: target.subscriptionId,
          itemPath: (item) => `${target.path.replace(/\/root$/, '')}/items/${encodeResourceId(item.id)}`,
        },
        deps,
      ));
      if (run.outcome === 'busy') {
        // Another run is reading this drive; it may have started before this change, so look again shortly.
        putBack(target.items, BUSY_DELTA_RETRY_SECONDS);
        continue;
      }
      deltaRuns += 1;
      graphReads += run.pages;
      for (const outcome of ['written', 'unchanged', 'stale', 'tied'] as const) writes[outcome] += run.writes[outcome];
    } catch (error) {
      if (!isGraphError(error)) throw error;
      await handleReadError(target, error);
    }
  }

  // 6. Put throttled work back, delayed, before deciding how this invocation ends.
  if (requeue.items.length > 0) {
    const carried = requeue.items.some(isRich);
    const next: NotificationEnvelope = {
      v: ENVELOPE_VERSION,
      kind: 'notifications',
      id: `${envelope.id}~${deps.clock.now().getTime().toString(36)}`,
      receivedAt: envelope.receivedAt,
      items: requeue.items,
      ...(carried && envelope.validationTokens !== undefined ? { validationTokens: envelope.validationTokens } : {}),
      waited: true,
    };
    await deps.requeue.send(JSON.stringify(next), { visibilityDelaySeconds: Math.max(1, Math.ceil(requeue.delaySeconds)) });
    deps.log.info(`Graph asked to slow down: put ${requeue.items.length} notification(s) back on the queue for ${Math.ceil(requeue.delaySeconds)} s`);
  }
  recordCoalescingSaved(readsSaved);
  if (transientFailure !== undefined) throw transientFailure;

  return { items: received.items.length, writes, readsSaved, graphReads, deltaRuns, requeued: requeue.items.length, rejected, failedPermanently, heldForCoalescing };
}
