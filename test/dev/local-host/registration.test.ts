import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalHost, type LocalHost } from '../../../dev/local-host';
import { collectLogs, fixturesDir, sampleAppDir, sampleSettings } from './support';

let host: LocalHost | undefined;

afterEach(async () => {
  await host?.stop();
  host = undefined;
});

function appRequire(): NodeJS.Require {
  return createRequire(join(sampleAppDir, 'package.json'));
}

describe('loading an app through the runtime module stand-in', () => {
  it('captures every app.* registration in load order with the metadata the worker receives', async () => {
    // Prepare / Act
    host = await createLocalHost({
      appDir: sampleAppDir,
      settingsFile: false,
      settings: sampleSettings(),
      log: collectLogs().sink,
    });

    // Assess
    expect(host.functions.map((fn) => fn.name)).toEqual([
      'echo',
      'itemsList',
      'secret',
      'adminOnly',
      'defaultRoute',
      'nothing',
      'fails',
      'slow',
      'config',
      'enqueue',
      'hooked',
      'work',
      'relay',
      'slowWork',
      'tick',
      'startupTimer',
      'flakyTimer',
    ]);
    const echo = host.functions.find((fn) => fn.name === 'echo');
    expect(echo?.triggerType).toBe('httpTrigger');
    expect(Object.values(echo?.bindings ?? {})).toEqual([
      expect.objectContaining({
        type: 'httpTrigger',
        direction: 'in',
        authLevel: 'anonymous',
        methods: ['GET', 'POST', 'PUT'],
        route: 'items/{id}/{detail?}',
        name: expect.stringMatching(/^httpTrigger/) as unknown,
      }),
      expect.objectContaining({ type: 'http', direction: 'out' }),
    ]);
    expect(Object.keys(echo?.bindings ?? {})[1]).toBe('$return');

    const enqueue = host.functions.find((fn) => fn.name === 'enqueue');
    // Binding properties arrive as registered: setting references are resolved by the host, not the library.
    expect(Object.values(enqueue?.bindings ?? {})).toContainEqual(
      expect.objectContaining({
        type: 'queue',
        direction: 'out',
        queueName: '%OUTPUT_QUEUE%',
        connection: 'AzureWebJobsStorage',
      }),
    );
    const work = host.functions.find((fn) => fn.name === 'work');
    expect(Object.values(work?.bindings ?? {})).toEqual([
      expect.objectContaining({
        type: 'queueTrigger',
        direction: 'in',
        queueName: '%WORK_QUEUE%',
        connection: 'AzureWebJobsStorage',
      }),
    ]);
    const flaky = host.functions.find((fn) => fn.name === 'flakyTimer');
    expect(flaky?.triggerType).toBe('timerTrigger');
    expect(flaky?.retryOptions).toMatchObject({
      retryStrategy: 'fixedDelay',
      maxRetryCount: 2,
      delayInterval: { seconds: 10 },
    });
  });

  it('keeps the raw handler the app passed and counts its hooks', async () => {
    // Prepare
    host = await createLocalHost({
      appDir: sampleAppDir,
      settingsFile: false,
      settings: sampleSettings(),
      log: collectLogs().sink,
    });

    // Act
    const httpModule = appRequire()('./out/src/functions/http.js') as { echo: unknown; enqueue: unknown };
    const queueModule = appRequire()('./out/src/functions/queue.js') as { work: unknown };

    // Assess
    expect(host.functions.find((fn) => fn.name === 'echo')?.handler).toBe(httpModule.echo);
    expect(host.functions.find((fn) => fn.name === 'enqueue')?.handler).toBe(httpModule.enqueue);
    expect(host.functions.find((fn) => fn.name === 'work')?.handler).toBe(queueModule.work);
    expect(host.hookCounts).toEqual({ appStart: 1, appTerminate: 1, preInvocation: 1, postInvocation: 1, log: 0 });
  });

  it('loads a fresh @azure/functions for each host, so a second host in the process registers everything again', async () => {
    // Prepare
    const first = await createLocalHost({
      appDir: sampleAppDir,
      settingsFile: false,
      settings: sampleSettings(),
      log: collectLogs().sink,
    });
    const firstLibrary: unknown = appRequire()('@azure/functions');
    await first.stop();

    // Act
    host = await createLocalHost({
      appDir: sampleAppDir,
      settingsFile: false,
      settings: sampleSettings(),
      log: collectLogs().sink,
    });

    // Assess
    expect(host.functions).toHaveLength(17);
    expect(appRequire()('@azure/functions')).not.toBe(firstLibrary);
  });

  it('refuses a second host while one is loaded, because the runtime module and process.env are process-wide', async () => {
    // Prepare
    host = await createLocalHost({
      appDir: sampleAppDir,
      settingsFile: false,
      settings: sampleSettings(),
      log: collectLogs().sink,
    });

    // Act
    const second = createLocalHost({
      appDir: sampleAppDir,
      settingsFile: false,
      settings: sampleSettings(),
      log: collectLogs().sink,
    });

    // Assess
    await expect(second).rejects.toMatchObject({ code: 'ERR_LOCAL_HOST_BUSY' });
  });
});

