/**
 * Verifies the `validationTokens` of a rich-notification POST before any content is decrypted
 * (docs/graph-protocol.md §5.4): each token's RS256 signature against the configured JWKS
 * (fetched once and cached; an unknown key id triggers a rate-limited refetch, so key rotation needs no
 * restart), its lifetime, issuer = a configured template with a tenant id in it (v1 `sts.windows.net` or
 * v2 `login.microsoftonline.com/.../v2.0`), and the publisher: `appid` (ver 1.0) or `azp` (ver 2.0) must be
 * Microsoft Graph Change Tracking. The docs call the publisher check critical although the SDK helpers skip
 * it; we do not. Any failing token rejects the whole POST.
 *
 * Graph puts one token in a POST for every (app, tenant) pair with an item in it, rich or not, and a
 * notification URL may be shared by tenants and apps. So a token for another tenant, or with another app
 * as audience, is still checked as Graph's own (all of the above) but vouches for nothing here: every
 * tenant with rich items must be covered by a valid token whose audience is our app id.
 */
import { createRemoteJWKSet, customFetch, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { isGuid } from '../shared/guid';
import { ValidationKeysUnavailable, ValidationTokenInvalid, type ValidationTokenReason } from './errors';

/** The publisher of every validation token: the "Microsoft Graph Change Tracking" app (§5.1). */
export const GRAPH_CHANGE_TRACKING_APP_ID = '0bf30f3b-4a52-48df-9a82-234910c4a086';

/** Entra ID tokens are a few KB; anything far larger is not a token and is not parsed. */
const MAX_TOKEN_CHARS = 16 * 1024;

const TENANT_PLACEHOLDER = '{tenantId}';

/** Resolves signing keys by the token header: the cached JWKS of VALIDATION_TOKEN_JWKS_URL. */
export interface ValidationKeySet {
  readonly jwksUrl: string;
  /** @internal Used by `verifyValidationTokens`. */
  readonly getKey: JWTVerifyGetKey;
}

export interface ValidationKeySetOptions {
  /** Defaults to the global fetch. */
  readonly fetch?: (url: string, init: RequestInit) => Promise<Response>;
  /** How long fetched keys are used without asking again. Default 1 hour. */
  readonly cacheMaxAgeMs?: number;
  /** Least time between two fetches, however many unknown key ids arrive. Default 30 s. */
  readonly cooldownMs?: number;
  readonly timeoutMs?: number;
}

/**
 * One key set per process: its cache is what keeps JWKS fetches to about one an hour. A forged token
 * with an invented key id cannot make us fetch more often than once per cooldown.
 */
export function createValidationKeySet(jwksUrl: string, options: ValidationKeySetOptions = {}): ValidationKeySet {
  const remote = createRemoteJWKSet(new URL(jwksUrl), {
    cacheMaxAge: options.cacheMaxAgeMs ?? 60 * 60 * 1000,
    cooldownDuration: options.cooldownMs ?? 30_000,
    timeoutDuration: options.timeoutMs ?? 5_000,
    ...(options.fetch === undefined ? {} : { [customFetch]: options.fetch }),
  });
  const getKey: JWTVerifyGetKey = async (header, token) => {
    try {
      return await remote(header, token);
    } catch (error) {
      // No key for this kid (after a refetch) is a verdict on the token; anything else is an outage.
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw error;
      throw new ValidationKeysUnavailable(jwksUrl, { cause: error });
    }
  };
  return { jwksUrl, getKey };
}

export interface ValidationTokenContext {
  /** Our app registration's client id (GRAPH_CLIENT_ID): the required audience. */
  readonly appId: string;
  /** VALIDATION_TOKEN_ISSUERS: each template contains `{tenantId}`. */
  readonly issuerTemplates: readonly string[];
  readonly keys: ValidationKeySet;
  /**
   * Tenants of the items carrying encryptedContent. Each must be covered by a valid token for our app;
   * tokens for other tenants or apps must be Graph's own but are not required.
   */
  readonly tenantIds: readonly string[];
  readonly now: Date;
  /** Allowed clock skew for exp/nbf. Default 300 s, as Microsoft's own validators. */
  readonly clockToleranceSeconds?: number;
}

export interface VerifiedValidationTokens {
  /** Tenants covered by a valid token for our app (lower-case). */
  readonly tenantIds: readonly string[];
}

/**
 * Resolves when every token is valid and every tenant in `context.tenantIds` is covered; rejects with
 * `ValidationTokenInvalid` (with a reason) otherwise, or `ValidationKeysUnavailable` when the keys
 * could not be fetched (nothing decided: retry later). No tokens and no tenants = a basic notification.
 */
export async function verifyValidationTokens(
  tokens: unknown,
  context: ValidationTokenContext,
): Promise<VerifiedValidationTokens> {
  const required = new Set(context.tenantIds.map((tenant) => tenant.toLowerCase()));
  const list = tokenList(tokens, required.size);
  const covered = new Set<string>();
  /** Required tenants that have a valid token, but only for another app. */
  const otherApps = new Set<string>();
  for (const [index, token] of list.entries()) {
    const { tenant, forThisApp } = await verifyOne(token, index, list.length, context);
    (forThisApp ? covered : otherApps).add(tenant);
  }
  const uncovered = [...required].filter((tenant) => !covered.has(tenant));
  if (uncovered.length > 0) {
    const foreign = uncovered.filter((tenant) => otherApps.has(tenant));
    if (foreign.length === uncovered.length)
      throw new ValidationTokenInvalid(
        'audience',
        `the validation token for tenant ${foreign.join(', ')} is for another app (aud is not GRAPH_CLIENT_ID)`,
      );
    throw new ValidationTokenInvalid('missing', `no validation token for tenant ${uncovered.join(', ')}`);
  }
  return { tenantIds: [...covered] };
}

function tokenList(tokens: unknown, requiredTenants: number): readonly string[] {
  if (tokens === undefined || tokens === null) {
    // Graph sends null when the tenant has not let the Change Tracking app in (§5.1): content we cannot trust.
    if (requiredTenants > 0)
      throw new ValidationTokenInvalid('missing', 'encrypted content arrived without validationTokens');
    return [];
  }
  if (!Array.isArray(tokens)) throw new ValidationTokenInvalid('malformed', 'validationTokens is not an array');
  return (tokens as unknown[]).map((token, index) => {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_CHARS) {
      throw new ValidationTokenInvalid(
        'malformed',
        `token ${index + 1} is not a string of 1 to ${MAX_TOKEN_CHARS} characters`,
      );
    }
    return token;
  });
}

