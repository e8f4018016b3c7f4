/**
 * Ingest + processing against real parts, without the Functions host: the Graph simulator over HTTP,
 * Azurite for queues, tables and blobs, MSAL against the simulator's token endpoint. A tiny loopback
 * receiver stands where the webhook function would (handshake + `ingestNotifications`), and `drain()`
 * runs each message through `handleQueueMessage`, the sequence the queue trigger runs.
 * Used by the processing integration tests; `npm run bench:process` and test/e2e run the whole app through the
 * local host instead.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueClient } from '@azure/storage-queue';
import {
  DEMO_APP_ID,
  DEMO_CLIENT_SECRET,
  DEMO_TENANT_ID,
  EXACT_DELIVERY,
  startGraphSimulator,
  type RunningGraphSimulator,
  type StartOptions,
} from '../../dev/graph-simulator';
import { buildServices, type AppServices } from '../../src/index';
import { loadConfig } from '../../src/lib/config';
import { ingestNotifications } from '../../src/lib/ingest';
import { describeProcessingResult, handleQueueMessage, processNotifications } from '../../src/lib/processing';
import type { ProcessingResult } from '../../src/lib/processing';
import { silentLogger } from '../../src/lib/shared/logger';
import type { SubscriptionRecord } from '../../src/lib/subscriptions';
import { testEnvironment } from './storage';

const fixtures = join(__dirname, '../lib/richNotifications/fixtures');
export const RICH_CERTIFICATE_ID = 'rich-test-1';

export interface GraphTraffic {
  /** HTTP requests to Graph, `$batch` counted once. */
  requests: number;
  batches: number;
  /** Reads inside `$batch` calls plus single GETs. */
  reads: number;
}

export interface ProcessingHarness {
  readonly sim: RunningGraphSimulator;
  readonly services: AppServices;
  readonly traffic: GraphTraffic;
  readonly tenantId: string;
  /** Creates a subscription in the simulator (real handshake against the receiver) and records it as the app would. */
  subscribe(resource: string, changeType: string, options?: { rich?: boolean }): Promise<SubscriptionRecord>;
  /** Lets the simulator deliver everything that is due (virtual time). */
  deliver(): Promise<void>;
  /** Processes every visible message on the notifications queue, as the queue trigger would. */
  drain(): Promise<ProcessingResult[]>;
  /** The sink: blob path (without tenant and .json) → parsed body. */
  sink(): Promise<Map<string, unknown>>;
  stop(): Promise<void>;
}

