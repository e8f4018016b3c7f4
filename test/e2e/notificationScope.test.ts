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

describe("a holder of one mail subscription's clientState", () => {
  it('cannot make the app read or mirror another mailbox, a user object, or the owner behind an id ..', async () => {
    const { sim, demo, pipeline } = e2e;
    const T = demo.tenantId;
    expect(pipeline.subscriptionErrors).toEqual([]);

    // One genuine delivery, which the attacker sees.
    const adeleMessage = sim.mutate(T, {
      kind: 'message',
      op: 'create',
      userId: demo.adeleId,
      data: { subject: 'Genuine' },
    });
    await untilQuiet(e2e);
    const genuine = sim.notifications().find((record) => record.kind === 'change')?.payload;
    if (genuine === undefined) throw new Error('Graph delivered no notification');
    const sinkBefore = await readSink(pipeline);
    expect(sinkBefore.has(`users/${demo.adeleId}/messages/${String(adeleMessage?.id)}`.toLowerCase())).toBe(true);

    // Alex's mail is no subscription's: only a forged notification could bring it in.
    const alexMessage = sim.mutate(T, {
      kind: 'message',
      op: 'create',
      userId: demo.alexId,
      data: { subject: 'Private' },
    });
    const forge = (resource: string, changeType: string) => ({
      ...genuine,
      changeType,
      resource,
      resourceData: { '@odata.type': '#Microsoft.Graph.Message', '@odata.id': resource, id: resource.split('/').pop() },
    });
    const forged = [
      forge(`Users/${demo.alexId}/Messages/${String(alexMessage?.id)}`, 'created'),
      forge(`Users/${demo.alexId}/Messages/${String(alexMessage?.id)}`, 'updated'),
      forge(`Users/${demo.meganId}`, 'updated'),
      forge(`users('${demo.meganId}')`, 'updated'),
      forge(`Users/${demo.adeleId}/Messages/..`, 'updated'),
      forge(`Users/${demo.adeleId}/Messages/%2E%2E`, 'updated'),
      forge(`Users/${demo.adeleId}/Messages/a%2F..%2F..%2F${demo.alexId}`, 'updated'),
    ];
    const readsBefore = sim.graphTraffic().reads;
    const logsBefore = e2e.logs.length;

    expect(await post(forged)).toBe(202);
    await untilQuiet(e2e);

    const sinkAfter = await readSink(pipeline);
    const written = [...sinkAfter.keys()].filter((key) => !sinkBefore.has(key));
    expect({ graphReads: sim.graphTraffic().reads - readsBefore, sinkWrites: written.length }).toEqual({
      graphReads: 0,
      sinkWrites: 0,
    });
    const warnings = e2e.logs.slice(logsBefore).map((entry) => entry.message);
    expect(warnings).toContain('Rejected 4 notification(s) on /notifications: outsideSubscription');
    expect(
      warnings.filter((line) => line.startsWith('Rejected 3 notification(s) on /notifications: invalidItem')),
    ).toEqual([
      "Rejected 3 notification(s) on /notifications: invalidItem (first: resource: unsafeResourceId (an id is '.' or '..' or decodes to a path separator))",
    ]);
    // The log names no resource: neither mailbox nor user id appears.
    for (const id of [demo.alexId, demo.meganId, String(alexMessage?.id)])
      expect(warnings.filter((line) => line.includes(id))).toEqual([]);
  }, 90_000);
});
