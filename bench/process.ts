/**
 * Processing benchmark: Graph resource reads per notification when Graph delivers the changes to one
 * resource in separate POSTs, the way production sees them. The whole pipeline runs as `npm run dev` runs
 * it (startLocalPipeline): the Graph simulator POSTs to the app's HTTP webhook on the local host, ingest
 * enqueues on Azurite, the queue trigger processes, the sink writes blobs. Nothing calls processing directly.
 *
 * Per delivery pattern, 20 resources per tenant (10 users, 10 mail messages) each change 5 times:
 * - lone changes: one resource changes, alone, and is in the sink before the next one changes (40 of them,
 *   each resource twice, every resource quiet when it changes);
 * - one POST: all 5 changes before Graph delivers (one POST of 100 notifications);
 * - back-to-back: 5 POSTs, each sent as soon as the previous one was answered;
 * - 200 ms apart: a burst of 5 POSTs 200 ms apart;
 * - 1 s / 3 s apart: 5 POSTs a second (three seconds) apart;
 * - two tenants interleaved: 10 POSTs half a second apart, alternating between two tenants.
 * Reads are counted by the simulator (each GET inside a `$batch` counts: Graph throttles those one by one),
 * HTTP requests separately. The baseline, one GET per notification, is measured in the same run: a plain
 * webhook receiver with its own subscriptions reads every notified resource once, back to back.
 * Latency is from the POST that carried a notification to the moment the sink wrote state read after it,
 * seen on the change-events queue (polled every 50 ms). Each pattern starts with every resource quiet (no
 * notification about it within COALESCE_DELAY_SECONDS). The whole set runs twice in the same run, on a
 * fresh pipeline each: default settings, then COALESCE_DELAY_SECONDS=0 (coalescing off), printed side by
 * side. Prints figures; asserts nothing.
 *
 * With `--deletes`, a fifth of the changes are deletions, each the last change of its resource in the
 * pattern (the last of the 5 rounds; in the lone pattern, the second change of 8 of the 20 resources):
 * what confirming deletions with Graph (docs/processing.md) costs in reads. Every pattern (and the
 * baseline) then changes resources of its own, all created before anything subscribes.
 *
 * With `--only <pattern>` (lone, one-post, back-to-back, 200ms, 1s, 3s, two-tenants), only that pattern runs,
 * for both settings: a shorter run while working on one figure.
 *
 *   npm run bench:process
 *   npm run bench:process -- --deletes
 *   npm run bench:process -- --only 3s
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { QueueClient } from '@azure/storage-queue';
import { DEMO_APP_ID, DEMO_TENANT_ID, type NotificationRecord } from '../dev/graph-simulator';
import { EXACT_DELIVERY } from '../dev/graph-simulator';
import { startLocalPipeline, type LocalPipeline } from '../dev/run';
import { normalizeResourcePath } from '../src/lib/resources';
import { percentile } from './percentile';

const RESOURCES_PER_KIND = 10;
const CHANGES_PER_RESOURCE = 5;
const CHANGE_EVENTS_QUEUE = 'bench-change-events';
/** Lone changes measured: each resource of one workload twice. */
const LONE_CHANGES = 4 * RESOURCES_PER_KIND;
const { values: flags } = parseArgs({ options: { deletes: { type: 'boolean' }, only: { type: 'string' } } });
/** `--deletes`: a fifth of the changes are deletions (see the module comment). */
const WITH_DELETES = flags.deletes === true;
/** `--only <pattern>`: run that pattern alone (see the module comment). */
const ONLY = flags.only;

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

/**
 * Creates the resources a tenant's workloads change: `count` sets of users, and of messages in one mailbox
 * they share (one set for everything, or one per pattern when resources are deleted).
 */
function seedWorkloads(sim: Simulator, tenantId: string, count: number): Workload[] {
  const user = (name: string): string =>
    String(sim.mutate(tenantId, { kind: 'user', op: 'create', data: { mailNickname: name, displayName: name } })?.id);
  const mailboxUserId = user(`mailbox-${tenantId.slice(0, 4)}`);
  return Array.from({ length: count }, (_, set) => ({
    tenantId,
    mailboxUserId,
    userIds: Array.from({ length: RESOURCES_PER_KIND }, (_, n) => user(`bench-user-${set}-${n}`)),
    messageIds: Array.from({ length: RESOURCES_PER_KIND }, (_, n) =>
      String(
        sim.mutate(tenantId, {
          kind: 'message',
          op: 'create',
          userId: mailboxUserId,
          data: { subject: `bench ${set} ${n}` },
        })?.id,
      ),
    ),
  }));
}

