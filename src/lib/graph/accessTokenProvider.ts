/**
 * The port through which the Graph client gets app-only access tokens. The MSAL adapter
 * (`src/adapters/azure/msalAccessTokenProvider.ts`) keeps one confidential client per tenant for the
 * life of the process, so its token cache serves every warm invocation; tests inject a fake.
 */
export interface AccessTokenProvider {
  /**
   * A bearer token for Graph in `tenantId`. Fails with `GraphCredentialRejected` when the token
   * endpoint refuses the credential and `GraphUnavailable` (reason `token-endpoint`) when it cannot
   * be reached.
   */
  getToken(tenantId: string): Promise<string>;
}

const TENANT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Tenant ids reach us in notification payloads; only a GUID may become part of an authority URL, so a
 * crafted value cannot point token requests elsewhere or grow the per-tenant client map without bound.
 */
export function isTenantId(value: string): boolean {
  return TENANT_ID.test(value);
}

const DEFAULT_GRAPH_SCOPE = 'https://graph.microsoft.com/.default';

/**
 * The app-only scope for a Graph base URL: the origin's `.default` for Graph itself and national
 * clouds (https://graph.microsoft.us/.default); the global Graph scope for a loopback stand-in, so the
 * simulator sees the same scope as production.
 */
export function graphScopeFor(baseUrl: string): string {
  const url = new URL(baseUrl);
  return url.protocol === 'https:' ? `${url.origin}/.default` : DEFAULT_GRAPH_SCOPE;
}
