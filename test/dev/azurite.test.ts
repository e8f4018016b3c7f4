import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { QueueClient } from '@azure/storage-queue';
import { freePorts, startAzurite } from '../../dev/azurite';

describe('freePorts', () => {
  it('hands out distinct ports that can be listened on', async () => {
    const ports = await freePorts(40);

    expect(new Set(ports).size).toBe(40);
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
