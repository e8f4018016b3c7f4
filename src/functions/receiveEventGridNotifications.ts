/**
 * Graph's notifications through an Azure Event Grid partner topic (the eventGrid delivery route). The
 * Event Grid extension answers the CloudEvents OPTIONS handshake itself and runs this once per event of a
 * delivery; its URL is `/runtime/webhooks/eventgrid?functionName=receiveEventGridNotifications`. A throw
 * (storage unavailable) makes the extension answer 500, so Event Grid redelivers the delivery on its retry
 * schedule (docs/ingest.md#event-grid).
 */
import { app, type InvocationContext } from '@azure/functions';
import { appServices } from '../index';
import { ingestEventGridEvents } from '../lib/ingest';

export async function receiveEventGridNotifications(event: unknown, context: InvocationContext): Promise<void> {
  const result = await ingestEventGridEvents([event], { ...appServices().ingest, log: context });
  context.info(
    `Accepted ${result.accepted} Event Grid notification(s) in ${result.messagesSent} queue message(s); rejected ${JSON.stringify(result.rejected)}`,
  );
}

app.eventGrid('receiveEventGridNotifications', { handler: receiveEventGridNotifications });
