/**
 * What the end-to-end tests share: a pipeline (`startLocalPipeline`, the same code as `npm run dev`) on
 * free ports with the simulator on a manual clock, a manual timer scheduler, a function key and queue
 * settings that keep a test fast (short polling and retry back-off); waiting until the pipeline is quiet
 * by polling with a deadline; reading the sink; and comparing it with the simulator's ground truth for
 * the resources the demo subscriptions cover.
 */
import { BlobServiceClient } from '@azure/storage-blob';
import { setTimeout as delay } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import type { ResourceSnapshot, StartOptions } from '../../dev/graph-simulator';
import { ManualScheduler, type LocalHostLogEntry } from '../../dev/local-host';
import {
  formatStatusLine,
  newFunctionKey,
  RICH_MESSAGE_SELECT,
  startLocalPipeline,
  type DemoTenant,
  type GraphMode,
  type LocalPipeline,
  type LocalPipelineOptions,
  type PipelineStatus,
} from '../../dev/run';
import type { SubscriptionRequestBody } from '../../dev/run';

/** Host settings that make a test fast without changing behaviour: poll often, retry a failed message after 1 s. */
export const FAST_QUEUES: Readonly<Record<string, string>> = {
  AzureFunctionsJobHost__extensions__queues__maxPollingInterval: '00:00:00.2',
  AzureFunctionsJobHost__extensions__queues__visibilityTimeout: '00:00:01',
};

/**
 * Graph's clock starts this far behind the app's. A notification is always received after the change it
 * reports, and the sink orders rich snapshots by Graph's `lastModifiedDateTime` against tombstones
 * stamped with our receipt time; jumping virtual time ahead of the wall clock would invert that. Under
 * the 15-minute expiration margin, so Graph still accepts the expiries the app asks for.
 */
export const GRAPH_CLOCK_LAG_MS = 10 * 60_000;

/**
 * The simulator's latency in the end-to-end tests: Graph's documented latencies a thousand times shorter (a
 * drive's 6 hours become 21.6 virtual seconds), so the tests keep the latency, duplicates and reordering of the
 * defaults without moving virtual time past the subscriptions' access tokens.
 */
export const E2E_LATENCY_SCALE = 0.001;

export interface E2eOptions {
  readonly simulator?: StartOptions;
  readonly subscriptions?: false | ((demo: DemoTenant) => readonly SubscriptionRequestBody[]);
  readonly settings?: Readonly<Record<string, string>>;
  readonly storageLocation?: string;
  /** Azurite's ports (`LocalPipelineOptions.storagePorts`), for a test that puts something in front of one. */
  readonly storagePorts?: LocalPipelineOptions['storagePorts'];
  /** Start instant of the simulator clock. Default: now less GRAPH_CLOCK_LAG_MS. */
  readonly start?: Date;
  /** Start with broken settings, as the app does (`LocalPipelineOptions.allowDegraded`). */
  readonly allowDegraded?: boolean;
  /** The route new subscriptions take (`LocalPipelineOptions.delivery`). */
  readonly delivery?: LocalPipelineOptions['delivery'];
}

export interface E2ePipeline {
  readonly pipeline: LocalPipeline;
  readonly scheduler: ManualScheduler;
  readonly logs: LocalHostLogEntry[];
  readonly demo: DemoTenant;
  readonly sim: NonNullable<LocalPipeline['simulator']>;
  /** The master key the local host enforces, for the admin-level functions (management API, health). */
  readonly masterKey: string;
}

export async function startE2ePipeline(options: E2eOptions = {}): Promise<E2ePipeline> {
  const start = options.start ?? new Date(Date.now() - GRAPH_CLOCK_LAG_MS);
  const scheduler = new ManualScheduler(new Date());
  const logs: LocalHostLogEntry[] = [];
  const graph: GraphMode = {
    mode: 'simulator',
    simulator: {
      clock: { mode: 'manual', start },
      ...options.simulator,
      delivery: { latency: { scale: E2E_LATENCY_SCALE }, ...options.simulator?.delivery },
    },
    ...(options.subscriptions === undefined ? {} : { subscriptions: options.subscriptions }),
  };
  const masterKey = newFunctionKey();
  const pipelineOptions: LocalPipelineOptions = {
    port: 0,
    graph,
    functionKey: newFunctionKey(),
    masterKey,
    scheduler,
    settings: { ...FAST_QUEUES, ...options.settings },
    log: (entry) => logs.push(entry),
    ...(options.storageLocation === undefined ? {} : { storageLocation: options.storageLocation }),
    ...(options.storagePorts === undefined ? {} : { storagePorts: options.storagePorts }),
    ...(options.allowDegraded === undefined ? {} : { allowDegraded: options.allowDegraded }),
    ...(options.delivery === undefined ? {} : { delivery: options.delivery }),
  };
  const pipeline = await startLocalPipeline(pipelineOptions);
  const sim = pipeline.simulator;
  const demo = pipeline.demo;
  if (sim === undefined || demo === undefined) throw new TypeError('the e2e pipeline runs the simulator');
  return { pipeline, scheduler, logs, demo, sim, masterKey };
}

