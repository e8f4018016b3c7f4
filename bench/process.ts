/**
 * Processing benchmark: Graph resource reads per notification when Graph delivers the changes to one
 * resource in separate POSTs, the way production sees them. The whole pipeline runs as `npm run dev` runs
 * it (startLocalPipeline): the Graph simulator POSTs to the app's HTTP webhook on the local host, ingest
 * enqueues on Azurite, the queue trigger processes, the sink writes blobs. Nothing calls processing directly.
 *
 * Per delivery pattern, 20 resources per tenant (10 users, 10 mail messages) each change 5 times:
 * - one POST: all 5 changes before Graph delivers (one POST of 100 notifications);
 * - back-to-back: 5 POSTs, each sent as soon as the previous one was answered;
 * - 1 s / 3 s apart: 5 POSTs a second (three seconds) apart;
 * - two tenants interleaved: 10 POSTs half a second apart, alternating between two tenants.
 * Reads are counted by the simulator (each GET inside a `$batch` counts: Graph throttles those one by one),
 * HTTP requests separately. The baseline, one GET per notification, is measured in the same run: a plain
 * webhook receiver with its own subscriptions reads every notified resource once, back to back.
 * Latency is from the POST that carried a notification to the moment the sink wrote state read after it,
 * seen on the change-events queue (polled every 50 ms). Default settings (COALESCE_DELAY_SECONDS etc.).
 * Prints figures; asserts nothing.
 *
 *   npm run bench:process
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { QueueClient } from '@azure/storage-queue';
import { DEMO_APP_ID, DEMO_TENANT_ID, type NotificationRecord } from '../dev/graph-simulator';
import { startLocalPipeline, type LocalPipeline } from '../dev/run';
import { normalizeResourcePath } from '../src/lib/resources';
import { percentile } from './percentile';

const RESOURCES_PER_KIND = 10;
const CHANGES_PER_RESOURCE = 5;
const CHANGE_EVENTS_QUEUE = 'bench-change-events';

type Simulator = NonNullable<LocalPipeline['simulator']>;

interface Workload {
  readonly tenantId: string;
  readonly mailboxUserId: string;
  readonly userIds: readonly string[];
  readonly messageIds: readonly string[];
}

interface PatternFigures {
  readonly label: string;
  readonly notifications: number;
  readonly posts: number;
  readonly reads: number;
  readonly requests: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** Creates the resources a tenant's workload changes: users, and messages in one mailbox. */
function seedWorkload(sim: Simulator, tenantId: string): Workload {
  const user = (name: string): string => String(sim.mutate(tenantId, { kind: 'user', op: 'create', data: { mailNickname: name, displayName: name } })?.id);
  const mailboxUserId = user(`mailbox-${tenantId.slice(0, 4)}`);
  const userIds = Array.from({ length: RESOURCES_PER_KIND }, (_, n) => user(`bench-user-${n}`));
  const messageIds = Array.from({ length: RESOURCES_PER_KIND }, (_, n) =>
    String(sim.mutate(tenantId, { kind: 'message', op: 'create', userId: mailboxUserId, data: { subject: `bench ${n}` } })?.id),
  );
  return { tenantId, mailboxUserId, userIds, messageIds };
}

/** One change to every resource of the workload. */
function changeAll(sim: Simulator, workload: Workload, label: string): void {
  for (const id of workload.userIds) sim.mutate(workload.tenantId, { kind: 'user', op: 'update', id, data: { jobTitle: label } });
  for (const id of workload.messageIds) sim.mutate(workload.tenantId, { kind: 'message', op: 'update', userId: workload.mailboxUserId, id, data: { subject: label } });
}

const subscriptionRequests = (workload: Workload) => [
  { resource: 'users', changeType: 'updated' },
  { resource: `users/${workload.mailboxUserId}/messages`, changeType: 'updated' },
];

