import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLocalHost, type LocalHost, type LocalHostUrls } from '../../../dev/local-host';
import { PollingBackoff, QueueListener } from '../../../dev/local-host/queueTrigger';
import type { RegisteredFunction } from '../../../dev/local-host/runtimeModule';
import { azuriteConnectionString } from '../../support/storage';
import { collectLogs, sampleAppDir, sampleSettings, type LogCollector } from './support';

const WAIT = { timeout: 15_000, interval: 50 };

function queueClient(name: string): QueueClient {
  return new QueueClient(azuriteConnectionString(), name);
}

async function sendBase64(queue: QueueClient, text: string): Promise<void> {
  await queue.createIfNotExists();
  await queue.sendMessage(Buffer.from(text).toString('base64'));
}

async function peekDecoded(queue: QueueClient): Promise<string[]> {
  if (!(await queue.exists())) return [];
  const { peekedMessageItems } = await queue.peekMessages({ numberOfMessages: 32 });
  return peekedMessageItems.map((message) => Buffer.from(message.messageText, 'base64').toString('utf8'));
}

async function approximateCount(queue: QueueClient): Promise<number> {
  return (await queue.getProperties()).approximateMessagesCount ?? 0;
}

interface WorkEvent {
  message: unknown;
  triggerMetadata: Record<string, unknown>;
}

