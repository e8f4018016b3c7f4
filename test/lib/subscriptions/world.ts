/**
 * A whole graph-notify installation in one process, on virtual time, for the subscription tests: the Graph
 * simulator (manual clock) calls our webhooks through an in-process fetch; ingest, processing and the
 * lifecycle handler run on in-memory queues; the subscriptions table is in memory or on Azurite; the sink
 * is the in-memory one, so it can be compared with the simulator's ground truth.
 *
 * `webhook` decides how the app answers Graph (tests make the handshake fail); `pump()` drains the
 * queues like the Functions host would; `tick()` advances virtual time, pumps, runs the timer's sequence
 * (`runMaintenance`: reconcile, deferred challenges, periodic resync) and pumps again, like one timer occurrence.
 *
 * Graph delivers exactly once, in order and at once here (`EXACT_DELIVERY`, unless a test overrides `delivery`):
 * these tests step the subscription lifecycle and count the app's requests and writes exactly. Delivery
 * realism (duplicates, reordering, latency) is exercised end to end in test/e2e.
 */
import { generateKeyPairSync } from 'node:crypto';
import {
  createGraphSimulator,
  EXACT_DELIVERY,
  type GraphSimulator,
  type GraphSimulatorOptions,
} from '../../../dev/graph-simulator/index.js';
import { MemoryChangeSink } from '../../../src/adapters/memory/memoryChangeSink';
import { MemoryLeaseStore } from '../../../src/adapters/memory/memoryLeaseStore';
import { MemoryFailureLog } from '../../../src/adapters/memory/memoryFailureLog';
import { MemoryMessageQueue } from '../../../src/adapters/memory/memoryMessageQueue';
import { MemoryPayloadStore } from '../../../src/adapters/memory/memoryPayloadStore';
import { MemorySubscriptionRepository } from '../../../src/adapters/memory/memorySubscriptionRepository';
import { GraphClient, type GraphRequestRecord } from '../../../src/lib/graph';
import { ingestNotifications } from '../../../src/lib/ingest';
import {
  describeLifecycleResult,
  processLifecycleNotifications,
  type LifecycleDependencies,
  type LifecycleResult,
} from '../../../src/lib/lifecycle';
import type { NotificationEnvelope } from '../../../src/lib/notifications';
import { describeProcessingResult, handleQueueMessage, processNotifications } from '../../../src/lib/processing';
import { runMaintenance } from '../../../src/lib/maintenance';
import type { Clock } from '../../../src/lib/shared/clock';
import type { Logger } from '../../../src/lib/shared/logger';
import {
  createCachedSubscriptionLookup,
  type ReconcileReport,
  type SubscriptionRepository,
  type SubscriptionSettings,
} from '../../../src/lib/subscriptions';

export const TENANT_ID = '6c1f0e2d-3b4a-4c5d-8e6f-7a8b9c0d1e2f';
export const APP_ID = '5a4b3c2d-1e0f-4a1b-8c2d-3e4f5a6b7c8d';
export const NOTIFICATION_URL = 'http://127.0.0.1:7071/api/notifications?code=notifications-key';
export const LIFECYCLE_URL = 'http://127.0.0.1:7071/api/lifecycle?code=lifecycle-key';
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** One signing key per test process: RSA generation is the slow part of starting a simulator. */
const SIGNING_KEY_PEM = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();

export interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
}

/** How the app answers a POST from Graph: undefined = the real webhook. */
export type WebhookOverride = (url: URL) => Response | undefined;

export interface World {
  readonly sim: GraphSimulator;
  readonly graph: GraphClient;
  readonly repository: SubscriptionRepository;
  readonly sink: MemoryChangeSink;
  readonly leases: MemoryLeaseStore;
  readonly notificationsQueue: MemoryMessageQueue;
  readonly lifecycleQueue: MemoryMessageQueue;
  readonly clock: Clock;
  readonly settings: SubscriptionSettings;
  readonly logs: LogLine[];
  readonly log: Logger;
  /** Every Graph request the app made. */
  readonly requests: GraphRequestRecord[];
  /** Path of every subscription PATCH the app sent, alone or inside a `$batch` (what Graph throttles). */
  readonly patches: string[];
  /** Lines the simulator logged (expiries, anomalies). */
  readonly simLog: string[];
  readonly lifecycleResults: LifecycleResult[];
  webhook: WebhookOverride | undefined;
  /** Called inside the validation handshake, before the app answers it. */
  onHandshake: (() => Promise<void>) | undefined;
  deps(): LifecycleDependencies;
  pump(): Promise<void>;
  tick(ms: number): Promise<ReconcileReport>;
  userId: string;
  stop(): void;
}

