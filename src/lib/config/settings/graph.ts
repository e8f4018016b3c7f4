/**
 * Graph access: which app registration the app signs in as, how it proves it (secret, certificate or a
 * managed identity as federated credential), where Graph and the token endpoint are, how long a Graph
 * call may take, how rich-notification validation tokens are checked and which certificates decrypt
 * rich-notification content. Pointing the app at the Graph simulator changes settings only:
 * GRAPH_BASE_URL, GRAPH_TOKEN_ENDPOINT, VALIDATION_TOKEN_JWKS_URL and VALIDATION_TOKEN_ISSUERS.
 * The credential type decides which credential settings are required; secret values and key material
 * never appear in a problem message.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { EnvReader } from '../envReader';
import { defineSetting, type SettingDefinition } from '../setting';

export const graphSettings = {
  clientId: defineSetting({
    name: 'GRAPH_CLIENT_ID',
    description:
      'Application (client) id of the app registration that reads Graph; also the audience expected in rich-notification validation tokens.',
    required: true,
    whenWrong:
      'No Graph token can be acquired (every fetch fails with ERR_GRAPH_CREDENTIAL_REJECTED) and every rich notification is rejected for its audience.',
  }),
  tenantId: defineSetting({
    name: 'GRAPH_TENANT_ID',
    description:
      'Home tenant id (GUID) of the app registration: used for subscription management and as the default tenant.',
    required: true,
    whenWrong: 'Management calls get tokens for the wrong tenant and fail with 401/403.',
  }),
  credential: defineSetting({
    name: 'GRAPH_CREDENTIAL',
    description:
      'How the app proves its identity to Entra ID: `secret` (GRAPH_CLIENT_SECRET), `certificate` (GRAPH_CERTIFICATE_PRIVATE_KEY + GRAPH_CERTIFICATE_THUMBPRINT) or `managedIdentity` (a user-assigned managed identity as federated credential, GRAPH_MANAGED_IDENTITY_CLIENT_ID).',
    default: 'secret',
    whenWrong: 'The start-up check names the credential settings that are missing.',
  }),
  clientSecret: defineSetting({
    name: 'GRAPH_CLIENT_SECRET',
    description: 'Client secret of the app registration, when GRAPH_CREDENTIAL=secret. A Key Vault reference in Azure.',
    secret: true,
    whenWrong: 'Token requests fail with invalid_client (ERR_GRAPH_CREDENTIAL_REJECTED); nothing is fetched.',
  }),
  certificatePrivateKey: defineSetting({
    name: 'GRAPH_CERTIFICATE_PRIVATE_KEY',
    description:
      'Unencrypted PEM private key (PKCS#8, or PKCS#1 which is converted) of the certificate registered on the app, when GRAPH_CREDENTIAL=certificate. A PEM bundle holding the key and its certificate is accepted (a Key Vault certificate with content type application/x-pem-file).',
    secret: true,
    whenWrong: 'Token requests fail with invalid_client (ERR_GRAPH_CREDENTIAL_REJECTED); nothing is fetched.',
  }),
  certificateThumbprint: defineSetting({
    name: 'GRAPH_CERTIFICATE_THUMBPRINT',
    description:
      'Hex SHA-256 thumbprint (64 hex digits; colons and spaces ignored) of that certificate, when GRAPH_CREDENTIAL=certificate.',
    whenWrong: 'Entra ID cannot find the certificate: token requests fail with invalid_client.',
  }),
  managedIdentityClientId: defineSetting({
    name: 'GRAPH_MANAGED_IDENTITY_CLIENT_ID',
    description:
      'Client id of the user-assigned managed identity whose token (audience api://AzureADTokenExchange) is the client assertion, when GRAPH_CREDENTIAL=managedIdentity. The app registration needs a federated identity credential for it.',
    whenWrong:
      'The managed identity token cannot be obtained, or Entra ID rejects the assertion (no matching federated credential).',
  }),
  baseUrl: defineSetting({
    name: 'GRAPH_BASE_URL',
    description:
      'Graph root including the version segment. The simulator serves `<origin>/v1.0`. http is accepted for loopback hosts only.',
    default: 'https://graph.microsoft.com/v1.0',
    whenWrong: 'Every Graph call fails (network error or 404).',
  }),
  authorityHost: defineSetting({
    name: 'GRAPH_AUTHORITY_HOST',
    description: 'Entra ID authority host; the authority is `<host>/<tenantId>`. Change it for national clouds.',
    default: 'https://login.microsoftonline.com',
    whenWrong: 'Token requests fail (endpoints_resolution_error).',
  }),
  tokenEndpoint: defineSetting({
    name: 'GRAPH_TOKEN_ENDPOINT',
    description:
      'Offline and test use only: token endpoint template with `{tenantId}`, e.g. http://127.0.0.1:4000/{tenantId}/oauth2/v2.0/token. When set, MSAL is given this endpoint as static authority metadata and never contacts GRAPH_AUTHORITY_HOST. Leave unset in Azure.',
    whenWrong: 'Tokens come from the wrong place: every Graph call fails with 401.',
  }),
  requestTimeoutMs: defineSetting({
    name: 'GRAPH_REQUEST_TIMEOUT_MS',
    description: 'Time limit for one Graph HTTP request (including reading its body), in milliseconds.',
    default: '10000',
    whenWrong:
      'Too low: slow but healthy reads fail as transient errors and are retried. Too high: one stuck call holds the invocation.',
  }),
  validationTokenJwksUrl: defineSetting({
    name: 'VALIDATION_TOKEN_JWKS_URL',
    description:
      'JWKS whose keys sign rich-notification validation tokens. The simulator serves `<origin>/common/discovery/v2.0/keys`.',
    default: 'https://login.microsoftonline.com/common/discovery/v2.0/keys',
    whenWrong:
      'Every rich notification is rejected (signature) or waits for the keys (ERR_VALIDATION_KEYS_UNAVAILABLE).',
  }),
  validationTokenIssuers: defineSetting({
    name: 'VALIDATION_TOKEN_ISSUERS',
    description:
      "Comma-separated issuer templates accepted in validation tokens; each contains `{tenantId}`, replaced by the notification's tenant.",
    default: 'https://sts.windows.net/{tenantId}/,https://login.microsoftonline.com/{tenantId}/v2.0',
    whenWrong: 'Every rich notification is rejected for its issuer.',
  }),
  encryptionCertificateId: defineSetting({
    name: 'ENCRYPTION_CERTIFICATE_ID',
    description:
      'Id of the current rich-notification certificate (≤128 characters), sent to Graph as encryptionCertificateId. Set together with ENCRYPTION_CERTIFICATE and ENCRYPTION_PRIVATE_KEY, or leave all three unset (no rich notifications).',
    whenWrong:
      'Rich notifications cannot be decrypted (unknown-certificate) or subscriptions with includeResourceData cannot be created.',
  }),
  encryptionCertificate: defineSetting({
    name: 'ENCRYPTION_CERTIFICATE',
    description:
      'The current rich-notification certificate, PEM (public part only); sent to Graph when a subscription with includeResourceData is created.',
    whenWrong: 'Graph encrypts with a key we cannot decrypt with, or refuses to create the subscription.',
  }),
  encryptionPrivateKey: defineSetting({
    name: 'ENCRYPTION_PRIVATE_KEY',
    description: 'Unencrypted PEM private key of ENCRYPTION_CERTIFICATE. A Key Vault reference in Azure.',
    secret: true,
    whenWrong:
      'Rich notifications cannot be decrypted; the start-up check refuses a key that does not match the certificate.',
  }),
  encryptionPreviousCertificateId: defineSetting({
    name: 'ENCRYPTION_PREVIOUS_CERTIFICATE_ID',
    description:
      'During certificate rotation: id of the previous rich-notification certificate, still used by subscriptions not yet renewed. Set with ENCRYPTION_PREVIOUS_PRIVATE_KEY.',
    whenWrong:
      'Notifications of subscriptions still on the previous certificate are rejected (unknown-certificate) until they are renewed.',
  }),
  encryptionPreviousPrivateKey: defineSetting({
    name: 'ENCRYPTION_PREVIOUS_PRIVATE_KEY',
    description:
      'During certificate rotation: PEM private key of the previous rich-notification certificate (decrypt only).',
    secret: true,
    whenWrong: 'Notifications of subscriptions still on the previous certificate cannot be decrypted.',
  }),
} as const;

export const GRAPH_CREDENTIAL_KINDS = ['secret', 'certificate', 'managedIdentity'] as const;

export type GraphCredential =
  | { readonly kind: 'secret'; readonly clientSecret: string }
  | {
      readonly kind: 'certificate';
      /** PKCS#8 PEM, whatever form the setting held. */
      readonly privateKeyPem: string;
      /** 64 upper-case hex digits. */
      readonly thumbprintSha256: string;
    }
  | { readonly kind: 'managedIdentity'; readonly managedIdentityClientId: string };

