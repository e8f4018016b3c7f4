/**
 * `graph-notify`: the operator's command line, working from the same settings as the app
 * (local.settings.json Values or the environment, see settings.ts).
 *
 *   graph-notify subscriptions list [--json]
 *   graph-notify subscriptions create --resource <path> --change-type <types> [--tenant <id>] [--include-resource-data] [--initial-sync] [--expiration <iso>] [--json]
 *   graph-notify subscriptions delete <id>
 *   graph-notify subscriptions renew <id> [--json]
 *   graph-notify subscriptions reconcile [--drift] [--json]
 *   graph-notify poison list [--queue notifications|lifecycle|all] [--json]
 *   graph-notify poison replay [--queue ...] [--id <messageId>]... | --all
 *   graph-notify poison purge [--queue ...] [--id <messageId>]... | --all --yes
 *
 * Exit codes: 0 done; 1 refused or failed (not found, rule broken, Graph refused, problems during
 * reconcile); 2 wrong usage; 3 configuration invalid; 4 transient (throttled, unavailable): retry later.
 */
import { loadConfig, type AppConfig, type Environment } from '../lib/config';
import { listPoisonMessages, purgePoisonMessages, replayPoisonMessages } from '../lib/poison';
import { isGraphNotifyError, type ErrorCode } from '../lib/shared/errors';
import type { Logger } from '../lib/shared/logger';
import { describeError } from '../lib/shared/redact';
import {
  createManagedSubscription,
  deleteManagedSubscription,
  listSubscriptions,
  reconcileSubscriptions,
  renewManagedSubscription,
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

const VALUED = ['settings', 'resource', 'change-type', 'tenant', 'expiration', 'queue', 'id'];

const USAGE = `Usage: graph-notify <command> [options]

  subscriptions list [--json]                       (--verbose on any subscriptions command shows progress)
  subscriptions create --resource <path> --change-type <types> [--tenant <id>] [--include-resource-data] [--initial-sync] [--expiration <iso>] [--json]
  subscriptions delete <id>
  subscriptions renew <id> [--json]
  subscriptions reconcile [--drift] [--json]
  poison list [--queue notifications|lifecycle|all] [--json]
  poison replay [--queue notifications|lifecycle|all] (--id <messageId>... | --all)
  poison purge [--queue notifications|lifecycle|all] (--id <messageId>... | --all --yes)

Options: --settings <path> (default ./local.settings.json; the environment overrides it), --help
Exit codes: 0 ok, 1 refused/failed, 2 usage, 3 configuration, 4 transient (retry later). See docs/cli.md.`;

const TRANSIENT: readonly ErrorCode[] = ['ERR_GRAPH_THROTTLED', 'ERR_GRAPH_UNAVAILABLE', 'ERR_STORAGE_UNAVAILABLE', 'ERR_GRAPH_RESPONSE_INVALID', 'ERR_SUBSCRIPTION_BUSY'];

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv, VALUED);
  } catch (error) {
    io.stderr(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const [area, command, ...rest] = args.positionals;
  if (args.flags.has('help') || area === undefined || area === 'help') {
    io.stdout(USAGE);
    return area === undefined && !args.flags.has('help') ? EXIT.usage : EXIT.ok;
  }

  let config: AppConfig;
  try {
    const { environment } = readCliEnvironment(io.env, io.cwd, single(args, 'settings'));
    config = loadConfig(environment);
  } catch (error) {
    io.stderr(`graph-notify: configuration problem: ${error instanceof Error ? error.message : describeError(error)}`);
    return EXIT.configuration;
  }

  try {
    const services = (io.services ?? buildCliServices)(config);
    if (area === 'subscriptions') return await subscriptions(command, rest, args, services, io);
    if (area === 'poison') return await poison(command, rest, args, services, io);
    throw new UsageError(`unknown command "${area}"`);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`graph-notify: ${error.message}\n\n${USAGE}`);
      return EXIT.usage;
    }
    if (isGraphNotifyError(error)) {
      io.stderr(`graph-notify: ${error.code}: ${describeError(error.message)}`);
      if (error.code === 'ERR_CONFIG_INVALID' || error.code === 'ERR_SUBSCRIPTIONS_NOT_CONFIGURED') return EXIT.configuration;
      return TRANSIENT.includes(error.code) ? EXIT.transient : EXIT.failed;
    }
    io.stderr(`graph-notify: unexpected failure: ${describeError(error)}`);
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

async function subscriptions(command: string | undefined, rest: readonly string[], args: ParsedArgs, services: CliServices, io: CliIo): Promise<number> {
  const deps = { ...services.subscriptions, log: args.flags.has('verbose') ? logger(io) : quietLogger(io) };
  const json = args.flags.has('json');
  switch (command) {
    case 'list': {
      rejectUnknown(args, ['json', 'verbose'], ['settings']);
      noPositionals(rest);
      const views = await listSubscriptions(deps);
      io.stdout(json ? JSON.stringify(views, null, 2) : views.length === 0 ? 'No subscriptions.' : subscriptionTable(views));
      return EXIT.ok;
    }
    case 'create': {
      rejectUnknown(args, ['json', 'include-resource-data', 'initial-sync', 'verbose'], ['settings', 'resource', 'change-type', 'tenant', 'expiration']);
      noPositionals(rest);
      const resource = single(args, 'resource');
      const changeType = single(args, 'change-type');
      if (resource === undefined || changeType === undefined) throw new UsageError('subscriptions create needs --resource and --change-type');
      const view = await createManagedSubscription(
        {
          resource,
          changeType,
          tenantId: single(args, 'tenant'),
          includeResourceData: args.flags.has('include-resource-data'),
          initialSync: args.flags.has('initial-sync'),
          expirationDateTime: single(args, 'expiration'),
        },
        deps,
      );
      io.stdout(json ? JSON.stringify(view, null, 2) : `Created ${view.id}\n${subscriptionTable([view])}`);
      return EXIT.ok;
    }
    case 'delete': {
      rejectUnknown(args, ['verbose'], ['settings']);
      const id = oneId(rest, 'delete');
      await deleteManagedSubscription(id, deps);
      io.stdout(`Deleted ${id}`);
      return EXIT.ok;
    }
    case 'renew': {
      rejectUnknown(args, ['json', 'verbose'], ['settings']);
      const view = await renewManagedSubscription(oneId(rest, 'renew'), deps);
      io.stdout(json ? JSON.stringify(view, null, 2) : `Renewed ${view.id} until ${view.expirationDateTime}${view.id === rest[0] ? '' : ` (Graph had lost ${rest[0] ?? ''}; recreated)`}`);
      return EXIT.ok;
    }
    case 'reconcile': {
      rejectUnknown(args, ['json', 'drift', 'verbose'], ['settings']);
      noPositionals(rest);
      const report = await reconcileSubscriptions(deps, { forceDriftCheck: args.flags.has('drift') });
      if (json) {
        const { observations: _observations, ...summary } = report;
        io.stdout(JSON.stringify(summary, null, 2));
      } else {
        const outcomes = Object.entries(report.outcomes);
        io.stdout(
          [
            `Reconciled ${report.subscriptions} subscription(s).`,
            outcomes.length === 0 ? 'Nothing to do.' : formatTable(['OUTCOME', 'COUNT'], outcomes.map(([outcome, count]) => [outcome, String(count)])),
            ...(report.driftChecked.length > 0 ? [`Drift-checked tenants: ${report.driftChecked.join(', ')} (${report.unmanagedInGraph} subscription(s) in Graph not created by graph-notify, left alone)`] : []),
            ...(report.throttledTenants.length > 0 ? [`Throttled by Graph (finish at the next run): ${report.throttledTenants.join(', ')}`] : []),
            ...report.problems.map((problem) => `problem: ${problem}`),
          ].join('\n'),
        );
      }
      if (report.throttledTenants.length > 0) return EXIT.transient;
      return report.problems.length > 0 ? EXIT.failed : EXIT.ok;
    }
    default:
      throw new UsageError(command === undefined ? 'subscriptions needs a command: list, create, delete, renew or reconcile' : `unknown subscriptions command "${command}"`);
  }
}

async function poison(command: string | undefined, rest: readonly string[], args: ParsedArgs, services: CliServices, io: CliIo): Promise<number> {
  noPositionals(rest);
  const queueOption = single(args, 'queue') ?? 'all';
  if (queueOption !== 'all' && queueOption !== 'notifications' && queueOption !== 'lifecycle') throw new UsageError(`--queue must be notifications, lifecycle or all, got "${queueOption}"`);
  const roles: readonly QueueRole[] = queueOption === 'all' ? ['notifications', 'lifecycle'] : [queueOption];
  const ids = args.options.get('id');
  switch (command) {
    case 'list': {
      rejectUnknown(args, ['json'], ['settings', 'queue']);
      const listed = await Promise.all(roles.map(async (role) => ({ role, queue: `${services.queueName(role)}-poison`, ...(await listPoisonMessages(services.poisonQueue(role))) })));
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
              shown.map((m) => [m.id, m.insertedOn ?? '', String(m.dequeueCount), m.claimCheck ? `${m.kind} (claim check)` : m.kind, m.envelopeId ?? '', m.items === undefined ? '' : String(m.items), m.receivedAt ?? '']),
            ),
          );
        }
      }
      io.stdout(lines.join('\n'));
      return EXIT.ok;
    }
    case 'replay': {
      rejectUnknown(args, ['all'], ['settings', 'queue', 'id']);
      requireSelection(args, ids, 'replay');
      const results: (readonly string[])[] = [];
      for (const role of roles) {
        const result = await replayPoisonMessages(services.poisonQueue(role), services.mainQueue(role), { ids });
        io.stdout(`Replayed ${result.replayed} message(s) from ${services.queueName(role)}-poison to ${services.queueName(role)}`);
        results.push(result.missing);
      }
      return reportMissing(ids, results, io);
    }
    case 'purge': {
      rejectUnknown(args, ['all', 'yes'], ['settings', 'queue', 'id']);
      requireSelection(args, ids, 'purge');
      if (ids === undefined && !args.flags.has('yes')) throw new UsageError('poison purge --all deletes every message for good: add --yes');
      const results: (readonly string[])[] = [];
      for (const role of roles) {
        const result = await purgePoisonMessages(services.poisonQueue(role), { ids });
        io.stdout(`Purged ${result.purged} message(s) from ${services.queueName(role)}-poison`);
        results.push(result.missing);
      }
      return reportMissing(ids, results, io);
    }
    default:
      throw new UsageError(command === undefined ? 'poison needs a command: list, replay or purge' : `unknown poison command "${command}"`);
  }
}

