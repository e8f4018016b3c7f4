/**
 * POST /api/lifecycle — Graph's lifecycle notifications (reauthorizationRequired, subscriptionRemoved,
 * missed). Same handshake and checks as /api/notifications; accepted items go to the lifecycle queue.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { appServices } from '../index';
import { handleWebhook } from './shared/webhook';

export async function receiveLifecycleNotifications(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return handleWebhook('lifecycle', request, context, () => appServices().ingest);
}

app.http('receiveLifecycleNotifications', {
  route: 'lifecycle',
  methods: ['POST'],
  authLevel: 'function',
  handler: receiveLifecycleNotifications,
});
