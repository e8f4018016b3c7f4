import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  GRAPH_CHANGE_TRACKING_APP_ID,
  ValidationKeysUnavailable,
  ValidationTokenInvalid,
  createValidationKeySet,
  verifyValidationTokens,
  type ValidationKeySet,
  type ValidationTokenContext,
  type ValidationTokenReason,
} from '../../../src/lib/richNotifications';

const APP_ID = '11111111-1111-4111-8111-111111111111';
const TENANT = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const OTHER_TENANT = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
const NOW = new Date('2026-03-01T10:00:00Z');
const NOW_SECONDS = NOW.getTime() / 1000;
const ISSUER_TEMPLATES = ['https://sts.windows.net/{tenantId}/', 'https://login.microsoftonline.com/{tenantId}/v2.0'];

interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

let jwks: Server;
let jwksUrl: string;
let jwksFetches: number;
let published: JWK[];
let signing: SigningKey;
let intruder: SigningKey;
let keys: ValidationKeySet;

async function signingKey(kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'RS256' } };
}

beforeAll(async () => {
  signing = await signingKey('graph-key-1');
  intruder = await signingKey('graph-key-1');
  published = [signing.publicJwk];
  jwks = createServer((_request, response) => {
    jwksFetches += 1;
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.end(JSON.stringify({ keys: published }));
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/common/discovery/v2.0/keys`;
});

afterAll(async () => {
  await new Promise((resolve) => jwks.close(resolve));
});

beforeEach(() => {
  jwksFetches = 0;
  published = [signing.publicJwk];
  keys = createValidationKeySet(jwksUrl);
});

/** A v1.0 validation token as Graph's Change Tracking app would send it for `tenant`. */
function v1Claims(tenant = TENANT): Record<string, unknown> {
  return {
    aud: APP_ID,
    iss: `https://sts.windows.net/${tenant}/`,
    appid: GRAPH_CHANGE_TRACKING_APP_ID,
    ver: '1.0',
    tid: tenant,
    iat: NOW_SECONDS - 60,
    nbf: NOW_SECONDS - 60,
    exp: NOW_SECONDS + 86_400,
  };
}

/** A v2.0 token: azp instead of appid, the login.microsoftonline.com issuer (docs/graph-protocol.md §5.4). */
function v2Claims(tenant = TENANT): Record<string, unknown> {
  return {
    ...v1Claims(tenant),
    iss: `https://login.microsoftonline.com/${tenant}/v2.0`,
    appid: undefined,
    azp: GRAPH_CHANGE_TRACKING_APP_ID,
    azpacr: '2',
    ver: '2.0',
  };
}

async function sign(claims: Record<string, unknown>, key: SigningKey = signing, alg = 'RS256'): Promise<string> {
  const defined = Object.fromEntries(Object.entries(claims).filter(([, value]) => value !== undefined));
  return new SignJWT(defined).setProtectedHeader({ alg, kid: key.kid, typ: 'JWT' }).sign(key.privateKey);
}

function context(overrides: Partial<ValidationTokenContext> = {}): ValidationTokenContext {
  return { appId: APP_ID, issuerTemplates: ISSUER_TEMPLATES, keys, tenantIds: [TENANT], now: NOW, ...overrides };
}

async function rejectionOf(promise: Promise<unknown>): Promise<ValidationTokenInvalid> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof ValidationTokenInvalid))
    throw new Error(`expected ValidationTokenInvalid, got ${String(error)}`);
  return error;
}

