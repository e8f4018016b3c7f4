/**
 * `graph-notify`: the operator's command line, working from the same settings as the app
 * (local.settings.json Values or the environment, see settings.ts).
 *
 *   graph-notify subscriptions list [--json]
 *   graph-notify resources [--json]
 *   graph-notify subscriptions create --resource <path> --change-type <types> [--tenant <id>] [--include-resource-data] [--initial-sync] [--expiration <iso>] [--delivery <route>] [--unlisted] [--without-lifecycle-url] [--json]
 *   graph-notify subscriptions delete <id>
 *   graph-notify subscriptions renew <id> [--json]
 *   graph-notify subscriptions reconcile [--drift] [--json]
 *   graph-notify poison list [--queue notifications|lifecycle|all] [--json]
 *   graph-notify poison replay [--queue ...] [--id <messageId>]... | --all
 *   graph-notify poison purge [--queue ...] [--id <messageId>]... | --all --yes
 *   graph-notify eventgrid activate --function-app <resourceId> --dead-letter-storage <resourceId> [...]
 *
 * Every command checks its syntax before reading any setting (wrong usage exits 2 even with no
 * configuration) and answers `--help` with its own options. Each area needs only the settings it uses:
 * the poison commands read storage settings alone, so they run from a laptop against the deployed storage
 * with the developer's sign-in (docs/cli.md).
 *
 * Exit codes: 0 done; 1 refused or failed (not found, rule broken, Graph refused, problems during
 * reconcile); 2 wrong usage; 3 configuration invalid; 4 transient (throttled, unavailable): retry later.
 */
import {
  areasUnavailable,
  describeMisspeltSettings,
  maxDequeueCount,
  PART_REQUIREMENTS,
  readConfiguration,
  type AppConfig,
  type Environment,
  DELIVERY_ROUTES,
  deliverySettings,
  type DeliveryRoute,
  type EventGridRouteConfig,
} from '../lib/config';
import {
  activateEventGridRoute,
  problemsOfActivation,
  type EventGridActivationRequest,
} from '../lib/delivery/activateEventGrid';
import { runMaintenance } from '../lib/maintenance';
import { resourceTable } from '../lib/resources';
import { listPoisonMessages, purgePoisonMessages, replayPoisonMessages } from '../lib/poison';
import { classifyFailure } from '../lib/shared/classifyFailure';
import { isGraphNotifyError } from '../lib/shared/errors';
import type { Logger } from '../lib/shared/logger';
import { describeError } from '../lib/shared/redact';
import {
  createManagedSubscription,
  deleteManagedSubscription,
  listSubscriptions,
  renewManagedSubscription,
  type SubscriptionDependencies,
  type SubscriptionView,
} from '../lib/subscriptions';
import { parseArgs, rejectUnknown, single, UsageError, type ParsedArgs } from './args';
import { buildCliServices, type CliServices, type QueueRole } from './services';
import { readCliEnvironment } from './settings';
import { formatTable } from './table';

export const EXIT = { ok: 0, failed: 1, usage: 2, configuration: 3, transient: 4 } as const;

export interface CliIo {
  readonly env: Environment;
  readonly cwd: string;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Tests build services on the simulator and in-memory adapters; default: the Azure adapters. */
  readonly services?: (config: AppConfig) => CliServices;
}

const VALUED = [
  'settings',
  'resource',
  'change-type',
  'tenant',
  'expiration',
  'queue',
  'id',
  'function-app',
  'dead-letter-storage',
  'dead-letter-container',
  'name',
];

const COMMON = `Options on every command: --settings <path> (a local.settings.json; default: the running npm run dev's
settings, else ./local.settings.json; the environment overrides the file), --help.
Against the deployed app: docs/cli.md ("Working against Azure"); poison commands need the storage settings only.
Exit codes: 0 ok, 1 refused/failed, 2 usage, 3 configuration, 4 transient (retry later). See docs/cli.md.`;

const QUEUE_HELP =
  '  --queue notifications|lifecycle|all   which poison queue(s): <queue>-poison of the notifications or lifecycle queue (default all)';

/** A parsed command line with what running it needs. */
interface Invocation {
  readonly args: ParsedArgs;
  readonly rest: readonly string[];
  readonly services: CliServices;
  readonly io: CliIo;
  readonly config: AppConfig;
}

