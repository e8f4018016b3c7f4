import { describe, expect, it } from 'vitest';
import { EXACT_DELIVERY } from '../../../dev/graph-simulator/index.js';
import { APP_ID, TENANT_ID, errorOf, inMinutes, useSimulatorWithReceiver } from './support.js';

// Each test pins one behaviour to exact counts, payloads or instants: exactly-once, in-order, immediate delivery.
// The defaults (duplicates, reordering, latency) have their own tests in deliveryRealism.test.ts.
const world = useSimulatorWithReceiver({ delivery: EXACT_DELIVERY });

/** The user's drive and a new folder at its root. */
function driveWithFolder(): { driveId: string; folderId: string } {
  const drive = world.graph.sim.state(TENANT_ID).find((r) => r.kind === 'drive');
  const driveId = String(drive?.id);
  const folder = world.graph.sim.mutate(TENANT_ID, {
    kind: 'driveItem',
    op: 'create',
    driveId,
    data: { folder: { childCount: 0 } },
  });
  return { driveId, folderId: String(folder?.id) };
}

function messagesSubscription(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    changeType: 'created,updated,deleted',
    notificationUrl: `${world.receiver.url}?tenant=t1`,
    resource: `users/${world.graph.userId}/messages`,
    expirationDateTime: inMinutes(world.graph.sim, 120),
    clientState: 'secret-client-state',
    ...overrides,
  };
}

describe('subscription create: handshake', () => {
  it('validates the notification URL with a decoded, url-encoded token as text/plain and returns 201', async () => {
    const { status, json } = await world.graph.call('POST', '/subscriptions', messagesSubscription());

    expect(status).toBe(201);
    expect(json).toMatchObject({
      resource: `users/${world.graph.userId}/messages`,
      changeType: 'created,updated,deleted',
      clientState: 'secret-client-state',
      applicationId: expect.any(String) as string,
    });
    const [validation] = world.receiver.validations();
    expect(world.receiver.validations()).toHaveLength(1);
    expect(validation?.query.get('tenant')).toBe('t1');
    expect(validation?.contentType).toBe('text/plain; charset=utf-8');
    expect(validation?.body).toBe('');
    expect(validation?.query.get('validationToken')).toMatch(
      /^Validation: Testing client application reachability for subscription Request-Id: [0-9a-f-]{36}$/,
    );
  });

  it('validates the lifecycle URL separately, even when it equals the notification URL', async () => {
    const { status } = await world.graph.call(
      'POST',
      '/subscriptions',
      messagesSubscription({ lifecycleNotificationUrl: `${world.receiver.url}?tenant=t1` }),
    );

    expect(status).toBe(201);
    expect(world.receiver.validations()).toHaveLength(2);
  });

  it('fails with the documented message when the endpoint echoes the token still encoded', async () => {
    world.receiver.behave((post) =>
      post.query.has('validationToken')
        ? { status: 200, body: encodeURIComponent(post.query.get('validationToken') ?? ''), contentType: 'text/plain' }
        : undefined,
    );

    const { status, json } = await world.graph.call('POST', '/subscriptions', messagesSubscription());

    expect(status).toBe(400);
    expect(errorOf(json)).toMatchObject({
      code: 'InvalidRequest',
      message: 'Subscription validation request failed. Response must exactly match validationToken query parameter.',
    });
    expect(world.graph.sim.subscriptions()).toHaveLength(0);
  });

  it('fails with the documented message when the endpoint answers anything but 200', async () => {
    world.receiver.behave(() => ({ status: 202 }));

    const { status, json } = await world.graph.call('POST', '/subscriptions', messagesSubscription());

    expect(status).toBe(400);
    expect(errorOf(json).message).toBe(
      'Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.',
    );
  });

  it('times out after the handshake limit with the documented message', async () => {
    await world.restart({ subscriptions: { handshakeTimeoutMs: 100 } });
    world.receiver.behave((post) => ({ status: 200, body: post.query.get('validationToken') ?? '', delayMs: 400 }));

    const { status, json } = await world.graph.call('POST', '/subscriptions', messagesSubscription());

    expect(status).toBe(400);
    expect(errorOf(json)).toMatchObject({
      code: 'InvalidRequest',
      message: 'Subscription validation request timed out.',
    });
  });

  it('reports a connection failure during validation', async () => {
    const { status, json } = await world.graph.call(
      'POST',
      '/subscriptions',
      messagesSubscription({ notificationUrl: 'http://127.0.0.1:1/hook' }),
    );

    expect(status).toBe(400);
    expect(errorOf(json).message).toBe('The underlying connection was closed: An unexpected error occurred on a send.');
  });

  it('fails validation of a failing lifecycle URL and creates nothing', async () => {
    world.receiver.behave((post) => (post.path === '/lifecycle' ? { status: 500 } : undefined));

    const { status } = await world.graph.call(
      'POST',
      '/subscriptions',
      messagesSubscription({ lifecycleNotificationUrl: `${world.receiver.origin}/lifecycle` }),
    );

    expect(status).toBe(400);
    expect(world.graph.sim.subscriptions()).toHaveLength(0);
  });
});

