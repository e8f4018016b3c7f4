/**
 * The second half of `npm run build`: bundles the Functions app (src/index.ts, then every function module
 * in src/functions, the order the Functions worker loads package.json `main` in) into one file,
 * dist/app.js, which is package.json `main` for the Functions host, the local host and the deployment
 * alike. One file instead of several hundred spares the cold start the module resolution and the file
 * reads of the app and its small dependencies (zod, jose). The Azure packages stay outside, in
 * node_modules: `@azure/functions` must be the copy the worker hands its runtime to; the storage and
 * identity SDKs and MSAL load only on first use (storageClients.ts), and inside the bundle V8 would
 * still parse their megabytes at every start; the Azure Monitor distribution loads only with a
 * connection string and patches modules as they load. `@opentelemetry/api` stays shared with it.
 * `tsc` still emits dist/src for the `graph-notify` command.
 */
import { build } from 'esbuild';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..');
const APP_BUNDLE = 'dist/app.js';

/** The modules the worker would load from the unbundled `main`, in its order. */
function appModules(): string[] {
  const functions = readdirSync(join(root, 'src', 'functions'))
    .filter((name) => name.endsWith('.ts'))
    .sort()
    .map((name) => `./src/functions/${name.slice(0, -'.ts'.length)}`);
  return ['./src/index', ...functions];
}

async function main(): Promise<void> {
  await build({
    stdin: { contents: appModules().map((path) => `require(${JSON.stringify(path)});`).join('\n'), resolveDir: root, sourcefile: 'app-entry.js', loader: 'js' },
    outfile: join(root, APP_BUNDLE),
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    external: ['@azure/*', '@opentelemetry/*'],
    minify: true,
    // Error and class names stay readable in logs.
    keepNames: true,
    sourcemap: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`bundleApp: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
