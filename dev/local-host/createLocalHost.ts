/**
 * The local Functions host: the composition root of everything in this folder. `createLocalHost`
 * builds without listening (settings into process.env, host.json, the app loaded through the
 * runtime-module stand-in, every registration validated and wired); `start()` runs appStart hooks,
 * listens for HTTP, starts queue listeners and timers and returns the URLs; `stop()` drains running
 * invocations, runs appTerminate hooks and puts the process back as it found it.
 *
 * One host per process at a time: the runtime module, the `@azure/functions` singleton and
 * process.env are process-wide. Tests start hosts one after another (each file runs in its own
 * worker process), or a test may run the host in a child process via `main.ts`.
 *
 * To swap an adapter: storage connections come from `queueConnection.ts` (settings → client), time
 * for timers from `options.scheduler`, logs go to `options.log`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { QueueClient } from '@azure/storage-queue';
import { describeError } from '../../src/lib/shared/redact';
import type { RpcBindingInfo, RpcRetryOptions } from './coreTypes';
import { LocalHostError } from './errors';
import { readHostJson, type HostJsonConfig } from './hostJson';
import type { EventGridFunction } from './eventGridTrigger';
import { deliverEventHubBatch, type EventHubFunction } from './eventHubTrigger';
import { BODY_SIZE_LIMIT_SETTING, createHttpFrontEnd, type HttpFunctionRoute, type HttpKeys } from './httpTrigger';
import { Invoker, toLocalLevel, type InvocationOutcome } from './invokeFunction';
import { loadApp, resolveEntryFiles, unloadApp } from './loadApp';
import { consoleLogSink, type LocalHostLogEntry, type LocalHostLogSink } from './log';
import { parseNcrontab } from './ncrontab';
import { createQueueServiceResolver, type QueueServiceResolver } from './queueConnection';
import { QueueOutputWriter, type QueueOutputBinding } from './queueOutput';
import { poisonQueueName, QueueListener, RUNNING_VISIBILITY_TIMEOUT_SECONDS } from './queueTrigger';
import { parseRouteTemplate } from './routeTemplate';
import { installRuntimeModule, RuntimeRegistry, type RegisteredFunction } from './runtimeModule';
import { realTimeScheduler, type HostScheduler } from './scheduler';
import {
  composeSettings,
  EnvironmentPatch,
  lookupSetting,
  readLocalSettingsFile,
  resolveSettingReferences,
  type Settings,
} from './settings';
import { TimerTrigger } from './timerTrigger';

export const DEFAULT_PORT = 7071;
/** How long responses already being written get after the last invocation finished, on stop(). */
const SHUTDOWN_GRACE_MS = 2_000;
export const DEFAULT_HOSTNAME = '127.0.0.1';

export interface LocalHostOptions {
  /** Folder with package.json, host.json and local.settings.json. Default: the current directory. */
  readonly appDir?: string;
  /** Entry files instead of package.json `main` (same glob syntax, relative to `appDir`). */
  readonly main?: string;
  /** HTTP port; 0 picks a free one. Default: local.settings.json `Host.LocalHttpPort`, else 7071. */
  readonly port?: number;
  /** Interface to listen on. Default: 127.0.0.1. */
  readonly hostname?: string;
  /** local.settings.json to read, or false for none. Default: `<appDir>/local.settings.json` if present. */
  readonly settingsFile?: string | false;
  /** Settings that win over local.settings.json and process.env (e.g. a test's exact configuration). */
  readonly settings?: Settings;
  /** Function keys. Without any, every HTTP function is anonymous (as under Core Tools). */
  readonly keys?: HttpKeys;
  /** Drives timer triggers; pass a `ManualScheduler` to move time by hand. Default: real time. */
  readonly scheduler?: HostScheduler;
  /** Receives host, library and `context.log` entries. Default: the console, information and up. */
  readonly log?: LocalHostLogSink;
  /**
   * A trigger or binding the host does not emulate (blob, table, Service Bus, ...): `'throw'` refuses
   * to build (default), `'skip'` logs a warning and leaves that trigger idle / that output unwritten.
   */
  readonly unsupported?: 'throw' | 'skip';
  /**
   * Seconds a dequeued queue message stays invisible while its function runs, renewed at half of it.
   * Default: the runtime's 600. A host killed mid-invocation leaves its messages hidden this long, so a
   * crash test lowers it rather than wait ten minutes.
   */
  readonly runningVisibilitySeconds?: number;
}

