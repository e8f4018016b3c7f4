import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePorts } from '../../dev/azurite';

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
