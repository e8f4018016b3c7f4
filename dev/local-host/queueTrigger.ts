/**
 * One queue-trigger listener per function, following the Storage extension's `QueueListener` and
 * `QueueProcessor` ("Azure Queue storage trigger for Azure Functions", https://learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue-trigger):
 *
 * - receive up to `batchSize` messages with a 10-minute visibility timeout, renewed while the
 *   function runs; fetch the next batch once no more than `newBatchThreshold` are still running;
 * - when a poll finds nothing, wait with a randomized exponential back-off from 100 ms up to
 *   `maxPollingInterval`; a message written by this host's own output binding wakes the listener;
 * - success deletes the message; failure makes it visible again after `visibilityTimeout`, or, once
 *   it has been dequeued `maxDequeueCount` times, copies it unchanged to `<queue>-poison` (created if
 *   needed) and deletes it; a message already past the limit goes there without running;
 * - the body is base64-decoded (host.json `messageEncoding`); a body that is not valid base64 goes to
 *   `<queue>-poison` on its first receive without running the function, as the extension's
 *   message-decoding-failed handler does;
 * - the decoded body is handed to the worker as a string the library JSON-parses when it can, with the
 *   host's trigger metadata (DequeueCount, Id, InsertionTime, ExpirationTime, NextVisibleTime,
 *   PopReceipt, QueueTrigger) plus, for a JSON object, its top-level properties, which win over the
 *   system ones of the same name (an envelope's `id` becomes `triggerMetadata.id`).
 *
 * Storage errors never stop a listener: it logs them and backs off, so an Azurite restart is ridden
 * out. A poll that storage leaves unanswered for `stallWarningMs` is named in a warning (in-memory Azurite
 * has been seen to stop answering for minutes after a large backlog was cleared), and its answer, when
 * it comes, in an information line. Delivery is at least once, exactly as on Azure.
 */
import { randomUUID } from 'node:crypto';
import type { DequeuedMessageItem, QueueClient } from '@azure/storage-queue';
import { describeError } from '../../src/lib/shared/redact';
import type { RpcTypedData } from './coreTypes';
import { MIN_POLLING_INTERVAL_MS, type QueueHostOptions } from './hostJson';
import type { InvocationInput, InvocationOutcome } from './invokeFunction';
import type { LocalHostLogSink } from './log';
import { isQueueNotFound } from './queueOutput';
import type { RegisteredFunction } from './runtimeModule';

/**
 * QueueProcessor: messages are held this long while a function runs, and renewed at half of it (the
 * runtime's 10 minutes; `LocalHostOptions.runningVisibilitySeconds` changes it).
 */
export const RUNNING_VISIBILITY_TIMEOUT_SECONDS = 600;
export const POISON_QUEUE_SUFFIX = '-poison';
/** A queue poll unanswered this long is reported as a stalled storage service. */
export const STORAGE_STALL_WARNING_MS = 10_000;
const MAX_QUEUE_NAME_LENGTH = 63;

/** `<queue>-poison`, or undefined when the queue is a poison queue or the name would be too long. */
export function poisonQueueName(queueName: string): string | undefined {
  if (queueName.endsWith(POISON_QUEUE_SUFFIX)) return undefined;
  const name = `${queueName}${POISON_QUEUE_SUFFIX}`;
  return name.length > MAX_QUEUE_NAME_LENGTH ? undefined : name;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Strict base64 (like .NET's Convert.FromBase64String, whitespace aside); undefined when malformed. */
export function decodeBase64Message(text: string): Buffer | undefined {
  const compact = text.replace(/\s+/g, '');
  if (compact.length % 4 !== 0 || !BASE64.test(compact)) return undefined;
  return Buffer.from(compact, 'base64');
}

/** Randomized exponential back-off between `min` and `max` (RandomizedExponentialBackoffStrategy). */
export class PollingBackoff {
  readonly #minMs: number;
  readonly #maxMs: number;
  #currentMs = 0;

  constructor(minMs: number, maxMs: number) {
    this.#minMs = minMs;
    this.#maxMs = Math.max(minMs, maxMs);
  }

  reset(): void {
    this.#currentMs = 0;
  }

  nextDelayMs(): number {
    const jitter = 0.8 + Math.random() * 0.4;
    this.#currentMs =
      this.#currentMs === 0 ? this.#minMs : Math.min(this.#maxMs, Math.round(this.#currentMs * 2 * jitter));
    return this.#currentMs;
  }
}

export interface QueueListenerOptions {
  readonly fn: RegisteredFunction;
  readonly triggerBindingName: string;
  readonly queue: QueueClient;
  /** Undefined when the queue has no poison queue (see `poisonQueueName`). */
  readonly poisonQueue: QueueClient | undefined;
  readonly options: QueueHostOptions;
  /** How long a dequeued message stays invisible while its function runs (renewed at half of it). */
  readonly runningVisibilitySeconds: number;
  readonly invoke: (fn: RegisteredFunction, input: InvocationInput) => Promise<InvocationOutcome>;
  readonly log: LocalHostLogSink;
  /** How long a poll may go unanswered before the listener warns that storage is stalled. Default `STORAGE_STALL_WARNING_MS`. */
  readonly stallWarningMs?: number;
}

function jsonDate(date: Date | undefined): RpcTypedData {
  return { json: JSON.stringify((date ?? new Date(0)).toISOString()) };
}

/**
 * The host adds a JSON object message's top-level properties to the binding data, over the system
 * properties of the same name (compared case-insensitively, as the library camel-cases every key).
 * Strings stay strings; anything else travels as JSON. Other payloads leave the metadata as it is.
 */
export function mergeJsonProperties(
  system: Readonly<Record<string, RpcTypedData>>,
  text: string,
): Record<string, RpcTypedData> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ...system };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return { ...system };
  const properties = Object.entries(parsed as Record<string, unknown>);
  const overridden = new Set(properties.map(([key]) => key.toLowerCase()));
  const merged = Object.fromEntries(Object.entries(system).filter(([key]) => !overridden.has(key.toLowerCase())));
  for (const [key, value] of properties)
    merged[key] = typeof value === 'string' ? { string: value } : { json: JSON.stringify(value) };
  return merged;
}

