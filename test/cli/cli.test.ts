import { QueueClient } from '@azure/storage-queue';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildCliServices, type CliServices } from '../../src/cli/services';
import { EXIT, runCli } from '../../src/cli/run';
import { maxDequeueCount, type AppConfig } from '../../src/lib/config';
import { ENVELOPE_VERSION } from '../../src/lib/notifications';
import { peekAllMessages } from '../support/queues';
import { azuriteConnectionString, testEnvironment } from '../support/storage';
import { createWorld, requestsOf, type World } from '../lib/subscriptions/world';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly config: AppConfig | undefined;
}

async function cli(
  argv: readonly string[],
  options: { env?: Record<string, string>; cwd?: string; services?: (config: AppConfig) => CliServices } = {},
): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  let config: AppConfig | undefined;
  const code = await runCli(argv, {
    env: options.env ?? testEnvironment(),
    cwd: options.cwd ?? mkdtempSync(join(tmpdir(), 'graph-notify-cli-')),
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    services: (loaded) => {
      config = loaded;
      return (options.services ?? buildCliServices)(loaded);
    },
  });
  return { code, stdout: out.join('\n'), stderr: err.join('\n'), config };
}

describe('graph-notify subscriptions (on the simulator)', () => {
  let world: World;
  let services: (config: AppConfig) => CliServices;

  beforeEach(async () => {
    world = await createWorld();
    services = (config) => ({ ...buildCliServices(config), subscriptions: world.deps() });
  });

  afterEach(() => {
    world.stop();
  });

  it('creates, lists as a table, renews and deletes', async () => {
    const created = await cli(['subscriptions', 'create', '--resource', 'users', '--change-type', 'updated,deleted'], {
      services,
    });
    const id = world.sim.subscriptions()[0]?.id ?? '';
    const listed = await cli(['subscriptions', 'list'], { services });
    const renewed = await cli(['subscriptions', 'renew', id], { services });
    const deleted = await cli(['subscriptions', 'delete', id], { services });
    const empty = await cli(['subscriptions', 'list'], { services });

    expect(created).toMatchObject({ code: EXIT.ok, stdout: expect.stringContaining(`Created ${id}`) as string });
    expect(listed.code).toBe(EXIT.ok);
    expect(listed.stdout.split('\n')[0]).toMatch(
      /^ID +STATUS +RESOURCE +LEVEL +CHANGE TYPE +EXPIRES +LAST RENEWED +LAST ERROR$/,
    );
    expect(listed.stdout).toMatch(new RegExp(`^${id} +active +users +mirroredAndResynced +updated,deleted +`, 'm'));
    expect(renewed).toMatchObject({ code: EXIT.ok, stdout: expect.stringContaining(`Renewed ${id} until`) as string });
    expect(deleted).toMatchObject({ code: EXIT.ok, stdout: `Deleted ${id}` });
    expect(empty.stdout).toBe('No subscriptions.');
    expect(JSON.stringify([created, listed, renewed])).not.toContain('clientState');
  });

  it('creates with --initial-sync: the seeding delta is owed from the start', async () => {
    const created = await cli(
      ['subscriptions', 'create', '--resource', 'users', '--change-type', 'updated', '--initial-sync', '--json'],
      { services },
    );
    const plain = await cli(['subscriptions', 'create', '--resource', 'groups', '--change-type', 'updated', '--json'], {
      services,
    });

    expect(created.code).toBe(EXIT.ok);
    expect(JSON.parse(created.stdout)).toMatchObject({
      resource: 'users',
      resyncPendingSince: world.clock.now().toISOString(),
    });
    expect(JSON.parse(plain.stdout)).toMatchObject({ resource: 'groups', resyncPendingSince: null });
  });

  it('prints a failed validation handshake clearly and exits 1', async () => {
    world.webhook = (url) => (url.searchParams.has('validationToken') ? new Response('', { status: 404 }) : undefined);

    const run = await cli(['subscriptions', 'create', '--resource', 'groups', '--change-type', 'updated'], {
      services,
    });

    expect(run.code).toBe(EXIT.failed);
    expect(run.stderr).toContain(
      'ERR_SUBSCRIPTION_REFUSED: Graph could not validate the webhook at http://127.0.0.1:7071/api/notifications',
    );
    expect(run.stderr).toContain('Notification endpoint must respond with 200 OK to validation request');
    expect(run.stderr).not.toContain('-key');
  });

  it('names the broken rule without calling Graph and exits 1', async () => {
    const run = await cli(['subscriptions', 'create', '--resource', 'drives/b!1/root', '--change-type', 'created'], {
      services,
    });

    expect(run.code).toBe(EXIT.failed);
    expect(run.stderr).toContain(
      'ERR_SUBSCRIPTION_RULE_VIOLATED: Rule change-type: changeType "created" is not allowed for driveRoot subscriptions',
    );
    expect(requestsOf(world, 'createSubscription')).toHaveLength(0);
  });

  it('refuses a resource the table does not list, saying how to opt in with --unlisted', async () => {
    const run = await cli(
      ['subscriptions', 'create', '--resource', 'solutions/virtualEvents/events', '--change-type', 'created'],
      {
        services,
      },
    );

    expect(run.code).toBe(EXIT.failed);
    expect(run.stderr).toContain('Rule supported-resource');
    expect(run.stderr).toContain('--unlisted (CLI)');
    expect(requestsOf(world, 'createSubscription')).toHaveLength(0);
  });

  it('refuses a webhook subscription without a lifecycle URL unless --without-lifecycle-url is given', async () => {
    const withoutLifecycle = (config: AppConfig): CliServices => {
      const deps = world.deps();
      return {
        ...buildCliServices(config),
        subscriptions: { ...deps, settings: { ...deps.settings, lifecycleNotificationUrl: undefined } },
      };
    };
    const create = ['subscriptions', 'create', '--resource', 'users', '--change-type', 'updated'];

    const refused = await cli(create, { services: withoutLifecycle });

    expect(refused.code).toBe(EXIT.failed);
    expect(refused.stderr).toContain('Rule lifecycle-url');
    expect(refused.stderr).toContain('--without-lifecycle-url (CLI)');
    expect(requestsOf(world, 'createSubscription')).toHaveLength(0);

    const created = await cli([...create, '--without-lifecycle-url'], { services: withoutLifecycle });

    expect(created.code).toBe(EXIT.ok);
    expect(world.sim.subscriptions().map((subscription) => subscription.lifecycleNotificationUrl)).toEqual([null]);
  });

  it('reconciles on demand, with a drift check when asked, and reports JSON', async () => {
    await cli(['subscriptions', 'create', '--resource', 'users', '--change-type', 'updated'], { services });

    const run = await cli(['subscriptions', 'reconcile', '--drift', '--json'], { services });

    expect(run.code).toBe(EXIT.ok);
    expect(JSON.parse(run.stdout)).toMatchObject({
      subscriptions: 1,
      driftChecked: [world.settings.defaultTenantId],
      problems: [],
    });
  });

  it('exits 4 when Graph throttles, so scripts can retry', async () => {
    await cli(['subscriptions', 'create', '--resource', 'users', '--change-type', 'updated'], { services });
    world.sim.faults.inject({
      target: 'graph',
      method: 'PATCH',
      path: '/subscriptions/',
      status: 429,
      code: 'TooManyRequests',
      retryAfterSeconds: 3,
    });

    const run = await cli(['subscriptions', 'renew', world.sim.subscriptions()[0]?.id ?? ''], { services });

    expect(run.code).toBe(EXIT.transient);
    expect(run.stderr).toContain('ERR_GRAPH_THROTTLED');
  });
});

