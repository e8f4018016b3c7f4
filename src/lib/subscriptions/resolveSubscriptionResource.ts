/**
 * One resource, one key: a subscription resource is stored and subscribed in the form Graph uses in its
 * notifications, so a resync (which lists items under the subscription's own resource) and the notifications write
 * under one key. Resolved once, at create, through the Graph port; the resource as written is kept as
 * `requestedResource` for display (docs/subscriptions.md#users-by-name):
 *
 * - a user named by user principal name (`users/megan@contoso.com/contacts`): Graph names the user by id in every
 *   notification (`Users/{user-guid}/Contacts/{id}`), so the name becomes the id (`GET /users/{upn}?$select=id`);
 * - a drive named through its owner (`users/{id}/drive/root`, `sites/{id}/drive/root`): drive notifications name the
 *   drive (`drives/{drive-id}/root`), so the owner becomes the drive (`GET /users/{id}/drive?$select=id`).
 *
 * A later rename or reassignment does not move the subscription: it watches what it was created for.
 */
import { GraphResourceNotFound, GraphResponseInvalid, type GraphClient } from '../graph';
import { decodeResourceId, normalizeResourcePath } from '../resources';
import { SubscriptionRefused, SubscriptionUserNotFound } from './errors';

type Graph = Pick<GraphClient, 'send'>;

/** Entra object ids are GUIDs; any other owner segment is a name Graph resolves (a UPN). */
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** `users/{owner}…` or `users('{owner}')…`, the owner and what follows it (path and query) apart. */
const USER_OWNER = /^users(?:\/([^/?('"]+)|\('((?:[^']|'')+)'\))(.*)$/i;
/** A drive root named through its owner, in canonical form. */
const OWNED_DRIVE_ROOT = /^((?:users|sites)\/[^/]+)\/drive\/root$/;

function decodedOrAsIs(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The user principal name a subscription resource names its user by, or undefined when it uses the id (or no user). */
export function userPrincipalNameOf(resource: string): string | undefined {
  const match = USER_OWNER.exec(resource);
  if (match === null) return undefined;
  const [, bare, quoted] = match;
  const owner = bare === undefined ? (quoted ?? '').replace(/''/g, "'") : decodedOrAsIs(bare);
  return GUID.test(owner) ? undefined : owner;
}

/** The resource with its user principal name replaced by `userId`: `users/{userId}…`, the rest as written. */
export function withUserId(resource: string, userId: string): string {
  const match = USER_OWNER.exec(resource);
  if (match === null) return resource;
  return `users/${userId.toLowerCase()}${match[3] ?? ''}`;
}

/** The `id` of a `$select=id` answer. */
function idOf(body: unknown, what: string, tenantId: string): string {
  const id = typeof body === 'object' && body !== null && 'id' in body ? body.id : undefined;
  if (typeof id !== 'string' || id === '')
    throw new GraphResponseInvalid(`Graph answered GET ${what} without an id (tenant ${tenantId})`);
  return id;
}

async function resolveUser(resource: string, tenantId: string, graph: Graph): Promise<string> {
  const upn = userPrincipalNameOf(resource);
  if (upn === undefined) return resource;
  let body: unknown;
  try {
    ({ body } = await graph.send(tenantId, {
      method: 'GET',
      path: `/users/${encodeURIComponent(upn)}?$select=id`,
      operation: 'resolveUser',
    }));
  } catch (error) {
    if (error instanceof GraphResourceNotFound) throw new SubscriptionUserNotFound(upn, tenantId, { cause: error });
    throw error;
  }
  const id = idOf(body, '/users/{upn}', tenantId);
  if (!GUID.test(id)) throw new GraphResponseInvalid(`Graph answered GET /users/{upn} with an id that is not a GUID`);
  return withUserId(resource, id);
}

async function resolveDrive(resource: string, tenantId: string, graph: Graph): Promise<string> {
  const owner = OWNED_DRIVE_ROOT.exec(normalizeResourcePath(resource, tenantId))?.[1];
  if (owner === undefined) return resource;
  const ownerPath = owner
    .split('/')
    .map((segment) => encodeURIComponent(decodeResourceId(segment)))
    .join('/');
  let body: unknown;
  try {
    ({ body } = await graph.send(tenantId, {
      method: 'GET',
      path: `/${ownerPath}/drive?$select=id`,
      operation: 'resolveDrive',
    }));
  } catch (error) {
    if (error instanceof GraphResourceNotFound)
      throw new SubscriptionRefused(
        'resourceNotFound',
        `Graph found no drive of ${owner} in tenant ${tenantId}: check the id, or subscribe to drives/{drive-id}/root`,
        { cause: error },
      );
    throw error;
  }
  return `drives/${idOf(body, `/${owner}/drive`, tenantId)}/root`;
}

/**
 * The resource to subscribe to and, when it differs, the resource as written. Throws `SubscriptionUserNotFound`
 * for a user principal name Graph does not know in the tenant, `SubscriptionRefused` for an owner without a drive;
 * other Graph failures as they are. Asks Graph nothing for a resource already in Graph's form.
 */
export async function resolveSubscriptionResource(
  resource: string,
  tenantId: string,
  graph: Graph,
): Promise<{ readonly resource: string; readonly requestedResource?: string }> {
  const resolved = await resolveDrive(await resolveUser(resource, tenantId, graph), tenantId, graph);
  return resolved === resource ? { resource } : { resource: resolved, requestedResource: resource };
}
