/**
 * `npm run graph-sim -- [flags]`: runs the Graph simulator standalone on 127.0.0.1 and prints the settings
 * that point graph-notify at it. Stops gracefully on SIGINT/SIGTERM.
 */
import { parseArgs } from 'node:util';
import { describeError } from '../../src/lib/shared/redact.js';
import { DEMO_APP_ID, DEMO_CLIENT_SECRET, DEMO_TENANT_ID } from './demoTenant.js';
import type { FaultOptions } from './faults.js';
import { startGraphSimulator, type StartOptions } from './server.js';

const USAGE = `Usage: npm run graph-sim -- [options]
  --port <n>                    port on 127.0.0.1 (default 4000; 0 = any free port)
  --seed-demo                   create the demo tenant, app and resources
  --allow-http-loopback         accept http:// notification URLs on localhost/127.0.0.1
  --time-scale <x>              virtual ms per wall ms (default 1)
  --manual-clock                time moves only via POST /_sim/time/advance
  --seed <n>                    random seed for faults and workload
  --read-throttle <ratio>       share of GETs answered 429 + Retry-After
  --unavailable <ratio>         share of Graph requests answered 503
  --token-failures <ratio>      share of token requests answered 503
  --drop-deliveries <ratio>     share of change notifications dropped
  --duplicate-deliveries <ratio> share of change notifications sent twice
  --workload <perSecond>        start the random workload at this rate
  --quiet                       no event log
  --help`;

function ratio(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!(value >= 0 && value <= 1)) throw new TypeError(`--${name} must be a number between 0 and 1`);
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '4000' },
      'seed-demo': { type: 'boolean', default: false },
      'allow-http-loopback': { type: 'boolean', default: false },
      'time-scale': { type: 'string' },
      'manual-clock': { type: 'boolean', default: false },
      seed: { type: 'string' },
      'read-throttle': { type: 'string' },
      unavailable: { type: 'string' },
      'token-failures': { type: 'string' },
      'drop-deliveries': { type: 'string' },
      'duplicate-deliveries': { type: 'string' },
      workload: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const faults: Partial<FaultOptions> = {};
  const assign = (key: keyof FaultOptions, flag: string, raw: string | undefined): void => {
    const value = ratio(flag, raw);
    if (value !== undefined) (faults as Record<string, number>)[key] = value;
  };
  assign('readThrottleRatio', 'read-throttle', values['read-throttle']);
  assign('serviceUnavailableRatio', 'unavailable', values.unavailable);
  assign('tokenEndpointFailureRatio', 'token-failures', values['token-failures']);
  assign('dropDeliveryRatio', 'drop-deliveries', values['drop-deliveries']);
  assign('duplicateDeliveryRatio', 'duplicate-deliveries', values['duplicate-deliveries']);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new TypeError('--port must be an integer between 0 and 65535');
  const scale = values['time-scale'] === undefined ? 1 : Number(values['time-scale']);
  const options: StartOptions = {
    port,
    seedDemo: values['seed-demo'],
    allowHttpLoopback: values['allow-http-loopback'],
    clock: values['manual-clock'] ? { mode: 'manual' } : { mode: 'realtime', scale },
    faults,
    ...(values.seed === undefined ? {} : { seed: Number(values.seed) }),
    ...(values.quiet
      ? {}
      : {
          log: (line: string) => {
            console.log(`[graph-sim] ${line}`);
          },
        }),
  };
  const sim = await startGraphSimulator(options);
  if (values.workload !== undefined) sim.workload.start({ ratePerSecond: Number(values.workload) });
  console.log(`Graph simulator listening on ${sim.origin}`);
  console.log(`  GRAPH_BASE_URL=${sim.graphBaseUrl}`);
  console.log(`  GRAPH_TOKEN_ENDPOINT=${sim.tokenEndpointTemplate}`);
  console.log(`  VALIDATION_TOKEN_JWKS_URL=${sim.jwksUrl}`);
  if (values['seed-demo']) {
    console.log(`  GRAPH_TENANT_ID=${DEMO_TENANT_ID}`);
    console.log(`  GRAPH_CLIENT_ID=${DEMO_APP_ID}`);
    // The demo secret is a published development value that opens nothing but this simulator.
    console.log(`  GRAPH_CLIENT_SECRET=${DEMO_CLIENT_SECRET}`);
  }
  console.log(`  control API: ${sim.origin}/_sim/health`);
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`[graph-sim] ${signal}: stopping`);
    void sim.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', () => {
    shutdown('SIGINT');
  });
  process.on('SIGTERM', () => {
    shutdown('SIGTERM');
  });
}

main().catch((error: unknown) => {
  console.error(`graph-sim: ${describeError(error)}`);
  process.exitCode = 1;
});
