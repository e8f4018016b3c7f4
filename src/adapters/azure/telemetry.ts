/**
 * Sends the app's OpenTelemetry metrics and spans (`src/lib/telemetry`) to Application Insights through
 * Microsoft's Azure Monitor OpenTelemetry distribution. The composition root calls `startAzureMonitor`
 * once, as early as it can, and only when APPLICATIONINSIGHTS_CONNECTION_STRING is set; otherwise the
 * recording functions stay no-ops and the distribution is never loaded.
 *
 * The distribution takes most of a second to load (it brings the whole OpenTelemetry SDK and its
 * instrumentations), and Graph allows 10 s for the validation handshake, cold start included. So it is
 * loaded in the background, 2 s after start-up: `startAzureMonitor` returns at once, the first request
 * (after a cold start, usually the handshake) does not wait for it,
 * and the recording functions bind to its meter provider as soon as it is installed (they look the
 * global provider up on every call). Modules loaded before it is installed are not auto-instrumented;
 * our own metrics and Graph spans are recorded explicitly, so nothing the workbook reads is lost.
 *
 * What stays with the Functions host: request telemetry and `context.log` traces (correlated per
 * invocation, sampled per host.json). The distribution registers a preInvocation hook that makes the
 * host's trace context current, so our Graph spans nest under the invocation's request.
 */
import type { AzureMonitorOpenTelemetryOptions } from '@azure/monitor-opentelemetry';
import type { AppConfig } from '../../lib/config';
import { describeError } from '../../lib/shared/redact';

/** How long after the app's start the distribution begins to load. */
const LOAD_DELAY_MS = 2_000;

let starting: Promise<void> | undefined;

/**
 * The distribution's options for `config`, or undefined when telemetry is off. Separate from
 * `startAzureMonitor` so a test can check them without exporting anything.
 */
export async function azureMonitorOptions(
  config: AppConfig['telemetry'],
): Promise<AzureMonitorOpenTelemetryOptions | undefined> {
  if (config.connectionString === undefined) return undefined;
  // Application Insights in the Bicep has local auth disabled: the exporter must sign in with the app's
  // user-assigned identity (role Monitoring Metrics Publisher). The distribution reads the
  // authentication string only for Live Metrics, so the exporter gets the credential explicitly.
  const entraId = config.entraId;
  const credential =
    entraId === undefined
      ? undefined
      : new (await import('@azure/identity')).ManagedIdentityCredential(
          entraId.managedIdentityClientId === undefined ? {} : { clientId: entraId.managedIdentityClientId },
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

/**
 * Installs the global Meter/Tracer providers once, in the background. Returns whether telemetry is on;
 * a failure to load or start the distribution is reported through `onError` and leaves the app running.
 */
export function startAzureMonitor(
  config: AppConfig['telemetry'],
  onError: (message: string) => void = console.error,
): boolean {
  if (config.connectionString === undefined) return false;
  starting ??= (async () => {
    // Loading is synchronous work once it begins: wait until start-up is over and the first request
    // (after a cold start, usually Graph's validation handshake) has been answered.
    await new Promise((resolve) => setTimeout(resolve, LOAD_DELAY_MS).unref());
    const options = await azureMonitorOptions(config);
    const { useAzureMonitor } = await import('@azure/monitor-opentelemetry');
    useAzureMonitor(options);
  })().catch((error: unknown) => {
    onError(`graph-notify: Application Insights telemetry could not start: ${describeError(error)}`);
  });
  return true;
}

/** Waits until a started distribution is installed (tests, the bench); resolves at once when telemetry is off. */
export async function azureMonitorReady(): Promise<void> {
  await starting;
}

/** Flushes and stops the exporters (app termination hook, CLI exit). */
export async function stopAzureMonitor(): Promise<void> {
  if (starting === undefined) return;
  await starting;
  starting = undefined;
  const { shutdownAzureMonitor } = await import('@azure/monitor-opentelemetry');
  await shutdownAzureMonitor();
}
