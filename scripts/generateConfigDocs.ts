/**
 * `npm run docs:config`: writes docs/configuration.md, local.settings.json.example and
 * infra/app/settingDefaults.json from the settings catalogue and host.json. `--check` writes nothing and
 * exits 1 when a file is out of date (the contract test does the same comparison).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { settingAreas } from '../src/lib/config';
import { renderGeneratedFiles } from './configDocs';

const root = join(__dirname, '..');

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** Writes (or with `--check`, only compares) the generated files; returns the exit code. */
export function main(args: readonly string[]): number {
  const check = args.includes('--check');
  const hostJson: unknown = JSON.parse(readFileSync(join(root, 'host.json'), 'utf8'));
  const stale: string[] = [];
  for (const [relative, content] of Object.entries(renderGeneratedFiles(settingAreas, hostJson))) {
    const path = join(root, relative);
    if (readOrEmpty(path) === content) continue;
    stale.push(relative);
    if (!check) writeFileSync(path, content);
  }
  if (check && stale.length > 0) {
    console.error(`Out of date: ${stale.join(', ')}. Run npm run docs:config`);
    return 1;
  }
  console.log(stale.length === 0 ? 'Generated configuration files are up to date.' : `Wrote ${stale.join(', ')}`);
  return 0;
}

// Run only as a script: the contract test imports `main` to check the command itself.
if (require.main === module) process.exitCode = main(process.argv.slice(2));