/** Updates (or, `deleting`, deletes for good) the n-th resource of the workload: users first, then messages. */
function changeOne(sim: Simulator, workload: Workload, n: number, label: string, deleting = false): void {
  const index = n % (2 * RESOURCES_PER_KIND);
  const { tenantId, mailboxUserId: userId } = workload;
  if (index < RESOURCES_PER_KIND) {
    const id = workload.userIds[index] as string;
    sim.mutate(
      tenantId,
      deleting
        ? { kind: 'user', op: 'delete', id, permanent: true }
        : { kind: 'user', op: 'update', id, data: { jobTitle: label } },
    );
  } else {
    const id = workload.messageIds[index - RESOURCES_PER_KIND] as string;
    sim.mutate(
      tenantId,
      deleting
        ? { kind: 'message', op: 'delete', userId, id }
        : { kind: 'message', op: 'update', userId, id, data: { subject: label } },
    );
  }
}

/** One change to every resource of the workload; round `round` of CHANGES_PER_RESOURCE (the last deletes with `--deletes`). */
function changeAll(sim: Simulator, workload: Workload, label: string, round: number): void {
  const deleting = WITH_DELETES && round === CHANGES_PER_RESOURCE - 1;
  for (let n = 0; n < 2 * RESOURCES_PER_KIND; n += 1) changeOne(sim, workload, n, label, deleting);
}

/** With `--deletes`, the lone pattern's second change of resources 0, 1, 5, 6, 10, 11, 15, 16 deletes them: 8 of 40. */
const loneChangeDeletes = (n: number): boolean =>
  WITH_DELETES && n >= 2 * RESOURCES_PER_KIND && (n % (2 * RESOURCES_PER_KIND)) % 5 < 2;

