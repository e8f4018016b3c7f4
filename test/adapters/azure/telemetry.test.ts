import { ManagedIdentityCredential } from '@azure/identity';
import { describe, expect, it } from 'vitest';
import { azureMonitorOptions, startAzureMonitor } from '../../../src/adapters/azure/telemetry';
import { EnvReader } from '../../../src/lib/config/envReader';
import { readTelemetryConfig, type TelemetryConfig } from '../../../src/lib/config/settings/telemetry';

const CONNECTION_STRING =
  'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://example.invalid/';

/** Reads only the telemetry area, as loadConfig would, and throws its problems the same way. */
function telemetryConfig(values: Record<string, string>): TelemetryConfig {
  const env = new EnvReader(values);
  const config = readTelemetryConfig(env);
  env.assertValid();
  return config;
}

describe('Azure Monitor wiring', () => {
  it('stays off without a connection string, so local runs export nothing', async () => {
    const config = telemetryConfig({});

    expect(await azureMonitorOptions(config)).toBeUndefined();
    expect(startAzureMonitor(config)).toBe(false);
  });

  it('signs the exporter in with the user-assigned identity named by the authentication string', async () => {
    const config = telemetryConfig({
      APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION_STRING,
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=11111111-2222-3333-4444-555555555555;Authorization=AAD',
    });

    const options = await azureMonitorOptions(config);

    expect(config.entraId).toEqual({ managedIdentityClientId: '11111111-2222-3333-4444-555555555555' });
    expect(options?.azureMonitorExporterOptions?.connectionString).toBe(CONNECTION_STRING);
    expect(options?.azureMonitorExporterOptions?.credential).toBeInstanceOf(ManagedIdentityCredential);
    expect(options?.enableLiveMetrics).toBe(false);
  });

  it('uses key authentication when no authentication string is set', async () => {
    const options = await azureMonitorOptions(
      telemetryConfig({ APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION_STRING }),
    );

    expect(options?.azureMonitorExporterOptions).toEqual({ connectionString: CONNECTION_STRING });
  });

  it('refuses a malformed authentication string or connection string at start-up, naming the setting', () => {
    expect(() => telemetryConfig({ APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=abc' })).toThrow(
      /APPLICATIONINSIGHTS_AUTHENTICATION_STRING: must contain Authorization=AAD/,
    );
    expect(() => telemetryConfig({ APPLICATIONINSIGHTS_CONNECTION_STRING: 'not-a-connection-string' })).toThrow(
      /APPLICATIONINSIGHTS_CONNECTION_STRING: must be an Application Insights connection string/,
    );
  });
});
