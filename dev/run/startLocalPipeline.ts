/**
 * The whole graph-notify pipeline on one machine, with one call: Azurite (in memory, or persisted in a
 * folder), the Graph simulator with its seeded demo tenant, and the local Functions host running the
 * built app with settings pointing at both. Demo subscriptions are created through the app's own
 * management API, so Graph's validation handshake runs against the real webhook, and a gentle change
 * workload can start. `npm run dev` (main.ts) is a thin shell over this; the end-to-end tests use it
 * with a manual clock, a manual timer scheduler and faults.
 *
 * In `tenant` mode the simulator is not started: the app reads its Graph settings from
 * local.settings.json (a real app registration, a public NOTIFICATION_URL such as a dev tunnel) and
 * only storage stays local.
 *
 * The local host runs in this process (one per process, see docs/local-host.md), so everything here is
 * in-process except Azurite, which is a child process that can be stopped and restarted on the same
 * ports to simulate a storage outage.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { freePort, startAzurite, type AzuritePorts, type RunningAzurite } from '../azurite';
import {
  DEMO_APP_ID,
  DEMO_CLIENT_SECRET,
  DEMO_DOMAIN,
  DEMO_TENANT_ID,
  startGraphSimulator,
  type RunningGraphSimulator,
  type StartOptions,
  type WorkloadOptions,
} from '../graph-simulator';
import {
  consoleLogSink,
  createLocalHost,
  EVENT_GRID_WEBHOOK_PATH,
  type HostScheduler,
  type HttpKeys,
  type LocalHost,
  type LocalHostLogSink,
} from '../local-host';
import { createBlobPayloadStore } from '../../src/adapters/azure/blobPayloadStore';
import { createStorageClients } from '../../src/adapters/azure/storageClients';
import { allSettings, loadConfig, readConfiguration, type AppConfig, type DeliveryRoute } from '../../src/lib/config';
import { describeError } from '../../src/lib/shared/redact';
import type { SubscriptionView } from '../../src/lib/subscriptions';
import { createDevCertificate } from './devCertificate';
import { createManagementClient, type ManagementClient, type SubscriptionRequestBody } from './managementClient';
import {
  InvocationCounter,
  readPipelineStatus,
  TelemetryTap,
  type PipelineStatus,
  type StatusSources,
} from './pipelineStatus';
import { DEFAULT_HOST_PORT, PERSIST_FOLDER } from './defaults';

export { DEFAULT_HOST_PORT, PERSIST_FOLDER };

export type GraphMode =
  | {
      readonly mode: 'simulator';
      /** Passed to `startGraphSimulator`; `seedDemo` and `allowHttpLoopback` are always on. Default clock: realtime. */
      readonly simulator?: StartOptions;
      /** Create the demo subscriptions through the management API. Default true; or the exact requests. */
      readonly subscriptions?: boolean | ((demo: DemoTenant) => readonly SubscriptionRequestBody[]);
      /** Include the rich (includeResourceData) demo subscriptions. Default true. */
      readonly rich?: boolean;
      /** Start a change workload on the demo tenant once subscribed: `true` for `gentleWorkload`. Default: none. */
      readonly workload?: boolean | ((demo: DemoTenant) => WorkloadOptions);
    }
  | {
      readonly mode: 'tenant';
      /** local.settings.json holding the real GRAPH_* settings. Default: `<appDir>/local.settings.json`. */
      readonly settingsFile?: string;
    };

