import { afterEach, describe, expect, it } from 'vitest';
import { createLocalHost, ManualScheduler, type HostScheduler, type LocalHost } from '../../../dev/local-host';
import { collectLogs, sampleAppDir, sampleSettings, type LogCollector } from './support';

const START = '2026-03-01T00:00:00.000Z';
const NEVER = '0001-01-01T00:00:00.000Z';

let host: LocalHost | undefined;

afterEach(async () => {
  await host?.stop();
  host = undefined;
});

async function startHost(
  scheduler: HostScheduler,
  logs: LogCollector,
  settings: Record<string, string> = {},
): Promise<LocalHost> {
  host = await createLocalHost({
    appDir: sampleAppDir,
    port: 0,
    settingsFile: false,
    settings: sampleSettings(settings),
    scheduler,
    log: logs.sink,
  });
  await host.start();
  return host;
}

interface TimerEvent {
  timer: {
    isPastDue: boolean;
    schedule: { adjustForDST: boolean };
    scheduleStatus: { last: string; next: string; lastUpdated: string } | null;
  };
}

function timers(logs: LogCollector, name: string): TimerEvent['timer'][] {
  return logs.events(name).map((event) => (event as unknown as TimerEvent).timer);
}

/** A scheduler whose callbacks run only when the test says, at whatever time it says: a late host. */
class LateScheduler implements HostScheduler {
  nowMs = new Date(START).getTime();
  readonly pending: { dueAt: number; callback: () => unknown }[] = [];

  now(): Date {
    return new Date(this.nowMs);
  }

  schedule(callback: () => unknown, delayMs: number): { cancel(): void } {
    const entry = { dueAt: this.nowMs + delayMs, callback };
    this.pending.push(entry);
    return { cancel: () => this.pending.splice(this.pending.indexOf(entry), 1) };
  }

  async runDueAt(instant: string): Promise<void> {
    this.nowMs = new Date(instant).getTime();
    const due = this.pending.filter((entry) => entry.dueAt <= this.nowMs);
    for (const entry of due) {
      this.pending.splice(this.pending.indexOf(entry), 1);
      await entry.callback();
    }
  }
}

