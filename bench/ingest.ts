/**
 * Ingest benchmark, two parts. Prints figures; it asserts nothing about speed, only that the app enqueued
 * what it acknowledged.
 *
 * 1. Over HTTP, the path Graph takes, against its anchor, the storage itself: collections of 1, 10 and 50
 *    realistic notifications POSTed to the app's webhook on a local host in a process of its own
 *    (bench/functionHostProcess.ts; function key, Azurite queue and tables, default settings), and the raw packed
 *    enqueue: the very queue messages the app makes of those POSTs (same sizes, base64) sent straight to the same
 *    Azurite, twice: with the app's own queue sender and with the storage SDK's `sendMessage`. All closed loop with
 *    `--concurrency` requests in flight, each load generator in its own process (sending 1 s before it measures),
 *    runs of `--seconds`, rounds interleaved in rotating order. The ratio app / raw enqueue per collection size,
 *    against the faster of the two raw rates, is what the app's ingest costs beyond storing. With `--bare`, beside them, a bare function on a local
 *    host of its own (bench/bareFunction.ts): it reads the body and sends the same messages with the app's sender,
 *    checking and packing nothing, so its ratio is the Functions request path's share alone, and app / bare function
 *    the app's own. Each host's process reports the CPU it spent per POST, and with `--bare` the summary gives their
 *    difference. The bare function is off by default: its rounds fill Azurite further, which slows the raw enqueue
 *    more than the app and so would move the ratio the goal reads. The processing triggers are disabled so that
 *    only ingest runs. A warm-up round brings the local host to its steady rate; Azurite then restarts empty, so
 *    every measured round meets the store a fresh bench would, and the app's queue must hold every message it
 *    acknowledged.
 * 2. In process, the packing design: the webhook handler called directly into Azurite, packed messages
 *    beside one queue message per notification.
 * 3. By delivery route (bench/ingestRoutes.ts): webhook, Event Grid and Event Hubs on one local host.
 *
 *   npm run bench:ingest -- [--seconds 5] [--rounds 2] [--concurrency 8] [--collections 120] [--bare]
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { QueueClient } from '@azure/storage-queue';
import { startAzurite } from '../dev/azurite';
import { newFunctionKey, startLocalPipeline } from '../dev/run';
import { runLoad, type LoadResult, type LoadRun } from './loadGenerator';
import { runRouteBench } from './ingestRoutes';
import { startBareFunction } from './bareFunction';
import { startFunctionHostProcess } from './functionHostProcess';
import { percentile } from './percentile';
import { handleWebhook } from '../src/functions/shared/webhook';
import { buildServices } from '../src/index';
import { loadConfig } from '../src/lib/config';
import { packEnvelopes, parseNotificationItem } from '../src/lib/notifications';
import { invocationContext, postRequest } from '../test/support/functions';
import {
  collection,
  outlookMessageNotification,
  subscriptionRecord,
  userNotification,
} from '../test/support/notificationFactories';

const { values } = parseArgs({
  options: {
    collections: { type: 'string', default: '120' },
    concurrency: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '2' },
    bare: { type: 'boolean', default: false },
  },
});
const COLLECTIONS = Number(values.collections);
const CONCURRENCY = Number(values.concurrency);
const RUN_MS = Number(values.seconds) * 1000;
const ROUNDS = Number(values.rounds);
const ITEMS_PER_COLLECTION = 50;
/**
 * Azurite's queue service sweeps every 60 s by default, walking every message it holds: once a bench has filled its
 * queues that stops the emulator for seconds (2.5 s measured), charged to whichever design ran at that minute. No
 * sweep falls inside a bench run (dev/azuriteQueueSweep.mjs).
 */
const QUEUE_SWEEP_INTERVAL_MS = 3_600_000;

interface Figures {
  readonly notificationsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly messages: number;
  /** POSTs answered 503 (storage did not take the messages in time) and sent again, as Graph retries them. */
  readonly retried: number;
}

/** How often the design comparison sends one POST before it gives up on storage. */
const MAX_POST_ATTEMPTS = 10;