/** One command in one place: its help, the syntax checks that run before any setting is read, and what it does. */
interface CommandSpec {
  readonly synopsis: string;
  readonly help: string;
  readonly flags: readonly string[];
  readonly options: readonly string[];
  readonly check: (args: ParsedArgs, rest: readonly string[]) => void;
  /** Runs the command; answers its exit code. */
  readonly run: (invocation: Invocation) => Promise<number>;
}

const COMMANDS: Readonly<Record<'subscriptions' | 'poison' | 'eventgrid', Readonly<Record<string, CommandSpec>>>> = {
  subscriptions: {
    list: {
      synopsis: 'subscriptions list [--json]',
      help: 'Lists the subscriptions graph-notify manages: id, status, resource, change types, expiry, last renewal, last error.\n\n  --json      machine-readable output\n  --verbose   progress on stderr',
      flags: ['json', 'verbose'],
      options: [],
      check: (_args, rest) => {
        noPositionals(rest);
      },
      run: async (invocation) => {
        const views = await listSubscriptions(subscriptionDeps(invocation));
        invocation.io.stdout(
          isJson(invocation)
            ? JSON.stringify(views, null, 2)
            : views.length === 0
              ? 'No subscriptions.'
              : subscriptionTable(views),
        );
        return EXIT.ok;
      },
    },
    create: {
      synopsis:
        'subscriptions create --resource <path> --change-type <types> [--tenant <id>] [--include-resource-data] [--initial-sync] [--expiration <iso>] [--delivery <route>] [--unlisted] [--without-lifecycle-url] [--json]',
      help: [
        'Checks the resource rules, then creates a subscription in Graph (Graph validates both webhooks) and records it.',
        '',
        "  --resource <path>         Graph resource, e.g. users/<id>/messages, chats/getAllMessages, communications/presences?$filter=id in ('<user id>')",
        '                            (graph-notify resources lists every kind and its path forms)',
        '  --change-type <types>     comma-separated: created, updated, deleted',
        '  --tenant <id>             tenant (default GRAPH_TENANT_ID)',
        '  --include-resource-data   rich notifications (needs the ENCRYPTION_* settings; Outlook resources need $select)',
        '  --initial-sync            seed the sink with a full delta and keep its deltaLink (default off: docs/subscriptions.md)',
        "  --expiration <iso>        expiry (default: the resource kind's maximum less the margin)",
        '  --delivery <route>        webhook, eventGrid or eventHubs (default DEFAULT_DELIVERY; docs/ingest.md#delivery-routes)',
        '  --unlisted                subscribe to a resource graph-notify does not list, at the notificationsOnly level',
        '                            (its notifications land in the sink as they came; docs/resources.md#unlisted-resources)',
        '  --without-lifecycle-url   create a webhook subscription although LIFECYCLE_NOTIFICATION_URL is unset, accepting',
        '                            that Graph pauses it unannounced when its token lapses and changes are lost meanwhile',
        '                            (docs/subscriptions.md#subscriptions-without-a-lifecycle-url)',
        '  --json                    machine-readable output',
        '  --verbose                 progress on stderr',
      ].join('\n'),
      flags: ['json', 'include-resource-data', 'initial-sync', 'unlisted', 'without-lifecycle-url', 'verbose'],
      options: ['resource', 'change-type', 'tenant', 'expiration', 'delivery'],
      check: (args, rest) => {
        noPositionals(rest);
        if (single(args, 'resource') === undefined || single(args, 'change-type') === undefined)
          throw new UsageError('subscriptions create needs --resource and --change-type');
        single(args, 'tenant');
        single(args, 'expiration');
        deliveryOption(args);
      },
      run: async (invocation) => {
        const { args, io } = invocation;
        const view = await createManagedSubscription(
          {
            resource: single(args, 'resource') ?? '',
            changeType: single(args, 'change-type') ?? '',
            tenantId: single(args, 'tenant'),
            includeResourceData: args.flags.has('include-resource-data'),
            initialSync: args.flags.has('initial-sync'),
            expirationDateTime: single(args, 'expiration'),
            delivery: deliveryOption(args),
            unlisted: args.flags.has('unlisted'),
            withoutLifecycleUrl: args.flags.has('without-lifecycle-url'),
          },
          subscriptionDeps(invocation),
        );
        io.stdout(
          isJson(invocation) ? JSON.stringify(view, null, 2) : `Created ${view.id}\n${subscriptionTable([view])}`,
        );
        return EXIT.ok;
      },
    },
    delete: {
      synopsis: 'subscriptions delete <id>',
      help: 'Deletes the subscription in Graph and in the table.\n\n  --verbose   progress on stderr',
      flags: ['verbose'],
      options: [],
      check: (_args, rest) => {
        oneId(rest, 'delete');
      },
      run: async (invocation) => {
        const id = oneId(invocation.rest, 'delete');
        await deleteManagedSubscription(id, subscriptionDeps(invocation));
        invocation.io.stdout(`Deleted ${id}`);
        return EXIT.ok;
      },
    },
    renew: {
      synopsis: 'subscriptions renew <id> [--json]',
      help: 'Renews now; recreates and resyncs if Graph lost it; retries a failed one.\n\n  --json      machine-readable output\n  --verbose   progress on stderr',
      flags: ['json', 'verbose'],
      options: [],
      check: (_args, rest) => {
        oneId(rest, 'renew');
      },
      run: async (invocation) => {
        const { rest, io } = invocation;
        const view = await renewManagedSubscription(oneId(rest, 'renew'), subscriptionDeps(invocation));
        io.stdout(
          isJson(invocation)
            ? JSON.stringify(view, null, 2)
            : `Renewed ${view.id} until ${view.expirationDateTime}${view.id === rest[0] ? '' : ` (Graph had lost ${rest[0] ?? ''}; recreated)`}`,
        );
        return EXIT.ok;
      },
    },
    reconcile: {
      synopsis: 'subscriptions reconcile [--drift] [--json]',
      help: "One reconciler run now: renews what is due, recreates what Graph lost, applies DESIRED_SUBSCRIPTIONS_PATH.\n\n  --drift     also list Graph's subscriptions and repair differences now\n  --json      machine-readable output\n  --verbose   progress on stderr",
      flags: ['json', 'drift', 'verbose'],
      options: [],
      check: (_args, rest) => {
        noPositionals(rest);
      },
      run: async (invocation) => {
        const { args, io } = invocation;
        const { reconcile: report } = await runMaintenance(subscriptionDeps(invocation), {
          forceDriftCheck: args.flags.has('drift'),
        });
        if (isJson(invocation)) {
          const { observations: _observations, ...summary } = report;
          io.stdout(JSON.stringify(summary, null, 2));
        } else {
          const outcomes = Object.entries(report.outcomes);
          io.stdout(
            [
              `Reconciled ${report.subscriptions} subscription(s).`,
              outcomes.length === 0
                ? 'Nothing to do.'
                : formatTable(
                    ['OUTCOME', 'COUNT'],
                    outcomes.map(([outcome, count]) => [outcome, String(count)]),
                  ),
              ...(report.driftChecked.length > 0
                ? [
                    `Drift-checked tenants: ${report.driftChecked.join(', ')} (${report.unmanagedInGraph} subscription(s) in Graph not created by graph-notify, left alone)`,
                  ]
                : []),
              ...(report.throttledTenants.length > 0
                ? [`Throttled by Graph (finish at the next run): ${report.throttledTenants.join(', ')}`]
                : []),
              ...report.problems.map((problem) => `problem: ${problem}`),
            ].join('\n'),
          );
        }
        if (report.throttledTenants.length > 0) return EXIT.transient;
        return report.problems.length > 0 ? EXIT.failed : EXIT.ok;
      },
    },
  },
  poison: {
    list: {
      synopsis: 'poison list [--queue notifications|lifecycle|all] [--json]',
      help: `Counts each poison queue and summarises up to 32 messages (id, insertion time, deliveries before it was poisoned, envelope; never the content). Only peeks: hides nothing.\n\n${QUEUE_HELP}\n  --json   machine-readable output`,
      flags: ['json'],
      options: ['queue'],
      check: (args, rest) => {
        noPositionals(rest);
        queueRoles(args);
      },
      run: async (invocation) => {
        const { args, services, io } = invocation;
        const listed = await Promise.all(
          queueRoles(args).map(async (role) => ({
            role,
            queue: `${services.queueName(role)}-poison`,
            ...(await listPoisonMessages(services.poisonQueue(role), maxDequeueCount())),
          })),
        );
        if (args.flags.has('json')) {
          io.stdout(JSON.stringify(listed, null, 2));
          return EXIT.ok;
        }
        const lines: string[] = [];
        for (const { queue, total, shown } of listed) {
          lines.push(`${queue}: ${total} message(s)${total > shown.length ? ` (showing ${shown.length})` : ''}`);
          if (shown.length > 0) {
            lines.push(
              formatTable(
                ['MESSAGE ID', 'INSERTED', 'TRIES', 'KIND', 'ENVELOPE', 'ITEMS', 'RECEIVED'],
                shown.map((m) => [
                  m.id,
                  m.insertedOn ?? '',
                  String(m.attempts),
                  m.claimCheck ? `${m.kind} (claim check)` : m.kind,
                  m.envelopeId ?? '',
                  m.items === undefined ? '' : String(m.items),
                  m.receivedAt ?? '',
                ]),
              ),
            );
          }
        }
        io.stdout(lines.join('\n'));
        return EXIT.ok;
      },
    },
    replay: {
      synopsis: 'poison replay [--queue notifications|lifecycle|all] (--id <messageId>... | --all)',
      help: `Sends poison messages back to their main queue, then deletes them from the poison queue. With --id, touches only those\nmessages (among the first 32, as poison list shows them); no other message is hidden.\n\n${QUEUE_HELP}\n  --id <messageId>   a message to replay (repeatable)\n  --all              every message`,
      flags: ['all'],
      options: ['queue', 'id'],
      check: (args, rest) => {
        noPositionals(rest);
        queueRoles(args);
        requireSelection(args, 'replay');
      },
      run: async (invocation) => {
        const { args, services, io } = invocation;
        const ids = args.options.get('id');
        const results: (readonly string[])[] = [];
        for (const role of queueRoles(args)) {
          const result = await replayPoisonMessages(services.poisonQueue(role), services.mainQueue(role), { ids });
          io.stdout(
            `Replayed ${result.replayed} message(s) from ${services.queueName(role)}-poison to ${services.queueName(role)}`,
          );
          results.push(result.missing);
        }
        return reportMissing(ids, results, io);
      },
    },
    purge: {
      synopsis: 'poison purge [--queue notifications|lifecycle|all] (--id <messageId>... | --all --yes)',
      help: `Deletes poison messages for good. With --id, touches only those messages (among the first 32, as poison list shows them).\n\n${QUEUE_HELP}\n  --id <messageId>   a message to delete (repeatable)\n  --all --yes        every message (--all needs --yes)`,
      flags: ['all', 'yes'],
      options: ['queue', 'id'],
      check: (args, rest) => {
        noPositionals(rest);
        queueRoles(args);
        requireSelection(args, 'purge');
        if (args.options.get('id') === undefined && !args.flags.has('yes'))
          throw new UsageError('poison purge --all deletes every message for good: add --yes');
      },
      run: async (invocation) => {
        const { args, services, io } = invocation;
        const ids = args.options.get('id');
        const results: (readonly string[])[] = [];
        for (const role of queueRoles(args)) {
          const result = await purgePoisonMessages(services.poisonQueue(role), { ids });
          io.stdout(`Purged ${result.purged} message(s) from ${services.queueName(role)}-poison`);
          results.push(result.missing);
        }
        return reportMissing(ids, results, io);
      },
    },
  },
  eventgrid: {
    activate: {
      synopsis:
        'eventgrid activate --function-app <resourceId> --dead-letter-storage <resourceId> [--dead-letter-container <name>] [--name <name>] [--json]',
      help: [
        'Activates the Event Grid partner topic Graph created (EVENT_GRID_*) and adds the event subscription that sends its',
        'events to the receiveEventGridNotifications function, with retries (30 attempts, 24 h) and dead-lettering, through',
        'Azure Resource Manager with your Azure sign-in (DefaultAzureCredential). Safe to run again.',
        '',
        '  --function-app <resourceId>         /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Web/sites/<app>',
        '  --dead-letter-storage <resourceId>  storage account of the dead-letter container (Microsoft.Storage/storageAccounts/<account>)',
        '  --dead-letter-container <name>      default eventgrid-deadletter (the container the Bicep creates)',
        '  --name <name>                       the event subscription (default to-graph-notify)',
        '  --json                              machine-readable output',
      ].join('\n'),
      flags: ['json'],
      options: ['function-app', 'dead-letter-storage', 'dead-letter-container', 'name'],
      check: (args, rest) => {
        noPositionals(rest);
        if (single(args, 'function-app') === undefined || single(args, 'dead-letter-storage') === undefined)
          throw new UsageError('eventgrid activate needs --function-app and --dead-letter-storage');
        const problems = problemsOfActivation(activationRequest(args, PLACEHOLDER_GRID));
        if (problems.length > 0) throw new UsageError(problems.join('\n'));
      },
      run: async (invocation) => {
        const { args, services, io, config } = invocation;
        const grid = config.delivery.eventGrid;
        if (grid === undefined) {
          io.stderr(
            `graph-notify: configuration problem: the eventGrid delivery route is not configured: set ${config.delivery.missing.eventGrid.join(', ')} (docs/configuration.md#delivery-routes)`,
          );
          return EXIT.configuration;
        }
        const result = await activateEventGridRoute(activationRequest(args, grid), services.arm);
        io.stdout(
          isJson(invocation)
            ? JSON.stringify(result, null, 2)
            : `Partner topic ${grid.partnerTopic}: ${result.topic === 'activated' ? 'activated' : 'already active'}; event subscription ${single(args, 'name') ?? DEFAULT_EVENT_SUBSCRIPTION}: ${result.eventSubscription}`,
        );
        return EXIT.ok;
      },
    },
  },
};

