/**
 * The management API. authLevel `admin`: only the master key opens it (`x-functions-key` header), so the
 * function keys Graph holds in the notification URLs open nothing here; with App Service authentication
 * (Entra ID, an app role) in front, that gate is added on top (docs/security.md). One function, one route
 * template, one use case per method and path:
 *
 *   GET    /api/subscriptions             list (status, expiry, last renewal, last error; never clientState)
 *   POST   /api/subscriptions             create {resource, changeType, tenantId?, includeResourceData?, expirationDateTime?}
 *   GET    /api/subscriptions/{id}        show one
 *   DELETE /api/subscriptions/{id}        delete in Graph and the table
 *   POST   /api/subscriptions/{id}/renew  renew now (recreates it if Graph lost it)
 *
 * Errors are application/problem+json with the stable code (docs/subscriptions.md lists them).
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { appServices, type AppServices } from '../index';
import {
  checkSubscriptionId,
  createManagedSubscription,
  deleteManagedSubscription,
  getSubscription,
  listSubscriptions,
  parseSubscriptionRequest,
  renewManagedSubscription,
  SubscriptionRequestInvalid,
} from '../lib/subscriptions';
import { errorResponse, problemResponse } from './shared/problemResponse';

const json = (status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit => ({
  status,
  headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers },
  body: JSON.stringify(body),
});

/** `services` is for host-free tests; the runtime passes two arguments and gets the app's services. */
export async function manageSubscriptions(
  request: HttpRequest,
  context: InvocationContext,
  services: () => AppServices['subscriptionServices'] = () => appServices().subscriptionServices,
): Promise<HttpResponseInit> {
  const id = request.params.id;
  const action = request.params.action;
  try {
    if (id !== undefined) checkSubscriptionId(id);
    const deps = { ...services(), log: context };
    if (id === undefined) {
      if (request.method === 'GET') return json(200, { value: await listSubscriptions(deps) });
      if (request.method === 'POST') {
        const created = await createManagedSubscription(parseSubscriptionRequest(await readJson(request)), deps);
        return json(201, created, { Location: `/api/subscriptions/${encodeURIComponent(created.id)}` });
      }
    } else if (action === undefined) {
      if (request.method === 'GET') return json(200, await getSubscription(id, deps));
      if (request.method === 'DELETE') {
        await deleteManagedSubscription(id, deps);
        return { status: 204 };
      }
    } else if (action === 'renew' && request.method === 'POST') {
      return json(200, await renewManagedSubscription(id, deps));
    } else {
      return problemResponse(
        404,
        'ERR_ROUTE_NOT_FOUND',
        `No action "${action}" on subscriptions; the only action is POST /api/subscriptions/{id}/renew`,
      );
    }
    return problemResponse(
      405,
      'ERR_METHOD_NOT_ALLOWED',
      `${request.method} is not supported on ${new URL(request.url).pathname}`,
    );
  } catch (error) {
    return errorResponse(error, context);
  }
}

async function readJson(request: HttpRequest): Promise<unknown> {
  const text = await request.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SubscriptionRequestInvalid(
      'the body must be a JSON object such as {"resource":"users","changeType":"updated,deleted"}',
    );
  }
}

app.http('manageSubscriptions', {
  route: 'subscriptions/{id?}/{action?}',
  methods: ['GET', 'POST', 'DELETE'],
  // Never 'function': a function key must open its own function only, and the webhooks' keys travel with Graph.
  authLevel: 'admin',
  handler: (request, context) => manageSubscriptions(request, context),
});
