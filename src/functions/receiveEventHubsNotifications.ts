/**
 * Graph's notifications through Azure Event Hubs (the eventHubs delivery route), a batch of events at a
 * time. The checkpoint moves on even when this throws, so events whose items cannot be queued are parked
 * (replayParkedEvents feeds them through ingest again); only when parking fails too does it throw, and the
 * retry policy below runs the batch again before the checkpoint moves (docs/ingest.md#event-hubs).
 *
 * Registered only when EVENT_HUBS__fullyQualifiedNamespace is set: the host cannot index an Event Hubs
 * trigger without its connection, and an app on webhooks alone needs none.
 */
import { app, type InvocationContext } from '@azure/functions';
import { appServices } from '../index';
import { deliverySettings, isEventHubsRouteEnabled } from '../lib/config/settings/delivery';
import { ingestEventHubsEvents, parkEvents } from '../lib/ingest';

export async function receiveEventHubsNotifications(events: unknown[], context: InvocationContext): Promise<void> {
  const services = appServices();
  // These events come from the hub only Graph's Change Tracking principal may send to (docs/security.md).
  const result = await ingestEventHubsEvents(events, {
    ...services.ingest,
    log: context,
    authenticatedRoute: 'eventHubs',
  });
  if (result.failed.length > 0) {
    await parkEvents(
      result.failed.map(({ index }) => events[index]),
      services.parkedEvents,
      services.clock,
    );
    context.warn(
      `Parked ${result.failed.length} of ${events.length} Event Hubs event(s) that could not be queued; replayParkedEvents retries them`,
    );
  }
  context.info(
    `Accepted ${result.accepted} Event Hubs notification(s) from ${events.length} event(s); rejected ${result.rejected}, validation messages ${result.validationMessages}`,
  );
}

if (isEventHubsRouteEnabled(process.env)) {
  app.eventHub('receiveEventHubsNotifications', {
    connection: 'EVENT_HUBS',
    eventHubName: `%${deliverySettings.eventHubsName.name}%`,
    consumerGroup: `%${deliverySettings.eventHubsConsumerGroup.name}%`,
    cardinality: 'many',
    // Until parking works again: retried indefinitely, so the checkpoint stays put (nothing is skipped).
    retry: {
      strategy: 'exponentialBackoff',
      maxRetryCount: -1,
      minimumInterval: { seconds: 10 },
      maximumInterval: { minutes: 5 },
    },
    handler: receiveEventHubsNotifications,
  });
}