describe('subscription create: validation rules', () => {
  it('names the missing expiry with the observed message', async () => {
    const { status, json } = await world.graph.call(
      'POST',
      '/subscriptions',
      messagesSubscription({ expirationDateTime: undefined }),
    );

    expect(status).toBe(400);
    expect(errorOf(json).message).toBe('expirationDateTime must be provided with the subscription.');
  });

  it('rejects a malformed date (a day written 5) as an unprocessable payload', async () => {
    const { json } = await world.graph.call(
      'POST',
      '/subscriptions',
      messagesSubscription({ expirationDateTime: '2030-01-5T10:00:00Z' }),
    );

    expect(errorOf(json)).toMatchObject({
      code: 'InvalidRequest',
      message:
        'Could not process subscription creation payload. Are all property names spelled and camelCased properly?',
    });
  });

  it('refuses http unless the loopback option allows it', async () => {
    await world.restart({ allowHttpLoopback: false });

    const { status, json } = await world.graph.call('POST', '/subscriptions', messagesSubscription());

    expect(status).toBe(400);
    expect(errorOf(json).message).toBe("NotificationUrl scheme='http' is not supported.");
    expect(world.receiver.validations()).toHaveLength(0);
  });

  it('refuses http to a non-loopback host even with the option', async () => {
    const { json } = await world.graph.call(
      'POST',
      '/subscriptions',
      messagesSubscription({ notificationUrl: 'http://hooks.example.com/graph' }),
    );

    expect(errorOf(json).message).toBe("NotificationUrl scheme='http' is not supported.");
  });

  it('rejects a malformed URL', async () => {
    const { json } = await world.graph.call(
      'POST',
      '/subscriptions',
      messagesSubscription({ notificationUrl: 'not a url' }),
    );

    expect(errorOf(json).message).toBe("Invalid notification url='not a url'.");
  });

  it('accepts only updated and deleted on users', async () => {
    const { status, json } = await world.graph.call(
      'POST',
      '/subscriptions',
      messagesSubscription({ resource: 'users', changeType: 'created,updated' }),
    );

    expect(status).toBe(400);
    expect(errorOf(json).message).toContain("changeType 'created' is not supported");
  });

  it('accepts only updated on a drive root', async () => {
    const drive = world.graph.sim.state(world.graph.sim.tenants()[0]?.id).find((r) => r.kind === 'drive');

    const { status } = await world.graph.call(
      'POST',
      '/subscriptions',
      messagesSubscription({ resource: `drives/${drive?.id ?? ''}/root`, changeType: 'deleted' }),
    );

    expect(status).toBe(400);
  });

  it('accepts a 128-character clientState and refuses 129 (v1.0 subscription page); the beta-page 255 is an option', async () => {
    const ok = await world.graph.call('POST', '/subscriptions', messagesSubscription({ clientState: 'x'.repeat(128) }));
    const tooLong = await world.graph.call(
      'POST',
      '/subscriptions',
      messagesSubscription({ clientState: 'x'.repeat(129), resource: 'users', changeType: 'updated' }),
    );
    await world.restart({ subscriptions: { clientStateMaxLength: 255 } });
    const lenient = await world.graph.call(
      'POST',
      '/subscriptions',
      messagesSubscription({ clientState: 'x'.repeat(255) }),
    );
    const lenientTooLong = await world.graph.call(
      'POST',
      '/subscriptions',
      messagesSubscription({ clientState: 'x'.repeat(256), resource: 'users', changeType: 'updated' }),
    );

    expect(ok.status).toBe(201);
    expect(tooLong.status).toBe(400);
    expect(errorOf(tooLong.json).message).toBe('clientState must be at most 128 characters.');
    expect(lenient.status).toBe(201);
    expect(lenientTooLong.status).toBe(400);
  });

  it('requires a certificate (and its id) for includeResourceData', async () => {
    const { status, json } = await world.graph.call(
      'POST',
      '/subscriptions',
      messagesSubscription({ includeResourceData: true }),
    );

    expect(status).toBe(400);
    expect(errorOf(json).message).toBe('encryptionCertificate must be provided when includeResourceData is true.');
  });

  it('rejects an expiry beyond the Outlook maximum with the ExtensionError wording', async () => {
    const { status, json } = await world.graph.call(
      'POST',
      '/subscriptions',
      messagesSubscription({ expirationDateTime: inMinutes(world.graph.sim, 10_081) }),
    );

    expect(status).toBe(400);
    expect(errorOf(json)).toMatchObject({
      code: 'ExtensionError',
      message: 'Subscription expiration can only be 10080 minutes in the future.',
    });
  });

  it('uses the older 4,230-minute Outlook maximum and clamping when configured so', async () => {
    await world.restart({ subscriptions: { outlookMaxExpirationMinutes: 4_230, overMaxExpiration: 'clamp' } });

    const { status, json } = await world.graph.call(
      'POST',
      '/subscriptions',
      messagesSubscription({ expirationDateTime: inMinutes(world.graph.sim, 9_000) }),
    );

    expect(status).toBe(201);
    expect(Date.parse(String(json.expirationDateTime))).toBe(world.graph.sim.clock.now().getTime() + 4_230 * 60_000);
  });

  it('raises an expiry under 45 minutes to now + 45 minutes', async () => {
    const { json } = await world.graph.call(
      'POST',
      '/subscriptions',
      messagesSubscription({ expirationDateTime: inMinutes(world.graph.sim, 5) }),
    );

    expect(Date.parse(String(json.expirationDateTime))).toBe(world.graph.sim.clock.now().getTime() + 45 * 60_000);
    expect(json.expirationDateTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$/);
  });

  it('answers 409 for the same changeType and resource, naming the existing subscription', async () => {
    const first = await world.graph.call('POST', '/subscriptions', messagesSubscription());

    const second = await world.graph.call('POST', '/subscriptions', messagesSubscription());

    expect(second.status).toBe(409);
    expect(errorOf(second.json).message).toBe(
      `Subscription Id ${String(first.json.id)} already exists for the requested combination`,
    );
  });

  it('answers 403 naming the limit when a quota is reached', async () => {
    await world.restart({ subscriptions: { quotas: { directoryPerAppAndTenant: 1 } } });
    await world.graph.call(
      'POST',
      '/subscriptions',
      messagesSubscription({ resource: 'users', changeType: 'updated' }),
    );

    const { status, json } = await world.graph.call(
      'POST',
      '/subscriptions',
      messagesSubscription({ resource: 'groups', changeType: 'updated' }),
    );

    expect(status).toBe(403);
    expect(errorOf(json).message).toContain('Maximum number of subscriptions has been reached');
    expect(errorOf(json).message).toContain('1 per app and tenant');
  });

  it('rejects unknown properties the way the OData deserializer does', async () => {
    const { status, json } = await world.graph.call(
      'POST',
      '/subscriptions',
      messagesSubscription({ notificationURL: world.receiver.url }),
    );

    expect(status).toBe(400);
    expect(errorOf(json).message).toContain(
      "The property 'notificationURL' does not exist on type 'microsoft.graph.subscription'",
    );
  });

  it('requires a lifecycle URL for Teams subscriptions longer than one hour', async () => {
    const chat = world.graph.sim.mutate(world.graph.sim.tenants()[0]?.id ?? '', { kind: 'chat', op: 'create' });

    const { status, json } = await world.graph.call(
      'POST',
      '/subscriptions',
      messagesSubscription({
        resource: `chats/${String(chat?.id)}/messages`,
        expirationDateTime: inMinutes(world.graph.sim, 120),
      }),
    );

    expect(status).toBe(400);
    expect(errorOf(json).message).toBe(
      'lifecycleNotificationUrl is a required property for subscription creation on this resource when the expirationDateTime value is set to greater than 1 hour.',
    );
  });

  it('refuses a folder below the root of a OneDrive for Business drive', async () => {
    const { driveId, folderId } = driveWithFolder();

    const folder = await world.graph.call(
      'POST',
      '/subscriptions',
      messagesSubscription({ resource: `drives/${driveId}/items/${folderId}`, changeType: 'updated' }),
    );
    const root = await world.graph.call(
      'POST',
      '/subscriptions',
      messagesSubscription({ resource: `drives/${driveId}/root`, changeType: 'updated' }),
    );

    expect(folder.status).toBe(400);
    expect(errorOf(folder.json).message).toBe(
      'Only the root of a OneDrive for Business or SharePoint drive supports change notifications.',
    );
    expect(root.status).toBe(201);
  });

  it('accepts a folder of a personal OneDrive and notifies only changes under it', async () => {
    await world.restart({ tenants: [{ id: TENANT_ID, domain: 'contoso.test', driveType: 'personal' }] });
    const { driveId, folderId } = driveWithFolder();

    const { status } = await world.graph.call(
      'POST',
      '/subscriptions',
      messagesSubscription({ resource: `users/${world.graph.userId}/drive/items/${folderId}`, changeType: 'updated' }),
    );
    const inside = world.graph.sim.mutate(TENANT_ID, { kind: 'driveItem', op: 'create', driveId, parentId: folderId });
    world.graph.sim.mutate(TENANT_ID, { kind: 'driveItem', op: 'create', driveId });
    world.graph.sim.mutate(TENANT_ID, {
      kind: 'driveItem',
      op: 'update',
      driveId,
      id: String(inside?.id),
      data: { name: 'b.docx' },
    });
    await world.graph.sim.clock.settle();

    expect(status).toBe(201);
    expect(world.graph.sim.notifications({ kind: 'change' })).toHaveLength(2);
    expect(world.receiver.notifications()).toEqual([
      expect.objectContaining({ changeType: 'updated', resource: `drives/${driveId}/root/`, resourceData: null }),
      expect.objectContaining({ changeType: 'updated', resource: `drives/${driveId}/root/`, resourceData: null }),
    ]);
  });

  it('puts date, request-id and client-request-id in innerError', async () => {
    const { json, headers } = await world.graph.call(
      'POST',
      '/subscriptions',
      messagesSubscription({ expirationDateTime: undefined }),
      { 'client-request-id': 'abc-123' },
    );

    expect(errorOf(json).innerError).toEqual({
      date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/) as string,
      'request-id': expect.any(String) as string,
      'client-request-id': 'abc-123',
    });
    expect(headers.get('request-id')).toBe(errorOf(json).innerError['request-id']);
  });
});

