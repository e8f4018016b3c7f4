/**
 * A load generator in its own process (so the servers and storage measured do not share its event loop or
 * its core's time slices with it), used by bench/ingest.ts. Two kinds of load, closed loop (`concurrency`
 * requests in flight at all times) for `durationMs`, after CLIENT_WARM_UP_MS of the same load that is not counted:
 *
 * - `http`: POSTs the given bodies, one keep-alive connection per request in flight, through the leanest client
 *   there is (keepAliveHttpClient.ts): this load stands for Graph, and what it spends is taken from the app on a
 *   shared machine; a POST counts when answered 202;
 * - `enqueue`: sends the given queue messages straight to the storage queue, base64-encoded as the app sends
 *   them, with the app's own queue sender (`client: 'app'`, one Put Message request each) or the storage SDK's
 *   `sendMessage` (`client: 'sdk'`) with the same options.
 *
 * `runLoad` forks this file (with tsx) and resolves with the figures the child reports over IPC, the CPU it spent
 * among them.
 */
import { fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { QueueClient } from '@azure/storage-queue';
import { storageQueueSender } from '../test/support/storage';
import { KeepAliveHttpClient, postRequestBytes } from './keepAliveHttpClient';

export type LoadRun =
  | {
      readonly kind: 'http';
      readonly url: string;
      readonly bodies: readonly string[];
      readonly durationMs: number;
      readonly concurrency: number;
    }
  | {
      readonly kind: 'enqueue';
      readonly client: 'app' | 'sdk';
      readonly connectionString: string;
      readonly queueName: string;
      /** The messages' texts (JSON envelopes), not yet base64-encoded. */
      readonly messages: readonly string[];
      readonly durationMs: number;
      readonly concurrency: number;
    };

export interface LoadResult {
  /** Milliseconds per request, sorted. */
  readonly latenciesMs: readonly number[];
  readonly elapsedMs: number;
  /** Requests that failed (an HTTP status other than 202, a storage error, no answer). */
  readonly errors: number;
  /** CPU the load generator itself used (user and system) while the requests ran, in microseconds. */
  readonly clientCpuMicroseconds: number;
}

/**
 * How long each load generator sends before it measures. Each is a fresh process whose client code starts cold: a raw
 * enqueue into an Azurite already warm reached 1,390-1,500 messages/s over its first second against 1,580-1,880 over
 * five (7 December), which would hold back whichever design the client drives, the anchor included.
 */
const CLIENT_WARM_UP_MS = 1_000;

/** Runs `send` from `concurrency` loops for CLIENT_WARM_UP_MS, then again, measured, until `durationMs` has passed. */
async function closedLoop(
  durationMs: number,
  concurrency: number,
  send: (n: number) => Promise<boolean>,
): Promise<LoadResult> {
  let next = 0;
  const warmUpEnds = performance.now() + CLIENT_WARM_UP_MS;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < warmUpEnds) await send(next++);
    }),
  );
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const sent = performance.now();
        if (!(await send(next++))) errors += 1;
        latencies.push(performance.now() - sent);
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpu0);
  latencies.sort((a, b) => a - b);
  return { latenciesMs: latencies, elapsedMs, errors, clientCpuMicroseconds: cpu.user + cpu.system };
}

async function httpLoad(run: Extract<LoadRun, { kind: 'http' }>): Promise<LoadResult> {
  const target = new URL(run.url);
  const requests = run.bodies.map((body) => postRequestBytes(target, body));
  // One keep-alive connection per request in flight, each taken while its request is out.
  const idle = Array.from({ length: run.concurrency }, () => new KeepAliveHttpClient(target));
  const post = async (n: number): Promise<boolean> => {
    const client = idle.pop() ?? new KeepAliveHttpClient(target);
    try {
      return (await client.send(requests[n % requests.length] ?? Buffer.alloc(0))) === 202;
    } catch {
      return false;
    } finally {
      idle.push(client);
    }
  };
  try {
    return await closedLoop(run.durationMs, run.concurrency, post);
  } finally {
    for (const client of idle) client.close();
  }
}

async function enqueueLoad(run: Extract<LoadRun, { kind: 'enqueue' }>): Promise<LoadResult> {
  const settled = (sent: Promise<unknown>): Promise<boolean> =>
    sent.then(
      () => true,
      () => false,
    );
  if (run.client === 'app') {
    const sender = storageQueueSender(run.connectionString, run.queueName);
    await sender.prepare?.();
    return closedLoop(run.durationMs, run.concurrency, (n) =>
      settled(sender.send(run.messages[n % run.messages.length] ?? '')),
    );
  }
  const queue = new QueueClient(run.connectionString, run.queueName);
  await queue.createIfNotExists();
  return closedLoop(run.durationMs, run.concurrency, (n) =>
    settled(
      queue.sendMessage(Buffer.from(run.messages[n % run.messages.length] ?? '', 'utf8').toString('base64'), {
        messageTimeToLive: -1,
      }),
    ),
  );
}

/** Forks a load generator, hands it `run`, and resolves with what it measured. */
export function runLoad(run: LoadRun): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.once('message', (result: LoadResult) => {
      resolve(result);
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the load generator exited with code ${String(code)}`));
    });
    child.send(run);
  });
}

if (process.send !== undefined && require.main === module) {
  process.once('message', (run: LoadRun) => {
    void (run.kind === 'http' ? httpLoad(run) : enqueueLoad(run)).then((result) =>
      process.send?.(result, () => process.exit(0)),
    );
  });
}
