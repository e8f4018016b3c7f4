/**
 * Coalescing across deliveries in processing: a quiet resource is read at once and an active one is held;
 * a read covers exactly the notifications received before it started (so a change made while a read is in
 * flight is read again), and a read is left to a later queued notification about the same resource, up to
 * the max wait.
 */
import { describe, expect, it } from 'vitest';
import { MemoryChangeSink } from '../../../src/adapters/memory/memoryChangeSink';
import { MemoryLeaseStore } from '../../../src/adapters/memory/memoryLeaseStore';
import { MemoryFailureLog } from '../../../src/adapters/memory/memoryFailureLog';
import { MemoryMessageQueue } from '../../../src/adapters/memory/memoryMessageQueue';
import { MemoryReceiptLog } from '../../../src/adapters/memory/memoryReceiptLog';
import type { GraphReadRequest, GraphReadResult } from '../../../src/lib/graph';
import type { NotificationEnvelope } from '../../../src/lib/notifications';
import {
  processNotifications,
  QuietClaims,
  ReadsInFlight,
  type ProcessingDependencies,
} from '../../../src/lib/processing';
import { debounceSeconds, isRecentlyActive } from '../../../src/lib/processing/coalescing';
import { ManualClock } from '../../../src/lib/shared/clock';
import { silentLogger } from '../../../src/lib/shared/logger';
import { TENANT_ID, USER_ID } from '../../support/notificationFactories';

const PATH = `users/${USER_ID}/messages/m1`;
const T0 = Date.parse('2026-05-01T10:00:00.000Z');
const at = (seconds: number): string => new Date(T0 + seconds * 1000).toISOString();

/** Graph with one mailbox message whose reads can be held in flight until released. */
class HoldingGraph {
  subject = 'first';
  reads = 0;
  #hold: { release: () => void; released: Promise<void> } | undefined;
  #reached: (() => void) | undefined;

