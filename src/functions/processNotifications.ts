/**
 * Queue trigger on the notifications queue: one packed envelope per invocation. Returning completes the
 * message; throwing makes the host retry it (visibilityTimeout in host.json) and, after maxDequeueCount,
 * move it to `<queue>-poison` — replay it with `graph-notify poison replay`.
 */
import { app, type InvocationContext } from '@azure/functions';
import { appServices } from '../index';
import { loadEnvelope, processNotifications as process } from '../lib/processing';

export async function processNotifications(message: unknown, context: InvocationContext): Promise<void> {
  const services = appServices();
  const envelope = await loadEnvelope(message, services.processing.payloads, context);
  if (envelope === undefined) return;
  const result = await process(envelope.envelope, { ...services.processing, log: context });
  context.info(
    `Processed ${result.items} notification(s): ${result.writes.written} written, ${result.writes.stale} stale, ${result.readsSaved} reads saved, ` +
      `${result.graphReads} Graph reads, ${result.requeued} requeued, ${result.rejected} rejected, ${result.failedPermanently} failed permanently`,
  );
  await envelope.done();
}

app.storageQueue('processNotifications', {
  queueName: '%NOTIFICATIONS_QUEUE_NAME%',
  connection: 'AzureWebJobsStorage',
  handler: processNotifications,
});
