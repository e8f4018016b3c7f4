/**
 * An HTTP load generator on its own thread (a worker, so the servers measured in this process do not
 * share its event loop): POSTs the given bodies over keep-alive connections, either as fast as
 * `concurrency` connections allow (closed loop) or at a fixed rate (open loop, latency measured from the
 * scheduled send time, so a stall counts against the server and is not hidden). Used by bench/ingest.ts.
 */
import { Worker } from 'node:worker_threads';

export interface LoadRun {
  readonly url: string;
  readonly bodies: readonly string[];
  readonly durationMs: number;
  /** Closed loop: this many POSTs in flight at all times. */
  readonly concurrency: number;
  /** Open loop: POSTs per second (undefined = closed loop). */
  readonly ratePerSecond?: number;
}

export interface LoadResult {
  /** Milliseconds per POST, sorted. */
  readonly latenciesMs: readonly number[];
  readonly elapsedMs: number;
  /** POSTs answered with anything but 202, or not answered. */
  readonly errors: number;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { performance } = require('node:perf_hooks');
const { url, bodies, durationMs, concurrency, ratePerSecond } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: Math.max(concurrency, 64) });
const target = new URL(url);
let next = 0;
function post() {
  const body = bodies[next++ % bodies.length];
  return new Promise((resolve) => {
    const request = http.request({ hostname: target.hostname, port: target.port, path: target.pathname + target.search, method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode === 202));
    });
    request.on('error', () => resolve(false));
    request.end(body);
  });
}
async function run() {
  const latencies = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  if (ratePerSecond === undefined) {
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const sent = performance.now();
        if (!(await post())) errors += 1;
        latencies.push(performance.now() - sent);
      }
    }));
  } else {
    const interval = 1000 / ratePerSecond;
    const inFlight = [];
    for (let n = 0; started + n * interval < deadline; n += 1) {
      const scheduled = started + n * interval;
      const wait = scheduled - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      inFlight.push(post().then((ok) => { if (!ok) errors += 1; latencies.push(performance.now() - scheduled); }));
    }
    await Promise.all(inFlight);
  }
  const elapsedMs = performance.now() - started;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  parentPort.postMessage({ latenciesMs: latencies, elapsedMs, errors });
}
run();
`;

export function runLoad(run: LoadRun): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: run });
    worker.once('message', (result: LoadResult) => {
      resolve(result);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}
