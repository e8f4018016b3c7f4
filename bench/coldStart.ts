/**
 * Cold-start benchmark. Prints figures only; it asserts nothing.
 *
 *   npm run bench:cold-start -- [--runs 7] [--app <dir>]
 *
 * 1. Module load: a fresh `node` process that loads the app's entry files (package.json `main`, as the
 *    Functions worker does) against a bare `node -e 0`, both measured in this run, median of `--runs`
 *    interleaved runs. Also for the unbundled tsc output (dist/src), the layout before the bundle.
 * 2. Host start to the first handshake answer: a fresh local host process (dev/local-host/main.ts) on
 *    the app, timed from spawn until Graph's validation POST is answered, against the same host on a
 *    one-function app (the host process's own start-up). Without and with an Application Insights
 *    connection string (the distribution then loads in the background; its exporter points at a closed
 *    loopback port).
 * 3. Past the handshake: a fresh local host on the app with Azurite behind it and one subscription in its
 *    table answers a handshake, then POSTs of one notification each: the first (the first notification
 *    after a cold start) against the median of the 20 after it (steady state), per run, in the same process.
 *    The first is sent `--gap` ms after the handshake (default 2000): Graph validates the URL inside the
 *    subscription create call, and a notification needs that call to return and a change to happen. Each
 *    notification is one its subscription covers (a message in the subscribed mailbox), so each POST goes all
 *    the way to the queue; the bench checks that every one was enqueued. The one-function app (it reads the
 *    body and answers 202) is measured the same way, interleaved: the host's own first-notification cost.
 *
 * `--app` measures another checkout (e.g. an older commit, built) with this checkout's host.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { resolveEntryFiles } from '../dev/local-host/loadApp';
import { startAzurite } from '../dev/azurite';
import { scratchApp } from './scratchApp';
import { createTableSubscriptionRepository } from '../src/adapters/azure/tableSubscriptionRepository';
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { collection, outlookMessageNotification, subscriptionRecord } from '../test/support/notificationFactories';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '7' },
    app: { type: 'string' },
    gap: { type: 'string', default: '2000' },
  },
});
const GAP_MS = Number(values.gap);
const RUNS = Number(values.runs);
const repo = resolve(__dirname, '..');
const appDir = resolve(values.app ?? repo);
const TOKEN =
  'Validation: Testing client application reachability for subscription Request-Id: 3a8e2c1f-0b7d-4e5a-9c6f-1d2e3f4a5b6c';

/** The 1-, 5- and 15-minute load averages. */
function loadAverage(): string {
  return loadavg()
    .map((load) => load.toFixed(2))
    .join(' / ');
}

