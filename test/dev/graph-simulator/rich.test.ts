/**
 * Rich notifications checked the way a receiver would, with code written here from the documented
 * algorithm (docs/graph-protocol.md §5.3) and not from the simulator: RSA-OAEP-SHA1 unwrap, HMAC-SHA256 over the raw
 * ciphertext, AES-256-CBC/PKCS7 with IV = key[0:16]; validation tokens verified against the published JWKS.
 */
import {
  X509Certificate,
  constants,
  createDecipheriv,
  createHash,
  createHmac,
  privateDecrypt,
  timingSafeEqual,
} from 'node:crypto';
import fc from 'fast-check';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CHANGE_TRACKING_APP_ID,
  EXACT_DELIVERY,
  startGraphSimulator,
  type GraphSimulatorOptions,
  type RunningGraphSimulator,
} from '../../../dev/graph-simulator/index.js';
import { encryptResourceData, parseEncryptionCertificate } from '../../../dev/graph-simulator/richNotifications.js';
import { createDevCertificate } from '../../../dev/run/devCertificate.js';
import { APP_ID, SIGNING_KEY_PEM, TENANT_ID, fixture, inMinutes, startReceiver, type Receiver } from './support.js';

const CERT_PEM = fixture('encryption-cert.pem');
const KEY_PEM = fixture('encryption-cert.key.pem');
const CERT_BASE64_DER = CERT_PEM.replace(/-----[A-Z ]+-----|\s/g, '');

interface Encrypted {
  data: string;
  dataKey: string;
  dataSignature: string;
  encryptionCertificateId: string;
  encryptionCertificateThumbprint: string;
}

/** The receiver side of docs/graph-protocol.md §5.3, step by step. */
function decrypt(content: Encrypted, privateKeyPem: string): unknown {
  const key = privateDecrypt(
    { key: privateKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
    Buffer.from(content.dataKey, 'base64'),
  );
  expect(key).toHaveLength(32);
  const ciphertext = Buffer.from(content.data, 'base64');
  const expected = createHmac('sha256', key).update(ciphertext).digest();
  const actual = Buffer.from(content.dataSignature, 'base64');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected))
    throw new Error('dataSignature mismatch');
  const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
  return JSON.parse(Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8')) as unknown;
}

let receiver: Receiver;
let sim: RunningGraphSimulator;
let userId: string;

/** Exactly-once, immediate delivery: these tests read exact POSTs; deliveryRealism.test.ts covers the defaults. */
async function start(options: GraphSimulatorOptions = {}): Promise<void> {
  sim = await startGraphSimulator({
    delivery: EXACT_DELIVERY,
    allowHttpLoopback: true,
    signingKeyPem: SIGNING_KEY_PEM,
    tenants: [{ id: TENANT_ID }],
    apps: [{ clientId: APP_ID, clientSecrets: ['s'] }],
    ...options,
  });
  userId = String(sim.mutate(TENANT_ID, { kind: 'user', op: 'create' })?.id);
}

