/**
 * POST /api/notifications — Graph's change notifications. authLevel `function`: put the function key in
 * the notificationUrl (`...?code=<key>`); Graph keeps the query string on every POST (docs/ingest.md).
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { appServices } from '../index';
import { warmWebhook } from './shared/warmWebhook';
import { handleWebhook } from './shared/webhook';

let warming: Promise<void> | undefined;
/** The warm-up (`warmWebhook`) waits this long after the first handshake, so loading the storage SDKs never delays that answer. */
const WARM_UP_DELAY_MS = 100;

export async function receiveNotifications(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  const response = await handleWebhook('notifications', request, context, () => appServices().ingest);
  // After the first handshake, ready the ingest path in the background (it answers without storage).
  if (warming === undefined && request.query.has('validationToken')) {
    warming = new Promise((resolve) => setTimeout(resolve, WARM_UP_DELAY_MS).unref()).then(warmWebhook);
  }
  return response;
}

app.http('receiveNotifications', {
  route: 'notifications',
  methods: ['POST'],
  authLevel: 'function',
  handler: receiveNotifications,
});
