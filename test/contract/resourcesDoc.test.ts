/**
 * docs/resources.md's table is the registry (`resourceTable`, what `graph-notify resources` prints), and
 * docs/deploy.md names every kind's permission: a kind added to the registry without its rows fails here.
 */
import { describe, expect, it } from 'vitest';
import { resourceTable, type ResourceTableRow } from '../../src/lib/resources';
import { readRepoFile } from './bicepText';

/** One row of docs/resources.md's table, as the registry's facts write it. */
function docRow(row: ResourceTableRow): string {
  const forms = row.forms.map((form) => `\`${form.replaceAll('|', '\\|')}\``).join('<br>');
  const delta = row.delta ? 'yes' : 'no';
  return `| \`${row.kind}\` | ${row.family} | ${row.level} | ${forms} | ${row.maxLifetimeMinutes} | ${row.changeTypes} | ${row.lifecycleUrl} | ${row.rich} | ${delta} | ${row.permission} | ${row.page} |`;
}

describe('docs/resources.md and docs/deploy.md', () => {
  const table = readRepoFile('docs/resources.md')
    .split('\n')
    .filter((line) => line.startsWith('| `'));
  const deploy = readRepoFile('docs/deploy.md');

  it.each(resourceTable().map((row) => [row.kind, row] as const))(
    'resources.md lists %s exactly as the registry does',
    (_kind, row) => {
      expect(table).toContain(docRow(row));
    },
  );

  it.each(resourceTable().map((row) => [row.kind]))('deploy.md names the permission of %s', (kind) => {
    expect(deploy).toMatch(new RegExp(`^\\| \`${kind}\` \\|`, 'm'));
  });
});
