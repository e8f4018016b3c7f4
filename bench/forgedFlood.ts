/**
 * Forged-flood benchmark: what a POST of 10,000 notifications with forged subscription ids costs, over HTTP
 * through the local host (the path Graph's POSTs take), with Azurite behind it, and how long Graph's validation
 * handshakes wait while it runs (the app shares one event loop with them, as in one Functions worker).
 *
 * Each round POSTs `--items` forged items whose subscription ids are fresh random GUIDs (the worst case: they
 * pass every shape check, so only the subscription table can refuse them) while a handshake is sent every
 * 5 ms. Prints figures only; it asserts nothing. Goals: the POST answered in under 1 s, handshakes
 * under 100 ms p99.
 *
 *   npm run bench:forged -- [--items 10000] [--rounds 3] [--subscriptions 50] [--app <dir>]
 *
 * `--app` runs another build of the app (a folder with package.json and dist/, e.g. a clone of main built
 * with `npm run build`) on this local host, to measure the previous behaviour in the same way.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { TableClient } from '@azure/data-tables';
import { startAzurite } from '../dev/azurite';
import { createLocalHost, type LocalHostLogEntry } from '../dev/local-host';
import { createTableSubscriptionRepository } from '../src/adapters/azure/tableSubscriptionRepository';
import { subscriptionRecord, TENANT_ID } from '../test/support/notificationFactories';
import { TEST_STORAGE_VARIABLE, testEnvironment } from '../test/support/storage';
import { percentile } from './percentile';

const { values } = parseArgs({
  options: {
    items: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '3' },
    subscriptions: { type: 'string', default: '50' },
    app: { type: 'string', default: '.' },
  },
});
const ITEMS = Number(values.items);
const ROUNDS = Number(values.rounds);
const SUBSCRIPTIONS = Number(values.subscriptions);
const APP_DIR = resolve(values.app);
const HANDSHAKE_INTERVAL_MS = 5;

interface Round {
  readonly status: number;
  readonly answerMs: number;
  readonly handshakes: readonly number[];
  readonly failedHandshakes: number;
  readonly warningLines: number;
}

/** A compact forged change notification: right shape, GUID ids, a guessed clientState. */
function forgedBody(items: number): string {
  const value = Array.from({ length: items }, () => ({
    subscriptionId: randomUUID(),
    clientState: 'guessed',
    changeType: 'updated',
    resource: `Users/${randomUUID()}`,
    tenantId: TENANT_ID,
  }));
  return JSON.stringify({ value });
}

async function handshake(notificationUrl: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${notificationUrl}&validationToken=bench`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
  });
  await response.text();
  if (response.status !== 200) throw new Error(`handshake answered ${response.status}`);
  return performance.now() - started;
}

async function round(notificationUrl: string, logs: LocalHostLogEntry[]): Promise<Round> {
  const body = forgedBody(ITEMS);
  const logsBefore = logs.length;
  const handshakes: number[] = [];
  const probe = { flooding: true, failed: 0 };
  const prober = (async () => {
    while (probe.flooding) {
      const started = performance.now();
      try {
        handshakes.push(await handshake(notificationUrl));
      } catch {
        // A handshake Graph does not get answered is a failed subscription: count it, with the time it took to fail.
        probe.failed += 1;
        handshakes.push(performance.now() - started);
      }
      await new Promise((done) => setTimeout(done, HANDSHAKE_INTERVAL_MS));
    }
  })();
  const started = performance.now();
  const response = await fetch(notificationUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  await response.arrayBuffer();
  const answerMs = performance.now() - started;
  probe.flooding = false;
  await prober;
  const warningLines = logs
    .slice(logsBefore)
    .filter((entry) => entry.level === 'warning' && entry.functionName === 'receiveNotifications').length;
  return {
    status: response.status,
    answerMs,
    handshakes: [...handshakes].sort((a, b) => a - b),
    failedHandshakes: probe.failed,
    warningLines,
  };
}

async function main(): Promise<void> {
  const azurite = await startAzurite();
  process.env[TEST_STORAGE_VARIABLE] = azurite.connectionString;
  const settings = testEnvironment({
    FUNCTIONS_WORKER_RUNTIME: 'node',
    NOTIFICATION_URL: 'https://bench.invalid/api/notifications',
    'AzureWebJobs.reconcileSubscriptions.Disabled': 'true',
  });
  // Real subscriptions in the table, as in a running app: the flood's ids are none of them.
  const table = TableClient.fromConnectionString(azurite.connectionString, settings.SUBSCRIPTIONS_TABLE_NAME ?? '', {
    allowInsecureConnection: true,
  });
  await table.createTable();
  const repository = createTableSubscriptionRepository(table);
  for (let n = 0; n < SUBSCRIPTIONS; n += 1) await repository.create(subscriptionRecord());

  const logs: LocalHostLogEntry[] = [];
  const webhookKey = randomBytes(32).toString('base64url');
  const host = await createLocalHost({
    appDir: APP_DIR,
    port: 0,
    settingsFile: false,
    settings,
    keys: { functionKeys: { receiveNotifications: webhookKey }, master: randomBytes(32).toString('base64url') },
    log: (entry) => logs.push(entry),
  });
  try {
    const urls = await host.start();
    const notificationUrl = `${urls.apiUrl}/notifications?code=${webhookKey}`;
    // Warm-up: load the app, JIT the handshake path.
    for (let n = 0; n < 20; n += 1) await handshake(notificationUrl);

    console.log(
      `forged-flood benchmark: app ${APP_DIR}, ${ITEMS} forged items per POST (random GUID subscription ids), ${SUBSCRIPTIONS} real subscriptions, local host over HTTP, Azurite on loopback`,
    );
    console.log(
      `${'round'.padEnd(6)} ${'status'.padStart(6)} ${'POST ms'.padStart(9)} ${'handshakes'.padStart(10)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)} ${'failed'.padStart(6)} ${'warn lines'.padStart(10)}`,
    );
    for (let n = 1; n <= ROUNDS; n += 1) {
      const r = await round(notificationUrl, logs);
      console.log(
        `${String(n).padEnd(6)} ${String(r.status).padStart(6)} ${r.answerMs.toFixed(0).padStart(9)} ${String(r.handshakes.length).padStart(10)} ${percentile(r.handshakes, 50).toFixed(1).padStart(8)} ${percentile(r.handshakes, 99).toFixed(1).padStart(8)} ${(r.handshakes.at(-1) ?? Number.NaN).toFixed(1).padStart(8)} ${String(r.failedHandshakes).padStart(6)} ${String(r.warningLines).padStart(10)}`,
      );
    }
  } finally {
    await host.stop();
    await azurite.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
