/**
 * The simulator against the project's own Graph client (house style rule 10): what the processing code
 * will see on the wire, batched reads with per-item throttling, delta paging and the 410 resync.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GraphClient, GraphDeltaResyncRequired, GraphThrottled, type GraphDeltaItem } from '../../../src/lib/graph';
import { APP_ID, TENANT_ID, simulatorWithUser, type TestGraph } from './support.js';

let graph: TestGraph;
let client: GraphClient;

beforeEach(async () => {
  graph = await simulatorWithUser();
  const sim = graph.sim;
  client = new GraphClient({
    baseUrl: 'http://graph.sim/v1.0',
    tokens: { getToken: (tenantId) => sim.issueAccessToken(tenantId, APP_ID) },
    timeoutMs: 5_000,
    fetch: sim.fetch,
    clock: { now: () => sim.clock.now() },
  });
});

afterEach(() => {
  graph.sim.stop();
});

describe('the project GraphClient against the simulator', () => {
  it('reads notified resources in one $batch and surfaces an inner 429 with its own Retry-After', async () => {
    const messages = [1, 2, 3].map((n) =>
      graph.sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId: graph.userId, data: { subject: `m${n}` } }),
    );
    graph.sim.faults.inject({
      method: 'GET',
      path: String(messages[1]?.id).replace(/[^A-Za-z0-9]/g, '.'),
      status: 429,
      retryAfterSeconds: 3,
    });

    const results = await client.batchGet(
      TENANT_ID,
      messages.map((m) => ({ path: `/Users/${graph.userId}/Messages/${String(m?.id)}?$select=subject` })),
    );

    expect(results.map((r) => (r.ok ? r.body.subject : r.error.constructor.name))).toEqual([
      'm1',
      'GraphThrottled',
      'm3',
    ]);
    const throttled = results[1];
    expect(
      throttled?.ok === false && throttled.error instanceof GraphThrottled ? throttled.error.retryAfterMs : undefined,
    ).toBe(3_000);
    expect(results[0]?.ok === true ? results[0].etag : undefined).toBe(messages[0]?.['@odata.etag']);
  });

  it("reads a channel message deleted since the deltaLink as removed, as Graph's channel message delta lists it", async () => {
    const { sim } = graph;
    const teamId = String(sim.mutate(TENANT_ID, { kind: 'team', op: 'create' })?.id);
    const channelId = String(sim.mutate(TENANT_ID, { kind: 'channel', op: 'create', teamId })?.id);
    const ids = [1, 2].map((_) =>
      String(sim.mutate(TENANT_ID, { kind: 'channelMessage', op: 'create', teamId, channelId })?.id),
    );
    const all = async (start: string): Promise<{ items: GraphDeltaItem[]; deltaLink: string }> => {
      const items: GraphDeltaItem[] = [];
      let deltaLink = '';
      for await (const page of client.deltaPages(TENANT_ID, start)) {
        items.push(...page.items);
        deltaLink = page.deltaLink ?? deltaLink;
      }
      return { items, deltaLink };
    };
    const first = await all(`/teams/${teamId}/channels/${encodeURIComponent(channelId)}/messages/delta`);
    sim.mutate(TENANT_ID, { kind: 'channelMessage', op: 'delete', teamId, channelId, id: ids[1] ?? '' });

    const next = await all(first.deltaLink);

    expect(first.items.map((item) => [item.kind, item.id])).toEqual(ids.map((id) => ['changed', id]));
    expect(next.items.map((item) => [item.kind, item.id])).toEqual([['removed', ids[1]]]);
  });

  it('pages a drive delta to its deltaLink and gets a resync error after a reset', async () => {
    const drive = graph.sim.state(TENANT_ID).find((r) => r.kind === 'drive');
    for (let i = 0; i < 5; i++)
      graph.sim.mutate(TENANT_ID, { kind: 'driveItem', op: 'create', driveId: String(drive?.id) });
    const items: GraphDeltaItem[] = [];
    let deltaLink: string | undefined;

    for await (const page of client.deltaPages(TENANT_ID, `/drives/${String(drive?.id)}/root/delta?$top=2`)) {
      items.push(...page.items);
      deltaLink = page.deltaLink ?? deltaLink;
    }
    graph.sim.resetDelta(TENANT_ID);
    const resync = async (): Promise<void> => {
      for await (const _page of client.deltaPages(TENANT_ID, deltaLink ?? '')) {
        // only the first page matters: it must fail
      }
    };

    expect(items).toHaveLength(6);
    expect(deltaLink).toMatch(/\/root\/delta\?token=/);
    await expect(resync()).rejects.toBeInstanceOf(GraphDeltaResyncRequired);
  });
});
