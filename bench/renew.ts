/**
 * Renewal benchmark: the real timer sequence (`runMaintenance`) keeps N Outlook subscriptions (7-day maximum) alive for 7 simulated
 * days, on the timer's default schedule (a pass every 5 minutes), against the Graph simulator over HTTP with
 * its subscription-API throttling on (500 writes per 20 s per app and tenant, 2,000 per app; each PATCH inside
 * a `$batch` counted on its own) and the subscriptions in an Azurite table. Each scenario runs twice in the
 * same process: the current scheduling, and the baseline of the scheduling before it (no jitter, one PATCH
 * per request, a 429 stops the tenant until the next pass). Prints figures only.
 *
 *   npm run bench:renew -- [--scenarios 10000x1,5000x3] [--days 7]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { TableClient } from '@azure/data-tables';
import { startAzurite } from '../dev/azurite';
import { startGraphSimulator } from '../dev/graph-simulator';
import { MemoryChangeSink } from '../src/adapters/memory/memoryChangeSink';
import { MemoryLeaseStore } from '../src/adapters/memory/memoryLeaseStore';
import { createTableSubscriptionRepository } from '../src/adapters/azure/tableSubscriptionRepository';
import { GraphClient, type GraphRequestRecord } from '../src/lib/graph';
import { silentLogger } from '../src/lib/shared/logger';
import { runMaintenance } from '../src/lib/maintenance';
import type {
  ReconcileOptions,
  SubscriptionDependencies,
  SubscriptionRepository,
  SubscriptionSettings,
} from '../src/lib/subscriptions';
import { seedOutlookSubscriptions } from '../test/support/subscriptionFleet';

const { values } = parseArgs({
  options: { scenarios: { type: 'string', default: '10000x1,5000x3' }, days: { type: 'string', default: '7' } },
});
const DAYS = Number(values.days);
const MINUTE = 60_000;
const PASS_INTERVAL_MS = 5 * MINUTE;
const APP_ID = '0d6a3f3e-5b1c-4c59-9d0e-7f1b8e2a4c10';

interface Design {
  readonly label: string;
  readonly jitterPercent: number;
  readonly options: ReconcileOptions;
}

const DESIGNS: readonly Design[] = [
  { label: 'baseline', jitterPercent: 0, options: { budgetMs: 0, renewalBatchSize: 1 } },
  { label: 'current', jitterPercent: 50, options: {} },
];

interface Result {
  readonly design: string;
  readonly subscriptions: number;
  readonly tenants: number;
  readonly lapses: number;
  readonly passes: number;
  readonly passesWithDeferredWork: number;
  readonly renewals: number;
  readonly httpCalls: number;
  readonly graphRequests: number;
  readonly throttled: number;
  readonly reconcileSeconds: number;
  /** Wall time of the passes that renewed something: what renewals/s is measured over. */
  readonly renewingSeconds: number;
  readonly mostRenewalsInOnePass: number;
  readonly minHeadroomHours: number;
  readonly seedingSeconds: number;
  /** Where the passes spent their time: summed latency (concurrent calls overlap, so parts can exceed the wall time). */
  readonly tableQueries: Timing;
  readonly tableWrites: Timing;
  readonly graphCalls: Timing;
  /** HTTP calls by operation: renewals (`$batch` or single PATCH) apart from the drift check's list pages. */
  readonly callsByOperation: Readonly<Record<string, number>>;
  /** Virtual time the passes waited out Retry-After. */
  readonly backoffVirtualSeconds: number;
}

interface Timing {
  calls: number;
  ms: number;
}

