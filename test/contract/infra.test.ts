/**
 * What the Bicep compiler does not check (`npm run check:bicep` compiles and lints; CI runs it): modules
 * cover every file, main.parameters.json passes only declared params, the alerts and the workbook use metric
 * names, attribute keys and AppMetrics columns the telemetry module and its exporter really send, and the
 * role assignments use the built-in role ids they claim for the principal kinds azd reports.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ATTRIBUTE, METRIC, METRICS } from '../../src/lib/telemetry';
import {
  blockAfter,
  declaredOutputs,
  declaredParams,
  moduleCalls,
  readRepoFile,
  repoRoot,
  withoutComments,
} from './bicepText';

const bicepFiles = [
  'infra/main.bicep',
  ...readdirSync(join(repoRoot, 'infra', 'app'))
    .filter((file) => file.endsWith('.bicep'))
    .map((file) => `infra/app/${file}`),
];
const mainBicep = readRepoFile('infra/main.bicep');
const calls = moduleCalls(mainBicep, 'infra/main.bicep');

describe('infra/main.bicep modules', () => {
  it('exist and cover every module file', () => {
    expect(calls.map((call) => call.path).filter((path) => !existsSync(join(repoRoot, path)))).toEqual([]);
    const called = new Set(calls.map((call) => call.path));
    expect(bicepFiles.filter((file) => file !== 'infra/main.bicep' && !called.has(file))).toEqual([]);
  });

  it.each(calls.map((call) => [call.symbol, call] as const))(
    '%s gets exactly the params it declares',
    (_symbol, call) => {
      const declared = declaredParams(readRepoFile(call.path));
      const names = new Set(declared.map((param) => param.name));

      expect(
        [...call.params.keys()].filter((name) => !names.has(name)),
        'passed but not declared',
      ).toEqual([]);
      expect(
        declared.filter((param) => !param.hasDefault && !call.params.has(param.name)).map((param) => param.name),
        'required but not passed',
      ).toEqual([]);
    },
  );

  it('reads only outputs the modules declare', () => {
    const outputs = new Map(calls.map((call) => [call.symbol, new Set(declaredOutputs(readRepoFile(call.path)))]));
    const missing = [...mainBicep.matchAll(/\b(\w+)\.outputs\.(\w+)/g)]
      .filter((match) => !(outputs.get(match[1] ?? '')?.has(match[2] ?? '') ?? false))
      .map((match) => match[0]);

    expect(missing).toEqual([]);
  });

  it('uses only abbreviations that abbreviations.json defines', () => {
    const abbreviations = JSON.parse(readRepoFile('infra/abbreviations.json')) as Record<string, string>;
    const used = [...mainBicep.matchAll(/\babbrs\.(\w+)/g)].map((match) => match[1] ?? '');

    expect(used.filter((key) => !(key in abbreviations))).toEqual([]);
  });

  it('passes main.parameters.json values only for params main.bicep declares', () => {
    const parameters = JSON.parse(readRepoFile('infra/main.parameters.json')) as {
      parameters: Record<string, unknown>;
    };
    const declared = new Set(declaredParams(mainBicep).map((param) => param.name));

    expect(Object.keys(parameters.parameters).filter((name) => !declared.has(name))).toEqual([]);
  });
});

describe('alerts and workbook', () => {
  const metricNames = new Set<string>(Object.values(METRIC));
  const attributeKeys = new Set<string>(Object.values(ATTRIBUTE));
  const workbook = JSON.parse(readRepoFile('infra/app/workbook.json')) as {
    version: string;
    items: { type: number; content: { resourceType?: string; query?: string } }[];
  };
  const sources = {
    'infra/app/alerts.bicep': readRepoFile('infra/app/alerts.bicep'),
    'infra/app/workbook.json': workbook.items.map((item) => item.content.query ?? '').join('\n'),
  };

  it.each(Object.entries(sources))('%s queries only metrics and attributes the app emits', (_path, text) => {
    const names = [...text.matchAll(/Name == "([^"]+)"|Name in \(([^)]*)\)/g)].flatMap((match) =>
      match[1] !== undefined
        ? [match[1]]
        : [...(match[2] ?? '').matchAll(/"([^"]+)"/g)].map((quoted) => quoted[1] ?? ''),
    );
    const keys = [...text.matchAll(/Properties\["([^"]+)"\]/g)].map((match) => match[1] ?? '');
    const metricsQueried = names.filter((name) => name.startsWith('graph_notify.'));

    expect(metricsQueried.length).toBeGreaterThan(0);
    expect(keys.length).toBeGreaterThan(0);
    expect(metricsQueried.filter((name) => !metricNames.has(name))).toEqual([]);
    expect(keys.filter((key) => !attributeKeys.has(key))).toEqual([]);
  });

  /**
   * AppMetrics columns the JavaScript Azure Monitor exporter fills, per instrument kind: counters and
   * observable gauges send one value (Sum) with a count of 1 and no min or max; histograms send sum, count,
   * min and max. A query that reads Min or Max of a gauge reads nothing the app sent.
   */
  const COLUMNS_SENT: Readonly<Record<(typeof METRICS)[number]['kind'], readonly string[]>> = {
    counter: ['Sum'],
    observableGauge: ['Sum'],
    histogram: ['Sum', 'ItemCount', 'Min', 'Max'],
  };
  const kindOf = new Map(METRICS.map((metric) => [metric.name as string, metric.kind]));

  it.each(Object.entries(sources))(
    '%s reads each metric only through the AppMetrics columns its exporter fills',
    (_path, text) => {
      const code = text.split('\n').map(withoutComments).join('\n');
      // One segment per AppMetrics query (a `let` or a whole query), so each column is checked against the
      // kind of the metric that segment selects.
      const segments = code.split(/(?=\bAppMetrics\b)/).filter((segment) => segment.startsWith('AppMetrics'));
      const misread = segments.flatMap((segment) => {
        const metrics = [...segment.matchAll(/"(graph_notify\.[^"]+)"/g)].map((match) => match[1] ?? '');
        const columns = [
          ...new Set([...segment.matchAll(/\b(Sum|ItemCount|Min|Max)\b/g)].map((match) => match[1] ?? '')),
        ];
        return metrics.flatMap((metric) => {
          const kind = kindOf.get(metric);
          return kind === undefined
            ? []
            : columns
                .filter((column) => !COLUMNS_SENT[kind].includes(column))
                .map((column) => `${metric} (${kind}) reads ${column}`);
        });
      });

      expect(segments.length).toBeGreaterThan(3);
      expect(misread).toEqual([]);
    },
  );

  it('the gauge alerts read the value the exporter sends (Sum), not Min or Max', () => {
    const alerts = sources['infra/app/alerts.bicep'];

    expect(alerts).toMatch(/SoonestSeconds = min\(Sum\)/);
    expect(alerts).toMatch(/Value = max\(Sum\) by Queue/);
  });

  it('the workbook is valid workbook JSON with queries on the workspace', () => {
    expect(workbook.version).toBe('Notebook/1.0');
    const queries = workbook.items.filter((item) => item.type === 3);
    expect(queries.length).toBeGreaterThan(10);
    expect(queries.every((item) => item.content.resourceType === 'microsoft.operationalinsights/workspaces')).toBe(
      true,
    );
  });

  it('the ingest 5xx alert names the functions the app registers', () => {
    const functionNames = readdirSync(join(repoRoot, 'src', 'functions'))
      .filter((file) => file.endsWith('.ts'))
      .map((file) => file.replace(/\.ts$/, ''));
    const alerted = /Name in \(([^)]*)\)/.exec(sources['infra/app/alerts.bicep'])?.[1] ?? '';

    for (const name of [...alerted.matchAll(/"(\w+)"/g)].map((match) => match[1] ?? ''))
      expect(functionNames).toContain(name);
  });
});

