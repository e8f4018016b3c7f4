/**
 * The processing use case behind the notifications queue trigger: turns one queue message (a packed
 * envelope of verified notifications) into resource state in the sink. It reads as its steps:
 *
 * - holdForCoalescing, recordReceipts (coalescing.ts): the first time a message is seen, a basic notification
 *   about a quiet resource is read at once; the others go back on the queue for COALESCE_DELAY_SECONDS and
 *   receipts are recorded for both; when held ones return, a resource is read only if no later notification
 *   about it is queued (docs/processing.md).
 * - openRichItems: every validation token is verified first, then each item is decrypted and written; no
 *   Graph read happens for them (docs/graph-protocol.md §5). Any failure rejects the item, counted, logged
 *   without content. trustInRichContent: content naming another resource than the notification's is
 *   rejected (`richContentMismatch`); content naming none, or a deletion the content does not show, is read
 *   from Graph instead (docs/security.md#checks-in-processing).
 * - groupByResource: several notifications about one resource become one action. A `deleted`
 *   notification is read like any other: anyone holding a clientState can forge one, so only Graph's answer
 *   writes a tombstone (a 404, or a Teams message whose `deletedDateTime` is set), and any other 200 writes the
 *   resource as it is.
 * - skipCoveredReads, readChanged: resources named by id are read with `$batch` (≤20 per call, per tenant),
 *   and not at all when the sink already holds state observed after this message was received, when a later
 *   notification about it is already queued, or when a read in flight in this process covers it. A read's
 *   state is stamped with the instant the read *started*: it covers exactly the notifications received
 *   before then, so a change made while a read is in flight is read again.
 * - runContainerDeltas: drive roots and SharePoint lists name no item; a delta run from the stored link
 *   covers them, one run at a time per container.
 * - writeNotificationsAsState: a notificationsOnly kind (docs/resources.md#levels), or an unlisted resource,
 *   has nothing to read: the notification itself is its state (a `deleted` one a tombstone).
 * - putBackThrottled: throttling (429, or 503/504 with Retry-After) never sleeps and never burns a retry:
 *   the throttled items go back on the queue as a new message, invisible for the Retry-After, and this
 *   message completes.
 *
 * Failures are classified once (`classifyFailure`): transient ones and a refused credential fail the
 * invocation once everything else is written, so the host retries the message and, after maxDequeueCount,
 * poisons it; permanent ones (403, other 4xx, unsupported resources) are recorded once and not retried.
 * Every write is idempotent and newer-wins, so redelivery and reordering converge on the same state.
 */
import { followUpEnvelope, isRich, type EncryptedContent, type NotificationEnvelope } from '../notifications';
import { GraphResourceNotFound, isGraphError, type GraphClient, type GraphError, type GraphReadResult } from '../graph';
import { kindOfNotificationResource, normalizeResourcePath, UNLISTED_KIND, type ResourceKind } from '../resources';
import { classifyFailure, isRetryableLater } from '../shared/classifyFailure';
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import { describeError } from '../shared/redact';
import type { MessageSender } from '../storage';
import { recordCoalescingSaved, recordEndToEndLatency, recordNotificationRejected, withSpan } from '../telemetry';
import { richContentNaming } from '../richNotifications';
import { holdForCoalescing, leaveToLaterNotification, recordReceipts, type CoalescingDependencies } from './coalescing';
import type { ChangeSink, FailureLog, ResourceState, SinkWriteOutcome } from './ports';
import { ProcessingRecord, type ProcessingResult } from './processingRecord';
import type { ReadsInFlight } from './readsInFlight';
import { syncDelta, type LeaseStore } from '../resync';

export { describeProcessingResult, type ProcessingResult } from './processingRecord';

/** Opens rich notifications: verifies validation tokens and decrypts content. Errors are coded and content-free. */
export interface RichContentOpener {
  /** Throws when any token is invalid or when the tokens do not cover every tenant listed. */
  verifyTokens(validationTokens: readonly string[], tenantIds: readonly string[]): Promise<void>;
  decrypt(content: EncryptedContent): Readonly<Record<string, unknown>>;
}