describe('verifyValidationTokens', () => {
  it('accepts a v1.0 token (appid) and a v2.0 token (azp), one per tenant', async () => {
    const tokens = [await sign(v1Claims(TENANT)), await sign(v2Claims(OTHER_TENANT))];

    const verified = await verifyValidationTokens(tokens, context({ tenantIds: [TENANT, OTHER_TENANT.toUpperCase()] }));

    expect([...verified.tenantIds].sort()).toEqual([TENANT, OTHER_TENANT]);
  });

  it('fetches the JWKS once for many verifications', async () => {
    const token = await sign(v1Claims());

    for (let round = 0; round < 5; round += 1) await verifyValidationTokens([token], context());

    expect(jwksFetches).toBe(1);
  });

  it('picks up a rotated signing key without a restart', async () => {
    keys = createValidationKeySet(jwksUrl, { cooldownMs: 0 });
    await verifyValidationTokens([await sign(v1Claims())], context());
    const rotated = await signingKey('graph-key-2');
    published = [signing.publicJwk, rotated.publicJwk];

    await verifyValidationTokens([await sign(v1Claims(), rotated)], context());

    expect(jwksFetches).toBe(2);
  });

  it('does not refetch the JWKS for forged key ids within the cooldown', async () => {
    await verifyValidationTokens([await sign(v1Claims())], context());

    for (let round = 0; round < 3; round += 1) {
      const forged = await sign(v1Claims(), await signingKey(`invented-${round}`));
      expect((await rejectionOf(verifyValidationTokens([forged], context()))).reason).toBe('signature');
    }

    expect(jwksFetches).toBe(1);
  });

  it('accepts a basic notification: no tokens and no encrypted items', async () => {
    await expect(verifyValidationTokens(undefined, context({ tenantIds: [] }))).resolves.toEqual({ tenantIds: [] });
  });

  it.each<[string, () => Promise<unknown[] | null>, ValidationTokenReason]>([
    ['signed by another key under the published kid', async () => [await sign(v1Claims(), intruder)], 'signature'],
    [
      'signed by a key the JWKS does not have',
      async () => [await sign(v1Claims(), await signingKey('invented'))],
      'signature',
    ],
    [
      'for another audience',
      async () => [await sign({ ...v1Claims(), aud: '99999999-9999-4999-8999-999999999999' })],
      'audience',
    ],
    ['v1.0 from another app (appid)', async () => [await sign({ ...v1Claims(), appid: APP_ID })], 'publisher'],
    ['v2.0 from another app (azp)', async () => [await sign({ ...v2Claims(), azp: APP_ID })], 'publisher'],
    ['without a version', async () => [await sign({ ...v1Claims(), ver: undefined })], 'publisher'],
    // Graph's own token for another tenant of a shared URL vouches for nothing here (docs/graph-protocol.md §5.4).
    ['only for another tenant', async () => [await sign(v1Claims(OTHER_TENANT))], 'missing'],
    [
      'issued by a lookalike issuer',
      async () => [await sign({ ...v1Claims(), iss: `https://evil.example/${TENANT}/` })],
      'issuer',
    ],
    ['expired', async () => [await sign({ ...v1Claims(), exp: NOW_SECONDS - 600 })], 'expired'],
    ['not yet valid', async () => [await sign({ ...v1Claims(), nbf: NOW_SECONDS + 600 })], 'not-yet-valid'],
    [
      'MACed with HS256',
      async () => [await new SignJWT(v1Claims()).setProtectedHeader({ alg: 'HS256' }).sign(new Uint8Array(32))],
      'algorithm',
    ],
    ['unsigned (alg none)', () => Promise.resolve([`${b64url({ alg: 'none' })}.${b64url(v1Claims())}.`]), 'algorithm'],
    ['that is not a JWT', () => Promise.resolve(['not-a-jwt']), 'malformed'],
    ['missing while items are encrypted', () => Promise.resolve(null), 'missing'],
    ['missing for one of two tenants', async () => [await sign(v1Claims(TENANT))], 'missing'],
  ])('rejects a token %s', async (_case, tokens, reason) => {
    const error = await rejectionOf(
      verifyValidationTokens(
        await tokens(),
        context({ tenantIds: reason === 'missing' ? [TENANT, OTHER_TENANT] : [TENANT] }),
      ),
    );

    expect(error.code).toBe('ERR_VALIDATION_TOKEN_INVALID');
    expect(error.reason).toBe(reason);
  });

  it('rejects the whole set when one token of several fails', async () => {
    const tokens = [await sign(v1Claims()), await sign({ ...v1Claims(OTHER_TENANT), appid: APP_ID })];

    const error = await rejectionOf(verifyValidationTokens(tokens, context()));

    expect(error.message).toMatch(/^Validation token rejected \(publisher\): token 2 of 2/);
  });

  it("accepts Graph's tokens for the other tenants and apps of a shared URL beside ours, requiring only ours", async () => {
    const otherApp = '99999999-9999-4999-8999-999999999999';
    const tokens = [
      await sign(v2Claims(OTHER_TENANT)),
      await sign(v1Claims(TENANT)),
      await sign({ ...v1Claims(TENANT), aud: otherApp }),
    ];

    const verified = await verifyValidationTokens(tokens, context({ tenantIds: [TENANT] }));

    expect([...verified.tenantIds].sort()).toEqual([TENANT, OTHER_TENANT]);
  });

  it.each<[string, () => Promise<Record<string, unknown>>, ValidationTokenReason]>([
    ['from another publisher', () => Promise.resolve({ ...v1Claims(OTHER_TENANT), appid: APP_ID }), 'publisher'],
    ['from a lookalike issuer', () => Promise.resolve({ ...v1Claims(), iss: 'https://evil.example/' }), 'issuer'],
    ['expired', () => Promise.resolve({ ...v1Claims(OTHER_TENANT), exp: NOW_SECONDS - 600 }), 'expired'],
  ])(
    "rejects the whole set when a token for another tenant or app is not Graph's own (%s)",
    async (_case, claims, reason) => {
      const tokens = [await sign(v1Claims(TENANT)), await sign({ ...(await claims()), aud: 'another-app' })];

      expect((await rejectionOf(verifyValidationTokens(tokens, context()))).reason).toBe(reason);
    },
  );

  it('tolerates five minutes of clock skew and no more', async () => {
    const justExpired = await sign({ ...v1Claims(), exp: NOW_SECONDS - 120 });

    await expect(verifyValidationTokens([justExpired], context())).resolves.toBeDefined();
    expect(
      (await rejectionOf(verifyValidationTokens([justExpired], context({ clockToleranceSeconds: 60 })))).reason,
    ).toBe('expired');
  });

  it('reports an unreachable JWKS as keys unavailable, deciding nothing', async () => {
    const unreachable = createValidationKeySet('http://127.0.0.1:1/common/discovery/v2.0/keys', { timeoutMs: 500 });

    const error = await verifyValidationTokens([await sign(v1Claims())], context({ keys: unreachable })).catch(
      (caught: unknown) => caught,
    );

    expect(error).toBeInstanceOf(ValidationKeysUnavailable);
    expect(error).toMatchObject({ code: 'ERR_VALIDATION_KEYS_UNAVAILABLE' });
  });

  it('fetches keys through an injected fetch', async () => {
    const seen: string[] = [];
    const injected = createValidationKeySet('https://login.example/keys', {
      fetch: (url: string) => {
        seen.push(url);
        return Promise.resolve(Response.json({ keys: [signing.publicJwk] }));
      },
    });

    await verifyValidationTokens([await sign(v1Claims())], context({ keys: injected }));

    expect(seen).toEqual(['https://login.example/keys']);
  });

  it('rejects garbage of any kind with ValidationTokenInvalid only, never echoing it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.array(fc.string({ minLength: 1 }), { minLength: 1 }), fc.array(fc.anything()), fc.anything()),
        async (garbage) => {
          const error = await rejectionOf(verifyValidationTokens(garbage, context()));

          for (const item of Array.isArray(garbage) ? garbage : []) {
            if (typeof item === 'string' && item.length > 8) expect(error.message).not.toContain(item);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
