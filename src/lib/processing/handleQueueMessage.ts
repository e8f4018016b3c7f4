/**
 * One queue message from start to end, as both queue triggers run it and as the tests' harnesses do:
 * load the envelope (fetching a claim check's blob), run the use case, log its summary, then remove the
 * claim-check blob. A claim check whose blob is already gone was completed before: nothing to do.
 * The result says how the message ended; what that means to the host (complete, retry, poison) is
 * decided by the trigger's adapter (src/functions/shared/queueDelivery.ts).
 */
import type { NotificationEnvelope } from '../notifications';
import type { Logger } from '../shared/logger';
import type { PayloadStore } from '../storage';
import { loadEnvelope } from './loadEnvelope';

/** What every use case run from a queue reports: how many of its items it put back on the queue. */
export interface QueueMessageResult {
  readonly requeued: number;
}

export interface QueueMessageUseCase<R extends QueueMessageResult> {
  run(envelope: NotificationEnvelope): Promise<R>;
  /** The invocation's one log line. */
  summarize(result: R): string;
}

export type HandledQueueMessage<R> =
  /** Processed; `deferred` when some of it went back on the queue for later. */
  | { readonly outcome: 'succeeded' | 'deferred'; readonly result: R }
  /** A claim check whose payload is gone: the message was completed before. */
  | { readonly outcome: 'discarded' };

export async function handleQueueMessage<R extends QueueMessageResult>(
  message: unknown,
  deps: { readonly payloads: PayloadStore; readonly log: Logger },
  useCase: QueueMessageUseCase<R>,
): Promise<HandledQueueMessage<R>> {
  const loaded = await loadEnvelope(message, deps.payloads, deps.log);
  if (loaded === undefined) return { outcome: 'discarded' };
  const result = await useCase.run(loaded.envelope);
  deps.log.info(useCase.summarize(result));
  await loaded.done();
  return { outcome: result.requeued > 0 ? 'deferred' : 'succeeded', result };
}
