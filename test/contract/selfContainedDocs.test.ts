/**
 * The repository stands alone: nothing a user reads (README, docs, sources, dev tooling, infra) sends them to
 * a file outside it, and every `docs/graph-protocol.md §N` a comment cites is a section that exists there.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRepoFile, repoRoot } from './bicepText';

/** Notes kept outside the repository that the project's files must never cite, by name or as a bare "reference §N". */
const OUTSIDE =
  /shared\/reference|graph-change-notifications\.md|azure-functions-stack|existing-implementations|\breference §/;

function filesUnder(relativeDir: string): string[] {
  return readdirSync(join(repoRoot, relativeDir)).flatMap((name) => {
    const relative = `${relativeDir}/${name}`;
    return statSync(join(repoRoot, relative)).isDirectory() ? filesUnder(relative) : [relative];
  });
}

const readerFiles = ['README.md', ...['docs', 'src', 'dev', 'infra', 'scripts'].flatMap(filesUnder)].filter((file) =>
  /\.(md|ts|bicep|json|sh)$/.test(file),
);

describe('self-contained documentation', () => {
  it('cites nothing outside the repository', () => {
    const offending = readerFiles.filter((file) => OUTSIDE.test(readRepoFile(file)));

    expect(readerFiles.length).toBeGreaterThan(100);
    expect(offending).toEqual([]);
  });

  it('cites only sections docs/graph-protocol.md has', () => {
    const protocol = readRepoFile('docs/graph-protocol.md');
    // Headings give `N` and `N.M`; the numbered disagreements of section 13 give `13.M`.
    const disagreements = protocol.slice(protocol.indexOf('\n## 13. '));
    const sections = new Set([
      ...[...protocol.matchAll(/^#{2,3} (\d+(?:\.\d+)?)\.? /gm)].map((match) => match[1] ?? ''),
      ...[...disagreements.matchAll(/^(\d+)\. /gm)].map((match) => `13.${match[1] ?? ''}`),
    ]);
    const citing = [...readerFiles, ...filesUnder('test')].filter(
      (file) => file !== 'docs/graph-protocol.md' && readRepoFile(file).includes('graph-protocol.md'),
    );
    const missing = citing.flatMap((file) =>
      [...readRepoFile(file).matchAll(/§(\d+)(?:\.(\d+))?/g)]
        .map((match) => (match[2] === undefined ? (match[1] ?? '') : `${match[1] ?? ''}.${match[2]}`))
        .filter((section) => !sections.has(section))
        .map((section) => `${file} §${section}`),
    );

    expect(citing.length).toBeGreaterThan(20);
    expect([...new Set(missing)]).toEqual([]);
  });
});