async function run(connectionString: string, label: string, maxItemsPerMessage: number | undefined): Promise<Figures> {
  const services = buildServices(
    loadConfig({
      ...process.env,
      AzureWebJobsStorage: connectionString,
      NOTIFICATIONS_QUEUE_NAME: `bench-${label}`,
      LIFECYCLE_QUEUE_NAME: `bench-${label}-lifecycle`,
      SUBSCRIPTIONS_TABLE_NAME: `Bench${label}`,
      GRAPH_CLIENT_ID: process.env.GRAPH_CLIENT_ID ?? '00000000-0000-0000-0000-00000000b0b0',
      GRAPH_TENANT_ID: process.env.GRAPH_TENANT_ID ?? '84bd8158-6d4d-4958-8b9f-9d6445542f95',
      GRAPH_CLIENT_SECRET: process.env.GRAPH_CLIENT_SECRET ?? 'bench-only',
    }),
  );
  const subscriptions = [
    subscriptionRecord(),
    subscriptionRecord({ resource: 'users', changeType: 'updated,deleted' }),
  ];
  await Promise.all(subscriptions.map((record) => services.subscriptions.create(record)));
  const deps = { ...services.ingest, ...(maxItemsPerMessage === undefined ? {} : { maxItemsPerMessage }) };
  const bodies = Array.from({ length: COLLECTIONS }, (_, n) =>
    collection(
      Array.from({ length: ITEMS_PER_COLLECTION }, (_, i) =>
        (n + i) % 2 === 0
          ? outlookMessageNotification(subscriptions[0] ?? subscriptionRecord())
          : userNotification(subscriptions[1] ?? subscriptionRecord()),
      ),
    ),
  );
  const url = 'http://localhost:7071/api/notifications';
  let retried = 0;
  // A 503 says storage did not take the messages in time: Graph sends the POST again, and so does the bench.
  const post = async (body: string): Promise<number> => {
    const started = performance.now();
    for (let attempt = 1; ; attempt += 1) {
      const { context } = invocationContext();
      const response = await handleWebhook('notifications', postRequest(url, body), context, () => deps);
      if (response.status === 202) return performance.now() - started;
      if (response.status !== 503 || attempt === MAX_POST_ATTEMPTS)
        throw new Error(`unexpected status ${response.status} (attempt ${attempt})`);
      retried += 1;
    }
  };

  // Warm-up: create the queue, fill the subscription cache, let the JIT settle.
  for (const body of bodies.slice(0, 3)) await post(body);

  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++];
        if (body !== undefined) latencies.push(await post(body));
      }
    }),
  );
  const elapsedSeconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const properties = await new QueueClient(connectionString, `bench-${label}`).getProperties();
  return {
    notificationsPerSecond: (COLLECTIONS * ITEMS_PER_COLLECTION) / elapsedSeconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    messages: properties.approximateMessagesCount ?? Number.NaN,
    retried,
  };
}

/** Collection sizes the HTTP part measures: a lone notification, a small batch, and a full one. */
const SIZES = [1, 10, 50] as const;

interface HttpDesign {
  readonly name: string;
  readonly itemsPerPost: number;
  /** Queue messages the app makes of each of its POSTs. */
  readonly messagesPerPost: number;
  /** The app's webhook (whose acknowledged POSTs must all reach its queue), the bare function, or a raw enqueue. */
  readonly role: 'app' | 'bare' | 'raw';
  readonly load: (durationMs: number) => LoadRun;
  /** The CPU used so far by the process that runs the function (app and bare function; a raw enqueue has none). */
  readonly hostCpu?: () => Promise<NodeJS.CpuUsage>;
  readonly runs: MeasuredRun[];
}

/** One measured round: the load's figures and the CPU the function's process spent meanwhile, in microseconds. */
interface MeasuredRun extends LoadResult {
  readonly hostCpuMicroseconds: number | undefined;
}

