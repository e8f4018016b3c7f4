/** Processing: the queue-triggered function that turns notifications into resource state in the sink. */
import type { EnvReader } from '../envReader';
import { RESOURCE_KINDS, type ResourceKindName } from '../../resources/resourceKinds';
import { defineSetting } from '../setting';

export const processingSettings = {
  resourcesContainer: defineSetting({
    name: 'RESOURCES_CONTAINER_NAME',
    description:
      'Blob container of the resource sink: one JSON blob per resource at {tenantId}/{resource path}.json (docs/sink.md).',
    default: 'graph-resources',
    whenWrong: 'Processed state lands in a container downstream readers do not watch.',
  }),
  changeEventsQueue: defineSetting({
    name: 'CHANGE_EVENTS_QUEUE_NAME',
    description:
      'Optional second sink: a queue that receives a compact change event for every resource written (docs/sink.md). Empty = off.',
    default: '',
    whenWrong: 'Downstream consumers of change events see nothing (empty) or events go to the wrong queue.',
  }),
  deltaStateTable: defineSetting({
    name: 'DELTA_STATE_TABLE_NAME',
    description: 'Table holding the delta link and the run lease per delta-tracked resource (drive roots, resyncs).',
    default: 'GraphDeltaState',
    whenWrong: 'Every drive notification and every resync starts from scratch (full delta), costing many Graph reads.',
  }),
  failuresTable: defineSetting({
    name: 'FAILURES_TABLE_NAME',
    description:
      'Table recording resources that failed permanently (403, unsupported resource, undecryptable), with the reason.',
    default: 'GraphProcessingFailures',
    whenWrong: 'Permanent failures are only logged, not queryable.',
  }),
  coalesceDelaySeconds: defineSetting({
    name: 'COALESCE_DELAY_SECONDS',
    description:
      'Coalescing across deliveries (docs/processing.md): a basic change notification about a resource with no notification in this many seconds before it is read at once; one about a resource with recent activity waits on the queue for the gap since the previous notification plus a second, at most this long, and the resource is read once its notifications pause (up to COALESCE_MAX_WAIT_SECONDS). Rich notifications never wait. 0 = off.',
    default: '4',
    whenWrong:
      'Higher: fewer Graph reads for changes that come in series, but those reach the sink that much later. 0: Graph is read about once per notification when changes to one resource arrive in separate POSTs.',
  }),
  coalesceMaxWaitSeconds: defineSetting({
    name: 'COALESCE_MAX_WAIT_SECONDS',
    description:
      'A resource that keeps changing (notifications less than COALESCE_DELAY_SECONDS apart) is still read at least this often.',
    default: '10',
    whenWrong: 'Lower: more Graph reads for busy resources. Higher: a busy resource lags that much behind in the sink.',
  }),
  receiptsTable: defineSetting({
    name: 'RECEIPTS_TABLE_NAME',
    description:
      'Table holding the latest notification receipt per resource, which processing uses to coalesce reads across deliveries.',
    default: 'GraphNotificationReceipts',
    whenWrong: 'Coalescing across deliveries cannot find later notifications: each POST costs its own reads.',
  }),
  select: defineSetting({
    name: 'GRAPH_SELECT',
    description:
      'JSON object mapping a resource kind read by id (user, group, message, event, contact, chatMessage, channelMessage, …) to the $select list used when fetching it, e.g. {"message":"id,subject,from,receivedDateTime"}. Kinds not listed are fetched with all default properties. The list of a Teams message kind keeps deletedDateTime: it is how a read tells a deleted message.',
    default: '{}',
    whenWrong:
      'Malformed JSON or an unknown kind stops start-up; a wrong property list makes Graph answer 400 for every read of that kind (recorded as permanent failures).',
  }),
} as const;

/** Kinds read by id, the only ones a $select applies to. */
export const SELECTABLE_KINDS: readonly ResourceKindName[] = RESOURCE_KINDS.filter(
  (kind) => kind.retrieval.kind === 'byId',
).map((kind) => kind.name);
export type SelectableKind = ResourceKindName;

export interface ProcessingConfig {
  readonly resourcesContainer: string;
  /** Undefined when the change-event queue is off. */
  readonly changeEventsQueue: string | undefined;
  readonly deltaStateTable: string;
  readonly failuresTable: string;
  readonly select: Readonly<Partial<Record<SelectableKind, string>>>;
  /** 0 = coalescing across deliveries is off. */
  readonly coalesceDelaySeconds: number;
  readonly coalesceMaxWaitMs: number;
  readonly receiptsTable: string;
}

export function readProcessingConfig(env: EnvReader): ProcessingConfig {
  const s = processingSettings;
  const changeEvents = env.optionalString(s.changeEventsQueue);
  return {
    resourcesContainer: env.queueOrContainerName(s.resourcesContainer),
    changeEventsQueue:
      changeEvents === undefined || changeEvents === '' ? undefined : env.queueOrContainerName(s.changeEventsQueue),
    deltaStateTable: env.tableName(s.deltaStateTable),
    failuresTable: env.tableName(s.failuresTable),
    select: readSelect(env),
    coalesceDelaySeconds: env.integer(s.coalesceDelaySeconds, { min: 0, max: 60 }),
    coalesceMaxWaitMs: env.integer(s.coalesceMaxWaitSeconds, { min: 1, max: 3600 }) * 1000,
    receiptsTable: env.tableName(s.receiptsTable),
  };
}

function readSelect(env: EnvReader): Readonly<Partial<Record<SelectableKind, string>>> {
  const text = env.string(processingSettings.select);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    env.problem(processingSettings.select, 'must be a JSON object such as {"message":"id,subject"}');
    return {};
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    env.problem(processingSettings.select, 'must be a JSON object such as {"message":"id,subject"}');
    return {};
  }
  const select: Partial<Record<SelectableKind, string>> = {};
  for (const [kind, value] of Object.entries(parsed)) {
    if (!(SELECTABLE_KINDS as readonly string[]).includes(kind)) {
      env.problem(processingSettings.select, `unknown resource kind "${kind}" (known: ${SELECTABLE_KINDS.join(', ')})`);
    } else if (typeof value !== 'string' || !/^[A-Za-z0-9@._,/-]+$/.test(value)) {
      env.problem(processingSettings.select, `the $select for "${kind}" must be a comma-separated property list`);
    } else {
      select[kind as SelectableKind] = value;
    }
  }
  return select;
}
