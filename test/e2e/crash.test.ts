/**
 * End to end, a real crash: the local Functions host runs as a child process (`dev/local-host/main.ts`, as
 * `npm run local-host` starts it) on the pipeline's Azurite and simulator. While it processes a burst of
 * changes it is killed with SIGKILL (no graceful stop: invocations die mid-flight, queue messages stay
 * invisible until their visibility timeout), then started again on the same port, Azurite and settings. The
 * child runs with a RUNNING_VISIBILITY-second running visibility instead of the runtime's ten minutes, so the
 * messages the dead host held come back within the test; the app's behaviour does not depend on the figure.
 * The mirror must converge with nothing lost: every change Graph reported reached the sink, every
 * notification was finally delivered with a 2xx (Graph retries what the dead host never answered), and
 * nothing went to a poison queue. The test waits for events (blobs written, queues drained), never for time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatStatusLine } from '../../dev/run';
import {
  changesNotReached,
  compareWithGroundTruth,
  startE2ePipeline,
  touchEverythingInScope,
  untilQuiet,
  type E2ePipeline,
} from './support';

const BURST = 120;
/** Seconds a dequeued message stays hidden while the child host runs it (the runtime's is 600). */
const RUNNING_VISIBILITY = 15;
const repositoryRoot = join(__dirname, '..', '..');

let e2e: E2ePipeline;
let folder: string;
let settingsFile: string;
const children: ChildProcess[] = [];

/** Starts `dev/local-host/main.ts` on the pipeline's port and settings; resolves once it listens. */
async function startChildHost(): Promise<ChildProcess> {
  const port = new URL(e2e.pipeline.urls.apiUrl).port;
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(repositoryRoot, 'dev/local-host/main.ts'),
      '--app',
      repositoryRoot,
      '--port',
      port,
      '--settings',
      settingsFile,
      '--running-visibility',
      String(RUNNING_VISIBILITY),
    ],
    {
      cwd: repositoryRoot,
      env: {
        ...process.env,
        LOCAL_HOST_FUNCTION_KEY: new URL(e2e.pipeline.urls.notificationUrl).searchParams.get('code') ?? '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  child.stderr.resume();
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('Local Functions host listening on')) resolve();
    });
    child.once('exit', (code) => {
      reject(new Error(`the child host exited with ${String(code)} before listening`));
    });
  });
  return child;
}

async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
}

beforeAll(async () => {
  e2e = await startE2ePipeline({ simulator: { seed: 11 } });
  folder = mkdtempSync(join(tmpdir(), 'graph-notify-crash-'));
  settingsFile = join(folder, 'local.settings.json');
  // The same settings the in-process host had (dev secrets of this run only), in local.settings.json form.
  writeFileSync(settingsFile, JSON.stringify({ IsEncrypted: false, Values: e2e.pipeline.settings }));
  touchEverythingInScope(e2e, 'baseline');
  await untilQuiet(e2e);
  // From here on the app runs in a child process on the same port, Azurite and simulator.
  await e2e.pipeline.host.stop();
}, 120_000);

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited(child);
  }
  await e2e.pipeline.stop();
  rmSync(folder, { recursive: true, force: true });
});

describe('a crash of the host process', () => {
  it(`loses nothing when the host is killed while it processes a burst of ${BURST} changes`, async () => {
    const { sim, demo } = e2e;
    const first = await startChildHost();
    const before = (await e2e.pipeline.status()).resources ?? 0;

    sim.workload.run(BURST, {
      tenantId: demo.tenantId,
      userIds: [demo.adeleId, demo.alexId],
      mix: { message: 3, event: 1, contact: 1, driveItem: 1, user: 1 },
    });
    await sim.clock.settle();
    // Kill once processing has visibly started (new blobs) and is visibly unfinished (messages queued).
    let killedWhileQueued = 0;
    const deadline = Date.now() + 120_000;
    for (;;) {
      const status = await e2e.pipeline.status();
      if ((status.resources ?? 0) > before && (status.queued ?? 0) > 0) {
        first.kill('SIGKILL');
        killedWhileQueued = status.queued ?? 0;
        break;
      }
      if ((status.queued ?? 0) === 0 && (status.delivery?.pending ?? 0) === 0 && (status.resources ?? 0) > before)
        break;
      if (Date.now() > deadline)
        throw new Error(
          `processing never started: ${formatStatusLine(status)}; queued ${String(status.queued)}, Graph pending ${String(status.delivery?.pending)}`,
        );
      // Notifications Graph holds for later (reordering, retries) go out when virtual time moves on.
      if ((status.queued ?? 0) === 0 && (status.delivery?.pending ?? 0) > 0) await sim.clock.advance(30_000);
      else await delay(20);
    }
    await exited(first);
    // Changes made while the host is down: Graph's POSTs fail and are retried later.
    sim.workload.run(20, { tenantId: demo.tenantId, userIds: [demo.adeleId], mix: { message: 1 } });
    // Graph sends them after a message's latency and its reordering, while the host is still down.
    const { latency, reorderWindowMs } = sim.options.delivery;
    await sim.clock.advance(latency.byResource.message.maxMs * latency.scale + reorderWindowMs);

    await startChildHost();
    const convergeBy = Date.now() + 180_000;
    for (let calm = 0; calm < 2;) {
      await sim.clock.settle();
      const status = await e2e.pipeline.status();
      const quiet = status.queued === 0 && (status.delivery?.pending ?? 0) === 0;
      calm = quiet ? calm + 1 : 0;
      if (Date.now() > convergeBy)
        throw new Error(
          `not quiet after the restart: ${formatStatusLine(status)}; queued ${String(status.queued)}, Graph pending ${String(status.delivery?.pending)}`,
        );
      if ((status.delivery?.pending ?? 0) > 0 && status.queued === 0) await sim.clock.advance(60_000);
      else await delay(200);
    }
    const truth = await compareWithGroundTruth(e2e);
    const notReached = await changesNotReached(e2e);
    const status = await e2e.pipeline.status();

    expect(first.signalCode).toBe('SIGKILL');
    expect(killedWhileQueued).toBeGreaterThan(0);
    expect({ missing: truth.missing, different: truth.different, stale: truth.stale }).toEqual({
      missing: [],
      different: [],
      stale: [],
    });
    expect(notReached).toEqual([]);
    expect(sim.notifications({ kind: 'change' }).filter((record) => record.status !== 'delivered')).toEqual([]);
    expect(sim.deliveryAttempts().some((attempt) => attempt.outcome === 'network-error')).toBe(true);
    expect(status.poison).toBe(0);
  }, 300_000);
});