describe('docs/operations.md', () => {
  const operations = readRepoFile('docs/operations.md');
  const anchors = new Set(
    [...operations.matchAll(/^#+ (.+)$/gm)].map((match) =>
      (match[1] ?? '')
        .toLowerCase()
        .replace(/[^a-z0-9 -]/g, '')
        .replace(/ /g, '-'),
    ),
  );

  it('explains every metric the app emits', () => {
    expect(Object.values(METRIC).filter((name) => !operations.includes(`\`${name}\``))).toEqual([]);
  });

  it('has the section every alert links to', () => {
    const linked = [...readRepoFile('infra/app/alerts.bicep').matchAll(/docs\/operations\.md#([a-z0-9-]+)/g)].map(
      (match) => match[1] ?? '',
    );

    expect(linked.length).toBe(5);
    expect(linked.filter((anchor) => !anchors.has(anchor))).toEqual([]);
  });
});

describe('role assignments', () => {
  /** Built-in role ids, as Microsoft lists them in "Azure built-in roles" (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles). */
  const BUILT_IN_ROLES: Readonly<Record<string, string>> = {
    storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
    storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
    storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
    monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb',
    keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6',
    keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
    keyVaultCertificatesOfficer: 'a4417e6f-fecd-4de8-b567-7b0420556985',
  };

  it('use the documented id for every role they name, and every role has a reason', () => {
    const rbac = readRepoFile('infra/app/rbac.bicep');
    const lines = rbac.split('\n');
    const declared = [...rbac.matchAll(/^\s+(\w+): '([0-9a-f-]{36})'$/gm)].map((match) => ({
      name: match[1] ?? '',
      id: match[2] ?? '',
    }));

    expect(declared.length).toBe(Object.keys(BUILT_IN_ROLES).length);
    for (const { name, id } of declared) {
      expect(id, name).toBe(BUILT_IN_ROLES[name]);
      const index = lines.findIndex((line) => line.includes(`${name}: '${id}'`));
      expect(lines[index - 1]?.trim().startsWith('//'), `${name} has a comment saying why`).toBe(true);
    }
  });

  it("give the deploying principal the kind azd reports (AZURE_PRINCIPAL_TYPE), so a pipeline's service principal works", () => {
    const rbac = readRepoFile('infra/app/rbac.bicep').split('\n').map(withoutComments).join('\n');
    const parameters = JSON.parse(readRepoFile('infra/main.parameters.json')) as {
      parameters: Record<string, { value: unknown }>;
    };

    expect(parameters.parameters.principalType?.value).toBe('${AZURE_PRINCIPAL_TYPE=User}');
    expect(calls.find((call) => call.symbol === 'rbac')?.params.get('userPrincipalType')).toBe('principalType');
    expect(rbac).not.toMatch(/principalType: 'User'/);
    expect([...rbac.matchAll(/principalType: (\S+)/g)].map((match) => match[1])).toEqual([
      "'ServicePrincipal'",
      "'ServicePrincipal'",
      "'ServicePrincipal'",
      'userPrincipalType',
      'userPrincipalType',
      'userPrincipalType',
    ]);
  });

  it('give the deploying principal only what the hooks need (Key Vault Secrets Officer); storage, certificates and telemetry are opt-in', () => {
    const rbac = readRepoFile('infra/app/rbac.bicep').split('\n').map(withoutComments).join('\n');
    const parameters = JSON.parse(readRepoFile('infra/main.parameters.json')) as {
      parameters: Record<string, { value: unknown }>;
    };
    const rbacCall = calls.find((call) => call.symbol === 'rbac');

    expect(rbac).toMatch(
      /^var userVaultRoles = concat\(\[roles\.keyVaultSecretsOfficer\], userCertificateAccess \? \[roles\.keyVaultCertificatesOfficer\] : \[\]\)$/m,
    );
    expect(rbac).toMatch(/for roleId in storageRoles: if \(!empty\(userPrincipalId\) && userStorageAccess\)/);
    expect(rbac).toMatch(
      /resource userTelemetry [^\n]+ = if \(!empty\(userPrincipalId\) && userTelemetryAccess\) \{\n {2}name: guid\(applicationInsights\.id, userPrincipalId, roles\.monitoringMetricsPublisher\)/,
    );
    for (const [param, variable, input] of [
      ['userStorageAccess', 'deployerStorageAccess', 'DEPLOYER_STORAGE_ACCESS'],
      ['userCertificateAccess', 'deployerCertificateAccess', 'DEPLOYER_CERTIFICATE_ACCESS'],
      ['userTelemetryAccess', 'deployerTelemetryAccess', 'DEPLOYER_TELEMETRY_ACCESS'],
    ] as const) {
      expect(rbacCall?.params.get(param)).toBe(variable);
      expect(mainBicep).toMatch(new RegExp(`^param ${variable} bool = false$`, 'm'));
      expect(parameters.parameters[variable]?.value).toBe(`\${${input}=false}`);
    }
  });

  it('never grant a management role such as Owner or Contributor', () => {
    const code = readRepoFile('infra/app/rbac.bicep').split('\n').map(withoutComments).join('\n');

    expect(code).not.toMatch(/8e3af657-a8ff-443c-a75c-2fe8c4bcb635|b24988ac-6180-42a0-ab88-20f7382dd24c/);
  });
});

describe('function app hardening (infra/app/api.bicep)', () => {
  const api = readRepoFile('infra/app/api.bicep').split('\n').map(withoutComments).join('\n');

  it('requires TLS 1.2 on the app and its SCM site, disables FTP(S) and enables HTTP/2', () => {
    const siteConfig = blockAfter(api, /^ {4}siteConfig: \{$/);

    expect(siteConfig).toMatch(/^\s+minTlsVersion: '1\.2'$/m);
    expect(siteConfig).toMatch(/^\s+scmMinTlsVersion: '1\.2'$/m);
    expect(siteConfig).toMatch(/^\s+ftpsState: 'Disabled'$/m);
    expect(siteConfig).toMatch(/^\s+http20Enabled: true$/m);
    expect(api).toMatch(/^ {4}httpsOnly: true$/m);
  });

  it('turns basic publishing credentials off for FTP and for the SCM site', () => {
    for (const name of ['ftp', 'scm']) {
      expect(api).toMatch(
        new RegExp(
          `'Microsoft\\.Web/sites/basicPublishingCredentialsPolicies@[\\d-]+' = \\{\\n {2}parent: site\\n {2}name: '${name}'\\n {2}properties: \\{ allow: false \\}`,
        ),
      );
    }
  });
});

describe('azd hooks: secrets before the app needs them', () => {
  const azureYaml = readRepoFile('azure.yaml');
  const api = readRepoFile('infra/app/api.bicep');
  const hooks = ['postprovision', 'postdeploy'] as const;
  const text = (file: string): string => readRepoFile(`infra/hooks/${file}`);
  /** Key Vault secrets the app settings reference with a versionless (latest) reference. */
  const urlSecrets = ['notificationUrl', 'lifecycleNotificationUrl'].map(
    (key) => new RegExp(`^\\s+${key}: '([a-z-]+)'$`, 'm').exec(api)?.[1],
  );

  it('runs a post-provision hook (before deploy) and a post-deploy hook, each for sh and for PowerShell, both valid POSIX sh', () => {
    for (const hook of hooks) {
      expect(azureYaml).toMatch(
        new RegExp(`^ {2}${hook}:\\n {4}posix:\\n {6}shell: sh\\n {6}run: \\./infra/hooks/${hook}\\.sh$`, 'm'),
      );
      expect(azureYaml).toMatch(
        new RegExp(`^ {4}windows:\\n {6}shell: pwsh\\n {6}run: \\./infra/hooks/${hook}\\.ps1$`, 'm'),
      );
    }
    for (const hook of ['infra/hooks/postprovision.sh', 'infra/hooks/postdeploy.sh', 'infra/hooks/lib.sh']) {
      const syntax = spawnSync('sh', ['-n', join(repoRoot, hook)], { encoding: 'utf8' });
      expect(syntax.status, `${hook}: ${syntax.stderr}`).toBe(0);
    }
  });

  it('writes the notification-URL secrets at provision time, never after deploy (test/infra/hooks.test.ts runs both)', () => {
    expect(urlSecrets).toEqual(['notification-url', 'lifecycle-notification-url']);
    for (const secret of urlSecrets) {
      expect(text('postprovision.sh')).toMatch(new RegExp(`^store_url ${secret ?? ''} `, 'm'));
      expect(text('postprovision.ps1')).toMatch(new RegExp(`^Set-UrlSecret '${secret ?? ''}' `, 'm'));
    }
    for (const file of ['postdeploy.sh', 'postdeploy.ps1']) expect(text(file)).not.toMatch(/secret set|'set'/);
  });

  it('passes keys and URLs through files, never on a command line', () => {
    for (const file of ['postprovision.sh', 'postdeploy.sh']) expect(text(file)).not.toMatch(/--value |--key-value/);
    expect(text('postprovision.sh')).toMatch(/secret set --vault-name "\$vault" --name "\$1" --file "\$tmp"/);
    expect(text('lib.sh')).toMatch(/--body "@\$4"/);
    expect(text('lib.ps1')).toMatch(/'--body', "@\$BodyFile"/);
  });

  it('names the subscription on every az call: --subscription, or the URL for az rest', () => {
    for (const file of ['lib.sh', 'postprovision.sh', 'postdeploy.sh']) {
      const calls = text(file)
        .replace(/\\\n/g, ' ')
        .split('\n')
        .filter((line) => !line.trimStart().startsWith('#') && /\baz (keyvault|rest|functionapp)\b/.test(line));
      for (const call of calls) expect(call, file).toMatch(/--subscription "\$sub"|--uri "\$\{site\}/);
    }
    expect(text('lib.sh')).toMatch(/^site="https:\/\/management\.azure\.com\/subscriptions\/\$\{sub\}\//m);
    expect(text('lib.ps1')).toMatch(/^\$site = "https:\/\/management\.azure\.com\/subscriptions\/\$sub\//m);
  });
});

describe('the Bicep check in CI', () => {
  it('runs from .ci/run through npm run check:bicep, with the CLI version pinned exactly', () => {
    const scripts = (JSON.parse(readRepoFile('package.json')) as { scripts: Record<string, string> }).scripts;
    const cliProject = readRepoFile('scripts/bicep/bicepCli.csproj');

    expect(scripts['check:bicep']).toBe('tsx scripts/checkBicep.ts');
    expect(readRepoFile('.ci/run')).toMatch(/^npm run check:bicep$/m);
    expect(cliProject).toMatch(/<BicepVersion>\d+\.\d+\.\d+<\/BicepVersion>/);
    expect(cliProject).toContain('Version="[$(BicepVersion)]"');
  });
});
