/**
 * azd's `prepackage` hook for the api service (azure.yaml): lays out the deployment package in dist/package,
 * the folder azure.yaml names as the service's `dist`, which azd zips and uploads as it is (remoteBuild: false).
 *
 * The package holds what the Functions host loads and nothing else: host.json, package.json (its `main` is
 * dist/app.js), the bundle dist/app.js (scripts/build.mjs), and node_modules with the production
 * dependencies only (`npm ci --omit=dev`: the Azure SDKs the bundle leaves outside, docs/decisions/
 * 2026-11-30-cold-start-bundle.md). No devDependency (TypeScript, esbuild, vitest, Azurite...) reaches Azure,
 * and nothing is built on the server. Every production dependency is plain JavaScript (no native addon, which
 * would need building for Linux; test/contract/deploymentPackage.test.ts holds that), so a package staged on
 * Windows or macOS runs on the Linux workers. Install scripts are skipped: none is needed at run time.
 *
 * Plain JavaScript, so it runs before anything is compiled; `node scripts/stageDeployment.mjs` by hand shows
 * what azd would upload.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { build, isBuildCurrent } from './build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The folder azd packages: azure.yaml `services.api.dist`. */
export const PACKAGE_DIR = join(root, 'dist', 'package');
/** Files copied from the repository into the package, at the same relative paths. */
export const PACKAGE_FILES = ['host.json', 'package.json', 'package-lock.json', 'dist/app.js'];

export async function stageDeployment() {
  if (!isBuildCurrent()) await build();
  rmSync(PACKAGE_DIR, { recursive: true, force: true });
  for (const file of PACKAGE_FILES) {
    mkdirSync(dirname(join(PACKAGE_DIR, file)), { recursive: true });
    copyFileSync(join(root, file), join(PACKAGE_DIR, file));
  }
  // npm.cmd on Windows is a batch file, which only a shell starts.
  const install = spawnSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: PACKAGE_DIR,
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  if (install.status !== 0) throw new Error(`npm ci --omit=dev failed in ${relative(root, PACKAGE_DIR)}`);
}

if (process.argv[1] !== undefined && relative(fileURLToPath(import.meta.url), process.argv[1]) === '') {
  stageDeployment().then(
    () => process.stdout.write(`stageDeployment: ${relative(root, PACKAGE_DIR)} holds the deployment package.\n`),
    (error) => {
      process.stderr.write(`stageDeployment: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
