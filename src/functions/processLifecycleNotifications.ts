/**
 * Queue trigger on the lifecycle queue: reauthorizationRequired, subscriptionRemoved and missed events
 * that ingest accepted (docs/subscriptions.md#lifecycle-events). Returning completes the message; a storage
 * failure throws, so the host retries it and, after maxDequeueCount (host.json), moves it to
 * `<queue>-poison`, where `graph-notify poison list|replay` finds it.
 */
import { app, type InvocationContext } from '@azure/functions';
import { appServices } from '../index';
import { processLifecycleNotifications as process } from '../lib/lifecycle';
import { loadEnvelope } from '../lib/processing';
import { runQueueMessage } from './shared/queueDelivery';

export async function processLifecycleNotifications(message: unknown, context: InvocationContext): Promise<void> {
  await runQueueMessage('lifecycle', context, async () => {
    const services = appServices();
    const loaded = await loadEnvelope(message, services.processing.payloads, context);
    if (loaded === undefined) return 'discarded';
    const result = await process(loaded.envelope, { ...services.subscriptionServices, log: context });
    context.info(`Handled ${result.items} lifecycle event(s): ${JSON.stringify(result.actions)}; ${result.requeued} put back`);
    await loaded.done();
    return result.requeued > 0 ? 'deferred' : 'succeeded';
  }, { message, poisonQueue: () => appServices().poisonQueues.lifecycle });
}

app.storageQueue('processLifecycleNotifications', {
  queueName: '%LIFECYCLE_QUEUE_NAME%',
  connection: 'AzureWebJobsStorage',
  handler: processLifecycleNotifications,
});
