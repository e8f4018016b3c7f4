/**
 * Item-flood benchmark: what POSTs of `--items` empty items (`{"value":[{},{},...]}`, 3.9 MB for 1.3 million) cost,
 * over HTTP through the local host (the path Graph's POSTs take), with Azurite behind it: the time to answer each POST
 * and the peak resident memory of the process that runs the host (this one; Azurite runs in its own). `--parallel`
 * POSTs that many at once. Run it once per `--parallel` value: the peak is the process's since it started. Prints
 * figures only; it asserts nothing.
 *
 *   npm run bench:item-flood -- [--items 1300000] [--parallel 1] [--app <dir>]
 *
 * `--app` runs another build of the app (a folder with package.json and dist/, e.g. a clone of main built with
 * `npm run build`) on this local host, to measure the previous behaviour in the same way.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { startAzurite } from '../dev/azurite';
import { createLocalHost } from '../dev/local-host';
import { TEST_STORAGE_VARIABLE, testEnvironment } from '../test/support/storage';

const { values } = parseArgs({
  options: {
    items: { type: 'string', default: '1300000' },
    parallel: { type: 'string', default: '1' },
    app: { type: 'string', default: '.' },
  },
});
const ITEMS = Number(values.items);
const PARALLEL = Number(values.parallel);
const APP_DIR = resolve(values.app);

const mebibytes = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

async function post(notificationUrl: string, body: string): Promise<{ status: number; answerMs: number }> {
  const started = performance.now();
  const response = await fetch(notificationUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  await response.arrayBuffer();
  return { status: response.status, answerMs: performance.now() - started };
}

async function main(): Promise<void> {
  const azurite = await startAzurite();
  process.env[TEST_STORAGE_VARIABLE] = azurite.connectionString;
  const settings = testEnvironment({
    FUNCTIONS_WORKER_RUNTIME: 'node',
    NOTIFICATION_URL: 'https://bench.invalid/api/notifications',
    'AzureWebJobs.reconcileSubscriptions.Disabled': 'true',
  });
  const webhookKey = randomBytes(32).toString('base64url');
  const host = await createLocalHost({
    appDir: APP_DIR,
    port: 0,
    settingsFile: false,
    settings,
    keys: { functionKeys: { receiveNotifications: webhookKey }, master: randomBytes(32).toString('base64url') },
    log: () => undefined,
  });
  try {
    const urls = await host.start();
    const notificationUrl = `${urls.apiUrl}/notifications?code=${webhookKey}`;
    const body = `{"value":[${Array.from({ length: ITEMS }, () => '{}').join(',')}]}`;
    // Warm-up: load the app and JIT the ingest path on a small POST.
    await post(notificationUrl, '{"value":[{}]}');
    const rssBefore = process.memoryUsage().rss;

    const results = await Promise.all(Array.from({ length: PARALLEL }, () => post(notificationUrl, body)));

    console.log(
      `item-flood benchmark: app ${APP_DIR}, ${PARALLEL} POST(s) at once of ${ITEMS} empty items (${(Buffer.byteLength(body) / 1e6).toFixed(1)} MB each), local host over HTTP, Azurite on loopback`,
    );
    for (const [index, result] of results.entries())
      console.log(`POST ${index + 1}: status ${result.status}, answered in ${result.answerMs.toFixed(0)} ms`);
    console.log(
      `host process RSS: ${mebibytes(rssBefore)} MiB before, peak ${mebibytes(process.resourceUsage().maxRSS * 1024)} MiB`,
    );
  } finally {
    await host.stop();
    await azurite.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
