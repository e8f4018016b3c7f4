/**
 * Telemetry: where the app's OpenTelemetry metrics and traces go. Unset connection string = nowhere (the
 * recording functions become no-ops), which is what local runs and tests want. In Azure the Application
 * Insights resource has local (key) authentication disabled, so the exporter signs in with the app's
 * user-assigned identity, named by the standard Functions setting APPLICATIONINSIGHTS_AUTHENTICATION_STRING.
 */
import type { EnvReader } from '../envReader';
import { defineSetting } from '../setting';

export const telemetrySettings = {
  connectionString: defineSetting({
    name: 'APPLICATIONINSIGHTS_CONNECTION_STRING',
    description:
      'Application Insights connection string. Set: the Functions host sends its logs and requests there, and the app exports its custom metrics and Graph spans through the Azure Monitor OpenTelemetry distribution. Unset: no app telemetry (local runs).',
    whenWrong:
      'Unset in Azure: no custom metrics, so every alert on them stays silent and the workbook is empty. Pointing at another resource: telemetry lands there.',
  }),
  authenticationString: defineSetting({
    name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
    description:
      'Entra ID authentication for telemetry, `Authorization=AAD;ClientId=<managed identity client id>`. Required when the Application Insights resource disables local authentication (the Bicep does). The identity needs Monitoring Metrics Publisher on it.',
    whenWrong:
      'Missing or wrong client id with local auth disabled: every telemetry batch is refused (403) and silently dropped; the host logs exporter errors.',
  }),
} as const;

export interface TelemetryConfig {
  /** Undefined = telemetry off. */
  readonly connectionString: string | undefined;
  /** Entra ID sign-in for the exporter; undefined = connection-string (key) authentication. */
  readonly entraId: { readonly managedIdentityClientId: string | undefined } | undefined;
}

export function readTelemetryConfig(env: EnvReader): TelemetryConfig {
  const s = telemetrySettings;
  const connectionString = env.optionalString(s.connectionString);
  if (connectionString !== undefined && !/(^|;)\s*(InstrumentationKey|IngestionEndpoint)=/i.test(connectionString)) {
    env.problem(
      s.connectionString,
      'must be an Application Insights connection string (InstrumentationKey=...;IngestionEndpoint=...)',
    );
  }
  return { connectionString, entraId: readEntraId(env) };
}

/** Parses `Authorization=AAD;ClientId=<id>` the way the Functions host and the distro do (case-insensitive keys). */
function readEntraId(env: EnvReader): TelemetryConfig['entraId'] {
  const setting = telemetrySettings.authenticationString;
  const text = env.optionalString(setting);
  if (text === undefined) return undefined;
  const pairs = new Map<string, string>();
  for (const part of text.split(';')) {
    if (part.trim() === '') continue;
    const [key, value, ...rest] = part.split('=');
    if (key === undefined || value === undefined || rest.length > 0) {
      env.problem(setting, `must look like Authorization=AAD;ClientId=<client id>, got "${text}"`);
      return undefined;
    }
    pairs.set(key.trim().toLowerCase(), value.trim());
  }
  if (pairs.get('authorization') !== 'AAD') {
    env.problem(setting, 'must contain Authorization=AAD (the only authentication the distribution supports this way)');
    return undefined;
  }
  const clientId = pairs.get('clientid');
  return { managedIdentityClientId: clientId === undefined || clientId === '' ? undefined : clientId };
}
