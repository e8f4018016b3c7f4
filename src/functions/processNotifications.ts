/**
 * Queue trigger on the notifications queue: one packed envelope per invocation (docs/ingest.md).
 * Returning completes the message; throwing makes the host retry it and, after maxDequeueCount, move it
 * to `<queue>-poison` — replay it with `graph-notify poison replay`.
 */
import { app, type InvocationContext } from '@azure/functions';
import { appServices } from '../index';
import { describeProcessingResult, handleQueueMessage, processNotifications as process } from '../lib/processing';
import { runQueueMessage } from './shared/queueDelivery';

export async function processNotifications(message: unknown, context: InvocationContext): Promise<void> {
  await runQueueMessage(
    'notifications',
    context,
    async () => {
      const services = appServices();
      const handled = await handleQueueMessage(
        message,
        { payloads: services.processing.payloads, log: context },
        {
          run: (envelope) => process(envelope, { ...services.processing, log: context }),
          summarize: describeProcessingResult,
        },
      );
      return handled.outcome;
    },
    { message, poisonQueue: () => appServices().poisonQueues.notifications },
  );
}

app.storageQueue('processNotifications', {
  queueName: '%NOTIFICATIONS_QUEUE_NAME%',
  connection: 'AzureWebJobsStorage',
  handler: processNotifications,
});
