/**
 * Every five minutes, feeds the Event Hubs events parked by receiveEventHubsNotifications through ingest
 * again and removes each once its items are queued; one whose payload blob never appears is dead-lettered after
 * an hour (src/lib/ingest/eventHubsParking.ts). Registered with the Event Hubs trigger.
 */
import { app, type InvocationContext, type Timer } from '@azure/functions';
import { appServices } from '../index';
import { isEventHubsRouteEnabled } from '../lib/config/settings/delivery';
import { replayParkedEvents as replay } from '../lib/ingest';

export async function replayParkedEvents(_timer: Timer, context: InvocationContext): Promise<void> {
  const services = appServices();
  // Parked by receiveEventHubsNotifications, so they came from the hub only Graph may send to (docs/security.md).
  const report = await replay({
    ...services.ingest,
    parked: services.parkedEvents,
    log: context,
    authenticatedRoute: 'eventHubs',
  });
  if (report.replayed > 0 || report.remaining > 0 || report.deadLettered > 0)
    context.info(
      `Replayed ${report.replayed} parked Event Hubs event(s); ${report.remaining} still parked, ${report.deadLettered} dead-lettered`,
    );
}

if (isEventHubsRouteEnabled(process.env))
  app.timer('replayParkedEvents', { schedule: '0 */5 * * * *', handler: replayParkedEvents });