/** A tenant id is a GUID, 36 characters (Microsoft's changeNotification page). */
const TENANT_ID_LENGTH = 36;

/** The tenant of a Graph issuer: `iss` is one of the templates with the same tenant GUID for each `{tenantId}`. */
function tenantOfIssuer(issuer: unknown, templates: readonly string[]): string | undefined {
  if (typeof issuer !== 'string') return undefined;
  for (const template of templates) {
    if (!template.includes(TENANT_PLACEHOLDER))
      throw new TypeError(`Issuer template "${template}" lacks ${TENANT_PLACEHOLDER}`);
    const start = template.indexOf(TENANT_PLACEHOLDER);
    const tenant = issuer.slice(start, start + TENANT_ID_LENGTH).toLowerCase();
    if (isGuid(tenant) && template.replaceAll(TENANT_PLACEHOLDER, tenant).toLowerCase() === issuer.toLowerCase())
      return tenant;
  }
  return undefined;
}

async function verifyOne(
  token: string,
  index: number,
  count: number,
  context: ValidationTokenContext,
): Promise<{ readonly tenant: string; readonly forThisApp: boolean }> {
  const which = `token ${index + 1} of ${count}`;
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, context.keys.getKey, {
      algorithms: ['RS256'],
      currentDate: context.now,
      clockTolerance: context.clockToleranceSeconds ?? 300,
      requiredClaims: ['exp', 'iss', 'aud'],
    }));
  } catch (error) {
    throw rejection(error, which);
  }
  const tenant = tenantOfIssuer(payload.iss, context.issuerTemplates);
  if (tenant === undefined)
    throw new ValidationTokenInvalid('issuer', `${which}: iss is not an accepted issuer (VALIDATION_TOKEN_ISSUERS)`);
  const publisherClaim = payload.ver === '1.0' ? 'appid' : payload.ver === '2.0' ? 'azp' : undefined;
  if (publisherClaim === undefined)
    throw new ValidationTokenInvalid('publisher', `${which}: ver is neither 1.0 nor 2.0`);
  if (payload[publisherClaim] !== GRAPH_CHANGE_TRACKING_APP_ID) {
    throw new ValidationTokenInvalid(
      'publisher',
      `${which}: ${publisherClaim} is not the Microsoft Graph Change Tracking app`,
    );
  }
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  return { tenant, forThisApp: audiences.includes(context.appId) };
}

function rejection(error: unknown, which: string): Error {
  if (error instanceof ValidationKeysUnavailable) return error;
  const reject = (reason: ValidationTokenReason, detail: string) =>
    new ValidationTokenInvalid(reason, `${which}: ${detail}`, { cause: error });
  if (error instanceof errors.JWTExpired) return reject('expired', 'exp is in the past');
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'nbf':
        return reject('not-yet-valid', 'nbf is in the future');
      default:
        return reject('malformed', `claim ${error.claim} is missing or invalid`);
    }
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return reject('signature', 'signature does not verify');
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return reject('signature', 'no unique signing key in the JWKS matches the token');
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return reject('algorithm', 'alg is not RS256');
  return reject('malformed', 'not a well-formed signed JWT');
}