/** A key that decrypts rich-notification content, selected by the certificate id in the payload. */
export interface EncryptionKeyConfig {
  readonly certificateId: string;
  /** PKCS#8 PEM. */
  readonly privateKeyPem: string;
}

/** The current certificate: decrypts, and is what new subscriptions are created with. */
export interface CurrentEncryptionCertificateConfig extends EncryptionKeyConfig {
  readonly certificatePem: string;
  /** Base64 of the DER certificate: the form Graph expects in `encryptionCertificate`. */
  readonly certificateBase64Der: string;
  /** Upper-case hex SHA-1 of the DER certificate: what Graph sends as `encryptionCertificateThumbprint`. */
  readonly thumbprintSha1: string;
}

export interface GraphEncryptionConfig {
  /** Undefined when rich notifications are not configured. */
  readonly current: CurrentEncryptionCertificateConfig | undefined;
  /** The previous certificate during rotation (decrypt only). */
  readonly previous: EncryptionKeyConfig | undefined;
}

export interface GraphConfig {
  /** Lower-case GUID. */
  readonly clientId: string;
  /** Lower-case GUID. */
  readonly tenantId: string;
  readonly credential: GraphCredential;
  /** No trailing slash, e.g. https://graph.microsoft.com/v1.0. */
  readonly baseUrl: string;
  /** No trailing slash. */
  readonly authorityHost: string;
  /** Template with `{tenantId}`; undefined = real discovery against the authority. */
  readonly tokenEndpointTemplate: string | undefined;
  readonly requestTimeoutMs: number;
  readonly validationTokens: {
    readonly jwksUrl: string;
    /** Each contains `{tenantId}`. */
    readonly issuerTemplates: readonly string[];
  };
  readonly encryption: GraphEncryptionConfig;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TENANT_PLACEHOLDER = '{tenantId}';
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export function readGraphConfig(env: EnvReader): GraphConfig {
  const s = graphSettings;
  return {
    clientId: readGuid(env, s.clientId),
    tenantId: readGuid(env, s.tenantId),
    credential: readCredential(env),
    baseUrl: readBaseUrl(env),
    authorityHost: trimTrailingSlash(env.url(s.authorityHost, ['https:'])),
    tokenEndpointTemplate: readTokenEndpointTemplate(env),
    requestTimeoutMs: env.integer(s.requestTimeoutMs, { min: 100, max: 300_000 }),
    validationTokens: {
      jwksUrl: readServiceUrl(env, s.validationTokenJwksUrl),
      issuerTemplates: readIssuerTemplates(env),
    },
    encryption: readEncryption(env),
  };
}

function readGuid(env: EnvReader, setting: SettingDefinition): string {
  const value = env.string(setting);
  if (value !== '' && !GUID.test(value)) {
    env.problem(setting, `must be a GUID such as 00000000-0000-0000-0000-000000000000, got "${value}"`);
  }
  return value.toLowerCase();
}

function readCredential(env: EnvReader): GraphCredential {
  const s = graphSettings;
  const kind = env.oneOf(s.credential, GRAPH_CREDENTIAL_KINDS);
  switch (kind) {
    case 'secret':
      return { kind, clientSecret: requiredFor(env, s.clientSecret, kind) };
    case 'certificate': {
      const keyText = requiredFor(env, s.certificatePrivateKey, kind);
      const thumbprintText = requiredFor(env, s.certificateThumbprint, kind);
      return {
        kind,
        privateKeyPem: keyText === '' ? '' : readPrivateKeyPem(env, s.certificatePrivateKey, keyText),
        thumbprintSha256: thumbprintText === '' ? '' : readSha256Thumbprint(env, thumbprintText),
      };
    }
    case 'managedIdentity':
      return { kind, managedIdentityClientId: requiredWhenManagedIdentity(env) };
  }
}

function requiredFor(env: EnvReader, setting: SettingDefinition, kind: string): string {
  const value = env.raw(setting.name);
  if (value === undefined) {
    env.problem(setting, `is required when ${graphSettings.credential.name}=${kind} (${setting.description})`);
    return '';
  }
  return value;
}

function requiredWhenManagedIdentity(env: EnvReader): string {
  const setting = graphSettings.managedIdentityClientId;
  const value = requiredFor(env, setting, 'managedIdentity');
  if (value !== '' && !GUID.test(value)) env.problem(setting, `must be a GUID, got "${value}"`);
  return value.toLowerCase();
}

function readSha256Thumbprint(env: EnvReader, text: string): string {
  const setting = graphSettings.certificateThumbprint;
  const hex = text.replace(/[\s:]/g, '').toUpperCase();
  if (/^[0-9A-F]{40}$/.test(hex)) {
    env.problem(
      setting,
      'is a SHA-1 thumbprint (40 hex digits); MSAL needs the SHA-256 thumbprint (64 hex digits) of the certificate',
    );
  } else if (!/^[0-9A-F]{64}$/.test(hex)) {
    env.problem(setting, `must be 64 hex digits (the SHA-256 thumbprint), got "${text}"`);
  }
  return hex;
}

function readBaseUrl(env: EnvReader): string {
  const setting = graphSettings.baseUrl;
  const url = trimTrailingSlash(readServiceUrl(env, setting));
  if (url !== '' && URL.canParse(url) && !/\/(v1\.0|beta)$/.test(new URL(url).pathname)) {
    env.problem(setting, `must end with the Graph version segment (/v1.0 or /beta), got "${url}"`);
  }
  return url;
}

function readTokenEndpointTemplate(env: EnvReader): string | undefined {
  const setting = graphSettings.tokenEndpoint;
  const text = env.optionalString(setting);
  if (text === undefined) return undefined;
  // A misspelt placeholder ({tenant}, {tenantid}) would reach the mock verbatim; catch it here.
  const placeholders = text.match(/\{[^}]*\}/g) ?? [];
  const unknown = placeholders.filter((placeholder) => placeholder !== TENANT_PLACEHOLDER);
  if (unknown.length > 0) {
    env.problem(setting, `may contain only the placeholder ${TENANT_PLACEHOLDER}, found ${unknown.join(', ')}`);
    return text;
  }
  checkServiceUrl(env, setting, text.replaceAll(TENANT_PLACEHOLDER, '00000000-0000-0000-0000-000000000000'));
  return text;
}

