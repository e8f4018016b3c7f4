/**
 * The deployment contract, held without Azure: the settings catalogue (read at test time, so settings
 * other areas add are covered automatically), the generated docs and example, the Bicep app settings and
 * storage provisioning, and the settings the source actually reads must all agree.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderGeneratedFiles } from '../../scripts/configDocs';
import { main as generateConfigDocs } from '../../scripts/generateConfigDocs';
import { GENERATED_FILES, LOCAL_ONLY_SETTINGS, isLocalOnly } from '../../scripts/settingsContract';
import { allSettings, settingAreas } from '../../src/lib/config';
import { blockAfter, readRepoFile, repoRoot, topLevelEntries, withoutComments } from './bicepText';

const catalogueNames = new Set(allSettings.map((setting) => setting.name));
const bicepAppSettings = topLevelEntries(
  blockAfter(readRepoFile('infra/app/api.bicep'), /^var catalogueSettings = \{$/),
);
const mainBicep = readRepoFile('infra/main.bicep');

describe('generated configuration files', () => {
  const hostJson: unknown = JSON.parse(readRepoFile('host.json'));

  it.each(Object.entries(renderGeneratedFiles(settingAreas, hostJson)))(
    '%s is exactly what the generator produces',
    (path, expected) => {
      const actual = readRepoFile(path);

      expect(
        actual === expected,
        `${path} is out of date with the settings catalogue or host.json: run npm run docs:config`,
      ).toBe(true);
    },
  );

  it('npm run docs:config -- --check agrees and writes nothing', () => {
    expect(generateConfigDocs(['--check'])).toBe(0);
  });
});

describe('every setting in the catalogue', () => {
  const example = JSON.parse(readRepoFile(GENERATED_FILES.localSettingsExample)) as { Values: Record<string, string> };
  const doc = readRepoFile(GENERATED_FILES.configurationDoc);

  it('has a unique name, a description and what breaks when it is wrong', () => {
    expect(catalogueNames.size, 'duplicate setting names in the catalogue').toBe(allSettings.length);
    const incomplete = allSettings.filter(
      (setting) => setting.description.trim() === '' || (setting.whenWrong ?? '').trim() === '',
    );
    expect(incomplete.map((setting) => setting.name)).toEqual([]);
  });

  it('appears in local.settings.json.example and docs/configuration.md', () => {
    const missingFromExample = allSettings
      .filter((setting) => !(setting.name in example.Values))
      .map((setting) => setting.name);
    const missingFromDoc = allSettings
      .filter((setting) => !doc.includes(`| \`${setting.name}\` |`))
      .map((setting) => setting.name);

    expect(missingFromExample, 'run npm run docs:config').toEqual([]);
    expect(missingFromDoc, 'run npm run docs:config').toEqual([]);
  });

  it('is an app setting in infra/app/api.bicep, unless it is one of the explained local-only settings', () => {
    const missing = allSettings
      .filter((setting) => !isLocalOnly(setting.name) && !bicepAppSettings.has(setting.name))
      .map((setting) => setting.name);

    expect(
      missing,
      'add these to catalogueSettings in infra/app/api.bicep (or, if they only make sense locally, to LOCAL_ONLY_SETTINGS in scripts/settingsContract.ts with the reason)',
    ).toEqual([]);
  });

  it('keeps the local-only list and the Bicep free of settings that no longer exist', () => {
    const staleLocalOnly = LOCAL_ONLY_SETTINGS.filter(({ name }) => !catalogueNames.has(name)).map(({ name }) => name);
    const staleBicep = [...bicepAppSettings.keys()].filter((name) => !catalogueNames.has(name));
    const localOnlyInBicep = LOCAL_ONLY_SETTINGS.filter(({ name }) => bicepAppSettings.has(name)).map(
      ({ name }) => name,
    );

    expect(staleLocalOnly).toEqual([]);
    expect(staleBicep).toEqual([]);
    expect(localOnlyInBicep, 'a local-only setting must not be set in Azure').toEqual([]);
  });

  it('that is secret reaches Azure only as a Key Vault reference', () => {
    const plain = allSettings
      .filter((setting) => setting.secret === true && !isLocalOnly(setting.name))
      .filter((setting) => !/\b(latest|pinned)\(keyVaultUri, /.test(bicepAppSettings.get(setting.name) ?? ''))
      .map((setting) => setting.name);

    expect(
      plain,
      'secret settings must be latest(keyVaultUri, ...) or pinned(keyVaultUri, ...) in infra/app/api.bicep',
    ).toEqual([]);
  });

  it('whose default Bicep uses is in the generated defaults file, so the Bicep compiles', () => {
    const defaults = JSON.parse(readRepoFile(GENERATED_FILES.bicepDefaults)) as Record<string, string>;
    const referenced = new Set<string>();
    for (const file of ['infra/main.bicep', 'infra/app/api.bicep']) {
      const code = readRepoFile(file).split('\n').map(withoutComments).join('\n');
      for (const match of code.matchAll(/\bsettings\.([A-Za-z_][A-Za-z0-9_]*)/g)) referenced.add(match[1] ?? '');
    }

    expect([...referenced].filter((name) => !(name in defaults))).toEqual([]);
  });
});

describe('the request body limit', () => {
  it('is the same in the Functions host (FUNCTIONS_REQUEST_BODY_SIZE_LIMIT) as in ingest (INGEST_MAX_BODY_BYTES)', () => {
    const byName = new Map(allSettings.map((setting) => [setting.name, setting]));
    const defaults = JSON.parse(readRepoFile(GENERATED_FILES.bicepDefaults)) as Record<string, string>;

    expect(bicepAppSettings.get('INGEST_MAX_BODY_BYTES')).toBe('settings.INGEST_MAX_BODY_BYTES');
    expect(bicepAppSettings.get('FUNCTIONS_REQUEST_BODY_SIZE_LIMIT')).toBe('settings.INGEST_MAX_BODY_BYTES');
    expect(defaults.INGEST_MAX_BODY_BYTES).toBe('4194304');
    expect(byName.get('FUNCTIONS_REQUEST_BODY_SIZE_LIMIT')?.default).toBe(byName.get('INGEST_MAX_BODY_BYTES')?.default);
  });
});

describe('storage the configuration names', () => {
  const byKind = (suffix: string) => allSettings.filter((setting) => setting.name.endsWith(suffix));
  const list = (variable: string): string => {
    const start = mainBicep.indexOf(`var ${variable} = `);
    expect(start, `infra/main.bicep declares ${variable}`).toBeGreaterThan(-1);
    const end = mainBicep.indexOf('\nvar ', start + 1);
    return mainBicep.slice(start, end === -1 ? undefined : end);
  };

  it('follows the <THING>_QUEUE_NAME / _TABLE_NAME / _CONTAINER_NAME naming, so this test finds it', () => {
    const unconventional = allSettings
      .map((setting) => setting.name)
      .filter((name) => /QUEUE|TABLE|CONTAINER/.test(name) && !/_(QUEUE|TABLE|CONTAINER)_NAME$/.test(name));

    expect(unconventional).toEqual([]);
  });

  it('provisions every queue and, for each queue with a default, its poison queue', () => {
    const queues = `${list('triggerQueueNames')}\n${list('outputQueueNames')}`;
    for (const setting of byKind('_QUEUE_NAME')) {
      expect(queues, `${setting.name} is provisioned`).toContain(`settings.${setting.name}`);
      if (setting.default !== undefined && setting.default !== '') {
        expect(queues, `${setting.name}-poison is provisioned`).toContain(`'\${settings.${setting.name}}-poison'`);
      }
    }
  });

  it('provisions every table and blob container', () => {
    const tables = list('tableNames');
    const containers = list('containerNames');

    for (const setting of byKind('_TABLE_NAME')) expect(tables, setting.name).toContain(`settings.${setting.name}`);
    for (const setting of byKind('_CONTAINER_NAME'))
      expect(containers, setting.name).toContain(`settings.${setting.name}`);
  });
});

describe('settings the source reads', () => {
  /** Read by the platform, not by graph-notify: documented by Microsoft, set by the host or Bicep. */
  const PLATFORM_SETTINGS = new Set(['FUNCTIONS_WORKER_RUNTIME', 'WEBSITE_HOSTNAME', 'WEBSITE_SITE_NAME', 'NODE_ENV']);

  function sourceFiles(directory: string): string[] {
    return readdirSync(directory).flatMap((entry) => {
      const path = join(directory, entry);
      if (statSync(path).isDirectory()) return sourceFiles(path);
      return path.endsWith('.ts') ? [path] : [];
    });
  }

  const files = sourceFiles(join(repoRoot, 'src')).map((path) => ({
    path: relative(repoRoot, path),
    text: readFileSync(path, 'utf8'),
  }));

  it('are all in the catalogue: process.env names, %SETTING% binding expressions and raw reads', () => {
    const unknown: string[] = [];
    for (const { path, text } of files) {
      const names = [
        ...text.matchAll(/process\.env\.([A-Za-z_][A-Za-z0-9_]*)/g),
        ...text.matchAll(/process\.env\[\s*['"`]([^'"`]+)['"`]\s*\]/g),
        // Binding options resolved by the host from app settings, e.g. queueName: '%NOTIFICATIONS_QUEUE_NAME%'.
        ...text.matchAll(/['"`]%([A-Za-z_][A-Za-z0-9_]*)%['"`]/g),
        ...text.matchAll(/\.raw\(\s*['"`]([A-Za-z_][A-Za-z0-9_]*)['"`]\s*\)/g),
      ].map((match) => match[1] ?? '');
      for (const name of names) {
        if (!catalogueNames.has(name) && !PLATFORM_SETTINGS.has(name)) unknown.push(`${name} (${path})`);
      }
    }

    expect(unknown, 'declare these with defineSetting in src/lib/config/settings/<area>.ts').toEqual([]);
  });

  it('include every setting an area declares: no area is left out of catalogue.ts', () => {
    const declared = files
      .filter(({ path }) => path.startsWith(join('src', 'lib', 'config', 'settings')))
      .flatMap(({ path, text }) =>
        [...text.matchAll(/\bname:\s*'([A-Za-z_][A-Za-z0-9_]*)'/g)].map((match) => ({ path, name: match[1] ?? '' })),
      );

    expect(declared.length).toBeGreaterThan(0);
    expect(
      declared.filter(({ name }) => !catalogueNames.has(name)).map(({ path, name }) => `${name} (${path})`),
    ).toEqual([]);
  });
});
