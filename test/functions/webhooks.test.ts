import type { HttpResponseInit } from '@azure/functions';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { handleWebhook } from '../../src/functions/shared/webhook';
import { MAX_ITEM_DEPTH } from '../../src/lib/ingest/verifyNotification';
import { isGuid } from '../../src/lib/shared/guid';
import { hostileIds, nestedJson } from '../support/hostileInput';
import { buildServices, type AppServices } from '../../src/index';
import { loadConfig } from '../../src/lib/config';
import { QUEUE_MESSAGE_MAX_CHARS } from '../../src/lib/notifications';
import type { SubscriptionRecord } from '../../src/lib/subscriptions';
import { invocationContext, postRequest } from '../support/functions';
import {
  collection,
  driveRootNotification,
  TENANT_ID,
  lifecycleNotification,
  outlookMessageNotification,
  subscriptionRecord,
  userNotification,
} from '../support/notificationFactories';
import { peekAllMessages, readEnvelopes } from '../support/queues';
import { azuriteConnectionString, testEnvironment } from '../support/storage';

const notificationsUrl = 'http://localhost:7071/api/notifications?code=function-key';

let services: AppServices;
let mail: SubscriptionRecord;
let users: SubscriptionRecord;
let drive: SubscriptionRecord;

beforeEach(async () => {
  services = buildServices(loadConfig(testEnvironment()));
  mail = subscriptionRecord();
  users = subscriptionRecord({ resource: 'users', changeType: 'updated,deleted' });
  drive = subscriptionRecord({
    resource: 'drives/b!drive-1/root',
    changeType: 'updated',
    tenantId: '11111111-2222-3333-4444-555555555555',
  });
  await Promise.all([mail, users, drive].map((record) => services.subscriptions.create(record)));
});

async function post(
  body: string | Uint8Array,
  headers?: Record<string, string>,
  endpoint: 'notifications' | 'lifecycle' = 'notifications',
  url = notificationsUrl,
) {
  const { context, logs } = invocationContext();
  const response = await handleWebhook(endpoint, postRequest(url, body, headers), context, () => services.ingest);
  return { response, logs };
}

function problemOf(response: HttpResponseInit): unknown {
  if (typeof response.body !== 'string') throw new Error('expected a JSON text body');
  return JSON.parse(response.body);
}

async function queued(queue: 'notifications' | 'lifecycle' = 'notifications') {
  const { storage } = services.config;
  return readEnvelopes(
    azuriteConnectionString(),
    queue === 'notifications' ? storage.notificationsQueue : storage.lifecycleQueue,
    storage.payloadContainer,
  );
}

describe('validation handshake', () => {
  it.each([
    ['plain text', 'abc123', 'abc123'],
    [
      'spaces and colons as Graph sends them',
      'Validation%3A%20Testing%20client%20application%20reachability%20for%20subscription%20Request-Id%3A%20877cb92e',
      'Validation: Testing client application reachability for subscription Request-Id: 877cb92e',
    ],
    ['+ as a space, %2B as a plus', 'a+b%2Bc', 'a b+c'],
    ['percent-escaped unicode', '%E2%9C%93%20ok', '\u2713 ok'],
    ['markup, echoed as text only', '%3Cscript%3Ealert(1)%3C%2Fscript%3E', '<script>alert(1)</script>'],
  ])('echoes the decoded token: %s', async (_case, encoded, decoded) => {
    const url = `http://localhost:7071/api/notifications?code=k&validationToken=${encoded}`;
    const { response } = await post('', { 'content-type': 'text/plain; charset=utf-8' }, 'notifications', url);

    expect(response.status).toBe(200);
    expect(response.body).toBe(decoded);
    expect(response.headers).toMatchObject({
      'Content-Type': 'text/plain; charset=utf-8',
      'X-Content-Type-Options': 'nosniff',
    });
  });

  it('answers on the lifecycle endpoint too, whatever the body, without touching storage', async () => {
    services = buildServices(
      loadConfig(
        testEnvironment({
          AzureWebJobsStorage:
            'DefaultEndpointsProtocol=http;AccountName=x;AccountKey=eA==;QueueEndpoint=http://127.0.0.1:9/x;TableEndpoint=http://127.0.0.1:9/x;BlobEndpoint=http://127.0.0.1:9/x;',
        }),
      ),
    );

    const { response } = await post(
      '{"not":"empty"}',
      { 'content-type': 'application/json' },
      'lifecycle',
      'http://localhost:7071/api/lifecycle?validationToken=tok',
    );

    expect(response).toMatchObject({ status: 200, body: 'tok' });
  });
});

