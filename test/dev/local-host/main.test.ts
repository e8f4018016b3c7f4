import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sampleAppDir, sampleSettings } from './support';

const repoRoot = join(__dirname, '..', '..', '..');

let child: ChildProcess | undefined;

/** Runs `dev/local-host/main.ts` with these arguments until it exits; its exit code and standard error. */
async function runLocalHostCli(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  const started = spawn(process.execPath, ['--import', 'tsx', join('dev', 'local-host', 'main.ts'), ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = started;
  let stderr = '';
  started.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => {
    started.once('exit', (exitCode) => {
      resolve(exitCode);
    });
  });
  return { code, stderr };
}
let tempDir: string | undefined;

afterEach(() => {
  if (child?.exitCode === null) child.kill('SIGKILL');
  child = undefined;
  if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
  tempDir = undefined;
});

describe('dev/local-host/main.ts', () => {
  it('serves the app from --app with --settings on --port, and on SIGINT lets a running request finish before exiting 0', async () => {
    // Prepare
    tempDir = mkdtempSync(join(tmpdir(), 'local-host-cli-'));
    const settingsFile = join(tempDir, 'settings.json');
    writeFileSync(settingsFile, JSON.stringify({ IsEncrypted: false, Values: sampleSettings() }));
    const started = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join('dev', 'local-host', 'main.ts'),
        '--app',
        sampleAppDir,
        '--port',
        '0',
        '--settings',
        settingsFile,
      ],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = started;
    let stdout = '';
    let stderr = '';
    started.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    started.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => {
      started.once('exit', (code) => {
        resolve(code);
      });
    });
    const baseUrl = await vi.waitFor(
      () => {
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
        if (match?.[1] === undefined) throw new Error(`not listening yet: ${stdout}${stderr}`);
        return match[1];
      },
      { timeout: 20_000, interval: 50 },
    );

    // Act: `slow` takes 1.5 s; the signal arrives while it runs.
    const slow = fetch(`${baseUrl}/api/slow`);
    await vi.waitFor(
      () => {
        expect(stdout).toContain("Executing 'Functions.slow'");
      },
      { timeout: 10_000, interval: 20 },
    );
    started.kill('SIGINT');
    const response = await slow;

    // Assess
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('late');
    expect(await exited).toBe(0);
    expect(stderr).toContain('SIGINT: stopping the local host');
    expect(stdout).toMatch(/echo: \[GET,POST,PUT\] http:\/\/127\.0\.0\.1:\d+\/api\/items\/\{id\}\/\{detail\?\}/);
  });

  it('exits 1 with the problem when the app cannot be loaded', async () => {
    // Prepare
    tempDir = mkdtempSync(join(tmpdir(), 'local-host-cli-'));
    const settingsFile = join(tempDir, 'settings.json');
    writeFileSync(settingsFile, JSON.stringify({ IsEncrypted: false, Values: sampleSettings() }));

    // Act
    const { code, stderr } = await runLocalHostCli([
      '--app',
      join(sampleAppDir, 'missing'),
      '--settings',
      settingsFile,
    ]);

    // Assess
    expect(code).toBe(1);
    expect(stderr).toMatch(/local-host: LocalHostError \[ERR_LOCAL_HOST_APP_INVALID\]: Cannot read .*package\.json/);
  });

  it('names the command that creates a missing local.settings.json from the example, and exits 1', async () => {
    // Prepare: an app folder with the example but no local.settings.json.
    tempDir = mkdtempSync(join(tmpdir(), 'local-host-cli-'));
    copyFileSync(join(repoRoot, 'local.settings.json.example'), join(tempDir, 'local.settings.json.example'));

    // Act
    const { code, stderr } = await runLocalHostCli(['--app', tempDir]);

    // Assess
    expect(code).toBe(1);
    expect(stderr).toContain(`${join(tempDir, 'local.settings.json')} is missing`);
    expect(stderr).toContain(
      `cp ${join(tempDir, 'local.settings.json.example')} ${join(tempDir, 'local.settings.json')}`,
    );
    expect(stderr).not.toContain('QUEUE_NAME');
  });
  it('refuses a --running-visibility that is not a whole number of seconds from 1 to 604800, and exits 1', async () => {
    // Prepare
    tempDir = mkdtempSync(join(tmpdir(), 'local-host-cli-'));
    const settingsFile = join(tempDir, 'settings.json');
    writeFileSync(settingsFile, JSON.stringify({ IsEncrypted: false, Values: sampleSettings() }));

    // Act
    const notANumber = await runLocalHostCli([
      '--app',
      sampleAppDir,
      '--settings',
      settingsFile,
      '--running-visibility',
      '10s',
    ]);
    const zero = await runLocalHostCli([
      '--app',
      sampleAppDir,
      '--settings',
      settingsFile,
      '--running-visibility',
      '0',
    ]);

    // Assess
    expect(notANumber.code).toBe(1);
    expect(notANumber.stderr).toContain('--running-visibility must be a whole number, got "10s"');
    expect(zero.code).toBe(1);
    expect(zero.stderr).toContain(
      '[ERR_LOCAL_HOST_OPTION]: runningVisibilitySeconds must be a whole number of seconds from 1 to 604800, got 0',
    );
  });
});
