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

    expect(
      [...levels.entries()]
        .filter(([, level]) => level === 'function')
        .map(([name]) => name)
        .sort(),
    ).toEqual([...WEBHOOKS].sort());
    expect(levels.get('manageSubscriptions')).toBe('admin');
    expect([...levels.values()]).not.toContain('anonymous');
  });

  it('the post-deploy hooks give each webhook its own function key and create no host key', () => {
    for (const file of ['infra/hooks/postdeploy.sh', 'infra/hooks/postdeploy.ps1']) {
      const hook = readRepoFile(file)
        .split('\n')
        .filter((line) => !line.trimStart().startsWith('#'))
        .join('\n');

      expect(hook).not.toMatch(/az functionapp keys set|\/host\/default\/keys/);
      expect(hook).toMatch(/"\/functions\/(\$2|\$Function)\/keys\/\$\{(key_name|keyName)\}\?api-version=/);
      for (const name of WEBHOOKS)
        expect(hook).toMatch(new RegExp(`^(install_key|Install-Key) '?[a-z-]+-url'? '?${name}'?$`, 'm'));
    }
  });
});
