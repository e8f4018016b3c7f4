/**
 * The deployment package azd uploads (azure.yaml `dist: dist/package`, `remoteBuild: false`): the folder
 * scripts/stageDeployment.mjs lays out before azd packages, holding host.json, package.json, the bundle and
 * the production dependencies only; nothing is built on the server. Azure Functions Core Tools (a local
 * development tool with a download in its install script) is neither a dependency nor in the lock file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readRepoFile, repoRoot } from './bicepText';

interface Staging {
  readonly PACKAGE_DIR: string;
  readonly PACKAGE_FILES: readonly string[];
}
/** scripts/stageDeployment.mjs, plain JavaScript the type checker does not read. */
async function staging(): Promise<Staging> {
  return (await import(pathToFileURL(join(repoRoot, 'scripts', 'stageDeployment.mjs')).href)) as Staging;
}

const CORE_TOOLS = 'azure-functions-core-tools';
const azureYaml = readRepoFile('azure.yaml');
const packageJson = JSON.parse(readRepoFile('package.json')) as Record<string, unknown>;
const lock = JSON.parse(readRepoFile('package-lock.json')) as {
  packages: Record<
    string,
    { dev?: boolean; optional?: boolean; hasInstallScript?: boolean; os?: unknown; cpu?: unknown; gypfile?: boolean }
  >;
};

describe('deployment package (dist/package)', () => {
  it('is the folder azd zips, staged by the prepackage hook in both shells, with no remote build', async () => {
    const { PACKAGE_DIR } = await staging();

    expect(azureYaml).toMatch(/^ {4}dist: dist\/package$/m);
    expect(azureYaml).toMatch(/^ {4}remoteBuild: false$/m);
    expect(azureYaml).toMatch(
      /^ {4}hooks:\n {6}prepackage:\n {8}posix:\n {10}shell: sh\n {10}run: node scripts\/stageDeployment\.mjs\n {8}windows:\n {10}shell: pwsh\n {10}run: node scripts\/stageDeployment\.mjs$/m,
    );
    expect(PACKAGE_DIR).toBe(join(repoRoot, 'dist', 'package'));
  });

  it('holds what the host loads: host.json, package.json with its main, and the lock the install follows', async () => {
    const { PACKAGE_FILES } = await staging();

    expect(PACKAGE_FILES).toEqual(['host.json', 'package.json', 'package-lock.json', packageJson.main]);
  });

  it('installs the production dependencies only, without install scripts', () => {
    const stage = readFileSync(join(repoRoot, 'scripts', 'stageDeployment.mjs'), 'utf8');

    expect(stage).toContain("['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund']");
  });

  it('has no root .funcignore excluding node_modules, which azd rejects with remoteBuild: false', () => {
    const funcignore = join(repoRoot, '.funcignore');

    expect(existsSync(funcignore) && /^node_modules\/?$/m.test(readFileSync(funcignore, 'utf8'))).toBe(false);
  });

  it('needs no build for Linux: no production dependency is native or bound to an OS or CPU', () => {
    const production = Object.entries(lock.packages).filter(([path, entry]) => path !== '' && entry.dev !== true);
    // protobufjs's postinstall only warns about version schemes; the package skips install scripts anyway.
    const withScripts = production.filter(([, entry]) => entry.hasInstallScript === true).map(([path]) => path);

    expect(production.length).toBeGreaterThan(0);
    expect(withScripts).toEqual(['node_modules/protobufjs']);
    expect(
      production.filter(([, entry]) => entry.gypfile === true || entry.os !== undefined || entry.cpu !== undefined),
    ).toEqual([]);
  });
});

describe('Core Tools stay out of the build', () => {
  it('is in no dependency section of package.json', () => {
    const sections = [
      'dependencies',
      'devDependencies',
      'optionalDependencies',
      'peerDependencies',
      'bundleDependencies',
    ];
    const named = sections.filter((section) =>
      Object.keys((packageJson[section] as Record<string, string> | undefined) ?? {}).includes(CORE_TOOLS),
    );

    expect(named).toEqual([]);
  });

  it('is not in package-lock.json, so staging the package never downloads it', () => {
    expect(Object.keys(lock.packages).filter((path) => path.includes(CORE_TOOLS))).toEqual([]);
  });

  it('has no install-time script that could fetch tools while the package is staged', () => {
    const scripts = (packageJson.scripts as Record<string, string> | undefined) ?? {};

    expect(['preinstall', 'install', 'postinstall', 'prepare'].filter((name) => name in scripts)).toEqual([]);
  });
});