export interface LocalPipelineOptions {
  /** The function app folder (package.json `main`, host.json). Default: this repository. */
  readonly appDir?: string;
  /** Local host HTTP port; 0 picks a free one. Default 7071. */
  readonly port?: number;
  /** Graph: the simulator (default) or a real tenant. */
  readonly graph?: GraphMode;
  /** Persist Azurite's data in this folder (created if needed). Default: in memory. */
  readonly storageLocation?: string;
  /** Azurite ports. Default: three free ports. */
  readonly storagePorts?: AzuritePorts;
  /** How often Azurite's queue service sweeps (see `StartAzuriteOptions`). Default: Azurite's own, 60 s. */
  readonly storageQueueSweepIntervalMs?: number;
  /** App settings that win over everything else (queue names, host.json overrides, ...). */
  readonly settings?: Readonly<Record<string, string>>;
  /**
   * Enforce keys as a deployment does: this key becomes the function key of each webhook (the URLs Graph gets
   * carry it as `?code=`), and the management API (authLevel admin) takes the master key, `masterKey` or a
   * random one, which the pipeline's management client sends.
   */
  readonly functionKey?: string;
  /** The master key when `functionKey` is set. Default: a random one. */
  readonly masterKey?: string;
  /** Timer triggers' time (a `ManualScheduler` in tests). Default: real time. */
  readonly scheduler?: HostScheduler;
  /** The local host's log. Default: warnings and errors on the console. */
  readonly log?: LocalHostLogSink;
  /** Read the app's metrics in-process for `status()`. Default true (off when Application Insights is configured). */
  readonly telemetry?: boolean;
  /**
   * The route new subscriptions take (DEFAULT_DELIVERY). In simulator mode every route works: the simulator's
   * partner topic delivers to the host's Event Grid webhook and its hub feeds the host's Event Hubs function.
   * Default: webhook.
   */
  readonly delivery?: DeliveryRoute;
  /**
   * Start even when some settings are broken, as the app itself does (only the functions that need them fail;
   * GET /api/health names them). Default false: refuse to start, naming every bad setting.
   */
  readonly allowDegraded?: boolean;
}

/** The seeded demo tenant's resources that the demo subscriptions cover. */
export interface DemoTenant {
  readonly tenantId: string;
  /** Adele: basic mail, calendar, contacts and OneDrive subscriptions. */
  readonly adeleId: string;
  /** Alex: a rich (includeResourceData) mail subscription. */
  readonly alexId: string;
  readonly meganId: string;
  /** Adele's OneDrive. */
  readonly driveId: string;
  readonly chatId: string;
}

export interface PipelineUrls {
  /** `http://127.0.0.1:<port>/api` */
  readonly apiUrl: string;
  /** The URLs Graph is given (with `?code=` when a function key is set). */
  readonly notificationUrl: string;
  readonly lifecycleNotificationUrl: string;
  readonly managementUrl: string;
  /** The simulator's origin (control API under `/_sim`); undefined in tenant mode. */
  readonly simulator: string | undefined;
}

export interface LocalPipeline {
  readonly mode: 'simulator' | 'tenant';
  readonly urls: PipelineUrls;
  /** Azurite's connection string (its well-known development key; not a secret). */
  readonly connectionString: string;
  readonly storagePorts: AzuritePorts;
  readonly storageLocation: string | undefined;
  /** The app's validated configuration, as the app itself reads it. */
  readonly config: AppConfig;
  /** The settings this pipeline gave the app (contains dev secrets: never print it). */
  readonly settings: Readonly<Record<string, string>>;
  readonly host: LocalHost;
  readonly simulator: RunningGraphSimulator | undefined;
  readonly demo: DemoTenant | undefined;
  readonly management: ManagementClient;
  /** The subscriptions created at start, as the management API answered. */
  readonly subscriptions: readonly SubscriptionView[];
  /** Demo subscriptions that could not be created (the message of each failure). */
  readonly subscriptionErrors: readonly string[];
  readonly invocations: InvocationCounter;
  status(): Promise<PipelineStatus>;
  /** Stops Azurite (an outage); in-memory data is lost, persisted data survives. */
  stopStorage(): Promise<void>;
  /** Starts Azurite again on the same ports (and folder). */
  startStorage(): Promise<void>;
  /** Stops the workload, the host (letting invocations finish), the simulator and Azurite. Idempotent. */
  stop(): Promise<void>;
}

const repositoryRoot = resolve(__dirname, '..', '..');

/** The Event Grid and Event Hubs settings of the simulated Azure resources (the simulator accepts any values in Graph's forms). */
export const DEV_ROUTE_SETTINGS: Readonly<Record<string, string>> = {
  EVENT_GRID_AZURE_SUBSCRIPTION_ID: '00000000-0000-4000-8000-0000000000e9',
  EVENT_GRID_RESOURCE_GROUP: 'rg-graph-notify-dev',
  EVENT_GRID_PARTNER_TOPIC: 'graph-notify-dev',
  EVENT_GRID_LOCATION: 'westeurope',
  EVENT_HUBS__fullyQualifiedNamespace: 'graph-notify-dev.servicebus.windows.net',
  EVENT_HUBS_TENANT_DOMAIN: DEMO_DOMAIN,
  // Stands for the Key Vault secret naming the app's storage; the simulator writes into the local Azurite.
  EVENT_HUBS_BLOB_STORE_URL: `https://graph-notify-dev.vault.azure.net/secrets/payload-storage?tenantId=${DEMO_DOMAIN}`,
};

