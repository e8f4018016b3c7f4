/**
 * `npm run dev`: graph-notify offline with one command. Builds nothing itself (the npm script builds
 * first when a source changed), then starts Azurite, the Graph simulator with its demo tenant and the
 * local Functions host, creates the demo subscriptions through the management API, starts a gentle
 * change workload, leaves the settings for the `graph-notify` command (devSession.ts) and keeps a
 * one-line status until Ctrl-C, which stops everything cleanly (a second Ctrl-C exits at once).
 *
 * The npm script runs this file with `node --import tsx`, one process: under the `tsx` command a
 * parent process relays Ctrl-C to this one when it does not hear back within 30 ms, so on a busy
 * machine the terminal's SIGINT and the relayed copy both arrived and the first Ctrl-C forced an exit.
 * The pipeline's modules load after the flags are parsed, so `--help` and a wrong flag answer at once.
 */
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { azuritePortsInUse, parseAzuritePorts, type AzuritePorts } from '../azurite';
import type { LocalHostLogEntry } from '../local-host';
import { isLocalHostError } from '../local-host/errors';
import { isAtLeast } from '../local-host/log';
import { DELIVERY_ROUTES, type DeliveryRoute } from '../../src/lib/config/settings/delivery';
import { describeError } from '../../src/lib/shared/redact';
import { DEV_SESSION_FILE } from '../../src/cli/settings';
import { DEFAULT_HOST_PORT, PERSIST_FOLDER } from './defaults';
import { settingsSourceLines } from './settingsSource';
import type * as Session from './devSession';
import type * as Status from './pipelineStatus';
import type * as Pipeline from './startLocalPipeline';
import type { GraphMode, LocalPipeline } from './startLocalPipeline';

const USAGE = `Usage: npm run dev [-- options]

Runs graph-notify offline: Azurite, a simulated Microsoft 365 tenant (the Graph simulator) and the
Functions app on the local host, with demo subscriptions and a gentle change workload.

Options:
  --port <n>          HTTP port of the Functions host (0 = any free port). Default ${DEFAULT_HOST_PORT}.
  --persist           Keep storage in ${PERSIST_FOLDER}/ (git-ignored) instead of memory.
  --azurite-ports <blob,queue,table>
                      Azurite's three ports, e.g. 10000,10001,10002; each must be free. Default: those
                      three when all are free (for UseDevelopmentStorage=true tools), else any free ones.
  --no-workload       Do not generate changes; make your own through the simulator's control API.
  --time-scale <x>    Simulated Graph time runs x times faster (the app keeps wall-clock time, so
                      expiries and lifecycle events arrive sooner than the app plans for). Default 1.
  --delivery <route>  How Graph delivers to new subscriptions: webhook (default), eventGrid (the simulator's
                      partner topic, to the host's Event Grid webhook) or eventHubs (the simulator's hub, fed to
                      the host's Event Hubs function). Rich demo subscriptions stay on webhooks.
  --tenant            Use a real tenant instead of the simulator: the GRAPH_* settings and a public
                      NOTIFICATION_URL (e.g. a dev tunnel to this port) come from local.settings.json.
  --verbose           Print every invocation and the simulator's event log.
  --help              Show this text.

Function keys are off, as under Core Tools; set LOCAL_HOST_FUNCTION_KEY to enforce keys as a deployment does: it
becomes each webhook's own function key, and the management API takes LOCAL_HOST_MASTER_KEY (random if unset).`;

interface Flags {
  readonly port: number;
  readonly persist: boolean;
  readonly workload: boolean;
  readonly timeScale: number;
  readonly tenant: boolean;
  readonly delivery: DeliveryRoute;
  /** --azurite-ports; undefined = the usual ones when free, else any. */
  readonly azuritePorts: AzuritePorts | undefined;
  readonly verbose: boolean;
  readonly help: boolean;
}

/** A wrong flag or value: printed with the usage, exit 2, before anything starts. */
class UsageError extends Error {}

function parseFlags(argv: readonly string[]): Flags {
  try {
    return parseFlagsOrThrow(argv);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function parseFlagsOrThrow(argv: readonly string[]): Flags {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: 'string' },
      persist: { type: 'boolean', default: false },
      'no-workload': { type: 'boolean', default: false },
      'time-scale': { type: 'string' },
      tenant: { type: 'boolean', default: false },
      delivery: { type: 'string', default: 'webhook' },
      'azurite-ports': { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const port = values.port === undefined ? DEFAULT_HOST_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`--port must be a port number, got "${values.port ?? ''}"`);
  const timeScale = values['time-scale'] === undefined ? 1 : Number(values['time-scale']);
  if (!(timeScale > 0)) throw new Error(`--time-scale must be a positive number, got "${values['time-scale'] ?? ''}"`);
  const delivery = DELIVERY_ROUTES.find((route) => route === values.delivery);
  if (delivery === undefined)
    throw new Error(`--delivery must be one of ${DELIVERY_ROUTES.join(', ')}, got "${values.delivery}"`);
  return {
    port,
    persist: values.persist,
    workload: !values['no-workload'],
    timeScale,
    tenant: values.tenant,
    delivery,
    azuritePorts: values['azurite-ports'] === undefined ? undefined : parseAzuritePorts(values['azurite-ports']),
    verbose: values.verbose,
    help: values.help,
  };
}

async function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => {
      resolve(false);
    });
    server.listen(port, '127.0.0.1', () => {
      server.close(() => {
        resolve(true);
      });
    });
  });
}

