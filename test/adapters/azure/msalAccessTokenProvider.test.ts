import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { OAuth2Server } from 'oauth2-mock-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MsalAccessTokenProvider,
  TOKEN_EXCHANGE_AUDIENCE,
  type MsalGraphSettings,
} from '../../../src/adapters/azure/msalAccessTokenProvider';
import { GraphCredentialRejected, GraphRequestFailed, GraphUnavailable } from '../../../src/lib/graph';
import { describeError } from '../../../src/lib/shared/redact';

const CLIENT_ID = '11111111-1111-4111-8111-111111111111';
const TENANT_A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const TENANT_B = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
const SECRET = 'super-secret-value-4711';

interface TokenCall {
  readonly url: string;
  readonly body: Record<string, unknown>;
}

let server: OAuth2Server;
let origin: string;
let calls: TokenCall[];

beforeAll(async () => {
  server = new OAuth2Server();
  await server.issuer.keys.generate('RS256');
  await server.start(0, '127.0.0.1');
  origin = `http://127.0.0.1:${server.address().port}`;
  server.service.on('beforeResponse', (_response: unknown, request: IncomingMessage & { body?: unknown }) => {
    calls.push({ url: request.url ?? '', body: request.body as Record<string, unknown> });
  });
  // Like Entra ID, stamp the tenant into the token, so tokens of different tenants differ.
  server.service.on('beforeTokenSigning', (token: { payload: Record<string, unknown> }, request: IncomingMessage) => {
    token.payload.tid = new URL(request.url ?? '/', 'http://localhost').searchParams.get('tenant');
  });
});

afterAll(async () => {
  await server.stop();
});

function settings(overrides: Partial<MsalGraphSettings> = {}): MsalGraphSettings {
  return {
    clientId: CLIENT_ID,
    credential: { kind: 'secret', clientSecret: SECRET },
    baseUrl: 'https://graph.microsoft.com/v1.0',
    authorityHost: 'https://login.microsoftonline.com',
    // The mock serves one token path; the tenant travels in the query so tests can see which tenant asked.
    tokenEndpointTemplate: `${origin}/token?tenant={tenantId}`,
    validationTokens: { jwksUrl: `${origin}/jwks`, issuerTemplates: ['https://sts.windows.net/{tenantId}/'] },
    ...overrides,
  };
}

