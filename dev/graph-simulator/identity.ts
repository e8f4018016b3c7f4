/**
 * The simulated Microsoft identity platform: app registrations, the v2.0 client-credentials token
 * endpoint per tenant (client secret or certificate-signed client assertion, as MSAL sends them), the
 * OpenID metadata and JWKS, bearer-token checks for the Graph endpoints, and the validation tokens that
 * accompany rich notifications (docs/graph-protocol.md §5.4). One RSA key signs everything; rotation keeps old keys
 * published so tokens already issued stay verifiable.
 */
import {
  X509Certificate,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomUUID,
  type KeyObject,
} from 'node:crypto';
import { SignJWT, decodeProtectedHeader, errors as joseErrors, exportJWK, jwtVerify, type JWK } from 'jose';
import { CHANGE_TRACKING_APP_ID, GRAPH_AUDIENCE, GRAPH_RESOURCE_APP_ID } from './limits.js';
import { GraphHttpError, oauthError, jsonResponse, type RequestIds, type SimResponse } from './graphError.js';
import type { AppRegistration } from './model.js';
import type { TokenOptions, ValidationTokenOptions } from './options.js';

/** Application permissions the simulator knows; apps registered without `roles` get all of them. */
export const KNOWN_ROLES = [
  'User.Read.All',
  'Group.Read.All',
  'Mail.Read',
  'Calendars.Read',
  'Contacts.Read',
  'Files.Read.All',
  'Chat.Read.All',
  'ChatMessage.Read.All',
  'ChannelMessage.Read.All',
  'ChatMember.Read.All',
  'Team.ReadBasic.All',
  'Channel.ReadBasic.All',
  'TeamMember.Read.All',
  'Presence.Read.All',
  'Sites.Read.All',
  'Tasks.Read.All',
  'CallRecords.Read.All',
  'OnlineMeetingTranscript.Read.All',
  'OnlineMeetingRecording.Read.All',
  'OnlineMeetings.Read.All',
  'AiEnterpriseInteraction.Read.All',
  'SecurityEvents.Read.All',
  'PrintJob.Read.All',
  'PrintTaskDefinition.ReadWrite.All',
  'Printer.Read.All',
  'SecurityEvents.ReadWrite.All',
  'Schedule.Read.All',
  'ApprovalSolution.ReadWrite.All',
  'Chat.Read.WhereInstalled',
  'Chat.ReadBasic.WhereInstalled',
  'ChatMember.Read.WhereInstalled',
  'VirtualEvent.Read.All',
] as const;

export interface RegisteredApp {
  readonly clientId: string;
  readonly displayName: string;
  readonly clientSecrets: readonly string[];
  readonly certificates: readonly { publicKey: KeyObject; sha1: string; sha256: string }[];
  readonly tenants: readonly string[] | undefined;
  readonly roles: readonly string[];
}

export interface Caller {
  tenantId: string;
  appId: string;
  roles: readonly string[];
}

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: JWK;
}

function base64UrlThumbprint(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64url');
}

function certificateThumbprints(pem: string): { publicKey: KeyObject; sha1: string; sha256: string } {
  const certificate = new X509Certificate(pem);
  return {
    publicKey: certificate.publicKey,
    sha1: createHash('sha1').update(certificate.raw).digest('hex').toUpperCase(),
    sha256: createHash('sha256').update(certificate.raw).digest('hex').toUpperCase(),
  };
}

async function newSigningKey(privateKeyPem?: string): Promise<SigningKey> {
  const privateKey =
    privateKeyPem === undefined
      ? generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
      : createPrivateKey(privateKeyPem);
  const publicJwk = await exportJWK(createPublicKey(privateKey));
  const kid = createHash('sha256').update(JSON.stringify(publicJwk)).digest('base64url').slice(0, 27);
  return { kid, privateKey, publicJwk: { ...publicJwk, kid, use: 'sig', alg: 'RS256', kty: 'RSA' } };
}

export interface IdentityContext {
  tenantExists(tenantId: string): boolean;
  /** Wall or virtual "now" for token lifetimes, per `TokenOptions.clock`. */
  tokenNow(): Date;
  /** Virtual now, for error bodies. */
  now(): Date;
}

export class IdentityPlatform {
  readonly #apps = new Map<string, RegisteredApp>();
  #keys: SigningKey[];
  readonly #context: IdentityContext;
  readonly #tokens: TokenOptions;
  readonly #validation: ValidationTokenOptions;
  /** Service principal object ids per app and tenant (the `oid` of app tokens). */
  readonly #servicePrincipals = new Map<string, string>();