const subscriptionRequests = (workload: Workload) => [
  { resource: 'users', changeType: 'updated,deleted' },
  { resource: `users/${workload.mailboxUserId}/messages`, changeType: 'updated,deleted' },
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
        const event = JSON.parse(Buffer.from(message.messageText, 'base64').toString('utf8')) as {
          tenantId: string;
          resource: string;
          observedAt: string;
        };
        this.writes.push({
          key: `${event.tenantId}|${event.resource}`,
          observedAtMs: Date.parse(event.observedAt),
          seenAtMs,
        });
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

const keyOf = (record: NotificationRecord): string =>
  `${record.tenantId}|${normalizeResourcePath(record.resource ?? '', record.tenantId)}`;

type Pattern = number | 'lone' | 'one-post' | 'back-to-back';

async function runPattern(
  pipeline: LocalPipeline,
  watch: SinkWatch,
  label: string,
  workloads: readonly Workload[],
  gapsMs: Pattern,
): Promise<PatternFigures> {
  const sim = pipeline.simulator as Simulator;
  const attemptsBefore = sim.deliveryAttempts().length;
  const knownBefore = new Set(sim.notifications().map((record) => record.id));
  const trafficBefore = sim.graphTraffic();

  if (gapsMs === 'lone') {
    // One change at a time, each in the sink before the next: resources are 20 changes apart, far more than the delay.
    const workload = workloads[0] as Workload;
    for (let n = 0; n < LONE_CHANGES; n += 1) {
      const before = new Set(sim.notifications().map((record) => record.id));
      changeOne(sim, workload, n, `${label} ${n}`, loneChangeDeletes(n));
      await untilDelivered(sim);
      const record = sim.notifications({ kind: 'change' }).find((candidate) => !before.has(candidate.id));
      const sentAt = record === undefined ? undefined : postTimes(sim).get(record.id);
      const deadline = Date.now() + 60_000;
      while (record !== undefined && sentAt !== undefined && watch.coveredAt(keyOf(record), sentAt) === undefined) {
        if (Date.now() > deadline) throw new Error(`${label}: a lone change was not in the sink after 60 s`);
        await delay(20);
      }
    }
  } else if (gapsMs === 'one-post') {
    // Graph collects the 5 changes of every resource before it delivers: one POST per tenant.
    for (const workload of workloads)
      for (let round = 0; round < CHANGES_PER_RESOURCE; round += 1)
        changeAll(sim, workload, `${label} ${round}`, round);
    await untilDelivered(sim);
  } else {
    // Rounds alternate between the workloads (tenants): each round is one POST.
    const rounds = CHANGES_PER_RESOURCE * workloads.length;
    const started = Date.now();
    for (let round = 0; round < rounds; round += 1) {
      if (typeof gapsMs === 'number') await delay(Math.max(0, started + round * gapsMs - Date.now()));
      const workload = workloads[round % workloads.length] as Workload;
      changeAll(sim, workload, `${label} ${round}`, Math.floor(round / workloads.length));
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
    if (Date.now() > deadline)
      throw new Error(
        `${label}: ${notifications.length - latencies.length} notification(s) not in the sink after 120 s`,
      );
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
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        value: { resource: string; tenantId: string }[];
      };
      for (const item of body.value) {
        // Outlook names the owner `{user-guid}@{tenant-guid}`: read the resource by its canonical path.
        const path = normalizeResourcePath(item.resource, item.tenantId);
        const read = fetch(`${graphBaseUrl}/${path}`, { headers: { authorization: `Bearer ${token}` } }).then((r) =>
          r.arrayBuffer(),
        );
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
    if (!response.ok)
      throw new Error(`baseline: ${method} ${path} answered ${response.status}: ${await response.text()}`);
    return response.status === 204 ? {} : ((await response.json()) as Record<string, unknown>);
  };
  const expirationDateTime = new Date(sim.clock.now().getTime() + 3600_000).toISOString();
  const ids: string[] = [];
  for (const request of subscriptionRequests(workload)) {
    ids.push(
      String(
        (
          await graph('POST', '/subscriptions', {
            ...request,
            notificationUrl: receiverUrl,
            expirationDateTime,
            clientState: randomUUID(),
          })
        ).id,
      ),
    );
  }
  try {
    const before = sim.graphTraffic();
    const knownBefore = new Set(sim.notifications().map((record) => record.id));
    const attemptsBefore = sim.deliveryAttempts().length;
    for (let round = 0; round < CHANGES_PER_RESOURCE; round += 1) {
      changeAll(sim, workload, `baseline ${round}`, round);
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

interface DesignRun {
  readonly label: string;
  /** Per entry of PATTERNS; undefined for a pattern `--only` left out. */
  readonly patterns: readonly (PatternFigures | undefined)[];
  readonly baseline: PatternFigures | undefined;
}

const PATTERNS: readonly (readonly [string, string, Pattern, 'one' | 'two'])[] = [
  ['lone', 'lone changes (each resource quiet)', 'lone', 'one'],
  ['one-post', 'one POST', 'one-post', 'one'],
  ['back-to-back', 'back-to-back POSTs', 'back-to-back', 'one'],
  ['200ms', 'POSTs 200 ms apart', 200, 'one'],
  ['1s', 'POSTs 1 s apart', 1_000, 'one'],
  ['3s', 'POSTs 3 s apart', 3_000, 'one'],
  ['two-tenants', 'two tenants interleaved, 0.5 s apart', 500, 'two'],
];

/** One fresh pipeline with `settings`, every pattern in turn (and the baseline when asked), then stopped. */
async function runDesign(
  label: string,
  settings: Readonly<Record<string, string>>,
  withBaseline: boolean,
): Promise<DesignRun> {
  const pipeline = await startLocalPipeline({
    port: 0,
    // The delivery patterns below are exact (lone changes, one POST of 100, ...): Graph's duplicates, reordering
    // and latency would blur them, so this benchmark opts out by name.
    graph: { mode: 'simulator', subscriptions: false, rich: false, simulator: { delivery: EXACT_DELIVERY } },
    settings: { CHANGE_EVENTS_QUEUE_NAME: CHANGE_EVENTS_QUEUE, ...settings },
  });
  const watch = new SinkWatch(pipeline.connectionString);
  try {
    const sim = pipeline.simulator as Simulator;
    const second = sim.addTenant({ displayName: 'Fabrikam (bench)' }).id;
    // With deletions every pattern (and the baseline, last) needs resources of its own; else all share one set.
    const sets = WITH_DELETES ? PATTERNS.length + 1 : 1;
    const workloadsA = seedWorkloads(sim, DEMO_TENANT_ID, sets);
    const workloadsB = seedWorkloads(sim, second, sets);
    const setOf = (index: number): number => (WITH_DELETES ? index : 0);
    const baseline = withBaseline ? await runBaseline(sim, workloadsA[setOf(PATTERNS.length)] as Workload) : undefined;
    for (const workload of [workloadsA[0], workloadsB[0]] as Workload[]) {
      for (const request of subscriptionRequests(workload))
        await pipeline.management.create({ ...request, tenantId: workload.tenantId });
    }
    const config = pipeline.config.processing;
    console.log(
      `${label}: COALESCE_DELAY_SECONDS=${config.coalesceDelaySeconds} COALESCE_MAX_WAIT_SECONDS=${config.coalesceMaxWaitMs / 1000}`,
    );
    // Every pattern starts with its resources quiet: no notification about them within the delay.
    const quietMs = config.coalesceDelaySeconds * 1000 + 500;
    const patterns: (PatternFigures | undefined)[] = [];
    for (const [index, [key, name, pattern, tenants]] of PATTERNS.entries()) {
      if (ONLY !== undefined && key !== ONLY) {
        patterns.push(undefined);
        continue;
      }
      const [workloadA, workloadB] = [workloadsA[setOf(index)], workloadsB[setOf(index)]] as [Workload, Workload];
      await delay(quietMs);
      const figures = await runPattern(
        pipeline,
        watch,
        name,
        tenants === 'one' ? [workloadA] : [workloadA, workloadB],
        pattern,
      );
      console.log(
        `  ${name}: reads/notification ${(figures.reads / figures.notifications).toFixed(3)}, p50 ${figures.p50Ms.toFixed(0)} ms, p99 ${figures.p99Ms.toFixed(0)} ms`,
      );
      patterns.push(figures);
    }
    return { label, patterns, baseline };
  } finally {
    await watch.stop();
    await pipeline.stop();
  }
}

async function main(): Promise<void> {
  console.log(
    `processing benchmark: ${RESOURCES_PER_KIND * 2} resources per tenant (users, mail), each changed ${CHANGES_PER_RESOURCE} times per pattern (lone: ${LONE_CHANGES} single changes); Graph simulator -> HTTP webhook on the local host -> Azurite queue -> processing -> blob sink`,
  );
  console.log('machine shared and loaded: latencies include that; compare the columns of one run');
  if (WITH_DELETES) console.log('--deletes: a fifth of the changes delete their resource');
  if (ONLY !== undefined && !PATTERNS.some(([key]) => key === ONLY))
    throw new Error(`--only takes one of ${PATTERNS.map(([key]) => key).join(', ')}; got "${ONLY}"`);
  const coalescing = await runDesign('default settings', {}, ONLY === undefined);
  const off = await runDesign('coalescing off', { COALESCE_DELAY_SECONDS: '0' }, false);
  const baseline = coalescing.baseline;

  const ms = (value: number): string => (Number.isNaN(value) ? '-' : value.toFixed(0));
  const cells = (f: PatternFigures | undefined): string[] =>
    f === undefined
      ? ['', '', '', '']
      : [
          (f.reads / f.notifications).toFixed(3).padStart(11),
          ms(f.p50Ms).padStart(7),
          ms(f.p99Ms).padStart(7),
          String(f.requests).padStart(9),
        ];
  console.log(
    [
      'delivery pattern'.padEnd(40),
      'notifs'.padStart(6),
      'POSTs'.padStart(5),
      '| default: reads/notif'.padStart(22),
      'p50 ms'.padStart(7),
      'p99 ms'.padStart(7),
      'HTTP reqs'.padStart(9),
      '| delay 0: reads/notif'.padStart(22),
      'p50 ms'.padStart(7),
      'p99 ms'.padStart(7),
      'HTTP reqs'.padStart(9),
    ].join(' '),
  );
  PATTERNS.forEach(([, name], index) => {
    const f = coalescing.patterns[index];
    const g = off.patterns[index];
    if (f === undefined && g === undefined) return;
    console.log(
      [
        name.padEnd(40),
        String(f?.notifications ?? '').padStart(6),
        String(f?.posts ?? '').padStart(5),
        '|'.padStart(10),
        ...cells(f),
        '|'.padStart(10),
        ...cells(g),
      ].join(' '),
    );
  });
  if (baseline !== undefined) {
    console.log(
      [
        baseline.label.padEnd(40),
        String(baseline.notifications).padStart(6),
        String(baseline.posts).padStart(5),
        '|'.padStart(10),
        ...cells(baseline),
      ].join(' '),
    );
  }
  const ratio = (f: PatternFigures | undefined): string =>
    f === undefined ? 'NaN' : (f.reads / f.notifications).toFixed(3);
  const line = (run: DesignRun): string => {
    const ran = PATTERNS.flatMap(([key], index) => {
      const figures = run.patterns[index];
      return figures === undefined ? [] : [[key, figures] as const];
    });
    const list = (pick: (f: PatternFigures) => number): string =>
      ran.map(([key, figures]) => `${key}:${ms(pick(figures))}`).join(',');
    const reads = ran.map(([key, figures]) => `${key}=${ratio(figures)}`).join(' ');
    return `${reads} latency-p50-ms=${list((f) => f.p50Ms)} latency-p99-ms=${list((f) => f.p99Ms)}`;
  };
  const variant = WITH_DELETES ? ' deletes=20%' : '';
  console.log(`bench:process${variant} delay-0 reads/notification ${line(off)}`);
  console.log(`bench:process${variant} reads/notification ${line(coalescing)} baseline=${ratio(baseline)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
