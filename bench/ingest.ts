/**
 * Ingest benchmark, two parts. Prints figures only; it asserts nothing.
 *
 * 1. Over HTTP, the path Graph takes: realistic 50-notification collections POSTed to the app's webhook on
 *    the local host (function key, Azurite queue and tables, default settings), and in the same run to a
 *    raw Node HTTP server that reads the same payloads and answers 202 (the floor of any design on this
 *    machine). For each: notifications/s and latency p50/p99/max at full load (`--concurrency` POSTs in
 *    flight), then at half of that design's maximum rate (open loop, latency from the scheduled send).
 *    Runs of `--seconds` each, designs interleaved in alternating order, the load generator on its own
 *    thread. The processing triggers are disabled so that only ingest runs.
 * 2. In process, the packing design: the webhook handler called directly into Azurite, packed messages
 *    beside one queue message per notification.
 * 3. By delivery route (bench/ingestRoutes.ts): webhook, Event Grid and Event Hubs on one local host.
 *
 *   npm run bench:ingest -- [--seconds 5] [--rounds 2] [--concurrency 8] [--collections 120]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { startAzurite } from '../dev/azurite';
import { newFunctionKey, startLocalPipeline } from '../dev/run';
import { runLoad, type LoadResult } from './httpLoad';
import { runRouteBench } from './ingestRoutes';
import { percentile } from './percentile';
import { handleWebhook } from '../src/functions/shared/webhook';
import { buildServices } from '../src/index';
import { loadConfig } from '../src/lib/config';
import { invocationContext, postRequest } from '../test/support/functions';
import { collection, outlookMessageNotification, subscriptionRecord, userNotification } from '../test/support/notificationFactories';

const { values } = parseArgs({
  options: {
    collections: { type: 'string', default: '120' },
    concurrency: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '2' },
  },
});
const COLLECTIONS = Number(values.collections);
const CONCURRENCY = Number(values.concurrency);
const RUN_MS = Number(values.seconds) * 1000;
const ROUNDS = Number(values.rounds);
const ITEMS_PER_COLLECTION = 50;

interface Figures {
  readonly notificationsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly messages: number;
}

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
  const subscriptions = [subscriptionRecord(), subscriptionRecord({ resource: 'users', changeType: 'updated,deleted' })];
  await Promise.all(subscriptions.map((record) => services.subscriptions.create(record)));
  const deps = { ...services.ingest, ...(maxItemsPerMessage === undefined ? {} : { maxItemsPerMessage }) };
  const bodies = Array.from({ length: COLLECTIONS }, (_, n) =>
    collection(Array.from({ length: ITEMS_PER_COLLECTION }, (_, i) => ((n + i) % 2 === 0 ? outlookMessageNotification(subscriptions[0] ?? subscriptionRecord()) : userNotification(subscriptions[1] ?? subscriptionRecord())))),
  );
  const url = 'http://localhost:7071/api/notifications';
  const post = async (body: string): Promise<number> => {
    const { context } = invocationContext();
    const started = performance.now();
    const response = await handleWebhook('notifications', postRequest(url, body), context, () => deps);
    if (response.status !== 202) throw new Error(`unexpected status ${response.status}`);
    return performance.now() - started;
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
  const queue = (await import('@azure/storage-queue')).QueueClient;
  const properties = await new queue(connectionString, `bench-${label}`).getProperties();
  return {
    notificationsPerSecond: (COLLECTIONS * ITEMS_PER_COLLECTION) / elapsedSeconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    messages: properties.approximateMessagesCount ?? Number.NaN,
  };
}

interface HttpDesign {
  readonly name: string;
  readonly url: string;
  readonly full: LoadResult[];
  readonly half: LoadResult[];
}

function summarise(runs: readonly LoadResult[]): { postsPerSecond: number; p50: number; p99: number; max: number; samples: number; errors: number } {
  const latencies = runs.flatMap((run) => run.latenciesMs).sort((a, b) => a - b);
  const seconds = runs.reduce((sum, run) => sum + run.elapsedMs, 0) / 1000;
  return {
    postsPerSecond: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? Number.NaN,
    samples: latencies.length,
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
  };
}

async function httpRun(): Promise<void> {
  const disabled: Record<string, string> = {};
  for (const name of ['processNotifications', 'processLifecycleNotifications', 'reconcileSubscriptions']) disabled[`AzureWebJobs.${name}.Disabled`] = 'true';
  const pipeline = await startLocalPipeline({ port: 0, functionKey: newFunctionKey(), graph: { mode: 'simulator', subscriptions: false }, settings: disabled });
  const raw = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      // Parse what arrived, as any receiver must, then answer.
      const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { value?: unknown };
      response.writeHead(Array.isArray(parsed.value) ? 202 : 400, { 'content-length': '0' }).end();
    });
  });
  await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
  try {
    const services = buildServices(pipeline.config);
    const subscriptions = [subscriptionRecord(), subscriptionRecord({ resource: 'users', changeType: 'updated,deleted' })];
    await Promise.all(subscriptions.map((record) => services.subscriptions.create(record)));
    const bodies = Array.from({ length: COLLECTIONS }, (_, n) =>
      collection(Array.from({ length: ITEMS_PER_COLLECTION }, (_, i) => ((n + i) % 2 === 0 ? outlookMessageNotification(subscriptions[0] ?? subscriptionRecord()) : userNotification(subscriptions[1] ?? subscriptionRecord())))),
    );
    const designs: HttpDesign[] = [
      { name: 'local host (this app)', url: pipeline.urls.notificationUrl, full: [], half: [] },
      { name: 'raw Node HTTP server, 202', url: `http://127.0.0.1:${(raw.address() as AddressInfo).port}/api/notifications`, full: [], half: [] },
    ];
    const inOrder = (round: number): HttpDesign[] => (round % 2 === 0 ? designs : [...designs].reverse());
    // Warm-up: queues and tables created, subscriptions cached, JIT settled.
    for (const design of designs) await runLoad({ url: design.url, bodies, durationMs: 2_000, concurrency: CONCURRENCY });
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const design of inOrder(round)) design.full.push(await runLoad({ url: design.url, bodies, durationMs: RUN_MS, concurrency: CONCURRENCY }));
    }
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const design of inOrder(round + 1)) {
        const ratePerSecond = summarise(design.full).postsPerSecond / 2;
        design.half.push(await runLoad({ url: design.url, bodies, durationMs: RUN_MS, concurrency: CONCURRENCY, ratePerSecond }));
      }
    }
    console.log(
      `ingest over HTTP: ${ITEMS_PER_COLLECTION} notifications per POST, ${ROUNDS} x ${RUN_MS / 1000} s per design and load, designs interleaved; full load = ${CONCURRENCY} POSTs in flight; half = open loop at half that design's maximum`,
    );
    console.log(`${'design'.padEnd(28)} ${'load'.padEnd(6)} ${'notif/s'.padStart(9)} ${'POSTs'.padStart(7)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)} ${'errors'.padStart(7)}`);
    for (const design of designs) {
      for (const [load, runs] of [['full', design.full], ['half', design.half]] as const) {
        const f = summarise(runs);
        console.log(
          `${design.name.padEnd(28)} ${load.padEnd(6)} ${(f.postsPerSecond * ITEMS_PER_COLLECTION).toFixed(0).padStart(9)} ${String(f.samples).padStart(7)} ${f.p50.toFixed(1).padStart(8)} ${f.p99.toFixed(1).padStart(8)} ${f.max.toFixed(1).padStart(8)} ${String(f.errors).padStart(7)}`,
        );
      }
    }
    const [host, floor] = designs.map((design) => ({ full: summarise(design.full), half: summarise(design.half) }));
    if (host !== undefined && floor !== undefined) {
      console.log(
        `bench:ingest http local-host notif/s=${(host.full.postsPerSecond * ITEMS_PER_COLLECTION).toFixed(0)} half-rate-p99-ms=${host.half.p99.toFixed(1)} raw-node notif/s=${(floor.full.postsPerSecond * ITEMS_PER_COLLECTION).toFixed(0)} half-rate-p99-ms=${floor.half.p99.toFixed(1)}`,
      );
    }
  } finally {
    await new Promise<void>((resolve) => {
      raw.close(() => {
        resolve();
      });
    });
    await pipeline.stop();
  }
}

async function main(): Promise<void> {
  await httpRun();
  await runRouteBench({ batches: COLLECTIONS, concurrency: CONCURRENCY, rounds: ROUNDS, itemsPerBatch: ITEMS_PER_COLLECTION });
  const azurite = await startAzurite();
  try {
    const packed = await run(azurite.connectionString, 'packed', undefined);
    const single = await run(azurite.connectionString, 'single', 1);
    const row = (name: string, f: Figures) =>
      `${name.padEnd(28)} ${f.notificationsPerSecond.toFixed(0).padStart(10)} ${f.p50Ms.toFixed(1).padStart(9)} ${f.p99Ms.toFixed(1).padStart(9)} ${String(f.messages).padStart(10)}`;
    console.log(`ingest benchmark: ${COLLECTIONS} collections x ${ITEMS_PER_COLLECTION} notifications, ${CONCURRENCY} concurrent POSTs, Azurite on loopback`);
    console.log(`${'design'.padEnd(28)} ${'notif/s'.padStart(10)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)} ${'messages'.padStart(10)}`);
    console.log(row('packed (this app)', packed));
    console.log(row('one message per notification', single));
    console.log(`packed / one-per-notification throughput: ${(packed.notificationsPerSecond / single.notificationsPerSecond).toFixed(1)}x`);
  } finally {
    await azurite.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