export interface LocalHostUrls {
  /** `http://127.0.0.1:<port>` */
  readonly baseUrl: string;
  /** `<baseUrl>/<routePrefix>` (`/api` unless host.json changes it). */
  readonly apiUrl: string;
  /** Each HTTP function's route template under `apiUrl`, by function name. */
  readonly functionUrls: Readonly<Record<string, string>>;
}

export interface LocalFunction {
  readonly name: string;
  /** The trigger binding type: `httpTrigger`, `queueTrigger`, `timerTrigger`, ... */
  readonly triggerType: string;
  /** Every binding exactly as the app registered it, by binding name (`$return` for the return value). */
  readonly bindings: Readonly<Record<string, Readonly<RpcBindingInfo>>>;
  readonly retryOptions: Readonly<RpcRetryOptions> | undefined;
  /** The handler the app passed to `app.*`, untouched. */
  readonly handler: (...args: unknown[]) => unknown;
  /** Disabled with the app setting `AzureWebJobs.<name>.Disabled=true`. */
  readonly disabled: boolean;
}

export interface LocalHost {
  /** Every registered function, in registration order. */
  readonly functions: readonly LocalFunction[];
  /** Hook registrations by kind (`appStart`, `preInvocation`, ...). */
  readonly hookCounts: Readonly<Record<string, number>>;
  start(): Promise<LocalHostUrls>;
  /** Idempotent; also releases a host that was built but never started. */
  stop(): Promise<void>;
  /** Runs a timer function now with the timer object the runtime passes; resolves when it finished. */
  triggerTimer(name: string, options?: { readonly isPastDue?: boolean }): Promise<InvocationOutcome>;
  /** Resolves when no invocation is running. */
  idle(): Promise<void>;
  /** The Event Hubs-triggered functions, which a feeder drives with `deliverEventHubBatch` (no broker runs locally). */
  readonly eventHubFunctions: readonly {
    readonly name: string;
    readonly eventHubName: string;
    readonly consumerGroup: string;
  }[];
  /** Runs an Event Hubs function on a batch of event bodies, with its retry policy; resolves once it is done. */
  deliverEventHubBatch(name: string, bodies: readonly string[]): Promise<InvocationOutcome>;
}

interface QueueFunction {
  readonly fn: RegisteredFunction;
  readonly triggerBindingName: string;
  readonly queueName: string;
  readonly connection: string | undefined;
}

interface Wiring {
  readonly http: HttpFunctionRoute[];
  readonly eventGrid: EventGridFunction[];
  readonly eventHubs: EventHubFunction[];
  readonly queues: QueueFunction[];
  readonly timers: TimerTrigger[];
  readonly outputs: Map<string, QueueOutputBinding[]>;
}

/** Guards the process-wide state; holds the host currently loaded. */
let loadedHost: object | undefined;

function isTriggerType(type: string | null | undefined): boolean {
  return typeof type === 'string' && /trigger$/i.test(type);
}