/** Waits until Graph has delivered everything it owes (each POST answered). */
async function untilDelivered(sim: Simulator): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (sim.deliverySummary().pending > 0) {
    if (Date.now() > deadline) throw new Error('Graph did not deliver its notifications within 60 s');
    await delay(10);
  }
}

/** Sink writes as they happen, from the change-events queue: resource → when seen, with the read's start. */
class SinkWatch {
  readonly #queue: QueueClient;
  readonly writes: { key: string; observedAtMs: number; seenAtMs: number }[] = [];
  #running = true;
  readonly #loop: Promise<void>;

  constructor(connectionString: string) {
    this.#queue = new QueueClient(connectionString, CHANGE_EVENTS_QUEUE);
    this.#loop = this.#poll();
  }

  async #poll(): Promise<void> {
    await this.#queue.createIfNotExists();
    while (this.#running) {
      const received = await this.#queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 60 });
      const seenAtMs = Date.now();
      for (const message of received.receivedMessageItems) {
        const event = JSON.parse(Buffer.from(message.messageText, 'base64').toString('utf8')) as { tenantId: string; resource: string; observedAt: string };
        this.writes.push({ key: `${event.tenantId}|${event.resource}`, observedAtMs: Date.parse(event.observedAt), seenAtMs });
        await this.#queue.deleteMessage(message.messageId, message.popReceipt);
      }
      if (received.receivedMessageItems.length === 0) await delay(50);
    }
  }

  /** When the sink first held state read after `sentAtMs` for this resource, if it does yet. */
  coveredAt(key: string, sentAtMs: number): number | undefined {
    const write = this.writes.find((w) => w.key === key && w.observedAtMs >= sentAtMs);
    return write?.seenAtMs;
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
  }
}

/** When each notification's POST started (Graph's delivery log; the simulator runs on the wall clock). */
function postTimes(sim: Simulator): Map<string, number> {
  const sent = new Map<string, number>();
  for (const attempt of sim.deliveryAttempts()) {
    for (const id of attempt.notificationIds) if (!sent.has(id)) sent.set(id, Date.parse(attempt.at));
  }
  return sent;
}

const keyOf = (record: NotificationRecord): string => `${record.tenantId}|${normalizeResourcePath(record.resource ?? '')}`;