function readIssuerTemplates(env: EnvReader): readonly string[] {
  const setting = graphSettings.validationTokenIssuers;
  const templates = env
    .string(setting)
    .split(',')
    .map((template) => template.trim())
    .filter((template) => template !== '');
  if (templates.length === 0) env.problem(setting, 'must list at least one issuer template');
  for (const template of templates) {
    // Without the tenant in the issuer, a token minted for any tenant would be accepted for every tenant.
    if (!template.includes(TENANT_PLACEHOLDER)) {
      env.problem(setting, `each issuer template must contain ${TENANT_PLACEHOLDER}, got "${template}"`);
    } else if (!URL.canParse(template.replaceAll(TENANT_PLACEHOLDER, '00000000-0000-0000-0000-000000000000'))) {
      env.problem(setting, `each issuer template must be an absolute URL, got "${template}"`);
    }
  }
  return templates;
}

function readEncryption(env: EnvReader): GraphEncryptionConfig {
  const s = graphSettings;
  const currentSettings = [s.encryptionCertificateId, s.encryptionCertificate, s.encryptionPrivateKey];
  const previousSettings = [s.encryptionPreviousCertificateId, s.encryptionPreviousPrivateKey];
  const current = allOrNone(env, currentSettings) ? readCurrentCertificate(env) : undefined;
  const previous = allOrNone(env, previousSettings)
    ? {
        certificateId: readCertificateId(env, s.encryptionPreviousCertificateId),
        privateKeyPem: readPrivateKeyPem(
          env,
          s.encryptionPreviousPrivateKey,
          env.string(s.encryptionPreviousPrivateKey),
        ),
      }
    : undefined;
  if (previous !== undefined && current === undefined) {
    env.problem(
      s.encryptionPreviousCertificateId,
      `is set but the current certificate (${s.encryptionCertificateId.name}) is not`,
    );
  }
  if (previous !== undefined && current !== undefined && previous.certificateId === current.certificateId) {
    env.problem(
      s.encryptionPreviousCertificateId,
      `must differ from ${s.encryptionCertificateId.name}: the id is what selects the key`,
    );
  }
  return { current, previous };
}