export class QueueListener {
  readonly #o: QueueListenerOptions;
  readonly #backoff: PollingBackoff;
  readonly #inFlight = new Set<Promise<void>>();
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #poisonReady: Promise<unknown> | undefined;
  #storageFailing = false;

  constructor(options: QueueListenerOptions) {
    this.#o = options;
    this.#backoff = new PollingBackoff(MIN_POLLING_INTERVAL_MS, options.options.maxPollingIntervalMs);
  }

  get queueUrl(): string {
    return this.#o.queue.url;
  }

  /** A method, not the field, so the compiler does not assume the flag cannot change across an await. */
  #isRunning(): boolean {
    return this.#running;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#poll();
  }

  /** Polls now instead of at the end of the current back-off (a message was just enqueued). */
  wake(): void {
    this.#backoff.reset();
    this.#wake?.();
  }

  /** Stops fetching and waits for the messages being processed to finish (and be settled). */
  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  #log(level: 'debug' | 'information' | 'warning' | 'error', message: string): void {
    this.#o.log({ time: new Date(), level, source: 'host', functionName: this.#o.fn.name, message });
  }

  async #sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
    this.#wake = undefined;
  }

  async #poll(): Promise<void> {
    const { batchSize, newBatchThreshold } = this.#o.options;
    while (this.#running) {
      if (this.#inFlight.size > newBatchThreshold) {
        await Promise.race(this.#inFlight);
        continue;
      }
      let messages: DequeuedMessageItem[];
      try {
        const received = await this.#watchForStall(
          this.#o.queue.receiveMessages({
            numberOfMessages: batchSize,
            visibilityTimeout: this.#o.runningVisibilitySeconds,
          }),
        );
        messages = received.receivedMessageItems;
        if (this.#storageFailing) this.#log('information', `Queue '${this.#o.queue.name}' is reachable again`);
        this.#storageFailing = false;
      } catch (error) {
        messages = [];
        if (!isQueueNotFound(error) && !this.#storageFailing) {
          this.#storageFailing = true;
          this.#log(
            'warning',
            `Polling queue '${this.#o.queue.name}' failed; retrying with back-off: ${describeError(error)}`,
          );
        }
      }
      if (!this.#isRunning()) {
        // Stopped while receiving: give the messages back at once instead of hiding them for 10 minutes.
        await Promise.allSettled(messages.map((message) => this.#release(message, message.popReceipt, 0)));
        break;
      }
      if (messages.length > 0) {
        this.#backoff.reset();
        for (const message of messages) this.#track(this.#process(message));
        continue;
      }
      await this.#sleep(this.#backoff.nextDelayMs());
    }
  }

  /**
   * `poll`, with a warning naming the storage endpoint if it takes longer than `stallWarningMs`, and a
   * line saying how long it took once it answers.
   */
  async #watchForStall<T>(poll: Promise<T>): Promise<T> {
    const limitMs = this.#o.stallWarningMs ?? STORAGE_STALL_WARNING_MS;
    const started = Date.now();
    const stall = { reported: false };
    const timer = setTimeout(() => {
      stall.reported = true;
      const endpoint = new URL(this.#o.queue.url).host;
      this.#log(
        'warning',
        `Storage at ${endpoint} has not answered a poll of queue '${this.#o.queue.name}' for ${Math.round(limitMs / 1000)} s: ` +
          'the storage emulator (Azurite) looks stalled. In-memory Azurite can stop answering for minutes after a large ' +
          'backlog is cleared; wait for it, or restart `npm run dev` (with --persist its storage survives the restart).',
      );
    }, limitMs);
    timer.unref();
    try {
      return await poll;
    } finally {
      clearTimeout(timer);
      if (stall.reported)
        this.#log(
          'information',
          `Storage answered the poll of queue '${this.#o.queue.name}' after ${Math.round((Date.now() - started) / 1000)} s`,
        );
    }
  }

  #track(work: Promise<void>): void {
    this.#inFlight.add(work);
    void work.finally(() => this.#inFlight.delete(work));
  }

  async #process(message: DequeuedMessageItem): Promise<void> {
    const { maxDequeueCount } = this.#o.options;
    if (message.dequeueCount > maxDequeueCount && this.#o.poisonQueue !== undefined) {
      await this.#moveToPoison(message, message.popReceipt);
      return;
    }
    const text = this.#decode(message);
    if (text === undefined) {
      // Binding would fail on every try: the extension poisons it at once without running the function.
      this.#log(
        'error',
        `Message ${message.messageId} on queue '${this.#o.queue.name}' is not valid base64 (host.json messageEncoding is "base64")`,
      );
      if (this.#o.poisonQueue === undefined)
        await this.#release(message, message.popReceipt, Math.floor(this.#o.options.visibilityTimeoutMs / 1000));
      else await this.#moveToPoison(message, message.popReceipt, 'it cannot be decoded');
      return;
    }
    let popReceipt = message.popReceipt;
    // Keep the message hidden while the function runs longer than half the running visibility.
    const renewal = setInterval(
      () => {
        this.#o.queue
          .updateMessage(message.messageId, popReceipt, undefined, this.#o.runningVisibilitySeconds)
          .then((updated) => {
            if (updated.popReceipt !== undefined) popReceipt = updated.popReceipt;
          })
          .catch((error: unknown) => {
            this.#log(
              'warning',
              `Renewing the visibility of message ${message.messageId} failed: ${describeError(error)}`,
            );
          });
      },
      (this.#o.runningVisibilitySeconds * 1000) / 2,
    );
    renewal.unref();

    let succeeded: boolean;
    try {
      succeeded = (await this.#invoke(message, text)).succeeded;
    } finally {
      clearInterval(renewal);
    }

    if (succeeded) {
      try {
        await this.#o.queue.deleteMessage(message.messageId, popReceipt);
      } catch (error) {
        // The message will come back and run again: at-least-once delivery, as on Azure.
        this.#log('warning', `Deleting message ${message.messageId} after success failed: ${describeError(error)}`);
      }
      return;
    }
    if (this.#o.poisonQueue !== undefined && message.dequeueCount >= maxDequeueCount) {
      await this.#moveToPoison(message, popReceipt);
      return;
    }
    await this.#release(message, popReceipt, Math.floor(this.#o.options.visibilityTimeoutMs / 1000));
  }

  /** The message body as the worker gets it, or undefined when it is not valid base64 under `messageEncoding: base64`. */
  #decode(message: DequeuedMessageItem): string | undefined {
    if (this.#o.options.messageEncoding !== 'base64') return message.messageText;
    return decodeBase64Message(message.messageText)?.toString('utf8');
  }

  async #invoke(message: DequeuedMessageItem, text: string): Promise<InvocationOutcome> {
    // Shapes as the host sends them; the library camel-cases the keys and JSON-parses the values.
    const system: Record<string, RpcTypedData> = {
      DequeueCount: { int: message.dequeueCount },
      ExpirationTime: jsonDate(message.expiresOn),
      Id: { string: message.messageId },
      InsertionTime: jsonDate(message.insertedOn),
      NextVisibleTime: jsonDate(message.nextVisibleOn),
      PopReceipt: { string: message.popReceipt },
      QueueTrigger: { string: text },
      sys: {
        json: JSON.stringify({ MethodName: this.#o.fn.name, UtcNow: new Date().toISOString(), RandGuid: randomUUID() }),
      },
    };
    return this.#o.invoke(this.#o.fn, {
      inputData: [{ name: this.#o.triggerBindingName, data: { string: text } }],
      triggerMetadata: mergeJsonProperties(system, text),
      reason: `New queue message detected on '${this.#o.queue.name}'.`,
    });
  }

  async #release(message: DequeuedMessageItem, popReceipt: string, visibilityTimeoutSeconds: number): Promise<void> {
    try {
      await this.#o.queue.updateMessage(message.messageId, popReceipt, undefined, visibilityTimeoutSeconds);
    } catch (error) {
      this.#log('warning', `Releasing message ${message.messageId} failed: ${describeError(error)}`);
    }
  }

  async #moveToPoison(message: DequeuedMessageItem, popReceipt: string, reason?: string): Promise<void> {
    const poison = this.#o.poisonQueue;
    if (poison === undefined) return;
    this.#log(
      'warning',
      reason === undefined
        ? `Message has reached MaxDequeueCount of ${this.#o.options.maxDequeueCount}. Moving message ${message.messageId} to queue '${poison.name}'.`
        : `Moving message ${message.messageId} to queue '${poison.name}' because ${reason}.`,
    );
    try {
      this.#poisonReady ??= poison.createIfNotExists();
      await this.#poisonReady;
      // The body is copied as stored (still encoded), so the poison message reads like the original.
      await poison.sendMessage(message.messageText);
      await this.#o.queue.deleteMessage(message.messageId, popReceipt);
    } catch (error) {
      this.#poisonReady = undefined;
      // Left in place, the message reappears with a higher dequeue count and is moved then.
      this.#log('error', `Moving message ${message.messageId} to '${poison.name}' failed: ${describeError(error)}`);
    }
  }
}