function stringProperty(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The host's request size limit from its app setting; a value that is not a positive integer is an error naming it. */
function bodyLimitFrom(settings: Settings): { maxRequestBodyBytes?: number } {
  const text = lookupSetting(settings, BODY_SIZE_LIMIT_SETTING);
  if (text === undefined || text.trim() === '') return {};
  const bytes = Number(text);
  if (!Number.isSafeInteger(bytes) || bytes <= 0)
    throw new LocalHostError(
      'ERR_LOCAL_HOST_SETTING_INVALID',
      `${BODY_SIZE_LIMIT_SETTING} must be a positive number of bytes`,
    );
  return { maxRequestBodyBytes: bytes };
}

function isDisabled(settings: Settings, name: string): boolean {
  const value =
    lookupSetting(settings, `AzureWebJobs.${name}.Disabled`) ??
    lookupSetting(settings, `AzureWebJobs__${name}__Disabled`);
  return value !== undefined && ['true', '1'].includes(value.trim().toLowerCase());
}

function wireFunctions(
  registry: RuntimeRegistry,
  settings: Settings,
  scheduler: HostScheduler,
  invoker: Invoker,
  problems: string[],
): Wiring {
  const wiring: Wiring = { http: [], eventGrid: [], eventHubs: [], queues: [], timers: [], outputs: new Map() };
  const invoke = invoker.invoke.bind(invoker);
  for (const fn of registry.functions) {
    const what = (binding: string, property: string): string =>
      `Function "${fn.name}" binding "${binding}" ${property}`;
    const entries = Object.entries(fn.metadata.bindings);
    const trigger = entries.find(([, binding]) => isTriggerType(binding.type));
    if (trigger === undefined) {
      problems.push(`Function "${fn.name}" has no trigger binding`);
      continue;
    }
    const [triggerName, triggerBinding] = trigger;
    const triggerType = (triggerBinding.type ?? '').toLowerCase();

    const outputs: QueueOutputBinding[] = [];
    for (const [name, binding] of entries) {
      if (name === triggerName) continue;
      const type = (binding.type ?? '').toLowerCase();
      if (binding.direction === 'out' && type === 'http' && triggerType === 'httptrigger') continue;
      if (binding.direction === 'out' && type === 'queue') {
        const queueName = resolveSettingReferences(
          stringProperty(binding.queueName),
          settings,
          what(name, 'queueName'),
        );
        if (/[{}]/.test(queueName)) {
          problems.push(
            `${what(name, 'queueName')} "${queueName}" uses a binding expression, which the local host does not resolve`,
          );
          continue;
        }
        outputs.push({ bindingName: name, queueName, connection: optionalString(binding.connection) });
        continue;
      }
      problems.push(
        `${what(name, '')}has type "${binding.type ?? ''}" (${binding.direction ?? 'in'}), which the local host does not emulate`,
      );
    }
    wiring.outputs.set(fn.name, outputs);
    if (isDisabled(settings, fn.name)) continue;

    switch (triggerType) {
      case 'httptrigger': {
        const routeText = resolveSettingReferences(
          optionalString(triggerBinding.route) ?? fn.name,
          settings,
          what(triggerName, 'route'),
        );
        const methods = Array.isArray(triggerBinding.methods)
          ? new Set(triggerBinding.methods.map((method) => String(method).toUpperCase()))
          : undefined;
        const authLevel = (optionalString(triggerBinding.authLevel) ?? 'anonymous').toLowerCase();
        if (authLevel !== 'anonymous' && authLevel !== 'function' && authLevel !== 'admin') {
          problems.push(`${what(triggerName, 'authLevel')} "${authLevel}" is not anonymous, function or admin`);
          break;
        }
        wiring.http.push({
          fn,
          triggerBindingName: triggerName,
          route: parseRouteTemplate(routeText),
          methods: methods === undefined || methods.size === 0 ? undefined : methods,
          authLevel,
        });
        break;
      }
      case 'queuetrigger': {
        const queueName = resolveSettingReferences(
          stringProperty(triggerBinding.queueName),
          settings,
          what(triggerName, 'queueName'),
        );
        if (queueName === '') problems.push(`${what(triggerName, 'queueName')} is empty`);
        else
          wiring.queues.push({
            fn,
            triggerBindingName: triggerName,
            queueName,
            connection: optionalString(triggerBinding.connection),
          });
        break;
      }
      case 'timertrigger': {
        const expression = resolveSettingReferences(
          stringProperty(triggerBinding.schedule),
          settings,
          what(triggerName, 'schedule'),
        );
        wiring.timers.push(
          new TimerTrigger({
            fn,
            triggerBindingName: triggerName,
            schedule: parseNcrontab(expression),
            runOnStartup: triggerBinding.runOnStartup === true,
            useMonitor: typeof triggerBinding.useMonitor === 'boolean' ? triggerBinding.useMonitor : undefined,
            scheduler,
            invoke,
          }),
        );
        break;
      }
      case 'eventgridtrigger':
        wiring.eventGrid.push({ fn, triggerBindingName: triggerName });
        break;
      case 'eventhubtrigger':
        wiring.eventHubs.push({
          fn,
          triggerBindingName: triggerName,
          eventHubName: resolveSettingReferences(
            stringProperty(triggerBinding.eventHubName),
            settings,
            what(triggerName, 'eventHubName'),
          ),
          consumerGroup: resolveSettingReferences(
            optionalString(triggerBinding.consumerGroup) ?? '$Default',
            settings,
            what(triggerName, 'consumerGroup'),
          ),
          cardinality: optionalString(triggerBinding.cardinality)?.toLowerCase() === 'many' ? 'many' : 'one',
        });
        break;
      default:
        problems.push(
          `Function "${fn.name}" has a ${triggerBinding.type ?? ''} trigger, which the local host does not emulate`,
        );
    }
  }
  return wiring;
}

function describeFunction(fn: LocalFunction, urls: LocalHostUrls, http: readonly HttpFunctionRoute[]): string {
  const route = http.find((candidate) => candidate.fn.name === fn.name);
  if (fn.disabled) return `${fn.name}: ${fn.triggerType} (disabled)`;
  if (route === undefined) return `${fn.name}: ${fn.triggerType}`;
  const methods = route.methods === undefined ? 'ANY' : [...route.methods].join(',');
  return `${fn.name}: [${methods}] ${urls.functionUrls[fn.name] ?? ''}`;
}

/** Builds a local host for the app in `options.appDir`: loads and wires it, without listening. */
export async function createLocalHost(options: LocalHostOptions = {}): Promise<LocalHost> {
  const runningVisibilitySeconds = options.runningVisibilitySeconds ?? RUNNING_VISIBILITY_TIMEOUT_SECONDS;
  // Azure Storage hides a message for at most 7 days; the renewal at half needs at least 1 s.
  if (
    !Number.isInteger(runningVisibilitySeconds) ||
    runningVisibilitySeconds < 1 ||
    runningVisibilitySeconds > 604_800
  ) {
    throw new LocalHostError(
      'ERR_LOCAL_HOST_OPTION',
      `runningVisibilitySeconds must be a whole number of seconds from 1 to 604800, got ${String(options.runningVisibilitySeconds)}`,
    );
  }
  if (loadedHost !== undefined) {
    throw new LocalHostError('ERR_LOCAL_HOST_BUSY', 'Another local host is loaded in this process; stop it first');
  }
  const token = {};
  loadedHost = token;
  const appDir = resolve(options.appDir ?? process.cwd());
  const givenSink = options.log ?? consoleLogSink();
  const sink: LocalHostLogSink = (entry) => {
    try {
      givenSink(entry);
    } catch {
      // A broken sink must not break the host or the invocation it reports on.
    }
  };
  const log = (entry: Omit<LocalHostLogEntry, 'time'>): void => {
    sink({ time: new Date(), ...entry });
  };
  const scheduler = options.scheduler ?? realTimeScheduler;
  const environment = new EnvironmentPatch();
  let uninstallRuntime: (() => void) | undefined;

  const release = (): void => {
    unloadApp(appDir);
    uninstallRuntime?.();
    uninstallRuntime = undefined;
    environment.restore();
    if (loadedHost === token) loadedHost = undefined;
  };

  let hostJson: HostJsonConfig;
  let registry: RuntimeRegistry;
  let settings: Settings;
  let localHttpPort: number | undefined;
  let entryFiles: string[];
  try {
    entryFiles = resolveEntryFiles(appDir, options.main);
    const settingsFile =
      options.settingsFile === false ? undefined : resolve(appDir, options.settingsFile ?? 'local.settings.json');
    const file = settingsFile === undefined ? undefined : readLocalSettingsFile(settingsFile);
    if (file === undefined && options.settingsFile !== undefined && options.settingsFile !== false) {
      throw new LocalHostError('ERR_LOCAL_HOST_SETTING_INVALID', `Settings file ${settingsFile ?? ''} does not exist`);
    }
    localHttpPort = file?.localHttpPort;
    const composed = composeSettings(file?.values ?? {}, process.env, options.settings ?? {});
    for (const name of composed.shadowedByEnvironment) {
      log({
        level: 'warning',
        source: 'host',
        message: `Skipping '${name}' from local.settings.json as it's already defined in current environment variables.`,
      });
    }
    settings = composed.all;
    hostJson = readHostJson(appDir, settings);
    // The app reads its configuration while loading: the settings must be in place first.
    environment.apply(composed.applied);

    registry = new RuntimeRegistry((level, category, message) => {
      const localLevel = toLocalLevel(level);
      if (localLevel !== undefined)
        log({ level: localLevel, source: category === 'user' ? 'function' : 'worker', message });
    });
    uninstallRuntime = installRuntimeModule(registry.createCoreApi());
    loadApp(appDir, entryFiles);
    registry.finishStartup();
    const capabilities = await registry.programmingModel?.getCapabilities?.({});
    if (capabilities?.HttpUri !== undefined) {
      throw new LocalHostError(
        'ERR_LOCAL_HOST_UNSUPPORTED',
        'app.setup({ enableHttpStream: true }) is not supported by the local host',
      );
    }
  } catch (error) {
    release();
    throw error;
  }

  let listeners: QueueListener[] = [];
  const wake = (queue: QueueClient): void => {
    for (const listener of listeners) if (listener.queueUrl === queue.url) listener.wake();
  };
  const resolveService: QueueServiceResolver = createQueueServiceResolver(settings);
  const outputWriter = new QueueOutputWriter(resolveService, hostJson.queues.messageEncoding, wake);
  let wiring: Wiring | undefined;
  const invoker = new Invoker({
    registry,
    log: sink,
    functionTimeoutMs: hostJson.functionTimeoutMs,
    writeOutputs: async (fn, response) => {
      await outputWriter.write(wiring?.outputs.get(fn.name) ?? [], response);
    },
  });

  const problems: string[] = [];
  try {
    wiring = wireFunctions(registry, settings, scheduler, invoker, problems);
  } catch (error) {
    release();
    throw error;
  }
  if (problems.length > 0) {
    if (options.unsupported !== 'skip') {
      release();
      throw new LocalHostError(
        'ERR_LOCAL_HOST_UNSUPPORTED',
        `The app cannot run on the local host:\n  - ${problems.join('\n  - ')}`,
      );
    }
    for (const problem of problems) log({ level: 'warning', source: 'host', message: `${problem}; skipped` });
  }
  const wired = wiring;

  const functions: LocalFunction[] = registry.functions.map((fn) => {
    const trigger = Object.values(fn.metadata.bindings).find((binding) => isTriggerType(binding.type));
    return {
      name: fn.name,
      triggerType: trigger?.type ?? 'unknown',
      bindings: fn.metadata.bindings,
      retryOptions: fn.metadata.retryOptions ?? undefined,
      handler: fn.callback,
      disabled: isDisabled(settings, fn.name),
    };
  });
  const hookCounts: Record<string, number> = {};
  for (const name of ['appStart', 'appTerminate', 'preInvocation', 'postInvocation', 'log'] as const) {
    hookCounts[name] = registry.hooks(name).length;
  }

  let state: 'built' | 'starting' | 'started' | 'stopped' = 'built';
  let server: Server | undefined;

  const findTimer = (name: string): TimerTrigger | undefined =>
    wired.timers.find((timer) => timer.name.toLowerCase() === name.toLowerCase());

  async function runAppHooks(name: 'appStart' | 'appTerminate'): Promise<void> {
    const context = {
      get hookData() {
        return registry.appLevelHookData;
      },
      get appHookData() {
        return registry.appHookData;
      },
      functionAppDirectory: appDir,
    };
    for (const hook of registry.hooks(name)) await hook(context);
  }

  /** Stops triggers, lets running invocations finish, then closes every HTTP connection. */
  async function stopTriggers(): Promise<void> {
    for (const timer of wired.timers) timer.stop();
    const current = server;
    server = undefined;
    // Stop accepting connections now; requests already received still get their answer.
    const closed = new Promise<void>((done) => {
      if (current === undefined) done();
      else
        current.close(() => {
          done();
        });
    });
    current?.closeIdleConnections();
    await Promise.all(listeners.map((listener) => listener.stop()));
    listeners = [];
    await invoker.idle();
    // Keep-alive sockets that went idle after close() would otherwise hold it open until they time out.
    current?.closeIdleConnections();
    const grace = new AbortController();
    const graceful = await Promise.race([
      closed.then(() => true),
      delay(SHUTDOWN_GRACE_MS, false, { signal: grace.signal }).catch(() => false),
    ]);
    grace.abort();
    if (!graceful) {
      current?.closeAllConnections();
      await closed;
    }
  }

  const host: LocalHost = {
    functions,
    hookCounts,

    async start() {
      if (state !== 'built') throw new TypeError(`start() called on a local host that is ${state}`);
      state = 'starting';
      try {
        await runAppHooks('appStart');
        const frontEnd = createHttpFrontEnd({
          routes: wired.http,
          eventGrid: wired.eventGrid,
          routePrefix: hostJson.routePrefix,
          keys: options.keys,
          ...bodyLimitFrom(settings),
          invoke: invoker.invoke.bind(invoker),
          log: sink,
          invokeByName: (name) => {
            const timer = findTimer(name);
            if (timer === undefined) return Promise.resolve(false);
            // Like the host's admin API: accepted now, run in the background.
            void timer.trigger();
            return Promise.resolve(true);
          },
        });
        const listening = createServer((request, response) => {
          frontEnd(request, response);
        });
        // Node would answer `Expect: 100-continue` itself, before the key is checked: the front end does, after.
        listening.on('checkContinue', (request, response) => {
          frontEnd(request, response);
        });
        server = listening;
        const hostname = options.hostname ?? DEFAULT_HOSTNAME;
        await new Promise<void>((resolveListen, rejectListen) => {
          listening.once('error', rejectListen);
          listening.listen(options.port ?? localHttpPort ?? DEFAULT_PORT, hostname, () => {
            listening.off('error', rejectListen);
            resolveListen();
          });
        });
        const { port } = listening.address() as AddressInfo;
        const baseUrl = `http://${hostname.includes(':') ? `[${hostname}]` : hostname}:${port}`;
        const apiUrl = hostJson.routePrefix === '' ? baseUrl : `${baseUrl}/${hostJson.routePrefix}`;
        const functionUrls: Record<string, string> = {};
        for (const route of wired.http)
          functionUrls[route.fn.name] = `${apiUrl}/${route.route.template.replace(/^\/+/, '')}`;
        const urls: LocalHostUrls = { baseUrl, apiUrl, functionUrls };

        for (const queueFunction of wired.queues) {
          const service = await resolveService(queueFunction.connection);
          const poisonName = poisonQueueName(queueFunction.queueName);
          listeners.push(
            new QueueListener({
              fn: queueFunction.fn,
              triggerBindingName: queueFunction.triggerBindingName,
              queue: service.getQueueClient(queueFunction.queueName),
              poisonQueue: poisonName === undefined ? undefined : service.getQueueClient(poisonName),
              options: hostJson.queues,
              runningVisibilitySeconds,
              invoke: invoker.invoke.bind(invoker),
              log: sink,
            }),
          );
        }
        for (const listener of listeners) listener.start();
        for (const timer of wired.timers) timer.start();
        state = 'started';
        log({
          level: 'information',
          source: 'host',
          message: `Functions:\n${functions.map((fn) => `        ${describeFunction(fn, urls, wired.http)}`).join('\n')}`,
        });
        log({ level: 'information', source: 'host', message: `Host started; HTTP functions listen under ${apiUrl}` });
        return urls;
      } catch (error) {
        await stopTriggers();
        state = 'built';
        throw error;
      }
    },

    async stop() {
      if (state === 'stopped') return;
      const wasStarted = state === 'started';
      state = 'stopped';
      try {
        await stopTriggers();
        if (wasStarted) await runAppHooks('appTerminate');
      } catch (error) {
        log({ level: 'error', source: 'host', message: `Stopping the host failed: ${describeError(error)}` });
      } finally {
        release();
      }
    },

    async triggerTimer(name, triggerOptions = {}) {
      if (state === 'stopped') throw new TypeError('triggerTimer() called on a stopped local host');
      const timer = findTimer(name);
      if (timer === undefined) {
        throw new LocalHostError('ERR_LOCAL_HOST_FUNCTION_NOT_FOUND', `No enabled timer function named "${name}"`);
      }
      return timer.trigger(triggerOptions.isPastDue ?? false);
    },

    idle: () => invoker.idle(),

    eventHubFunctions: wired.eventHubs.map(({ fn, eventHubName, consumerGroup }) => ({
      name: fn.name,
      eventHubName,
      consumerGroup,
    })),

    deliverEventHubBatch(name, bodies) {
      const target = wired.eventHubs.find((candidate) => candidate.fn.name.toLowerCase() === name.toLowerCase());
      if (target === undefined)
        return Promise.reject(
          new LocalHostError('ERR_LOCAL_HOST_FUNCTION_NOT_FOUND', `No Event Hubs function named "${name}"`),
        );
      if (state !== 'started')
        return Promise.reject(new TypeError(`deliverEventHubBatch() called on a local host that is ${state}`));
      return deliverEventHubBatch(target, bodies, invoker.invoke.bind(invoker), () => state === 'started');
    },
  };
  return host;
}