/**
 * What an operator does in Azure once, done against the simulator: the partner topic is activated and its event
 * subscription points at the host's Event Grid webhook (the CloudEvents handshake runs), and the host's Event
 * Hubs function becomes the reader of the simulated hub (no broker runs locally: docs/local-host.md).
 */
async function connectDeliveryRoutes(
  simulator: RunningGraphSimulator,
  host: LocalHost,
  config: AppConfig,
  eventGridWebhook: string,
  masterKey: string | undefined,
): Promise<void> {
  const grid = config.delivery.eventGrid;
  if (grid !== undefined) {
    simulator.eventGrid.createTopic(grid.partnerTopic);
    const code = masterKey === undefined ? '' : `&code=${encodeURIComponent(masterKey)}`;
    await simulator.eventGrid.subscribe(grid.partnerTopic, {
      endpointUrl: `${eventGridWebhook}?functionName=receiveEventGridNotifications${code}`,
      maxEventsPerBatch: 10,
    });
  }
  const hubs = config.delivery.eventHubs;
  const payloadContainer = config.delivery.eventHubsPayloadContainer;
  if (hubs !== undefined && payloadContainer !== undefined) {
    // Graph writes rich notifications over 1 MB to the storage its blobStoreUrl names: here, the app's Azurite.
    const payloads = createBlobPayloadStore(
      createStorageClients(config.storage.connection).blobService.getContainerClient(payloadContainer),
    );
    simulator.eventHubs.attachBlobStore((name, content) => payloads.save(name, content));
  }
  for (const fn of host.eventHubFunctions) {
    if (hubs === undefined) continue;
    simulator.eventHubs.consume(`${hubs.fullyQualifiedNamespace.toLowerCase()}/${fn.eventHubName}`, async (bodies) => {
      const outcome = await host.deliverEventHubBatch(fn.name, bodies);
      if (!outcome.succeeded) throw outcome.error instanceof Error ? outcome.error : new Error(`${fn.name} failed`);
    });
  }
}

/** Finds the demo tenant's well-known people, Adele's drive and the chat in the simulator's ground truth. */
export function findDemoTenant(simulator: RunningGraphSimulator): DemoTenant {
  const state = simulator.state(DEMO_TENANT_ID);
  const user = (displayName: string): string => {
    const found = state.find(
      (resource) => resource.kind.toLowerCase() === 'user' && resource.body.displayName === displayName,
    );
    if (found === undefined)
      throw new TypeError(`the simulator's demo tenant has no user "${displayName}" (was it started with seedDemo?)`);
    return found.id;
  };
  const adeleId = user('Adele Vance');
  const drive = state.find(
    (resource) => resource.kind === 'drive' && JSON.stringify(resource.body.owner ?? null).includes(adeleId),
  );
  const chat = state.find((resource) => resource.kind === 'chat');
  if (drive === undefined || chat === undefined)
    throw new TypeError("the simulator's demo tenant has no OneDrive for Adele or no chat");
  return {
    tenantId: DEMO_TENANT_ID,
    adeleId,
    alexId: user('Alex Wilber'),
    meganId: user('Megan Bowen'),
    driveId: drive.id,
    chatId: chat.id,
  };
}

/** The properties of a message the rich demo subscription selects (Graph allows neither body nor uniqueBody there). */
export const RICH_MESSAGE_SELECT =
  'subject,bodyPreview,from,toRecipients,receivedDateTime,sentDateTime,createdDateTime,lastModifiedDateTime,changeKey,importance,isRead,isDraft,parentFolderId';

