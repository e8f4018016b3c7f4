/**
 * MSAL adapter of the `AccessTokenProvider` port: app-only Graph tokens by client credentials. One
 * `ConfidentialClientApplication` per tenant, created on first use and kept for the life of the
 * process, because MSAL's token cache lives in that instance ("Token caching in MSAL Node", https://learn.microsoft.com/entra/msal/javascript/node/caching): a warm
 * Functions instance then serves tokens from memory until 5 minutes before they expire. The
 * credential is a client secret, a certificate, or a user-assigned managed identity used as a
 * federated credential (its token for api://AzureADTokenExchange is the client assertion). With
 * GRAPH_TOKEN_ENDPOINT set, MSAL is handed static authority metadata for that endpoint, which is how it
 * talks to a plain-http stand-in (it refuses http authorities; "MSAL Node configuration options", https://learn.microsoft.com/entra/msal/javascript/node/configuration). MSAL failures become coded Graph
 * errors whose messages name the setting to check and never contain a secret.
 */
import type * as MsalNode from '@azure/msal-node';
import type {
  AuthError,
  ConfidentialClientApplication,
  Configuration,
  ManagedIdentityApplication,
  NodeAuthOptions,
} from '@azure/msal-node';
import type { GraphConfig } from '../../lib/config';
import {
  GraphCredentialRejected,
  GraphError,
  GraphRequestFailed,
  GraphUnavailable,
  graphScopeFor,
  isTenantId,
  type AccessTokenProvider,
} from '../../lib/graph';

/** MSAL loads with the first token request, not with the app: see storageClients.ts. */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use.
const msal = (): typeof MsalNode => require('@azure/msal-node') as typeof MsalNode;

/** Audience of the managed-identity token that serves as client assertion (public cloud). */
export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';

/** Backoff suggested when the token endpoint is unreachable: it is usually a short blip. */
const TOKEN_ENDPOINT_RETRY_MS = 5_000;

/** OAuth errors that mean "the service had a problem", not "your credential is wrong". */
const TRANSIENT_OAUTH_ERRORS = new Set(['temporarily_unavailable', 'server_error']);

/** MSAL error codes for a token endpoint or discovery document that could not be reached. */
const NETWORK_ERRORS = new Set([
  'network_error',
  'network_unavailable',
  'endpoints_resolution_error',
  'request_timeout',
]);

export type MsalGraphSettings = Pick<
  GraphConfig,
  'clientId' | 'credential' | 'baseUrl' | 'authorityHost' | 'tokenEndpointTemplate' | 'validationTokens'
>;

export class MsalAccessTokenProvider implements AccessTokenProvider {
  readonly #settings: MsalGraphSettings;
  readonly #scope: string;
  readonly #clients = new Map<string, ConfidentialClientApplication>();
  /** Concurrent first calls for one tenant share one token request instead of racing to the endpoint. */
  readonly #inFlight = new Map<string, Promise<string>>();
  #managedIdentity: ManagedIdentityApplication | undefined;

  constructor(settings: MsalGraphSettings) {
    this.#settings = settings;
    this.#scope = graphScopeFor(settings.baseUrl);
  }

  getToken(tenantId: string): Promise<string> {
    if (!isTenantId(tenantId)) {
      return Promise.reject(
        new GraphRequestFailed(`Cannot request a token: tenant id "${tenantId.slice(0, 64)}" is not a GUID`),
      );
    }
    const tenant = tenantId.toLowerCase();
    const pending = this.#inFlight.get(tenant);
    if (pending !== undefined) return pending;
    const request = this.#acquire(tenant).finally(() => this.#inFlight.delete(tenant));
    this.#inFlight.set(tenant, request);
    return request;
  }

