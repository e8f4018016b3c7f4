/**
 * Queue trigger on the lifecycle queue: reauthorizationRequired, subscriptionRemoved and missed events
 * that ingest accepted (docs/subscriptions.md#lifecycle-events). Returning completes the message; a storage
 * failure throws, so the host retries it and, after maxDequeueCount (host.json), moves it to
 * `<queue>-poison`, where `graph-notify poison list|replay` finds it.
 */
import { app, type InvocationContext } from '@azure/functions';
import { appServices } from '../index';
import { describeLifecycleResult, processLifecycleNotifications as process } from '../lib/lifecycle';
import { handleQueueMessage } from '../lib/processing';
import { runQueueMessage } from './shared/queueDelivery';

export async function processLifecycleNotifications(message: unknown, context: InvocationContext): Promise<void> {
  await runQueueMessage(
    'lifecycle',
    context,
    async () => {
      const services = appServices();
      const handled = await handleQueueMessage(
        message,
        { payloads: services.processing.payloads, log: context },
        {
          run: (envelope) => process(envelope, { ...services.subscriptionServices, log: context }),
          summarize: describeLifecycleResult,
        },
      );
      return handled.outcome;
    },
    { message, poisonQueue: () => appServices().poisonQueues.lifecycle },
  );
}

app.storageQueue('processLifecycleNotifications', {
  queueName: '%LIFECYCLE_QUEUE_NAME%',
  connection: 'AzureWebJobsStorage',
  handler: processLifecycleNotifications,
});