/** One subscription per supported resource kind, plus rich ones for a Teams chat and Alex's mailbox. */
export function demoSubscriptionRequests(
  demo: DemoTenant,
  options: { readonly rich?: boolean } = {},
): SubscriptionRequestBody[] {
  const rich = options.rich ?? true;
  const all = 'created,updated,deleted';
  return [
    { resource: 'users', changeType: 'updated,deleted' },
    { resource: 'groups', changeType: 'updated,deleted' },
    { resource: `users/${demo.adeleId}/messages`, changeType: all },
    { resource: `users/${demo.adeleId}/events`, changeType: all },
    { resource: `users/${demo.adeleId}/contacts`, changeType: all },
    { resource: `drives/${demo.driveId}/root`, changeType: 'updated' },
    // Rich ones stay on webhooks whatever DEFAULT_DELIVERY says: Graph documents them for no Event Grid route (Event
    // Hubs carries them, test/e2e/eventHubsRich.test.ts), and the demo keeps one set of subscriptions for all routes.
    {
      resource: `chats/${demo.chatId}/messages`,
      changeType: all,
      ...(rich ? { includeResourceData: true, delivery: 'webhook' as const } : {}),
    },
    // Rich Outlook subscriptions need $select: Graph sends only the selected properties.
    ...(rich
      ? [
          {
            resource: `users/${demo.alexId}/messages?$select=${RICH_MESSAGE_SELECT}`,
            changeType: all,
            includeResourceData: true,
            delivery: 'webhook' as const,
          },
        ]
      : []),
  ];
}

/**
 * The gentle workload of `npm run dev`: one change every two seconds to users, groups, the subscribed mailboxes,
 * drive and chat; the simulator's defaults duplicate, reorder and delay the notifications as Graph does.
 */
export function gentleWorkload(demo: DemoTenant): WorkloadOptions {
  return {
    tenantId: demo.tenantId,
    ratePerSecond: 0.5,
    userIds: [demo.adeleId, demo.alexId],
  };
}