/** True when nothing is left anywhere: Graph has nothing pending, both queues are empty, no invocation runs. */
function isQuiet(status: PipelineStatus): boolean {
  return status.storageReachable && status.queued === 0 && (status.delivery?.pending ?? 0) === 0;
}

/**
 * How long the waits below poll before giving up: generous, because the machine may be loaded (a deadline,
 * never an assertion on speed); the waits return as soon as the pipeline is done.
 */
const QUIET_DEADLINE_MS = 60_000;

/**
 * Moves virtual time to Graph's next delivery when it is in the future (latency and reordering hold
 * notifications back); false when no delivery is waiting for time to pass.
 */
async function toNextDelivery(e2e: E2ePipeline): Promise<boolean> {
  const next = e2e.sim.clock.nextDelivery();
  if (next === undefined || next <= e2e.sim.clock.now()) return false;
  await e2e.sim.clock.advanceTo(next);
  return true;
}

/**
 * Lets the simulator run what is due, moving virtual time on to each delivery Graph holds back, until Graph
 * has delivered every notification (and the webhook answered). With `graphOnly`, until Graph has handed every
 * notification over, whatever the Event Grid or Event Hubs route then does with it (retries included).
 */
export async function untilDelivered(
  e2e: E2ePipeline,
  timeoutMs = QUIET_DEADLINE_MS,
  options: { readonly graphOnly?: boolean } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = (): number =>
    options.graphOnly === true
      ? e2e.sim.notifications({ status: 'pending' }).length
      : e2e.sim.deliverySummary().pending;
  for (;;) {
    await e2e.sim.clock.settle();
    if (pending() === 0) return;
    if (Date.now() > deadline) throw new Error(`Graph did not deliver its notifications within ${timeoutMs} ms`);
    if (!(await toNextDelivery(e2e))) await delay(50);
  }
}

/**
 * Polls until the pipeline has been quiet twice in a row, letting the simulator run what is due. Each poll
 * that finds Graph with pending notifications and the queues empty moves virtual time on: by `advanceMs`
 * when given, so Graph's retry schedule (+10 s, +30 s, +1 min, ...) plays out without real waiting, otherwise
 * to Graph's next delivery (latency and reordering).
 */
export async function untilQuiet(
  e2e: E2ePipeline,
  options: { readonly timeoutMs?: number; readonly advanceMs?: number } = {},
): Promise<PipelineStatus> {
  const timeoutMs = options.timeoutMs ?? QUIET_DEADLINE_MS;
  const deadline = Date.now() + timeoutMs;
  let calm = 0;
  for (;;) {
    await e2e.sim.clock.settle();
    await e2e.pipeline.host.idle();
    const status = await e2e.pipeline.status();
    calm = isQuiet(status) ? calm + 1 : 0;
    if (calm >= 2) return status;
    if (Date.now() > deadline) {
      throw new Error(
        `the pipeline is not quiet after ${timeoutMs} ms: ${formatStatusLine(status)}; queued ${String(status.queued)}, Graph pending ${String(status.delivery?.pending)}`,
      );
    }
    const waiting = status.queued === 0 && (status.delivery?.pending ?? 0) > 0;
    if (waiting && options.advanceMs !== undefined) await e2e.sim.clock.advance(options.advanceMs);
    else if (!(waiting && (await toNextDelivery(e2e)))) await delay(100);
  }
}

export interface SinkEntry {
  readonly body: Record<string, unknown>;
  readonly deleted: boolean;
}