describe('subscription get, list, renew, delete, reauthorize', () => {
  async function create(overrides: Record<string, unknown> = {}): Promise<string> {
    const { status, json } = await world.graph.call('POST', '/subscriptions', messagesSubscription(overrides));
    expect(status).toBe(201);
    return String(json.id);
  }

  it('gets a subscription with its clientState and lists it with clientState null', async () => {
    const id = await create();

    const single = await world.graph.call('GET', `/subscriptions/${id}`);
    const list = await world.graph.call('GET', '/subscriptions');

    expect(single.json.clientState).toBe('secret-client-state');
    expect(list.json.value).toEqual([expect.objectContaining({ id, clientState: null })]);
  });

  it('refuses a PATCH with neither expiry nor URL with the documented message', async () => {
    const id = await create();

    const onlyClientState = await world.graph.call('PATCH', `/subscriptions/${id}`, { clientState: 'x' });
    const empty = await world.graph.call('PATCH', `/subscriptions/${id}`, {});

    expect(onlyClientState.status).toBe(400);
    expect(errorOf(empty.json).message).toBe(
      "Subscription must contain either the 'expirationDateTime' or 'notificationUrl' property and its value.",
    );
  });

  it('renews the expiry with PATCH and returns the full subscription', async () => {
    const id = await create();
    const expiry = inMinutes(world.graph.sim, 3_000);

    const { status, json } = await world.graph.call('PATCH', `/subscriptions/${id}`, { expirationDateTime: expiry });

    expect(status).toBe(200);
    expect(Date.parse(String(json.expirationDateTime))).toBe(Date.parse(expiry));
    expect(json.clientState).toBe('secret-client-state');
  });

  it('re-validates a changed notification URL and keeps the old one when that fails', async () => {
    const id = await create();
    world.receiver.behave((post) => (post.path === '/other' ? { status: 500 } : undefined));

    const failed = await world.graph.call('PATCH', `/subscriptions/${id}`, {
      notificationUrl: `${world.receiver.origin}/other`,
    });
    world.receiver.behave(undefined);
    const moved = await world.graph.call('PATCH', `/subscriptions/${id}`, {
      notificationUrl: `${world.receiver.origin}/other`,
    });

    expect(failed.status).toBe(400);
    expect(moved.status).toBe(200);
    expect(moved.json.notificationUrl).toBe(`${world.receiver.origin}/other`);
    expect(world.receiver.validations().filter((v) => v.path === '/other')).toHaveLength(2);
  });

  it('refuses to add a lifecycle URL by PATCH', async () => {
    const id = await create();

    const { status } = await world.graph.call('PATCH', `/subscriptions/${id}`, {
      lifecycleNotificationUrl: world.receiver.url,
      expirationDateTime: inMinutes(world.graph.sim, 100),
    });

    expect(status).toBe(400);
  });

  it('deletes with 204, after which GET, PATCH and DELETE answer 404 ResourceNotFound', async () => {
    const id = await create();

    const deleted = await world.graph.call('DELETE', `/subscriptions/${id}`);
    const get = await world.graph.call('GET', `/subscriptions/${id}`);
    const patch = await world.graph.call('PATCH', `/subscriptions/${id}`, {
      expirationDateTime: inMinutes(world.graph.sim, 100),
    });
    const again = await world.graph.call('DELETE', `/subscriptions/${id}`);

    expect(deleted.status).toBe(204);
    for (const response of [get, patch, again]) {
      expect(response.status).toBe(404);
      expect(errorOf(response.json)).toMatchObject({ code: 'ResourceNotFound', message: 'The object was not found.' });
    }
  });

  it('reauthorizes with 204 without moving the expiry', async () => {
    const id = await create();
    const before = await world.graph.call('GET', `/subscriptions/${id}`);

    const { status } = await world.graph.call('POST', `/subscriptions/${id}/reauthorize`);
    const after = await world.graph.call('GET', `/subscriptions/${id}`);

    expect(status).toBe(204);
    expect(after.json.expirationDateTime).toBe(before.json.expirationDateTime);
  });

  it('reaps a subscription at its expiry: later calls get 404', async () => {
    const id = await create({ expirationDateTime: inMinutes(world.graph.sim, 60) });

    await world.graph.sim.clock.advance(59 * 60_000);
    const alive = await world.graph.call('GET', `/subscriptions/${id}`);
    await world.graph.sim.clock.advance(60_000);
    const gone = await world.graph.call('GET', `/subscriptions/${id}`);
    const renew = await world.graph.call('PATCH', `/subscriptions/${id}`, {
      expirationDateTime: inMinutes(world.graph.sim, 100),
    });

    expect(alive.status).toBe(200);
    expect(gone.status).toBe(404);
    expect(renew.status).toBe(404);
    expect(world.graph.sim.subscriptions()).toHaveLength(0);
  });

  it("hides another app's subscriptions", async () => {
    const id = await create();
    const other = world.graph.sim.registerApp({ tenants: [world.graph.sim.tenants()[0]?.id ?? ''] });
    const token = await world.graph.sim.issueAccessToken(world.graph.sim.tenants()[0]?.id ?? '', other.clientId);

    const response = await world.graph.sim.fetch(`http://world.graph.sim/v1.0/subscriptions/${id}`, {
      headers: { authorization: `Bearer ${token}` },
    });

    expect(response.status).toBe(404);
  });
});

