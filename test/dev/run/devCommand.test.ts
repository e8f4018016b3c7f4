/**
 * `npm run dev` as a user runs it: a real `npm` child in a process group of its own, signalled the way a
 * terminal's Ctrl-C signals its foreground group (every process in it). While it runs, the
 * `graph-notify` command works against it with no settings of its own; one SIGINT stops everything
 * gracefully, a second forces.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT, runCli } from '../../../src/cli/run';
import { DEV_SESSION_FILE } from '../../../src/cli/settings';
import type { SubscriptionView } from '../../../src/lib/subscriptions';

const repoRoot = join(__dirname, '..', '..', '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

interface DevRun {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves when every process of the group has closed its output. */
  readonly closed: Promise<void>;
  waitFor(pattern: RegExp): Promise<string>;
  /** SIGINT to the whole group, as Ctrl-C in a terminal. */
  ctrlC(): void;
}

let running: DevRun | undefined;

afterEach(() => {
  if (running?.child.pid !== undefined && running.child.exitCode === null) {
    try {
      process.kill(-running.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  running = undefined;
});

function startDev(): DevRun {
  const child = spawn(npm, ['run', '-s', 'dev', '--', '--port', '0', '--no-workload'], {
    cwd: repoRoot,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const waiters: { pattern: RegExp; resolve: (text: string) => void }[] = [];
  const onData = (chunk: Buffer): void => {
    output += chunk.toString();
    for (const waiter of [...waiters]) {
      const match = waiter.pattern.exec(output);
      if (match !== null) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(match[0]);
      }
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const closed = new Promise<void>((resolve) =>
    child.once('close', () => {
      resolve();
    }),
  );
  const run: DevRun = {
    child,
    output: () => output,
    closed,
    waitFor: (pattern) =>
      new Promise<string>((resolve, reject) => {
        const match = pattern.exec(output);
        if (match !== null) {
          resolve(match[0]);
          return;
        }
        waiters.push({ pattern, resolve });
        void closed.then(() => {
          reject(new Error(`npm run dev ended before printing ${String(pattern)}:\n${output}`));
        });
      }),
    ctrlC: () => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGINT');
    },
  };
  running = run;
  return run;
}

describe('npm run dev in a terminal', () => {
  it(
    'lets graph-notify list its subscriptions with no manual step, and stops everything gracefully on one Ctrl-C',
    { timeout: 240_000 },
    async () => {
      // Prepare
      const dev = startDev();
      const created = Number(
        (await dev.waitFor(/Demo tenant +\S+: (\d+) subscriptions/)).match(/: (\d+) subscriptions/)?.[1],
      );
      await dev.waitFor(/CLI +npx graph-notify/);
      const out: string[] = [];
      const err: string[] = [];

      // Act: the CLI with an empty environment, from the repository root.
      const code = await runCli(['subscriptions', 'list', '--json'], {
        env: {},
        cwd: repoRoot,
        stdout: (text) => out.push(text),
        stderr: (text) => err.push(text),
      });
      dev.ctrlC();
      await dev.closed;

      // Assess
      expect(err.join('\n')).toBe('');
      expect(code).toBe(EXIT.ok);
      const listed = JSON.parse(out.join('\n')) as SubscriptionView[];
      expect(created).toBeGreaterThan(0);
      expect(listed).toHaveLength(created);
      expect(listed.every((view) => view.status === 'active')).toBe(true);
      const output = dev.output();
      expect(output.match(/SIGINT: stopping/g)).toHaveLength(1);
      expect(output).not.toContain('exiting without waiting');
      expect(output).toContain('Stopped.');
      expect(existsSync(join(repoRoot, DEV_SESSION_FILE))).toBe(false);
    },
  );

  it('exits at once on a second Ctrl-C, even during start-up', { timeout: 240_000 }, async () => {
    // Prepare
    const dev = startDev();
    await dev.waitFor(/Starting Azurite/);

    // Act
    dev.ctrlC();
    await dev.waitFor(/SIGINT: stopping/);
    dev.ctrlC();
    await dev.closed;

    // Assess
    expect(dev.output()).toContain('SIGINT again: exiting without waiting');
    expect(dev.output()).not.toContain('Stopped.');
  });

  it('answers a wrong flag with the usage and exit 2, starting nothing', { timeout: 60_000 }, async () => {
    const child = spawn(npm, ['run', '-s', 'dev', '--', '--no-such-flag'], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));

    expect(code).toBe(2);
    expect(stderr).toContain("npm run dev: Unknown option '--no-such-flag'");
    expect(stderr).toContain('Usage: npm run dev [-- options]');
  });
});
