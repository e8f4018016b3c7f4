/**
 * Ingest benchmark: feeds realistic 50-notification collections through the webhook handler into a real
 * Azurite and prints throughput and latency for the packed design and, in the same run, for one queue
 * message per notification. Prints figures only; it asserts nothing.
 *
 *   npm run bench:ingest -- [--collections 120] [--concurrency 8]
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { startAzurite } from '../dev/azurite';
import { handleWebhook } from '../src/functions/shared/webhook';
import { buildServices } from '../src/index';
import { loadConfig } from '../src/lib/config';
import { invocationContext, postRequest } from '../test/support/functions';
import { collection, outlookMessageNotification, subscriptionRecord, userNotification } from '../test/support/notificationFactories';

const { values } = parseArgs({ options: { collections: { type: 'string', default: '120' }, concurrency: { type: 'string', default: '8' } } });
const COLLECTIONS = Number(values.collections);
const CONCURRENCY = Number(values.concurrency);
const ITEMS_PER_COLLECTION = 50;

interface Figures {
  readonly notificationsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly messages: number;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
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

async function main(): Promise<void> {
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
