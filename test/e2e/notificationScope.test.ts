/**
 * End to end, as an attacker who has seen one genuine POST (and with it the clientState of Adele's mail
 * subscription) would try it: over HTTP through the local host, forged notifications with that clientState
 * naming another mailbox, a user object, or an id `..` that Graph would resolve to the mailbox's owner. None of
 * them may cost a Graph read or a sink write (docs/security.md, "What a holder of a clientState can and cannot do").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSink, startE2ePipeline, untilQuiet, type E2ePipeline } from './support';

let e2e: E2ePipeline;

beforeAll(async () => {
  e2e = await startE2ePipeline({
    subscriptions: (demo) => [{ resource: `users/${demo.adeleId}/messages`, changeType: 'created,updated,deleted' }],
  });
});

afterAll(async () => {
  await e2e.pipeline.stop();
});

/** Posts items to the webhook as Graph would, with the key Graph holds. */
async function post(items: readonly Record<string, unknown>[]): Promise<number> {
  const response = await fetch(e2e.pipeline.urls.notificationUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ value: items }),
  });
  await response.arrayBuffer();
  return response.status;
}

interface Attack {
  readonly graphReads: number;
  /** Sink entries the forged POST created or changed (path → body). */
  readonly sinkWrites: Readonly<Record<string, Record<string, unknown>>>;
  readonly warnings: readonly string[];
}

let genuine: Readonly<Record<string, unknown>>;

/** One genuine delivery for Adele's mail subscription, which the attacker sees. */
beforeAll(async () => {
  const { sim, demo, pipeline } = e2e;
  expect(pipeline.subscriptionErrors).toEqual([]);
  sim.mutate(demo.tenantId, { kind: 'message', op: 'create', userId: demo.adeleId, data: { subject: 'Genuine' } });
  await untilQuiet(e2e);
  const payload = sim.notifications().find((record) => record.kind === 'change')?.payload;
  if (payload === undefined) throw new Error('Graph delivered no notification');
  genuine = payload;
}, 60_000);

/** The genuine notification with another resource, as the attacker would rewrite it. */
function forge(resource: string, changeType = 'updated'): Record<string, unknown> {
  return {
    ...genuine,
    changeType,
    resource,
    resourceData: { '@odata.type': '#Microsoft.Graph.Message', '@odata.id': resource, id: resource.split('/').pop() },
  };
}

/** Posts forged items, waits until the pipeline is quiet, and counts what they cost. */
async function attack(items: readonly Record<string, unknown>[]): Promise<Attack> {
  const { sim, pipeline } = e2e;
  const sinkBefore = await readSink(pipeline);
  const readsBefore = sim.graphTraffic().reads;
  const logsBefore = e2e.logs.length;
  expect(await post(items)).toBe(202);
  await untilQuiet(e2e);
  const sinkWrites: Record<string, Record<string, unknown>> = {};
  for (const [key, entry] of await readSink(pipeline))
    if (JSON.stringify(sinkBefore.get(key)) !== JSON.stringify(entry)) sinkWrites[key] = entry.body;
  return {
    graphReads: sim.graphTraffic().reads - readsBefore,
    sinkWrites,
    warnings: e2e.logs.slice(logsBefore).map((entry) => entry.message),
  };
}

describe("a holder of one mail subscription's clientState", () => {
  it('cannot make the app read or mirror another mailbox or a user object', async () => {
    const { sim, demo } = e2e;
    // Alex's mail is no subscription's: only a forged notification could bring it in.
    const alexMessage = sim.mutate(demo.tenantId, {
      kind: 'message',
      op: 'create',
      userId: demo.alexId,
      data: { subject: 'Private' },
    });

    const result = await attack([
      forge(`Users/${demo.alexId}/Messages/${String(alexMessage?.id)}`, 'created'),
      forge(`Users/${demo.alexId}/Messages/${String(alexMessage?.id)}`),
      forge(`Users/${demo.meganId}`),
      forge(`users('${demo.meganId}')`),
    ]);

    expect({ graphReads: result.graphReads, sinkWrites: Object.keys(result.sinkWrites) }).toEqual({
      graphReads: 0,
      sinkWrites: [],
    });
    expect(result.warnings).toContain('Rejected 4 notification(s) on /notifications: outsideSubscription');
    // The log names no resource: neither mailbox nor user id appears.
    for (const id of [demo.alexId, demo.meganId, String(alexMessage?.id)])
      expect(result.warnings.filter((line) => line.includes(id))).toEqual([]);
  }, 90_000);

  it("cannot store the mailbox's owner as a message through an id '..' or one that decodes to a separator", async () => {
    const { demo } = e2e;

    const result = await attack([
      forge(`Users/${demo.adeleId}/Messages/..`),
      forge(`Users/${demo.adeleId}/Messages('..')`),
      forge(`Users/${demo.adeleId}/Messages/%2E%2E`),
      forge(`Users/${demo.adeleId}/Messages/a%2F..%2F..%2F${demo.alexId}`),
    ]);

    expect({ graphReads: result.graphReads, sinkWrites: result.sinkWrites }).toEqual({ graphReads: 0, sinkWrites: {} });
    expect(result.warnings).toContain(
      "Rejected 4 notification(s) on /notifications: invalidItem (first: resource: unsafeResourceId (an id is '.' or '..' or decodes to a path separator))",
    );
  }, 90_000);
});
