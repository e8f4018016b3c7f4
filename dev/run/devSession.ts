/**
 * The settings file `npm run dev` leaves for the `graph-notify` command: while the stack runs, the CLI
 * (run from the repository root) reads it instead of local.settings.json, so `npx graph-notify
 * subscriptions list` talks to the dev stack's Azurite and Graph with no manual step. Git-ignored and
 * readable by the owner only (it holds the simulator's dev secrets), removed when the stack stops, and
 * ignored by the CLI once the process that wrote it is gone.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEV_SESSION_FILE, type DevSessionFile } from '../../src/cli/settings';

export interface DevSessionSource {
  /** The settings the stack gave the app (they win over the environment and the settings file). */
  readonly settings: Readonly<Record<string, string>>;
  /** The local.settings.json the app also read (tenant mode), or undefined. */
  readonly settingsFile: string | undefined;
}

/** Writes `<dir>/.graph-notify/dev-session.json`; returns a function that removes it. */
export function writeDevSession(dir: string, source: DevSessionSource): () => void {
  const file = join(dir, DEV_SESSION_FILE);
  mkdirSync(join(file, '..'), { recursive: true });
  const content: DevSessionFile = {
    pid: process.pid,
    ...(source.settingsFile === undefined ? {} : { settingsFile: source.settingsFile }),
    Values: { ...source.settings },
  };
  writeFileSync(file, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
  return () => {
    rmSync(file, { force: true });
  };
}
