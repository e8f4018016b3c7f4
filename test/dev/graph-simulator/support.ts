/**
 * Test support for the Graph simulator's own tests: a loopback receiver that answers validation
 * handshakes and records notification POSTs (its behaviour can be switched per test), and a factory
 * for a simulator with one tenant, one app and one seeded user, plus an authenticated Graph client.
 */
import { afterEach, beforeEach } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createGraphSimulator,
  type GraphSimulator,
  type GraphSimulatorOptions,
} from '../../../dev/graph-simulator/index.js';

/** One RSA key per test file keeps simulator start-up fast (key generation is the slow part). */
export const SIGNING_KEY_PEM = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();

export function fixture(name: string): string {
  return readFileSync(join(__dirname, 'fixtures', name), 'utf8');
}

export interface ReceivedPost {
  path: string;
  query: URLSearchParams;
  contentType: string | undefined;
  body: string;
}

export interface Reply {
  status?: number;
  body?: string;
  contentType?: string;
  /** Wall-clock delay before answering. */
  delayMs?: number;
}

export type Behaviour = (post: ReceivedPost) => Reply | undefined;

export interface Receiver {
  /** `http://127.0.0.1:<port>/hook` */
  url: string;
  origin: string;
  posts: ReceivedPost[];
  /** Validation requests only. */
  validations(): ReceivedPost[];
  /** Parsed `value` items of every non-validation POST, in arrival order. */
  notifications(): Record<string, unknown>[];
  /** Parsed non-validation POST bodies. */
  collections(): { value: Record<string, unknown>[]; validationTokens?: string[] }[];
  behave(behaviour: Behaviour | undefined): void;
  stop(): Promise<void>;
}

/** Echoes the decoded validation token as text/plain and answers 202 to notifications, unless told otherwise. */
export async function startReceiver(): Promise<Receiver> {
  const posts: ReceivedPost[] = [];
  let behaviour: Behaviour | undefined;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const post: ReceivedPost = {
        path: url.pathname,
        query: url.searchParams,
        contentType: req.headers['content-type'],
        body: Buffer.concat(chunks).toString('utf8'),
      };
      posts.push(post);
      const token = url.searchParams.get('validationToken');
      const reply =
        behaviour?.(post) ??
        (token === null ? { status: 202 } : { status: 200, body: token, contentType: 'text/plain' });
      const send = (): void => {
        if (res.destroyed) return;
        res.writeHead(
          reply.status ?? 200,
          reply.contentType === undefined ? {} : { 'content-type': reply.contentType },
        );
        res.end(reply.body ?? '');
      };
      if (reply.delayMs === undefined) send();
      else setTimeout(send, reply.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const isValidation = (p: ReceivedPost): boolean => p.query.has('validationToken');
  const collections = (): { value: Record<string, unknown>[]; validationTokens?: string[] }[] =>
    posts
      .filter((p) => !isValidation(p))
      .map((p) => JSON.parse(p.body) as { value: Record<string, unknown>[]; validationTokens?: string[] });
  return {
    url: `${origin}/hook`,
    origin,
    posts,
    validations: () => posts.filter(isValidation),
    notifications: () => collections().flatMap((c) => c.value),
    collections,
    behave: (next) => {
      behaviour = next;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}

export const TENANT_ID = '0d1e2f30-4a5b-4c6d-8e9f-a0b1c2d3e4f5';
export const APP_ID = '11111111-2222-4333-8444-555555555555';
export const APP_SECRET = 'test-secret-value';

export interface TestGraph {
  sim: GraphSimulator;
  userId: string;
  /** Calls Graph on the simulator (no socket) with a valid app token; returns status, headers and parsed JSON. */
  call(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }>;
}

export async function simulatorWithUser(options: GraphSimulatorOptions = {}): Promise<TestGraph> {
  const sim = await createGraphSimulator({
    allowHttpLoopback: true,
    signingKeyPem: SIGNING_KEY_PEM,
    tenants: [{ id: TENANT_ID, domain: 'contoso.test' }],
    apps: [{ clientId: APP_ID, clientSecrets: [APP_SECRET] }],
    ...options,
  });
  const user = sim.mutate(TENANT_ID, {
    kind: 'user',
    op: 'create',
    data: { mailNickname: 'adele', displayName: 'Adele Vance' },
  });
  const token = await sim.issueAccessToken(TENANT_ID, APP_ID);
  const call: TestGraph['call'] = async (method, path, body, headers = {}) => {
    const response = await sim.fetch(
      `http://graph.sim${path.startsWith('/v1.0') || path.startsWith('/_sim') ? '' : '/v1.0'}${path}`,
      {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      },
    );
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
    };
  };
  return { sim, userId: String(user?.id), call };
}

/** An expiry `minutes` ahead of the simulator clock, in the format clients send. */
export function inMinutes(sim: GraphSimulator, minutes: number): string {
  return new Date(sim.clock.now().getTime() + minutes * 60_000).toISOString();
}

export function errorOf(json: Record<string, unknown>): {
  code: string;
  message: string;
  innerError: Record<string, string>;
} {
  return json.error as { code: string; message: string; innerError: Record<string, string> };
}

export interface SimulatorWorld {
  readonly receiver: Receiver;
  readonly graph: TestGraph;
  /** Replaces the simulator with one built from `options` (the receiver stays). */
  restart(options: GraphSimulatorOptions): Promise<void>;
}

/**
 * Registers hooks that give every test a fresh receiver and a simulator with one user, stopped afterwards.
 * `base` applies to every simulator of the file, `restart`'s options on top of it (`delivery` merged).
 */
export function useSimulatorWithReceiver(base: GraphSimulatorOptions = {}): SimulatorWorld {
  let receiver: Receiver | undefined;
  let graph: TestGraph | undefined;
  beforeEach(async () => {
    receiver = await startReceiver();
    graph = await simulatorWithUser(base);
  });
  afterEach(async () => {
    graph?.sim.stop();
    await receiver?.stop();
  });
  const required = <T>(value: T | undefined): T => {
    if (value === undefined) throw new TypeError('useSimulatorWithReceiver() is only usable inside a test');
    return value;
  };
  return {
    get receiver() {
      return required(receiver);
    },
    get graph() {
      return required(graph);
    },
    async restart(options) {
      graph?.sim.stop();
      graph = await simulatorWithUser({ ...base, ...options, delivery: { ...base.delivery, ...options.delivery } });
    },
  };
}