  /** The next read waits for `release()`; `reached` resolves once it is waiting. */
  holdNextRead(): { reached: Promise<void>; release: () => void } {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    this.#hold = { release, released };
    const reached = new Promise<void>((resolve) => (this.#reached = resolve));
    return { reached, release };
  }

  async batchGet(_tenantId: string, requests: readonly GraphReadRequest[]): Promise<GraphReadResult[]> {
    this.reads += requests.length;
    const hold = this.#hold;
    this.#hold = undefined;
    let subject = this.subject;
    if (hold !== undefined) {
      this.#reached?.();
      await hold.released;
      // Graph answered with the state as it was when the request was served, before the change.
      subject = 'first';
    }
    return requests.map(() => ({ ok: true, status: 200, body: { id: 'm1', subject }, etag: undefined }));
  }

  // eslint-disable-next-line require-yield
  async *deltaPages(): AsyncGenerator<never, void, undefined> {
    await Promise.resolve();
    throw new Error('no delta in these tests');
  }
}

function setup(options: { coalescing?: boolean; maxWaitMs?: number; delaySeconds?: number } = {}) {
  const graph = new HoldingGraph();
  const sink = new MemoryChangeSink();
  const receipts = new MemoryReceiptLog();
  const clock = new ManualClock(T0);
  const notificationsQueue = new MemoryMessageQueue();
  /** What the settle step slept, in ms; sleeping moves the manual clock. */
  const slept: number[] = [];
  const sleep = (ms: number): Promise<void> => {
    slept.push(ms);
    clock.advance(ms);
    return Promise.resolve();
  };
  const deps: ProcessingDependencies = {
    graph,
    sink,
    leases: new MemoryLeaseStore(),
    failures: new MemoryFailureLog(),
    notificationsQueue,
    // The one rich item in these tests is about message r1; its content names it, as Graph's does.
    rich: { verifyTokens: () => Promise.resolve(), decrypt: () => ({ id: 'r1' }) },
    select: {},
    clock,
    log: silentLogger,
    readsInFlight: new ReadsInFlight(),
    ...(options.coalescing === false
      ? {}
      : {
          coalescing: {
            receipts,
            delaySeconds: options.delaySeconds ?? 5,
            maxWaitMs: options.maxWaitMs ?? 30_000,
            settleMs: 500,
            sleep,
            claims: new QuietClaims(),
          },
        }),
  };
  return { graph, sink, receipts, clock, notificationsQueue, deps, slept };
}

let counter = 0;
const basicItem = {
  subscriptionId: 'sub-mail',
  tenantId: TENANT_ID,
  changeType: 'updated',
  resource: `Users/${USER_ID}/Messages/m1`,
  resourceData: { id: 'm1' },
};
/** A message whose notifications have waited their coalescing delay already (the second pass). */
function message(receivedAt: string): NotificationEnvelope {
  counter += 1;
  return { v: 1, kind: 'notifications', id: `m-${counter}`, receivedAt, items: [basicItem], waited: true };
}

const stored = (sink: MemoryChangeSink) => sink.states.get(MemoryChangeSink.key(TENANT_ID, PATH));

/** A POST about the resource as ingest queues it, not yet seen by processing. */
function post(receivedAt: string): NotificationEnvelope {
  counter += 1;
  return { v: 1, kind: 'notifications', id: `p-${counter}`, receivedAt, items: [basicItem] };
}

/**
 * Runs POSTs received at `seconds` through processing as the queue delivers them, on the manual clock: each
 * message is picked up `pickupSeconds` after it was received or, held, after its visibility delay ends.
 * Answers when each Graph read started, in seconds.
 */
async function deliverSeries(
  fixture: ReturnType<typeof setup>,
  seconds: readonly number[],
  pickupSeconds = 0.5,
): Promise<number[]> {
  const { graph, clock, notificationsQueue, deps } = fixture;
  const readsAt: number[] = [];
  const countingGraph = {
    batchGet: (tenantId: string, requests: readonly GraphReadRequest[]) => {
      readsAt.push((clock.now().getTime() - T0) / 1000);
      return graph.batchGet(tenantId, requests);
    },
    deltaPages: () => graph.deltaPages(),
  };
  let sequence = 0;
  const due = seconds.map((s) => ({ atS: s + pickupSeconds, order: sequence++, envelope: post(at(s)) }));
  while (due.length > 0) {
    due.sort((a, b) => a.atS - b.atS || a.order - b.order);
    const next = due.shift();
    if (next === undefined) break;
    clock.set(at(next.atS));
    const sentBefore = notificationsQueue.sent.length;
    await processNotifications(next.envelope, { ...deps, graph: countingGraph });
    for (const sent of notificationsQueue.sent.slice(sentBefore)) {
      due.push({
        atS: next.atS + (sent.visibilityDelaySeconds ?? 0) + pickupSeconds,
        order: sequence++,
        envelope: JSON.parse(sent.text) as NotificationEnvelope,
      });
    }
  }
  return readsAt;
}

describe('isRecentlyActive', () => {
  const receipt = (lastReceivedAt: string) => ({ lastReceivedAt, pendingSince: undefined });

  it('finds a resource quiet with no receipt, or with its last notification the quiet time or more before', () => {
    expect(isRecentlyActive(undefined, at(10), 5_000)).toBe(false);
    expect(isRecentlyActive(receipt(at(5)), at(10), 5_000)).toBe(false);
    expect(isRecentlyActive(receipt(at(0)), at(10), 5_000)).toBe(false);
  });

  it('finds a resource active with a notification less than the quiet time before, or later', () => {
    expect(isRecentlyActive(receipt(at(5.001)), at(10), 5_000)).toBe(true);
    expect(isRecentlyActive(receipt(at(9.999)), at(10), 5_000)).toBe(true);
    expect(isRecentlyActive(receipt(at(12)), at(10), 5_000)).toBe(true);
  });

  it('does not count another message of the same POST (the same receipt) as activity', () => {
    expect(isRecentlyActive(receipt(at(10)), at(10), 5_000)).toBe(false);
  });
});

describe('debounceSeconds', () => {
  it('waits the gap since the previous notification, in whole seconds, plus a second', () => {
    expect(debounceSeconds(at(0), at(0.2), 4)).toBe(1);
    expect(debounceSeconds(at(0), at(1.02), 4)).toBe(2);
    expect(debounceSeconds(at(0), at(2.4), 4)).toBe(3);
    expect(debounceSeconds(at(0), at(3.05), 4)).toBe(4);
  });

  it('waits at most the delay, and a late notification (its previous one received after it) the least', () => {
    expect(debounceSeconds(at(0), at(3.9), 4)).toBe(4);
    expect(debounceSeconds(at(0), at(3.9), 2)).toBe(2);
    expect(debounceSeconds(at(10), at(9.8), 4)).toBe(1);
  });
});

describe('QuietClaims', () => {
  it('lets the first message of a burst in this process claim a quiet read; the others wait', () => {
    const claims = new QuietClaims();

    expect(claims.claim('r', T0, 4_000)).toBe(true);
    expect(claims.claim('r', T0 + 100, 4_000)).toBe(false);
    expect(claims.claim('r', T0 - 100, 4_000)).toBe(false);
    expect(claims.claim('other', T0 + 100, 4_000)).toBe(true);
  });

  it('lets messages of the same POST and notifications after a pause claim again', () => {
    const claims = new QuietClaims();
    claims.claim('r', T0, 4_000);

    expect(claims.claim('r', T0, 4_000)).toBe(true);
    expect(claims.claim('r', T0 + 4_000, 4_000)).toBe(true);
  });

  it('gives up a claim only for the message that holds it', () => {
    const claims = new QuietClaims();
    claims.claim('r', T0, 4_000);

    claims.release('r', T0 + 100);
    expect(claims.isClaimedBy('r', T0)).toBe(true);
    claims.release('r', T0);
    expect(claims.isClaimedBy('r', T0)).toBe(false);
    expect(claims.claimedAt('r')).toBeUndefined();
  });
});

describe('coalescing across deliveries', () => {
  it('reads a quiet resource at once, settling first, and records its receipt so the next notification finds it active', async () => {
    const { graph, receipts, notificationsQueue, clock, deps, slept } = setup();
    clock.set(at(0.1));

    const result = await processNotifications(
      { v: 1, kind: 'notifications', id: 'lone', receivedAt: at(0), items: [basicItem] },
      deps,
    );

    expect(result).toMatchObject({ heldForCoalescing: 0, graphReads: 1 });
    expect(graph.reads).toBe(1);
    expect(notificationsQueue.sent).toHaveLength(0);
    expect(slept).toEqual([400]);
    expect(receipts.entries.get(MemoryReceiptLog.key(TENANT_ID, PATH))?.lastReceivedAt).toBe(at(0));

    // A notification 2 s later finds the resource active: it waits.
    clock.set(at(2.1));
    const next = await processNotifications(
      { v: 1, kind: 'notifications', id: 'next', receivedAt: at(2), items: [basicItem] },
      deps,
    );
    expect(next).toMatchObject({ heldForCoalescing: 1, graphReads: 0 });
    expect(slept).toEqual([400]);
  });

  it('reads a quiet resource now even when a later notification about it arrived while it settled', async () => {
    const { graph, receipts, clock, deps } = setup();
    const coalescing = deps.coalescing;
    if (coalescing === undefined) throw new TypeError('coalescing is on in this setup');
    // While this message settles, the next POST about the resource arrives and records its receipt (it is held).
    const sleep = async (ms: number): Promise<void> => {
      await receipts.record([{ tenantId: TENANT_ID, resourcePath: PATH, receivedAt: at(0.3) }]);
      clock.advance(ms);
    };
    clock.set(at(0.1));

    const result = await processNotifications(
      { v: 1, kind: 'notifications', id: 'first', receivedAt: at(0), items: [basicItem] },
      { ...deps, coalescing: { ...coalescing, sleep } },
    );

    expect(result).toMatchObject({ heldForCoalescing: 0, graphReads: 1, readsSaved: 0 });
    expect(graph.reads).toBe(1);
  });

  it('does not settle when the settle time has passed already', async () => {
    const { graph, clock, deps, slept } = setup();
    clock.set(at(3));

    await processNotifications(
      { v: 1, kind: 'notifications', id: 'late', receivedAt: at(0), items: [basicItem] },
      deps,
    );

    expect(graph.reads).toBe(1);
    expect(slept).toEqual([]);
  });

  it('holds basic notifications about an active resource on the queue for the delay and records their receipts once that message is stored; rich ones are processed at once', async () => {
    const { graph, sink, receipts, notificationsQueue, deps } = setup();
    await receipts.record([{ tenantId: TENANT_ID, resourcePath: PATH, receivedAt: at(-1) }]);
    const rich = {
      subscriptionId: 'sub-rich',
      tenantId: TENANT_ID,
      changeType: 'created',
      resource: `Users/${USER_ID}/Messages/r1`,
      encryptedContent: { data: 'e30=' },
    };
    const drive = {
      subscriptionId: 'sub-drive',
      tenantId: TENANT_ID,
      changeType: 'updated',
      resource: 'drives/b!d1/root/',
      resourceData: null,
    };
    const fresh: NotificationEnvelope = {
      v: 1,
      kind: 'notifications',
      id: 'fresh',
      receivedAt: at(0),
      items: [basicItem, rich, drive],
      validationTokens: ['t'],
    };

    const result = await processNotifications(fresh, deps);

    expect(result).toMatchObject({ items: 3, heldForCoalescing: 2, graphReads: 0, writes: { written: 1 } });
    expect(graph.reads).toBe(0);
    expect(sink.states.has(MemoryChangeSink.key(TENANT_ID, `users/${USER_ID}/messages/r1`))).toBe(true);
    expect(notificationsQueue.sent).toHaveLength(1);
    expect(notificationsQueue.sent[0]?.visibilityDelaySeconds).toBe(5);
    expect(JSON.parse(notificationsQueue.sent[0]?.text ?? '{}')).toEqual({
      v: 1,
      kind: 'notifications',
      id: 'fresh~waited',
      receivedAt: at(0),
      items: [basicItem, drive],
      waited: true,
    });
    // Only resources read by id are coalesced: a drive root runs delta under its own lease.
    expect([...receipts.entries]).toEqual([
      [MemoryReceiptLog.key(TENANT_ID, PATH), { lastReceivedAt: at(0), pendingSince: undefined }],
    ]);

    // The held mail notification, back after the delay, is read (no later receipt).
    const held = JSON.parse(notificationsQueue.sent[0]?.text ?? '{}') as NotificationEnvelope;
    const back = await processNotifications({ ...held, items: [basicItem] }, deps);
    expect(back).toMatchObject({ heldForCoalescing: 0, graphReads: 1 });
  });

  it('records no receipt when the held message could not be stored, and fails the invocation so it is retried', async () => {
    const { receipts, notificationsQueue, deps } = setup();
    await receipts.record([{ tenantId: TENANT_ID, resourcePath: PATH, receivedAt: at(-1) }]);
    notificationsQueue.failWith = new Error('queue down');

    await expect(
      processNotifications({ v: 1, kind: 'notifications', id: 'x', receivedAt: at(0), items: [basicItem] }, deps),
    ).rejects.toThrow('queue down');
    expect(receipts.entries.get(MemoryReceiptLog.key(TENANT_ID, PATH))?.lastReceivedAt).toBe(at(-1));
  });

  it('reads again for a change notified while a read was in flight: the read covers only what was received before it started', async () => {
    const { graph, sink, clock, deps } = setup({ coalescing: false });
    const held = graph.holdNextRead();
    clock.set(at(5));
    const first = processNotifications(message(at(0)), deps);
    await held.reached;

    // While Graph is still answering the first read, the resource changes and its notification arrives.
    graph.subject = 'second';
    clock.set(at(6));
    const second = message(at(6));
    clock.set(at(8));
    held.release();
    await first;
    expect(stored(sink)).toMatchObject({ body: { subject: 'first' }, observedAt: at(5) });

    clock.set(at(11));
    const result = await processNotifications(second, deps);

    expect(result.graphReads).toBe(1);
    expect(graph.reads).toBe(2);
    expect(stored(sink)).toMatchObject({ body: { subject: 'second' }, observedAt: at(11) });
  });

  it('leaves the read to the last of five notifications delivered in separate messages, in whatever order they are processed', async () => {
    const { graph, sink, receipts, clock, deps } = setup();
    const messages = [0, 1, 2, 3, 4].map((n) => message(at(n * 3)));
    await receipts.record(messages.map((m) => ({ tenantId: TENANT_ID, resourcePath: PATH, receivedAt: m.receivedAt })));
    graph.subject = 'latest';

    clock.set(at(17));
    const results = await Promise.all([...messages].reverse().map((m) => processNotifications(m, deps)));

    expect(graph.reads).toBe(1);
    expect(results.reduce((sum, r) => sum + r.readsSaved, 0)).toBe(4);
    expect(stored(sink)).toMatchObject({ body: { subject: 'latest' }, observedAt: at(17) });
  });

  it('holds a notification about an active resource for the gap since the previous one plus a second, at most the delay', async () => {
    const { receipts, notificationsQueue, deps } = setup({ delaySeconds: 4 });
    await receipts.record([{ tenantId: TENANT_ID, resourcePath: PATH, receivedAt: at(-1) }]);

    await processNotifications(post(at(0)), deps);
    await processNotifications(post(at(3)), deps);
    await processNotifications(post(at(6.5)), deps);

    expect(notificationsQueue.sent.map((sent) => sent.visibilityDelaySeconds)).toEqual([2, 4, 4]);
  });

  it('does not let a message that claimed a resource it then found active read it on its return while a later notification is queued', async () => {
    const fixture = setup({ delaySeconds: 4 });
    const { graph, receipts, clock, notificationsQueue, deps } = fixture;
    // Read at once at 0 (it claims the resource); 6 s later the claim window has passed, so the next message
    // claims it again, but the receipt of a notification at 3 makes it active: it is held.
    clock.set(at(0.5));
    await processNotifications(post(at(0)), deps);
    await receipts.record([{ tenantId: TENANT_ID, resourcePath: PATH, receivedAt: at(3) }]);
    clock.set(at(6.5));
    await processNotifications(post(at(6)), deps);
    expect(notificationsQueue.sent).toHaveLength(1);

    // A later notification is queued when the held one comes back: the read is left to it.
    await receipts.record([{ tenantId: TENANT_ID, resourcePath: PATH, receivedAt: at(9) }]);
    clock.set(at(10.5));
    const back = await processNotifications(
      JSON.parse(notificationsQueue.sent[0]?.text ?? '{}') as NotificationEnvelope,
      deps,
    );

    expect(back).toMatchObject({ graphReads: 0, readsSaved: 1 });
    expect(graph.reads).toBe(1);
  });

  it('reads a resource changed five times 3 s apart twice: the first change at once, the rest once they all arrived', async () => {
    const fixture = setup({ delaySeconds: 4, maxWaitMs: 10_000 });

    const readsAt = await deliverSeries(fixture, [0, 3, 6, 9, 12]);

    expect(readsAt).toHaveLength(2);
    expect(readsAt[0]).toBe(0.5);
    // The second read covers the change at 12; the change at 9 is in the sink within 6 s of its POST.
    expect(readsAt[1]).toBeGreaterThan(12);
    expect(readsAt[1]).toBeLessThanOrEqual(15);
  });

  it('reads a resource changed five times 1 s apart twice, the second read about 3 s after the last change', async () => {
    const fixture = setup({ delaySeconds: 4, maxWaitMs: 10_000 });

    const readsAt = await deliverSeries(fixture, [0, 1, 2, 3, 4]);

    expect(readsAt).toEqual([0.5, 7]);
  });

  it("does nothing with an envelope with no items, as a cold start's rehearsal message whose delete failed", async () => {
    const { graph, sink, receipts, notificationsQueue, deps } = setup();

    const result = await processNotifications(
      { v: 1, kind: 'notifications', id: 'rehearsal-1', receivedAt: at(0), items: [] },
      deps,
    );

    expect(result).toMatchObject({ items: 0, graphReads: 0, heldForCoalescing: 0 });
    expect(graph.reads).toBe(0);
    expect(sink.states.size).toBe(0);
    expect(receipts.entries.size).toBe(0);
    expect(notificationsQueue.sent).toEqual([]);
  });

  it('reads a resource that keeps changing once it has waited the max wait', async () => {
    const { graph, receipts, clock, deps } = setup({ maxWaitMs: 10_000 });
    await receipts.record([{ tenantId: TENANT_ID, resourcePath: PATH, receivedAt: at(0) }]);

    // Each message finds a later receipt (the resource changed again) until it has waited 10 s.
    for (let n = 0; n < 4; n += 1) {
      await receipts.record([{ tenantId: TENANT_ID, resourcePath: PATH, receivedAt: at(n * 3 + 3) }]);
      clock.set(at(n * 3 + 5));
      await processNotifications(message(at(n * 3)), deps);
    }

    expect(graph.reads).toBe(1);
    expect(receipts.entries.get(MemoryReceiptLog.key(TENANT_ID, PATH))?.pendingSince).toBe(at(0));
  });

  it('starts a new wait after a read: the pending mark of an earlier wait does not force a read', async () => {
    const { graph, receipts, clock, deps } = setup({ maxWaitMs: 10_000 });
    await receipts.record([{ tenantId: TENANT_ID, resourcePath: PATH, receivedAt: at(0) }]);
    await receipts.markPending(TENANT_ID, PATH, at(-60));
    clock.set(at(2));
    await processNotifications(message(at(-60)), deps);
    expect(graph.reads).toBe(1);

    await receipts.record([{ tenantId: TENANT_ID, resourcePath: PATH, receivedAt: at(20) }]);
    clock.set(at(21));
    await processNotifications(message(at(18)), deps);

    expect(graph.reads).toBe(1);
    expect(receipts.entries.get(MemoryReceiptLog.key(TENANT_ID, PATH))?.pendingSince).toBe(at(18));
  });

  it('waits for a read in flight in this process that started after the message arrived, not for one that started before', async () => {
    const { graph, sink, clock, deps } = setup({ coalescing: false });
    // One POST packed into two messages: same receipt, processed concurrently.
    const held = graph.holdNextRead();
    clock.set(at(5));
    const first = processNotifications(message(at(0)), deps);
    await held.reached;
    const second = processNotifications(message(at(0)), deps);
    held.release();
    const results = await Promise.all([first, second]);

    expect(graph.reads).toBe(1);
    expect(results.map((r) => r.readsSaved)).toEqual([0, 1]);
    expect(stored(sink)).toMatchObject({ body: { subject: 'first' } });

    // A message received after the read started is not covered by it.
    const late = graph.holdNextRead();
    clock.set(at(20));
    const third = processNotifications(message(at(15)), deps);
    await late.reached;
    const fourth = processNotifications(message(at(21)), deps);
    late.release();
    await Promise.all([third, fourth]);
    expect(graph.reads).toBe(3);
  });
});
