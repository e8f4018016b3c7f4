/**
 * The one place that decides what a queue-triggered invocation's end means, per the host's queue
 * semantics ("Azure Queue storage trigger for Azure Functions", https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue-trigger): returning completes the message; throwing makes the host retry it
 * after host.json's visibilityTimeout and, once it has been dequeued `maxDequeueCount` times, move it to
 * `<queue>-poison`. Records the outcome (and poisonings) in telemetry and logs failures without secrets.
 */
import type { InvocationContext } from '@azure/functions';
import { maxDequeueCount } from '../../lib/config';
import { describeError } from '../../lib/shared/redact';
import { recordMessageProcessed, recordPoisonMessage, type MessageOutcome, type MetricQueue } from '../../lib/telemetry';

export function dequeueCountOf(context: InvocationContext): number {
  const count = context.triggerMetadata?.dequeueCount;
  return typeof count === 'number' ? count : Number(count ?? 1);
}

export async function runQueueMessage(queue: MetricQueue, context: InvocationContext, work: () => Promise<MessageOutcome>): Promise<void> {
  // host.json (with the host's own override) is the one source of the limit the host applies.
  const limit = maxDequeueCount();
  try {
    recordMessageProcessed(await work(), { queue });
  } catch (error) {
    const dequeueCount = dequeueCountOf(context);
    const poisoned = dequeueCount >= limit;
    recordMessageProcessed(poisoned ? 'poisoned' : 'retrying', { queue });
    if (poisoned) recordPoisonMessage(queue);
    context.error(
      `${poisoned ? 'Giving up: the host moves this message to the poison queue' : `Attempt ${dequeueCount} of ${limit} failed; the host retries`}: ${describeError(error)}`,
    );
    throw error;
  }
}
