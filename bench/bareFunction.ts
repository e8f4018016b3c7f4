/**
 * The bare function of bench/ingest.ts: a local host of its own, in a process of its own as the app's host is, running
 * one HTTP function that reads a POST's body, sends the queue messages the app makes of that body (looked up, not
 * made) with the app's queue sender, and answers 202. It is the Functions request path and the send without the app's
 * checks and packing, so the app's rate over its rate is what the app's own work costs. (One process holds one local
 * host: `@azure/functions` keeps one app per process.)
 *
 * `startBareFunction` forks this file (with tsx) and resolves once the host answers, with its URL.
 */
import { fork } from 'node:child_process';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { QueueClient } from '@azure/storage-queue';
import { createLocalHost } from '../dev/local-host';
import { scratchApp } from './scratchApp';

interface BareFunctionRequest {
  readonly connectionString: string;
  readonly queueName: string;
  readonly key: string;
  /** Each body the load sends, with the queue messages the app makes of it. */
  readonly messagesOfBody: readonly (readonly [string, readonly string[]])[];
}

export interface BareFunction {
  /** The function's URL, with its key. */
  readonly url: string;
  readonly queue: QueueClient;
  /** The CPU its process has used so far. */
  readonly cpuUsage: () => Promise<NodeJS.CpuUsage>;
  readonly stop: () => Promise<void>;
}

export function startBareFunction(
  connectionString: string,
  key: string,
  messagesOfBody: BareFunctionRequest['messagesOfBody'],
): Promise<BareFunction> {
  const queueName = 'bench-bare-function';
  const child = fork(__filename, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((done) => {
    child.once('exit', () => {
      done();
    });
  });
  return new Promise((resolveStarted, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      reject(new Error(`the bare function's host exited with code ${String(code)} before it started`));
    });
    child.once('message', (url: string) => {
      resolveStarted({
        url,
        queue: new QueueClient(connectionString, queueName),
        cpuUsage: () =>
          new Promise((resolveUsage) => {
            child.once('message', (usage: NodeJS.CpuUsage) => {
              resolveUsage(usage);
            });
            child.send('cpu');
          }),
        stop: async () => {
          child.send('stop');
          await exited;
        },
      });
    });
    const request: BareFunctionRequest = { connectionString, queueName, key, messagesOfBody };
    child.send(request);
  });
}

async function serve(request: BareFunctionRequest): Promise<void> {
  const storage = resolve(__dirname, '../test/support/storage.ts');
  const dir = scratchApp(
    'ingest-bare-function',
    `const { app } = require('@azure/functions');
const { storageQueueSender } = require(${JSON.stringify(storage)});
const sender = storageQueueSender(${JSON.stringify(request.connectionString)}, ${JSON.stringify(request.queueName)});
const messagesOfBody = new Map(require('./messages.json'));
app.http('bareFunction', { route: 'notifications', methods: ['POST'], authLevel: 'function', handler: async (request) => {
  const messages = messagesOfBody.get(await request.text());
  if (messages === undefined) return { status: 400 };
  await Promise.all(messages.map((message) => sender.send(message)));
  return { status: 202 };
} });
`,
    { 'messages.json': JSON.stringify(request.messagesOfBody) },
  );
  const host = await createLocalHost({
    appDir: dir,
    port: 0,
    settingsFile: false,
    settings: { AzureWebJobsStorage: request.connectionString },
    keys: { function: request.key },
    log: () => undefined,
  });
  const urls = await host.start();
  process.on('message', (message) => {
    if (message === 'cpu') {
      process.send?.(process.cpuUsage());
      return;
    }
    void host.stop().finally(() => {
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    });
  });
  process.send?.(`${urls.functionUrls.bareFunction ?? ''}?code=${encodeURIComponent(request.key)}`);
}

if (process.send !== undefined && require.main === module) {
  process.once('message', (request: BareFunctionRequest) => {
    void serve(request);
  });
}