async function runPattern(pipeline: LocalPipeline, watch: SinkWatch, label: string, workloads: readonly Workload[], gapsMs: number | 'one-post' | 'back-to-back'): Promise<PatternFigures> {
  const sim = pipeline.simulator as Simulator;
  const attemptsBefore = sim.deliveryAttempts().length;
  const knownBefore = new Set(sim.notifications().map((record) => record.id));
  const trafficBefore = sim.graphTraffic();

  if (gapsMs === 'one-post') {
    // Graph collects the 5 changes of every resource before it delivers: one POST per tenant.
    for (const workload of workloads) for (let round = 0; round < CHANGES_PER_RESOURCE; round += 1) changeAll(sim, workload, `${label} ${round}`);
    await untilDelivered(sim);
  } else {
    // Rounds alternate between the workloads (tenants): each round is one POST.
    const rounds = CHANGES_PER_RESOURCE * workloads.length;
    const started = Date.now();
    for (let round = 0; round < rounds; round += 1) {
      if (typeof gapsMs === 'number') await delay(Math.max(0, started + round * gapsMs - Date.now()));
      const workload = workloads[round % workloads.length] as Workload;
      changeAll(sim, workload, `${label} ${round}`);
      await untilDelivered(sim);
    }
  }

  const notifications = sim.notifications({ kind: 'change' }).filter((record) => !knownBefore.has(record.id));
  const sent = postTimes(sim);
  const deadline = Date.now() + 120_000;
  const latenciesNow = (): number[] =>
    notifications.flatMap((record) => {
      const sentAt = sent.get(record.id) ?? Number.NaN;
      const covered = watch.coveredAt(keyOf(record), sentAt);
      return covered === undefined ? [] : [covered - sentAt];
    });
  let latencies = latenciesNow();
  for (; latencies.length < notifications.length; latencies = latenciesNow()) {
    if (Date.now() > deadline) throw new Error(`${label}: ${notifications.length - latencies.length} notification(s) not in the sink after 120 s`);
    await delay(100);
  }
  // Let anything still running finish, so its reads count here and not in the next pattern.
  await pipeline.host.idle();
  await delay(500);
  await pipeline.host.idle();
  const traffic = sim.graphTraffic();
  latencies.sort((a, b) => a - b);
  return {
    label,
    notifications: notifications.length,
    posts: sim.deliveryAttempts().length - attemptsBefore,
    reads: traffic.reads - trafficBefore.reads,
    requests: traffic.requests - trafficBefore.requests,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

/**
 * The design the app means to beat, run for real: a webhook that answers 202 and reads every notified
 * resource with its own GET. Its subscriptions exist only while it runs, so the app sees none of it.
 */
async function runBaseline(sim: Simulator, workload: Workload): Promise<PatternFigures> {
  const tenantId = workload.tenantId;
  const token = await sim.issueAccessToken(tenantId, DEMO_APP_ID);
  const graphBaseUrl = sim.graphBaseUrl;
  const pendingReads = new Set<Promise<unknown>>();
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const validation = url.searchParams.get('validationToken');
    if (validation !== null) {
      response.writeHead(200, { 'Content-Type': 'text/plain' }).end(validation);
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      response.writeHead(202).end();
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { value: { resource: string }[] };
      for (const item of body.value) {
        const read = fetch(`${graphBaseUrl}/${item.resource}`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.arrayBuffer());
        pendingReads.add(read);
        void read.finally(() => pendingReads.delete(read));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify`;
  const graph = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
    const response = await fetch(`${graphBaseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`baseline: ${method} ${path} answered ${response.status}: ${await response.text()}`);
    return response.status === 204 ? {} : ((await response.json()) as Record<string, unknown>);
  };
  const expirationDateTime = new Date(sim.clock.now().getTime() + 3600_000).toISOString();
  const ids: string[] = [];
  for (const request of subscriptionRequests(workload)) {
    ids.push(String((await graph('POST', '/subscriptions', { ...request, notificationUrl: receiverUrl, expirationDateTime, clientState: randomUUID() })).id));
  }
  try {
    const before = sim.graphTraffic();
    const knownBefore = new Set(sim.notifications().map((record) => record.id));
    const attemptsBefore = sim.deliveryAttempts().length;
    for (let round = 0; round < CHANGES_PER_RESOURCE; round += 1) {
      changeAll(sim, workload, `baseline ${round}`);
      await untilDelivered(sim);
    }
    while (pendingReads.size > 0) await Promise.all([...pendingReads]);
    const traffic = sim.graphTraffic();
    // Its subscription calls are not reads; each GET is.
    return {
      label: 'baseline: one GET per notification (back-to-back)',
      notifications: sim.notifications({ kind: 'change' }).filter((record) => !knownBefore.has(record.id)).length,
      posts: sim.deliveryAttempts().length - attemptsBefore,
      reads: traffic.reads - before.reads,
      requests: traffic.requests - before.requests,
      p50Ms: Number.NaN,
      p99Ms: Number.NaN,
    };
  } finally {
    for (const id of ids) await graph('DELETE', `/subscriptions/${id}`);
    await new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
  }
}

async function main(): Promise<void> {
  const pipeline = await startLocalPipeline({ port: 0, graph: { mode: 'simulator', subscriptions: false, rich: false }, settings: { CHANGE_EVENTS_QUEUE_NAME: CHANGE_EVENTS_QUEUE } });
  const watch = new SinkWatch(pipeline.connectionString);
  try {
    const sim = pipeline.simulator as Simulator;
    const second = sim.addTenant({ displayName: 'Fabrikam (bench)' }).id;
    const workloadA = seedWorkload(sim, DEMO_TENANT_ID);
    const workloadB = seedWorkload(sim, second);

    const baseline = await runBaseline(sim, workloadA);

    for (const workload of [workloadA, workloadB]) {
      for (const request of subscriptionRequests(workload)) await pipeline.management.create({ ...request, tenantId: workload.tenantId });
    }
    const settings = pipeline.config.processing;
    console.log(
      `processing benchmark: ${RESOURCES_PER_KIND * 2} resources per tenant (users, mail), each changed ${CHANGES_PER_RESOURCE} times; Graph simulator -> HTTP webhook on the local host -> Azurite queue -> processing -> blob sink`,
    );
    console.log(`settings: COALESCE_DELAY_SECONDS=${settings.coalesceDelaySeconds} COALESCE_MAX_WAIT_SECONDS=${settings.coalesceMaxWaitMs / 1000} (defaults); machine shared and loaded: latencies include that`);
    const patterns: PatternFigures[] = [];
    patterns.push(await runPattern(pipeline, watch, 'one POST', [workloadA], 'one-post'));
    patterns.push(await runPattern(pipeline, watch, 'back-to-back POSTs', [workloadA], 'back-to-back'));
    patterns.push(await runPattern(pipeline, watch, 'POSTs 1 s apart', [workloadA], 1_000));
    patterns.push(await runPattern(pipeline, watch, 'POSTs 3 s apart', [workloadA], 3_000));
    patterns.push(await runPattern(pipeline, watch, 'two tenants interleaved, 0.5 s apart', [workloadA, workloadB], 500));

    const row = (f: PatternFigures): string =>
      [
        f.label.padEnd(50),
        String(f.notifications).padStart(13),
        String(f.posts).padStart(6),
        String(f.reads).padStart(6),
        String(f.requests).padStart(14),
        (f.reads / f.notifications).toFixed(3).padStart(12),
        (f.requests / f.notifications).toFixed(3).padStart(15),
        (Number.isNaN(f.p50Ms) ? '-' : f.p50Ms.toFixed(0)).padStart(8),
        (Number.isNaN(f.p99Ms) ? '-' : f.p99Ms.toFixed(0)).padStart(8),
      ].join(' ');
    console.log(
      [
        'delivery pattern'.padEnd(50),
        'notifications'.padStart(13),
        'POSTs'.padStart(6),
        'reads'.padStart(6),
        'HTTP requests'.padStart(14),
        'reads/notif'.padStart(12),
        'requests/notif'.padStart(15),
        'p50 ms'.padStart(8),
        'p99 ms'.padStart(8),
      ].join(' '),
    );
    for (const figures of [...patterns, baseline]) console.log(row(figures));
    const ratio = (f: PatternFigures | undefined): string => (f === undefined ? 'NaN' : (f.reads / f.notifications).toFixed(3));
    const [onePost, backToBack, oneSecond, threeSeconds, interleaved] = patterns;
    const list = (pick: (f: PatternFigures) => number): string =>
      (
        [
          ['one-post', onePost],
          ['back-to-back', backToBack],
          ['1s', oneSecond],
          ['3s', threeSeconds],
          ['two-tenants', interleaved],
        ] as const
      )
        .map(([name, f]) => `${name}:${f === undefined ? 'NaN' : pick(f).toFixed(0)}`)
        .join(',');
    console.log(`two tenants interleaved: reads/notification ${ratio(interleaved)}`);
    console.log(
      `bench:process reads/notification one-post=${ratio(onePost)} back-to-back=${ratio(backToBack)} 1s=${ratio(oneSecond)} 3s=${ratio(threeSeconds)} baseline=${ratio(baseline)} latency-p50-ms=${list((f) => f.p50Ms)} latency-p99-ms=${list((f) => f.p99Ms)}`,
    );
  } finally {
    await watch.stop();
    await pipeline.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