/** The repository with each call's wall time summed: queries (list, listDue) apart from point reads and writes. */
function timedRepository(repository: SubscriptionRepository, queries: Timing, writes: Timing): SubscriptionRepository {
  const timed =
    <A extends unknown[], R>(timing: Timing, call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const started = performance.now();
      try {
        return await call(...args);
      } finally {
        timing.calls += 1;
        timing.ms += performance.now() - started;
      }
    };
  return {
    list: timed(queries, () => repository.list()),
    listDue: timed(queries, (before: Date) => repository.listDue(before)),
    get: timed(writes, (id: string) => repository.get(id)),
    create: timed(writes, (record: Parameters<SubscriptionRepository['create']>[0]) => repository.create(record)),
    update: timed(writes, (record: Parameters<SubscriptionRepository['update']>[0], etag: string) =>
      repository.update(record, etag),
    ),
    delete: timed(writes, (id: string, etag: string) => repository.delete(id, etag)),
  };
}

async function scenario(
  connectionString: string,
  perTenant: number,
  tenantCount: number,
  design: Design,
): Promise<Result> {
  const tenantIds = Array.from(
    { length: tenantCount },
    (_, index) => `7b0c4e5a-1f2d-4c3b-8a9e-${String(index + 1).padStart(12, '0')}`,
  );
  const expired: string[] = [];
  const sim = await startGraphSimulator({
    allowHttpLoopback: true,
    clock: { mode: 'manual', start: '2026-05-01T08:00:00Z' },
    tenants: tenantIds.map((id, index) => ({ id, domain: `tenant${index + 1}.test` })),
    apps: [{ clientId: APP_ID, clientSecrets: ['bench-secret'] }],
    subscriptions: { cacheValidatedUrls: true },
    log: (line) => {
      if (line.endsWith(' expired')) expired.push(line);
    },
  });
  // The webhook as Graph sees it: only the validation handshake matters here.
  const receiver = createServer((request, response) => {
    const token = new URL(request.url ?? '/', 'http://localhost').searchParams.get('validationToken');
    if (token !== null) response.writeHead(200, { 'Content-Type': 'text/plain' }).end(token);
    else response.writeHead(202).end();
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const notificationUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/api/notifications?code=bench`;

  const records: GraphRequestRecord[] = [];
  const tokens = new Map<string, { token: Promise<string>; atMs: number }>();
  const graph = new GraphClient({
    baseUrl: sim.graphBaseUrl,
    timeoutMs: 30_000,
    clock: sim.clock,
    onRequest: (record) => records.push(record),
    tokens: {
      // Tokens live one virtual hour: mint a new one every 50 virtual minutes.
      getToken: (tenantId) => {
        const cached = tokens.get(tenantId);
        if (cached !== undefined && sim.clock.now().getTime() - cached.atMs < 50 * MINUTE) return cached.token;
        const token = sim.issueAccessToken(tenantId, APP_ID);
        tokens.set(tenantId, { token, atMs: sim.clock.now().getTime() });
        return token;
      },
    },
  });
  const table = TableClient.fromConnectionString(
    connectionString,
    `Renew${design.label}${Math.random().toString(36).slice(2, 8)}`,
    { allowInsecureConnection: true },
  );
  const tableQueries: Timing = { calls: 0, ms: 0 };
  const tableWrites: Timing = { calls: 0, ms: 0 };
  let backoffVirtualMs = 0;
  const repository = timedRepository(createTableSubscriptionRepository(table), tableQueries, tableWrites);
  const settings: SubscriptionSettings = {
    notificationUrl,
    lifecycleNotificationUrl: undefined,
    renewalWindowMinutes: 720,
    renewalJitterPercent: design.jitterPercent,
    expirationMarginMinutes: 15,
    maxLifetimeMinutes: undefined,
    driftCheckIntervalMinutes: 60,
    concurrencyPerTenant: 4,
    defaultTenantId: tenantIds[0] ?? '',
    graphBaseUrl: sim.graphBaseUrl,
    encryption: undefined,
    // Renewals only: the periodic resync (RESYNC_INTERVAL_MINUTES=0 turns it off) would read every mailbox's delta.
    resync: { intervalMinutes: 0, eventWindowDays: 90 },
  };
  const deps: SubscriptionDependencies = {
    repository,
    graph,
    leases: new MemoryLeaseStore(),
    sink: new MemoryChangeSink(),
    clock: sim.clock,
    log: silentLogger,
    settings,
    // Waiting out Retry-After moves virtual time, never backwards (tenants wait concurrently).
    sleep: async (ms) => {
      backoffVirtualMs += ms;
      await sim.clock.advanceTo(sim.clock.now().getTime() + ms);
    },
  };

  try {
    const seeding = performance.now();
    for (const tenantId of tenantIds)
      await seedOutlookSubscriptions(sim, repository, { tenantId, appId: APP_ID, count: perTenant, notificationUrl });
    const seedingSeconds = (performance.now() - seeding) / 1000;
    records.length = 0;
    tableWrites.calls = 0;
    tableWrites.ms = 0;
    const start = sim.clock.now().getTime();
    const end = start + DAYS * 24 * 60 * MINUTE;
    let passes = 0;
    let passesWithDeferredWork = 0;
    let renewals = 0;
    let mostRenewalsInOnePass = 0;
    let minHeadroomMs = Number.POSITIVE_INFINITY;
    let reconcileMs = 0;
    let renewingMs = 0;
    for (let at = start; at < end; at += PASS_INTERVAL_MS) {
      if (sim.clock.now().getTime() < at) await sim.clock.advanceTo(at);
      const before = performance.now();
      // Each pass is one timer occurrence, the production sequence.
      const { reconcile: report } = await runMaintenance(deps, design.options);
      reconcileMs += performance.now() - before;
      passes += 1;
      if (process.env.BENCH_TRACE !== undefined && passes % 100 === 0)
        console.error(`pass ${passes} at ${(reconcileMs / 1000).toFixed(1)} s`);
      const renewed = report.outcomes.renewed ?? 0;
      if (renewed > 0) renewingMs += performance.now() - before;
      renewals += renewed;
      mostRenewalsInOnePass = Math.max(mostRenewalsInOnePass, renewed);
      if ((report.outcomes.deferred ?? 0) > 0) passesWithDeferredWork += 1;
      // Hourly is enough to see how close renewals cut it (a lapse is counted separately, from Graph's expiries).
      if (passes % 12 === 0) {
        for (const subscription of sim.subscriptions())
          minHeadroomMs = Math.min(
            minHeadroomMs,
            Date.parse(subscription.expirationDateTime) - sim.clock.now().getTime(),
          );
      }
    }
    const graphRequests = records.reduce((sum, record) => sum + (record.items?.length ?? 1), 0);
    const throttled = records.reduce(
      (sum, record) =>
        sum +
        (record.items === undefined
          ? record.throttled
            ? 1
            : 0
          : record.items.filter((item) => item.throttled).length),
      0,
    );
    const live = sim.subscriptions().length;
    return {
      design: design.label,
      subscriptions: perTenant * tenantCount,
      tenants: tenantCount,
      // A lapse: Graph let a subscription expire (it is then gone from Graph and has to be recreated).
      lapses: expired.length + Math.max(0, perTenant * tenantCount - live - expired.length),
      passes,
      passesWithDeferredWork,
      renewals,
      httpCalls: records.length,
      graphRequests,
      throttled,
      reconcileSeconds: reconcileMs / 1000,
      renewingSeconds: renewingMs / 1000,
      mostRenewalsInOnePass,
      minHeadroomHours: minHeadroomMs / (60 * MINUTE),
      seedingSeconds,
      tableQueries,
      tableWrites,
      graphCalls: { calls: records.length, ms: records.reduce((sum, record) => sum + record.durationMs, 0) },
      callsByOperation: countBy(records.map((record) => record.operation ?? 'other')),
      backoffVirtualSeconds: backoffVirtualMs / 1000,
    };
  } finally {
    await sim.stop();
    receiver.close();
    await table.deleteTable().catch(() => undefined);
  }
}

function row(result: Result): string {
  return [
    result.design.padEnd(9),
    `${result.subscriptions / result.tenants}x${result.tenants}`.padStart(10),
    String(result.lapses).padStart(6),
    String(result.passes).padStart(7),
    String(result.passesWithDeferredWork).padStart(15),
    String(result.mostRenewalsInOnePass).padStart(13),
    String(result.renewals).padStart(9),
    String(result.httpCalls).padStart(11),
    String(result.graphRequests).padStart(15),
    String(result.throttled).padStart(6),
    (result.renewals / result.renewingSeconds).toFixed(1).padStart(11),
    result.minHeadroomHours.toFixed(1).padStart(13),
  ].join(' ');
}

function countBy(keys: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const key of keys) counts[key] = (counts[key] ?? 0) + 1;
  return counts;
}

function breakdown(result: Result): string {
  const part = (timing: Timing): string => `${(timing.ms / 1000).toFixed(1)} s in ${timing.calls} calls`;
  return [
    `seeding ${result.seedingSeconds.toFixed(1)} s`,
    `passes ${result.reconcileSeconds.toFixed(1)} s`,
    `table queries ${part(result.tableQueries)}`,
    `table reads/writes ${part(result.tableWrites)}`,
    `Graph HTTP ${part(result.graphCalls)} (${Object.entries(result.callsByOperation)
      .map(([operation, calls]) => `${operation} ${calls}`)
      .join(', ')})`,
    `Retry-After waited ${result.backoffVirtualSeconds.toFixed(0)} virtual s`,
  ].join('; ');
}

async function main(): Promise<void> {
  const scenarios = values.scenarios.split(',').map((text) => {
    const [subscriptions, tenants] = text.split('x').map(Number);
    if (subscriptions === undefined || tenants === undefined || !(subscriptions > 0 && tenants > 0))
      throw new TypeError(`--scenarios takes e.g. 10000x1,5000x3 (per tenant x tenants), got "${text}"`);
    return { perTenant: subscriptions, tenants };
  });
  const azurite = await startAzurite();
  let last: Result | undefined;
  try {
    console.log(
      `renewal benchmark: Outlook subscriptions (7-day maximum), ${DAYS} simulated days, a pass every 5 min, Graph simulator over HTTP with subscription-API throttling, Azurite table`,
    );
    console.log(
      'renewals/s = renewals per wall second of the passes that renewed; min-headroom-h = least remaining lifetime in Graph, sampled hourly; seconds = wall time of all passes',
    );
    console.log(
      'baseline = no jitter, one PATCH per request, a 429 stops the tenant until the next pass; current = jitter 50 %, $batch of 20, per-tenant Retry-After within a 4-min budget',
    );
    console.log(
      'under each scenario, where the passes spent their time (summed latency: concurrent calls overlap); seeding (simulator bulk seeding, table rows written concurrently) is not part of the passes',
    );
    console.log(
      [
        'design'.padEnd(9),
        'subs x ten'.padStart(10),
        'lapses'.padStart(6),
        'passes'.padStart(7),
        'deferred-passes'.padStart(15),
        'max-per-pass'.padStart(13),
        'renewals'.padStart(9),
        'graph-calls'.padStart(11),
        'graph-requests'.padStart(15),
        '429s'.padStart(6),
        'renewals/s'.padStart(11),
        'min-headroom-h'.padStart(13),
      ].join(' '),
    );
    const current: Result[] = [];
    for (const { perTenant, tenants } of scenarios) {
      // Baseline and current run side by side (own simulator and table each), so a busier phase of the machine hits both.
      const results = await Promise.all(
        DESIGNS.map((design) => scenario(azurite.connectionString, perTenant, tenants, design)),
      );
      for (const result of results) {
        console.log(row(result));
        if (result.design === 'current') current.push(result);
      }
      for (const result of results)
        console.log(
          `  ${result.design} ${result.subscriptions / result.tenants}x${result.tenants}: ${breakdown(result)}`,
        );
    }
    for (const result of current) {
      last = result;
      console.log(
        `bench:renew subscriptions=${result.subscriptions} tenants=${result.tenants} lapses=${result.lapses} passes=${result.passes} graph-calls=${result.httpCalls} seconds=${result.reconcileSeconds.toFixed(1)}`,
      );
    }
  } finally {
    await azurite.stop();
  }
  if (last === undefined) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