describe('notifications', () => {
  it('accepts the documented payload shapes, strips clientState and answers 202 after enqueueing', async () => {
    const items = [outlookMessageNotification(mail), userNotification(users), driveRootNotification(drive)];

    const { response } = await post(collection(items));
    const { raw, resolved } = await queued();

    expect(response.status).toBe(202);
    expect(response.body).toBeUndefined();
    expect(raw).toHaveLength(1);
    const expected = items.map(({ clientState: _secret, ...rest }) => rest);
    expect(resolved[0]?.items).toEqual(expected);
    expect(JSON.stringify(raw)).not.toContain(mail.clientState);
    expect(resolved[0]).toMatchObject({ v: 1, kind: 'notifications' });
  });

  it('drops items for unknown subscriptions, with a wrong clientState or a foreign tenant, and keeps the good ones', async () => {
    const good = userNotification(users);
    const unknown = userNotification({ ...users, subscriptionId: '99999999-9999-9999-9999-999999999999' });
    const forged = { ...userNotification(users), clientState: `${users.clientState}x` };
    const missingState = { ...userNotification(users), clientState: undefined };
    const foreignTenant = { ...outlookMessageNotification(mail), tenantId: drive.tenantId };

    const { response, logs } = await post(collection([unknown, forged, good, missingState, foreignTenant]));
    const { resolved } = await queued();

    expect(response.status).toBe(202);
    expect(resolved.flatMap((envelope) => envelope.items).map((item) => item.resource)).toEqual([good.resource]);
    const warnings = logs.filter((log) => log.level === 'warning').map((log) => log.message);
    expect(warnings.filter((w) => w.includes('unknownSubscription'))).toEqual([
      'Rejected 1 notification(s) on /notifications: unknownSubscription',
    ]);
    expect(warnings.filter((w) => w.includes('clientStateMismatch'))).toEqual([
      'Rejected 2 notification(s) on /notifications: clientStateMismatch',
    ]);
    expect(warnings.filter((w) => w.includes('tenantMismatch'))).toHaveLength(1);
    expect(logs.map((log) => log.message).join('\n')).not.toContain(users.clientState);
  });

  it('routes lifecycle items that arrive on the notification URL to the lifecycle queue', async () => {
    const { response } = await post(
      collection([userNotification(users), lifecycleNotification(mail, 'missed', 'organizationId')]),
    );

    expect(response.status).toBe(202);
    expect((await queued('notifications')).resolved.flatMap((envelope) => envelope.items)).toHaveLength(1);
    const lifecycle = (await queued('lifecycle')).resolved;
    expect(lifecycle).toHaveLength(1);
    expect(lifecycle[0]?.items[0]).toMatchObject({
      lifecycleEvent: 'missed',
      tenantId: mail.tenantId,
      subscriptionId: mail.subscriptionId,
    });
  });

  it('enqueues lifecycle notifications posted to /api/lifecycle with their validation tokens', async () => {
    const { response } = await post(
      collection(
        [lifecycleNotification(mail, 'reauthorizationRequired'), lifecycleNotification(users, 'subscriptionRemoved')],
        ['jwt'],
      ),
      undefined,
      'lifecycle',
    );

    expect(response.status).toBe(202);
    const { resolved } = await queued('lifecycle');
    expect(resolved).toHaveLength(1);
    expect(resolved[0]?.items.map((item) => item.lifecycleEvent)).toEqual([
      'reauthorizationRequired',
      'subscriptionRemoved',
    ]);
    expect(resolved[0]?.validationTokens).toEqual(['jwt']);
  });

  it('packs a large batch into as few messages as fit, each within the 64 KiB base64 limit', async () => {
    const items = Array.from({ length: 300 }, () => outlookMessageNotification(mail));

    const { response } = await post(collection(items));
    const { texts, resolved } = await queued();

    expect(response.status).toBe(202);
    const totalJson = texts.reduce((sum, text) => sum + Buffer.byteLength(text), 0);
    expect(texts.length).toBe(Math.ceil(totalJson / ((QUEUE_MESSAGE_MAX_CHARS / 4) * 3)));
    expect(texts.every((text) => Buffer.from(text).toString('base64').length <= QUEUE_MESSAGE_MAX_CHARS)).toBe(true);
    expect(resolved.flatMap((envelope) => envelope.items)).toHaveLength(300);
  });

  it('stores an item too large for a queue message in a blob and enqueues a claim check', async () => {
    const huge: Record<string, unknown> = {
      ...outlookMessageNotification(mail),
      resourceData: { id: 'big', padding: 'p'.repeat(70_000) },
    };
    const small = userNotification(users);

    const { response } = await post(collection([huge, small]));
    const { raw, resolved } = await queued();

    expect(response.status).toBe(202);
    expect(raw).toHaveLength(2);
    const claim = raw.find((envelope) => 'claimCheck' in envelope);
    expect(claim).toMatchObject({ claimCheck: { itemCount: 1 } });
    const items = resolved.flatMap((envelope) => envelope.items);
    expect(items.map((item) => item.resource).sort()).toEqual([huge.resource, small.resource].sort());
    expect(JSON.stringify(items)).not.toContain(mail.clientState);
  });
});

