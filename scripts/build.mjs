/**
 * `npm run build`: compiles src with tsc (dist/src, which the `graph-notify` command runs from) and
 * bundles the Functions app into one file, dist/app.js, which is package.json `main` for the Functions
 * host, the local host and the deployment alike. Then it records a fingerprint of its inputs in
 * dist/.build-stamp, so `npm run dev`, `npm start` and `npm run local-host` build only when a source
 * changed (scripts/preflight.mjs).
 *
 * The bundle holds src/index.ts, then every module in src/functions (the order the Functions worker loads
 * an unbundled `main` in) and the app's small dependencies (zod, jose, `@opentelemetry/api`): one file
 * instead of several hundred spares the cold start the module resolution and file reads (the OpenTelemetry
 * API alone is 65 files, about 30 ms). The Azure packages stay outside, in node_modules: `@azure/functions`
 * must be the copy the worker hands its runtime to; the storage and identity SDKs, MSAL and undici (the
 * queue sender's HTTP client) load only on first use (src/adapters/azure/storageClients.ts), and inside the
 * bundle V8 would still parse their megabytes at every start; the Azure Monitor distribution loads only with a
 * connection string and patches modules as they load. The bundled OpenTelemetry API still meets the distribution's: the API
 * keeps its providers and context manager in one global slot per major version, which every copy of
 * the same version reads, so our metrics and spans reach the providers the distribution installs.
 * Every bundled package size counts: V8 parses the whole file at every start.
 *
 * Plain JavaScript, so it runs before anything is compiled.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const STAMP = join(root, 'dist', '.build-stamp');
const OUTPUTS = ['dist/app.js', 'dist/src/cli/main.js'];

/** Every file whose change changes the build's output. */
function inputFiles() {
  const files = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts/build.mjs'];
  const walk = (dir) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts') || entry.name.endsWith('.json')) files.push(path);
    }
  };
  walk('src');
  return files.sort();
}

/** A fingerprint of the inputs' names and contents (not their times, which a checkout changes). */
function fingerprint() {
  const hash = createHash('sha256');
  for (const file of inputFiles()) {
    const path = join(root, file);
    hash.update(`${file}\0`);
    if (existsSync(path)) hash.update(readFileSync(path));
    hash.update('\0');
  }
  return hash.digest('hex');
}

/** Whether dist/ was built from the sources as they are now. */
export function isBuildCurrent() {
  if (!existsSync(STAMP) || OUTPUTS.some((output) => !existsSync(join(root, output)))) return false;
  return readFileSync(STAMP, 'utf8').trim() === fingerprint();
}

/** The modules the worker would load from an unbundled `main`, in its order. */
function appModules() {
  const functions = readdirSync(join(root, 'src', 'functions'))
    .filter((name) => name.endsWith('.ts'))
    .sort()
    .map((name) => `./src/functions/${name.slice(0, -'.ts'.length)}`);
  return ['./src/index', ...functions];
}

/** esbuild's options for the app bundle, less its input and output (test/scripts/bundle.test.ts bundles with them too). */
export const BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  external: ['@azure/*', 'undici'],
  minify: true,
  // Error and class names stay readable in logs.
  keepNames: true,
  legalComments: 'none',
  logLevel: 'warning',
};

/** Compiles, bundles and stamps; throws when a step fails. */
export async function build() {
  const inputs = fingerprint();
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const compiled = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  if (compiled.status !== 0) throw new Error('tsc failed (see above)');
  const { build: bundle } = await import('esbuild');
  await bundle({
    ...BUNDLE_OPTIONS,
    // `import`, not `require`: esbuild then hoists every module into the file's one scope, instead of
    // wrapping each in a function that V8 parses twice at start-up (once skimmed, once when it runs).
    stdin: {
      contents: appModules()
        .map((path) => `import ${JSON.stringify(path)};`)
        .join('\n'),
      resolveDir: root,
      sourcefile: 'app-entry.js',
      loader: 'js',
    },
    outfile: join(root, 'dist', 'app.js'),
    sourcemap: true,
  });
  writeFileSync(STAMP, `${inputs}\n`);
}

if (process.argv[1] !== undefined && relative(fileURLToPath(import.meta.url), process.argv[1]) === '') {
  build().catch((error) => {
    process.stderr.write(`build: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