export async function startLocalPipeline(options: LocalPipelineOptions = {}): Promise<LocalPipeline> {
  const appDir = options.appDir ?? repositoryRoot;
  const graph: GraphMode = options.graph ?? { mode: 'simulator' };
  const stack: (() => Promise<void>)[] = [];
  const unwind = async (): Promise<void> => {
    for (const step of stack.reverse().splice(0)) await step().catch(() => undefined);
  };

  try {
    const invocations = new InvocationCounter();
    let telemetry: TelemetryTap | undefined;
    // First in, last out: the app may record metrics until the host has stopped.
    stack.push(async () => {
      await telemetry?.uninstall();
    });

    const storageLocation =
      options.storageLocation === undefined ? undefined : resolve(appDir, options.storageLocation);
    if (storageLocation !== undefined) mkdirSync(storageLocation, { recursive: true });
    const startStorage = (ports?: AzuritePorts): Promise<RunningAzurite> =>
      startAzurite({
        ...(ports === undefined ? {} : { ports }),
        ...(storageLocation === undefined ? {} : { location: storageLocation }),
        ...(options.storageQueueSweepIntervalMs === undefined
          ? {}
          : { queueSweepIntervalMs: options.storageQueueSweepIntervalMs }),
      });
    let azurite: RunningAzurite | undefined = await startStorage(options.storagePorts);
    const ports = azurite.ports;
    const connectionString = azurite.connectionString;
    stack.push(async () => {
      await azurite?.stop();
      azurite = undefined;
    });

    const port = options.port === 0 ? await freePort() : (options.port ?? DEFAULT_HOST_PORT);
    const apiUrl = `http://127.0.0.1:${port}/api`;
    const code = options.functionKey === undefined ? '' : `?code=${encodeURIComponent(options.functionKey)}`;
    const keys =
      options.functionKey === undefined
        ? undefined
        : webhookKeys(options.functionKey, options.masterKey ?? randomBytes(32).toString('base64url'));
    const notificationUrl = `${apiUrl}/notifications${code}`;
    const lifecycleNotificationUrl = `${apiUrl}/lifecycle${code}`;

    let simulator: RunningGraphSimulator | undefined;
    let settings: Record<string, string>;
    let settingsFile: string | false = false;
    if (graph.mode === 'simulator') {
      const started = await startGraphSimulator({
        clock: { mode: 'realtime' },
        ...graph.simulator,
        seedDemo: true,
        allowHttpLoopback: true,
      });
      simulator = started;
      stack.push(() => started.stop());
      const certificate = createDevCertificate({ certificateId: 'graph-notify-dev' });
      settings = {
        ...settingDefaults(() => false),
        FUNCTIONS_WORKER_RUNTIME: 'node',
        AzureWebJobsStorage: connectionString,
        // Offline means offline: a developer's Application Insights connection string is not used here.
        APPLICATIONINSIGHTS_CONNECTION_STRING: '',
        GRAPH_BASE_URL: started.graphBaseUrl,
        GRAPH_TOKEN_ENDPOINT: started.tokenEndpointTemplate,
        VALIDATION_TOKEN_JWKS_URL: started.jwksUrl,
        GRAPH_TENANT_ID: DEMO_TENANT_ID,
        GRAPH_CLIENT_ID: DEMO_APP_ID,
        GRAPH_CREDENTIAL: 'secret',
        GRAPH_CLIENT_SECRET: DEMO_CLIENT_SECRET,
        ENCRYPTION_CERTIFICATE_ID: certificate.certificateId,
        ENCRYPTION_CERTIFICATE: certificate.certificatePem,
        ENCRYPTION_PRIVATE_KEY: certificate.privateKeyPem,
        NOTIFICATION_URL: notificationUrl,
        LIFECYCLE_NOTIFICATION_URL: lifecycleNotificationUrl,
        ...DEV_ROUTE_SETTINGS,
        DEFAULT_DELIVERY: options.delivery ?? 'webhook',
        ...options.settings,
      };
    } else {
      settingsFile = resolve(appDir, graph.settingsFile ?? 'local.settings.json');
      if (!existsSync(settingsFile)) {
        throw new Error(
          `--tenant reads the real Graph settings (GRAPH_CLIENT_ID, GRAPH_TENANT_ID, a credential, NOTIFICATION_URL) from ${settingsFile}, which does not exist: copy local.settings.json.example and fill it in`,
        );
      }
      // Storage stays local whatever the file says; everything else comes from the file (or the environment).
      const fileValues = readSettingsFileValues(settingsFile);
      settings = {
        ...settingDefaults((name) => typeof fileValues[name] === 'string' && fileValues[name] !== ''),
        AzureWebJobsStorage: connectionString,
        ...options.settings,
      };
    }

    const counted: LocalHostLogSink = options.log ?? consoleLogSink('warning');
    const host = await createLocalHost({
      appDir,
      port,
      settingsFile,
      settings,
      ...(keys === undefined ? {} : { keys }),
      ...(options.scheduler === undefined ? {} : { scheduler: options.scheduler }),
      log: (entry) => {
        invocations.observe(entry);
        counted(entry);
      },
    });
    stack.push(() => host.stop());
    // The host has composed the settings into process.env exactly as the app will read them. With
    // Application Insights configured the app exports its own metrics, and the status shows none.
    if ((options.telemetry ?? true) && !process.env.APPLICATIONINSIGHTS_CONNECTION_STRING)
      telemetry = new TelemetryTap();
    let config: AppConfig;
    try {
      config = options.allowDegraded === true ? readConfiguration(process.env).config : loadConfig(process.env);
    } catch (error) {
      throw new Error(`The app's settings are invalid: ${describeError(error)}`, { cause: error });
    }
    const hostUrls = await host.start();
    if (simulator !== undefined)
      await connectDeliveryRoutes(
        simulator,
        host,
        config,
        `${hostUrls.baseUrl}${EVENT_GRID_WEBHOOK_PATH}`,
        keys?.master,
      );

    const management = createManagementClient(apiUrl, keys?.master);
    const subscriptions: SubscriptionView[] = [];
    const subscriptionErrors: string[] = [];
    let demo: DemoTenant | undefined;
    if (graph.mode === 'simulator' && simulator !== undefined) {
      demo = findDemoTenant(simulator);
      if (graph.subscriptions !== false) {
        await forgetSubscriptionsOfEarlierRuns(management, simulator, subscriptionErrors);
        const requests =
          typeof graph.subscriptions === 'function'
            ? graph.subscriptions(demo)
            : demoSubscriptionRequests(demo, { rich: graph.rich ?? true });
        for (const request of requests) {
          try {
            subscriptions.push(await management.create(request));
          } catch (error) {
            subscriptionErrors.push(`${request.resource}: ${describeError(error)}`);
          }
        }
      }
      if (graph.workload !== undefined && graph.workload !== false) {
        const running = simulator;
        running.workload.start(graph.workload === true ? gentleWorkload(demo) : graph.workload(demo));
        stack.push(() => {
          running.workload.stop();
          return Promise.resolve();
        });
      }
    }

    const sim = simulator;
    const statusSources: StatusSources = {
      connectionString: () => connectionString,
      notificationsQueue: config.storage.notificationsQueue,
      lifecycleQueue: config.storage.lifecycleQueue,
      resourcesContainer: config.processing.resourcesContainer,
      ...(sim === undefined ? {} : { delivery: () => sim.deliverySummary() }),
    };
    const tap = telemetry;

    let stopped: Promise<void> | undefined;
    return {
      mode: graph.mode,
      urls: {
        apiUrl,
        notificationUrl,
        lifecycleNotificationUrl,
        managementUrl: `${apiUrl}/subscriptions`,
        simulator: simulator?.origin,
      },
      connectionString,
      storagePorts: ports,
      storageLocation,
      config,
      settings,
      host,
      simulator,
      demo,
      management,
      subscriptions,
      subscriptionErrors,
      invocations,
      status: () => readPipelineStatus(statusSources, invocations, tap),
      async stopStorage() {
        await azurite?.stop();
        azurite = undefined;
      },
      async startStorage() {
        if (azurite !== undefined) return;
        azurite = await startStorage(ports);
      },
      stop() {
        stopped ??= unwind();
        return stopped;
      },
    };
  } catch (error) {
    await unwind();
    throw error;
  }
}

