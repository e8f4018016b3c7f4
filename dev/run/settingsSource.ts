/**
 * What `npm run dev` says about its settings before it starts: which file it reads, and that
 * local.settings.json is not read without --tenant (the simulator run brings its own settings), so an
 * edit there that seems to change nothing is explained. In tenant mode it also names misspelt settings.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describeMisspeltSettings } from '../../src/lib/config';

/** The lines to print for a run from `appDir`, in tenant mode or not. */
export function settingsSourceLines(appDir: string, tenant: boolean): string[] {
  const file = resolve(appDir, 'local.settings.json');
  if (!tenant) {
    const ignored = existsSync(file) ? `${file} is ignored` : 'local.settings.json is not read';
    return [`Settings: the simulator run's own (dev/run/startLocalPipeline.ts); ${ignored} without --tenant.`];
  }
  if (!existsSync(file))
    return [
      `Settings: ${file}, which does not exist: copy local.settings.json.example and fill in the GRAPH_* settings.`,
    ];
  return [`Settings: ${file} (Values), for the GRAPH_* settings and NOTIFICATION_URL.`, ...misspelt(file)];
}

function misspelt(file: string): string[] {
  try {
    const values = (JSON.parse(readFileSync(file, 'utf8')) as { Values?: Record<string, string> }).Values ?? {};
    return describeMisspeltSettings(values).map((line) => `  warning: ${line}`);
  } catch {
    // The pipeline reports a file it cannot read, with the reason.
    return [];
  }
}
