/**
 * The bare function of bench/ingest.ts: a local host in a process of its own, as the app's is
 * (bench/functionHostProcess.ts), running one HTTP function that reads a POST's body, sends the queue messages the app
 * makes of that body (looked up, not made) with the app's queue sender, and answers 202. It is the Functions request
 * path and the send without the app's checks and packing, so the app's rate over its rate is what the app's own work
 * costs.
 */
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { QueueClient } from '@azure/storage-queue';
import { startFunctionHostProcess } from './functionHostProcess';
import { scratchApp } from './scratchApp';

export interface BareFunction {
  /** The function's URL, with its key. */
  readonly url: string;
  readonly queue: QueueClient;
  /** The CPU its host's process has used so far. */
  readonly cpuUsage: () => Promise<NodeJS.CpuUsage>;
  readonly stop: () => Promise<void>;
}

/** Starts the bare function; `messagesOfBody` holds each body the load sends, with the queue messages the app makes of it. */
export async function startBareFunction(
  connectionString: string,
  key: string,
  messagesOfBody: readonly (readonly [string, readonly string[]])[],
): Promise<BareFunction> {
  const queueName = 'bench-bare-function';
  const storage = resolve(__dirname, '../test/support/storage.ts');
  const dir = scratchApp(
    'ingest-bare-function',
    `const { app } = require('@azure/functions');
const { storageQueueSender } = require(${JSON.stringify(storage)});
const sender = storageQueueSender(${JSON.stringify(connectionString)}, ${JSON.stringify(queueName)});
const messagesOfBody = new Map(require('./messages.json'));
app.http('bareFunction', { route: 'notifications', methods: ['POST'], authLevel: 'function', handler: async (request) => {
  const messages = messagesOfBody.get(await request.text());
  if (messages === undefined) return { status: 400 };
  await Promise.all(messages.map((message) => sender.send(message)));
  return { status: 202 };
} });
`,
    { 'messages.json': JSON.stringify(messagesOfBody) },
  );
  try {
    const host = await startFunctionHostProcess({
      appDir: dir,
      settings: { AzureWebJobsStorage: connectionString },
      keys: { function: key },
    });
    return {
      url: `${host.functionUrls.bareFunction ?? ''}?code=${encodeURIComponent(key)}`,
      queue: new QueueClient(connectionString, queueName),
      cpuUsage: host.cpuUsage,
      stop: async () => {
        await host.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