describe('bad input', () => {
  it.each([
    [
      'malformed JSON',
      '{"value": [',
      { 'content-type': 'application/json' },
      400,
      'ERR_INGEST_MALFORMED_JSON',
      /not valid JSON/,
    ],
    [
      'a JSON array',
      '[]',
      { 'content-type': 'application/json' },
      400,
      'ERR_INGEST_INVALID_COLLECTION',
      /"value" array/,
    ],
    [
      'value not an array',
      '{"value": {}}',
      { 'content-type': 'application/json' },
      400,
      'ERR_INGEST_INVALID_COLLECTION',
      /"value" must be an array/,
    ],
    [
      'an empty value',
      '{"value": []}',
      { 'content-type': 'application/json' },
      400,
      'ERR_INGEST_INVALID_COLLECTION',
      /"value" is empty/,
    ],
    [
      'bad validationTokens',
      '{"value": [{}], "validationTokens": "x"}',
      { 'content-type': 'application/json' },
      400,
      'ERR_INGEST_INVALID_COLLECTION',
      /validationTokens/,
    ],
    [
      'text/plain content',
      '{"value": []}',
      { 'content-type': 'text/plain' },
      415,
      'ERR_INGEST_UNSUPPORTED_MEDIA_TYPE',
      /application\/json/,
    ],
    [
      'no content type',
      new TextEncoder().encode('{"value": []}'),
      {},
      415,
      'ERR_INGEST_UNSUPPORTED_MEDIA_TYPE',
      /got none/,
    ],
    [
      'invalid UTF-8',
      new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]),
      { 'content-type': 'application/json' },
      400,
      'ERR_INGEST_MALFORMED_JSON',
      /not valid JSON/,
    ],
  ])('answers %s with a problem document and enqueues nothing', async (_case, body, headers, status, code, detail) => {
    const { response } = await post(body, headers);

    expect(response.status).toBe(status);
    expect(response.headers).toMatchObject({ 'Content-Type': 'application/problem+json' });
    const problem = problemOf(response) as { code: string; detail: string; status: number };
    expect(problem).toMatchObject({ code, status });
    expect(problem.detail).toMatch(detail);
    expect(await peekAllMessages(azuriteConnectionString(), services.config.storage.notificationsQueue)).toEqual([]);
  });

  it('refuses a body over the size limit with 413, by declared length or by actual size', async () => {
    services = buildServices(loadConfig(testEnvironment({ INGEST_MAX_BODY_BYTES: '2048' })));
    const body = collection(Array.from({ length: 10 }, () => outlookMessageNotification(mail)));

    const declared = await post(body, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
    });
    const actual = await post(body, { 'content-type': 'application/json' });

    expect(declared.response.status).toBe(413);
    expect(actual.response.status).toBe(413);
    expect(problemOf(actual.response)).toMatchObject({ code: 'ERR_INGEST_BODY_TOO_LARGE' });
  });

  it('refuses more than 10,000 items with 413 before parsing, and enqueues nothing', async () => {
    // Genuine items take over 420 bytes each: 10,001 of them pass the 4 MiB limit, so only tiny forged ones get here.
    const genuine = JSON.stringify(userNotification(users));
    const body = `{"value":[${genuine},${Array.from({ length: 10_000 }, () => '{}').join(',')}]}`;

    const { response } = await post(body, { 'content-type': 'application/json' });

    expect(response.status).toBe(413);
    expect(problemOf(response)).toMatchObject({ code: 'ERR_INGEST_TOO_MANY_ITEMS', status: 413 });
    expect(await peekAllMessages(azuriteConnectionString(), services.config.storage.notificationsQueue)).toEqual([]);
  });

  it('never answers 5xx and never enqueues an unverified item, whatever the body', async () => {
    const knownIds = [mail.subscriptionId, users.subscriptionId];
    const item = fc.record(
      {
        subscriptionId: fc.oneof(fc.constantFrom(...knownIds), fc.uuid(), fc.anything()),
        clientState: fc.oneof(fc.constant('wrong'), fc.string(), fc.anything()),
        tenantId: fc.oneof(fc.constant(mail.tenantId), fc.uuid(), fc.anything()),
        changeType: fc.oneof(fc.constant('updated'), fc.anything()),
        lifecycleEvent: fc.oneof(fc.constant('missed'), fc.anything()),
        resource: fc.oneof(fc.constant('users/x'), fc.anything()),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      fc.string(),
      fc.json(),
      fc.record({ value: fc.array(item, { maxLength: 5 }) }).map((value) => JSON.stringify(value)),
      fc.record({ value: fc.anything(), validationTokens: fc.anything() }).map((value) => JSON.stringify(value)),
    );

    await fc.assert(
      fc.asyncProperty(
        body,
        fc.constantFrom('application/json', 'text/plain', 'application/json; charset=utf-8'),
        async (text, contentType) => {
          const { response } = await post(text, { 'content-type': contentType });
          expect(response.status).toBeLessThan(500);
        },
      ),
      { numRuns: 120 },
    );

    // No generated item could carry a matching clientState, so nothing may have been enqueued.
    expect(await peekAllMessages(azuriteConnectionString(), services.config.storage.notificationsQueue)).toEqual([]);
    expect(await peekAllMessages(azuriteConnectionString(), services.config.storage.lifecycleQueue)).toEqual([]);
  });
});

