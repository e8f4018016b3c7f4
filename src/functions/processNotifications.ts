/**
 * Queue trigger on the notifications queue: one packed envelope per invocation (docs/ingest.md).
 * Returning completes the message; throwing makes the host retry it and, after maxDequeueCount, move it
 * to `<queue>-poison` — replay it with `graph-notify poison replay`.
 */
import { app, type InvocationContext } from '@azure/functions';
import { describeProcessingResult, processNotifications as process } from '../lib/processing';
import { runEnvelopeMessage } from './shared/queueDelivery';

export async function processNotifications(message: unknown, context: InvocationContext): Promise<void> {
  await runEnvelopeMessage('notifications', message, context, (services) => ({
    run: (envelope) => process(envelope, { ...services.processing, log: context }),
    summarize: describeProcessingResult,
  }));
}

app.storageQueue('processNotifications', {
  queueName: '%NOTIFICATIONS_QUEUE_NAME%',
  connection: 'AzureWebJobsStorage',
  handler: processNotifications,
});
