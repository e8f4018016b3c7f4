/**
 * `npm run check:bicep`: compiles and lints every Bicep file under infra/ with the real Bicep CLI and fails
 * on any error or linter warning (Bicep itself exits 0 on warnings, so its diagnostics are read here). A
 * warning that must stay is suppressed in place with `#disable-next-line <rule>` and a comment saying why.
 *
 * The CLI is the NuGet package pinned in scripts/bicep/bicepCli.csproj, restored with `dotnet restore` into
 * NuGet's global packages folder (shared by every clone, cached between runs). Without the .NET SDK the
 * check says it skipped and exits 0, except with CI=true, where a missing `dotnet` is a failure.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..');
const cliProject = join(root, 'scripts', 'bicep', 'bicepCli.csproj');
const assetsFile = join(root, 'scripts', 'bicep', 'obj', 'project.assets.json');
/** Every Bicep file: main.bicep is the only entry point, the modules are linted on their own as well. */
const BICEP_FILES = 'infra/**/*.bicep';
/** Bicep's default diagnostic line: `<path>(<line>,<col>) : <Level> <code>: <message>`. */
const DIAGNOSTIC = /^.+\(\d+,\d+\) : (Error|Warning|Info) [^:]+: .+$/;

function run(command: string, args: readonly string[]): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd: root, encoding: 'utf8', shell: false });
}

function hasDotnet(): boolean {
  const result = run('dotnet', ['--version']);
  return result.error === undefined && result.status === 0;
}

interface RestoreAssets {
  readonly packageFolders: Record<string, unknown>;
  readonly project: {
    readonly frameworks: Record<
      string,
      { readonly downloadDependencies?: readonly { name: string; version: string }[] }
    >;
  };
}

/** The restored CLI's path, from what `dotnet restore` recorded: the packages folder, name and exact version. */
function bicepExecutable(): string {
  const assets = JSON.parse(readFileSync(assetsFile, 'utf8')) as RestoreAssets;
  const download = Object.values(assets.project.frameworks).flatMap(
    (framework) => framework.downloadDependencies ?? [],
  )[0];
  const folder = Object.keys(assets.packageFolders)[0];
  if (download === undefined || folder === undefined)
    throw new TypeError(`${assetsFile} names no downloaded Bicep package`);
  const version = /^\[([^,\]]+)/.exec(download.version)?.[1] ?? download.version;
  const executable = join(
    folder,
    download.name.toLowerCase(),
    version,
    'tools',
    process.platform === 'win32' ? 'bicep.exe' : 'bicep',
  );
  if (!existsSync(executable)) throw new TypeError(`The Bicep CLI is not at ${executable} after restore`);
  return executable;
}

/** Runs one Bicep command; returns the problems it reported (diagnostics, or the failure itself). */
function bicep(executable: string, args: readonly string[]): string[] {
  const result = run(executable, args);
  if (result.error !== undefined) return [`bicep ${args[0] ?? ''} could not run: ${result.error.message}`];
  const output = `${result.stdout}\n${result.stderr}`.split('\n').map((line) => line.trim());
  const diagnostics = output.filter((line) => DIAGNOSTIC.test(line));
  if (result.status !== 0 && diagnostics.length === 0)
    return [`bicep ${args.join(' ')} exited ${String(result.status)}: ${output.join(' ').trim()}`];
  return diagnostics;
}

export function main(): number {
  if (!hasDotnet()) {
    if (process.env.CI === 'true') {
      process.stderr.write(
        'check:bicep: `dotnet` (the .NET SDK) is required in CI to restore and run the Bicep CLI, and it is not on PATH.\n',
      );
      return 1;
    }
    process.stdout.write(
      'check:bicep: skipped, `dotnet` (the .NET SDK) is not installed; CI runs this check. Install the SDK to run it here.\n',
    );
    return 0;
  }
  const restore = run('dotnet', ['restore', cliProject, '--nologo', '--verbosity', 'quiet']);
  if (restore.status !== 0) {
    process.stderr.write(`check:bicep: dotnet restore failed:\n${restore.stdout}${restore.stderr}\n`);
    return 1;
  }
  const executable = bicepExecutable();
  const outDir = mkdtempSync(join(tmpdir(), 'graph-notify-bicep-'));
  try {
    const version = run(executable, ['--version']).stdout.trim();
    const problems = [
      ...bicep(executable, ['build', '--pattern', BICEP_FILES, '--outdir', outDir]),
      ...bicep(executable, ['lint', '--pattern', BICEP_FILES]),
    ];
    const unique = [...new Set(problems)];
    if (unique.length > 0) {
      process.stderr.write(
        `check:bicep: ${version} found ${String(unique.length)} problem(s) in ${BICEP_FILES}:\n${unique.join('\n')}\n`,
      );
      return 1;
    }
    process.stdout.write(`check:bicep: ${BICEP_FILES} builds and lints clean with ${version}.\n`);
    return 0;
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

// Run only as a script, so a test may import `main`.
if (require.main === module) process.exitCode = main();
