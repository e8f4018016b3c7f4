/**
 * `startGraphSimulator` puts a simulator on a loopback socket (port 0 = ephemeral) and returns the URLs
 * the app's settings need (GRAPH_BASE_URL, GRAPH_TOKEN_ENDPOINT, VALIDATION_TOKEN_JWKS_URL), an MSAL
 * authority configuration that works against plain http ("MSAL Node configuration options", https://learn.microsoft.com/entra/msal/javascript/node/configuration), and `stop()`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { GraphSimulatorOptions } from './options.js';
import { createGraphSimulator, type GraphSimulator } from './simulator.js';

export interface StartOptions extends GraphSimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Loopback only by default: the control API has no authentication. */
  host?: string;
}

/** What MSAL's `auth` needs besides the credential: an https authority it never contacts, plus metadata pointing at us. */
export interface MsalAuthorityOptions {
  authority: string;
  knownAuthorities: string[];
  authorityMetadata: string;
}

export interface RunningGraphSimulator extends Omit<GraphSimulator, 'stop'> {
  /** e.g. `http://127.0.0.1:41234` */
  readonly origin: string;
  /** GRAPH_BASE_URL: `<origin>/v1.0` */
  readonly graphBaseUrl: string;
  /** GRAPH_TOKEN_ENDPOINT: `<origin>/{tenantId}/oauth2/v2.0/token` */
  readonly tokenEndpointTemplate: string;
  /** VALIDATION_TOKEN_JWKS_URL: `<origin>/common/discovery/v2.0/keys` */
  readonly jwksUrl: string;
  readonly port: number;
  msalAuthority(tenantId: string): MsalAuthorityOptions;
  /** Stops the workload and timers and closes the socket (keep-alive connections too). Idempotent. */
  stop(): Promise<void>;
}

export async function startGraphSimulator(options: StartOptions = {}): Promise<RunningGraphSimulator> {
  const { port = 0, host = '127.0.0.1', ...simulatorOptions } = options;
  const simulator = await createGraphSimulator(simulatorOptions);
  const server: Server = createServer(simulator.listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  // `Object.assign` below replaces `stop` on the same object, so keep the simulator's own first.
  const stopSimulator = simulator.stop.bind(simulator);
  let closed: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    closed ??= new Promise<void>((resolve) => {
      stopSimulator();
      server.close(() => {
        resolve();
      });
      server.closeAllConnections();
    });
    return closed;
  };
  return Object.assign(simulator, {
    origin,
    graphBaseUrl: `${origin}/v1.0`,
    tokenEndpointTemplate: `${origin}/{tenantId}/oauth2/v2.0/token`,
    jwksUrl: `${origin}/common/discovery/v2.0/keys`,
    port: address.port,
    msalAuthority: (tenantId: string): MsalAuthorityOptions => {
      const authorityHost = `localhost:${address.port}`;
      return {
        authority: `https://${authorityHost}/${tenantId}`,
        knownAuthorities: [authorityHost],
        authorityMetadata: JSON.stringify({
          issuer: `https://${authorityHost}/${tenantId}/v2.0`,
          authorization_endpoint: `${origin}/${tenantId}/oauth2/v2.0/authorize`,
          token_endpoint: `${origin}/${tenantId}/oauth2/v2.0/token`,
          jwks_uri: `${origin}/${tenantId}/discovery/v2.0/keys`,
        }),
      };
    },
    stop,
  });
}
