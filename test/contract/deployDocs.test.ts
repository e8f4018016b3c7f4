/**
 * docs/deploy.md is one numbered path a newcomer follows from an empty subscription to the first notification, and
 * docs/operations.md shows the poison commands as the CLI spells them.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run';
import { readRepoFile, repoRoot } from './bicepText';

const deploy = readRepoFile('docs/deploy.md');
const NUMBER_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];

describe('docs/deploy.md', () => {
  it('is one path of consecutively numbered steps, ending with the first notification and the first request', () => {
    const steps = [...deploy.matchAll(/^### (\d+)\. (.+)$/gm)].map((match) => ({
      number: Number(match[1]),
      title: match[2] ?? '',
    }));

    expect(steps.map((step) => step.number)).toEqual(steps.map((_, index) => index + 1));
    expect(steps.at(-2)?.title).toBe('The first notification in the sink');
    expect(steps.at(-1)?.title).toBe('The first request in Application Insights');
  });

  it('says where the azd outputs the steps use come from', () => {
    expect(deploy).toContain('eval "$(azd env get-values)"');
    const loaded = deploy.indexOf('eval "$(azd env get-values)"');
    expect(deploy.indexOf('$SERVICE_API_URI')).toBeGreaterThan(loaded);
    expect(deploy.indexOf('$AZURE_IDENTITY_PRINCIPAL_ID')).toBeGreaterThan(loaded);
  });

  it('counts the functions there are', () => {
    const functions = readdirSync(join(repoRoot, 'src', 'functions')).filter((file) => file.endsWith('.ts'));

    expect(deploy).toContain(`The ${NUMBER_WORDS[functions.length] ?? String(functions.length)} functions`);
  });

  it('stores secrets through files, never as a --value that a shell or a trailing newline could alter', () => {
    expect(deploy).not.toMatch(/secret set [^\n]*--value/);
    expect(deploy).not.toMatch(/--query password --output tsv > /);
  });
});

describe('docs/operations.md', () => {
  it('shows each poison command exactly as the CLI spells it', async () => {
    const operations = readRepoFile('docs/operations.md');
    for (const command of ['list', 'replay', 'purge']) {
      const help: string[] = [];
      await runCli(['poison', command, '--help'], {
        env: {},
        cwd: repoRoot,
        stdout: (text) => help.push(text),
        stderr: () => undefined,
      });
      const synopsis = /^Usage: (graph-notify poison .+)$/m.exec(help.join('\n'))?.[1] ?? `no synopsis for ${command}`;

      expect(operations).toContain(`\`${synopsis.replace(/\|/g, '\\|')}\``);
    }
  });
});
