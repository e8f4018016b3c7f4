/**
 * Queue output bindings (`extraOutputs: [output.storageQueue(...)]`, or `return: output.storageQueue`)
 * written the way the host writes them: an array becomes one message per element, a string is sent
 * as is, an object as its JSON, bytes untouched; then each message is encoded with host.json
 * `messageEncoding` (base64 by default, which is what a queue trigger on the other side expects).
 * The queue is created on first use, as the binding does. A failed write fails the invocation.
 */
import type { QueueClient } from '@azure/storage-queue';
import type { RpcInvocationResponse, RpcTypedData } from './coreTypes';
import type { MessageEncoding } from './hostJson';
import type { QueueServiceResolver } from './queueConnection';

export interface QueueOutputBinding {
  /** `$return` or the generated extra-output name. */
  readonly bindingName: string;
  /** With `%Setting%` references already resolved. */
  readonly queueName: string;
  readonly connection: string | undefined;
}

function present<T>(value: T | null | undefined): value is T {
  return value !== null && value !== undefined;
}

/** The message bodies an output value stands for; none for null or undefined. */
export function messagesFromTypedData(data: RpcTypedData | null | undefined): Buffer[] {
  if (!present(data)) return [];
  if (present(data.string)) return [Buffer.from(data.string)];
  if (present(data.json)) {
    const value: unknown = JSON.parse(data.json);
    if (!Array.isArray(value)) return [Buffer.from(data.json)];
    return value.map((element: unknown) =>
      Buffer.from(typeof element === 'string' ? element : JSON.stringify(element)),
    );
  }
  if (present(data.bytes)) return [Buffer.from(data.bytes)];
  if (present(data.stream)) return [Buffer.from(data.stream)];
  if (present(data.int)) return [Buffer.from(String(data.int))];
  if (present(data.double)) return [Buffer.from(String(data.double))];
  if (present(data.collectionString?.string)) return data.collectionString.string.map((text) => Buffer.from(text));
  if (present(data.collectionBytes?.bytes)) return data.collectionBytes.bytes.map((bytes) => Buffer.from(bytes));
  if (present(data.collectionDouble?.double)) return data.collectionDouble.double.map((n) => Buffer.from(String(n)));
  if (present(data.collectionSint64?.sint64)) return data.collectionSint64.sint64.map((n) => Buffer.from(String(n)));
  return [];
}

export function isQueueNotFound(error: unknown): boolean {
  const details = error as { statusCode?: unknown; code?: unknown };
  return details.statusCode === 404 || details.code === 'QueueNotFound';
}

export function encodeQueueMessage(body: Buffer, encoding: MessageEncoding): string {
  return encoding === 'base64' ? body.toString('base64') : body.toString('utf8');
}

export class QueueOutputWriter {
  readonly #resolveService: QueueServiceResolver;
  readonly #encoding: MessageEncoding;
  readonly #onEnqueued: (queue: QueueClient) => void;
  readonly #ready = new Map<string, Promise<QueueClient>>();

  /** `onEnqueued` lets the host wake the listener of that queue at once (the host's shared queue watcher). */
  constructor(
    resolveService: QueueServiceResolver,
    encoding: MessageEncoding,
    onEnqueued: (queue: QueueClient) => void,
  ) {
    this.#resolveService = resolveService;
    this.#encoding = encoding;
    this.#onEnqueued = onEnqueued;
  }

  #key(binding: QueueOutputBinding): string {
    return `${(binding.connection ?? '').toLowerCase()}|${binding.queueName}`;
  }

  async #queue(binding: QueueOutputBinding): Promise<QueueClient> {
    const key = this.#key(binding);
    let ready = this.#ready.get(key);
    if (ready === undefined) {
      ready = (async () => {
        const queue = (await this.#resolveService(binding.connection)).getQueueClient(binding.queueName);
        await queue.createIfNotExists();
        return queue;
      })();
      this.#ready.set(key, ready);
      // A failed creation (storage down) must be retried by the next invocation, not cached.
      ready.catch(() => this.#ready.delete(key));
    }
    return ready;
  }

  async write(bindings: readonly QueueOutputBinding[], response: RpcInvocationResponse): Promise<void> {
    for (const binding of bindings) {
      const data =
        binding.bindingName === '$return'
          ? response.returnValue
          : response.outputData?.find((output) => output.name === binding.bindingName)?.data;
      const messages = messagesFromTypedData(data);
      if (messages.length === 0) continue;
      let queue = await this.#queue(binding);
      for (const message of messages) {
        const text = encodeQueueMessage(message, this.#encoding);
        try {
          await queue.sendMessage(text);
        } catch (error) {
          if (!isQueueNotFound(error)) throw error;
          // The queue vanished since it was created (an in-memory Azurite restarted): create it again.
          this.#ready.delete(this.#key(binding));
          queue = await this.#queue(binding);
          await queue.sendMessage(text);
        }
      }
      this.#onEnqueued(queue);
    }
  }
}