type Area = keyof typeof COMMANDS;

/** The setting areas each command area reads (lib/config/catalogue.ts): a problem elsewhere does not stop it. */
const SETTINGS_USED: Readonly<Record<Area, { readonly title: string; readonly areas: readonly string[] }>> = {
  subscriptions: { title: 'graph-notify subscriptions', areas: PART_REQUIREMENTS.subscriptions.areas },
  poison: { title: 'graph-notify poison', areas: ['Storage'] },
  eventgrid: { title: 'graph-notify eventgrid', areas: ['Delivery routes'] },
};

function isArea(value: string): value is Area {
  return Object.hasOwn(COMMANDS, value);
}

/** `graph-notify resources`: the resource table, from the registry alone (no setting read). */
const RESOURCES_SYNOPSIS = 'resources [--json]';
const RESOURCES_HELP =
  "Lists every resource kind graph-notify can subscribe to: its level (mirroredAndResynced, mirrored, notificationsOnly), subscription path forms, longest lifetime, change types, when Graph needs a lifecycle URL, rich notifications, delta, the Graph application permission and Microsoft's page (docs/resources.md).\n\n  --json   machine-readable output";

function resourcesOutput(json: boolean): string {
  const rows = resourceTable();
  if (json) return JSON.stringify(rows, null, 2);
  return formatTable(
    ['KIND', 'LEVEL', 'FORMS', 'MAX MIN', 'CHANGE TYPES', 'LIFECYCLE URL', 'RICH', 'PERMISSION'],
    rows.map((row) => [
      row.kind,
      row.level,
      row.forms.join(' | '),
      String(row.maxLifetimeMinutes),
      row.changeTypes,
      row.lifecycleUrl,
      row.rich,
      row.permission,
    ]),
    120,
  );
}