function summarise(runs: readonly MeasuredRun[]): {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  samples: number;
  errors: number;
  clientCpuMicroseconds: number;
  /** Per request; undefined for a raw enqueue, which has no function. */
  hostCpuMicroseconds: number | undefined;
} {
  const latencies = runs.flatMap((run) => run.latenciesMs).sort((a, b) => a - b);
  const seconds = runs.reduce((sum, run) => sum + run.elapsedMs, 0) / 1000;
  return {
    requestsPerSecond: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    samples: latencies.length,
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    clientCpuMicroseconds: runs.reduce((sum, run) => sum + run.clientCpuMicroseconds, 0) / latencies.length,
    hostCpuMicroseconds: runs.some((run) => run.hostCpuMicroseconds === undefined)
      ? undefined
      : runs.reduce((sum, run) => sum + (run.hostCpuMicroseconds ?? 0), 0) / latencies.length,
  };
}

/** The queue messages the app makes of `body` (their texts; the senders base64-encode them). */
function packedMessages(body: string, receivedAt: string): string[] {
  const raw = (JSON.parse(body) as { value: unknown[] }).value;
  const items = raw.flatMap((item) => {
    const parsed = parseNotificationItem(item);
    return parsed.ok ? [parsed.item.payload] : [];
  });
  return [...packEnvelopes({ kind: 'notifications', receivedAt, items, validationTokens: [] }).messages];
}

