/**
 * The azd hooks (infra/hooks), run for real under sh and under PowerShell (the pinned dotnet tool that
 * `npm run check:hooks` installs) against a stub `az` first on PATH (test/support/stubAz/az), which records
 * every call and answers as Azure does on a first deploy: a Key Vault role still propagating, a Flex app that
 * answers 404 right after deployment, key lists the CLI prints as null, references that resolve only after a
 * while, and an Azure CLI whose default subscription is another one than azd's.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { powerShellExecutable } from '../../scripts/checkHooks';

const repoRoot = join(__dirname, '..', '..');
const SUBSCRIPTION = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
const DEFAULT_SUBSCRIPTION = '9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d';
const APP = 'func-api-h23';
const HOST = `${APP}.azurewebsites.net`;
const ATTEMPTS = 4;
/** A safety net, not a speed bar: PowerShell starts slowly on a loaded machine, several hooks run at once. */
const HOOK_TIMEOUT_MS = 240_000;
/** A function key as the hooks generate them: 40 random bytes, base64url without padding. */
const KEY_SHAPE = /^[A-Za-z0-9_-]{54}$/;
const NOTIFICATION_KEY = 'nKey0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP';
const LIFECYCLE_KEY = 'lKey0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOP';

interface Answer {
  readonly exit?: number;
  readonly stdout?: unknown;
  readonly stderr?: string;
}
interface Rule {
  readonly command: string;
  readonly method?: string;
  readonly uri?: string;
  readonly name?: string;
  readonly answers: readonly Answer[];
}
interface Call {
  readonly args: readonly string[];
  readonly files: Readonly<Record<string, string>>;
  readonly subscription: string | undefined;
}
interface Run {
  readonly status: number | null;
  readonly output: string;
  readonly calls: readonly Call[];
}

const pwsh = powerShellExecutable();
const shells = [
  { shell: 'sh', command: 'sh', args: (hook: string) => [join(repoRoot, 'infra', 'hooks', `${hook}.sh`)] },
  {
    shell: 'PowerShell',
    command: pwsh ?? 'pwsh',
    args: (hook: string) => [
      '-NoLogo',
      '-NoProfile',
      '-NonInteractive',
      '-File',
      join(repoRoot, 'infra', 'hooks', `${hook}.ps1`),
    ],
  },
] as const;

