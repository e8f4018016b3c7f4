/**
 * What `npm run dev` shows on its status line, gathered from where each figure is true: the app's own
 * telemetry (notifications received and enqueued, renewals, poisonings) read in-process through a
 * pull-based OpenTelemetry meter provider; the local host's invocation log (messages processed, failed
 * invocations); storage itself (resources and tombstones in the sink, queue depth, poison queues); and,
 * with the simulator, Graph's own delivery log. Any source can be missing (telemetry exported to
 * Application Insights, storage down): its figures are then `undefined` and print as `-`.
 */
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueClient } from '@azure/storage-queue';
import { metrics } from '@opentelemetry/api';
import { DataPointType, MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { DeliverySummary } from '../graph-simulator';
import type { LocalHostLogEntry } from '../local-host';
import { ATTRIBUTE, METRIC } from '../../src/lib/telemetry';

export interface PipelineStatus {
  /** Notification items Graph POSTed to either webhook (telemetry). */
  readonly received: number | undefined;
  /** Items that passed every check and were durably enqueued (telemetry). */
  readonly enqueued: number | undefined;
  /** Successful invocations of the notifications queue trigger (host log). */
  readonly processed: number;
  /** Successful invocations of the lifecycle queue trigger (host log). */
  readonly lifecycleProcessed: number;
  /** Live resources and tombstones in the sink container (storage). */
  readonly resources: number | undefined;
  readonly tombstones: number | undefined;
  /** Subscriptions renewed or recreated, and reauthorized (telemetry). */
  readonly renewals: number | undefined;
  readonly reauthorizations: number | undefined;
  /** Failed invocations of any function (host log). */
  readonly failures: number;
  /** Messages in `<queue>-poison` of both queues (storage). */
  readonly poison: number | undefined;
  /** Messages waiting or in flight on the notifications and lifecycle queues (storage). */
  readonly queued: number | undefined;
  /** Graph's delivery ground truth (simulator only). */
  readonly delivery: DeliverySummary | undefined;
  readonly storageReachable: boolean;
}

export interface StatusSources {
  readonly connectionString: () => string;
  readonly notificationsQueue: string;
  readonly lifecycleQueue: string;
  readonly resourcesContainer: string;
  readonly delivery?: () => DeliverySummary;
}

/** Counts "Executed" lines of the local host by function and result. */
export class InvocationCounter {
  readonly #counts = new Map<string, { succeeded: number; failed: number }>();

  observe(entry: LocalHostLogEntry): void {
    if (entry.succeeded === undefined || entry.functionName === undefined) return;
    const counts = this.#counts.get(entry.functionName) ?? { succeeded: 0, failed: 0 };
    if (entry.succeeded) counts.succeeded += 1;
    else counts.failed += 1;
    this.#counts.set(entry.functionName, counts);
  }

  succeeded(functionName: string): number {
    return this.#counts.get(functionName)?.succeeded ?? 0;
  }

  failed(functionName?: string): number {
    if (functionName !== undefined) return this.#counts.get(functionName)?.failed ?? 0;
    return [...this.#counts.values()].reduce((sum, counts) => sum + counts.failed, 0);
  }
}

/** A reader that exports nothing by itself: `collect()` is called when a status is wanted. */
class PullMetricReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }

  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** The app's metrics, read in-process. The app binds to whichever global meter provider is current. */
export class TelemetryTap {
  readonly #reader = new PullMetricReader();
  readonly #provider = new MeterProvider({ readers: [this.#reader] });
  readonly installed: boolean;

  constructor() {
    this.installed = metrics.setGlobalMeterProvider(this.#provider);
  }

  /** Sum of a counter's points whose attributes include `attributes`. */
  async sum(name: string, attributes: Readonly<Record<string, string>> = {}): Promise<number | undefined> {
    if (!this.installed) return undefined;
    const { resourceMetrics } = await this.#reader.collect();
    return sumOf(resourceMetrics, name, attributes);
  }

  async sums(
    queries: readonly (readonly [string, Readonly<Record<string, string>>?])[],
  ): Promise<(number | undefined)[]> {
    if (!this.installed) return queries.map(() => undefined);
    const { resourceMetrics } = await this.#reader.collect();
    return queries.map(([name, attributes]) => sumOf(resourceMetrics, name, attributes ?? {}));
  }

  async uninstall(): Promise<void> {
    if (!this.installed) return;
    await this.#provider.shutdown();
    metrics.disable();
  }
}

function sumOf(resourceMetrics: ResourceMetrics, name: string, attributes: Readonly<Record<string, string>>): number {
  let total = 0;
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      if (metric.descriptor.name !== name || metric.dataPointType !== DataPointType.SUM) continue;
      for (const point of metric.dataPoints) {
        if (Object.entries(attributes).every(([key, value]) => point.attributes[key] === value)) total += point.value;
      }
    }
  }
  return total;
}

