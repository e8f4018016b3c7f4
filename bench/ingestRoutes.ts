/**
 * Ingest by delivery route, in one run on one local host: the same 50-notification batches arrive as a webhook
 * POST (`/api/notifications`), as an Event Grid delivery of 50 CloudEvents to the extension's webhook
 * (`/runtime/webhooks/eventgrid`, one invocation per event, as the real extension does) and as one Event Hubs
 * event handed to the Event Hubs function (no broker runs locally: the host's feed, as `npm run dev` uses it).
 * Each route: notifications/s and per-batch latency p50/p99 with `concurrency` batches in flight, routes
 * interleaved over `rounds`. Processing is disabled so that only ingest runs. A delivery the app could not store (a
 * webhook 503, an Event Grid 5xx) is sent again, as Graph and Event Grid redeliver, and counted; Event Hubs retries
 * run inside the host (the function's retry policy). Prints figures, asserts nothing.
 */
import { performance } from 'node:perf_hooks';
import { newFunctionKey, startLocalPipeline } from '../dev/run';
import { buildServices } from '../src/index';
import { subscriptionRecord, userNotification } from '../test/support/notificationFactories';
import { percentile } from './percentile';

const ROUTES = ['webhook', 'eventGrid', 'eventHubs'] as const;
type Route = (typeof ROUTES)[number];
/** How often one batch is delivered before the bench gives up on storage. */
const MAX_DELIVERY_ATTEMPTS = 10;
/** What one delivery came to: stored, or refused for now (the sender delivers it again). */
type Delivery = 'stored' | 'redeliver';

export interface RouteBenchOptions {
  readonly batches: number;
  readonly concurrency: number;
  readonly rounds: number;
  readonly itemsPerBatch: number;
  /** Azurite's queue sweep interval (`StartAzuriteOptions.queueSweepIntervalMs`). */
  readonly queueSweepIntervalMs: number;
}

export async function runRouteBench(options: RouteBenchOptions): Promise<void> {
  const disabled: Record<string, string> = {};
  for (const name of [
    'processNotifications',
    'processLifecycleNotifications',
    'reconcileSubscriptions',
    'replayParkedEvents',
  ])
    disabled[`AzureWebJobs.${name}.Disabled`] = 'true';
  const functionKey = newFunctionKey();
  const masterKey = newFunctionKey();
  const pipeline = await startLocalPipeline({
    port: 0,
    functionKey,
    masterKey,
    graph: { mode: 'simulator', subscriptions: false },
    settings: disabled,
    log: () => undefined,
    storageQueueSweepIntervalMs: options.queueSweepIntervalMs,
  });
  try {
    const subscription = subscriptionRecord({ resource: 'users', changeType: 'updated,deleted' });
    await buildServices(pipeline.config).subscriptions.create(subscription);
    const batch = (): Record<string, unknown>[] =>
      Array.from({ length: options.itemsPerBatch }, () => userNotification(subscription));
    const baseUrl = pipeline.urls.apiUrl.replace(/\/api$/, '');
    const send: Record<Route, () => Promise<Delivery>> = {
      webhook: async () => {
        const response = await fetch(pipeline.urls.notificationUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ value: batch() }),
        });
        await response.arrayBuffer();
        if (response.status === 503) return 'redeliver';
        if (response.status !== 202) throw new Error(`webhook answered ${response.status}`);
        return 'stored';
      },
      eventGrid: async () => {
        const events = batch().map((data) => ({
          specversion: '1.0',
          id: crypto.randomUUID(),
          type: 'Microsoft.Graph.UserUpdated',
          source: '/tenants/t/applications/a',
          time: new Date().toISOString(),
          data,
        }));
        const url = `${baseUrl}/runtime/webhooks/eventgrid?functionName=receiveEventGridNotifications&code=${encodeURIComponent(masterKey)}`;
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/cloudevents-batch+json', 'aeg-event-type': 'Notification' },
          body: JSON.stringify(events),
        });
        await response.arrayBuffer();
        if (response.status >= 500) return 'redeliver';
        if (response.status !== 202) throw new Error(`Event Grid webhook answered ${response.status}`);
        return 'stored';
      },
      eventHubs: async () => {
        const outcome = await pipeline.host.deliverEventHubBatch('receiveEventHubsNotifications', [
          JSON.stringify({ value: batch() }),
        ]);
        if (!outcome.succeeded) throw new Error('the Event Hubs function failed');
        return 'stored';
      },
    };
    const retried: Record<Route, number> = { webhook: 0, eventGrid: 0, eventHubs: 0 };
    const deliver = async (route: Route): Promise<void> => {
      for (let attempt = 1; (await send[route]()) === 'redeliver'; attempt += 1) {
        if (attempt === MAX_DELIVERY_ATTEMPTS) throw new Error(`${route}: storage refused a batch ${attempt} times`);
        retried[route] += 1;
      }
    };
    const latencies: Record<Route, number[]> = { webhook: [], eventGrid: [], eventHubs: [] };
    const seconds: Record<Route, number> = { webhook: 0, eventGrid: 0, eventHubs: 0 };
    for (const route of ROUTES) for (let i = 0; i < 3; i += 1) await deliver(route);
    for (let round = 0; round < options.rounds; round += 1) {
      for (const route of round % 2 === 0 ? ROUTES : [...ROUTES].reverse()) {
        let next = 0;
        const started = performance.now();
        await Promise.all(
          Array.from({ length: options.concurrency }, async () => {
            while (next++ < options.batches) {
              const at = performance.now();
              await deliver(route);
              latencies[route].push(performance.now() - at);
            }
          }),
        );
        seconds[route] += (performance.now() - started) / 1000;
      }
    }
    console.log(
      `ingest by delivery route: ${options.rounds} x ${options.batches} batches of ${options.itemsPerBatch} notifications, ${options.concurrency} in flight, one local host, Azurite`,
    );
    console.log(
      `${'route'.padEnd(12)} ${'notif/s'.padStart(9)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'retried'.padStart(8)}`,
    );
    for (const route of ROUTES) {
      const sorted = [...latencies[route]].sort((a, b) => a - b);
      const rate = (options.rounds * options.batches * options.itemsPerBatch) / seconds[route];
      console.log(
        `${route.padEnd(12)} ${rate.toFixed(0).padStart(9)} ${percentile(sorted, 50).toFixed(1).padStart(8)} ${percentile(sorted, 99).toFixed(1).padStart(8)} ${String(retried[route]).padStart(8)}`,
      );
    }
  } finally {
    await pipeline.stop();
  }
}
