/**
 * The Event Hubs trigger, fed without a broker. No Event Hubs broker runs here (docs/local-host.md), so the
 * host hands each Event Hubs function to a feeder (the Graph simulator's hub, `npm run dev`) which calls
 * `deliver` with a batch of event bodies in order. As on Azure, a batch is one invocation (cardinality many:
 * the handler gets the array) and the function's retry policy runs a failed batch again before `deliver`
 * resolves, so the feeder's checkpoint moves on only afterwards; with no policy a failure is returned at
 * once and the checkpoint moves on anyway ("Azure Functions reliable event processing").
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { RpcDuration, RpcRetryOptions } from './coreTypes';
import type { InvocationInput, InvocationOutcome } from './invokeFunction';
import type { RegisteredFunction } from './runtimeModule';

const EVENT_HUB_REASON = "New events detected on 'EventHub'.";

export interface EventHubFunction {
  readonly fn: RegisteredFunction;
  readonly triggerBindingName: string;
  /** With `%SETTING%` references resolved. */
  readonly eventHubName: string;
  readonly consumerGroup: string;
  readonly cardinality: 'one' | 'many';
}

function durationMs(duration: RpcDuration | null | undefined): number {
  if (duration === null || duration === undefined) return 0;
  return (duration.seconds ?? 0) * 1000 + Math.floor((duration.nanos ?? 0) / 1e6);
}

/** The wait before retry `attempt` (1-based) under the function's policy; undefined when no retry is left. */
export function retryDelayMs(options: RpcRetryOptions | null | undefined, attempt: number): number | undefined {
  if (options === null || options === undefined) return undefined;
  const max = options.maxRetryCount ?? 0;
  if (max !== -1 && attempt > max) return undefined;
  if (options.retryStrategy === 'fixed_delay') return durationMs(options.delayInterval);
  const minimum = durationMs(options.minimumInterval);
  return Math.min(minimum * 2 ** (attempt - 1), durationMs(options.maximumInterval) || Number.POSITIVE_INFINITY);
}

/**
 * Runs one batch, retrying under the function's policy while `isRunning()`; resolves with the last outcome.
 * Each event body is passed as parsed JSON when it is JSON, as the worker does for string data.
 */
export async function deliverEventHubBatch(
  target: EventHubFunction,
  bodies: readonly string[],
  invoke: (fn: RegisteredFunction, input: InvocationInput) => Promise<InvocationOutcome>,
  isRunning: () => boolean,
): Promise<InvocationOutcome> {
  const events = bodies.map((body) => {
    try {
      return JSON.parse(body) as unknown;
    } catch {
      return body;
    }
  });
  const batches = target.cardinality === 'many' ? [events] : events.map((event) => event);
  let last: InvocationOutcome | undefined;
  for (const batch of batches) {
    for (let attempt = 1; ; attempt += 1) {
      last = await invoke(target.fn, {
        inputData: [{ name: target.triggerBindingName, data: { json: JSON.stringify(batch) } }],
        reason: EVENT_HUB_REASON,
      });
      if (last.succeeded || !isRunning()) break;
      const wait = retryDelayMs(target.fn.metadata.retryOptions, attempt);
      if (wait === undefined) break;
      await delay(wait);
    }
  }
  if (last === undefined) throw new TypeError('deliverEventHubBatch needs at least one event');
  return last;
}