describe('queue triggers on Azurite with the host.json queue semantics', () => {
  let host: LocalHost;
  let urls: LocalHostUrls;
  let logs: LogCollector;
  let settings: Record<string, string>;

  beforeAll(async () => {
    logs = collectLogs();
    settings = sampleSettings();
    host = await createLocalHost({ appDir: sampleAppDir, port: 0, settingsFile: false, settings, log: logs.sink });
    urls = await host.start();
  });

  afterAll(async () => {
    await host.stop();
  });

  function workEvents(id: string): WorkEvent[] {
    return logs
      .events('work')
      .map((event) => event as unknown as WorkEvent)
      .filter((event) => (event.message as { id?: unknown } | null)?.id === id);
  }

  it('decodes a base64 JSON message and passes the host trigger metadata, then deletes the message', async () => {
    // Prepare
    const queue = queueClient(settings.WORK_QUEUE ?? '');
    const before = new Date(Date.now() - 2000);

    // Act
    await sendBase64(queue, JSON.stringify({ id: 'happy', value: 42 }));
    const [event] = await vi.waitFor(() => {
      const events = workEvents('happy');
      expect(events).toHaveLength(1);
      return events;
    }, WAIT);

    // Assess
    expect(event?.message).toEqual({ id: 'happy', value: 42 });
    const metadata = event?.triggerMetadata ?? {};
    // The message's own top-level properties join the metadata, its `id` over the queue message id.
    expect(metadata).toMatchObject({
      dequeueCount: 1,
      id: 'happy',
      value: 42,
      popReceipt: expect.any(String) as unknown,
      queueTrigger: { id: 'happy', value: 42 },
    });
    for (const key of ['insertionTime', 'expirationTime', 'nextVisibleTime']) {
      const time = new Date(String(metadata[key]));
      expect(time.getTime(), key).toBeGreaterThan(before.getTime());
    }
    // Held invisible for the 10-minute running visibility timeout.
    expect(new Date(String(metadata.nextVisibleTime)).getTime()).toBeGreaterThan(Date.now() + 9 * 60_000);
    await vi.waitFor(async () => {
      expect(await approximateCount(queue)).toBe(0);
    }, WAIT);
  });

  it('keeps the queue message id in the metadata when the JSON message has no id, and merges nothing from other payloads', async () => {
    // Prepare
    const queue = queueClient(settings.WORK_QUEUE ?? '');

    // Act
    await sendBase64(queue, JSON.stringify({ label: 'no-id', nested: { a: 1 } }));
    await sendBase64(queue, JSON.stringify(['listed', 'array']));
    const [object, array] = await vi.waitFor(() => {
      const events = logs.events('work').map((event) => event as unknown as WorkEvent);
      const found = [
        events.find((event) => (event.message as { label?: unknown } | null)?.label === 'no-id'),
        events.find((event) => Array.isArray(event.message) && event.message[0] === 'listed'),
      ];
      expect(found.every((event) => event !== undefined)).toBe(true);
      return found;
    }, WAIT);

    // Assess
    expect(object?.triggerMetadata).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
      label: 'no-id',
      nested: { a: 1 },
    });
    expect(array?.triggerMetadata.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Object.keys(array?.triggerMetadata ?? {}).sort()).toEqual(
      [
        'dequeueCount',
        'expirationTime',
        'id',
        'insertionTime',
        'nextVisibleTime',
        'popReceipt',
        'queueTrigger',
        'sys',
      ].sort(),
    );
  });

  it('hands a payload that is not JSON to the handler as a string', async () => {
    // Prepare
    const queue = queueClient(settings.WORK_QUEUE ?? '');

    // Act
    await sendBase64(queue, 'plain text, not JSON');

    // Assess
    await vi.waitFor(() => {
      expect(logs.events('work').map((event) => event.message)).toContain('plain text, not JSON');
    }, WAIT);
  });

  it('retries a failing message with a rising dequeue count, then moves it to <queue>-poison', async () => {
    // Prepare
    const queue = queueClient(settings.WORK_QUEUE ?? '');
    const poison = queueClient(`${settings.WORK_QUEUE ?? ''}-poison`);
    const body = JSON.stringify({ id: 'doomed', fail: true });

    // Act
    await sendBase64(queue, body);

    // Assess: maxDequeueCount is 3 in the fixture's host.json.
    await vi.waitFor(async () => {
      expect(await peekDecoded(poison)).toEqual([body]);
    }, WAIT);
    expect(workEvents('doomed').map((event) => event.triggerMetadata.dequeueCount)).toEqual([1, 2, 3]);
    expect(logs.hostLines()).toContainEqual(
      expect.stringMatching(/reached MaxDequeueCount of 3\. Moving message .* to queue '.*-poison'/),
    );
    expect(await peekDecoded(queue)).not.toContain(body);
  });

  it('poisons a message that is not valid base64 without running the function', async () => {
    // Prepare
    const queue = queueClient(settings.WORK_QUEUE ?? '');
    const poison = queueClient(`${settings.WORK_QUEUE ?? ''}-poison`);
    await queue.createIfNotExists();

    // Act
    await queue.sendMessage('{"id":"raw"} is not base64');

    // Assess
    await vi.waitFor(async () => {
      const { peekedMessageItems } = await poison.peekMessages({ numberOfMessages: 32 });
      expect(peekedMessageItems.map((message) => message.messageText)).toContain('{"id":"raw"} is not base64');
    }, WAIT);
    expect(logs.events('work').some((event) => JSON.stringify(event.message).includes('raw'))).toBe(false);
    // On its first receive, without an invocation: one decoding error, one move, no MaxDequeueCount retries.
    const undecodable = logs.entries.filter((entry) => entry.message.includes('is not valid base64'));
    expect(undecodable).toHaveLength(1);
    const messageId = /^Message (\S+) /.exec(undecodable[0]?.message ?? '')?.[1] ?? 'missing';
    const aboutIt = logs.hostLines().filter((line) => line.includes(messageId));
    expect(aboutIt).toEqual([
      expect.stringContaining('is not valid base64'),
      expect.stringMatching(/^Moving message .* to queue '.*-poison' because it cannot be decoded\.$/),
    ]);
    expect(await peekDecoded(queue)).toEqual([]);
  });

  it('writes extraOutputs queue messages base64-encoded, one per array element', async () => {
    // Act
    const response = await fetch(`${urls.apiUrl}/enqueue`, {
      method: 'POST',
      body: JSON.stringify([{ a: 1 }, 'two', 3]),
    });

    // Assess
    expect(response.status).toBe(202);
    expect(await peekDecoded(queueClient(settings.OUTPUT_QUEUE ?? ''))).toEqual(['{"a":1}', 'two', '3']);
  });

  it('writes a return value bound to a queue', async () => {
    // Prepare
    const relay = queueClient(settings.RELAY_QUEUE ?? '');
    const output = queueClient(settings.OUTPUT_QUEUE ?? '');

    // Act
    await sendBase64(relay, JSON.stringify({ x: 'relay me' }));

    // Assess
    await vi.waitFor(async () => {
      expect(await peekDecoded(output)).toContain('{"relayed":{"x":"relay me"}}');
    }, WAIT);
  });

  it('never runs more than batchSize + newBatchThreshold messages of one queue at once', async () => {
    // Prepare: the fixture's host.json has batchSize 4 and newBatchThreshold 2; each message takes 150 ms.
    const queue = queueClient(settings.SLOW_QUEUE ?? '');
    await queue.createIfNotExists();
    await Promise.all(
      Array.from({ length: 14 }, (_unused, index) => queue.sendMessage(Buffer.from(String(index)).toString('base64'))),
    );

    // Act
    const events = await vi.waitFor(() => {
      const done = logs.events('slowWork');
      expect(done).toHaveLength(14);
      return done;
    }, WAIT);

    // Assess
    const mostRunning = Math.max(...events.map((event) => Number(event.mostRunning)));
    expect(mostRunning).toBeGreaterThan(1);
    expect(mostRunning).toBeLessThanOrEqual(6);
    expect(events.map((event) => event.message).sort((a, b) => Number(a) - Number(b))).toEqual(
      Array.from({ length: 14 }, (_unused, index) => index),
    );
  });
});

