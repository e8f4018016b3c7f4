/**
 * Sends the app's OpenTelemetry metrics and spans (`src/lib/telemetry`) to Application Insights through
 * Microsoft's Azure Monitor OpenTelemetry distribution. The composition root calls `startAzureMonitor`
 * once, as early as it can (instrumentations patch modules loaded after it), and only when
 * APPLICATIONINSIGHTS_CONNECTION_STRING is set; otherwise the recording functions stay no-ops.
 *
 * What stays with the Functions host: request telemetry and `context.log` traces (correlated per
 * invocation, sampled per host.json). The distribution registers a preInvocation hook that makes the
 * host's trace context current, so our Graph spans nest under the invocation's request.
 */
import { ManagedIdentityCredential } from '@azure/identity';
import { shutdownAzureMonitor, useAzureMonitor, type AzureMonitorOpenTelemetryOptions } from '@azure/monitor-opentelemetry';
import type { AppConfig } from '../../lib/config';

let started = false;

/**
 * The distribution's options for `config`, or undefined when telemetry is off. Separate from
 * `startAzureMonitor` so a test can check them without exporting anything.
 */
export function azureMonitorOptions(config: AppConfig['telemetry']): AzureMonitorOpenTelemetryOptions | undefined {
  if (config.connectionString === undefined) return undefined;
  // Application Insights in the Bicep has local auth disabled: the exporter must sign in with the app's
  // user-assigned identity (role Monitoring Metrics Publisher). The distribution reads the
  // authentication string only for Live Metrics, so the exporter gets the credential explicitly.
  const credential =
    config.entraId === undefined
      ? undefined
      : new ManagedIdentityCredential(
          config.entraId.managedIdentityClientId === undefined ? {} : { clientId: config.entraId.managedIdentityClientId },
        );
  // With HTTP streaming the host proxies each request to the worker over local HTTP; the host already
  // records that request, so an incoming-request span here would count every invocation twice.
  const http = { enabled: true, ignoreIncomingRequestHook: (): boolean => true };
  return {
    azureMonitorExporterOptions: {
      connectionString: config.connectionString,
      ...(credential === undefined ? {} : { credential }),
    },
    instrumentationOptions: { http, azureSdk: { enabled: true } },
    // Live Metrics opens a second channel per instance; the workbook and alerts do not need it.
    enableLiveMetrics: false,
  };
}

/** Installs the global Meter/Tracer providers once. Returns whether telemetry is on. */
export function startAzureMonitor(config: AppConfig['telemetry']): boolean {
  const options = azureMonitorOptions(config);
  if (options === undefined) return false;
  if (!started) {
    useAzureMonitor(options);
    started = true;
  }
  return true;
}

/** Flushes and stops the exporters (app termination hook, CLI exit). */
export async function stopAzureMonitor(): Promise<void> {
  if (!started) return;
  started = false;
  await shutdownAzureMonitor();
}
