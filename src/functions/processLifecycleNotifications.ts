/**
 * Queue trigger on the lifecycle queue: reauthorizationRequired, subscriptionRemoved and missed events
 * that ingest accepted (docs/subscriptions.md#lifecycle-events). Returning completes the message; a storage
 * failure throws, so the host retries it and, after maxDequeueCount (host.json), moves it to
 * `<queue>-poison`, where `graph-notify poison list|replay` finds it.
 */
import { app, type InvocationContext } from '@azure/functions';
import { describeLifecycleResult, processLifecycleNotifications as process } from '../lib/lifecycle';
import { runEnvelopeMessage } from './shared/queueDelivery';

export async function processLifecycleNotifications(message: unknown, context: InvocationContext): Promise<void> {
  await runEnvelopeMessage('lifecycle', message, context, (services) => ({
    run: (envelope) => process(envelope, { ...services.subscriptionServices, log: context }),
    summarize: describeLifecycleResult,
  }));
}

app.storageQueue('processLifecycleNotifications', {
  queueName: '%LIFECYCLE_QUEUE_NAME%',
  connection: 'AzureWebJobsStorage',
  handler: processLifecycleNotifications,
});
