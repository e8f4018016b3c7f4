/**
 * Starts a real Azurite (the npm package pinned in package.json) on free loopback ports, in memory unless
 * a folder is given, and stops it on request. Used by the test run's global setup, by tests that stop and
 * restart storage (outage tests), by `npm run dev` and by the benchmarks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { connect, createServer, type Server } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as delay } from 'node:timers/promises';

export const AZURITE_ACCOUNT = 'devstoreaccount1';
/** Azurite's well-known development key: public, documented, and not a secret. */
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuritePorts {
  readonly blob: number;
  readonly queue: number;
  readonly table: number;
}

export interface RunningAzurite {
  readonly ports: AzuritePorts;
  readonly connectionString: string;
  /** Stops the process (SIGTERM, then SIGKILL); in-memory data is lost. */
  stop(): Promise<void>;
}

const AZURITE_SERVICES = ['blob', 'queue', 'table'] as const;

/**
 * Reads Azurite's ports as `npm run dev -- --azurite-ports <blob>,<queue>,<table>` takes them (e.g. 10000,10001,10002):
 * three distinct port numbers from 1 to 65535, in that order. A wrong value is an error naming the option and the port.
 */
export function parseAzuritePorts(text: string): AzuritePorts {
  const usage = `--azurite-ports takes three distinct ports, blob,queue,table (e.g. 10000,10001,10002), got "${text}"`;
  const parts = text.split(',').map((part) => part.trim());
  if (parts.length !== AZURITE_SERVICES.length) throw new Error(usage);
  const numbers = parts.map((part, index) => {
    const port = /^\d{1,5}$/.test(part) ? Number(part) : Number.NaN;
    if (!(port >= 1 && port <= 65_535))
      throw new Error(`${usage}: the ${AZURITE_SERVICES[index] ?? ''} port "${part}" is not a port number (1-65535)`);
    return port;
  });
  if (new Set(numbers).size !== numbers.length) throw new Error(`${usage}: each service needs a port of its own`);
  const [blob = 0, queue = 0, table = 0] = numbers;
  return { blob, queue, table };
}

/** The services whose port something already listens on, as "queue port 10001". */
export async function azuritePortsInUse(ports: AzuritePorts): Promise<string[]> {
  const busy = await Promise.all(AZURITE_SERVICES.map((service) => isListening(ports[service])));
  return AZURITE_SERVICES.filter((_service, index) => busy[index]).map(
    (service) => `${service} port ${ports[service]}`,
  );
}

export function connectionStringFor(ports: AzuritePorts, host = '127.0.0.1'): string {
  return (
    [
      'DefaultEndpointsProtocol=http',
      `AccountName=${AZURITE_ACCOUNT}`,
      `AccountKey=${AZURITE_KEY}`,
      `BlobEndpoint=http://${host}:${ports.blob}/${AZURITE_ACCOUNT}`,
      `QueueEndpoint=http://${host}:${ports.queue}/${AZURITE_ACCOUNT}`,
      `TableEndpoint=http://${host}:${ports.table}/${AZURITE_ACCOUNT}`,
    ].join(';') + ';'
  );
}

export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  if (port === undefined) throw new Error('could not allocate a free port');
  return port;
}

/**
 * Where free ports are chosen: below 32768, where no common system takes the local ports of its outgoing connections
 * (Linux 32768–60999, macOS and Windows 49152–65535). A port the system hands out for listening (port 0) comes from
 * that same pool, and once released, any outgoing connection on a busy machine may take it before Azurite or the
 * host listens on it: a test run opens thousands, and CI once failed with EADDRINUSE that way.
 */
export const FREE_PORT_RANGE = { lowest: 20_000, highest: 32_767 } as const;
/** Candidates tried for each port before giving up (taken or reserved ones are skipped). */
const FREE_PORT_TRIES = 100;

/**
 * `count` distinct free loopback ports from FREE_PORT_RANGE: all are held open at once before any is released, so
 * the same port is never handed out twice.
 */
export async function freePorts(count: number): Promise<number[]> {
  const held: Server[] = [];
  try {
    const ports: number[] = [];
    for (let index = 0; index < count; index += 1) {
      const server = await listenOnCandidate();
      held.push(server);
      ports.push(boundPort(server));
    }
    return ports;
  } finally {
    await Promise.all(
      held.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => {
              resolve();
            });
          }),
      ),
    );
  }
}