  private constructor(
    key: SigningKey,
    context: IdentityContext,
    tokens: TokenOptions,
    validation: ValidationTokenOptions,
  ) {
    this.#keys = [key];
    this.#context = context;
    this.#tokens = tokens;
    this.#validation = validation;
  }

  static async create(
    context: IdentityContext,
    tokens: TokenOptions,
    validation: ValidationTokenOptions,
    privateKeyPem?: string,
  ): Promise<IdentityPlatform> {
    return new IdentityPlatform(await newSigningKey(privateKeyPem), context, tokens, validation);
  }

  registerApp(registration: AppRegistration): RegisteredApp & { clientSecret: string | undefined } {
    const clientId = registration.clientId ?? randomUUID();
    const app: RegisteredApp = {
      clientId,
      displayName: registration.displayName ?? `Simulated app ${clientId.slice(0, 8)}`,
      clientSecrets: registration.clientSecrets ?? [],
      certificates: (registration.certificates ?? []).map(certificateThumbprints),
      tenants: registration.tenants,
      roles: registration.roles ?? [...KNOWN_ROLES],
    };
    this.#apps.set(clientId, app);
    return { ...app, clientSecret: app.clientSecrets[0] };
  }

  app(clientId: string): RegisteredApp | undefined {
    return this.#apps.get(clientId);
  }