interface StorageFigures {
  readonly resources: number;
  readonly tombstones: number;
  readonly poison: number;
  readonly queued: number;
}

async function messageCount(connectionString: string, queueName: string): Promise<number> {
  try {
    return (
      (await new QueueClient(connectionString, queueName, STORAGE_PROBE_OPTIONS).getProperties())
        .approximateMessagesCount ?? 0
    );
  } catch (error) {
    if ((error as { statusCode?: unknown }).statusCode === 404) return 0;
    throw error;
  }
}

/** One quick try: a status line must not hang on a storage outage. */
const STORAGE_PROBE_OPTIONS = { retryOptions: { maxTries: 1, tryTimeoutInMs: 2_000 } };

async function storageFigures(sources: StatusSources): Promise<StorageFigures> {
  const connectionString = sources.connectionString();
  const container = BlobServiceClient.fromConnectionString(connectionString, STORAGE_PROBE_OPTIONS).getContainerClient(
    sources.resourcesContainer,
  );
  let resources = 0;
  let tombstones = 0;
  if (await container.exists()) {
    for await (const blob of container.listBlobsFlat({ includeMetadata: true })) {
      if (blob.metadata?.deleted === 'true') tombstones += 1;
      else resources += 1;
    }
  }
  const [poisonNotifications, poisonLifecycle, queuedNotifications, queuedLifecycle] = await Promise.all([
    messageCount(connectionString, `${sources.notificationsQueue}-poison`),
    messageCount(connectionString, `${sources.lifecycleQueue}-poison`),
    messageCount(connectionString, sources.notificationsQueue),
    messageCount(connectionString, sources.lifecycleQueue),
  ]);
  return {
    resources,
    tombstones,
    poison: poisonNotifications + poisonLifecycle,
    queued: queuedNotifications + queuedLifecycle,
  };
}

export async function readPipelineStatus(
  sources: StatusSources,
  invocations: InvocationCounter,
  telemetry: TelemetryTap | undefined,
): Promise<PipelineStatus> {
  const outcome = ATTRIBUTE.outcome;
  const [received, enqueued, renewed, recreated, reauthorized] =
    telemetry === undefined
      ? [undefined, undefined, undefined, undefined, undefined]
      : await telemetry.sums([
          [METRIC.notificationsReceived],
          [METRIC.notificationsAccepted],
          [METRIC.renewals, { [outcome]: 'renewed' }],
          [METRIC.renewals, { [outcome]: 'recreated' }],
          [METRIC.renewals, { [outcome]: 'reauthorized' }],
        ]);
  let storage: StorageFigures | undefined;
  try {
    storage = await storageFigures(sources);
  } catch {
    storage = undefined;
  }
  return {
    received,
    enqueued,
    processed: invocations.succeeded('processNotifications'),
    lifecycleProcessed: invocations.succeeded('processLifecycleNotifications'),
    resources: storage?.resources,
    tombstones: storage?.tombstones,
    renewals: renewed === undefined || recreated === undefined ? undefined : renewed + recreated,
    reauthorizations: reauthorized,
    failures: invocations.failed(),
    poison: storage?.poison,
    queued: storage?.queued,
    delivery: sources.delivery?.(),
    storageReachable: storage !== undefined,
  };
}

const figure = (value: number | undefined): string => (value === undefined ? '-' : String(value));

/**
 * One line, about 120 characters: what a newcomer watches while the workload runs. Counters (since the
 * start, never lower) come first; "now" marks what is counted as it stands (blobs in the sink, messages in
 * the poison queues). Notifications are items; the queue trigger handles queue messages, each packing
 * one or more items (and retries count again), so the two are labelled apart.
 */
export function formatStatusLine(status: PipelineStatus): string {
  const parts = [
    `notifications received ${figure(status.received)}`,
    `enqueued ${figure(status.enqueued)}`,
    `queue messages processed ${status.processed}`,
    `failed invocations ${status.failures}`,
    `renewals ${figure(status.renewals)}${status.reauthorizations === undefined || status.reauthorizations === 0 ? '' : ` (+${status.reauthorizations} reauthorized)`}`,
  ];
  if (status.delivery !== undefined)
    parts.push(`Graph delivered ${status.delivery.delivered}/${status.delivery.total}`);
  parts.push(
    `sink now ${figure(status.resources)} blobs${status.tombstones === undefined || status.tombstones === 0 ? '' : ` (+${status.tombstones} tombstones)`}`,
  );
  parts.push(`poison now ${figure(status.poison)}`);
  if (!status.storageReachable) parts.push('STORAGE UNREACHABLE');
  return parts.join(' · ');
}