describe('settings', () => {
  it('puts settings into process.env before the app loads, with Core Tools precedence, and restores them on stop', async () => {
    // Prepare
    process.env.SHADOWED_BY_ENV = 'from-env';
    const logs = collectLogs();
    try {
      // Act
      host = await createLocalHost({
        appDir: sampleAppDir,
        settingsFile: join(sampleAppDir, 'test.settings.json'),
        settings: sampleSettings({ GREETING: 'explicit' }),
        log: logs.sink,
      });
      const state = appRequire()('./out/src/lib/state.js') as { greetingAtLoad: unknown };
      const during = {
        greeting: process.env.GREETING,
        fileOnly: process.env.FILE_ONLY,
        shadowed: process.env.SHADOWED_BY_ENV,
      };
      await host.stop();
      host = undefined;

      // Assess
      expect(state.greetingAtLoad).toBe('explicit');
      expect(during).toEqual({ greeting: 'explicit', fileOnly: 'from-file', shadowed: 'from-env' });
      expect(logs.hostLines()).toContain(
        "Skipping 'SHADOWED_BY_ENV' from local.settings.json as it's already defined in current environment variables.",
      );
      expect(process.env.GREETING).toBeUndefined();
      expect(process.env.FILE_ONLY).toBeUndefined();
      expect(process.env.WORK_QUEUE).toBeUndefined();
      expect(process.env.SHADOWED_BY_ENV).toBe('from-env');
    } finally {
      delete process.env.SHADOWED_BY_ENV;
    }
  });

  it('names the missing setting when a binding refers to one that is not set', async () => {
    // Prepare
    const settings = sampleSettings();
    delete settings.WORK_QUEUE;

    // Act
    const building = createLocalHost({ appDir: sampleAppDir, settingsFile: false, settings, log: collectLogs().sink });

    // Assess
    await expect(building).rejects.toMatchObject({
      code: 'ERR_LOCAL_HOST_SETTING_INVALID',
      message: expect.stringContaining('refers to setting %WORK_QUEUE%, which is not set') as unknown,
    });
    expect(process.env.RELAY_QUEUE).toBeUndefined();
  });
});

describe('apps the host cannot run', () => {
  it('reports an entry file that throws while loading, and leaves the process clean for the next host', async () => {
    // Act
    const building = createLocalHost({
      appDir: join(fixturesDir, 'broken-app'),
      settingsFile: false,
      settings: { MARKER: 'x' },
      log: collectLogs().sink,
    });

    // Assess
    await expect(building).rejects.toMatchObject({
      code: 'ERR_LOCAL_HOST_APP_INVALID',
      message: 'Loading entry file index.js failed: Error: REQUIRED_SETTING is missing',
    });
    expect(process.env.MARKER).toBeUndefined();
    host = await createLocalHost({
      appDir: sampleAppDir,
      settingsFile: false,
      settings: sampleSettings(),
      log: collectLogs().sink,
    });
    expect(host.functions.length).toBeGreaterThan(0);
  });

  it('names every trigger and binding it does not emulate', async () => {
    // Act
    const building = createLocalHost({
      appDir: join(fixturesDir, 'unsupported-app'),
      settingsFile: false,
      log: collectLogs().sink,
    });

    // Assess
    await expect(building).rejects.toMatchObject({ code: 'ERR_LOCAL_HOST_UNSUPPORTED' });
    await expect(building).rejects.toThrow(/Function "onBlob" has a blobTrigger trigger/);
    await expect(building).rejects.toThrow(/Function "writesRows" binding "tableOutput\w*" has type "table" \(out\)/);
  });

  it("with unsupported: 'skip', warns and still serves what it can emulate", async () => {
    // Prepare
    const logs = collectLogs();
    host = await createLocalHost({
      appDir: join(fixturesDir, 'unsupported-app'),
      settingsFile: false,
      unsupported: 'skip',
      port: 0,
      log: logs.sink,
    });

    // Act
    const urls = await host.start();
    const response = await fetch(`${urls.apiUrl}/rows`);

    // Assess
    expect(await response.text()).toBe('still served');
    expect(logs.entries.filter((entry) => entry.level === 'warning').map((entry) => entry.message)).toEqual([
      expect.stringMatching(/onBlob.*blobTrigger.*skipped$/) as unknown,
      expect.stringMatching(/writesRows.*table.*skipped$/) as unknown,
    ]);
  });

  it('rejects a main pattern that matches no file and tells to build', async () => {
    // Act
    const building = createLocalHost({
      appDir: sampleAppDir,
      main: 'dist/src/{index.js,functions/*.js}',
      settingsFile: false,
      log: collectLogs().sink,
    });

    // Assess
    await expect(building).rejects.toMatchObject({
      code: 'ERR_LOCAL_HOST_APP_INVALID',
      message: expect.stringContaining('run `npm run build`') as unknown,
    });
  });
});