describe('timer triggers', () => {
  it('fires on the NCRONTAB schedule named by a %Setting%, passing the runtime timer object', async () => {
    // Prepare
    const scheduler = new ManualScheduler(START);
    const logs = collectLogs();
    await startHost(scheduler, logs, { TICK_SCHEDULE: '0 */5 * * * *' });

    // Act
    await scheduler.advance(15 * 60_000);

    // Assess
    expect(timers(logs, 'tick')).toEqual([
      {
        isPastDue: false,
        schedule: { adjustForDST: true },
        scheduleStatus: { last: NEVER, next: '2026-03-01T00:05:00.000Z', lastUpdated: START },
      },
      {
        isPastDue: false,
        schedule: { adjustForDST: true },
        scheduleStatus: {
          last: '2026-03-01T00:05:00.000Z',
          next: '2026-03-01T00:10:00.000Z',
          lastUpdated: '2026-03-01T00:05:00.000Z',
        },
      },
      {
        isPastDue: false,
        schedule: { adjustForDST: true },
        scheduleStatus: {
          last: '2026-03-01T00:10:00.000Z',
          next: '2026-03-01T00:15:00.000Z',
          lastUpdated: '2026-03-01T00:10:00.000Z',
        },
      },
    ]);
    expect(logs.hostLines()).toContainEqual(
      expect.stringMatching(/^Executing 'Functions\.tick' \(Reason='Timer fired at 2026-03-01T00:05:00\.000Z', Id=/),
    );
  });

  it('sends no schedule status for schedules under a minute apart (useMonitor defaults off)', async () => {
    // Prepare
    const scheduler = new ManualScheduler(START);
    const logs = collectLogs();
    await startHost(scheduler, logs, { TICK_SCHEDULE: '*/20 * * * * *' });

    // Act
    await scheduler.advance(60_000);

    // Assess
    expect(timers(logs, 'tick')).toEqual([
      { isPastDue: false, schedule: { adjustForDST: true }, scheduleStatus: null },
      { isPastDue: false, schedule: { adjustForDST: true }, scheduleStatus: null },
      { isPastDue: false, schedule: { adjustForDST: true }, scheduleStatus: null },
    ]);
  });

  it('marks a run that comes a whole period late as past due and does not replay the missed occurrence', async () => {
    // Prepare
    const scheduler = new LateScheduler();
    const logs = collectLogs();
    await startHost(scheduler, logs, { TICK_SCHEDULE: '0 */5 * * * *' });
    await scheduler.runDueAt(START); // runOnStartup of the other timer

    // Act: the 00:05 occurrence only gets to run at 00:12.
    await scheduler.runDueAt('2026-03-01T00:12:00.000Z');
    await scheduler.runDueAt('2026-03-01T00:15:00.000Z');

    // Assess
    expect(timers(logs, 'tick').map((timer) => [timer.isPastDue, timer.scheduleStatus?.next])).toEqual([
      [true, '2026-03-01T00:05:00.000Z'],
      [false, '2026-03-01T00:15:00.000Z'],
    ]);
  });

  it('runs a runOnStartup timer once when the host starts', async () => {
    // Prepare
    const scheduler = new ManualScheduler(START);
    const logs = collectLogs();
    await startHost(scheduler, logs);

    // Act
    await scheduler.advance(0);
    await scheduler.advance(24 * 3600_000);

    // Assess: its schedule (1 January) does not come round within the day.
    expect(timers(logs, 'startupTimer')).toEqual([
      {
        isPastDue: false,
        schedule: { adjustForDST: true },
        scheduleStatus: { last: NEVER, next: '2027-01-01T00:00:00.000Z', lastUpdated: START },
      },
    ]);
  });

  it('triggers a timer on demand without disturbing its schedule', async () => {
    // Prepare
    const scheduler = new ManualScheduler(START);
    const logs = collectLogs();
    const running = await startHost(scheduler, logs, { TICK_SCHEDULE: '0 0 * * * *' });

    // Act
    const outcome = await running.triggerTimer('tick', { isPastDue: true });
    await scheduler.advance(3600_000);

    // Assess
    expect(outcome).toMatchObject({
      functionName: 'tick',
      succeeded: true,
      invocationId: expect.any(String) as unknown,
    });
    expect(timers(logs, 'tick').map((timer) => [timer.isPastDue, timer.scheduleStatus?.next])).toEqual([
      [true, '2026-03-01T01:00:00.000Z'],
      [false, '2026-03-01T01:00:00.000Z'],
    ]);
  });

  it('retries a failing timer by its retry policy with retryContext, then waits for the next occurrence', async () => {
    // Prepare: flakyTimer runs hourly and always fails; fixedDelay 10 s, maxRetryCount 2.
    const scheduler = new ManualScheduler(START);
    const logs = collectLogs();
    await startHost(scheduler, logs);

    // Act
    await scheduler.advance(3600_000 + 60_000);

    // Assess
    const attempts = logs.entries.filter(
      (entry) =>
        entry.functionName === 'flakyTimer' && entry.source === 'host' && entry.message.startsWith('Executing'),
    );
    expect(attempts.map((entry) => entry.time.toISOString())).toHaveLength(3);
    expect(logs.events('flakyTimer').map((event) => event.retryContext)).toEqual([
      { retryCount: 0, maxRetryCount: 2 },
      { retryCount: 1, maxRetryCount: 2, exception: { message: 'Error: flaky timer failure', source: 'flakyTimer' } },
      { retryCount: 2, maxRetryCount: 2, exception: { message: 'Error: flaky timer failure', source: 'flakyTimer' } },
    ]);
    expect(
      logs
        .hostLines()
        .filter((line) => line.startsWith("Executing 'Functions.flakyTimer'"))
        .map((line) => /fired at (\S+)'/.exec(line)?.[1]),
    ).toEqual(['2026-03-01T01:00:00.000Z', '2026-03-01T01:00:10.000Z', '2026-03-01T01:00:20.000Z']);
  });

  it('leaves a function disabled by AzureWebJobs.<name>.Disabled idle', async () => {
    // Prepare
    const scheduler = new ManualScheduler(START);
    const logs = collectLogs();
    const running = await startHost(scheduler, logs, {
      TICK_SCHEDULE: '0 * * * * *',
      'AzureWebJobs.tick.Disabled': 'true',
    });

    // Act
    await scheduler.advance(5 * 60_000);
    const triggering = running.triggerTimer('tick');

    // Assess
    expect(running.functions.find((fn) => fn.name === 'tick')?.disabled).toBe(true);
    expect(timers(logs, 'tick')).toEqual([]);
    await expect(triggering).rejects.toMatchObject({ code: 'ERR_LOCAL_HOST_FUNCTION_NOT_FOUND' });
  });

  it('refuses to build when a schedule setting is not a six-field NCRONTAB expression', async () => {
    // Act
    const building = createLocalHost({
      appDir: sampleAppDir,
      settingsFile: false,
      settings: sampleSettings({ TICK_SCHEDULE: '*/5 * * * *' }),
      log: collectLogs().sink,
    });

    // Assess
    await expect(building).rejects.toMatchObject({
      code: 'ERR_LOCAL_HOST_SCHEDULE_INVALID',
      message: expect.stringContaining('expected 6 fields') as unknown,
    });
  });
});
