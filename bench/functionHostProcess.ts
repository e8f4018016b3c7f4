/**
 * A local host in a process of its own, as the Functions worker runs an app on Azure: nothing else shares its event
 * loop, heap or JIT. bench/ingest.ts runs both functions it measures over HTTP this way, this app and the bare
 * function, so that the CPU each spends per POST is its own: the same app, hosted in the bench's process (which also
 * runs the Graph simulator and the pipeline), spent 13–27 % more CPU per POST in seven of eight paired rounds.
 *
 * `startFunctionHostProcess` forks this file (with tsx) and resolves once the host answers, with its functions' URLs.
 * The child inherits this process's environment, which holds the settings a pipeline started here composed for its
 * own host (dev/run/startLocalPipeline.ts), so the same app finds the same settings; `settings` win over them.
 */
import { fork } from 'node:child_process';
import { createLocalHost, consoleLogSink, type HttpKeys } from '../dev/local-host';

export interface FunctionHostProcessOptions {
  /** The function app folder (package.json `main`, host.json). */
  readonly appDir: string;
  readonly settings?: Readonly<Record<string, string>>;
  readonly keys: HttpKeys;
}

export interface FunctionHostProcess {
  /** Each HTTP function's URL by function name, without its key. */
  readonly functionUrls: Readonly<Record<string, string>>;
  /** The CPU the host's process has used so far. */
  readonly cpuUsage: () => Promise<NodeJS.CpuUsage>;
  /** Stops the host (letting invocations finish) and its process. */
  readonly stop: () => Promise<void>;
}

type Command = 'cpu' | 'stop';

export function startFunctionHostProcess(options: FunctionHostProcessOptions): Promise<FunctionHostProcess> {
  const child = fork(__filename, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((done) => {
    child.once('exit', () => {
      done();
    });
  });
  const send = (command: Command): void => {
    child.send(command);
  };
  return new Promise((resolveStarted, reject) => {
    child.once('error', reject);
    const exitedEarly = (code: number | null): void => {
      reject(new Error(`the local host's process exited with code ${String(code)} before it started`));
    };
    child.once('exit', exitedEarly);
    child.once('message', (functionUrls: Record<string, string>) => {
      child.off('exit', exitedEarly);
      resolveStarted({
        functionUrls,
        cpuUsage: () =>
          new Promise((resolveUsage) => {
            child.once('message', (usage: NodeJS.CpuUsage) => {
              resolveUsage(usage);
            });
            send('cpu');
          }),
        stop: async () => {
          send('stop');
          await exited;
        },
      });
    });
    child.send(options);
  });
}

async function serve(options: FunctionHostProcessOptions): Promise<void> {
  const host = await createLocalHost({
    appDir: options.appDir,
    port: 0,
    settingsFile: false,
    ...(options.settings === undefined ? {} : { settings: options.settings }),
    keys: options.keys,
    log: consoleLogSink('warning'),
  });
  const urls = await host.start();
  process.on('message', (command: Command) => {
    if (command === 'cpu') {
      process.send?.(process.cpuUsage());
      return;
    }
    void host.stop().finally(() => process.exit(0));
  });
  process.send?.(urls.functionUrls);
}

if (process.send !== undefined && require.main === module) {
  process.once('message', (options: FunctionHostProcessOptions) => {
    serve(options).catch((error: unknown) => {
      process.stderr.write(`The local host did not start: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    });
  });
}