export interface WorldOptions {
  readonly simulator?: GraphSimulatorOptions;
  readonly settings?: Partial<SubscriptionSettings>;
  readonly repository?: SubscriptionRepository;
  readonly start?: string;
}

export async function createWorld(options: WorldOptions = {}): Promise<World> {
  const logs: LogLine[] = [];
  const simLog: string[] = [];
  const log: Logger = {
    info: (message) => logs.push({ level: 'info', message }),
    warn: (message) => logs.push({ level: 'warn', message }),
    error: (message) => logs.push({ level: 'error', message }),
  };
  const repository = options.repository ?? new MemorySubscriptionRepository();
  const notificationsQueue = new MemoryMessageQueue();
  const lifecycleQueue = new MemoryMessageQueue();
  const payloads = new MemoryPayloadStore();
  const sink = new MemoryChangeSink();
  const leases = new MemoryLeaseStore();
  const requests: GraphRequestRecord[] = [];
  const patches: string[] = [];
  const lifecycleResults: LifecycleResult[] = [];
  const simulatorRef: { current: GraphSimulator | undefined } = { current: undefined };
  const clock: Clock = {
    now: () => simulatorRef.current?.clock.now() ?? new Date(options.start ?? '2026-05-01T08:00:00Z'),
  };
  const lookup = createCachedSubscriptionLookup(repository, clock, 0);

  const world: World = {
    webhook: undefined,
    onHandshake: undefined,
  } as World;

  // The app's HTTP surface as Graph sees it: handshake echo, then ingest into the memory queues.
  const appFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : new Request(input, init);
    const url = new URL(request.url);
    const override = world.webhook?.(url);
    if (override !== undefined) return override;
    const token = url.searchParams.get('validationToken');
    if (token !== null) {
      await world.onHandshake?.();
      return new Response(token, { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' } });
    }
    const endpoint = url.pathname.endsWith('/lifecycle') ? 'lifecycle' : 'notifications';
    await ingestNotifications(
      endpoint,
      {
        contentType: request.headers.get('content-type') ?? undefined,
        body: new Uint8Array(await request.arrayBuffer()),
      },
      {
        lookupSubscription: lookup,
        notificationsQueue,
        lifecycleQueue,
        payloads,
        clock,
        maxBodyBytes: 4 * 1024 * 1024,
        log,
      },
    );
    return new Response(null, { status: 202 });
  };

  const simulator = await createGraphSimulator({
    allowHttpLoopback: true,
    signingKeyPem: SIGNING_KEY_PEM,
    clock: { mode: 'manual', start: options.start ?? '2026-05-01T08:00:00Z' },
    tenants: [{ id: TENANT_ID, domain: 'contoso.test' }],
    apps: [{ clientId: APP_ID, clientSecrets: ['world-secret'] }],
    fetch: appFetch,
    log: (line) => simLog.push(line),
    ...options.simulator,
    delivery: { ...EXACT_DELIVERY, ...options.simulator?.delivery },
  });
  simulatorRef.current = simulator;
  const user = simulator.mutate(TENANT_ID, {
    kind: 'user',
    op: 'create',
    data: { mailNickname: 'adele', displayName: 'Adele Vance' },
  });
  const tokens = new Map<string, Promise<string>>();
  const graph = new GraphClient({
    baseUrl: 'http://127.0.0.1:9/v1.0',
    tokens: {
      getToken: (tenantId) => {
        let token = tokens.get(tenantId);
        if (token === undefined) {
          token = simulator.issueAccessToken(tenantId, APP_ID);
          tokens.set(tenantId, token);
        }
        return token;
      },
    },
    timeoutMs: 10_000,
    fetch: async (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      const body = typeof init?.body === 'string' ? init.body : undefined;
      if (url.endsWith('/$batch') && body !== undefined) {
        for (const item of (JSON.parse(body) as { requests: { method: string; url: string }[] }).requests)
          if (item.method === 'PATCH') patches.push(item.url);
      } else if (init?.method === 'PATCH') {
        patches.push(new URL(url).pathname.replace(/^\/v1\.0/, ''));
      }
      return simulator.fetch(input, init);
    },
    clock,
    onRequest: (record) => requests.push(record),
  });
  const settings: SubscriptionSettings = {
    notificationUrl: NOTIFICATION_URL,
    lifecycleNotificationUrl: LIFECYCLE_URL,
    renewalWindowMinutes: 720,
    expirationMarginMinutes: 15,
    maxLifetimeMinutes: undefined,
    driftCheckIntervalMinutes: 60,
    concurrencyPerTenant: 4,
    defaultTenantId: TENANT_ID,
    graphBaseUrl: 'http://127.0.0.1:9/v1.0',
    encryption: undefined,
    ...options.settings,
  };
  // A reconcile run waiting out a Retry-After moves virtual time instead of sleeping.
  const sleep = (ms: number): Promise<void> => simulator.clock.advance(ms);
  const deps = (): LifecycleDependencies => ({
    repository,
    graph,
    leases,
    sink,
    clock,
    log,
    settings,
    lifecycleQueue,
    sleep,
  });
  const processingDeps = {
    graph,
    sink,
    leases,
    failures: new MemoryFailureLog(),
    notificationsQueue,
    rich: {
      verifyTokens: () => Promise.reject(new Error('rich notifications are not used in these tests')),
      decrypt: () => {
        throw new Error('rich notifications are not used in these tests');
      },
    },
    select: {},
    clock,
    log,
  };

  // Lifecycle messages sent with a visibility delay, held until virtual time reaches it (like the queue service).
  const delayedLifecycle: { readonly text: string; readonly dueMs: number }[] = [];
  const pump = async (): Promise<void> => {
    // Like the host: take what is visible, process it, repeat until both queues are empty.
    for (let round = 0; round < 20; round += 1) {
      const notifications = notificationsQueue.sent.splice(0);
      const nowMs = clock.now().getTime();
      for (const message of lifecycleQueue.sent.splice(0))
        delayedLifecycle.push({ text: message.text, dueMs: nowMs + (message.visibilityDelaySeconds ?? 0) * 1000 });
      const lifecycle = delayedLifecycle.filter((message) => message.dueMs <= nowMs);
      delayedLifecycle.splice(
        0,
        delayedLifecycle.length,
        ...delayedLifecycle.filter((message) => message.dueMs > nowMs),
      );
      if (notifications.length === 0 && lifecycle.length === 0) return;
      for (const message of notifications) {
        const run = (envelope: NotificationEnvelope) => processNotifications(envelope, processingDeps);
        await handleQueueMessage(message.text, { payloads, log }, { run, summarize: describeProcessingResult });
      }
      for (const message of lifecycle) {
        const run = (envelope: NotificationEnvelope) => processLifecycleNotifications(envelope, deps());
        const handled = await handleQueueMessage(
          message.text,
          { payloads, log },
          { run, summarize: describeLifecycleResult },
        );
        if (handled.outcome !== 'discarded') lifecycleResults.push(handled.result);
      }
    }
  };

  return Object.assign(world, {
    sim: simulator,
    graph,
    repository,
    sink,
    leases,
    notificationsQueue,
    lifecycleQueue,
    clock,
    settings,
    logs,
    log,
    requests,
    patches,
    simLog,
    lifecycleResults,
    deps,
    pump,
    tick: async (ms: number): Promise<ReconcileReport> => {
      await simulator.clock.advance(ms);
      await pump();
      const { reconcile } = await runMaintenance(deps());
      await simulator.clock.settle();
      await pump();
      return reconcile;
    },
    userId: String(user?.id),
    stop: () => {
      simulator.stop();
    },
  });
}

/** The live resources of `kinds` in the simulator, as sink paths → a field that identifies the version. */
export function simulatorTruth(world: World, kinds: readonly string[], field: string): Map<string, unknown> {
  return new Map(
    world.sim
      .state(TENANT_ID)
      .filter((resource) => kinds.includes(resource.kind))
      .map((resource) => [resource.path, resource.body[field]]),
  );
}

/** The live resources in the sink under `prefix`, as sink paths → the same field. */
export function sinkContents(world: World, prefix: RegExp, field: string): Map<string, unknown> {
  const result = new Map<string, unknown>();
  for (const state of world.sink.states.values()) {
    if (state.tenantId !== TENANT_ID || !prefix.test(state.resourcePath) || state.body === undefined) continue;
    result.set(state.resourcePath, state.body[field]);
  }
  return result;
}

/** Graph requests of one operation, e.g. `renewSubscription`. */
export function requestsOf(world: World, operation: string): GraphRequestRecord[] {
  return world.requests.filter((record) => record.operation === operation);
}
