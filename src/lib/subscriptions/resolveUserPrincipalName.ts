/**
 * A subscription resource may name its user by user principal name (`users/megan@contoso.com/contacts`), but
 * Graph names the user by id in every notification (`Users/{user-guid}/Contacts/{id}`) and a resync lists items
 * under the subscription's own resource. So that both write under one key, graph-notify resolves the name to the
 * user's id once, at create (`GET /users/{upn}?$select=id`), subscribes with the id and keeps the name as
 * `requestedResource` for display (docs/subscriptions.md#users-by-name). A later rename or reassignment of the
 * name does not move the subscription: it watches the user it was created for.
 */
import { GraphResourceNotFound, GraphResponseInvalid, type GraphClient } from '../graph';
import { SubscriptionUserNotFound } from './errors';

/** Entra object ids are GUIDs; any other owner segment is a name Graph resolves (a UPN). */
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** `users/{owner}…` or `users('{owner}')…`, the owner and what follows it (path and query) apart. */
const USER_OWNER = /^users(?:\/([^/?('"]+)|\('((?:[^']|'')+)'\))(.*)$/i;

/** The user principal name a subscription resource names its user by, or undefined when it uses the id (or no user). */
export function userPrincipalNameOf(resource: string): string | undefined {
  const match = USER_OWNER.exec(resource);
  if (match === null) return undefined;
  const [, bare, quoted] = match;
  const owner = bare === undefined ? (quoted ?? '').replace(/''/g, "'") : decodedOrAsIs(bare);
  return GUID.test(owner) ? undefined : owner;
}

function decodedOrAsIs(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The resource with its user principal name replaced by `userId`: `users/{userId}…`, the rest as written. */
export function withUserId(resource: string, userId: string): string {
  const match = USER_OWNER.exec(resource);
  if (match === null) return resource;
  return `users/${userId.toLowerCase()}${match[3] ?? ''}`;
}

/**
 * The resource to subscribe to and, when it named its user by UPN, the resource as written. Throws
 * `SubscriptionUserNotFound` when Graph knows no such user in the tenant; other Graph failures as they are.
 */
export async function resolveUserPrincipalName(
  resource: string,
  tenantId: string,
  graph: Pick<GraphClient, 'send'>,
): Promise<{ readonly resource: string; readonly requestedResource?: string }> {
  const upn = userPrincipalNameOf(resource);
  if (upn === undefined) return { resource };
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
  const id = typeof body === 'object' && body !== null && 'id' in body ? body.id : undefined;
  if (typeof id !== 'string' || !GUID.test(id))
    throw new GraphResponseInvalid(`Graph answered GET /users/{upn} without a user id (tenant ${tenantId})`);
  return { resource: withUserId(resource, id), requestedResource: resource };
}
