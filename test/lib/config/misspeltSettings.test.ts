import { describe, expect, it } from 'vitest';
import { allSettings, describeMisspeltSettings, meantSetting, misspeltSettings } from '../../../src/lib/config';

describe('misspelt setting names', () => {
  it('suggests the app setting a near-miss name means', () => {
    expect(meantSetting('NOTIFICATIONS_URL')).toBe('NOTIFICATION_URL');
    expect(meantSetting('notification_url')).toBe('NOTIFICATION_URL');
    expect(meantSetting('GRAPH_CLEINT_ID')).toBe('GRAPH_CLIENT_ID');
    expect(meantSetting('LIFECYCLE_NOTIFICATIONS_URL')).toBe('LIFECYCLE_NOTIFICATION_URL');
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
