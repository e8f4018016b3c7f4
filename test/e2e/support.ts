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
import { formatStatusLine, newFunctionKey, startLocalPipeline, type DemoTenant, type GraphMode, type LocalPipeline, type LocalPipelineOptions, type PipelineStatus } from '../../dev/run';
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

export interface E2eOptions {
  readonly simulator?: StartOptions;
  readonly subscriptions?: false | ((demo: DemoTenant) => readonly SubscriptionRequestBody[]);
  readonly settings?: Readonly<Record<string, string>>;
  readonly storageLocation?: string;
  /** Start instant of the simulator clock. Default: now less GRAPH_CLOCK_LAG_MS. */
  readonly start?: Date;
}

export interface E2ePipeline {
  readonly pipeline: LocalPipeline;
  readonly scheduler: ManualScheduler;
  readonly logs: LocalHostLogEntry[];
  readonly demo: DemoTenant;
  readonly sim: NonNullable<LocalPipeline['simulator']>;
}

export async function startE2ePipeline(options: E2eOptions = {}): Promise<E2ePipeline> {
  const start = options.start ?? new Date(Date.now() - GRAPH_CLOCK_LAG_MS);
  const scheduler = new ManualScheduler(new Date());
  const logs: LocalHostLogEntry[] = [];
  const graph: GraphMode = {
    mode: 'simulator',
    // The demo's rich mail subscription has no $select until the app refuses those (issue 10 part 2); this is not about loss.
    simulator: { clock: { mode: 'manual', start }, subscriptions: { requireSelectForRichOutlook: false }, ...options.simulator },
    ...(options.subscriptions === undefined ? {} : { subscriptions: options.subscriptions }),
  };
  const pipelineOptions: LocalPipelineOptions = {
    port: 0,
    graph,
    functionKey: newFunctionKey(),
    scheduler,
    settings: { ...FAST_QUEUES, ...options.settings },
    log: (entry) => logs.push(entry),
    ...(options.storageLocation === undefined ? {} : { storageLocation: options.storageLocation }),
  };
  const pipeline = await startLocalPipeline(pipelineOptions);
  const sim = pipeline.simulator;
  const demo = pipeline.demo;
  if (sim === undefined || demo === undefined) throw new TypeError('the e2e pipeline runs the simulator');
  return { pipeline, scheduler, logs, demo, sim };
}

/** True when nothing is left anywhere: Graph has nothing pending, both queues are empty, no invocation runs. */
function isQuiet(status: PipelineStatus): boolean {
  return status.storageReachable && status.queued === 0 && (status.delivery?.pending ?? 0) === 0;
}

/**
 * Polls until the pipeline has been quiet twice in a row, letting the simulator run what is due. With
 * `advanceMs`, each poll that finds Graph with pending retries also moves virtual time on by that much,
 * so Graph's retry schedule (+10 s, +30 s, +1 min, ...) plays out without real waiting.
 */
export async function untilQuiet(e2e: E2ePipeline, options: { readonly timeoutMs?: number; readonly advanceMs?: number } = {}): Promise<PipelineStatus> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const deadline = Date.now() + timeoutMs;
  let calm = 0;
  for (;;) {
    await e2e.sim.clock.settle();
    await e2e.pipeline.host.idle();
    const status = await e2e.pipeline.status();
    calm = isQuiet(status) ? calm + 1 : 0;
    if (calm >= 2) return status;
    if (Date.now() > deadline) {
      throw new Error(`the pipeline is not quiet after ${timeoutMs} ms: ${formatStatusLine(status)}; queued ${String(status.queued)}, Graph pending ${String(status.delivery?.pending)}`);
    }
    if (options.advanceMs !== undefined && status.queued === 0 && (status.delivery?.pending ?? 0) > 0) await e2e.sim.clock.advance(options.advanceMs);
    else await delay(100);
  }
}