/**
 * The ports given with --azurite-ports, refused (before anything starts) when something listens on one; else Azurite's
 * usual ports when free, so `UseDevelopmentStorage=true` tools (Storage Explorer) find it; else any.
 */
async function storagePorts(given: AzuritePorts | undefined): Promise<AzuritePorts | undefined> {
  if (given !== undefined) {
    const inUse = await azuritePortsInUse(given);
    if (inUse.length > 0)
      throw new UsageError(
        `--azurite-ports: ${inUse.join(' and ')} ${inUse.length === 1 ? 'is' : 'are'} in use; choose free ports (Azurite is started by npm run dev itself)`,
      );
    return given;
  }
  const usual = { blob: 10_000, queue: 10_001, table: 10_002 };
  const free = await Promise.all([usual.blob, usual.queue, usual.table].map(isFree));
  return free.every(Boolean) ? usual : undefined;
}

/** Writes log lines above the status line, which is redrawn in place on a terminal. */
class Console {
  readonly #tty = process.stdout.isTTY;
  #status = '';

  line(text: string, stream: NodeJS.WriteStream = process.stdout): void {
    if (this.#tty && this.#status !== '') process.stdout.write('\r\x1b[2K');
    stream.write(`${text}\n`);
    if (this.#tty && this.#status !== '') process.stdout.write(this.#status);
  }

  status(text: string): void {
    if (this.#tty) {
      this.#status = text.length > process.stdout.columns ? `${text.slice(0, process.stdout.columns - 1)}…` : text;
      process.stdout.write(`\r\x1b[2K${this.#status}`);
    } else {
      process.stdout.write(`${text}\n`);
    }
  }

  endStatus(): void {
    if (this.#tty && this.#status !== '') process.stdout.write('\n');
    this.#status = '';
  }
}

function banner(pipeline: LocalPipeline, flags: Flags): string[] {
  const lines = [
    '',
    `graph-notify is running ${pipeline.mode === 'simulator' ? 'offline' : `against tenant ${pipeline.config.graph.tenantId}`}. Ctrl-C stops everything.`,
    '',
  ];
  lines.push(`  Functions host     ${pipeline.urls.apiUrl}`);
  lines.push(`    webhooks         POST ${pipeline.urls.apiUrl}/notifications, POST ${pipeline.urls.apiUrl}/lifecycle`);
  lines.push(`    management API   ${pipeline.urls.managementUrl}   (e.g. curl ${pipeline.urls.managementUrl})`);
  if (pipeline.urls.simulator !== undefined) {
    lines.push(
      `  Graph simulator    ${pipeline.urls.simulator}/v1.0   (control API ${pipeline.urls.simulator}/_sim, ground truth ${pipeline.urls.simulator}/_sim/state)`,
    );
  }
  lines.push(
    `  Storage (Azurite)  ${pipeline.storageLocation === undefined ? 'in memory' : `persisted in ${pipeline.storageLocation}`}`,
  );
  lines.push(`    connection       ${pipeline.connectionString}`);
  lines.push(
    `    sink             container ${pipeline.config.processing.resourcesContainer}, queues ${pipeline.config.storage.notificationsQueue} and ${pipeline.config.storage.lifecycleQueue}`,
  );
  if (pipeline.demo !== undefined) {
    lines.push(
      `  Demo tenant        ${pipeline.demo.tenantId}: ${pipeline.subscriptions.length} subscriptions created through the management API (delivery ${flags.delivery})`,
    );
    lines.push(
      `  Workload           ${flags.workload ? 'one change every 2 s in the demo mailboxes, drive, chat, users and groups (--no-workload turns it off)' : 'off'}`,
    );
  } else {
    lines.push(
      '  Subscriptions      create them with POST /api/subscriptions or `npm run cli -- subscriptions create`;',
    );
    lines.push('                     Graph must reach NOTIFICATION_URL over https (e.g. a dev tunnel to this port)');
  }
  lines.push(
    `  CLI                npx graph-notify subscriptions list   (while this runs, the CLI reads ${DEV_SESSION_FILE})`,
  );
  for (const error of pipeline.subscriptionErrors) lines.push(`  ! ${error}`);
  lines.push('');
  return lines;
}

/** Ctrl-C or SIGTERM: the first stops everything gracefully (even mid-start-up), the second exits at once. */
class Shutdown {
  #stopping = false;
  #stop: (() => Promise<void>) | undefined;
  readonly #prepare: () => void;

  constructor(prepare: () => void) {
    this.#prepare = prepare;
    process.on('SIGINT', this.#signal);
    process.on('SIGTERM', this.#signal);
  }

  get stopping(): boolean {
    return this.#stopping;
  }

  /** What to stop; if a signal came during start-up, stops right away. */
  started(stop: () => Promise<void>): void {
    this.#stop = stop;
    if (this.#stopping) this.#run();
  }

  readonly #signal = (signal: NodeJS.Signals): void => {
    if (this.#stopping) {
      process.stderr.write(`\n${signal} again: exiting without waiting\n`);
      process.exit(1);
    }
    this.#stopping = true;
    this.#prepare();
    process.stderr.write(
      `${signal}: stopping the workload, the Functions host (letting running invocations finish), the simulator and Azurite... (${signal} again exits at once)\n`,
    );
    this.#run();
  };

  #run(): void {
    const stop = this.#stop;
    if (stop === undefined) return;
    stop().then(
      () => {
        process.stderr.write('Stopped.\n');
        process.exit(0);
      },
      (error: unknown) => {
        process.stderr.write(`Stopping failed: ${describeError(error)}\n`);
        process.exit(1);
      },
    );
  }
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const out = new Console();
  const refreshing: { timer?: NodeJS.Timeout } = {};
  const shutdown = new Shutdown(() => {
    clearInterval(refreshing.timer);
    out.endStatus();
  });
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded after the flags, see the top of the file. */
  const { startLocalPipeline } = require('./startLocalPipeline') as typeof Pipeline;
  const { formatStatusLine } = require('./pipelineStatus') as typeof Status;
  const { writeDevSession } = require('./devSession') as typeof Session;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const minimum = flags.verbose ? 'information' : 'warning';
  // The host's lines go through the console helper (same format as the local host's own console sink), so
  // they never tear the status line.
  const log = (entry: LocalHostLogEntry): void => {
    if (!isAtLeast(entry.level, minimum)) return;
    const scope = entry.source === 'function' && entry.functionName !== undefined ? `[${entry.functionName}] ` : '';
    out.line(
      `[${entry.time.toISOString()}] ${scope}${entry.message}`,
      isAtLeast(entry.level, 'warning') ? process.stderr : process.stdout,
    );
  };
  const functionKey = process.env.LOCAL_HOST_FUNCTION_KEY;
  const masterKey = process.env.LOCAL_HOST_MASTER_KEY;
  const graph: GraphMode = flags.tenant
    ? { mode: 'tenant' }
    : {
        mode: 'simulator',
        simulator: {
          clock: { mode: 'realtime', scale: flags.timeScale },
          ...(flags.verbose
            ? {
                log: (line: string) => {
                  out.line(`[graph-sim] ${line}`);
                },
              }
            : {}),
        },
        workload: flags.workload,
      };
  const ports = await storagePorts(flags.azuritePorts);
  for (const line of settingsSourceLines(process.cwd(), flags.tenant)) out.line(line);
  out.line(`Starting Azurite${graph.mode === 'simulator' ? ', the Graph simulator' : ''} and the Functions host...`);
  const pipeline = await startLocalPipeline({
    port: flags.port,
    graph,
    delivery: flags.delivery,
    ...(flags.persist ? { storageLocation: PERSIST_FOLDER } : {}),
    ...(ports === undefined ? {} : { storagePorts: ports }),
    ...(functionKey === undefined || functionKey === '' ? {} : { functionKey }),
    ...(masterKey === undefined || masterKey === '' ? {} : { masterKey }),
    log,
  });
  const appDir = process.cwd();
  const removeSession = writeDevSession(appDir, {
    settings: pipeline.settings,
    settingsFile: flags.tenant ? resolve(appDir, 'local.settings.json') : undefined,
  });
  shutdown.started(async () => {
    removeSession();
    await pipeline.stop();
  });
  if (shutdown.stopping) return;
  for (const line of banner(pipeline, flags)) out.line(line);

  let pending = false;
  const refresh = (): void => {
    if (pending || shutdown.stopping) return;
    pending = true;
    pipeline.status().then(
      (status) => {
        if (!shutdown.stopping) out.status(formatStatusLine(status));
        pending = false;
      },
      (error: unknown) => {
        out.line(`status unavailable: ${describeError(error)}`, process.stderr);
        pending = false;
      },
    );
  };
  refreshing.timer = setInterval(refresh, process.stdout.isTTY ? 1_000 : 15_000);
  refresh();
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`npm run dev: ${error.message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  const hint =
    isLocalHostError(error) && error.code === 'ERR_LOCAL_HOST_APP_INVALID'
      ? ' (run `npm run build`, or use `npm run dev`, which builds first)'
      : '';
  const busy = /EADDRINUSE/.test(String(error)) ? ' (the port is in use: try --port 0 or another port)' : '';
  process.stderr.write(`npm run dev: ${describeError(error)}${hint}${busy}\n`);
  process.exit(1);
});