async function listenOnCandidate(): Promise<Server> {
  const span = FREE_PORT_RANGE.highest - FREE_PORT_RANGE.lowest + 1;
  let lastError: unknown;
  for (let attempt = 0; attempt < FREE_PORT_TRIES; attempt += 1) {
    const candidate = FREE_PORT_RANGE.lowest + randomInt(span);
    const server = createServer();
    server.unref();
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(candidate, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
      return server;
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(
    `could not find a free loopback port in ${FREE_PORT_RANGE.lowest}–${FREE_PORT_RANGE.highest} after ${FREE_PORT_TRIES} tries: ${String(lastError)}`,
  );
}

function boundPort(server: Server): number {
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('could not allocate a free port');
  return address.port;
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export async function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}

export interface StartAzuriteOptions {
  /** Reuse these ports (to restart after a stop); default: three fresh free ports. */
  readonly ports?: AzuritePorts;
  /** Persist to this folder instead of memory. */
  readonly location?: string;
  /**
   * How often the queue service sweeps for message data no message refers to (Azurite's own: every 60 s). Each
   * sweep walks every message held and stops the emulator for seconds once it holds tens of thousands, so a
   * benchmark that fills queues sets this beyond its own length (dev/azuriteQueueSweep.mjs).
   */
  readonly queueSweepIntervalMs?: number;
}

const QUEUE_SWEEP_PRELOAD = pathToFileURL(path.join(__dirname, 'azuriteQueueSweep.mjs')).href;

/** Tries with fresh ports when another process took one of ours between choosing it and Azurite binding it. */
const PORT_ATTEMPTS = 3;

export async function startAzurite(options: StartAzuriteOptions = {}): Promise<RunningAzurite> {
  if (options.ports !== undefined) return launchAzurite(options.ports, options);
  for (let attempt = 1; ; attempt += 1) {
    const [blob, queue, table] = await freePorts(3);
    if (blob === undefined || queue === undefined || table === undefined)
      throw new Error('could not allocate free ports');
    try {
      return await launchAzurite({ blob, queue, table }, options);
    } catch (error) {
      if (attempt >= PORT_ATTEMPTS || !(error instanceof Error) || !error.message.includes('EADDRINUSE')) throw error;
    }
  }
}

async function launchAzurite(ports: AzuritePorts, options: StartAzuriteOptions): Promise<RunningAzurite> {
  const entry = require.resolve('azurite/dist/src/azurite.js');
  const args = [
    ...(options.queueSweepIntervalMs === undefined ? [] : ['--import', QUEUE_SWEEP_PRELOAD]),
    entry,
    ...(options.location === undefined ? ['--inMemoryPersistence'] : ['--location', options.location]),
    '--silent',
    '--disableTelemetry',
    '--skipApiVersionCheck',
    '--blobHost',
    '127.0.0.1',
    '--queueHost',
    '127.0.0.1',
    '--tableHost',
    '127.0.0.1',
    '--blobPort',
    String(ports.blob),
    '--queuePort',
    String(ports.queue),
    '--tablePort',
    String(ports.table),
  ];
  // A process group of its own: Ctrl-C in a terminal signals the whole foreground group, and storage must
  // stop after the host has drained, not with it. It is killed when this process exits, forced or not.
  const env =
    options.queueSweepIntervalMs === undefined
      ? process.env
      : { ...process.env, GRAPH_NOTIFY_AZURITE_QUEUE_SWEEP_MS: String(options.queueSweepIntervalMs) };
  const child: ChildProcess = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
    env,
  });
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      process.off('exit', killOnExit);
      resolve();
    });
  });

  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = (await Promise.all([ports.blob, ports.queue, ports.table].map(isListening))).every(Boolean);
    if (ready) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`Azurite did not start on ports ${JSON.stringify(ports)}: ${output.slice(-2000)}`);
    }
    await delay(100);
  }

  return {
    ports,
    connectionString: connectionStringFor(ports),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const killed = await Promise.race([exited.then(() => true), delay(5000).then(() => false)]);
      if (!killed) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
