/**
 * Loads a compiled function app the way the Functions Node worker does: read package.json `main`,
 * expand it, and `require` each entry file in order. Unlike the worker, which only logs a warning
 * when an entry fails to load, a load failure here is fatal: a dev host that silently serves half an
 * app hides the bug it should show.
 *
 * Loading is undoable. `unloadApp` drops the app's own files and the `@azure/functions` bundle
 * from the CommonJS cache, so the next host in the same process (tests start several) gets a fresh
 * library with no functions registered and no setup lock. Native ES modules cannot be evicted, so
 * only CommonJS apps are supported (what `tsc` emits without `"type": "module"`).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, join, sep } from 'node:path';
import { describeError } from '../../src/lib/shared/redact';
import { LocalHostError } from './errors';
import { expandMainGlob } from './expandMainGlob';

const FUNCTIONS_LIBRARY = '@azure/functions';

interface PackageJson {
  readonly main?: unknown;
  readonly type?: unknown;
}

function readPackageJson(appDir: string): PackageJson {
  const file = join(appDir, 'package.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new LocalHostError('ERR_LOCAL_HOST_APP_INVALID', `Cannot read ${file}: ${describeError(error)}`, {
      cause: error,
    });
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
    return parsed;
  } catch (error) {
    throw new LocalHostError('ERR_LOCAL_HOST_APP_INVALID', `${file} is not valid JSON: ${describeError(error)}`, {
      cause: error,
    });
  }
}

/** The entry files (relative, `/`-separated) named by `main` (or package.json `main`), in load order. */
export function resolveEntryFiles(appDir: string, mainOverride?: string): string[] {
  const packageJson = readPackageJson(appDir);
  const main = mainOverride ?? packageJson.main;
  if (typeof main !== 'string' || main.trim() === '') {
    throw new LocalHostError(
      'ERR_LOCAL_HOST_APP_INVALID',
      `${join(appDir, 'package.json')} has no "main" naming the app's entry files`,
    );
  }
  const files = expandMainGlob(appDir, main);
  if (files.length === 0) {
    throw new LocalHostError(
      'ERR_LOCAL_HOST_APP_INVALID',
      `"main" pattern "${main}" matches no file under ${appDir} (is the app built? run \`npm run build\`)`,
    );
  }
  const esm = files.filter(
    (file) => extname(file) === '.mjs' || (packageJson.type === 'module' && extname(file) === '.js'),
  );
  if (esm.length > 0) {
    throw new LocalHostError(
      'ERR_LOCAL_HOST_UNSUPPORTED',
      `The local host loads CommonJS entry files only; ${esm.join(', ')} would load as ES modules`,
    );
  }
  return files;
}

function isAppFile(appDir: string, filename: string): boolean {
  const root = appDir.endsWith(sep) ? appDir : `${appDir}${sep}`;
  return filename.startsWith(root) && !filename.slice(root.length).split(sep).includes('node_modules');
}

function libraryFilename(appDir: string): string | undefined {
  try {
    return createRequire(join(appDir, 'package.json')).resolve(FUNCTIONS_LIBRARY);
  } catch {
    return undefined;
  }
}

/** Forgets the app's modules and its copy of `@azure/functions` so the next load starts clean. */
export function unloadApp(appDir: string): void {
  const cache = createRequire(join(appDir, 'package.json')).cache;
  const library = libraryFilename(appDir);
  for (const filename of Object.keys(cache)) {
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- require.cache is keyed by file name by design.
    if (filename === library || isAppFile(appDir, filename)) delete cache[filename];
  }
}

/** Requires each entry file in order; the first failure names the file and stops the load. */
export function loadApp(appDir: string, entryFiles: readonly string[]): void {
  unloadApp(appDir);
  const requireFromApp = createRequire(join(appDir, 'package.json'));
  for (const file of entryFiles) {
    const absolute = join(appDir, file);
    try {
      requireFromApp(absolute);
    } catch (error) {
      throw new LocalHostError(
        'ERR_LOCAL_HOST_APP_INVALID',
        `Loading entry file ${file} failed: ${describeError(error)}`,
        {
          cause: error,
        },
      );
    }
  }
}
