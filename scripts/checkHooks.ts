/**
 * `npm run check:hooks`: gets the azd hooks (infra/hooks) ready to be tested under both shells azd runs
 * them with, and lints the POSIX ones.
 *
 * - shellcheck (Debian's package) on every tracked shell script: the *.sh files and .ci/run.
 * - PowerShell for the Windows hooks: the NuGet dotnet tool `PowerShell`, pinned to POWERSHELL_VERSION and
 *   installed with `dotnet tool install --tool-path` into a folder per version under the user's cache (shared
 *   by every clone, cached between CI runs), as scripts/checkBicep.ts restores the Bicep CLI. The hook tests
 *   (test/infra/hooks.test.ts, part of `npm test`) run the hooks with it.
 *
 * Without a tool the step says it skipped and exits 0, except with CI=true, where a missing shellcheck or
 * `dotnet` is a failure (.ci/run installs shellcheck first).
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..');
/** The PowerShell the Windows hooks are tested with; raise it on purpose. */
export const POWERSHELL_VERSION = '7.6.10';

function run(command: string, args: readonly string[]): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd: root, encoding: 'utf8', shell: false });
}

function hasCommand(command: string, versionFlag: string): boolean {
  const result = run(command, [versionFlag]);
  return result.error === undefined && result.status === 0;
}

/** Where `dotnet tool install --tool-path` puts the pinned PowerShell. */
export function powerShellFolder(): string {
  return join(
    process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'),
    'graph-notify',
    `powershell-${POWERSHELL_VERSION}`,
  );
}

/** The pinned PowerShell's executable, or undefined before `npm run check:hooks` installed it. */
export function powerShellExecutable(): string | undefined {
  const executable = join(powerShellFolder(), process.platform === 'win32' ? 'pwsh.exe' : 'pwsh');
  return existsSync(executable) ? executable : undefined;
}

/** A step's outcome: a problem to report (a failure), or a note (fine, or skipped outside CI). */
type Outcome = { readonly problem: string } | { readonly note: string };

function missingTool(message: string): Outcome {
  return process.env.CI === 'true'
    ? { problem: `${message}, and CI requires it.` }
    : { note: `skipped: ${message}; CI runs this step.` };
}

/** Every POSIX shell script of the working tree (tracked or new, not ignored). */
function shellScripts(): string[] {
  const listed = run('git', ['ls-files', '--cached', '--others', '--exclude-standard', '*.sh']);
  const files = listed.status === 0 ? listed.stdout.split('\n').filter(Boolean) : [];
  return [...files, '.ci/run'];
}

function shellcheck(): Outcome {
  if (!hasCommand('shellcheck', '--version'))
    return missingTool('shellcheck is not installed (Debian: apt-get install shellcheck)');
  const scripts = shellScripts();
  const result = run('shellcheck', ['--external-sources', ...scripts]);
  if (result.status !== 0) return { problem: `shellcheck found problems:\n${result.stdout}${result.stderr}` };
  return { note: `shellcheck: ${scripts.join(', ')} clean.` };
}

function installPowerShell(): Outcome {
  const installed = powerShellExecutable();
  if (installed !== undefined) return { note: `PowerShell ${POWERSHELL_VERSION} at ${installed}.` };
  if (!hasCommand('dotnet', '--version'))
    return missingTool('`dotnet` (the .NET SDK) is not installed to install PowerShell');
  const folder = powerShellFolder();
  const install = run('dotnet', [
    'tool',
    'install',
    'PowerShell',
    '--version',
    POWERSHELL_VERSION,
    '--tool-path',
    folder,
  ]);
  if (install.status !== 0 || powerShellExecutable() === undefined) {
    return {
      problem: `dotnet tool install PowerShell ${POWERSHELL_VERSION} failed:\n${install.stdout}${install.stderr}`,
    };
  }
  return { note: `PowerShell ${POWERSHELL_VERSION} installed in ${folder}.` };
}

export function main(): number {
  const outcomes = [shellcheck(), installPowerShell()];
  for (const outcome of outcomes) {
    if ('problem' in outcome) process.stderr.write(`check:hooks: ${outcome.problem}\n`);
    else process.stdout.write(`check:hooks: ${outcome.note}\n`);
  }
  return outcomes.some((outcome) => 'problem' in outcome) ? 1 : 0;
}

// Run only as a script, so a test may import the paths.
if (require.main === module) process.exitCode = main();