  apps(): RegisteredApp[] {
    return [...this.#apps.values()];
  }

  jwks(): { keys: JWK[] } {
    return { keys: this.#keys.map((k) => k.publicJwk) };
  }

  /** Publishes a new signing key; the previous ones stay in the JWKS. */
  async rotateSigningKey(): Promise<string> {
    const key = await newSigningKey();
    this.#keys = [key, ...this.#keys];
    return key.kid;
  }

  openIdConfiguration(origin: string, tenantId: string): Record<string, unknown> {
    return {
      token_endpoint: `${origin}/${tenantId}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${origin}/${tenantId}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${origin}/${tenantId}/v2.0`,
      authorization_endpoint: `${origin}/${tenantId}/oauth2/v2.0/authorize`,
      tenant_region_scope: 'EU',
      cloud_instance_name: 'microsoftonline.com',
    };
  }

  /** Mints a Graph access token directly (tests of expiry and forgery use `lifetimeSeconds` < 0). */
  async issueAccessToken(
    tenantId: string,
    clientId: string,
    options: { lifetimeSeconds?: number; audience?: string } = {},
  ): Promise<string> {
    const app = this.#apps.get(clientId);
    if (app === undefined) throw new TypeError(`unknown app ${clientId}`);
    return this.#signAccessToken(
      app,
      tenantId,
      '1',
      options.lifetimeSeconds ?? this.#tokens.accessTokenLifetimeSeconds,
      options.audience,
    );
  }

  async #signAccessToken(
    app: RegisteredApp,
    tenantId: string,
    appidacr: '1' | '2',
    lifetimeSeconds: number,
    audience = GRAPH_AUDIENCE,
  ): Promise<string> {
    const key = this.#keys[0];
    if (key === undefined) throw new TypeError('no signing key');
    const iat = Math.floor(this.#context.tokenNow().getTime() / 1000);
    const issuer = `https://sts.windows.net/${tenantId}/`;
    return new SignJWT({
      aio: randomUUID(),
      app_displayname: app.displayName,
      appid: app.clientId,
      appidacr,
      idp: issuer,
      idtyp: 'app',
      oid: this.servicePrincipalId(app.clientId, tenantId),
      rh: '0.AAAA.',
      roles: [...app.roles],
      sub: this.servicePrincipalId(app.clientId, tenantId),
      tid: tenantId,
      uti: randomUUID().replaceAll('-', '').slice(0, 22),
      ver: '1.0',
    })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid })
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(iat + lifetimeSeconds)
      .sign(key.privateKey);
  }

  /** The app's service principal object id in a tenant (`oid` of its tokens, `creatorId` of its subscriptions). */
  servicePrincipalId(clientId: string, tenantId: string): string {
    const key = `${clientId}|${tenantId}`;
    let id = this.#servicePrincipals.get(key);
    if (id === undefined) {
      id = randomUUID();
      this.#servicePrincipals.set(key, id);
    }
    return id;
  }

  /** `POST /{tenantId}/oauth2/v2.0/token` with client credentials (form body), as MSAL sends it. */
  async tokenEndpoint(
    tenantId: string,
    form: URLSearchParams,
    tokenEndpointUrl: string,
    ids: RequestIds,
  ): Promise<SimResponse> {
    const context = { now: this.#context.now(), ids };
    if (!this.#context.tenantExists(tenantId)) {
      return oauthError(
        400,
        'invalid_request',
        90002,
        `Tenant '${tenantId}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
        context,
      );
    }
    const grantType = form.get('grant_type');
    if (grantType !== 'client_credentials') {
      return oauthError(
        400,
        'unsupported_grant_type',
        70003,
        `The app requested an unsupported grant type '${grantType ?? ''}'.`,
        context,
      );
    }
    const clientId = form.get('client_id') ?? '';
    const app = this.#apps.get(clientId);
    if (app === undefined || (app.tenants !== undefined && !app.tenants.includes(tenantId))) {
      return oauthError(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`,
        context,
      );
    }
    const scope = form.get('scope') ?? '';
    const scopes = scope.split(' ').filter((s) => s.length > 0);
    const graphScope = scopes.find((s) => s.endsWith('/.default'));
    if (graphScope === undefined) {
      return oauthError(
        400,
        'invalid_scope',
        1002012,
        `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
        context,
      );
    }
    const resource = graphScope.slice(0, -'/.default'.length);
    if (resource !== GRAPH_AUDIENCE && resource !== `${GRAPH_AUDIENCE}/` && resource !== GRAPH_RESOURCE_APP_ID) {
      return oauthError(
        400,
        'invalid_resource',
        500011,
        `The resource principal named ${resource} was not found in the tenant named ${tenantId}.`,
        context,
      );
    }
    const secret = form.get('client_secret');
    const assertion = form.get('client_assertion');
    let appidacr: '1' | '2';
    if (secret !== null) {
      if (!app.clientSecrets.includes(secret)) {
        return oauthError(
          401,
          'invalid_client',
          7000215,
          `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
          context,
        );
      }
      appidacr = '1';
    } else if (assertion !== null) {
      if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
        return oauthError(
          401,
          'invalid_client',
          7000219,
          "'client_assertion_type' must be 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'.",
          context,
        );
      }
      const failure = await this.#checkClientAssertion(app, assertion, tenantId, tokenEndpointUrl);
      if (failure !== undefined) return oauthError(401, 'invalid_client', failure.code, failure.message, context);
      appidacr = '2';
    } else {
      return oauthError(
        401,
        'invalid_client',
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        context,
      );
    }
    const lifetime = this.#tokens.accessTokenLifetimeSeconds;
    const accessToken = await this.#signAccessToken(app, tenantId, appidacr, lifetime);
    return jsonResponse(
      200,
      { token_type: 'Bearer', expires_in: lifetime, ext_expires_in: lifetime, access_token: accessToken },
      { 'cache-control': 'no-store, no-cache' },
    );
  }

  async #checkClientAssertion(
    app: RegisteredApp,
    assertion: string,
    tenantId: string,
    tokenEndpointUrl: string,
  ): Promise<{ code: number; message: string } | undefined> {
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(assertion);
    } catch {
      return { code: 50027, message: 'JWT token is invalid or malformed.' };
    }
    const x5tS256 = typeof header['x5t#S256'] === 'string' ? header['x5t#S256'] : undefined;
    const x5t = typeof header.x5t === 'string' ? header.x5t : undefined;
    const candidates = app.certificates.filter(
      (c) =>
        (x5tS256 === undefined && x5t === undefined) ||
        base64UrlThumbprint(c.sha256) === x5tS256 ||
        base64UrlThumbprint(c.sha1) === x5t,
    );
    if (candidates.length === 0) {
      return {
        code: 700027,
        message: 'The certificate with identifier used to sign the client assertion is not registered on application.',
      };
    }
    for (const certificate of candidates) {
      try {
        const { payload } = await jwtVerify(assertion, certificate.publicKey, {
          algorithms: ['RS256', 'PS256'],
          currentDate: new Date(),
          clockTolerance: 300,
        });
        if (payload.iss !== app.clientId || payload.sub !== app.clientId) {
          return { code: 700023, message: 'Client assertion audience claim does not match Realm issuer.' };
        }
        // MSAL sets aud to the token endpoint from the authority metadata; the origin may be any loopback name.
        const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud ?? ''];
        const expectedPath = new URL(tokenEndpointUrl).pathname;
        const audienceMatches = audiences.some((aud) => {
          try {
            const url = new URL(aud);
            return (
              url.pathname === expectedPath ||
              (url.hostname === 'login.microsoftonline.com' && url.pathname === `/${tenantId}/oauth2/v2.0/token`)
            );
          } catch {
            return false;
          }
        });
        if (!audienceMatches)
          return {
            code: 700024,
            message: 'Client assertion is not within its valid time range or has the wrong audience.',
          };
        return undefined;
      } catch (error) {
        if (error instanceof joseErrors.JWTExpired)
          return { code: 700024, message: 'Client assertion is not within its valid time range.' };
      }
    }
    return { code: 7000274, message: 'Key was found, but use of the key to verify the signature failed.' };
  }

  /** Checks `Authorization: Bearer` on a Graph request; throws the Graph 401 on any failure. */
  async authenticate(authorization: string | undefined): Promise<Caller> {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    const token = match?.[1];
    if (token === undefined) throw GraphHttpError.of('tokenEmpty');
    let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
    try {
      ({ payload } = await jwtVerify(token, (header) => this.#publicKeyFor(header.kid), {
        algorithms: ['RS256'],
        currentDate: this.#context.tokenNow(),
      }));
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw GraphHttpError.of('tokenExpired');
      throw GraphHttpError.of('tokenInvalid');
    }
    const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
    if (!audiences.some((a) => a === GRAPH_AUDIENCE || a === `${GRAPH_AUDIENCE}/` || a === GRAPH_RESOURCE_APP_ID)) {
      throw GraphHttpError.of('tokenWrongAudience');
    }
    const tenantId = typeof payload.tid === 'string' ? payload.tid : '';
    const appId = typeof payload.appid === 'string' ? payload.appid : '';
    if (
      payload.iss !== `https://sts.windows.net/${tenantId}/` ||
      !this.#context.tenantExists(tenantId) ||
      !this.#apps.has(appId)
    ) {
      throw GraphHttpError.of('tokenInvalid');
    }
    const roles = Array.isArray(payload.roles) ? payload.roles.filter((r): r is string => typeof r === 'string') : [];
    return { tenantId, appId, roles };
  }

  #publicKeyFor(kid: string | undefined): KeyObject {
    const key = this.#keys.find((k) => k.kid === kid);
    if (key === undefined)
      throw new GraphHttpError(401, 'InvalidAuthenticationToken', 'Access token validation failure.');
    return createPublicKey(key.privateKey);
  }

  /** A validation token for rich notifications of `appId` in `tenantId` (docs/graph-protocol.md §5.4). */
  async issueValidationToken(
    appId: string,
    tenantId: string,
    overrides: Record<string, unknown> = {},
  ): Promise<string> {
    const key = this.#keys[0];
    if (key === undefined) throw new TypeError('no signing key');
    const iat = Math.floor(this.#context.tokenNow().getTime() / 1000);
    const v2 = this.#validation.issuer === 'v2';
    const issuer = (v2 ? this.#validation.v2IssuerTemplate : this.#validation.v1IssuerTemplate).replaceAll(
      '{tenantId}',
      tenantId,
    );
    const servicePrincipal = this.servicePrincipalId(CHANGE_TRACKING_APP_ID, tenantId);
    const claims: Record<string, unknown> = v2
      ? {
          aio: randomUUID(),
          azp: CHANGE_TRACKING_APP_ID,
          azpacr: '2',
          oid: servicePrincipal,
          rh: '0.AAAA.',
          sub: servicePrincipal,
          tid: tenantId,
          uti: randomUUID().slice(0, 22),
          ver: '2.0',
        }
      : {
          aio: randomUUID(),
          appid: CHANGE_TRACKING_APP_ID,
          appidacr: '2',
          idp: issuer,
          oid: servicePrincipal,
          rh: '0.AAAA.',
          sub: servicePrincipal,
          tid: tenantId,
          uti: randomUUID().slice(0, 22),
          ver: '1.0',
        };
    // Overrides go last so tests can forge a wrong aud, iss, azp or exp with the simulator's real key.
    const payload = {
      aud: appId,
      iss: issuer,
      iat,
      nbf: iat,
      exp: iat + this.#validation.lifetimeSeconds,
      ...claims,
      ...overrides,
    };
    return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: key.kid }).sign(key.privateKey);
  }
}