describe('hostile input', () => {
  it('refuses a subscription id that is not a GUID as an invalid item, without a storage call or a 5xx', async () => {
    const pathy = { ...userNotification(users), subscriptionId: `${users.subscriptionId}/../x` };
    const quoted = { ...userNotification(users), subscriptionId: "x' or PartitionKey ne '" };

    const { response, logs } = await post(collection([pathy, quoted, userNotification(users)]));

    expect(response.status).toBe(202);
    expect((await queued()).resolved.flatMap((envelope) => envelope.items)).toHaveLength(1);
    expect(logs.filter((log) => log.level === 'warning').map((log) => log.message)).toEqual([
      'Rejected 2 notification(s) on /notifications: invalidItem (first: subscriptionId: not a GUID)',
    ]);
  });

  it('refuses a verified item nested 6,000 deep as an invalid item, and keeps the rest', async () => {
    const good = userNotification(users);
    const deep = JSON.stringify(outlookMessageNotification(mail)).replace(
      /}$/,
      `,"resourceData":${nestedJson(6_000)}}`,
    );
    const body = `{"value":[${deep},${JSON.stringify(good)}]}`;

    const { response, logs } = await post(body);

    expect(response.status).toBe(202);
    expect((await queued()).resolved.flatMap((envelope) => envelope.items).map((item) => item.resource)).toEqual([
      good.resource,
    ]);
    expect(
      logs.some((log) =>
        log.message.includes(`invalidItem (first: item: nested deeper than ${MAX_ITEM_DEPTH} levels)`),
      ),
    ).toBe(true);
  });

  it('answers a 10,000-item forged POST with 202 and one log line per reason, with counts', async () => {
    const forgedItem = (subscriptionId: string) => ({
      subscriptionId,
      clientState: 'guess',
      changeType: 'updated',
      resource: `Users/${randomUUID()}`,
      tenantId: TENANT_ID,
    });
    const forged = Array.from({ length: 10_000 }, (_, n) => forgedItem(n % 2 === 0 ? randomUUID() : `forged-${n}`));

    const { response, logs } = await post(collection(forged));

    expect(response.status).toBe(202);
    expect(logs.filter((log) => log.level === 'warning').map((log) => log.message)).toEqual([
      'Rejected 5000 notification(s) on /notifications: invalidItem (first: subscriptionId: not a GUID)',
      'Rejected 5000 notification(s) on /notifications: unknownSubscription',
    ]);
  });

  it('never reports an error that is not a storage failure as an outage', async () => {
    const broken = {
      ...services.ingest,
      notificationsQueue: { send: () => Promise.reject(new TypeError('Do not know how to serialize a BigInt')) },
    };
    const { context } = invocationContext();

    const response = await handleWebhook(
      'notifications',
      postRequest(notificationsUrl, collection([userNotification(users)])),
      context,
      () => broken,
    );

    expect(response.status).toBe(500);
    expect(response.headers).not.toHaveProperty('Retry-After');
    expect(problemOf(response)).toMatchObject({ code: 'ERR_UNEXPECTED' });
  });

  it('never answers 5xx to hostile ids, tenants or nesting, verified or not', async () => {
    const known = [mail, users];
    const item = fc.record({
      subscription: fc.constantFrom(...known),
      subscriptionId: fc.option(hostileIds, { nil: undefined }),
      tenantId: fc.option(fc.oneof(hostileIds, fc.constant(TENANT_ID.toUpperCase())), { nil: undefined }),
      genuineClientState: fc.boolean(),
      depth: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 8_000 })),
    });

    await fc.assert(
      fc.asyncProperty(fc.array(item, { minLength: 1, maxLength: 6 }), async (items) => {
        const texts = items.map(({ subscription, subscriptionId, tenantId, genuineClientState, depth }) => {
          const base = {
            ...userNotification(subscription),
            clientState: genuineClientState ? subscription.clientState : 'forged',
            ...(subscriptionId === undefined ? {} : { subscriptionId }),
            ...(tenantId === undefined ? {} : { tenantId }),
          };
          return JSON.stringify(base).replace(/}$/, `,"resourceData":${nestedJson(depth)}}`);
        });
        const { response } = await post(`{"value":[${texts.join(',')}]}`);
        expect(response.status).toBe(202);
      }),
      { numRuns: 60 },
    );

    // Whatever was accepted is shallow enough to serialise and names a GUID subscription and tenant.
    const accepted = (await queued()).resolved.flatMap((envelope) => envelope.items);
    expect(accepted.every((entry) => isGuid(String(entry.subscriptionId)) && isGuid(String(entry.tenantId)))).toBe(
      true,
    );
  });
});