async function runHook(
  shell: (typeof shells)[number],
  hook: 'postprovision' | 'postdeploy',
  rules: readonly Rule[],
): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'graph-notify-hooks-'));
  try {
    return await runIn(dir, shell, hook, rules);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runIn(
  dir: string,
  shell: (typeof shells)[number],
  hook: 'postprovision' | 'postdeploy',
  rules: readonly Rule[],
): Promise<Run> {
  const scenario = join(dir, 'scenario.json');
  const log = join(dir, 'calls.jsonl');
  writeFileSync(
    scenario,
    JSON.stringify({ subscription: SUBSCRIPTION, defaultSubscription: DEFAULT_SUBSCRIPTION, rules }),
  );
  writeFileSync(log, '');
  const child = spawn(shell.command, shell.args(hook), {
    cwd: repoRoot,
    env: {
      PATH: [join(repoRoot, 'test', 'support', 'stubAz'), dirname(process.execPath), process.env.PATH ?? ''].join(
        delimiter,
      ),
      HOME: process.env.HOME ?? dir,
      TMPDIR: dir,
      DOTNET_CLI_TELEMETRY_OPTOUT: '1',
      POWERSHELL_TELEMETRY_OPTOUT: '1',
      STUB_AZ_SCENARIO: scenario,
      STUB_AZ_LOG: log,
      AZURE_SUBSCRIPTION_ID: SUBSCRIPTION,
      AZURE_RESOURCE_GROUP: 'rg-h23',
      AZURE_FUNCTION_NAME: APP,
      AZURE_KEY_VAULT_NAME: 'kv-h23',
      SERVICE_API_URI: `https://${HOST}`,
      GRAPH_NOTIFY_HOOK_ATTEMPTS: String(ATTEMPTS),
      GRAPH_NOTIFY_HOOK_RETRY_SECONDS: '0',
    },
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const status = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const calls = readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Call);
  return { status, output, calls };
}

/** A call's words before its first option, and its method and URL when it is `az rest`. */
function describeCall(call: Call): string {
  const first = call.args.findIndex((arg) => arg.startsWith('-'));
  const words = call.args.slice(0, first === -1 ? undefined : first).join(' ');
  const option = (name: string): string => call.args[call.args.indexOf(name) + 1] ?? '';
  if (words !== 'rest') return `${words} ${call.args.includes('--name') ? option('--name') : ''}`.trim();
  return `${option('--method')} ${option('--uri')
    .replace(/^.*\/sites\/[^/]+/, '')
    .replace(/\?api-version=.*$/, '')}`;
}

/** Every call reached the subscription azd deploys to, never the CLI's default; `az rest` names it in the URL. */
function expectDeploySubscriptionOnly(calls: readonly Call[]): void {
  expect(calls.length).toBeGreaterThan(0);
  expect(calls.filter((call) => call.subscription !== SUBSCRIPTION).map((call) => call.args.join(' '))).toEqual([]);
  for (const call of calls.filter((entry) => entry.args[0] !== 'rest')) expect(call.args).toContain('--subscription');
}

function secretList(names: readonly string[]): Rule {
  return {
    command: 'keyvault secret list',
    answers: [{ stdout: names.map((name) => ({ id: `https://kv-h23.vault.azure.net/secrets/${name}`, name })) }],
  };
}
function references(status: string): Answer {
  return {
    stdout: {
      value: ['NOTIFICATION_URL', 'LIFECYCLE_NOTIFICATION_URL', 'GRAPH_CLIENT_SECRET'].map((name) => ({
        id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-h23/providers/Microsoft.Web/sites/${APP}/config/configreferences/appsettings/${name}`,
        name,
        properties: { status: name === 'GRAPH_CLIENT_SECRET' ? 'Resolved' : status },
      })),
    },
  };
}
function referenceStatuses(...statuses: string[]): Rule {
  return {
    command: 'rest',
    method: 'get',
    uri: '/config/configreferences/appsettings',
    answers: statuses.map(references),
  };
}
const refresh: Rule = {
  command: 'rest',
  method: 'post',
  uri: '/config/configreferences/appsettings/refresh',
  answers: [{ stdout: '' }],
};
const secretSet: Rule = { command: 'keyvault secret set', answers: [{ stdout: '' }] };

function storedUrl(secret: string, path: string, key: string): Rule {
  return {
    command: 'keyvault secret show',
    name: secret,
    answers: [{ stdout: { name: secret, value: `https://${HOST}/api/${path}?code=${key}` } }],
  };
}
function keys(fn: string, answers: readonly Answer[]): Rule {
  return { command: 'rest', method: 'post', uri: `/functions/${fn}/listkeys`, answers };
}
const keyWrites: Rule[] = [
  {
    command: 'rest',
    method: 'put',
    uri: '/keys/graphNotify',
    answers: [{ stdout: { properties: { name: 'graphNotify' } } }],
  },
  { command: 'rest', method: 'delete', uri: '/keys/default', answers: [{ stdout: '' }] },
];
const NOT_FOUND: Answer = {
  exit: 3,
  stderr: 'Not Found({"Code":"NotFound","Message":"Error retrieving function keys."})',
};

describe('PowerShell for the Windows hooks', () => {
  it('is installed (npm run check:hooks) wherever CI runs', () => {
    if (process.env.CI === 'true') expect(pwsh, 'run npm run check:hooks before the tests').toBeDefined();
  });
});

describe.each(shells.filter((shell) => shell.shell === 'sh' || pwsh !== undefined))(
  'azd hooks under $shell',
  (shell) => {
    describe('postprovision', { timeout: HOOK_TIMEOUT_MS }, () => {
      it.concurrent(
        'waits for the vault role, writes each URL with its own key and no newline, refreshes, then polls until both resolve',
        async () => {
          const run = await runHook(shell, 'postprovision', [
            {
              command: 'keyvault secret list',
              answers: [{ exit: 1, stderr: '(Forbidden) Caller is not authorized' }, secretList([]).answers[0] ?? {}],
            },
            secretSet,
            refresh,
            referenceStatuses('SecretNotFound', 'Resolved'),
          ]);

          expect(run.status, run.output).toBe(0);
          expectDeploySubscriptionOnly(run.calls);
          expect(run.calls.map(describeCall)).toEqual([
            'keyvault secret list',
            'keyvault secret list',
            'keyvault secret set notification-url',
            'keyvault secret set lifecycle-notification-url',
            'post /config/configreferences/appsettings/refresh',
            'get /config/configreferences/appsettings',
            'get /config/configreferences/appsettings',
          ]);
          const urls = run.calls
            .filter((call) => call.args.includes('set'))
            .map((call) => Object.values(call.files)[0] ?? '');
          expect(urls[0]).toMatch(new RegExp(`^https://${HOST}/api/notifications\\?code=[A-Za-z0-9_-]+$`));
          expect(urls[1]).toMatch(new RegExp(`^https://${HOST}/api/lifecycle\\?code=[A-Za-z0-9_-]+$`));
          const [first, second] = urls.map((url) => url.split('code=')[1] ?? '');
          expect(first).toMatch(KEY_SHAPE);
          expect(second).toMatch(KEY_SHAPE);
          expect(first).not.toBe(second);
          expect(
            run.calls
              .flatMap((call) => call.args)
              .filter((arg) => arg.includes(first ?? '?') || arg.includes(second ?? '?')),
          ).toEqual([]);
        },
      );

      it.concurrent('keeps existing URL secrets as they are and still refreshes the references', async () => {
        const run = await runHook(shell, 'postprovision', [
          secretList(['graph-client-secret', 'notification-url', 'lifecycle-notification-url']),
          secretSet,
          refresh,
          referenceStatuses('Resolved'),
        ]);

        expect(run.status, run.output).toBe(0);
        expectDeploySubscriptionOnly(run.calls);
        expect(run.calls.map(describeCall)).toEqual([
          'keyvault secret list',
          'post /config/configreferences/appsettings/refresh',
          'get /config/configreferences/appsettings',
        ]);
      });

      it.concurrent('gives up after a bounded number of polls when a URL never resolves, and names it', async () => {
        const run = await runHook(shell, 'postprovision', [
          secretList(['notification-url', 'lifecycle-notification-url']),
          refresh,
          referenceStatuses('AccessToKeyVaultDenied'),
        ]);

        expect(run.status).not.toBe(0);
        expect(
          run.calls.filter((call) => describeCall(call) === 'get /config/configreferences/appsettings'),
        ).toHaveLength(ATTEMPTS);
        expect(run.output).toContain('NOTIFICATION_URL: AccessToKeyVaultDenied');
      });

      it.concurrent(
        'treats a secret list the CLI prints as null as a failure to retry, never as an empty vault',
        async () => {
          const run = await runHook(shell, 'postprovision', [
            { command: 'keyvault secret list', answers: [{ stdout: 'null\n' }] },
            secretSet,
            refresh,
          ]);

          expect(run.status).not.toBe(0);
          expect(run.calls.map(describeCall)).toEqual(Array<string>(ATTEMPTS).fill('keyvault secret list'));
        },
      );
    });

    describe('postdeploy', { timeout: HOOK_TIMEOUT_MS }, () => {
      it.concurrent(
        'retries key lists that answer 404 or null, installs each URL key as graphNotify through a file, and deletes default',
        async () => {
          const run = await runHook(shell, 'postdeploy', [
            storedUrl('notification-url', 'notifications', NOTIFICATION_KEY),
            storedUrl('lifecycle-notification-url', 'lifecycle', LIFECYCLE_KEY),
            keys('receiveNotifications', [NOT_FOUND, NOT_FOUND, { stdout: { default: 'autoCreatedDefaultKey==' } }]),
            keys('receiveLifecycleNotifications', [
              { stdout: 'null\n' },
              { stdout: { properties: { default: 'autoCreatedDefaultKey2==' } } },
            ]),
            ...keyWrites,
          ]);

          expect(run.status, run.output).toBe(0);
          expectDeploySubscriptionOnly(run.calls);
          expect(run.calls.map(describeCall)).toEqual([
            'keyvault secret show notification-url',
            'post /functions/receiveNotifications/listkeys',
            'post /functions/receiveNotifications/listkeys',
            'post /functions/receiveNotifications/listkeys',
            'put /functions/receiveNotifications/keys/graphNotify',
            'delete /functions/receiveNotifications/keys/default',
            'keyvault secret show lifecycle-notification-url',
            'post /functions/receiveLifecycleNotifications/listkeys',
            'post /functions/receiveLifecycleNotifications/listkeys',
            'put /functions/receiveLifecycleNotifications/keys/graphNotify',
            'delete /functions/receiveLifecycleNotifications/keys/default',
          ]);
          const bodies = run.calls
            .filter((call) => call.args.includes('put'))
            .map((call) => JSON.parse(Object.values(call.files)[0] ?? 'null') as unknown);
          expect(bodies).toEqual([
            { properties: { name: 'graphNotify', value: NOTIFICATION_KEY } },
            { properties: { name: 'graphNotify', value: LIFECYCLE_KEY } },
          ]);
          expect(
            run.calls
              .flatMap((call) => call.args)
              .filter((arg) => arg.includes(NOTIFICATION_KEY) || arg.includes(LIFECYCLE_KEY)),
          ).toEqual([]);
          expect(run.calls.some((call) => call.args.some((arg) => arg.includes('/host/default')))).toBe(false);
        },
      );

      it.concurrent('changes nothing when the key is already installed, but still removes default', async () => {
        const run = await runHook(shell, 'postdeploy', [
          storedUrl('notification-url', 'notifications', NOTIFICATION_KEY),
          storedUrl('lifecycle-notification-url', 'lifecycle', LIFECYCLE_KEY),
          keys('receiveNotifications', [{ stdout: { graphNotify: NOTIFICATION_KEY } }]),
          keys('receiveLifecycleNotifications', [
            { stdout: { graphNotify: LIFECYCLE_KEY, default: 'autoCreatedDefaultKey==' } },
          ]),
          ...keyWrites,
        ]);

        expect(run.status, run.output).toBe(0);
        expectDeploySubscriptionOnly(run.calls);
        expect(run.calls.filter((call) => call.args.includes('put'))).toEqual([]);
        expect(run.calls.map(describeCall)).toContain('delete /functions/receiveLifecycleNotifications/keys/default');
      });

      it.concurrent(
        'never overwrites a different graphNotify key, even after the CLI printed null key lists',
        async () => {
          const run = await runHook(shell, 'postdeploy', [
            storedUrl('notification-url', 'notifications', NOTIFICATION_KEY),
            keys('receiveNotifications', [
              { stdout: 'null\n' },
              { stdout: { graphNotify: 'aKeyFromBeforeARotation' } },
            ]),
            ...keyWrites,
          ]);

          expect(run.status).not.toBe(0);
          expect(run.calls.filter((call) => call.args.includes('put') || call.args.includes('delete'))).toEqual([]);
          expect(run.output).toContain('differs from the key in notification-url');
        },
      );

      it.concurrent(
        'writes no key when every key list answers null, and stops after a bounded number of tries',
        async () => {
          const run = await runHook(shell, 'postdeploy', [
            storedUrl('notification-url', 'notifications', NOTIFICATION_KEY),
            keys('receiveNotifications', [{ stdout: 'null\n' }]),
            ...keyWrites,
          ]);

          expect(run.status).not.toBe(0);
          expect(
            run.calls.filter((call) => describeCall(call) === 'post /functions/receiveNotifications/listkeys'),
          ).toHaveLength(ATTEMPTS);
          expect(run.calls.filter((call) => call.args.includes('put'))).toEqual([]);
        },
      );
    });
  },
);