function subscriptionTable(views: readonly SubscriptionView[]): string {
  return formatTable(
    ['ID', 'STATUS', 'RESOURCE', 'CHANGE TYPE', 'EXPIRES', 'LAST RENEWED', 'LAST ERROR'],
    views.map((view) => [view.id, view.status, view.resource, view.changeType, view.expirationDateTime, view.lastRenewedAt ?? '-', view.lastError ?? '']),
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

function noPositionals(rest: readonly string[]): void {
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0] ?? ''}"`);
}

function oneId(rest: readonly string[], command: string): string {
  if (rest.length !== 1 || rest[0] === undefined) throw new UsageError(`subscriptions ${command} needs exactly one subscription id`);
  return rest[0];
}

function requireSelection(args: ParsedArgs, ids: readonly string[] | undefined, command: string): void {
  if ((ids === undefined) === !args.flags.has('all')) throw new UsageError(`poison ${command} needs either --id <messageId> (repeatable) or --all`);
}

/** An id is missing when no selected poison queue held it. */
function reportMissing(ids: readonly string[] | undefined, missingPerQueue: readonly (readonly string[])[], io: CliIo): number {
  const missing = (ids ?? []).filter((id) => missingPerQueue.every((queueMissing) => queueMissing.includes(id)));
  if (missing.length === 0) return EXIT.ok;
  io.stderr(`graph-notify: not found in the poison queue(s): ${missing.join(', ')}`);
  return EXIT.failed;
}
