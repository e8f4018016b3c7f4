/**
 * `tsx dev/local-host/main.ts [--app <dir>] [--port <n>] [--settings <file>]`: runs the built app
 * (package.json `main`, so `npm run build` first) on the local host, prints its URLs, and stops
 * gracefully on Ctrl-C or SIGTERM, letting running invocations finish. A second signal exits at once.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { describeError } from '../../src/lib/shared/redact';
import type * as Host from './createLocalHost';

const USAGE = `Usage: tsx dev/local-host/main.ts [options]

Options:
  --app <dir>        Function app folder (package.json, host.json). Default: current directory.
  --port <n>         HTTP port (0 = any free port). Default: local.settings.json Host.LocalHttpPort, else 7071.
  --running-visibility <s>
                     Seconds a dequeued queue message stays hidden while its function runs (renewed at
                     half). Default: the runtime's 600. A killed host's messages reappear after this.
  --settings <file>  Settings file in local.settings.json format. Default: <app>/local.settings.json (required:
                     create it with \`cp local.settings.json.example local.settings.json\`).
  --help             Show this text.

Keys (any one set enforces authLevel function/admin):
  LOCAL_HOST_FUNCTION_KEY   a host key: opens every authLevel function function
  LOCAL_HOST_FUNCTION_KEYS  function-specific keys, "name=key,name=key": each opens its own function only
  LOCAL_HOST_MASTER_KEY     the master key: opens everything, authLevel admin included`;

/** `name=key,name=key` as the function-specific keys; a malformed entry is an error naming the variable. */
function parseFunctionKeys(text: string | undefined): Record<string, string> | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const keys: Record<string, string> = {};
  for (const entry of text.split(',')) {
    const separator = entry.indexOf('=');
    const name = entry.slice(0, separator).trim();
    const key = entry.slice(separator + 1).trim();
    if (separator <= 0 || key === '') throw new Error('LOCAL_HOST_FUNCTION_KEYS must be "name=key,name=key"');
    keys[name] = key;
  }
  return keys;
}

function parsePort(text: string | undefined): number | undefined {
  const port = parseWholeNumber('--port', text);
  if (port !== undefined && port > 65_535) throw new Error(`--port must be a port number, got "${String(text)}"`);
  return port;
}

/** A flag's whole-number value (its range is checked where it is used). */
function parseWholeNumber(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text)) throw new Error(`${flag} must be a whole number, got "${text}"`);
  return Number(text);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      app: { type: 'string' },
      port: { type: 'string' },
      settings: { type: 'string' },
      'running-visibility': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const appDir = resolve(values.app ?? '.');
  if (values.settings === undefined && !existsSync(join(appDir, 'local.settings.json'))) {
    const example = existsSync(join(appDir, 'local.settings.json.example'));
    throw new Error(
      `${join(appDir, 'local.settings.json')} is missing: the app reads its settings from it. ` +
        (example
          ? `Create it from the example with \`cp ${join(appDir, 'local.settings.json.example')} ${join(appDir, 'local.settings.json')}\` and fill in the GRAPH_* settings and NOTIFICATION_URL`
          : 'Create it (local.settings.json format)') +
        ', or pass --settings <file>. To run everything offline with no settings, use `npm run dev`.',
    );
  }
  const functionKey = process.env.LOCAL_HOST_FUNCTION_KEY;
  const masterKey = process.env.LOCAL_HOST_MASTER_KEY;
  const functionKeys = parseFunctionKeys(process.env.LOCAL_HOST_FUNCTION_KEYS);
  const port = parsePort(values.port);
  const runningVisibility = parseWholeNumber('--running-visibility', values['running-visibility']);
  // Loaded after the flags are checked, so --help and a wrong flag answer at once.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above.
  const { createLocalHost } = require('./createLocalHost') as typeof Host;
  const host = await createLocalHost({
    ...(values.app === undefined ? {} : { appDir: values.app }),
    ...(port === undefined ? {} : { port }),
    ...(values.settings === undefined ? {} : { settingsFile: values.settings }),
    ...(runningVisibility === undefined ? {} : { runningVisibilitySeconds: runningVisibility }),
    ...(functionKey === undefined && masterKey === undefined && functionKeys === undefined
      ? {}
      : {
          keys: {
            ...(functionKey === undefined ? {} : { function: functionKey }),
            ...(functionKeys === undefined ? {} : { functionKeys }),
            ...(masterKey === undefined ? {} : { master: masterKey }),
          },
        }),
  });

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) {
      process.stderr.write(`${signal} again: exiting without waiting\n`);
      process.exit(1);
    }
    stopping = true;
    process.stderr.write(`${signal}: stopping the local host (waiting for running invocations)...\n`);
    host.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`Stopping failed: ${describeError(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  const urls = await host.start();
  process.stdout.write(
    `Local Functions host listening on ${urls.baseUrl} (HTTP functions under ${urls.apiUrl}). Ctrl-C to stop.\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`local-host: ${describeError(error)}\n`);
  process.exit(1);
});