export interface SinkEntry {
  readonly body: Record<string, unknown>;
  readonly deleted: boolean;
}

/** The sink: blob path without `{tenantId}/` and `.json`, lower-cased (the sink's canonical form) → body. */
export async function readSink(pipeline: LocalPipeline): Promise<Map<string, SinkEntry>> {
  const container = BlobServiceClient.fromConnectionString(pipeline.connectionString).getContainerClient(pipeline.config.processing.resourcesContainer);
  const entries = new Map<string, SinkEntry>();
  if (!(await container.exists())) return entries;
  for await (const blob of container.listBlobsFlat({ includeMetadata: true })) {
    const body = JSON.parse((await container.getBlockBlobClient(blob.name).downloadToBuffer()).toString('utf8')) as Record<string, unknown>;
    entries.set(blob.name.replace(/^[^/]+\//, '').replace(/\.json$/, '').toLowerCase(), { body, deleted: blob.metadata?.deleted === 'true' });
  }
  return entries;
}

/**
 * The resources the demo subscriptions cover, as the simulator holds them: every user and group, Adele's
 * and Alex's mail, Adele's events, contacts and OneDrive items, and the chat's messages.
 */
export function inScope(demo: DemoTenant, resource: ResourceSnapshot): boolean {
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
export async function compareWithGroundTruth(e2e: E2ePipeline, scope: (resource: ResourceSnapshot) => boolean = (resource) => inScope(e2e.demo, resource)): Promise<GroundTruthComparison> {
  const sink = await readSink(e2e.pipeline);
  const truth = e2e.sim.state(e2e.demo.tenantId).filter(scope);
  const truthPaths = new Set(truth.map((resource) => resource.path.toLowerCase()));
  const missing: string[] = [];
  const different: string[] = [];
  for (const resource of truth) {
    const entry = sink.get(resource.path.toLowerCase());
    if (entry === undefined || entry.deleted) missing.push(`${resource.kind} ${resource.path}`);
    else if (!isDeepStrictEqual(withoutResponseAnnotations(entry.body), withoutResponseAnnotations(resource.body))) different.push(`${resource.kind} ${resource.path}`);
  }
  const stale = [...sink.entries()].filter(([path, entry]) => !entry.deleted && !truthPaths.has(path)).map(([path]) => path);
  return { expected: truth.length, missing, different, stale, tombstones: [...sink.values()].filter((entry) => entry.deleted).length };
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
    if (kind === 'user') sim.mutate(demo.tenantId, { kind: 'user', op: 'update', id: resource.id, data: { jobTitle: label } });
    else if (kind === 'group') sim.mutate(demo.tenantId, { kind: 'group', op: 'update', id: resource.id, data: { description: label } });
    else if (kind === 'message' || kind === 'event') sim.mutate(demo.tenantId, { kind, op: 'update', userId: owner, id: resource.id, data: { subject: label } });
    else if (kind === 'contact') sim.mutate(demo.tenantId, { kind: 'contact', op: 'update', userId: owner, id: resource.id, data: { displayName: label } });
    else if (kind === 'driveitem' && resource.body.root === undefined) sim.mutate(demo.tenantId, { kind: 'driveItem', op: 'update', driveId: demo.driveId, id: resource.id, data: { description: label } });
    else if (kind === 'chatmessage') sim.mutate(demo.tenantId, { kind: 'chatMessage', op: 'update', chatId: demo.chatId, id: resource.id, data: { body: { contentType: 'text', content: label } } });
    else continue;
    touched += 1;
  }
  return touched;
}

/** Host log lines worth showing when a test fails: warnings and errors, without secrets (the host redacts). */
export function problems(logs: readonly LocalHostLogEntry[]): string[] {
  return logs.filter((entry) => entry.level === 'warning' || entry.level === 'error' || entry.level === 'critical').map((entry) => `${entry.functionName ?? entry.source}: ${entry.message}`);
}
