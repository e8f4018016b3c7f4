import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { settingsSourceLines } from '../../../dev/run/settingsSource';

function appDir(values?: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'graph-notify-dev-settings-'));
  if (values !== undefined)
    writeFileSync(join(dir, 'local.settings.json'), JSON.stringify({ IsEncrypted: false, Values: values }));
  return dir;
}

describe('npm run dev: which settings it reads', () => {
  it('says local.settings.json is ignored without --tenant', () => {
    const dir = appDir({ GRAPH_CLIENT_ID: 'c' });

    expect(settingsSourceLines(dir, false)).toEqual([
      `Settings: the simulator run's own (dev/run/startLocalPipeline.ts); ${join(dir, 'local.settings.json')} is ignored without --tenant.`,
    ]);
    expect(settingsSourceLines(appDir(), false)[0]).toContain('local.settings.json is not read without --tenant');
  });

  it('names the file it reads with --tenant, and the misspelt settings in it', () => {
    const dir = appDir({
      GRAPH_CLIENT_ID: 'c',
      NOTIFICATIONS_URL: 'https://example.test/api/notifications?code=secret',
    });

    const lines = settingsSourceLines(dir, true);

    expect(lines[0]).toBe(
      `Settings: ${join(dir, 'local.settings.json')} (Values), for the GRAPH_* settings and NOTIFICATION_URL.`,
    );
    expect(lines).toContain('  warning: Unknown setting NOTIFICATIONS_URL is ignored: did you mean NOTIFICATION_URL?');
    expect(lines.join('\n')).not.toContain('secret');
  });

  it('says what to do when --tenant finds no local.settings.json', () => {
    expect(settingsSourceLines(appDir(), true)[0]).toContain('does not exist: copy local.settings.json.example');
  });
});