export async function startProcessingHarness(
  options: { simulator?: StartOptions; rich?: boolean } = {},
): Promise<ProcessingHarness> {
  // Exactly once, in order, at once (EXACT_DELIVERY): these tests count reads per changed resource exactly, and
  // deliver() moves virtual time by a fixed step. The defaults' duplicates, reordering and latency run end to end
  // through the local host (test/e2e).
  const sim = await startGraphSimulator({
    allowHttpLoopback: true,
    seedDemo: true,
    ...options.simulator,
    delivery: { ...EXACT_DELIVERY, ...options.simulator?.delivery },
  });
  const traffic: GraphTraffic = { requests: 0, batches: 0, reads: 0 };
  const countingFetch: typeof fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (url.startsWith(sim.graphBaseUrl) && !url.startsWith(`${sim.graphBaseUrl}/subscriptions`)) {
      traffic.requests += 1;
      if (url.startsWith(`${sim.graphBaseUrl}/$batch`)) {
        traffic.batches += 1;
        const body = JSON.parse(typeof init?.body === 'string' ? init.body : '{"requests":[]}') as {
          requests: unknown[];
        };
        traffic.reads += body.requests.length;
      } else {
        traffic.reads += 1;
      }
    }
    return fetch(input, init);
  };

  const env = testEnvironment({
    GRAPH_BASE_URL: sim.graphBaseUrl,
    GRAPH_TOKEN_ENDPOINT: sim.tokenEndpointTemplate,
    VALIDATION_TOKEN_JWKS_URL: sim.jwksUrl,
    GRAPH_CLIENT_ID: DEMO_APP_ID,
    GRAPH_TENANT_ID: DEMO_TENANT_ID,
    GRAPH_CLIENT_SECRET: DEMO_CLIENT_SECRET,
    RESOURCES_CONTAINER_NAME: `resources-${randomBytes(4).toString('hex')}`,
    // drain() processes what is visible now, so messages must not wait on the queue: coalescing across
    // deliveries is exercised through the local host (test/e2e/coalescing.test.ts, npm run bench:process).
    COALESCE_DELAY_SECONDS: '0',
    ...(options.rich === true
      ? {
          ENCRYPTION_CERTIFICATE_ID: RICH_CERTIFICATE_ID,
          ENCRYPTION_CERTIFICATE: readFileSync(join(fixtures, 'testCertificate.pem'), 'utf8'),
          ENCRYPTION_PRIVATE_KEY: readFileSync(join(fixtures, 'testPrivateKey.pem'), 'utf8'),
        }
      : {}),
  });
  const built = buildServices(loadConfig(env), { fetch: countingFetch });
  const receiver: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const token = url.searchParams.get('validationToken');
    if (token !== null) {
      response.writeHead(200, { 'Content-Type': 'text/plain' }).end(token);
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const endpoint = url.pathname.endsWith('/lifecycle') ? 'lifecycle' : 'notifications';
      ingestNotifications(
        endpoint,
        { contentType: request.headers['content-type'], body: Buffer.concat(chunks) },
        { ...built.ingest, log: silentLogger },
      ).then(
        () => response.writeHead(202).end(),
        () => response.writeHead(503).end(),
      );
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

  const connection = env.AzureWebJobsStorage ?? '';
  const queue = new QueueClient(connection, built.config.storage.notificationsQueue);
  const container = BlobServiceClient.fromConnectionString(connection).getContainerClient(
    built.config.processing.resourcesContainer,
  );

  return {
    sim,
    services: built,
    traffic,
    tenantId: DEMO_TENANT_ID,
    async subscribe(resource, changeType, subscribeOptions = {}) {
      const clientState = randomBytes(24).toString('base64url');
      const expirationDateTime = new Date(sim.clock.now().getTime() + 24 * 3600_000).toISOString();
      const encryption = built.config.graph.encryption.current;
      const rich = subscribeOptions.rich === true && encryption !== undefined;
      const created = await built.graph.send(DEMO_TENANT_ID, {
        method: 'POST',
        path: '/subscriptions',
        operation: 'createSubscription',
        body: {
          resource,
          changeType,
          clientState,
          notificationUrl: `${receiverUrl}/api/notifications`,
          lifecycleNotificationUrl: `${receiverUrl}/api/lifecycle`,
          expirationDateTime,
          ...(rich
            ? {
                includeResourceData: true,
                encryptionCertificate: encryption.certificateBase64Der,
                encryptionCertificateId: encryption.certificateId,
              }
            : {}),
        },
      });
      const id = (created.body as { id: string }).id;
      const now = sim.clock.now().toISOString();
      const record: SubscriptionRecord = {
        subscriptionId: id,
        tenantId: DEMO_TENANT_ID,
        resource,
        changeType,
        clientState,
        notificationUrl: `${receiverUrl}/api/notifications`,
        lifecycleNotificationUrl: `${receiverUrl}/api/lifecycle`,
        expirationDateTime,
        includeResourceData: rich,
        encryptionCertificateId: rich ? encryption.certificateId : undefined,
        status: 'active',
        lastRenewedAt: undefined,
        lastError: undefined,
        createdAt: now,
        updatedAt: now,
      };
      await built.subscriptions.create(record);
      return record;
    },
    async deliver() {
      await sim.clock.advance(5_000);
      await sim.clock.settle();
    },
    async drain() {
      const results: ProcessingResult[] = [];
      for (;;) {
        const batch = await queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 60 });
        if (batch.receivedMessageItems.length === 0) return results;
        for (const message of batch.receivedMessageItems) {
          const text = Buffer.from(message.messageText, 'base64').toString('utf8');
          const handled = await handleQueueMessage(
            text,
            { payloads: built.processing.payloads, log: silentLogger },
            {
              run: (envelope) => processNotifications(envelope, { ...built.processing, log: silentLogger }),
              summarize: describeProcessingResult,
            },
          );
          if (handled.outcome !== 'discarded') results.push(handled.result);
          await queue.deleteMessage(message.messageId, message.popReceipt);
        }
      }
    },
    async sink() {
      const bodies = new Map<string, unknown>();
      if (!(await container.exists())) return bodies;
      for await (const blob of container.listBlobsFlat()) {
        const content = await container.getBlockBlobClient(blob.name).downloadToBuffer();
        bodies.set(blob.name.replace(/^[^/]+\//, '').replace(/\.json$/, ''), JSON.parse(content.toString('utf8')));
      }
      return bodies;
    },
    async stop() {
      await sim.stop();
      await new Promise<void>((resolve) => {
        receiver.close(() => {
          resolve();
        });
        receiver.closeAllConnections();
      });
    },
  };
}

