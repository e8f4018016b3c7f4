/**
 * The deployment package azd uploads for the Flex Consumption remote build (azure.yaml `remoteBuild: true`):
 * the repository minus what .funcignore excludes. The server runs `npm install` and `npm run build` on it,
 * so the package must carry the sources and the lock file and nothing that runs or downloads more than the
 * app needs: Azure Functions Core Tools (a local development tool with a download in its install script) is
 * neither a dependency nor in the lock file, and no install-time script exists.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRepoFile, repoRoot } from './bicepText';

const CORE_TOOLS = 'azure-functions-core-tools';

const funcignore = readRepoFile('.funcignore')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));

/** A .funcignore pattern without slashes matches any path segment, with `*` standing for any characters. */
function segmentPattern(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
}
const patterns = funcignore.map(segmentPattern);

/** The file `npm run build` runs: the remote build runs it on the server, so the package must carry it. */
const buildCommand = (JSON.parse(readRepoFile('package.json')) as { scripts: Record<string, string | undefined> }).scripts.build ?? '';
const buildScript = /^node (\S+)$/.exec(buildCommand)?.[1] ?? `npm run build is not "node <script>": ${buildCommand}`;

function isIgnored(relativePath: string): boolean {
  return relativePath.split('/').some((segment) => patterns.some((pattern) => pattern.test(segment)));
}

/** Every file the package would hold, walking the working tree and pruning ignored folders. */
function packagedFiles(relativeDir = ''): string[] {
  return readdirSync(join(repoRoot, relativeDir), { withFileTypes: true }).flatMap((entry) => {
    const relative = relativeDir === '' ? entry.name : `${relativeDir}/${entry.name}`;
    if (isIgnored(relative)) return [];
    return entry.isDirectory() ? packagedFiles(relative) : [relative];
  });
}

describe('deployment package (.funcignore)', () => {
  it('uses only patterns this check reads exactly: names and globs, no paths or negations', () => {
    expect(funcignore.filter((pattern) => pattern.includes('/') || pattern.startsWith('!'))).toEqual([]);
  });

  it('holds the sources, the lock file and the build configuration the remote build needs', () => {
    const files = packagedFiles();

    for (const needed of ['package.json', 'package-lock.json', 'host.json', 'tsconfig.json', 'tsconfig.build.json', 'src/index.ts', buildScript]) {
      expect(files, needed).toContain(needed);
    }
  });

  it('holds nothing but src/, the build script and the root files the app or azd reads', () => {
    const allowedAtRoot = new Set([buildScript, 'package.json', 'package-lock.json', 'host.json', 'tsconfig.json', 'tsconfig.build.json', 'azure.yaml', 'README.md', '.nvmrc', '.funcignore']);
    const files = packagedFiles();

    expect(files.filter((file) => !file.startsWith('src/') && !allowedAtRoot.has(file))).toEqual([]);
  });

  it('never ships node_modules, so a locally installed Core Tools cannot reach Azure', () => {
    expect(isIgnored(`node_modules/${CORE_TOOLS}/lib/main.js`)).toBe(true);
    expect(isIgnored('local.settings.json')).toBe(true);
  });
});

describe('Core Tools stay out of the build', () => {
  const packageJson = JSON.parse(readRepoFile('package.json')) as Record<string, unknown>;
  const lock = JSON.parse(readRepoFile('package-lock.json')) as { packages: Record<string, unknown> };

  it('is in no dependency section of package.json', () => {
    const sections = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies', 'bundleDependencies'];
    const named = sections.filter((section) => Object.keys((packageJson[section] as Record<string, string> | undefined) ?? {}).includes(CORE_TOOLS));

    expect(named).toEqual([]);
  });

  it('is not in package-lock.json, so npm install on the build server never downloads it', () => {
    expect(Object.keys(lock.packages).filter((path) => path.includes(CORE_TOOLS))).toEqual([]);
  });

  it('has no install-time script that could fetch tools on the build server', () => {
    const scripts = (packageJson.scripts as Record<string, string> | undefined) ?? {};

    expect(['preinstall', 'install', 'postinstall', 'prepare'].filter((name) => name in scripts)).toEqual([]);
  });
});
