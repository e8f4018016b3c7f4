import { QueueClient } from '@azure/storage-queue';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startAzurite, type RunningAzurite } from '../../../dev/azurite';
import { createLocalHost, type LocalHost } from '../../../dev/local-host';
import { collectLogs, sampleAppDir, sampleSettings } from './support';

const WAIT = { timeout: 20_000, interval: 100 };

let azurite: RunningAzurite | undefined;
let host: LocalHost | undefined;

afterEach(async () => {
  await host?.stop();
  host = undefined;
  await azurite?.stop();
  azurite = undefined;
});

describe('storage outage', () => {
  it('keeps queue listeners and output bindings working across an Azurite restart', async () => {
    // Prepare: a private in-memory Azurite, so stopping it disturbs no other test.
    azurite = await startAzurite();
    const logs = collectLogs();
    const settings = sampleSettings({ AzureWebJobsStorage: azurite.connectionString });
    host = await createLocalHost({ appDir: sampleAppDir, port: 0, settingsFile: false, settings, log: logs.sink });
    const urls = await host.start();
    const work = new QueueClient(azurite.connectionString, settings.WORK_QUEUE ?? '');
    const output = new QueueClient(azurite.connectionString, settings.OUTPUT_QUEUE ?? '');
    expect((await fetch(`${urls.apiUrl}/enqueue`, { method: 'POST', body: '["before"]' })).status).toBe(202);

    // Act: stop storage (in-memory data is lost), let the listeners fail a few polls, restart on the same ports.
    const { ports } = azurite;
    await azurite.stop();
    await vi.waitFor(() => {
      expect(logs.hostLines().some((line) => line.startsWith('Polling queue'))).toBe(true);
    }, WAIT);
    azurite = await startAzurite({ ports });
    await work.createIfNotExists();
    await work.sendMessage(Buffer.from(JSON.stringify({ id: 'after-restart' })).toString('base64'));
    const enqueued = await fetch(`${urls.apiUrl}/enqueue`, { method: 'POST', body: '["after"]' });

    // Assess
    expect(enqueued.status).toBe(202);
    const { peekedMessageItems } = await output.peekMessages();
    expect(peekedMessageItems.map((message) => Buffer.from(message.messageText, 'base64').toString())).toEqual([
      'after',
    ]);
    await vi.waitFor(() => {
      expect(logs.events('work').map((event) => event.message)).toContainEqual({ id: 'after-restart' });
    }, WAIT);
    expect(logs.hostLines()).toContainEqual(expect.stringMatching(/^Queue '.*' is reachable again$/));
  });
});
