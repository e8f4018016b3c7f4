/**
 * The one place that decides what a queue-triggered invocation's end means, per the host's queue
 * semantics ("Azure Queue storage trigger for Azure Functions", https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue-trigger): returning completes the message; throwing makes the host retry it
 * after host.json's visibilityTimeout and, once it has been dequeued `maxDequeueCount` times, move it to
 * `<queue>-poison`. A message that is not an envelope at all is moved to `<queue>-poison` at once instead:
 * retrying cannot make it readable. Records the outcome (and poisonings) in telemetry and logs failures
 * without secrets.
 */
import type { InvocationContext } from '@azure/functions';
import { appServices, type AppServices } from '../../index';
import { maxDequeueCount } from '../../lib/config';
import { EnvelopeInvalid } from '../../lib/notifications';
import { handleQueueMessage, type QueueMessageResult, type QueueMessageUseCase } from '../../lib/processing';
import type { MessageSender } from '../../lib/storage';
import { describeError } from '../../lib/shared/redact';
import {
  recordMessageProcessed,
  recordPoisonMessage,
  type MessageOutcome,
  type MetricQueue,
} from '../../lib/telemetry';

export function dequeueCountOf(context: InvocationContext): number {
  const count = context.triggerMetadata?.dequeueCount;
  return typeof count === 'number' ? count : Number(count ?? 1);
}

/** The trigger's message as the worker handed it (a string, or the JSON it parsed), and its queue's poison queue. */
export interface UnreadableMessageRoute {
  readonly message: unknown;
  readonly poisonQueue: () => MessageSender;
}

/** The text to put on the poison queue: what the worker parsed, written back as JSON. */
function messageText(message: unknown): string {
  if (typeof message === 'string') return message;
  if (message instanceof Uint8Array) return Buffer.from(message).toString('utf8');
  // The worker hands over text or parsed JSON, never undefined (which JSON.stringify would not turn into text).
  return message === undefined ? '' : JSON.stringify(message);
}

export async function runQueueMessage(
  queue: MetricQueue,
  context: InvocationContext,
  work: () => Promise<MessageOutcome>,
  unreadable?: UnreadableMessageRoute,
): Promise<void> {
  // host.json (with the host's own override) is the one source of the limit the host applies.
  const limit = maxDequeueCount();
  try {
    recordMessageProcessed(await work(), { queue });
  } catch (error) {
    if (unreadable !== undefined && error instanceof EnvelopeInvalid) {
      // Retrying would only wait maxDequeueCount x visibilityTimeout before the host poisons it. A failed send
      // throws, so the host's retries (and poisoning) still apply.
      await unreadable.poisonQueue().send(messageText(unreadable.message));
      recordMessageProcessed('poisoned', { queue });
      recordPoisonMessage(queue);
      context.error(`Moved to the poison queue at once, it can never be processed: ${describeError(error)}`);
      return;
    }
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

/**
 * What both queue triggers run: the message through `handleQueueMessage` (load, run, log, done) with the use case
 * `useCaseOf` builds from the app's services, under the rules above; an unreadable one goes to its poison queue.
 */
export async function runEnvelopeMessage<R extends QueueMessageResult>(
  queue: 'notifications' | 'lifecycle',
  message: unknown,
  context: InvocationContext,
  useCaseOf: (services: AppServices) => QueueMessageUseCase<R>,
): Promise<void> {
  await runQueueMessage(
    queue,
    context,
    async () => {
      const services = appServices();
      const payloads = { payloads: services.processing.payloads, log: context };
      return (await handleQueueMessage(message, payloads, useCaseOf(services))).outcome;
    },
    { message, poisonQueue: () => appServices().poisonQueues[queue] },
  );
}
