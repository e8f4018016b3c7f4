/**
 * POST /api/notifications — Graph's change notifications. authLevel `function`: put the function key in
 * the notificationUrl (`...?code=<key>`); Graph keeps the query string on every POST (docs/ingest.md).
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { appServices } from '../index';
import { handleWebhook } from './shared/webhook';

export async function receiveNotifications(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return handleWebhook('notifications', request, context, () => appServices().ingest);
}

app.http('receiveNotifications', { route: 'notifications', methods: ['POST'], authLevel: 'function', handler: receiveNotifications });
