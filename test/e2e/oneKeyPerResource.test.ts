/**
 * End to end: one resource, one blob, whatever name Graph or the operator gives it. Subscriptions made through the
 * management API with a user principal name and an initial sync, then changes that Graph reports in Outlook's
 * `Users/{user-guid}@{tenant-guid}/…` form (the simulator's default, as Microsoft's webhooks page shows): every
 * resource ends up as exactly one blob holding Graph's current state. `me/…` and an unknown name are refused.
 */
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManagementApiError } from '../../dev/run';
import { problems, startE2ePipeline, untilQuiet, withoutResponseAnnotations, type E2ePipeline } from './support';

const MINUTE = 60_000;
const ALL = 'created,updated,deleted';

let e2e: E2ePipeline;

beforeAll(async () => {
  e2e = await startE2ePipeline({ subscriptions: false });
});

afterAll(async () => {
  await e2e.pipeline.stop();
});

/** Every blob name of the sink, exactly as stored (the shared `readSink` lower-cases, which would hide a duplicate). */
async function blobNames(): Promise<string[]> {
  const container = BlobServiceClient.fromConnectionString(e2e.pipeline.connectionString).getContainerClient(
    e2e.pipeline.config.processing.resourcesContainer,
  );
  const names: string[] = [];
  if (!(await container.exists())) return names;
  for await (const blob of container.listBlobsFlat()) names.push(blob.name);
  return names.sort();
}

async function blobBody(name: string): Promise<Record<string, unknown>> {
  const container = BlobServiceClient.fromConnectionString(e2e.pipeline.connectionString).getContainerClient(
    e2e.pipeline.config.processing.resourcesContainer,
  );
  const text = (await container.getBlockBlobClient(name).downloadToBuffer()).toString('utf8');
  return withoutResponseAnnotations(JSON.parse(text) as Record<string, unknown>);
}

async function refusal(resource: string): Promise<ManagementApiError> {
  try {
    await e2e.pipeline.management.create({ resource, changeType: 'created' });
  } catch (error) {
    if (error instanceof ManagementApiError) return error;
    throw error;
  }
  throw new Error(`the management API accepted ${resource}`);
}

describe('one resource, one blob, whatever name Graph or the operator gives it', () => {
  it('a subscription made with a user principal name and notifications naming the owner {user-guid}@{tenant-guid} give one blob per resource', async () => {
    const { sim, demo, pipeline, scheduler } = e2e;
    const T = demo.tenantId;
    const adele = sim.state(T).find((resource) => resource.kind === 'user' && resource.id === demo.adeleId);
    const upn = String(adele?.body.userPrincipalName);
    expect(upn).toContain('@');

    const contacts = await pipeline.management.create({
      resource: `users/${upn.toUpperCase()}/contacts`,
      changeType: ALL,
      initialSync: true,
    });
    const messages = await pipeline.management.create({
      resource: `users('${upn}')/messages`,
      changeType: ALL,
      initialSync: true,
    });
    // The next timer run pays the initial syncs: every contact and message of Adele's is written once.
    const runsBefore = pipeline.invocations.succeeded('reconcileSubscriptions');
    await scheduler.advance(6 * MINUTE);
    await untilQuiet(e2e);
    expect(pipeline.invocations.succeeded('reconcileSubscriptions')).toBeGreaterThan(runsBefore);

    // Then Graph reports changes to the synced resources and new ones.
    const inScope = (): ReturnType<typeof sim.state> =>
      sim
        .state(T)
        .filter(
          (resource) =>
            (resource.kind === 'contact' || resource.kind === 'message') &&
            resource.path.startsWith(`users/${demo.adeleId}/`),
        );
    for (const resource of inScope()) {
      if (resource.kind === 'contact')
        sim.mutate(T, {
          kind: 'contact',
          op: 'update',
          userId: demo.adeleId,
          id: resource.id,
          data: { displayName: 'Changed by a notification' },
        });
      else
        sim.mutate(T, {
          kind: 'message',
          op: 'update',
          userId: demo.adeleId,
          id: resource.id,
          data: { subject: 'Changed by a notification' },
        });
    }
    sim.mutate(T, { kind: 'contact', op: 'create', userId: demo.adeleId, data: { displayName: 'New contact' } });
    sim.mutate(T, { kind: 'message', op: 'create', userId: demo.adeleId, data: { subject: 'New mail' } });
    await untilQuiet(e2e);

    const notified = sim.notifications({ kind: 'change' }).map((record) => record.resource ?? '');
    expect(notified.length).toBeGreaterThan(0);
    expect(notified.every((resource) => resource.startsWith(`Users/${demo.adeleId}@${T}/`))).toBe(true);

    const truth = inScope();
    expect(truth.length).toBeGreaterThanOrEqual(4);
    // Exactly one blob per resource, under the user id, and nothing else: no copy under the name or the @ form.
    expect(await blobNames()).toEqual(truth.map((resource) => `${T}/${resource.path}.json`).sort());
    for (const resource of truth)
      expect(await blobBody(`${T}/${resource.path}.json`)).toEqual(withoutResponseAnnotations(resource.body));
    // Subscribed under the id, the name kept for display.
    expect([contacts.resource, contacts.requestedResource]).toEqual([
      `users/${demo.adeleId}/contacts`,
      `users/${upn.toUpperCase()}/contacts`,
    ]);
    expect(messages.resource).toBe(`users/${demo.adeleId}/messages`);
    expect(problems(e2e.logs)).toEqual([]);
  });

  it('refuses me/… at create, saying app-only tokens have no "me" and what to write instead', async () => {
    const error = await refusal('me/messages');

    expect(error).toMatchObject({ status: 400, code: 'ERR_SUBSCRIPTION_RULE_VIOLATED' });
    expect(error.message).toMatch(/app-only token.*users\/\{id\}\/messages/);
  });

  it('refuses a user principal name Graph does not know with ERR_SUBSCRIPTION_USER_NOT_FOUND', async () => {
    const before = e2e.sim.subscriptions().length;

    const error = await refusal('users/nobody@contoso.onmicrosoft.com/contacts');

    expect(error).toMatchObject({ status: 422, code: 'ERR_SUBSCRIPTION_USER_NOT_FOUND' });
    expect(error.message).toContain('nobody@contoso.onmicrosoft.com');
    expect(e2e.sim.subscriptions()).toHaveLength(before);
  });
});
