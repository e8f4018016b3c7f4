/**
 * Who can call what, read from the sources (the deployment hook cannot run here): the key the deployment gives
 * Graph is a function-specific key of each webhook, never a host key, and only the webhooks accept such a key.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRepoFile, repoRoot } from './bicepText';

const WEBHOOKS = ['receiveNotifications', 'receiveLifecycleNotifications'];

/** `name -> authLevel` of every app.http registration under src/functions. */
function httpAuthLevels(): Map<string, string> {
  const levels = new Map<string, string>();
  for (const file of readdirSync(join(repoRoot, 'src', 'functions')).filter((name) => name.endsWith('.ts'))) {
    const text = readRepoFile(`src/functions/${file}`);
    for (const match of text.matchAll(/app\.http\('(\w+)',\s*\{([^]*?)\}\);/g)) {
      const level = /authLevel:\s*'(\w+)'/.exec(match[2] ?? '')?.[1] ?? 'anonymous';
      levels.set(match[1] ?? '', level);
    }
  }
  return levels;
}

describe('access', () => {
  it('only the webhooks accept a function key; the management API needs the master key', () => {
    const levels = httpAuthLevels();

    expect([...levels.entries()].filter(([, level]) => level === 'function').map(([name]) => name).sort()).toEqual([...WEBHOOKS].sort());
    expect(levels.get('manageSubscriptions')).toBe('admin');
    expect([...levels.values()]).not.toContain('anonymous');
  });

  it('the post-deploy hook gives each webhook its own function key and creates no host key', () => {
    const hook = readRepoFile('infra/hooks/postdeploy.sh')
      .split('\n')
      .filter((line) => !line.trimStart().startsWith('#'))
      .join('\n');

    expect(hook).not.toMatch(/az functionapp keys set/);
    expect(hook).toMatch(/az functionapp function keys set [^\n]*--function-name "\$2"/);
    for (const name of WEBHOOKS) expect(hook).toMatch(new RegExp(`install_key [a-z-]+-url ${name}\\b`));
  });
});