function median(samples: readonly number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

interface ProcessTimes {
  readonly wallMs: number;
  readonly cpuMs: number;
}

/** Prints the process's own CPU time (user + system, start-up included) as it exits. */
const PRINT_CPU =
  "process.on('exit', () => { const u = process.cpuUsage(); process.stdout.write(String((u.user + u.system) / 1000)); });";

/**
 * Wall time from spawn to exit, and the CPU time the process used. On a busy machine (the bench shares
 * two cores) the wall figure includes waiting for a core; the CPU figure does not.
 */
async function processTimes(code: string): Promise<ProcessTimes> {
  const started = performance.now();
  const cpuMs = await new Promise<number>((done, fail) => {
    const child = spawn(process.execPath, ['-e', `${PRINT_CPU}\n${code}`], {
      cwd: appDir,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.once('error', fail);
    child.once('close', (exitCode) => {
      if (exitCode === 0) done(Number(stdout));
      else fail(new Error(`node -e ${code.slice(0, 80)}... exited with ${String(exitCode)}`));
    });
  });
  return { wallMs: performance.now() - started, cpuMs };
}

function loadCode(files: readonly string[]): string {
  return `for (const file of ${JSON.stringify(files.map((file) => join(appDir, file)))}) require(file);`;
}

/** A one-function app: what the host needs at the least, for the host's own start-up. */
function minimalApp(): string {
  return scratchApp(
    'cold-start-minimal',
    "const { app } = require('@azure/functions');\n" +
      "app.http('receiveNotifications', { route: 'notifications', methods: ['POST'], authLevel: 'anonymous', handler: async (request) => {\n" +
      "  const token = request.query.get('validationToken');\n" +
      '  if (token !== null) return { body: token };\n' +
      '  await request.arrayBuffer();\n' +
      '  return { status: 202 };\n' +
      '} });\n',
  );
}

/** The example's settings, completed for a tenant and storage that are never reached: the handshake needs neither. */
function settingsFile(dir: string, telemetry: boolean): string {
  const file = join(dir, telemetry ? 'with-telemetry.json' : 'without-telemetry.json');
  const example = JSON.parse(readFileSync(join(repo, 'local.settings.json.example'), 'utf8')) as {
    Values: Record<string, string>;
  };
  const values: Record<string, string> = {
    ...example.Values,
    GRAPH_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
    GRAPH_TENANT_ID: '66666666-7777-8888-9999-000000000000',
    GRAPH_CREDENTIAL: 'secret',
    GRAPH_CLIENT_SECRET: 'bench-only',
    NOTIFICATION_URL: 'https://example.invalid/api/notifications',
    LIFECYCLE_NOTIFICATION_URL: 'https://example.invalid/api/lifecycle',
    ...(telemetry
      ? {
          APPLICATIONINSIGHTS_CONNECTION_STRING:
            'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:9/',
        }
      : {}),
  };
  writeFileSync(file, JSON.stringify({ IsEncrypted: false, Values: values }));
  return file;
}

/** Steady-state notifications timed after the first one, per run. */
const STEADY_POSTS = 20;

interface NotificationTimes {
  readonly firstMs: number;
  readonly steadyMs: number;
}

/**
 * Spawns a local host on `app`, answers one handshake, then POSTs one notification at a time: the first
 * after the cold start, then `STEADY_POSTS` more; stops it. Processing is off: only ingest runs.
 */
async function firstNotificationTimes(app: string, settings: string, body: string): Promise<NotificationTimes> {
  return withLocalHost(app, settings, async (baseUrl) => {
    const post = async (): Promise<number> => {
      const started = performance.now();
      const response = await fetch(`${baseUrl}/api/notifications`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      await response.arrayBuffer();
      if (response.status !== 202) throw new Error(`a notification was answered ${response.status}`);
      return performance.now() - started;
    };
    const handshake = await fetch(`${baseUrl}/api/notifications?validationToken=${encodeURIComponent(TOKEN)}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
    });
    await handshake.text();
    await new Promise((done) => setTimeout(done, GAP_MS));
    const firstMs = await post();
    const steady: number[] = [];
    for (let n = 0; n < STEADY_POSTS; n += 1) steady.push(await post());
    return { firstMs, steadyMs: median(steady) };
  });
}

/** Runs `use` against a fresh local host process on `app`, then stops it. */
async function withLocalHost<T>(app: string, settings: string, use: (baseUrl: string) => Promise<T>): Promise<T> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(repo, 'dev', 'local-host', 'main.ts'),
      '--app',
      app,
      '--port',
      '0',
      '--settings',
      settings,
    ],
    {
      cwd: repo,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const closed = new Promise((done) => child.once('close', done));
  try {
    const baseUrl = await new Promise<string>((done, fail) => {
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /listening on (http:\/\/\S+) /.exec(stdout);
        if (match?.[1] !== undefined) done(match[1]);
      });
      child.once('exit', (code) => {
        fail(new Error(`local host exited with ${String(code)} before listening: ${stderr}`));
      });
    });
    const result = await use(baseUrl);
    if (/cannot start/.test(stderr)) throw new Error(`the app did not accept its settings: ${stderr}`);
    return result;
  } finally {
    child.kill('SIGTERM');
    await closed;
  }
}

/** Spawns a local host on `app`, answers one handshake, stops it; returns spawn-to-answer in ms. */
async function firstHandshakeMs(app: string, settings: string): Promise<number> {
  const started = performance.now();
  return withLocalHost(app, settings, async (baseUrl) => {
    const response = await fetch(`${baseUrl}/api/notifications?validationToken=${encodeURIComponent(TOKEN)}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
    });
    const body = await response.text();
    const elapsed = performance.now() - started;
    if (response.status !== 200 || body !== TOKEN) throw new Error(`handshake answered ${response.status}`);
    return elapsed;
  });
}

/** Section 3: the first notification after a cold start against steady state, Azurite behind the app. */
async function pastTheHandshake(scratch: string): Promise<void> {
  const azurite = await startAzurite();
  try {
    const example = JSON.parse(readFileSync(join(repo, 'local.settings.json.example'), 'utf8')) as {
      Values: Record<string, string>;
    };
    const subscription = subscriptionRecord();
    const tableName = example.Values.SUBSCRIPTIONS_TABLE_NAME ?? 'GraphSubscriptions';
    const table = TableClient.fromConnectionString(azurite.connectionString, tableName, {
      allowInsecureConnection: true,
    });
    await table.createTable();
    await createTableSubscriptionRepository(table).create(subscription);
    const file = settingsFile(scratch, false);
    const values = (JSON.parse(readFileSync(file, 'utf8')) as { Values: Record<string, string> }).Values;
    const disabled = Object.fromEntries(
      ['processNotifications', 'processLifecycleNotifications', 'reconcileSubscriptions'].map((name) => [
        `AzureWebJobs.${name}.Disabled`,
        'true',
      ]),
    );
    const withStorage = join(scratch, 'with-storage.json');
    writeFileSync(
      withStorage,
      JSON.stringify({
        IsEncrypted: false,
        Values: { ...values, ...disabled, AzureWebJobsStorage: azurite.connectionString },
      }),
    );
    // A message in the subscribed mailbox: accepted and enqueued (a resource outside the subscription is answered
    // 202 too, but never reaches the queue).
    const body = collection([outlookMessageNotification(subscription)]);
    const queue = new QueueClient(azurite.connectionString, example.Values.NOTIFICATIONS_QUEUE_NAME ?? '');
    const runs: NotificationTimes[] = [];
    const hostRuns: NotificationTimes[] = [];
    for (let run = 0; run < RUNS; run += 1) {
      hostRuns.push(await firstNotificationTimes(scratch, withStorage, body));
      runs.push(await firstNotificationTimes(appDir, withStorage, body));
    }
    const hostFirst = median(hostRuns.map((times) => times.firstMs));
    const hostSteady = median(hostRuns.map((times) => times.steadyMs));
    const enqueued = (await queue.getProperties()).approximateMessagesCount ?? 0;
    if (enqueued !== RUNS * (STEADY_POSTS + 1))
      throw new Error(
        `${RUNS * (STEADY_POSTS + 1)} notifications were POSTed but ${enqueued} queue messages were written`,
      );
    const first = median(runs.map((times) => times.firstMs));
    const steady = median(runs.map((times) => times.steadyMs));
    process.stdout.write(
      '\nPast the handshake: POST of one notification, local host and Azurite, processing off (fresh process)\n',
    );
    process.stdout.write(
      `  first notification after the cold start (${GAP_MS} ms after the handshake)  ${first.toFixed(1)} ms\n`,
    );
    process.stdout.write(`  steady state (median of the next ${STEADY_POSTS})     ${steady.toFixed(1)} ms\n`);
    process.stdout.write(
      `  one-function app (the host's own: reads the body, answers 202)  first ${hostFirst.toFixed(1)} ms, steady ${hostSteady.toFixed(1)} ms (${(hostFirst / hostSteady).toFixed(2)}x)\n`,
    );
    process.stdout.write(
      `bench:cold-start first-notification/steady=${(first / steady).toFixed(2)} (bar: 3) first-ms=${first.toFixed(1)} steady-ms=${steady.toFixed(1)} host-own=${(hostFirst / hostSteady).toFixed(2)}\n`,
    );
  } finally {
    await azurite.stop();
  }
}

async function main(): Promise<void> {
  const bundled = resolveEntryFiles(appDir);
  const unbundled = resolveEntryFiles(appDir, 'dist/src/{index.js,functions/*.js}');
  // Wall times on a shared machine wait for a core; the load average says how busy it was.
  process.stdout.write(
    `Cold start of ${appDir} (${RUNS} runs each, medians; Node ${process.version}; load average ${loadAverage()})\n\n`,
  );

  const samples = { bare: [] as ProcessTimes[], app: [] as ProcessTimes[], tsc: [] as ProcessTimes[] };
  for (let run = 0; run < RUNS; run += 1) {
    samples.bare.push(await processTimes('0'));
    samples.app.push(await processTimes(loadCode(bundled)));
    samples.tsc.push(await processTimes(loadCode(unbundled)));
  }
  const wall = (key: keyof typeof samples): number => median(samples[key].map((times) => times.wallMs));
  const cpu = (key: keyof typeof samples): number => median(samples[key].map((times) => times.cpuMs));
  const row = (label: string, key: keyof typeof samples, bar: string): string =>
    `  ${label}`.padEnd(44) +
    `wall ${wall(key).toFixed(0).padStart(5)} ms (${(wall(key) / wall('bare')).toFixed(2)}x)   cpu ${cpu(key).toFixed(0).padStart(5)} ms (${(cpu(key) / cpu('bare')).toFixed(2)}x)${bar}\n`;
  process.stdout.write('Module load (fresh process: node + entry files), ratio to node -e 0\n');
  process.stdout.write(row('node -e 0 (baseline)', 'bare', ''));
  process.stdout.write(row(`app, main (${bundled.join(', ')})`, 'app', '   bar: 3x'));
  process.stdout.write(row(`app, tsc output (${unbundled.length} files)`, 'tsc', ''));
  process.stdout.write('\n');

  const scratch = minimalApp();
  try {
    const own: number[] = [];
    const plain: number[] = [];
    const withTelemetry: number[] = [];
    const withoutSettings = settingsFile(scratch, false);
    const withSettings = settingsFile(scratch, true);
    for (let run = 0; run < RUNS; run += 1) {
      own.push(await firstHandshakeMs(scratch, withoutSettings));
      plain.push(await firstHandshakeMs(appDir, withoutSettings));
      withTelemetry.push(await firstHandshakeMs(appDir, withSettings));
    }
    const hostOwn = median(own);
    process.stdout.write('Local host start to the first handshake answer (fresh process)\n');
    process.stdout.write(`  one-function app (host's own start-up)  ${hostOwn.toFixed(0)} ms\n`);
    for (const [label, samples] of [
      ['app, telemetry off', plain],
      ['app, telemetry on', withTelemetry],
    ] as const) {
      const extra = median(samples) - hostOwn;
      process.stdout.write(
        `  ${label}`.padEnd(42) +
          `${median(samples).toFixed(0)} ms   +${extra.toFixed(0)} ms beyond the host's own (bar: +1000 ms)\n`,
      );
    }
    await pastTheHandshake(scratch);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  process.stdout.write(`\nLoad average at the end: ${loadAverage()}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:cold-start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