/** True when every setting is set; records a problem naming the missing ones when only some are. */
function allOrNone(env: EnvReader, settings: readonly SettingDefinition[]): boolean {
  const missing = settings.filter((setting) => !env.has(setting));
  if (missing.length === settings.length) return false;
  if (missing.length === 0) return true;
  const names = settings.map((setting) => setting.name).join(', ');
  for (const setting of missing) env.problem(setting, `is required when any of ${names} is set (they go together)`);
  return false;
}

function readCurrentCertificate(env: EnvReader): CurrentEncryptionCertificateConfig | undefined {
  const s = graphSettings;
  const certificateId = readCertificateId(env, s.encryptionCertificateId);
  const privateKeyPem = readPrivateKeyPem(env, s.encryptionPrivateKey, env.string(s.encryptionPrivateKey));
  const certificateText = normalisePem(env.string(s.encryptionCertificate));
  const certificatePem = firstPemBlock(certificateText, 'CERTIFICATE');
  if (certificatePem === undefined) {
    env.problem(s.encryptionCertificate, 'must be a PEM certificate (-----BEGIN CERTIFICATE-----)');
    return undefined;
  }
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certificatePem);
  } catch {
    env.problem(s.encryptionCertificate, 'is not a readable X.509 certificate');
    return undefined;
  }
  // Graph accepts RSA 2048-4096 only (docs/graph-protocol.md §5.1).
  const keyType = certificate.publicKey.asymmetricKeyType;
  const modulusLength = certificate.publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (keyType !== 'rsa' || modulusLength < 2048 || modulusLength > 4096) {
    env.problem(
      s.encryptionCertificate,
      `must hold an RSA key of 2048 to 4096 bits, got ${keyType ?? 'unknown'} ${modulusLength}`,
    );
  }
  if (privateKeyPem !== '' && !certificate.checkPrivateKey(createPrivateKey(privateKeyPem))) {
    env.problem(s.encryptionPrivateKey, `does not belong to the certificate in ${s.encryptionCertificate.name}`);
  }
  return {
    certificateId,
    privateKeyPem,
    certificatePem,
    certificateBase64Der: certificate.raw.toString('base64'),
    thumbprintSha1: certificate.fingerprint.replaceAll(':', '').toUpperCase(),
  };
}