/**
 * Every setting's documented default, for the names nothing else sets. The app applies these defaults
 * itself, but its bindings name settings (`%NOTIFICATIONS_QUEUE_NAME%`, `%RECONCILE_SCHEDULE%`) that the
 * host must resolve before the app runs, exactly as local.settings.json.example spells them out.
 * Names in the environment are left alone: the host would otherwise let these win over them.
 */
function settingDefaults(isSetElsewhere: (name: string) => boolean): Record<string, string> {
  const defaults: Record<string, string> = {};
  for (const setting of allSettings) {
    if (
      setting.default === undefined ||
      setting.default === '' ||
      isSetElsewhere(setting.name) ||
      process.env[setting.name] !== undefined
    )
      continue;
    defaults[setting.name] = setting.default;
  }
  return defaults;
}

function readSettingsFileValues(file: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { Values?: unknown };
    return typeof parsed.Values === 'object' && parsed.Values !== null
      ? (parsed.Values as Record<string, unknown>)
      : {};
  } catch (error) {
    throw new Error(`${file} is not valid JSON (local.settings.json takes no comments): ${describeError(error)}`, {
      cause: error,
    });
  }
}

/**
 * With `--persist` the table still lists the subscriptions of an earlier run, but the simulator starts
 * fresh every time. Those records are deleted through the management API (Graph answers 404, which
 * finishes a deletion) so the demo subscriptions can be created again without a 409.
 */
async function forgetSubscriptionsOfEarlierRuns(
  management: ManagementClient,
  simulator: RunningGraphSimulator,
  errors: string[],
): Promise<void> {
  const known = new Set(simulator.subscriptions().map((subscription) => subscription.id));
  for (const stale of (await management.list()).filter((view) => !known.has(view.id))) {
    try {
      await management.delete(stale.id);
    } catch (error) {
      errors.push(`removing ${stale.resource} left by an earlier run: ${describeError(error)}`);
    }
  }
}

/** A function key for a run: random, so a URL copied from one run does not work in the next. */
export function newFunctionKey(): string {
  return randomBytes(24).toString('base64url');
}

/** The keys a deployment has: one function key per webhook (here the same value) and a master key; no host key. */
function webhookKeys(functionKey: string, masterKey: string): HttpKeys {
  return {
    functionKeys: { receiveNotifications: functionKey, receiveLifecycleNotifications: functionKey },
    master: masterKey,
  };
}
