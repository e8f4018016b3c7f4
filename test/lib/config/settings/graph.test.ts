import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadConfig, type AppConfig } from '../../../../src/lib/config';
import { ConfigurationInvalid } from '../../../../src/lib/shared/errors';
import { fixtureCertificatePem, fixturePrivateKeyPem } from '../../richNotifications/support';

const CLIENT_ID = '11111111-1111-4111-8111-111111111111';
const TENANT_ID = '22222222-2222-4222-8222-222222222222';
const SECRET = 'client-secret-value-do-not-print';

function load(graph: Record<string, string>): AppConfig {
  return loadConfig({ AzureWebJobsStorage: 'UseDevelopmentStorage=true', ...graph });
}

function problemsOf(graph: Record<string, string>): readonly string[] {
  try {
    load(graph);
  } catch (error) {
    if (error instanceof ConfigurationInvalid) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

const minimal = { GRAPH_CLIENT_ID: CLIENT_ID, GRAPH_TENANT_ID: TENANT_ID, GRAPH_CLIENT_SECRET: SECRET };

describe('Graph settings', () => {
  it('applies the documented defaults with a client secret', () => {
    const { graph } = load(minimal);

    expect(graph).toEqual({
      clientId: CLIENT_ID,
      tenantId: TENANT_ID,
      credential: { kind: 'secret', clientSecret: SECRET },
      baseUrl: 'https://graph.microsoft.com/v1.0',
      authorityHost: 'https://login.microsoftonline.com',
      tokenEndpointTemplate: undefined,
      requestTimeoutMs: 10_000,
      validationTokens: {
        jwksUrl: 'https://login.microsoftonline.com/common/discovery/v2.0/keys',
        issuerTemplates: ['https://sts.windows.net/{tenantId}/', 'https://login.microsoftonline.com/{tenantId}/v2.0'],
      },
      encryption: { current: undefined, previous: undefined },
    });
    expect(Object.isFrozen(graph.credential)).toBe(true);
  });

  it('points everything at a local simulator with settings only', () => {
    const { graph } = load({
      ...minimal,
      GRAPH_BASE_URL: 'http://127.0.0.1:4000/v1.0/',
      GRAPH_TOKEN_ENDPOINT: 'http://127.0.0.1:4000/{tenantId}/oauth2/v2.0/token',
      VALIDATION_TOKEN_JWKS_URL: 'http://localhost:4000/common/discovery/v2.0/keys',
      VALIDATION_TOKEN_ISSUERS: 'http://127.0.0.1:4000/{tenantId}/v2.0, https://sts.windows.net/{tenantId}/',
    });

    expect(graph.baseUrl).toBe('http://127.0.0.1:4000/v1.0');
    expect(graph.tokenEndpointTemplate).toBe('http://127.0.0.1:4000/{tenantId}/oauth2/v2.0/token');
    expect(graph.validationTokens.issuerTemplates).toEqual([
      'http://127.0.0.1:4000/{tenantId}/v2.0',
      'https://sts.windows.net/{tenantId}/',
    ]);
  });

  it('names every missing required setting', () => {
    const problems = problemsOf({});

    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^GRAPH_CLIENT_ID: is required/),
        expect.stringMatching(/^GRAPH_TENANT_ID: is required/),
        expect.stringMatching(/^GRAPH_CLIENT_SECRET: is required when GRAPH_CREDENTIAL=secret/),
      ]),
    );
  });

  it.each([
    ['GRAPH_CLIENT_ID', 'my-app', /must be a GUID/],
    ['GRAPH_CREDENTIAL', 'password', /must be one of secret, certificate, managedIdentity/],
    ['GRAPH_BASE_URL', 'http://graph.example.com/v1.0', /must use https \(http is accepted for localhost/],
    ['GRAPH_BASE_URL', 'https://graph.microsoft.com', /must end with the Graph version segment/],
    ['GRAPH_AUTHORITY_HOST', 'http://login.example', /must use https:/],
    [
      'GRAPH_TOKEN_ENDPOINT',
      'http://127.0.0.1:4000/{tenant}/token',
      /may contain only the placeholder \{tenantId\}, found \{tenant\}/,
    ],
    ['GRAPH_REQUEST_TIMEOUT_MS', '0', /must be a whole number from 100/],
    ['VALIDATION_TOKEN_ISSUERS', 'https://sts.windows.net/common/', /must contain \{tenantId\}/],
    ['VALIDATION_TOKEN_JWKS_URL', 'keys.json', /must be an absolute URL/],
  ])('refuses %s=%s', (name, value, message) => {
    const problems = problemsOf({ ...minimal, [name]: value });

    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${name}: `));
    expect(problems[0]).toMatch(message);
  });

  describe('certificate credential', () => {
    const sha256 = 'A1'.repeat(32);

    it('requires the private key and the SHA-256 thumbprint', () => {
      const problems = problemsOf({
        GRAPH_CLIENT_ID: CLIENT_ID,
        GRAPH_TENANT_ID: TENANT_ID,
        GRAPH_CREDENTIAL: 'certificate',
      });

      expect(problems).toEqual([
        expect.stringMatching(/^GRAPH_CERTIFICATE_PRIVATE_KEY: is required when GRAPH_CREDENTIAL=certificate/),
        expect.stringMatching(/^GRAPH_CERTIFICATE_THUMBPRINT: is required when GRAPH_CREDENTIAL=certificate/),
      ]);
    });

    it('accepts a PKCS#1 key with escaped newlines inside a PEM bundle and hands MSAL PKCS#8', () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const pkcs1 = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
      const escapedBundle = `${fixtureCertificatePem}${pkcs1}`.replaceAll('\n', '\\n');

      const { graph } = load({
        GRAPH_CLIENT_ID: CLIENT_ID,
        GRAPH_TENANT_ID: TENANT_ID,
        GRAPH_CREDENTIAL: 'certificate',
        GRAPH_CERTIFICATE_PRIVATE_KEY: escapedBundle,
        GRAPH_CERTIFICATE_THUMBPRINT: sha256.toLowerCase().match(/../g)?.join(':') ?? '',
      });

      expect(graph.credential.kind).toBe('certificate');
      if (graph.credential.kind !== 'certificate') return;
      expect(graph.credential.thumbprintSha256).toBe(sha256);
      expect(graph.credential.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
      expect(createPrivateKey(graph.credential.privateKeyPem).equals(privateKey)).toBe(true);
    });

    it('explains that a SHA-1 thumbprint is the wrong one', () => {
      const problems = problemsOf({
        GRAPH_CLIENT_ID: CLIENT_ID,
        GRAPH_TENANT_ID: TENANT_ID,
        GRAPH_CREDENTIAL: 'certificate',
        GRAPH_CERTIFICATE_PRIVATE_KEY: fixturePrivateKeyPem,
        GRAPH_CERTIFICATE_THUMBPRINT: 'CC6A5BBE4273CEBBCD5EED74010374DDA176BBB8',
      });

      expect(problems).toEqual([
        expect.stringMatching(/^GRAPH_CERTIFICATE_THUMBPRINT: is a SHA-1 thumbprint .* SHA-256/),
      ]);
    });

    it('refuses an encrypted or unreadable key without printing it', () => {
      const encrypted = generateKeyPairSync('rsa', { modulusLength: 2048 })
        .privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' })
        .toString();
      const unreadable = '-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1ieXRlcw==\n-----END PRIVATE KEY-----';

      for (const [key, message] of [
        [encrypted, /is an encrypted private key/],
        [unreadable, /is not a readable PEM private key/],
        ['just-a-secret-string', /must be a PEM private key/],
      ] as const) {
        const problems = problemsOf({
          ...minimal,
          GRAPH_CREDENTIAL: 'certificate',
          GRAPH_CERTIFICATE_PRIVATE_KEY: key,
          GRAPH_CERTIFICATE_THUMBPRINT: sha256,
        });

        expect(problems).toEqual([expect.stringMatching(message)]);
        expect(problems.join('\n')).not.toContain(key.includes('BEGIN') ? (key.split('\n')[1] ?? key) : key);
      }
    });
  });

  it('requires a GUID managed identity client id for managedIdentity', () => {
    expect(
      problemsOf({ GRAPH_CLIENT_ID: CLIENT_ID, GRAPH_TENANT_ID: TENANT_ID, GRAPH_CREDENTIAL: 'managedidentity' }),
    ).toEqual([
      expect.stringMatching(/^GRAPH_MANAGED_IDENTITY_CLIENT_ID: is required when GRAPH_CREDENTIAL=managedIdentity/),
    ]);
    const { graph } = load({
      GRAPH_CLIENT_ID: CLIENT_ID,
      GRAPH_TENANT_ID: TENANT_ID,
      GRAPH_CREDENTIAL: 'managedIdentity',
      GRAPH_MANAGED_IDENTITY_CLIENT_ID: '33333333-3333-4333-8333-333333333333',
    });
    expect(graph.credential).toEqual({
      kind: 'managedIdentity',
      managedIdentityClientId: '33333333-3333-4333-8333-333333333333',
    });
  });

  describe('rich-notification encryption', () => {
    const current = {
      ENCRYPTION_CERTIFICATE_ID: 'rich-2026',
      ENCRYPTION_CERTIFICATE: fixtureCertificatePem,
      ENCRYPTION_PRIVATE_KEY: fixturePrivateKeyPem,
    };
    const previousKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();

    it('reads the current certificate with the forms Graph needs, and the previous key', () => {
      const { graph } = load({
        ...minimal,
        ...current,
        ENCRYPTION_PREVIOUS_CERTIFICATE_ID: 'rich-2025',
        ENCRYPTION_PREVIOUS_PRIVATE_KEY: previousKey,
      });

      expect(graph.encryption.current).toMatchObject({
        certificateId: 'rich-2026',
        thumbprintSha1: 'CC6A5BBE4273CEBBCD5EED74010374DDA176BBB8',
      });
      expect(graph.encryption.current?.certificateBase64Der).toBe(
        fixtureCertificatePem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, ''),
      );
      expect(graph.encryption.previous).toEqual({ certificateId: 'rich-2025', privateKeyPem: previousKey });
    });

    it('names the missing members of a partial set', () => {
      const problems = problemsOf({ ...minimal, ENCRYPTION_CERTIFICATE_ID: 'rich-2026' });

      expect(problems).toEqual([
        expect.stringMatching(
          /^ENCRYPTION_CERTIFICATE: is required when any of ENCRYPTION_CERTIFICATE_ID, ENCRYPTION_CERTIFICATE, ENCRYPTION_PRIVATE_KEY is set/,
        ),
        expect.stringMatching(/^ENCRYPTION_PRIVATE_KEY: is required when any of/),
      ]);
    });

    it('refuses a private key that does not belong to the certificate', () => {
      expect(problemsOf({ ...minimal, ...current, ENCRYPTION_PRIVATE_KEY: previousKey })).toEqual([
        'ENCRYPTION_PRIVATE_KEY: does not belong to the certificate in ENCRYPTION_CERTIFICATE',
      ]);
    });

    it('refuses a previous id equal to the current one, and a previous key without a current one', () => {
      expect(
        problemsOf({
          ...minimal,
          ...current,
          ENCRYPTION_PREVIOUS_CERTIFICATE_ID: 'rich-2026',
          ENCRYPTION_PREVIOUS_PRIVATE_KEY: previousKey,
        }),
      ).toEqual([
        expect.stringMatching(/^ENCRYPTION_PREVIOUS_CERTIFICATE_ID: must differ from ENCRYPTION_CERTIFICATE_ID/),
      ]);
      expect(
        problemsOf({
          ...minimal,
          ENCRYPTION_PREVIOUS_CERTIFICATE_ID: 'rich-2025',
          ENCRYPTION_PREVIOUS_PRIVATE_KEY: previousKey,
        }),
      ).toEqual([expect.stringMatching(/^ENCRYPTION_PREVIOUS_CERTIFICATE_ID: is set but the current certificate/)]);
    });

    it('refuses a certificate id longer than Graph allows', () => {
      expect(problemsOf({ ...minimal, ...current, ENCRYPTION_CERTIFICATE_ID: 'x'.repeat(129) })).toEqual([
        'ENCRYPTION_CERTIFICATE_ID: must be at most 128 characters, got 129',
      ]);
    });
  });

  it('never echoes a secret setting value, however it is wrong', () => {
    const secrets = {
      GRAPH_CLIENT_SECRET: 'secret-1-aaaaaaaa',
      GRAPH_CERTIFICATE_PRIVATE_KEY: 'secret-2-bbbbbbbb',
      ENCRYPTION_PRIVATE_KEY: 'secret-3-cccccccc',
    };

    const problems = problemsOf({
      GRAPH_CLIENT_ID: CLIENT_ID,
      GRAPH_TENANT_ID: TENANT_ID,
      GRAPH_CREDENTIAL: 'certificate',
      ...secrets,
      ENCRYPTION_CERTIFICATE_ID: 'x',
      ENCRYPTION_CERTIFICATE: 'y',
    });

    expect(problems.length).toBeGreaterThan(0);
    for (const secret of Object.values(secrets)) expect(problems.join('\n')).not.toContain(secret);
  });
});