async function httpRun(): Promise<void> {
  const disabled: Record<string, string> = {};
  for (const name of [
    'processNotifications',
    'processLifecycleNotifications',
    'reconcileSubscriptions',
    'replayParkedEvents',
  ])
    disabled[`AzureWebJobs.${name}.Disabled`] = 'true';
  // The pipeline brings Azurite and the app's settings. The app the POSTs reach runs on a local host in a process of
  // its own (functionHostProcess.ts), started from those settings, as the bare function does; the pipeline's own host,
  // in this process, is left idle.
  const pipeline = await startLocalPipeline({
    port: 0,
    functionKey: newFunctionKey(),
    graph: { mode: 'simulator', subscriptions: false },
    settings: disabled,
    storageQueueSweepIntervalMs: QUEUE_SWEEP_INTERVAL_MS,
  });
  /** Stopped last first. */
  const stops: (() => Promise<void>)[] = [];
  try {
    const appKey = newFunctionKey();
    const appHost = await startFunctionHostProcess({ appDir: resolve(__dirname, '..'), keys: { function: appKey } });
    stops.push(appHost.stop);
    const appUrl = `${appHost.functionUrls.receiveNotifications ?? ''}?code=${encodeURIComponent(appKey)}`;
    const subscriptions = [
      subscriptionRecord(),
      subscriptionRecord({ resource: 'users', changeType: 'updated,deleted' }),
    ];
    const appQueue = new QueueClient(pipeline.connectionString, pipeline.config.storage.notificationsQueue);
    /** The subscriptions the POSTs name, and the app's queue, in an Azurite that may have just started empty. */
    const receivedAt = new Date().toISOString();
    const workloads = SIZES.map((size) => {
      const bodies = Array.from({ length: COLLECTIONS }, (_, n) =>
        collection(
          Array.from({ length: size }, (_, i) =>
            (n + i) % 2 === 0
              ? outlookMessageNotification(subscriptions[0] ?? subscriptionRecord())
              : userNotification(subscriptions[1] ?? subscriptionRecord()),
          ),
        ),
      );
      return { size, bodies, messagesOfBody: bodies.map((body) => packedMessages(body, receivedAt)) };
    });
    const bare = values.bare
      ? await startBareFunction(
          pipeline.connectionString,
          newFunctionKey(),
          workloads.flatMap(({ bodies, messagesOfBody }) => bodies.map((body, n) => [body, messagesOfBody[n] ?? []])),
        )
      : undefined;
    if (bare !== undefined) stops.push(bare.stop);
    const prepareStorage = async (): Promise<void> => {
      const services = buildServices(pipeline.config);
      await Promise.all(subscriptions.map((record) => services.subscriptions.create(record)));
      await Promise.all([appQueue.createIfNotExists(), bare?.queue.createIfNotExists()]);
    };
    await prepareStorage();
    const designs: HttpDesign[] = workloads.flatMap(({ size, bodies, messagesOfBody }) => {
      const messages = messagesOfBody.flat();
      const messagesPerPost = messages.length / bodies.length;
      const postTo =
        (url: string) =>
        (durationMs: number): LoadRun => ({ kind: 'http', url, bodies, durationMs, concurrency: CONCURRENCY });
      return [
        {
          name: 'local host (this app)',
          itemsPerPost: size,
          messagesPerPost,
          role: 'app',
          load: postTo(appUrl),
          hostCpu: appHost.cpuUsage,
          runs: [],
        },
        ...(bare === undefined
          ? []
          : [
              {
                name: 'bare function',
                itemsPerPost: size,
                messagesPerPost,
                role: 'bare' as const,
                load: postTo(bare.url),
                hostCpu: bare.cpuUsage,
                runs: [],
              },
            ]),
        ...(['app', 'sdk'] as const).map((client) => ({
          name: client === 'app' ? 'raw enqueue (app sender)' : 'raw enqueue (SDK)',
          itemsPerPost: size,
          messagesPerPost,
          role: 'raw' as const,
          load: (durationMs: number): LoadRun => ({
            kind: 'enqueue',
            client,
            connectionString: pipeline.connectionString,
            queueName: `bench-raw-enqueue-${client}`,
            messages,
            durationMs,
            concurrency: CONCURRENCY,
          }),
          runs: [],
        })),
      ];
    });
    // Warm-up in two steps. The local host reaches its steady rate only after about ten seconds of load (870 POSTs/s
    // in a first 5 s run, 1,330-1,440 from the third), so every design first runs a round that is not counted. That
    // round also fills in-memory Azurite, which slows as its queues grow and would then hold back the raw enqueue
    // (bound by Azurite's one thread) more than the app (bound by the two cores). So Azurite then starts afresh on the
    // same ports, and every design warms it for a second, as the measured rounds always began.
    for (const design of designs) await runLoad(design.load(RUN_MS));
    await pipeline.stopStorage();
    await pipeline.startStorage();
    await prepareStorage();
    // What the app acknowledged from here on must all be in its queue: a POST answered 202 but not enqueued (an
    // unknown subscription after the restart, say) would be work the app skipped, and the figures would flatter it.
    let acknowledgedMessages = 0;
    const measure = async (design: HttpDesign, durationMs: number): Promise<MeasuredRun> => {
      const cpuBefore = await design.hostCpu?.();
      const load = await runLoad(design.load(durationMs));
      const cpuAfter = await design.hostCpu?.();
      const result: MeasuredRun = {
        ...load,
        hostCpuMicroseconds:
          cpuBefore === undefined || cpuAfter === undefined
            ? undefined
            : cpuAfter.user + cpuAfter.system - cpuBefore.user - cpuBefore.system,
      };
      if (design.role === 'app')
        acknowledgedMessages += (result.latenciesMs.length - result.errors) * design.messagesPerPost;
      return result;
    };
    for (const design of designs) await measure(design, 1_000);
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const size of SIZES) {
        // Each round starts the rotation one design further, so no design always runs first or last.
        const sameSize = designs.filter((design) => design.itemsPerPost === size);
        for (let turn = 0; turn < sameSize.length; turn += 1) {
          const design = sameSize[(round + turn) % sameSize.length];
          if (design !== undefined) design.runs.push(await measure(design, RUN_MS));
        }
      }
    }
    const queued = (await appQueue.getProperties()).approximateMessagesCount ?? 0;
    if (queued < acknowledgedMessages)
      throw new Error(
        `the app acknowledged POSTs worth ${acknowledgedMessages} queue messages but its queue holds ${queued}`,
      );
    console.log(
      `ingest over HTTP against the raw packed enqueue of the same messages into the same Azurite: a warm-up round, Azurite restarted empty, then ${ROUNDS} x ${RUN_MS / 1000} s per design and size, rounds interleaved, ${CONCURRENCY} requests in flight, each load generator in its own process and sending 1 s before it measures`,
    );
    console.log(
      `${'design'.padEnd(24)} ${'notifs/POST'.padStart(11)} ${'notif/s'.padStart(9)} ${'requests'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'errors'.padStart(7)} ${'load CPU µs/req'.padStart(16)} ${'host CPU µs/req'.padStart(16)}`,
    );
    const ratios: string[] = [];
    const bareRatios: string[] = [];
    const appOverBare: string[] = [];
    const ownCpu: string[] = [];
    for (const size of SIZES) {
      const entries = designs
        .filter((design) => design.itemsPerPost === size)
        .map((design) => ({ design, figures: summarise(design.runs) }));
      for (const { design, figures } of entries) {
        console.log(
          `${design.name.padEnd(24)} ${String(size).padStart(11)} ${(figures.requestsPerSecond * size).toFixed(0).padStart(9)} ${String(figures.samples).padStart(9)} ${figures.p50.toFixed(1).padStart(8)} ${figures.p99.toFixed(1).padStart(8)} ${String(figures.errors).padStart(7)} ${figures.clientCpuMicroseconds.toFixed(0).padStart(16)} ${(figures.hostCpuMicroseconds?.toFixed(0) ?? '-').padStart(16)}`,
        );
      }
      const rate = (role: HttpDesign['role']): number =>
        Math.max(
          ...entries.filter(({ design }) => design.role === role).map(({ figures }) => figures.requestsPerSecond),
        );
      const hostCpu = (role: 'app' | 'bare'): number =>
        entries.find(({ design }) => design.role === role)?.figures.hostCpuMicroseconds ?? Number.NaN;
      const [app, fastestRaw] = [rate('app'), rate('raw')];
      ratios.push(`${size}=${(app / fastestRaw).toFixed(2)}`);
      if (bare === undefined) continue;
      const bareFunction = rate('bare');
      bareRatios.push(`${size}=${(bareFunction / fastestRaw).toFixed(2)}`);
      appOverBare.push(`${size}=${(app / bareFunction).toFixed(2)}`);
      ownCpu.push(`${size}=${(hostCpu('app') - hostCpu('bare')).toFixed(0)}`);
    }
    if (bare !== undefined)
      console.log(
        `bare function (the Functions request path alone) / raw packed enqueue ${bareRatios.join(' ')}; this app / bare function ${appOverBare.join(' ')}; the app's own CPU per POST, µs (its host's less the bare function's) ${ownCpu.join(' ')}`,
      );
    console.log(
      `bench:ingest http / raw packed enqueue, the faster client's (notifications per POST) ${ratios.join(' ')}`,
    );
  } finally {
    for (const stop of stops.reverse()) await stop();
    await pipeline.stop();
  }
}

