import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { QueueClient } from '@azure/storage-queue';
import { FREE_PORT_RANGE, freePorts, startAzurite } from '../../dev/azurite';

/** Where Linux says which local ports its outgoing connections take. */
const LINUX_EPHEMERAL_RANGE = '/proc/sys/net/ipv4/ip_local_port_range';

describe('freePorts', () => {
  it('hands out distinct ports that can be listened on', async () => {
    const ports = await freePorts(40);

    expect(new Set(ports).size).toBe(40);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(FREE_PORT_RANGE.lowest);
      expect(port).toBeLessThanOrEqual(FREE_PORT_RANGE.highest);
    }
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(ports[0], '127.0.0.1', () => {
        resolve();
      });
    });
    await new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
  });

  it('chooses below the ports this machine gives outgoing connections, so none of them can take one before it is used', () => {
    const ephemeral = existsSync(LINUX_EPHEMERAL_RANGE)
      ? readFileSync(LINUX_EPHEMERAL_RANGE, 'utf8').trim().split(/\s+/).map(Number)
      : [49_152, 65_535];

    expect(FREE_PORT_RANGE.highest).toBeLessThan(ephemeral[0] ?? 0);
  });
});

describe('startAzurite with queueSweepIntervalMs', () => {
  it('serves queues with the sweep interval set', async () => {
    const azurite = await startAzurite({ queueSweepIntervalMs: 3_600_000 });
    try {
      const queue = new QueueClient(azurite.connectionString, 'sweep-interval');
      await queue.create();
      await queue.sendMessage('one');
      expect((await queue.getProperties()).approximateMessagesCount).toBe(1);
    } finally {
      await azurite.stop();
    }
  });

  it('refuses an interval that is not a positive whole number of milliseconds, naming it', async () => {
    await expect(startAzurite({ queueSweepIntervalMs: 0 })).rejects.toThrow(/GRAPH_NOTIFY_AZURITE_QUEUE_SWEEP_MS/);
  });
});