/** Kinds the demo subscriptions cover (as the simulator names them). */
export const SUBSCRIBED_KINDS = new Set(['user', 'group', 'message', 'event', 'contact', 'driveItem', 'chatMessage']);

/** Subscribes to every supported kind in the demo tenant: users, groups, one user's mail, events and contacts, a drive, a chat. */
export async function subscribeToEverything(h: ProcessingHarness) {
  const directory = h.sim.state(h.tenantId);
  const userId = directory.find((resource) => resource.kind.toLowerCase() === 'user')?.id ?? '';
  const drive = directory.find((resource) => resource.kind === 'drive')?.id ?? '';
  const chat = directory.find((resource) => resource.kind === 'chat')?.id ?? '';
  await h.subscribe('users', 'updated,deleted');
  await h.subscribe('groups', 'updated,deleted');
  await h.subscribe(`users/${userId}/messages`, 'created,updated,deleted');
  await h.subscribe(`users/${userId}/events`, 'created,updated,deleted');
  await h.subscribe(`users/${userId}/contacts`, 'created,updated,deleted');
  await h.subscribe(`drives/${drive}/root`, 'updated');
  await h.subscribe(`chats/${chat}/messages`, 'created,updated,deleted');
  return { userId, drive, chat };
}

/** Applies one update to each resource of the subscribed kinds under `userId`, `times` times. */
export function updateEverything(
  h: ProcessingHarness,
  ids: { userId: string; drive: string; chat: string },
  times: number,
): number {
  let changed = 0;
  for (let round = 0; round < times; round += 1) {
    for (const resource of h.sim.state(h.tenantId)) {
      const kind = resource.kind.toLowerCase();
      const label = `round ${round}`;
      if (kind === 'user')
        h.sim.mutate(h.tenantId, { kind: 'user', op: 'update', id: resource.id, data: { jobTitle: label } });
      else if (kind === 'group')
        h.sim.mutate(h.tenantId, { kind: 'group', op: 'update', id: resource.id, data: { description: label } });
      else if (
        (kind === 'message' || kind === 'event' || kind === 'contact') &&
        resource.path.startsWith(`users/${ids.userId}/`)
      ) {
        h.sim.mutate(h.tenantId, {
          kind,
          op: 'update',
          userId: ids.userId,
          id: resource.id,
          data: kind === 'contact' ? { displayName: label } : { subject: label },
        });
      } else if (kind === 'chatmessage') {
        h.sim.mutate(h.tenantId, {
          kind: 'chatMessage',
          op: 'update',
          chatId: ids.chat,
          id: resource.id,
          data: { body: { contentType: 'text', content: label } },
        });
      } else if (
        kind === 'driveitem' &&
        resource.path.startsWith(`drives/${ids.drive}/`) &&
        resource.body.root === undefined
      ) {
        h.sim.mutate(h.tenantId, {
          kind: 'driveItem',
          op: 'update',
          driveId: ids.drive,
          id: resource.id,
          data: { description: label },
        });
      } else continue;
      changed += 1;
    }
  }
  return changed;
}