async function main(): Promise<void> {
  const azurite = await startAzurite({ queueSweepIntervalMs: QUEUE_SWEEP_INTERVAL_MS });
  try {
    const packed = await run(azurite.connectionString, 'packed', undefined);
    const single = await run(azurite.connectionString, 'single', 1);
    const row = (name: string, f: Figures) =>
      `${name.padEnd(28)} ${f.notificationsPerSecond.toFixed(0).padStart(10)} ${f.p50Ms.toFixed(1).padStart(9)} ${f.p99Ms.toFixed(1).padStart(9)} ${String(f.messages).padStart(10)} ${String(f.retried).padStart(8)}`;
    console.log(
      `ingest benchmark: ${COLLECTIONS} collections x ${ITEMS_PER_COLLECTION} notifications, ${CONCURRENCY} concurrent POSTs, Azurite on loopback`,
    );
    console.log(
      `${'design'.padEnd(28)} ${'notif/s'.padStart(10)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)} ${'messages'.padStart(10)} ${'retried'.padStart(8)}`,
    );
    console.log(row('packed (this app)', packed));
    console.log(row('one message per notification', single));
    console.log(
      `packed / one-per-notification throughput: ${(packed.notificationsPerSecond / single.notificationsPerSecond).toFixed(1)}x`,
    );
  } finally {
    await azurite.stop();
  }
  await runRouteBench({
    batches: COLLECTIONS,
    concurrency: CONCURRENCY,
    rounds: ROUNDS,
    itemsPerBatch: ITEMS_PER_COLLECTION,
    queueSweepIntervalMs: QUEUE_SWEEP_INTERVAL_MS,
  });
  // Last, so the final line is the ratio to the raw enqueue.
  await httpRun();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
