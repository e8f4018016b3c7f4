/**
 * Queue trigger on the notifications queue: one packed envelope per invocation (docs/ingest.md).
 * Returning completes the message; throwing makes the host retry it and, after maxDequeueCount, move it
 * to `<queue>-poison` — replay it with `graph-notify poison replay`.
 */
import { app, type InvocationContext } from '@azure/functions';
import { appServices } from '../index';
import { loadEnvelope, processNotifications as process } from '../lib/processing';
import { runQueueMessage } from './shared/queueDelivery';

export async function processNotifications(message: unknown, context: InvocationContext): Promise<void> {
  await runQueueMessage('notifications', context, async () => {
    const services = appServices();
    const loaded = await loadEnvelope(message, services.processing.payloads, context);
    if (loaded === undefined) return 'discarded';
    const result = await process(loaded.envelope, { ...services.processing, log: context });
    context.info(
      `Processed ${result.items} notification(s): ${result.writes.written} written, ${result.writes.unchanged} unchanged, ${result.writes.stale} stale, ${result.writes.tied} tied (read from Graph), ` +
        `${result.readsSaved} reads saved, ${result.graphReads} Graph reads, ${result.deltaRuns} delta runs, ${result.requeued} requeued, ` +
        `${result.rejected} rejected, ${result.failedPermanently} failed permanently, ${result.heldForCoalescing} held for coalescing`,
    );
    await loaded.done();
    return result.requeued > 0 ? 'deferred' : 'succeeded';
  }, { message, poisonQueue: () => appServices().poisonQueues.notifications });
}

app.storageQueue('processNotifications', {
  queueName: '%NOTIFICATIONS_QUEUE_NAME%',
  connection: 'AzureWebJobsStorage',
  handler: processNotifications,
});