describe('storage outage', () => {
  it('answers 503 with Retry-After when the queue cannot be written, and acknowledges nothing', async () => {
    const down = buildServices(
      loadConfig(
        testEnvironment({
          AzureWebJobsStorage: azuriteConnectionString().replace(
            /QueueEndpoint=http:\/\/127\.0\.0\.1:\d+/,
            'QueueEndpoint=http://127.0.0.1:9',
          ),
        }),
      ),
    );
    await down.subscriptions.create(users);
    const { context, logs } = invocationContext();

    const started = Date.now();
    const response = await handleWebhook(
      'notifications',
      postRequest(notificationsUrl, collection([userNotification(users)])),
      context,
      () => down.ingest,
    );

    expect(response.status).toBe(503);
    expect(response.headers).toMatchObject({ 'Retry-After': '10', 'Content-Type': 'application/problem+json' });
    expect(problemOf(response)).toMatchObject({ code: 'ERR_STORAGE_UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(logs.some((log) => log.level === 'error' && log.message.includes('answering 503'))).toBe(true);
    expect(logs.map((log) => log.message).join('\n')).not.toMatch(/AccountKey=(?!\*\*\*)/);
  });

  it('answers 503 when the subscription table cannot be read', async () => {
    const down = buildServices(
      loadConfig(
        testEnvironment({
          AzureWebJobsStorage: azuriteConnectionString().replace(
            /TableEndpoint=http:\/\/127\.0\.0\.1:\d+/,
            'TableEndpoint=http://127.0.0.1:9',
          ),
        }),
      ),
    );
    const { context } = invocationContext();

    const response = await handleWebhook(
      'notifications',
      postRequest(notificationsUrl, collection([userNotification(users)])),
      context,
      () => down.ingest,
    );

    expect(response.status).toBe(503);
  });
});
