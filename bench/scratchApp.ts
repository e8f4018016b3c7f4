/**
 * A function app in a fresh temporary folder, for benches that measure the host with something other than this app:
 * `app.js` as the package's `main` (and any other `files`), a minimal host.json, and this repository's node_modules
 * linked in, so `require('@azure/functions')` finds the copy the local host drives. The caller removes the folder.
 */
import { mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(__dirname, '..');

export function scratchApp(name: string, appJs: string, files: Readonly<Record<string, string>> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, main: 'app.js' }));
  writeFileSync(join(dir, 'host.json'), JSON.stringify({ version: '2.0' }));
  writeFileSync(join(dir, 'app.js'), appJs);
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}