const USAGE = `Usage: graph-notify <command> [options]   (graph-notify <command> --help for details)

  ${RESOURCES_SYNOPSIS}
${Object.values(COMMANDS)
  .flatMap((commands) => Object.values(commands).map((spec) => `  ${spec.synopsis}`))
  .join('\n')}

--verbose on any subscriptions command shows progress.
${COMMON}`;

function areaHelp(area: Area): string {
  return `Usage: graph-notify ${area} <command> [options]   (graph-notify ${area} <command> --help for details)\n\n${Object.values(
    COMMANDS[area],
  )
    .map((spec) => `  ${spec.synopsis}`)
    .join('\n')}\n\n${COMMON}`;
}

function commandHelp(spec: CommandSpec): string {
  return `Usage: graph-notify ${spec.synopsis}\n\n${spec.help}\n\n${COMMON}`;
}

/** The command line's syntax, checked before any setting is read: the command to run, or the help to print. */
type Parsed =
  | { readonly help: string }
  /** A command that needs no setting: its whole output. */
  | { readonly output: string }
  | { readonly area: Area; readonly command: string; readonly rest: readonly string[]; readonly args: ParsedArgs };

function parseCommandLine(argv: readonly string[]): Parsed {
  const args = parseArgs(argv, VALUED);
  const [area, command, ...rest] = args.positionals;
  const help = args.flags.has('help');
  if (area === undefined || area === 'help') {
    if (help || area === 'help') return { help: USAGE };
    throw new UsageError('a command is needed');
  }
  if (area === 'resources') {
    if (help) return { help: `Usage: graph-notify ${RESOURCES_SYNOPSIS}\n\n${RESOURCES_HELP}` };
    rejectUnknown(args, ['json'], []);
    if (command !== undefined) throw new UsageError(`resources takes no command, got "${command}"`);
    return { output: resourcesOutput(args.flags.has('json')) };
  }
  if (!isArea(area)) throw new UsageError(`unknown command "${area}"`);
  const names = Object.keys(COMMANDS[area]);
  if (command === undefined) {
    if (help) return { help: areaHelp(area) };
    throw new UsageError(`${area} needs a command: ${names.join(', ')}`);
  }
  const spec = COMMANDS[area][command];
  if (spec === undefined || !Object.hasOwn(COMMANDS[area], command))
    throw new UsageError(`unknown ${area} command "${command}" (one of ${names.join(', ')})`);
  if (help) return { help: commandHelp(spec) };
  rejectUnknown(args, spec.flags, ['settings', ...spec.options]);
  single(args, 'settings');
  spec.check(args, rest);
  return { area, command, rest, args };
}

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parseCommandLine(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr(`graph-notify: ${error.message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  if ('help' in parsed) {
    io.stdout(parsed.help);
    return EXIT.ok;
  }
  if ('output' in parsed) {
    io.stdout(parsed.output);
    return EXIT.ok;
  }
  const { area, command, rest, args } = parsed;

  let config: AppConfig;
  try {
    const { environment } = readCliEnvironment(io.env, io.cwd, single(args, 'settings'));
    for (const line of describeMisspeltSettings(environment)) io.stderr(`graph-notify: warning: ${line}`);
    const reading = readConfiguration(environment);
    const unavailable = areasUnavailable(SETTINGS_USED[area], reading.problems);
    if (unavailable !== undefined) throw unavailable;
    config = reading.config;
  } catch (error) {
    io.stderr(`graph-notify: configuration problem: ${error instanceof Error ? error.message : describeError(error)}`);
    return EXIT.configuration;
  }

  try {
    const services = (io.services ?? buildCliServices)(config);
    const spec = COMMANDS[area][command];
    if (spec === undefined) throw new TypeError(`unhandled ${area} command "${command}"`);
    return await spec.run({ args, rest, services, io, config });
  } catch (error) {
    if (isGraphNotifyError(error)) {
      io.stderr(`graph-notify: ${error.code}: ${describeError(error.message)}`);
      return exitCodeOf(error);
    }
    io.stderr(`graph-notify: unexpected failure: ${describeError(error)}`);
    return EXIT.failed;
  }
}

/**
 * The exit code of a coded failure, by `classifyFailure`: 4 when retrying the same command later may work,
 * 3 for broken settings, else 1 (a refused credential too: retrying does not help until it is fixed).
 */
function exitCodeOf(error: unknown): number {
  switch (classifyFailure(error).kind) {
    case 'configuration':
      return EXIT.configuration;
    case 'throttled':
    case 'transient':
      return EXIT.transient;
    default:
      return EXIT.failed;
  }
}

function logger(io: CliIo): Logger {
  // Progress goes to stderr so stdout stays parseable (tables, --json).
  return {
    info: (message) => {
      io.stderr(message);
    },
    warn: (message) => {
      io.stderr(`warning: ${message}`);
    },
    error: (message) => {
      io.stderr(`error: ${message}`);
    },
  };
}

function subscriptionDeps({ args, services, io }: Invocation): SubscriptionDependencies {
  return { ...services.subscriptions, log: args.flags.has('verbose') ? logger(io) : quietLogger(io) };
}

function isJson(invocation: Invocation): boolean {
  return invocation.args.flags.has('json');
}

function subscriptionTable(views: readonly SubscriptionView[]): string {
  return formatTable(
    ['ID', 'STATUS', 'RESOURCE', 'LEVEL', 'CHANGE TYPE', 'EXPIRES', 'LAST RENEWED', 'LAST ERROR'],
    views.map((view) => [
      view.id,
      view.status,
      view.resource,
      view.level,
      view.changeType,
      view.expirationDateTime,
      view.lastRenewedAt ?? '-',
      view.lastError ?? '',
    ]),
  );
}

function quietLogger(io: CliIo): Logger {
  return {
    info: () => undefined,
    warn: (message) => {
      io.stderr(`warning: ${message}`);
    },
    error: (message) => {
      io.stderr(`error: ${message}`);
    },
  };
}

/** The queues `--queue` selects (default both). */
function queueRoles(args: ParsedArgs): readonly QueueRole[] {
  const queueOption = single(args, 'queue') ?? 'all';
  if (queueOption !== 'all' && queueOption !== 'notifications' && queueOption !== 'lifecycle')
    throw new UsageError(`--queue must be notifications, lifecycle or all, got "${queueOption}"`);
  return queueOption === 'all' ? ['notifications', 'lifecycle'] : [queueOption];
}

/** `--delivery`, checked against the routes (case as documented); undefined = DEFAULT_DELIVERY. */
function deliveryOption(args: ParsedArgs): DeliveryRoute | undefined {
  const value = single(args, 'delivery');
  if (value === undefined) return undefined;
  const route = DELIVERY_ROUTES.find((candidate) => candidate === value);
  if (route === undefined)
    throw new UsageError(`--delivery must be one of ${DELIVERY_ROUTES.join(', ')}, got "${value}"`);
  return route;
}

// The reconcile timer's defaults (EVENT_GRID_EVENT_SUBSCRIPTION_NAME, EVENT_GRID_DEAD_LETTER_CONTAINER_NAME).
const DEFAULT_EVENT_SUBSCRIPTION = deliverySettings.eventGridEventSubscriptionName.default;
const DEFAULT_DEAD_LETTER_CONTAINER = deliverySettings.eventGridDeadLetterContainer.default;
/** Stands for the EVENT_GRID_* settings while the syntax is checked, before any setting is read. */
const PLACEHOLDER_GRID: EventGridRouteConfig = {
  azureSubscriptionId: '',
  resourceGroup: '',
  partnerTopic: '',
  location: '',
};

function activationRequest(args: ParsedArgs, grid: EventGridRouteConfig): EventGridActivationRequest {
  return {
    azureSubscriptionId: grid.azureSubscriptionId,
    resourceGroup: grid.resourceGroup,
    partnerTopic: grid.partnerTopic,
    functionAppResourceId: single(args, 'function-app') ?? '',
    deadLetterStorageAccountId: single(args, 'dead-letter-storage') ?? '',
    deadLetterContainer: single(args, 'dead-letter-container') ?? DEFAULT_DEAD_LETTER_CONTAINER,
    eventSubscriptionName: single(args, 'name') ?? DEFAULT_EVENT_SUBSCRIPTION,
  };
}

function noPositionals(rest: readonly string[]): void {
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0] ?? ''}"`);
}

function oneId(rest: readonly string[], command: string): string {
  if (rest.length !== 1 || rest[0] === undefined)
    throw new UsageError(`subscriptions ${command} needs exactly one subscription id`);
  return rest[0];
}

function requireSelection(args: ParsedArgs, command: string): void {
  if ((args.options.get('id') === undefined) === !args.flags.has('all'))
    throw new UsageError(`poison ${command} needs either --id <messageId> (repeatable) or --all`);
}

/** An id is missing when no selected poison queue held it. */
function reportMissing(
  ids: readonly string[] | undefined,
  missingPerQueue: readonly (readonly string[])[],
  io: CliIo,
): number {
  const missing = (ids ?? []).filter((id) => missingPerQueue.every((queueMissing) => queueMissing.includes(id)));
  if (missing.length === 0) return EXIT.ok;
  io.stderr(`graph-notify: not found in the poison queue(s): ${missing.join(', ')}`);
  return EXIT.failed;
}
