import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allSettings, describeMisspeltSettings, meantSetting, misspeltSettings } from '../../../src/lib/config';

describe('misspelt setting names', () => {
  it('suggests the app setting a near-miss name means', () => {
    expect(meantSetting('NOTIFICATIONS_URL')).toBe('NOTIFICATION_URL');
    expect(meantSetting('notification_url')).toBe('NOTIFICATION_URL');
    expect(meantSetting('GRAPH_CLEINT_ID')).toBe('GRAPH_CLIENT_ID');
    expect(meantSetting('LIFECYCLE_NOTIFICATIONS_URL')).toBe('LIFECYCLE_NOTIFICATION_URL');
  });

  it('suggests a setting for any name two edits from one: insert, delete, replace, swap two neighbours', () => {
    const names = allSettings.map((setting) => setting.name);
    // Every name is long enough to be allowed two edits.
    expect(names.filter((name) => name.length < 10)).toEqual([]);
    const letter = fc.constantFrom('A', 'B', 'C', 'X', 'Y', 'Z', '_');
    const change = fc.record({ kind: fc.constantFrom('insert', 'delete', 'replace'), at: fc.nat(), letter });
    const changed = (name: string, { kind, at, letter }: { kind: string; at: number; letter: string }): string => {
      const index = at % (name.length + 1);
      const rest = name.slice(kind === 'insert' ? index : index + 1);
      return name.slice(0, index) + (kind === 'delete' ? '' : letter) + rest;
    };
    const misspelt = fc.constantFrom(...names).chain((known) =>
      fc
        .oneof(
          fc.tuple(change, change).map(([first, second]) => changed(changed(known, first), second)),
          // A swap is one edit where no other edit touches its two letters (optimal string alignment): here with a
          // replace elsewhere, which without the swap rule would make three.
          fc.tuple(fc.nat(), fc.nat(), letter).map(([at, elsewhere, replacement]) => {
            const index = at % (known.length - 1);
            const swapped =
              known.slice(0, index) + known.charAt(index + 1) + known.charAt(index) + known.slice(index + 2);
            const other = (index + 2 + (elsewhere % (known.length - 2))) % known.length;
            return swapped.slice(0, other) + replacement + swapped.slice(other + 1);
          }),
        )
        .map((name) => ({ known, name })),
    );
    fc.assert(
      fc.property(misspelt, ({ known, name }) => {
        if (names.includes(name)) expect(meantSetting(name)).toBeUndefined();
        else expect(meantSetting(name), `${name} from ${known}`).toBeDefined();
      }),
      { numRuns: 2_000 },
    );
  });

  it("leaves the app's own settings and unrelated names alone", () => {
    for (const setting of allSettings) expect(meantSetting(setting.name), setting.name).toBeUndefined();
    for (const name of [
      'PATH',
      'HOME',
      'NODE_OPTIONS',
      'FUNCTIONS_WORKER_RUNTIME',
      'WEBSITE_HOSTNAME',
      'AzureWebJobsStorage__accountName',
    ]) {
      expect(meantSetting(name), name).toBeUndefined();
    }
  });

  it('reports each misspelt name once, sorted, with a line that names both and never the value', () => {
    const environment = {
      NOTIFICATIONS_URL: 'https://example.test/api/notifications?code=secret',
      PATH: '/usr/bin',
      NOTIFICATION_URL: undefined,
      GRAPH_TENANTID: 't',
    };

    expect(misspeltSettings(environment)).toEqual([
      { given: 'GRAPH_TENANTID', meant: 'GRAPH_TENANT_ID' },
      { given: 'NOTIFICATIONS_URL', meant: 'NOTIFICATION_URL' },
    ]);
    const lines = describeMisspeltSettings(environment);
    expect(lines).toContain('Unknown setting NOTIFICATIONS_URL is ignored: did you mean NOTIFICATION_URL?');
    expect(lines.join('\n')).not.toContain('secret');
  });
});
