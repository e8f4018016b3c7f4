/**
 * `npm start`: the real Functions host (`func start`, Azure Functions Core Tools) with Azurite alongside.
 * Azurite is started on its usual ports (10000-10002, what `UseDevelopmentStorage=true` in
 * local.settings.json means) unless one already listens there; `--persist` keeps its data in .azurite/.
 * Other arguments go to `func start`. When func exits, Azurite is stopped and its exit code is ours.
 * Without Core Tools installed, it says so and points at `npm run dev`, which needs nothing but Node.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { isListening, startAzurite, type RunningAzurite } from '../azurite';
import { describeError } from '../../src/lib/shared/redact';
import { PERSIST_FOLDER } from './startLocalPipeline';

const USUAL_PORTS = { blob: 10_000, queue: 10_001, table: 10_002 };
const appDir = resolve(__dirname, '..', '..');

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const persist = args.includes('--persist');
  const funcArgs = ['start', ...args.filter((arg) => arg !== '--persist')];
  if (spawnSync('func', ['--version'], { stdio: 'ignore', shell: process.platform === 'win32' }).error !== undefined) {
    process.stderr.write(
      'npm start: `func` (Azure Functions Core Tools v4) is not installed or not on PATH; it is not a dependency of this package. Install it ' +
        '(`npm install --global azure-functions-core-tools@4`, or see https://learn.microsoft.com/azure/azure-functions/functions-run-local), or run `npm run dev`, which runs the app on the bundled local host with nothing else to install.\n',
    );
    return 1;
  }
  if (!existsSync(resolve(appDir, 'local.settings.json'))) {
    process.stderr.write(
      'npm start: local.settings.json is missing. Copy local.settings.json.example and fill it in (func start reads its Values).\n',
    );
    return 1;
  }

  const listening = await Promise.all(Object.values(USUAL_PORTS).map(isListening));
  let azurite: RunningAzurite | undefined;
  if (listening.every(Boolean)) {
    process.stdout.write('Azurite (or another storage emulator) already listens on 10000-10002; using it.\n');
  } else if (listening.some(Boolean)) {
    process.stderr.write(
      'npm start: some of the ports 10000-10002 are taken, so Azurite cannot start where UseDevelopmentStorage=true expects it.\n',
    );
    return 1;
  } else {
    azurite = await startAzurite({
      ports: USUAL_PORTS,
      ...(persist ? { location: resolve(appDir, PERSIST_FOLDER) } : {}),
    });
    process.stdout.write(
      `Azurite started on 10000-10002 (${persist ? `persisted in ${PERSIST_FOLDER}/` : 'in memory'}).\n`,
    );
  }

  const code = await new Promise<number>((done) => {
    const func = spawn('func', funcArgs, { cwd: appDir, stdio: 'inherit', shell: process.platform === 'win32' });
    func.once('error', (error) => {
      process.stderr.write(`npm start: could not run func: ${describeError(error)}\n`);
      done(1);
    });
    func.once('exit', (exitCode, signal) => {
      done(exitCode ?? (signal === null ? 1 : 0));
    });
    // func receives Ctrl-C from the terminal itself; keep this process alive to clean up after it.
    process.on('SIGINT', () => undefined);
    process.on('SIGTERM', () => {
      func.kill('SIGTERM');
    });
  });
  await azurite?.stop();
  return code;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`npm start: ${describeError(error)}\n`);
    process.exit(1);
  },
);
