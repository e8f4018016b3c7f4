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
import { recordPoisonMessage } from '../lib/telemetry';

/** host.json extensions.queues.maxDequeueCount: the delivery after which a failure poisons the message. */
const MAX_DEQUEUE_COUNT = 5;

export async function processLifecycleNotifications(message: unknown, context: InvocationContext): Promise<void> {
  const services = appServices();
  try {
    const envelope = await loadEnvelope(message, services.processing.payloads, context);
    if (envelope === undefined) return;
    const result = await process(envelope.envelope, { ...services.subscriptionServices, log: context });
    context.info(`Handled ${result.items} lifecycle event(s): ${JSON.stringify(result.actions)}; ${result.requeued} put back`);
    await envelope.done();
  } catch (error) {
    const dequeueCount = context.triggerMetadata?.dequeueCount;
    if (typeof dequeueCount === 'number' && dequeueCount >= MAX_DEQUEUE_COUNT) recordPoisonMessage('lifecycle');
    throw error;
  }
}

app.storageQueue('processLifecycleNotifications', {
  queueName: '%LIFECYCLE_QUEUE_NAME%',
  connection: 'AzureWebJobsStorage',
  handler: processLifecycleNotifications,
});
