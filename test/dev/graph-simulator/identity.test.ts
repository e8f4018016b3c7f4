/**
 * The simulated identity platform through the real MSAL confidential client (secret and certificate),
 * configured as the app will be: https authority + knownAuthorities + authorityMetadata ("MSAL Node configuration options", https://learn.microsoft.com/entra/msal/javascript/node/configuration).
 */
import { X509Certificate, createHash, generateKeyPairSync } from 'node:crypto';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGraphSimulator, type RunningGraphSimulator } from '../../../dev/graph-simulator/index.js';
import { APP_ID, APP_SECRET, SIGNING_KEY_PEM, TENANT_ID, fixture } from './support.js';

const CERT_APP_ID = '22222222-3333-4444-8555-666666666666';
const CLIENT_CERT_PEM = fixture('client-cert.pem');
const CLIENT_KEY_PEM = fixture('client-cert.key.pem');
const GRAPH_SCOPE = ['https://graph.microsoft.com/.default'];

let sim: RunningGraphSimulator;

beforeAll(async () => {
  sim = await startGraphSimulator({
    signingKeyPem: SIGNING_KEY_PEM,
    tenants: [{ id: TENANT_ID }],
    apps: [
      { clientId: APP_ID, clientSecrets: [APP_SECRET], roles: ['User.Read.All'] },
      { clientId: CERT_APP_ID, certificates: [CLIENT_CERT_PEM] },
    ],
  });
});

afterAll(async () => {
  await sim.stop();
});

function thumbprintSha256(pem: string): string {
  return createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');
}

async function graphGet(
  path: string,
  token: string | undefined,
): Promise<{ status: number; json: { error?: { code: string; message: string } } & Record<string, unknown> }> {
  const response = await fetch(`${sim.graphBaseUrl}${path}`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  return {
    status: response.status,
    json: (await response.json()) as { error?: { code: string; message: string } } & Record<string, unknown>,
  };
}

describe('token endpoint with MSAL', () => {
  it('issues a Graph token to a confidential client with a secret', async () => {
    const cca = new ConfidentialClientApplication({
      auth: { clientId: APP_ID, clientSecret: APP_SECRET, ...sim.msalAuthority(TENANT_ID) },
    });

    const result = await cca.acquireTokenByClientCredential({ scopes: GRAPH_SCOPE });
    const users = await graphGet('/users', result?.accessToken);

    expect(result?.accessToken).toBeTruthy();
    expect(users.status).toBe(200);
    const claims = JSON.parse(Buffer.from(result?.accessToken.split('.')[1] ?? '', 'base64url').toString()) as Record<
      string,
      unknown
    >;
    expect(claims).toMatchObject({
      aud: 'https://graph.microsoft.com',
      tid: TENANT_ID,
      appid: APP_ID,
      roles: ['User.Read.All'],
      iss: `https://sts.windows.net/${TENANT_ID}/`,
    });
  });

  it('issues a Graph token to a confidential client with a certificate (client assertion)', async () => {
    const cca = new ConfidentialClientApplication({
      auth: {
        clientId: CERT_APP_ID,
        clientCertificate: { thumbprintSha256: thumbprintSha256(CLIENT_CERT_PEM), privateKey: CLIENT_KEY_PEM },
        ...sim.msalAuthority(TENANT_ID),
      },
    });

    const result = await cca.acquireTokenByClientCredential({ scopes: GRAPH_SCOPE });

    expect((await graphGet('/users', result?.accessToken)).status).toBe(200);
  });

  it('rejects a wrong secret with invalid_client', async () => {
    const cca = new ConfidentialClientApplication({
      auth: { clientId: APP_ID, clientSecret: 'wrong', ...sim.msalAuthority(TENANT_ID) },
    });

    await expect(cca.acquireTokenByClientCredential({ scopes: GRAPH_SCOPE })).rejects.toMatchObject({
      errorCode: 'invalid_client',
    });
  });

  it('rejects an assertion signed by an unregistered key with invalid_client', async () => {
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const cca = new ConfidentialClientApplication({
      auth: {
        clientId: CERT_APP_ID,
        clientCertificate: { thumbprintSha256: thumbprintSha256(CLIENT_CERT_PEM), privateKey: stranger },
        ...sim.msalAuthority(TENANT_ID),
      },
    });

    await expect(cca.acquireTokenByClientCredential({ scopes: GRAPH_SCOPE })).rejects.toMatchObject({
      errorCode: 'invalid_client',
    });
  });

  it('answers the AAD error shape with a 401 status for a bad secret', async () => {
    const response = await fetch(sim.tokenEndpointTemplate.replace('{tenantId}', TENANT_ID), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: APP_ID,
        client_secret: 'nope',
        scope: GRAPH_SCOPE[0] ?? '',
      }),
    });
    const body = (await response.json()) as Record<string, unknown>;

    expect(response.status).toBe(401);
    expect(body).toMatchObject({ error: 'invalid_client', error_codes: [7000215] });
    expect(String(body.error_description)).toMatch(/^AADSTS7000215: Invalid client secret provided/);
  });

  it('fails token requests on demand (fault injection)', async () => {
    sim.faults.inject({ target: 'token', status: 503 });
    const cca = new ConfidentialClientApplication({
      auth: { clientId: APP_ID, clientSecret: APP_SECRET, ...sim.msalAuthority(TENANT_ID) },
      system: { disableInternalRetries: true },
    });

    await expect(cca.acquireTokenByClientCredential({ scopes: GRAPH_SCOPE })).rejects.toMatchObject({
      errorCode: 'temporarily_unavailable',
    });
    // MSAL itself holds back a client for a while after a 5xx (its throttling cache), so the retry uses a fresh one.
    const fresh = new ConfidentialClientApplication({
      auth: { clientId: APP_ID, clientSecret: APP_SECRET, ...sim.msalAuthority(TENANT_ID) },
    });
    await expect(fresh.acquireTokenByClientCredential({ scopes: GRAPH_SCOPE })).resolves.toBeTruthy();
  });

  it('serves OpenID metadata and the JWKS', async () => {
    const metadata = (await (
      await fetch(`${sim.origin}/${TENANT_ID}/v2.0/.well-known/openid-configuration`)
    ).json()) as Record<string, unknown>;
    const jwks = (await (await fetch(sim.jwksUrl)).json()) as { keys: Record<string, unknown>[] };

    expect(metadata.token_endpoint).toBe(`${sim.origin}/${TENANT_ID}/oauth2/v2.0/token`);
    expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', use: 'sig', alg: 'RS256', kid: expect.any(String) as string });
  });
});

