/**
 * The Node version guard of the npm scripts (scripts/preflight.mjs) and of the `graph-notify` command,
 * on an old Node: the real one when the machine has one (e.g. /usr/bin/node), and always on the current
 * Node made to report 20.11.1. And the build that runs only when a source changed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const repoRoot = join(__dirname, '..', '..');
const guarded = [
  ['scripts/preflight.mjs'],
  ['scripts/preflight.mjs', '--build'],
  ['dist/src/cli/main.js', 'subscriptions', 'list'],
];

function majorOf(node: string): number {
  return Number(execFileSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).split('.')[0]);
}

const oldNode = ['/usr/bin/node', '/usr/local/bin/node', '/bin/node'].find(
  (candidate) => existsSync(candidate) && majorOf(candidate) < 22,
);

/** Makes the current Node report version 20.11.1 to the code it runs. */
function pretendOldNode(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'old-node-')), 'pretend.cjs');
  writeFileSync(
    file,
    "Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '20.11.1' } });\nObject.defineProperty(process, 'version', { value: 'v20.11.1' });\n",
  );
  return file;
}

describe('the Node 22 guard', () => {
  it.each(guarded)('stops %s with a clear message and exit 1 on a Node that reports 20', (...args: string[]) => {
    const run = spawnSync(process.execPath, ['--require', pretendOldNode(), ...args], {
      cwd: repoRoot,
      encoding: 'utf8',
    });

    expect(run.status).toBe(1);
    expect(run.stderr).toContain('graph-notify needs Node.js 22 or later; this is Node.js v20.11.1');
    expect(run.stderr).toContain('nvm use');
    expect(run.stderr).toMatch(/through npm alone, run it once with Node 22: npx -y -p node@22 npm run \S+/);
  });

  it.runIf(oldNode !== undefined)("stops npm scripts and the CLI on the machine's real old Node", () => {
    for (const args of guarded) {
      const run = spawnSync(oldNode ?? '', args, { cwd: repoRoot, encoding: 'utf8' });

      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/graph-notify needs Node\.js 22 or later; this is Node\.js v(1\d|2[01])\./);
    }
  });
});

describe('build only when sources changed', () => {
  it('does not build again when nothing changed since the last build', { timeout: 300_000 }, () => {
    // The first run builds if dist/ is stale; the second must find it current.
    spawnSync(process.execPath, ['scripts/preflight.mjs', '--build'], { cwd: repoRoot, encoding: 'utf8' });
    const second = spawnSync(process.execPath, ['scripts/preflight.mjs', '--build'], {
      cwd: repoRoot,
      encoding: 'utf8',
    });

    expect(second.status).toBe(0);
    expect(second.stderr).not.toContain('building');
  });
});