/** The sink: blob path without `{tenantId}/` and `.json`, lower-cased (the sink's canonical form) → body. */
export async function readSink(pipeline: LocalPipeline): Promise<Map<string, SinkEntry>> {
  const container = BlobServiceClient.fromConnectionString(pipeline.connectionString).getContainerClient(
    pipeline.config.processing.resourcesContainer,
  );
  const entries = new Map<string, SinkEntry>();
  if (!(await container.exists())) return entries;
  for await (const blob of container.listBlobsFlat({ includeMetadata: true })) {
    const body = JSON.parse(
      (await container.getBlockBlobClient(blob.name).downloadToBuffer()).toString('utf8'),
    ) as Record<string, unknown>;
    entries.set(
      blob.name
        .replace(/^[^/]+\//, '')
        .replace(/\.json$/, '')
        .toLowerCase(),
      { body, deleted: blob.metadata?.deleted === 'true' },
    );
  }
  return entries;
}

/**
 * The resources the demo subscriptions cover, as the simulator holds them: every user and group, Adele's
 * and Alex's mail, Adele's events, contacts and OneDrive items, and the chat's messages.
 */
export function inScope(demo: DemoTenant, resource: Pick<ResourceSnapshot, 'kind' | 'path'>): boolean {
  const kind = resource.kind.toLowerCase();
  const path = resource.path;
  switch (kind) {
    case 'user':
    case 'group':
      return true;
    case 'message':
      return path.startsWith(`users/${demo.adeleId}/`) || path.startsWith(`users/${demo.alexId}/`);
    case 'event':
    case 'contact':
      return path.startsWith(`users/${demo.adeleId}/`);
    case 'driveitem':
      return path.startsWith(`drives/${demo.driveId}/`);
    case 'chatmessage':
      return path.startsWith(`chats/${demo.chatId}/`);
    default:
      return false;
  }
}

/** Graph's annotations about the response (context URL, rich payload type) are not resource state. */
export function withoutResponseAnnotations(body: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([key]) => key !== '@odata.context' && key !== '@odata.type'));
}

export interface GroundTruthComparison {
  /** Resources in scope in the simulator. */
  readonly expected: number;
  /** In scope in the simulator but absent from the sink (or only a tombstone). */
  readonly missing: string[];
  /** In the sink with a body different from the simulator's. */
  readonly different: string[];
  /** Live in the sink but gone from the simulator (a deletion that did not arrive). */
  readonly stale: string[];
  readonly tombstones: number;
}

/** Compares the sink with the simulator's state for every resource in scope. */
export async function compareWithGroundTruth(
  e2e: E2ePipeline,
  scope: (resource: ResourceSnapshot) => boolean = (resource) => inScope(e2e.demo, resource),
): Promise<GroundTruthComparison> {
  const sink = await readSink(e2e.pipeline);
  const truth = e2e.sim.state(e2e.demo.tenantId).filter(scope);
  const truthPaths = new Set(truth.map((resource) => resource.path.toLowerCase()));
  const missing: string[] = [];
  const different: string[] = [];
  for (const resource of truth) {
    const entry = sink.get(resource.path.toLowerCase());
    if (entry === undefined || entry.deleted) missing.push(`${resource.kind} ${resource.path}`);
    else if (
      !isDeepStrictEqual(
        withoutResponseAnnotations(entry.body),
        withoutResponseAnnotations(expectedBody(e2e.demo, resource)),
      )
    )
      different.push(`${resource.kind} ${resource.path}`);
  }
  const stale = [...sink.entries()]
    .filter(([path, entry]) => !entry.deleted && !truthPaths.has(path))
    .map(([path]) => path);
  return {
    expected: truth.length,
    missing,
    different,
    stale,
    tombstones: [...sink.values()].filter((entry) => entry.deleted).length,
  };
}

/** What the sink holds when it is right: Alex's mail comes from the rich demo subscription, which selects properties. */
function expectedBody(demo: DemoTenant, resource: ResourceSnapshot): Readonly<Record<string, unknown>> {
  if (resource.kind.toLowerCase() !== 'message' || !resource.path.startsWith(`users/${demo.alexId}/`))
    return resource.body;
  const selected = new Set(['id', '@odata.etag', ...RICH_MESSAGE_SELECT.split(',').map((name) => name.toLowerCase())]);
  return Object.fromEntries(Object.entries(resource.body).filter(([key]) => selected.has(key.toLowerCase())));
}

/**
 * One change to every resource the demo subscriptions cover, so each of them has a notification and
 * therefore a blob (subscriptions only report changes; seeded resources are otherwise never fetched).
 */
export function touchEverythingInScope(e2e: E2ePipeline, label: string): number {
  const { sim, demo } = e2e;
  let touched = 0;
  for (const resource of sim.state(demo.tenantId).filter((candidate) => inScope(demo, candidate))) {
    const kind = resource.kind.toLowerCase();
    const owner = resource.path.split('/')[1] ?? '';
    if (kind === 'user')
      sim.mutate(demo.tenantId, { kind: 'user', op: 'update', id: resource.id, data: { jobTitle: label } });
    else if (kind === 'group')
      sim.mutate(demo.tenantId, { kind: 'group', op: 'update', id: resource.id, data: { description: label } });
    else if (kind === 'message' || kind === 'event')
      sim.mutate(demo.tenantId, { kind, op: 'update', userId: owner, id: resource.id, data: { subject: label } });
    else if (kind === 'contact')
      sim.mutate(demo.tenantId, {
        kind: 'contact',
        op: 'update',
        userId: owner,
        id: resource.id,
        data: { displayName: label },
      });
    else if (kind === 'driveitem' && resource.body.root === undefined)
      sim.mutate(demo.tenantId, {
        kind: 'driveItem',
        op: 'update',
        driveId: demo.driveId,
        id: resource.id,
        data: { description: label },
      });
    else if (kind === 'chatmessage')
      sim.mutate(demo.tenantId, {
        kind: 'chatMessage',
        op: 'update',
        chatId: demo.chatId,
        id: resource.id,
        data: { body: { contentType: 'text', content: label } },
      });
    else continue;
    touched += 1;
  }
  return touched;
}