async function postRich(resource: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const token = await sim.issueAccessToken(TENANT_ID, APP_ID);
  const response = await fetch(`${sim.graphBaseUrl}/subscriptions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      changeType: 'created,updated',
      notificationUrl: receiver.url,
      lifecycleNotificationUrl: receiver.url,
      resource,
      expirationDateTime: inMinutes(sim, 60),
      clientState: 'rich-state',
      includeResourceData: true,
      encryptionCertificate: CERT_BASE64_DER,
      encryptionCertificateId: 'cert-2026',
    }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function createRich(resource: string): Promise<string> {
  const { status, json } = await postRich(resource);
  expect(status).toBe(201);
  return String(json.id);
}

beforeEach(async () => {
  receiver = await startReceiver();
  await start();
});

afterEach(async () => {
  await sim.stop();
  await receiver.stop();
});

describe('rich notifications', () => {
  it('encrypts the $select-ed message so an independent decryption recovers it', async () => {
    await createRich(`users/${userId}/messages?$select=subject,isRead`);

    const message = sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId, data: { subject: 'Top secret' } });
    await sim.clock.settle();

    const [item] = receiver.notifications();
    const content = item?.encryptedContent as Encrypted;
    expect(item).toMatchObject({
      resource: `Users('${userId}')/messages('${String(message?.id)}')`,
      resourceData: { '@odata.type': '#microsoft.graph.message' },
    });
    expect(content.encryptionCertificateId).toBe('cert-2026');
    expect(content.encryptionCertificateThumbprint).toBe(
      createHash('sha1').update(new X509Certificate(CERT_PEM).raw).digest('hex').toUpperCase(),
    );
    expect(decrypt(content, KEY_PEM)).toEqual({
      '@odata.type': '#microsoft.graph.message',
      id: message?.id,
      subject: 'Top secret',
      isRead: false,
      '@odata.etag': message?.['@odata.etag'],
    });
  });

  it("annotates Outlook's date-time properties in the rich content, and refuses such annotations in a $select as Graph does", async () => {
    await createRich(`users/${userId}/messages?$select=subject,receivedDateTime`);

    const message = sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId, data: { subject: 'Typed' } });
    await sim.clock.settle();
    const content = decrypt(receiver.notifications()[0]?.encryptedContent as Encrypted, KEY_PEM);
    const token = await sim.issueAccessToken(TENANT_ID, APP_ID);
    const read = async (select: string) => {
      const response = await fetch(
        `${sim.graphBaseUrl}/users/${userId}/messages/${String(message?.id)}?$select=${encodeURIComponent(select)}`,
        { headers: { authorization: `Bearer ${token}` } },
      );
      return { status: response.status, json: (await response.json()) as { error?: { code?: string } } };
    };
    const annotated = await read('subject,receivedDateTime@odata.type');
    const plain = await read('subject,receivedDateTime');

    expect(content).toMatchObject({
      subject: 'Typed',
      receivedDateTime: message?.receivedDateTime,
      'receivedDateTime@odata.type': '#DateTimeOffset',
    });
    expect(annotated.status).toBe(400);
    expect(annotated.json.error?.code).toBe('BadRequest');
    expect(plain.status).toBe(200);
  });

  it('signs one validation token per app and tenant with the documented v2 claims (iss login.microsoftonline.com, azp), verifiable via the JWKS', async () => {
    await createRich(`users/${userId}/messages?$select=subject`);

    sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId });
    sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId });
    await sim.clock.settle();

    const [collection] = receiver.collections();
    expect(collection?.value).toHaveLength(2);
    expect(collection?.validationTokens).toHaveLength(1);
    const { payload } = await jwtVerify(
      collection?.validationTokens?.[0] ?? '',
      createRemoteJWKSet(new URL(sim.jwksUrl)),
      {
        audience: APP_ID,
        issuer: `https://login.microsoftonline.com/${TENANT_ID}/v2.0`,
      },
    );
    expect(payload).toMatchObject({ azp: CHANGE_TRACKING_APP_ID, tid: TENANT_ID, ver: '2.0' });
    expect(payload).not.toHaveProperty('appid');
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(86_700);
  });

  it('with a rich item in the POST, signs a token for every (app, tenant) pair with an item, basic ones included', async () => {
    const otherTenant = sim.addTenant().id;
    const otherUser = String(sim.mutate(otherTenant, { kind: 'user', op: 'create' })?.id);
    await createRich(`users/${userId}/messages?$select=subject`);
    const token = await sim.issueAccessToken(otherTenant, APP_ID);
    const basic = await fetch(`${sim.graphBaseUrl}/subscriptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        changeType: 'created',
        notificationUrl: receiver.url,
        resource: `users/${otherUser}/messages`,
        expirationDateTime: inMinutes(sim, 60),
      }),
    });
    expect(basic.status).toBe(201);

    sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId });
    sim.mutate(otherTenant, { kind: 'message', op: 'create', userId: otherUser });
    await sim.clock.settle();

    const mixed = receiver.collections().find((collection) => collection.value.length === 2);
    const tenants = await Promise.all(
      (mixed?.validationTokens ?? []).map(async (jwt) => {
        const { payload } = await jwtVerify(jwt, createRemoteJWKSet(new URL(sim.jwksUrl)), { audience: APP_ID });
        return payload.tid;
      }),
    );
    expect(mixed?.value.filter((item) => item.encryptedContent !== undefined)).toHaveLength(1);
    expect(tenants.sort()).toEqual([TENANT_ID, otherTenant].sort());
  });

  it('issues v1 tokens (sts.windows.net, appid) when configured', async () => {
    await sim.stop();
    await start({ validationTokens: { issuer: 'v1' } });
    await createRich(`users/${userId}/messages?$select=subject`);

    sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId });
    await sim.clock.settle();

    const token = receiver.collections()[0]?.validationTokens?.[0] ?? '';
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(sim.jwksUrl)), {
      issuer: `https://sts.windows.net/${TENANT_ID}/`,
      audience: APP_ID,
    });
    expect(payload).toMatchObject({ appid: CHANGE_TRACKING_APP_ID, ver: '1.0' });
  });

  it("refuses a rich Outlook subscription without $select with Graph's error; requireSelectForRichOutlook: false accepts it", async () => {
    const refused = await postRich(`users/${userId}/events`);
    await sim.stop();
    await start({ subscriptions: { requireSelectForRichOutlook: false } });
    const accepted = await postRich(`users/${userId}/events`);

    expect(refused.status).toBe(400);
    expect(refused.json.error).toMatchObject({
      code: 'ExtensionError',
      message:
        'Operation: Create; Exception: [Status Code: BadRequest; Reason: select clause should be present in query string to support rich notifications]',
    });
    expect(accepted.status).toBe(201);
  });

  it('sends validation tokens only with rich change notifications, not on lifecycle POSTs unless validationTokensOnLifecycle', async () => {
    const lifecycleTokens = async (): Promise<unknown> => {
      const id = await createRich(`users/${userId}/messages?$select=subject`);
      sim.lifecycle(id, 'reauthorizationRequired');
      await sim.clock.settle();
      return receiver.collections().find((c) => c.value.some((n) => n.lifecycleEvent !== undefined))?.validationTokens;
    };
    const strict = await lifecycleTokens();
    await sim.stop();
    await receiver.stop();
    receiver = await startReceiver();
    await start({ lifecycle: { validationTokensOnLifecycle: true } });
    const fieldReport = await lifecycleTokens();

    expect(strict).toBeUndefined();
    expect(fieldReport).toHaveLength(1);
  });

  it('sends no validation tokens with basic notifications', async () => {
    const token = await sim.issueAccessToken(TENANT_ID, APP_ID);
    await fetch(`${sim.graphBaseUrl}/subscriptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        changeType: 'created',
        notificationUrl: receiver.url,
        resource: `users/${userId}/messages`,
        expirationDateTime: inMinutes(sim, 60),
      }),
    });

    sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId });
    await sim.clock.settle();

    expect(receiver.collections()[0]).not.toHaveProperty('validationTokens');
    expect(receiver.notifications()[0]).not.toHaveProperty('encryptedContent');
  });

  it('keeps encrypting with the old certificate for an hour after a PATCH rotates it; oldCertificateOverlapMs: 0 switches at once', async () => {
    const rotated = createDevCertificate({ certificateId: 'cert-2027' });
    const rotate = async (): Promise<{ old: Encrypted; overlapEnd: Encrypted | undefined; after: Encrypted }> => {
      const id = await createRich(`users/${userId}/messages?$select=subject`);
      const token = await sim.issueAccessToken(TENANT_ID, APP_ID);
      const patched = await fetch(`${sim.graphBaseUrl}/subscriptions/${id}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          expirationDateTime: inMinutes(sim, 600),
          encryptionCertificate: rotated.certificatePem.replace(/-----[A-Z ]+-----|\s/g, ''),
          encryptionCertificateId: rotated.certificateId,
        }),
      });
      expect(patched.status).toBe(200);
      const contentOfNext = async (subject: string): Promise<Encrypted> => {
        const before = receiver.notifications().length;
        sim.mutate(TENANT_ID, { kind: 'message', op: 'create', userId, data: { subject } });
        await sim.clock.settle();
        return receiver.notifications()[before]?.encryptedContent as Encrypted;
      };
      const old = await contentOfNext('right after the rotation');
      await sim.clock.advance(59 * 60_000);
      const overlapEnd = await contentOfNext('59 minutes later');
      await sim.clock.advance(2 * 60_000);
      return { old, overlapEnd, after: await contentOfNext('an hour later') };
    };
    await sim.stop();
    await start({ subscriptions: { accessTokenLifetimeMs: null } });

    const overlapping = await rotate();
    await sim.stop();
    await start({ subscriptions: { accessTokenLifetimeMs: null, oldCertificateOverlapMs: 0 } });
    const immediate = await rotate();

    expect(overlapping.old.encryptionCertificateId).toBe('cert-2026');
    expect(decrypt(overlapping.old, KEY_PEM)).toMatchObject({ subject: 'right after the rotation' });
    expect(overlapping.overlapEnd?.encryptionCertificateId).toBe('cert-2026');
    expect(overlapping.after.encryptionCertificateId).toBe('cert-2027');
    expect(decrypt(overlapping.after, rotated.privateKeyPem)).toMatchObject({ subject: 'an hour later' });
    expect(immediate.old.encryptionCertificateId).toBe('cert-2027');
    expect(decrypt(immediate.old, rotated.privateKeyPem)).toMatchObject({ subject: 'right after the rotation' });
  });

  it('limits rich Outlook subscriptions to 1,440 minutes', async () => {
    const token = await sim.issueAccessToken(TENANT_ID, APP_ID);

    const response = await fetch(`${sim.graphBaseUrl}/subscriptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        changeType: 'created',
        notificationUrl: receiver.url,
        resource: `users/${userId}/messages?$select=subject`,
        expirationDateTime: inMinutes(sim, 1_441),
        includeResourceData: true,
        encryptionCertificate: CERT_BASE64_DER,
        encryptionCertificateId: 'c',
      }),
    });

    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toBe(
      'Subscription expiration can only be 1440 minutes in the future.',
    );
  });

  it('round-trips any JSON through the documented encryption (property)', () => {
    const certificate = parseEncryptionCertificate(CERT_BASE64_DER);

    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const content = encryptResourceData(certificate, 'id', value);
        expect(decrypt(content, KEY_PEM)).toEqual(JSON.parse(JSON.stringify(value)) as unknown);
      }),
      { numRuns: 40 },
    );
  });

  it('produces a signature that catches a single flipped ciphertext bit', () => {
    const content = encryptResourceData(parseEncryptionCertificate(CERT_BASE64_DER), 'id', { a: 1 });
    const bytes = Buffer.from(content.data, 'base64');
    bytes[0] = (bytes[0] ?? 0) ^ 1;

    expect(() => decrypt({ ...content, data: bytes.toString('base64') }, KEY_PEM)).toThrow('dataSignature mismatch');
  });
});