describe('MsalAccessTokenProvider', () => {
  it('acquires a Graph token with a client secret from the configured token endpoint', async () => {
    calls = [];
    const provider = new MsalAccessTokenProvider(settings());

    const token = await provider.getToken(TENANT_A);

    const { payload } = await jwtVerify(token, createLocalJWKSet({ keys: server.issuer.keys.toJSON() }));
    expect(payload.scope).toBe('https://graph.microsoft.com/.default');
    expect(calls).toHaveLength(1);
    expect(calls[0]?.url).toContain(`tenant=${TENANT_A}`);
    expect(calls[0]?.body).toMatchObject({
      grant_type: 'client_credentials',
      client_id: CLIENT_ID,
      client_secret: SECRET,
    });
  });

  it('makes one network call for three acquisitions in one tenant (token cache), one per tenant', async () => {
    calls = [];
    const provider = new MsalAccessTokenProvider(settings());

    const first = await provider.getToken(TENANT_A);
    const again = [await provider.getToken(TENANT_A), await provider.getToken(TENANT_A)];
    const other = await provider.getToken(TENANT_B);

    expect(again).toEqual([first, first]);
    expect(decodeJwt(first).tid).toBe(TENANT_A);
    expect(decodeJwt(other).tid).toBe(TENANT_B);
    expect(calls.map((call) => new URL(call.url, origin).searchParams.get('tenant'))).toEqual([TENANT_A, TENANT_B]);
  });

  it('shares one token request between concurrent first calls', async () => {
    calls = [];
    const provider = new MsalAccessTokenProvider(settings());

    const tokens = await Promise.all([
      provider.getToken(TENANT_A),
      provider.getToken(TENANT_A),
      provider.getToken(TENANT_A),
    ]);

    expect(new Set(tokens).size).toBe(1);
    expect(calls).toHaveLength(1);
  });

  it('signs a client assertion with the certificate key and its SHA-256 thumbprint', async () => {
    calls = [];
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const thumbprint = randomBytes(32).toString('hex').toUpperCase();
    const provider = new MsalAccessTokenProvider(
      settings({
        credential: {
          kind: 'certificate',
          thumbprintSha256: thumbprint,
          privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        },
      }),
    );

    await provider.getToken(TENANT_A);

    const body = calls[0]?.body ?? {};
    expect(body.client_secret).toBeUndefined();
    expect(body.client_assertion_type).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    const assertion = String(body.client_assertion);
    // MSAL stamps nbf a second after iat, so allow a little skew.
    const { payload } = await jwtVerify(assertion, publicKey, {
      issuer: CLIENT_ID,
      subject: CLIENT_ID,
      clockTolerance: 5,
    });
    expect(payload.aud).toBe(`${origin}/token?tenant=${TENANT_A}`);
    expect(decodeProtectedHeader(assertion)['x5t#S256']).toBe(Buffer.from(thumbprint, 'hex').toString('base64url'));
  });

  it('uses a managed identity token for api://AzureADTokenExchange as the client assertion', async () => {
    calls = [];
    const identity = await startManagedIdentityEndpoint();
    const previous = { endpoint: process.env.IDENTITY_ENDPOINT, header: process.env.IDENTITY_HEADER };
    process.env.IDENTITY_ENDPOINT = identity.url;
    process.env.IDENTITY_HEADER = 'identity-header-value';
    try {
      const provider = new MsalAccessTokenProvider(
        settings({
          credential: { kind: 'managedIdentity', managedIdentityClientId: '33333333-3333-4333-8333-333333333333' },
        }),
      );

      await provider.getToken(TENANT_A);
      await provider.getToken(TENANT_B);

      expect(identity.requests).toHaveLength(1);
      const request = new URL(identity.requests[0] ?? '', identity.url);
      expect(request.searchParams.get('resource')).toBe(TOKEN_EXCHANGE_AUDIENCE);
      expect(request.searchParams.get('client_id')).toBe('33333333-3333-4333-8333-333333333333');
      expect(calls.map((call) => call.body.client_assertion)).toEqual([identity.token, identity.token]);
    } finally {
      restoreEnv('IDENTITY_ENDPOINT', previous.endpoint);
      restoreEnv('IDENTITY_HEADER', previous.header);
      await identity.close();
    }
  });

  it('reaches a token endpoint whose path carries the tenant, as the simulator lays it out', async () => {
    const tenantPath = new OAuth2Server(undefined, undefined, {
      endpoints: { token: `/${TENANT_A}/oauth2/v2.0/token` },
    });
    await tenantPath.issuer.keys.generate('RS256');
    await tenantPath.start(0, '127.0.0.1');
    try {
      const base = `http://127.0.0.1:${tenantPath.address().port}`;
      const provider = new MsalAccessTokenProvider(
        settings({ tokenEndpointTemplate: `${base}/{tenantId}/oauth2/v2.0/token` }),
      );

      const token = await provider.getToken(TENANT_A);

      expect(token.split('.')).toHaveLength(3);
    } finally {
      await tenantPath.stop();
    }
  });

  it('reports invalid_client as a rejected credential naming the settings to check, without the secret', async () => {
    server.service.once('beforeResponse', (response: { statusCode: number; body: unknown }) => {
      response.statusCode = 401;
      response.body = {
        error: 'invalid_client',
        error_description:
          'AADSTS7000215: Invalid client secret provided. Trace ID: 1 Correlation ID: 2 Timestamp: 2026-01-01 00:00:00Z',
        error_codes: [7000215],
      };
    });
    const provider = new MsalAccessTokenProvider(settings());

    const error = await provider.getToken(TENANT_A).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(GraphCredentialRejected);
    const rejected = error as GraphCredentialRejected;
    expect(rejected.code).toBe('ERR_GRAPH_CREDENTIAL_REJECTED');
    expect(rejected.transient).toBe(false);
    expect(rejected.oauthError).toBe('invalid_client AADSTS7000215');
    expect(rejected.message).toMatch(/tenant aaaaaaaa-.*invalid_client AADSTS7000215.*GRAPH_CLIENT_SECRET/);
    expect(describeError(error)).not.toContain(SECRET);
  });

  it('reports an unreachable token endpoint as transient', async () => {
    const closed = await unusedPort();
    const provider = new MsalAccessTokenProvider(
      settings({ tokenEndpointTemplate: `http://127.0.0.1:${closed}/{tenantId}/token` }),
    );

    const error = await provider.getToken(TENANT_A).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(GraphUnavailable);
    expect(error).toMatchObject({ code: 'ERR_GRAPH_UNAVAILABLE', reason: 'token-endpoint', transient: true });
  });

  it('refuses a tenant id that is not a GUID before anything reaches the network', async () => {
    calls = [];
    const provider = new MsalAccessTokenProvider(settings());

    const error = await provider.getToken('evil.example/../x').catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(GraphRequestFailed);
    expect(calls).toHaveLength(0);
  });
});

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) Reflect.deleteProperty(process.env, name);
  else process.env[name] = value;
}

/** An App Service managed identity endpoint (IDENTITY_ENDPOINT): answers every request with one token. */
async function startManagedIdentityEndpoint(): Promise<{
  url: string;
  token: string;
  requests: string[];
  close: () => Promise<void>;
}> {
  const token = `mi-assertion-${randomBytes(8).toString('hex')}`;
  const requests: string[] = [];
  const identity: Server = createServer((request, response) => {
    requests.push(request.url ?? '');
    if (request.headers['x-identity-header'] !== 'identity-header-value') {
      response.writeHead(401).end();
      return;
    }
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.end(
      JSON.stringify({
        access_token: token,
        expires_on: String(Math.floor(Date.now() / 1000) + 86_400),
        resource: TOKEN_EXCHANGE_AUDIENCE,
        token_type: 'Bearer',
      }),
    );
  });
  await new Promise<void>((resolve) => identity.listen(0, '127.0.0.1', resolve));
  const { port } = identity.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/msi/token`,
    token,
    requests,
    close: () =>
      new Promise((resolve) => {
        identity.close(() => {
          resolve();
        });
      }),
  };
}

async function unusedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