function readCertificateId(env: EnvReader, setting: SettingDefinition): string {
  const id = env.string(setting);
  // Graph's limit on encryptionCertificateId (docs/graph-protocol.md §5.1).
  if (id.length > 128) env.problem(setting, `must be at most 128 characters, got ${id.length}`);
  return id;
}

/** Reads a private key in any unencrypted PEM form and returns it as PKCS#8 PEM, or '' with a problem recorded. */
function readPrivateKeyPem(env: EnvReader, setting: SettingDefinition, text: string): string {
  if (text === '') return '';
  const normalised = normalisePem(text);
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(normalised)) {
    env.problem(setting, 'is an encrypted private key; store it unencrypted (Key Vault protects it)');
    return '';
  }
  const block = firstPemBlock(normalised, 'PRIVATE KEY') ?? firstPemBlock(normalised, 'RSA PRIVATE KEY');
  if (block === undefined) {
    env.problem(
      setting,
      'must be a PEM private key (-----BEGIN PRIVATE KEY-----); a Key Vault certificate must use content type application/x-pem-file',
    );
    return '';
  }
  try {
    const key = createPrivateKey(block);
    if (key.asymmetricKeyType !== 'rsa') {
      env.problem(setting, `must be an RSA private key, got ${key.asymmetricKeyType ?? 'unknown'}`);
      return '';
    }
    return key.export({ format: 'pem', type: 'pkcs8' }).toString();
  } catch {
    // The crypto error text is not shown: it is generic and this is a secret setting.
    env.problem(setting, 'is not a readable PEM private key');
    return '';
  }
}

/** App settings often carry PEM with literal "\n" escapes instead of line breaks. */
function normalisePem(text: string): string {
  return text.replace(/\\r\\n|\\n/g, '\n').replace(/\r\n/g, '\n');
}

function firstPemBlock(text: string, label: string): string | undefined {
  const match = new RegExp(`-----BEGIN ${label}-----[\\s\\S]*?-----END ${label}-----`).exec(text);
  return match?.[0];
}

/** An absolute https URL, or http for a loopback host (the simulator): tokens must not travel in clear text. */
function readServiceUrl(env: EnvReader, setting: SettingDefinition): string {
  const text = env.string(setting);
  if (text !== '') checkServiceUrl(env, setting, text);
  return text;
}

function checkServiceUrl(env: EnvReader, setting: SettingDefinition, text: string): void {
  if (!URL.canParse(text)) {
    env.problem(setting, `must be an absolute URL, got "${text}"`);
    return;
  }
  const url = new URL(text);
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return;
  env.problem(setting, `must use https (http is accepted for localhost, 127.0.0.1 and [::1] only), got "${text}"`);
}

function trimTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