describe('queue failure handling from settings overrides', () => {
  it('keeps a failed message invisible for visibilityTimeout before the next try', async () => {
    // Prepare
    const logs = collectLogs();
    const settings = sampleSettings({
      AzureFunctionsJobHost__extensions__queues__visibilityTimeout: '00:00:01',
      AzureFunctionsJobHost__extensions__queues__maxDequeueCount: '2',
    });
    const host = await createLocalHost({
      appDir: sampleAppDir,
      port: 0,
      settingsFile: false,
      settings,
      log: logs.sink,
    });
    try {
      await host.start();
      const poison = queueClient(`${settings.WORK_QUEUE ?? ''}-poison`);

      // Act
      await sendBase64(queueClient(settings.WORK_QUEUE ?? ''), JSON.stringify({ id: 'slow-retry', fail: true }));
      await vi.waitFor(async () => {
        expect(await peekDecoded(poison)).toHaveLength(1);
      }, WAIT);

      // Assess
      const starts = logs.entries.filter(
        (entry) => entry.functionName === 'work' && entry.message.startsWith('Executing'),
      );
      expect(starts).toHaveLength(2);
      const gap = (starts[1]?.time.getTime() ?? 0) - (starts[0]?.time.getTime() ?? 0);
      expect(gap).toBeGreaterThanOrEqual(900);
    } finally {
      await host.stop();
    }
  });
});

describe('PollingBackoff', () => {
  it('starts at 100 ms when idle, grows exponentially to maxPollingInterval, and resets when work arrives', () => {
    // Prepare
    const backoff = new PollingBackoff(100, 2_000);

    // Act
    const delays = Array.from({ length: 10 }, () => backoff.nextDelayMs());
    backoff.reset();
    const afterReset = backoff.nextDelayMs();

    // Assess
    expect(delays[0]).toBe(100);
    expect(delays[1]).toBeGreaterThanOrEqual(160);
    expect(delays[1]).toBeLessThanOrEqual(240);
    for (let index = 1; index < delays.length; index++)
      expect(delays[index]).toBeGreaterThanOrEqual(delays[index - 1] ?? 0);
    expect(delays.at(-1)).toBe(2_000);
    expect(afterReset).toBe(100);
  });
});

describe('a stalled storage service', () => {
  it('is named in a warning when a poll goes unanswered, and its answer is logged when it comes', async () => {
    const logs = collectLogs();
    let answer!: (value: { receivedMessageItems: [] }) => void;
    let polls = 0;
    const queue = {
      name: 'stalled-queue',
      url: 'http://127.0.0.1:10001/devstoreaccount1/stalled-queue',
      receiveMessages: () => {
        polls += 1;
        return polls === 1
          ? new Promise((resolve) => (answer = resolve))
          : Promise.resolve({ receivedMessageItems: [] });
      },
    } as unknown as QueueClient;
    const listener = new QueueListener({
      fn: { name: 'stalledFunction' } as RegisteredFunction,
      triggerBindingName: 'message',
      queue,
      poisonQueue: undefined,
      options: {
        batchSize: 16,
        newBatchThreshold: 8,
        maxPollingIntervalMs: 1_000,
        visibilityTimeoutMs: 0,
        maxDequeueCount: 5,
        messageEncoding: 'base64',
      },
      runningVisibilitySeconds: 600,
      invoke: () => Promise.reject(new Error('no message is ever received')),
      log: logs.sink,
      stallWarningMs: 50,
    });

    listener.start();
    await vi.waitFor(() => {
      expect(logs.entries.map((entry) => entry.message)).toContainEqual(
        expect.stringMatching(
          /^Storage at 127\.0\.0\.1:10001 has not answered a poll of queue 'stalled-queue' .*Azurite\) looks stalled/,
        ),
      );
    }, WAIT);
    answer({ receivedMessageItems: [] });
    await vi.waitFor(() => {
      expect(logs.entries.map((entry) => entry.message)).toContainEqual(
        expect.stringMatching(/^Storage answered the poll of queue 'stalled-queue' after \d+ s$/),
      );
    }, WAIT);
    await listener.stop();
  });
});