describe('graph-notify usage and settings', () => {
  it('exits 2 on wrong usage with the usage text', async () => {
    const runs = await Promise.all([
      cli([]),
      cli(['subscriptions', 'frobnicate']),
      cli(['subscriptions', 'create', '--resource']),
      cli(['subscriptions', 'delete']),
    ]);

    expect(runs.map((run) => run.code)).toEqual([EXIT.usage, EXIT.usage, EXIT.usage, EXIT.usage]);
    expect(runs[1].stderr).toContain('Usage: graph-notify');
  });

  it('answers --help for every command and subcommand with its own options, reading no setting', async () => {
    const commands = [
      ['subscriptions', 'list'],
      ['subscriptions', 'create'],
      ['subscriptions', 'delete'],
      ['subscriptions', 'renew'],
      ['subscriptions', 'reconcile'],
      ['poison', 'list'],
      ['poison', 'replay'],
      ['poison', 'purge'],
    ];
    const runs = await Promise.all([
      ...commands.map((command) => cli([...command, '--help'], { env: {} })),
      cli(['subscriptions', '--help'], { env: {} }),
      cli(['poison', '--help'], { env: {} }),
      cli(['--help'], { env: {} }),
    ]);

    expect(runs.map((run) => run.code)).toEqual(runs.map(() => EXIT.ok));
    const help = runs.map((run) => run.stdout);
    commands.forEach((command, index) => {
      expect(help[index]).toMatch(new RegExp(`^Usage: graph-notify ${command.join(' ')}`));
    });
    expect(help[1]).toContain('--change-type <types>');
    expect(help[1]).toContain('--include-resource-data');
    expect(help[7]).toContain('--all --yes');
    expect(help[8]).toMatch(/^Usage: graph-notify subscriptions <command>/);
    expect(help[9]).toMatch(/^Usage: graph-notify poison <command>/);
    expect(help[10]).toContain('poison purge');
  });

  it('exits 2 on wrong usage before reading any setting, with no configuration at all', async () => {
    const runs = await Promise.all(
      [
        ['bogus'],
        ['subscriptions', 'list', '--bogus'],
        ['poison', 'list', '--queue', 'other'],
        ['poison', 'purge', '--all'],
        ['subscriptions', 'create', '--resource', 'users'],
      ].map((argv) => cli(argv, { env: {} })),
    );

    expect(runs.map((run) => run.code)).toEqual(runs.map(() => EXIT.usage));
    expect(runs[0]?.stderr).toContain('unknown command "bogus"');
    expect(runs.map((run) => run.stderr).join('\n')).not.toContain('configuration problem');
  });

  it('prints the resource table, as text or JSON, reading no setting', async () => {
    const text = await cli(['resources'], { env: {} });
    const json = await cli(['resources', '--json'], { env: {} });

    expect(text.code).toBe(EXIT.ok);
    expect(text.stdout.split('\n')[0]).toMatch(
      /^KIND +LEVEL +FORMS +MAX MIN +CHANGE TYPES +LIFECYCLE URL +RICH +PERMISSION$/,
    );
    expect(text.stdout).toMatch(/^presence +mirrored +communications\/presences\?\$filter=id in .* 60 +updated /m);
    expect(text.stdout).toMatch(/^unlisted +notificationsOnly /m);
    expect(JSON.parse(json.stdout)).toContainEqual(
      expect.objectContaining({ kind: 'listItem', level: 'mirroredAndResynced', permission: 'Sites.Read.All' }),
    );
    expect((await cli(['resources', 'list'], { env: {} })).code).toBe(EXIT.usage);
  });

  it('exits 3 naming the missing setting when there is no configuration', async () => {
    const run = await cli(['subscriptions', 'list'], { env: {} });

    expect(run.code).toBe(EXIT.configuration);
    expect(run.stderr).toContain('AzureWebJobsStorage');
    expect(run.stderr).toContain('GRAPH_CLIENT_ID');
  });

  it('reads local.settings.json Values, with the environment taking precedence', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'graph-notify-cli-'));
    const values = {
      ...testEnvironment(),
      NOTIFICATION_URL: 'https://from-file.example.com/api/notifications?code=a',
      RENEWAL_WINDOW_MINUTES: '300',
    };
    writeFileSync(join(cwd, 'local.settings.json'), JSON.stringify({ IsEncrypted: false, Values: values }));

    const run = await cli(['subscriptions', 'list'], { cwd, env: { RENEWAL_WINDOW_MINUTES: '400' } });

    expect(run.code).toBe(EXIT.ok);
    expect(run.config?.subscriptions).toMatchObject({
      notificationUrl: 'https://from-file.example.com/api/notifications?code=a',
      renewalWindowMinutes: 400,
    });
  });
});