  async #acquire(tenantId: string): Promise<string> {
    let result;
    try {
      result = await this.#clientFor(tenantId).acquireTokenByClientCredential({ scopes: [this.#scope] });
    } catch (error) {
      throw this.#translate(error, tenantId);
    }
    if (result === null || result.accessToken === '') {
      throw new GraphUnavailable(`Token endpoint for tenant ${tenantId} returned no access token`, 'token-endpoint', {
        retryAfterMs: TOKEN_ENDPOINT_RETRY_MS,
        retryAfterFromHeader: false,
      });
    }
    return result.accessToken;
  }

  #clientFor(tenantId: string): ConfidentialClientApplication {
    let client = this.#clients.get(tenantId);
    if (client === undefined) {
      client = new (msal().ConfidentialClientApplication)(this.#configurationFor(tenantId));
      this.#clients.set(tenantId, client);
    }
    return client;
  }

  #configurationFor(tenantId: string): Configuration {
    const settings = this.#settings;
    const auth: NodeAuthOptions = {
      clientId: settings.clientId,
      ...this.#credentialOptions(),
      ...authorityOptions(settings, tenantId),
    };
    return { auth };
  }

  #credentialOptions(): Pick<NodeAuthOptions, 'clientSecret' | 'clientCertificate' | 'clientAssertion'> {
    const credential = this.#settings.credential;
    switch (credential.kind) {
      case 'secret':
        return { clientSecret: credential.clientSecret };
      case 'certificate':
        return {
          clientCertificate: { thumbprintSha256: credential.thumbprintSha256, privateKey: credential.privateKeyPem },
        };
      case 'managedIdentity':
        return { clientAssertion: () => this.#managedIdentityAssertion(credential.managedIdentityClientId) };
    }
  }

  async #managedIdentityAssertion(managedIdentityClientId: string): Promise<string> {
    this.#managedIdentity ??= new (msal().ManagedIdentityApplication)({
      managedIdentityIdParams: { userAssignedClientId: managedIdentityClientId },
    });
    try {
      // The managed identity application caches its own token, so this is a network call about once a day.
      const result = await this.#managedIdentity.acquireToken({ resource: TOKEN_EXCHANGE_AUDIENCE });
      return result.accessToken;
    } catch (error) {
      throw new GraphUnavailable(
        `The managed identity ${managedIdentityClientId} (GRAPH_MANAGED_IDENTITY_CLIENT_ID) could not provide a token for ${TOKEN_EXCHANGE_AUDIENCE}${describeMsalCode(error)}`,
        'token-endpoint',
        { retryAfterMs: TOKEN_ENDPOINT_RETRY_MS, retryAfterFromHeader: false },
        { cause: error },
      );
    }
  }

  #translate(error: unknown, tenantId: string): GraphError {
    if (error instanceof GraphError) return error;
    const retryAfter = { retryAfterMs: TOKEN_ENDPOINT_RETRY_MS, retryAfterFromHeader: false };
    if (error instanceof msal().ServerError) {
      const status = error.status;
      if ((status !== undefined && (status >= 500 || status === 429)) || TRANSIENT_OAUTH_ERRORS.has(error.errorCode)) {
        return new GraphUnavailable(
          `Token endpoint for tenant ${tenantId} is unavailable${describeMsalCode(error)}`,
          'token-endpoint',
          retryAfter,
          { status, cause: error },
        );
      }
      const oauthError = [error.errorCode, aadstsCode(error)].filter((part) => part !== undefined).join(' ');
      return new GraphCredentialRejected(
        `Token request for tenant ${tenantId} was rejected (${oauthError}): ${this.#hint(error.errorCode, tenantId)}`,
        oauthError,
        { status, cause: error },
      );
    }
    if (error instanceof msal().AuthError && NETWORK_ERRORS.has(error.errorCode)) {
      return new GraphUnavailable(
        `Token endpoint for tenant ${tenantId} could not be reached${describeMsalCode(error)}`,
        'token-endpoint',
        retryAfter,
        {
          cause: error,
        },
      );
    }
    const code = error instanceof msal().AuthError ? error.errorCode : 'unexpected_error';
    return new GraphCredentialRejected(
      `MSAL could not build a token request for tenant ${tenantId} (${code}): check the GRAPH_* credential settings`,
      code,
      { cause: error },
    );
  }

  #hint(oauthError: string, tenantId: string): string {
    switch (oauthError) {
      case 'invalid_client':
        return `the credential was not accepted; ${credentialHint(this.#settings.credential.kind)}`;
      case 'unauthorized_client':
        return `app GRAPH_CLIENT_ID is unknown in tenant ${tenantId} or not consented there`;
      case 'invalid_scope':
        return `scope ${this.#scope} was refused; check GRAPH_BASE_URL`;
      case 'invalid_request':
        return 'the token endpoint refused the request; check GRAPH_CLIENT_ID and GRAPH_TENANT_ID (or the tenant id in the notification)';
      default:
        return credentialHint(this.#settings.credential.kind);
    }
  }
}

function credentialHint(kind: GraphConfig['credential']['kind']): string {
  switch (kind) {
    case 'secret':
      return 'check GRAPH_CLIENT_ID and GRAPH_CLIENT_SECRET (an expired secret, or the secret id instead of its value)';
    case 'certificate':
      return 'check GRAPH_CLIENT_ID, GRAPH_CERTIFICATE_PRIVATE_KEY and GRAPH_CERTIFICATE_THUMBPRINT, and that the certificate is uploaded to the app registration';
    case 'managedIdentity':
      return 'check GRAPH_CLIENT_ID and that the app registration has a federated identity credential for the managed identity in GRAPH_MANAGED_IDENTITY_CLIENT_ID (audience api://AzureADTokenExchange)';
  }
}

/**
 * The authority for a tenant. With a token endpoint template, MSAL gets an https authority on the
 * endpoint's host (never contacted), that host as a known authority, and metadata whose token endpoint
 * is the template filled in: how MSAL accepts an authority it cannot discover ("MSAL Node configuration options", https://learn.microsoft.com/entra/msal/javascript/node/configuration).
 */
function authorityOptions(
  settings: MsalGraphSettings,
  tenantId: string,
): Pick<NodeAuthOptions, 'authority' | 'knownAuthorities' | 'authorityMetadata'> {
  if (settings.tokenEndpointTemplate === undefined) return { authority: `${settings.authorityHost}/${tenantId}` };
  const tokenEndpoint = settings.tokenEndpointTemplate.replaceAll('{tenantId}', tenantId);
  const endpoint = new URL(tokenEndpoint);
  const authority = `https://${endpoint.host}/${tenantId}`;
  return {
    authority,
    knownAuthorities: [endpoint.host],
    authorityMetadata: JSON.stringify({
      issuer: `${authority}/v2.0`,
      authorization_endpoint: new URL(`/${tenantId}/oauth2/v2.0/authorize`, endpoint.origin).href,
      token_endpoint: tokenEndpoint,
      jwks_uri: settings.validationTokens.jwksUrl,
    }),
  };
}

/** The AADSTS number from an Entra error message (e.g. AADSTS7000215): identifies the cause, holds no secret. */
function aadstsCode(error: AuthError): string | undefined {
  return /\bAADSTS\d+\b/.exec(error.errorMessage)?.[0];
}

function describeMsalCode(error: unknown): string {
  if (!(error instanceof msal().AuthError)) return '';
  const aadsts = aadstsCode(error);
  return ` (${error.errorCode}${aadsts === undefined ? '' : ` ${aadsts}`})`;
}