export interface ProcessingDependencies {
  readonly graph: Pick<GraphClient, 'batchGet' | 'deltaPages'>;
  readonly sink: ChangeSink;
  readonly leases: LeaseStore;
  readonly failures: FailureLog;
  /** The notifications queue (this message's own): work held for coalescing or put back after throttling. */
  readonly notificationsQueue: MessageSender;
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

/** Delay before retrying a drive whose delta run is busy in another invocation. */
const BUSY_DELTA_RETRY_SECONDS = 5;

type Item = Readonly<Record<string, unknown>>;

/** A notification to act on, with the `$select` its read must use when it differs from its kind's. */
interface PlainItem {
  readonly item: Item;
  readonly select?: string;
}

/** One resource and every notification of this message about it. */
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

interface GroupedTargets {
  /** Resources read by id, deletions included (Graph confirms them: a 404 writes the tombstone). */
  readonly reads: Target[];
  /** Delta-tracked containers (drive roots, SharePoint lists). */
  readonly deltas: Target[];
  /** notificationsOnly kinds and unlisted resources: the notification is the state. */
  readonly notificationsOnly: Target[];
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

export async function processNotifications(
  received: NotificationEnvelope,
  deps: ProcessingDependencies,
): Promise<ProcessingResult> {
  const record = new ProcessingRecord();
  const { toProcessNow: envelope, held } = await holdForCoalescing(
    received,
    deps.coalescing,
    deps.notificationsQueue,
    deps.log,
    deps.clock,
  );
  record.heldForCoalescing = held.length;
  await recordReceipts(deps.coalescing, held, received.receivedAt, deps.log);

  const richItemsToRead = await openRichItems(envelope, deps, record);
  const basicItems = envelope.items.filter((item) => !isRich(item)).map((item) => ({ item }));
  const { reads, deltas, notificationsOnly } = groupByResource([...basicItems, ...richItemsToRead], record);
  await writeNotificationsAsState(notificationsOnly, envelope.receivedAt, deps, record);
  const toRead = await skipCoveredReads(reads, envelope.receivedAt, deps, record);
  await readChanged(toRead, envelope.receivedAt, deps, record);
  await runContainerDeltas(deltas, deps, record);
  await putBackThrottled(envelope, record, deps);

  recordCoalescingSaved(record.readsSaved);
  if (record.richContentMismatch > 0)
    recordNotificationRejected('richContentMismatch', { count: record.richContentMismatch });
  if (record.retryFailure !== undefined) throw record.retryFailure;
  return record.toResult(received.items.length);
}

/** Writes one state to the sink and records the outcome (and, for a write, the end-to-end latency). */
async function writeState(
  state: ResourceState,
  kind: ResourceKind | undefined,
  deps: ProcessingDependencies,
  record: ProcessingRecord,
): Promise<SinkWriteOutcome> {
  const outcome = await deps.sink.write(state);
  record.writes[outcome] += 1;
  if (outcome === 'written' && state.receivedAt !== undefined) {
    recordEndToEndLatency(deps.clock.now().getTime() - Date.parse(state.receivedAt), {
      resourceKind: kind?.name ?? 'other',
    });
  }
  return outcome;
}

async function recordPermanentFailure(
  resource: { readonly tenantId: string; readonly path: string; readonly subscriptionId: string | undefined },
  reason: string,
  detail: string,
  deps: ProcessingDependencies,
  record: ProcessingRecord,
): Promise<void> {
  const { tenantId, path, subscriptionId } = resource;
  record.failedPermanently += 1;
  deps.log.warn(
    `Permanent failure for a resource of tenant ${tenantId} (subscription ${subscriptionId ?? 'unknown'}): ${reason}: ${detail}`,
  );
  await deps.failures.record({
    tenantId,
    resourcePath: path,
    subscriptionId,
    reason,
    detail,
    at: deps.clock.now().toISOString(),
  });
}

/**
 * What a failed Graph read of `target` leads to (`classifyFailure`): Graph said when to come back → its
 * items are put back for that long; transient or a refused credential → the message is retried once the
 * rest is written; anything else is the request's own fault → recorded once as a permanent failure.
 */
async function handleReadError(
  target: Target,
  error: GraphError,
  deps: ProcessingDependencies,
  record: ProcessingRecord,
): Promise<void> {
  const failure = classifyFailure(error);
  if (failure.retryAfterMs !== undefined) {
    record.putBackLater(target.items, failure.retryAfterMs / 1000);
  } else if (failure.kind === 'transient' || failure.kind === 'credential') {
    record.retryMessageAfterAll(error);
  } else {
    const reason =
      error.status === 403
        ? 'access-denied'
        : error.status === 400
          ? 'bad-request'
          : `graph-${error.status ?? 'error'}`;
    await recordPermanentFailure(target, reason, describeError(error), deps, record);
  }
}

/**
 * Rich notifications: the validation tokens are verified once for the message, then each item is decrypted,
 * checked (`trustInRichContent`) and its state written. Answers the items to read from Graph instead, with
 * the properties they carried: those whose content is not believed on its own, and those whose state tied
 * with another version's in the sink (which is newer cannot be told).
 */
async function openRichItems(
  envelope: NotificationEnvelope,
  deps: ProcessingDependencies,
  record: ProcessingRecord,
): Promise<PlainItem[]> {
  const richItems = envelope.items.filter(isRich);
  if (richItems.length === 0) return [];
  const tenants = [...new Set(richItems.map((item) => text(item.tenantId) ?? ''))];
  try {
    if (validationTokensRequired(envelope)) await deps.rich.verifyTokens(envelope.validationTokens ?? [], tenants);
  } catch (error) {
    if (error instanceof Error && isRetryableLater(classifyFailure(error))) {
      // Nothing was decided about the tokens (the signing keys could not be fetched): retry the message
      // rather than reject genuine data.
      record.retryMessageAfterAll(error);
    } else {
      record.rejected += richItems.length;
      deps.log.warn(
        `Rejected ${richItems.length} rich notification(s): validation tokens failed: ${describeError(error)}`,
      );
    }
    return [];
  }
  const toRead: PlainItem[] = [];
  for (const item of richItems) {
    try {
      const body = deps.rich.decrypt(item.encryptedContent as EncryptedContent);
      const trust = trustInRichContent(item, body);
      if (trust === 'reject') {
        rejectMismatchedRichContent(item, deps, record);
        continue;
      }
      // Read with the properties the content carried (none named: the kind's $select).
      const select = selectOfRichContent(body);
      const readInstead: PlainItem = select === '' ? { item } : { item, select };
      if (trust === 'read') {
        toRead.push(readInstead);
        continue;
      }
      const kind = kindOfNotificationResource(text(item.resource) ?? '') ?? UNLISTED_KIND;
      const outcome = await writeState(richState(item, body, envelope.receivedAt, kind), kind, deps, record);
      // Another version carries the same lastModifiedDateTime: which is newer cannot be told, so read Graph
      // (a kind with no read keeps what it holds).
      if (outcome === 'tied' && kind.retrieval.kind === 'byId') toRead.push(readInstead);
    } catch (error) {
      record.rejected += 1;
      deps.log.warn(
        `Rejected a rich notification for subscription ${text(item.subscriptionId) ?? 'unknown'}: ${describeError(error)}`,
      );
    }
  }
  return toRead;
}

/**
 * What decrypted rich content is believed for (docs/security.md#checks-in-processing). The validation
 * tokens and the HMAC do not cover the notification's `resource` or `changeType`, which travel in clear:
 * content naming another resource is a replay under a forged `resource` (`reject`); content naming none
 * cannot be told from one, and a `deleted` whose content does not show the deletion may be a genuine
 * notification's content under a forged changeType: both are read from Graph (`read`). Else `write`.
 */
function trustInRichContent(item: Item, body: Item): 'write' | 'read' | 'reject' {
  const naming = richContentNaming(body, text(item.resource) ?? '');
  if (naming === 'other') return 'reject';
  if (naming === 'unnamed') return 'read';
  return item.changeType === 'deleted' && !contentShowsDeletion(body) ? 'read' : 'write';
}

/** Content that itself says the resource is deleted: a `deletedDateTime` (Teams) or an `@removed` annotation. */
const contentShowsDeletion = (body: Item): boolean =>
  text(body.deletedDateTime) !== undefined || body['@removed'] !== undefined;

/** Counts and logs (without content) a rich item whose content names another resource; nothing is written. */
function rejectMismatchedRichContent(item: Item, deps: ProcessingDependencies, record: ProcessingRecord): void {
  record.rejected += 1;
  record.richContentMismatch += 1;
  deps.log.warn(
    `Rejected a rich notification for subscription ${text(item.subscriptionId) ?? 'unknown'}: ` +
      `its content names another resource than the notification (richContentMismatch)`,
  );
}

/**
 * Graph sends no validation tokens by Event Hubs: there the route itself vouches for the sender (only Graph's
 * Change Tracking principal may send to the hub) and ingest checked clientState and tenant, so an envelope its
 * Event Hubs adapter marked needs none; tokens it does carry are still verified (docs/security.md, "Rich
 * notifications by Event Hubs"). Decryption and its signature check run either way.
 */
function validationTokensRequired(envelope: NotificationEnvelope): boolean {
  return envelope.authenticatedRoute !== 'eventHubs' || (envelope.validationTokens ?? []).length > 0;
}

/**
 * The state a decrypted rich notification carries. A kind with no read keeps its content whole: there is no read
 * whose shape it must match, and its annotations may be its news (a meeting call event's roster changes arrive
 * as `activeParticipants@joined` and `activeParticipants@exited`).
 */
function richState(item: Item, body: Item, receivedAt: string, kind: ResourceKind): ResourceState {
  const deleted = item.changeType === 'deleted';
  const content = kind.retrieval.kind === 'notification' ? body : withoutPropertyAnnotations(body);
  return {
    tenantId: text(item.tenantId) ?? '',
    resourcePath: normalizeResourcePath(text(item.resource) ?? '', text(item.tenantId)),
    changeType: String(item.changeType),
    subscriptionId: text(item.subscriptionId),
    etag: text(body['@odata.etag']),
    observedAt: deleted ? receivedAt : richObservedAt(body, receivedAt),
    receivedAt,
    body: deleted ? undefined : content,
    onSameInstant: deleted ? 'replace' : 'refuse',
  };
}

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

/**
 * The properties a rich notification carried, as a $select, so a read of the resource returns the same shape.
 * Annotations are no properties: `@odata.etag` and Outlook's `receivedDateTime@odata.type` (Microsoft's Outlook
 * rich-notification page) in a $select make Graph answer 400.
 */
function selectOfRichContent(body: Item): string {
  return Object.keys(body)
    .filter((name) => !isAnnotation(name))
    .join(',');
}

/** An OData annotation key: `@odata.etag` on the resource, `name@odata.type` on one of its properties. */
function isAnnotation(key: string): boolean {
  return key.includes('@');
}

/**
 * The resource state a rich notification carries, without the per-property type annotations Outlook adds
 * (`receivedDateTime@odata.type`), which a read of the resource does not return: one resource, one shape in
 * the sink, however it arrived. The resource's own annotations (`@odata.etag`, `@odata.type`) stay.
 */
function withoutPropertyAnnotations(body: Item): Item {
  return Object.fromEntries(Object.entries(body).filter(([key]) => !isAnnotation(key) || key.startsWith('@')));
}

/**
 * Groups the notifications by resource, so duplicates collapse to one action (each counted as a read
 * saved), and sorts the resources by what they need. A resource of no listed kind came from an unlisted
 * subscription (ingest admits only notifications of known subscriptions): its notifications are its state.
 */
function groupByResource(items: readonly PlainItem[], record: ProcessingRecord): GroupedTargets {
  const targets = new Map<string, Target>();
  for (const { item, select } of items) {
    const tenantId = text(item.tenantId) ?? '';
    const resource = text(item.resource) ?? '';
    const path = normalizeResourcePath(resource, tenantId);
    const kind = kindOfNotificationResource(resource) ?? UNLISTED_KIND;
    const subscriptionId = text(item.subscriptionId);
    const key = `${tenantId}|${path}`;
    const existing = targets.get(key);
    const changeType = String(item.changeType);
    if (existing === undefined) {
      targets.set(key, {
        tenantId,
        path,
        kind,
        items: [item],
        subscriptionId,
        changeTypes: new Set([changeType]),
        select,
      });
    } else {
      existing.items.push(item);
      existing.changeTypes.add(changeType);
      record.readsSaved += 1;
    }
  }
  return sortByNeed(targets.values());
}

function sortByNeed(targets: Iterable<Target>): GroupedTargets {
  const grouped: GroupedTargets = { reads: [], deltas: [], notificationsOnly: [] };
  for (const target of targets) {
    if (target.kind.retrieval.kind === 'notification') grouped.notificationsOnly.push(target);
    else if (target.kind.retrieval.kind === 'delta') grouped.deltas.push(target);
    else grouped.reads.push(target);
  }
  return grouped;
}

/** A resource still to read, with the read in flight in this process that covers it, if one does. */
interface ReadToDo {
  readonly target: Target;
  readonly inFlight: Promise<boolean> | undefined;
}

/**
 * notificationsOnly kinds and unlisted resources: Graph offers no read, so the last notification about each
 * resource in this message is written as its state, clientState long gone (ingest strips it), observed when
 * it was received; a `deleted` one writes a tombstone. Rich ones were written decrypted by openRichItems.
 */
async function writeNotificationsAsState(
  targets: readonly Target[],
  receivedAt: string,
  deps: ProcessingDependencies,
  record: ProcessingRecord,
): Promise<void> {
  for (const target of targets) {
    const latest = target.items.at(-1);
    if (latest === undefined) continue;
    const deleted = latest.changeType === 'deleted';
    await writeState(
      {
        tenantId: target.tenantId,
        resourcePath: target.path,
        changeType: String(latest.changeType),
        subscriptionId: target.subscriptionId,
        etag: undefined,
        observedAt: receivedAt,
        receivedAt,
        body: deleted ? undefined : latest,
      },
      target.kind,
      deps,
      record,
    );
  }
}

/**
 * Across messages: leaves out the reads the sink has already answered with state observed after this
 * message arrived, and the reads a later queued notification about the same resource will do. A read in
 * flight that covers the resource is taken first, before the sink is asked: it writes the sink before it
 * leaves the registry, so one of the two always sees it (asked the other way round, a read finishing in
 * between would be seen by neither, and the resource read twice).
 */
async function skipCoveredReads(
  targets: readonly Target[],
  receivedAt: string,
  deps: ProcessingDependencies,
  record: ProcessingRecord,
): Promise<ReadToDo[]> {
  const decisions = await Promise.all(
    targets.map(async (target): Promise<ReadToDo | undefined> => {
      const inFlight = deps.readsInFlight?.covering(`${target.tenantId}|${target.path}`, receivedAt);
      if (inFlight !== undefined) return { target, inFlight };
      const entry = await deps.sink.read(target.tenantId, target.path);
      if (entry !== undefined && entry.observedAt >= receivedAt) return undefined;
      const later = await leaveToLaterNotification(target, entry, receivedAt, deps.coalescing, deps.clock);
      return later ? undefined : { target, inFlight: undefined };
    }),
  );
  const toRead = decisions.filter((decision) => decision !== undefined);
  record.readsSaved += targets.length - toRead.length;
  return toRead;
}

/**
 * Reads by id, batched per tenant. A read of the same resource already in flight in this process, started
 * after this message arrived (another message of the same POST), covers it: wait for it instead.
 */
async function readChanged(
  reads: readonly ReadToDo[],
  receivedAt: string,
  deps: ProcessingDependencies,
  record: ProcessingRecord,
): Promise<void> {
  const joined: { target: Target; read: Promise<boolean> }[] = [];
  const own: Target[] = [];
  for (const { target, inFlight } of reads) {
    const read = inFlight ?? deps.readsInFlight?.covering(`${target.tenantId}|${target.path}`, receivedAt);
    if (read === undefined) own.push(target);
    else joined.push({ target, read });
  }
  await readBatched(own, receivedAt, deps, record);
  const covered = await Promise.all(joined.map((join) => join.read));
  record.readsSaved += covered.filter(Boolean).length;
  // A covering read that failed (throttled, transient) covers nothing: read these ourselves.
  await readBatched(
    joined.filter((_, index) => covered[index] !== true).map((join) => join.target),
    receivedAt,
    deps,
    record,
  );
}

async function readBatched(
  targets: readonly Target[],
  receivedAt: string,
  deps: ProcessingDependencies,
  record: ProcessingRecord,
): Promise<void> {
  // Stamped before the requests leave (and before any await, so the in-flight registry is exact): the
  // state covers notifications received before this instant only.
  const observedAt = deps.clock.now().toISOString();
  const finishers = new Map(
    targets.map((target) => [target, deps.readsInFlight?.start(`${target.tenantId}|${target.path}`, observedAt)]),
  );
  const byTenant = new Map<string, Target[]>();
  for (const target of targets) byTenant.set(target.tenantId, [...(byTenant.get(target.tenantId) ?? []), target]);
  try {
    for (const [tenantId, tenantTargets] of byTenant) {
      record.graphReads += tenantTargets.length;
      const results = await withSpan('graph.batch', () =>
        deps.graph.batchGet(
          tenantId,
          tenantTargets.map((target) => ({ path: readPath(target, deps) })),
        ),
      );
      await Promise.all(
        tenantTargets.map(async (target, index) => {
          const result = results[index];
          if (result === undefined) return;
          const wroteState = await writeReadResult(target, result, { observedAt, receivedAt }, deps, record);
          if (wroteState) finishers.get(target)?.(true);
        }),
      );
    }
  } finally {
    for (const finish of finishers.values()) finish?.(false);
  }
}

function readPath(target: Target, deps: ProcessingDependencies): string {
  const select = target.select ?? deps.select[target.kind.name];
  return `/${target.path}${select === undefined ? '' : `?$select=${select}`}`;
}

/**
 * Writes what a read answered, a 404 or content that shows the deletion as a tombstone; true when state was written,
 * false when the read failed.
 */
async function writeReadResult(
  target: Target,
  result: GraphReadResult,
  stamps: { readonly observedAt: string; readonly receivedAt: string },
  deps: ProcessingDependencies,
  record: ProcessingRecord,
): Promise<boolean> {
  const base = {
    tenantId: target.tenantId,
    resourcePath: target.path,
    subscriptionId: target.subscriptionId,
    ...stamps,
  };
  // Teams deletes a message softly: Graph still answers 200, with the message's `deletedDateTime` set.
  if (result.ok && !contentShowsDeletion(result.body)) {
    const etag = text(result.body['@odata.etag']) ?? result.etag;
    await writeState(
      { ...base, changeType: [...target.changeTypes].join(','), etag, body: result.body },
      target.kind,
      deps,
      record,
    );
  } else if (result.ok || result.error instanceof GraphResourceNotFound) {
    await writeState({ ...base, changeType: 'deleted', etag: undefined, body: undefined }, target.kind, deps, record);
  } else {
    await handleReadError(target, result.error, deps, record);
    return false;
  }
  return true;
}

/** Delta-tracked containers (drive roots, SharePoint lists): one delta run each, from the stored link. */
async function runContainerDeltas(
  targets: readonly Target[],
  deps: ProcessingDependencies,
  record: ProcessingRecord,
): Promise<void> {
  for (const target of targets) {
    const { resyncDeltaPath, resyncItemPath } = target.kind;
    if (resyncDeltaPath === undefined || resyncItemPath === undefined)
      throw new TypeError(`resource kind ${target.kind.name} is read by delta but has no delta path`);
    try {
      const run = await withSpan('graph.delta', () =>
        syncDelta(
          {
            tenantId: target.tenantId,
            // The same key, start and item paths as a resync of the subscription: one delta link per container.
            key: target.path,
            startPath: resyncDeltaPath(target.path, {}),
            subscriptionId: target.subscriptionId,
            itemPath: (item) => resyncItemPath(target.path, item.id, item.entity),
          },
          deps,
        ),
      );
      if (run.outcome === 'busy') {
        // Another run is reading this container; it may have started before this change, so look again shortly.
        record.putBackLater(target.items, BUSY_DELTA_RETRY_SECONDS);
        continue;
      }
      record.deltaRuns += 1;
      record.graphReads += run.pages;
      record.addWrites(run.writes);
    } catch (error) {
      if (!isGraphError(error)) throw error;
      await handleReadError(target, error, deps, record);
    }
  }
}

/** Puts throttled (or busy) work back on the notifications queue, delayed, before the invocation ends. */
async function putBackThrottled(
  envelope: NotificationEnvelope,
  record: ProcessingRecord,
  deps: ProcessingDependencies,
): Promise<void> {
  const { items, delaySeconds } = record.putBack;
  if (items.length === 0) return;
  const next = followUpEnvelope(envelope, items, { idSuffix: deps.clock.now().getTime().toString(36), waited: true });
  await deps.notificationsQueue.send(JSON.stringify(next), {
    visibilityDelaySeconds: Math.max(1, Math.ceil(delaySeconds)),
  });
  deps.log.info(
    `Graph asked to slow down: put ${items.length} notification(s) back on the queue for ${Math.ceil(delaySeconds)} s`,
  );
}