describe('graph-notify poison (Azurite)', () => {
  let env: Record<string, string>;
  let poisonQueue: QueueClient;
  let mainQueue: QueueClient;

  const envelope = (id: string, items: number) =>
    JSON.stringify({
      v: ENVELOPE_VERSION,
      kind: 'notifications',
      id,
      receivedAt: '2026-05-01T10:00:00.000Z',
      items: Array.from({ length: items }, (_, n) => ({
        subscriptionId: `s${n}`,
        tenantId: 't',
        changeType: 'updated',
        resource: `users/${n}`,
      })),
    });

  beforeEach(async () => {
    env = testEnvironment();
    poisonQueue = new QueueClient(azuriteConnectionString(), `${env.NOTIFICATIONS_QUEUE_NAME ?? ''}-poison`);
    mainQueue = new QueueClient(azuriteConnectionString(), env.NOTIFICATIONS_QUEUE_NAME ?? '');
    await poisonQueue.create();
    // As the host leaves them: the original base64 body.
    for (const [id, items] of [
      ['env-a', 2],
      ['env-b', 5],
    ] as const)
      await poisonQueue.sendMessage(Buffer.from(envelope(id, items)).toString('base64'));
    await poisonQueue.sendMessage('not base64 and not an envelope');
  });

  it('lists poison messages as a table summarising each envelope, without content', async () => {
    const run = await cli(['poison', 'list', '--queue', 'notifications'], { env });

    expect(run.code).toBe(EXIT.ok);
    expect(run.stdout).toContain(`${env.NOTIFICATIONS_QUEUE_NAME ?? ''}-poison: 3 message(s)`);
    expect(run.stdout).toMatch(/MESSAGE ID +INSERTED +TRIES +KIND +ENVELOPE +ITEMS +RECEIVED/);
    expect(run.stdout).toMatch(/notifications +env-a +2 +2026-05-01T10:00:00.000Z/);
    expect(run.stdout).toMatch(/notifications +env-b +5 /);
    expect(run.stdout).toMatch(/unreadable/);
    expect(run.stdout).not.toContain('users/1');
  });

  it("shows the deliveries each message had before it was poisoned, not the copy's own count of 0", async () => {
    const run = await cli(['poison', 'list', '--queue', 'notifications'], { env });

    // The host moves an envelope after maxDequeueCount deliveries; a message that is no envelope goes at its first.
    expect(run.stdout).toMatch(new RegExp(` ${String(maxDequeueCount())} +notifications +env-a `));
    expect(run.stdout).toMatch(/ 1 +unreadable/);
    expect(run.stdout).not.toMatch(/ 0 +(notifications|unreadable)/);
  });

  it('runs the poison commands with the storage settings alone, and says which settings the others miss', async () => {
    const storageOnly = Object.fromEntries(
      Object.entries(env).filter(([name]) => name.startsWith('AzureWebJobsStorage') || name.endsWith('_QUEUE_NAME')),
    );

    const listed = await cli(['poison', 'list', '--queue', 'notifications'], { env: storageOnly });
    const subscriptions = await cli(['subscriptions', 'list'], { env: storageOnly });

    expect(listed).toMatchObject({ code: EXIT.ok, stdout: expect.stringContaining('-poison: 3 message(s)') as string });
    expect(subscriptions.code).toBe(EXIT.configuration);
    expect(subscriptions.stderr).toContain('graph-notify subscriptions is unavailable until these settings are fixed');
    expect(subscriptions.stderr).toContain('GRAPH_CLIENT_ID');
  });

  it("warns about a setting name that nearly matches one of the app's", async () => {
    const run = await cli(['poison', 'list', '--queue', 'notifications'], {
      env: { ...env, NOTIFICATIONS_URL: 'https://example.test/api/notifications' },
    });

    expect(run.code).toBe(EXIT.ok);
    expect(run.stderr).toContain(
      'warning: Unknown setting NOTIFICATIONS_URL is ignored: did you mean NOTIFICATION_URL?',
    );
  });

  it('replays a chosen message without hiding the others: those received on the way are visible again at once', async () => {
    const listed = await cli(['poison', 'list', '--queue', 'notifications', '--json'], { env });
    const [{ shown }] = JSON.parse(listed.stdout) as [{ shown: { id: string; envelopeId: string | null }[] }];
    const last = shown.at(-1);

    const run = await cli(['poison', 'replay', '--queue', 'notifications', '--id', last?.id ?? ''], { env });

    expect(run.code).toBe(EXIT.ok);
    const left = (await poisonQueue.peekMessages({ numberOfMessages: 32 })).peekedMessageItems;
    expect(left.map((message) => message.messageId).sort()).toEqual(
      shown
        .slice(0, -1)
        .map((message) => message.id)
        .sort(),
    );
    // Queue Storage deletes only with a receive's pop receipt, and counts that receive in dequeueCount.
    expect(left.map((message) => message.dequeueCount)).toEqual(left.map(() => 1));
  });

  it('replays one message to the main queue, base64 as the trigger expects, and removes it from the poison queue', async () => {
    const listed = await cli(['poison', 'list', '--queue', 'notifications', '--json'], { env });
    const [{ shown }] = JSON.parse(listed.stdout) as [{ shown: { id: string; envelopeId: string }[] }];
    const target = shown.find((message) => message.envelopeId === 'env-b');

    const run = await cli(['poison', 'replay', '--queue', 'notifications', '--id', target?.id ?? ''], { env });

    expect(run).toMatchObject({ code: EXIT.ok, stdout: expect.stringContaining('Replayed 1 message(s)') as string });
    expect(await peekAllMessages(azuriteConnectionString(), mainQueue.name)).toEqual([envelope('env-b', 5)]);
    const after = await cli(['poison', 'list', '--queue', 'notifications', '--json'], { env });
    expect(
      (JSON.parse(after.stdout) as [{ shown: { envelopeId: string }[] }])[0].shown.map((message) => message.envelopeId),
    ).not.toContain('env-b');
  });

  it('reports ids it cannot find with exit 1, and purges everything only with --yes', async () => {
    const missing = await cli(['poison', 'replay', '--id', 'no-such-message'], { env });
    const unconfirmed = await cli(['poison', 'purge', '--queue', 'notifications', '--all'], { env });
    const purged = await cli(['poison', 'purge', '--queue', 'notifications', '--all', '--yes'], { env });
    const listed = await cli(['poison', 'list', '--queue', 'notifications'], { env });

    expect(missing).toMatchObject({ code: EXIT.failed, stderr: expect.stringContaining('no-such-message') as string });
    expect(unconfirmed.code).toBe(EXIT.usage);
    expect(purged).toMatchObject({ code: EXIT.ok, stdout: expect.stringContaining('Purged 3 message(s)') as string });
    expect(listed.stdout).toContain('-poison: 0 message(s)');
  });
});
