/**
 * Change accounting: every change carries its own identity (sequence number, resource version, the version
 * tag the resource shows) and the log says what became of each of its notifications.
 */
import { describe, expect, it } from 'vitest';
import { EXACT_DELIVERY } from '../../../dev/graph-simulator/index.js';
import { TENANT_ID, inMinutes, useSimulatorWithReceiver } from './support.js';

// Each test pins one behaviour to exact counts, payloads or instants: exactly-once, in-order, immediate delivery.
// The defaults (duplicates, reordering, latency) have their own tests in deliveryRealism.test.ts.
const world = useSimulatorWithReceiver({ delivery: EXACT_DELIVERY });

async function subscribe(resource: string, changeType: string, lifecycle = false): Promise<string> {
  const { status, json } = await world.graph.call('POST', '/subscriptions', {
    changeType,
    notificationUrl: `${world.receiver.origin}/changes`,
    ...(lifecycle ? { lifecycleNotificationUrl: `${world.receiver.origin}/lifecycle` } : {}),
    resource,
    expirationDateTime: inMinutes(world.graph.sim, 600),
    clientState: 'accounting',
  });
  expect(status).toBe(201);
  return String(json.id);
}

describe('change accounting', () => {
  it('gives every change a sequence number and a resource version, and shows Outlook versions by their etag', () => {
    const { sim, userId } = world.graph;
    const created = sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId });
    const path = `users/${userId}/messages/${String(created?.id)}`;
    const updated = sim.mutate(TENANT_ID, {
      kind: 'message',
      op: 'update',
      userId,
      id: String(created?.id),
      data: { isRead: true },
    });
    sim.mutate(TENANT_ID, { kind: 'message', op: 'delete', userId, id: String(created?.id) });

    const changes = sim.changes(TENANT_ID).filter((change) => change.path === path);

    expect(changes.map((change) => [change.changeType, change.version, change.versionTag])).toEqual([
      ['created', 1, created?.['@odata.etag']],
      ['updated', 2, updated?.['@odata.etag']],
      ['deleted', 3, undefined],
    ]);
    expect(changes[1]?.seq).toBeGreaterThan(changes[0]?.seq ?? Number.POSITIVE_INFINITY);
    expect(new Set(sim.changes().map((change) => change.changeId)).size).toBe(sim.changes().length);
    expect(sim.versionOf(TENANT_ID, path, created ?? {})).toBe(1);
    expect(sim.versionOf(TENANT_ID, path.toUpperCase(), updated ?? {})).toBe(2);
  });

  it('reads drive versions from eTag and user versions from their content', () => {
    const { sim, userId } = world.graph;
    const drive = sim.state(TENANT_ID).find((resource) => resource.kind === 'drive');
    const item = sim.mutate(TENANT_ID, { kind: 'driveItem', op: 'create', driveId: String(drive?.id) });
    const renamed = sim.mutate(TENANT_ID, {
      kind: 'driveItem',
      op: 'update',
      driveId: String(drive?.id),
      id: String(item?.id),
      data: { name: 'b.docx' },
    });
    const before = sim.resource(TENANT_ID, `users/${userId}`);
    const after = sim.mutate(TENANT_ID, { kind: 'user', op: 'update', id: userId, data: { jobTitle: 'Accountant' } });

    expect(sim.versionOf(TENANT_ID, `drives/${String(drive?.id)}/items/${String(item?.id)}`, item ?? {})).toBe(1);
    expect(sim.versionOf(TENANT_ID, `drives/${String(drive?.id)}/items/${String(item?.id)}`, renamed ?? {})).toBe(2);
    expect(sim.versionOf(TENANT_ID, `users/${userId}`, before ?? {})).toBe(1);
    expect(sim.versionOf(TENANT_ID, `users/${userId}`, after ?? {})).toBe(2);
    expect(sim.versionOf(TENANT_ID, `users/${userId}`, { jobTitle: 'Never' })).toBeUndefined();
  });

  it('records for each change what became of its notifications: delivered, dropped (with or without missed), lost to a pause', async () => {
    await world.restart({ lifecycle: { missedOnDropProbability: 1 } });
    const { sim, userId } = world.graph;
    await subscribe(`users/${userId}/messages`, 'created', true);
    const delivered = sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId });
    await sim.clock.settle();
    sim.faults.inject({ target: 'delivery', action: 'drop' });
    const dropped = sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId });
    await sim.clock.settle();
    await sim.clock.advance(60 * 60_000);
    const lost = sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId });
    await sim.clock.settle();

    const fates = Object.fromEntries(
      sim
        .changes(TENANT_ID)
        .filter((change) => change.kind === 'message')
        .map((change) => [change.id, change.notifications.map((n) => [n.status, n.missedSent])]),
    );

    expect(fates).toEqual({
      [String(delivered?.id)]: [['delivered', undefined]],
      [String(dropped?.id)]: [['dropped', true]],
      [String(lost?.id)]: [['lost', false]],
    });
  });

  it('serves the accounting log on the control API', async () => {
    const { sim, userId } = world.graph;
    sim.mutate(TENANT_ID, { kind: 'contact', op: 'create', userId });

    const response = await sim.fetch(`http://graph.sim/_sim/changes?tenantId=${TENANT_ID}`);
    const body = (await response.json()) as { value: { kind: string; version: number }[] };

    expect(response.status).toBe(200);
    expect(body.value.at(-1)).toMatchObject({ kind: 'contact', version: 1 });
  });
});