describe('subscription API throttling', () => {
  it('answers 429 with Retry-After after 25 list calls in 20 s for one app and tenant, and recovers', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 26; i++) statuses.push((await world.graph.call('GET', '/subscriptions')).status);
    const throttled = await world.graph.call('GET', '/subscriptions');
    await world.graph.sim.clock.advance(20_000);
    const recovered = await world.graph.call('GET', '/subscriptions');

    expect(statuses.slice(0, 25).every((s) => s === 200)).toBe(true);
    expect(statuses[25]).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('20');
    expect(errorOf(throttled.json).code).toBe('TooManyRequests');
    expect(recovered.status).toBe(200);
  });
});

describe('documented options of the handshake', () => {
  it("validates again on every renew and reauthorize by default, with Graph's timeout text when the webhook is slow", async () => {
    const { json } = await world.graph.call('POST', '/subscriptions', messagesSubscription());
    const id = String(json.id);
    world.receiver.behave(() => ({ status: 500 }));

    const renew = await world.graph.call('PATCH', `/subscriptions/${id}`, {
      expirationDateTime: inMinutes(world.graph.sim, 300),
    });
    const reauthorize = await world.graph.call('POST', `/subscriptions/${id}/reauthorize`);
    world.receiver.behave(undefined);
    world.graph.sim.faults.inject({ target: 'handshake', action: 'timeout' });
    const slow = await world.graph.call('PATCH', `/subscriptions/${id}`, {
      expirationDateTime: inMinutes(world.graph.sim, 300),
    });
    const later = await world.graph.call('PATCH', `/subscriptions/${id}`, {
      expirationDateTime: inMinutes(world.graph.sim, 300),
    });

    const not200 =
      'Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.';
    expect([renew.status, reauthorize.status]).toEqual([400, 400]);
    expect([errorOf(renew.json).message, errorOf(reauthorize.json).message]).toEqual([not200, not200]);
    expect(slow.status).toBe(400);
    expect(errorOf(slow.json)).toMatchObject({
      code: 'InvalidRequest',
      message: 'Subscription validation request timed out.',
    });
    expect(later.status).toBe(200);
  });

  it('renews and reauthorizes without a handshake when validateOnRenew and validateOnReauthorize are off', async () => {
    await world.restart({ subscriptions: { validateOnRenew: false, validateOnReauthorize: false } });
    const { json } = await world.graph.call('POST', '/subscriptions', messagesSubscription());
    const id = String(json.id);
    world.receiver.behave(() => ({ status: 500 }));

    const renew = await world.graph.call('PATCH', `/subscriptions/${id}`, {
      expirationDateTime: inMinutes(world.graph.sim, 300),
    });
    const reauthorize = await world.graph.call('POST', `/subscriptions/${id}/reauthorize`);

    expect([renew.status, reauthorize.status]).toEqual([200, 204]);
    expect(world.receiver.validations()).toHaveLength(1);
  });

  it('skips the handshake for a URL validated before when cacheValidatedUrls is set', async () => {
    await world.restart({ subscriptions: { cacheValidatedUrls: true } });
    const first = await world.graph.call('POST', '/subscriptions', messagesSubscription());
    await world.graph.call('DELETE', `/subscriptions/${String(first.json.id)}`);
    world.receiver.behave(() => ({ status: 500 }));

    const again = await world.graph.call('POST', '/subscriptions', messagesSubscription());

    expect(again.status).toBe(201);
    expect(world.receiver.validations()).toHaveLength(1);
  });
});