/** Host log lines worth showing when a test fails: warnings and errors, without secrets (the host redacts). */
export function problems(logs: readonly LocalHostLogEntry[]): string[] {
  return logs
    .filter((entry) => entry.level === 'warning' || entry.level === 'error' || entry.level === 'critical')
    .map((entry) => `${entry.functionName ?? entry.source}: ${entry.message}`);
}

/**
 * Every notification counted through each stage, from Graph's side and the app's own hooks:
 * - `sentToApp`: items in POSTs that reached the app (Graph's attempts log, any outcome but a network error);
 * - `deliveredWith2xx`: items in POSTs the app acknowledged with a 2xx (duplicates copies included);
 * - `uncertain`: items in POSTs Graph gave up waiting for (timeout) — the app may or may not have them;
 * - `received`, `accepted` (= durably enqueued): the app's ingest telemetry;
 * - `processed`: items the notifications queue trigger finished ("Processed N notification(s) ... R requeued ...
 *   H held for coalescing" in the host log: N − R − H, since an item put back when Graph throttled, or held on the
 *   queue to coalesce with later notifications, is processed again later).
 */
export interface StageCounts {
  readonly sentToApp: number;
  readonly deliveredWith2xx: number;
  readonly uncertain: number;
  readonly received: number | undefined;
  readonly accepted: number | undefined;
  readonly processed: number;
}

export async function stageCounts(e2e: E2ePipeline): Promise<StageCounts> {
  const attempts = e2e.sim.deliveryAttempts();
  const items = (outcomes: readonly string[]): number =>
    attempts
      .filter((attempt) => outcomes.includes(attempt.outcome))
      .reduce((sum, attempt) => sum + attempt.notificationIds.length, 0);
  const status = await e2e.pipeline.status();
  const processed = e2e.logs
    .filter((entry) => entry.functionName === 'processNotifications')
    .map((entry) => /^Processed (\d+) notification.* (\d+) requeued.* (\d+) held for coalescing/.exec(entry.message))
    .reduce((sum, match) => sum + (match === null ? 0 : Number(match[1]) - Number(match[2]) - Number(match[3])), 0);
  return {
    sentToApp: items(['acknowledged', 'rejected', 'timeout']),
    deliveredWith2xx: items(['acknowledged']),
    uncertain: items(['timeout']),
    received: status.received,
    accepted: status.enqueued,
    processed,
  };
}

/**
 * Which changes Graph reported (at least one notification) did not reach the sink. A change is version v of
 * resource p; it has reached the sink when the sink's record of p is at least as new as v:
 * - a live record whose body shows version w >= v (the simulator reads the version from the body: Outlook
 *   etag, drive eTag, chat message etag, otherwise the newest version with the same content), or
 * - a tombstone while p is gone from Graph (its last change, a deletion, is newer than every other change of p).
 * Coalescing may skip intermediate versions legitimately (the app reads the current state once for several
 * notifications), so a later version covers an earlier one; a lost notification that a later change of the
 * same resource masks is caught by the notification fates and the stage counts, not by this check.
 */
export async function changesNotReached(
  e2e: E2ePipeline,
  scope: (change: Pick<ResourceSnapshot, 'kind' | 'path'>) => boolean = (change) => inScope(e2e.demo, change),
): Promise<string[]> {
  const { sim, demo } = e2e;
  const sink = await readSink(e2e.pipeline);
  const alive = new Set(sim.state(demo.tenantId).map((resource) => resource.path.toLowerCase()));
  const notReached: string[] = [];
  for (const change of sim.changes(demo.tenantId)) {
    if (change.notifications.length === 0 || !scope(change)) continue;
    const path = change.path.toLowerCase();
    const entry = sink.get(path);
    const reached =
      entry === undefined
        ? false
        : entry.deleted
          ? !alive.has(path)
          : (sim.versionOf(demo.tenantId, change.path, withoutResponseAnnotations(entry.body)) ?? 0) >= change.version;
    if (!reached)
      notReached.push(
        `${change.changeId} ${change.changeType} v${change.version} ${change.path}${entry === undefined ? ' (absent)' : entry.deleted ? ' (tombstone)' : ''}`,
      );
  }
  return notReached;
}