describe('bearer tokens on Graph endpoints', () => {
  it('answers 401 InvalidAuthenticationToken without a token', async () => {
    const { status, json } = await graphGet('/users', undefined);

    expect(status).toBe(401);
    expect(json.error).toMatchObject({ code: 'InvalidAuthenticationToken', message: 'Access token is empty.' });
  });

  it('answers 401 for an expired token', async () => {
    const expired = await sim.issueAccessToken(TENANT_ID, APP_ID, { lifetimeSeconds: -60 });

    const { status, json } = await graphGet('/users', expired);

    expect(status).toBe(401);
    expect(json.error?.message).toBe('Lifetime validation failed, the token is expired.');
  });

  it('answers 401 for a token signed by someone else', async () => {
    const forger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const good = await sim.issueAccessToken(TENANT_ID, APP_ID);
    const header = JSON.parse(Buffer.from(good.split('.')[0] ?? '', 'base64url').toString()) as { kid: string };
    const claims = JSON.parse(Buffer.from(good.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>;
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: header.kid }).sign(forger);

    const { status, json } = await graphGet('/users', forged);

    expect(status).toBe(401);
    expect(json.error).toMatchObject({
      code: 'InvalidAuthenticationToken',
      message: 'Access token validation failure.',
    });
  });

  it('answers 401 for a token meant for another audience', async () => {
    const token = await sim.issueAccessToken(TENANT_ID, APP_ID, { audience: 'api://something-else' });

    expect((await graphGet('/users', token)).json.error?.message).toBe(
      'Access token validation failure. Invalid audience.',
    );
  });

  it('answers 403 when the app lacks the permission', async () => {
    const token = await sim.issueAccessToken(TENANT_ID, APP_ID);

    const { status, json } = await graphGet('/groups', token);

    expect(status).toBe(403);
    expect(json.error?.code).toBe('Authorization_RequestDenied');
  });

  it('keeps accepting tokens signed before a key rotation', async () => {
    const before = await sim.issueAccessToken(TENANT_ID, APP_ID);

    await sim.rotateSigningKey();

    expect((await graphGet('/users', before)).status).toBe(200);
    expect(sim.jwks().keys).toHaveLength(2);
  });
});
