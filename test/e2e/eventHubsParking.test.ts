/**
 * Event Hubs parking, end to end through the local host. The trigger's checkpoint moves on whether or not the
 * function succeeds, so events whose items cannot be queued are parked as blobs and `replayParkedEvents` brings
 * them in later (docs/ingest.md#event-hubs). Here Azure Queue storage alone is unreachable for a while (a relay
 * in front of Azurite's queue port drops every connection) while blobs and tables still work: the hub's events
 * are parked, the checkpoint moves on, the replay leaves them parked while the queue is down and brings every
 * one in once it is back, and the sink ends equal to Graph.
 */
import { BlobServiceClient } from '@azure/storage-blob';
import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResourceSnapshot } from '../../dev/graph-simulator';
import { connectionStringFor, freePorts } from '../../dev/azurite';
import {
  compareWithGroundTruth,
  startE2ePipeline,
  touchEverythingInScope,
  untilDelivered,
  untilQuiet,
  type E2ePipeline,
} from './support';

const directory = (resource: ResourceSnapshot): boolean => ['user', 'group'].includes(resource.kind.toLowerCase());

/** A TCP relay to Azurite's queue service that can be cut: while cut, every connection is dropped at once. */
async function queueRelay(targetPort: number, listenPort: number) {
  const sockets = new Set<Socket>();
  let cut = false;
  const server = createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  server.listen(listenPort, '127.0.0.1');
  await once(server, 'listening');
  return {
    cut(): void {
      cut = true;
      for (const socket of sockets) socket.destroy();
    },
    restore(): void {
      cut = false;
    },
    async close(): Promise<void> {
      this.cut();
      server.close();
      await once(server, 'close');
    },
  };
}

describe('Event Hubs parking, end to end on the local host', () => {
  let e2e: E2ePipeline;
  let relay: Awaited<ReturnType<typeof queueRelay>>;

  beforeAll(async () => {
    const [blob, queue, table, relayPort] = await freePorts(4);
    if (blob === undefined || queue === undefined || table === undefined || relayPort === undefined)
      throw new TypeError('no free ports');
    relay = await queueRelay(queue, relayPort);
    e2e = await startE2ePipeline({
      delivery: 'eventHubs',
      storagePorts: { blob, queue, table },
      // The app (and its host) reach the queues through the relay; the test's own status reads go direct.
      settings: { AzureWebJobsStorage: connectionStringFor({ blob, queue: relayPort, table }) },
      subscriptions: () => [
        { resource: 'users', changeType: 'updated,deleted' },
        { resource: 'groups', changeType: 'updated,deleted' },
      ],
    });
    touchEverythingInScope(e2e, 'before the queue outage');
    await untilQuiet(e2e);
  }, 90_000);

  afterAll(async () => {
    await e2e.pipeline.stop();
    await relay.close();
  });

  const parkedBlobs = async (): Promise<string[]> => {
    const container = BlobServiceClient.fromConnectionString(e2e.pipeline.connectionString).getContainerClient(
      e2e.pipeline.config.storage.payloadContainer,
    );
    const names: string[] = [];
    for await (const blob of container.listBlobsFlat({ prefix: 'parked/eventhubs/' })) names.push(blob.name);
    return names;
  };

  it('parks what it cannot queue while the queue is down, and the replay brings every event in once it is back', async () => {
    const { sim, demo, pipeline } = e2e;
    const failedBefore = pipeline.invocations.failed('receiveEventHubsNotifications');
    const users = sim
      .state(demo.tenantId)
      .filter((resource) => resource.kind.toLowerCase() === 'user')
      .slice(0, 3);

    relay.cut();
    for (const [index, user] of users.entries())
      sim.mutate(demo.tenantId, {
        kind: 'user',
        op: 'update',
        id: user.id,
        data: { jobTitle: `changed during the queue outage ${index}` },
      });
    await untilDelivered(e2e);
    await pipeline.host.idle();

    const parked = await parkedBlobs();
    const hub = sim.eventHubs.hubs()[0];
    // Parked, not failed: the function succeeded and the checkpoint moved past every event.
    expect(parked.length).toBeGreaterThan(0);
    expect(pipeline.invocations.failed('receiveEventHubsNotifications')).toBe(failedBefore);
    expect(hub?.checkpoint).toBe(hub?.events);

    // Still down: the replay keeps them parked.
    const whileDown = await pipeline.host.triggerTimer('replayParkedEvents');
    expect(whileDown.succeeded).toBe(true);
    expect(await parkedBlobs()).toEqual(parked);

    relay.restore();
    const replay = await pipeline.host.triggerTimer('replayParkedEvents');
    await untilQuiet(e2e, { timeoutMs: 60_000 });

    expect(replay.succeeded).toBe(true);
    expect(await parkedBlobs()).toEqual([]);
    expect(await compareWithGroundTruth(e2e, directory)).toMatchObject({ missing: [], different: [], stale: [] });
  }, 120_000);
});