describe('bulk seeding (dev-only)', () => {
  it('creates many subscriptions at once, validating each URL once and counting none against the API throttling', async () => {
    const bodies = Array.from({ length: 600 }, (_, index) =>
      messagesSubscription({ resource: `users/${world.graph.userId}/messages?$filter=importance eq 'n${index}'` }),
    );

    const seeded = await world.graph.sim.seedSubscriptions(TENANT_ID, APP_ID, bodies);
    const validationsBySeeding = world.receiver.validations().length;
    const renewed = await world.graph.call('PATCH', `/subscriptions/${seeded[599]?.id ?? ''}`, {
      expirationDateTime: inMinutes(world.graph.sim, 300),
    });

    expect(seeded).toHaveLength(600);
    expect(world.graph.sim.subscriptions()).toHaveLength(600);
    expect(validationsBySeeding).toBe(1);
    expect(renewed.status).toBe(200);
  });

  it('refuses the whole seed, naming the body, when one would be refused by a create (here a duplicate within the seed)', async () => {
    const bodies = [
      messagesSubscription(),
      messagesSubscription({ resource: `users/${world.graph.userId}/events` }),
      messagesSubscription(),
    ];

    const refused = await world.graph.sim.seedSubscriptions(TENANT_ID, APP_ID, bodies).catch((error: unknown) => error);

    expect(refused).toMatchObject({
      status: 409,
      message: expect.stringMatching(
        /^subscriptions\[2\]: Subscription Id [0-9a-f-]{36} already exists for the requested combination$/,
      ) as string,
    });
    expect(world.graph.sim.subscriptions()).toEqual([]);
  });

  it('applies the quotas a create applies, counting the subscriptions that exist and those seeded before', async () => {
    await world.restart({ subscriptions: { quotas: { outlookPerMailbox: 3 } } });
    await world.graph.call('POST', '/subscriptions', messagesSubscription());
    const kinds = ['events', 'contacts', `mailFolders('inbox')/messages`];

    const refused = await world.graph.sim
      .seedSubscriptions(
        TENANT_ID,
        APP_ID,
        kinds.map((kind) => messagesSubscription({ resource: `users/${world.graph.userId}/${kind}` })),
      )
      .catch((error: unknown) => error);

    expect(refused).toMatchObject({ status: 403, message: expect.stringContaining('subscriptions[2]: ') as string });
    expect((refused as Error).message).toContain('3 per mailbox');
    expect(world.graph.sim.subscriptions()).toHaveLength(1);
  });
});
