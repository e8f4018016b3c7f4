import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvocationContext } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { parseHostJson } from '../../dev/local-host/hostJson';
import { runQueueMessage } from '../../src/functions/shared/queueDelivery';
import { maxDequeueCount, readMaxDequeueCount } from '../../src/lib/config';
import { findHostJson } from '../../src/lib/config/hostJson';
import { parseQueueEnvelope } from '../../src/lib/notifications';
import { MemoryMessageQueue } from '../../src/adapters/memory/memoryMessageQueue';
import { ATTRIBUTE, METRIC } from '../../src/lib/telemetry';
import { installInMemoryTelemetry } from '../support/telemetry';

function context(dequeueCount: number) {
  const logs: string[] = [];
  return {
    logs,
    context: new InvocationContext({
      triggerMetadata: { dequeueCount },
      logHandler: (_level, ...args) => logs.push(args.map(String).join(' ')),
    }),
  };
}

describe('runQueueMessage', () => {
  it("reads maxDequeueCount from the app's own host.json, the file the host reads", () => {
    const host = JSON.parse(readFileSync('host.json', 'utf8')) as {
      extensions: { queues: { maxDequeueCount: number } };
    };

    expect(findHostJson()).toBe(join(process.cwd(), 'host.json'));
    expect(maxDequeueCount()).toBe(host.extensions.queues.maxDequeueCount);
  });

  it('honours the app setting the host honours, exactly as the local host reads it', () => {
    const document = { version: '2.0', Extensions: { Queues: { MaxDequeueCount: 5 } } };
    const settings = { AzureFunctionsJobHost__extensions__queues__maxDequeueCount: '2' };

    expect(readMaxDequeueCount(document, settings)).toBe(2);
    expect(parseHostJson(document, settings).queues.maxDequeueCount).toBe(2);
    expect(readMaxDequeueCount(document, {})).toBe(5);
    expect(readMaxDequeueCount({ version: '2.0' }, {})).toBe(5);
    expect(() =>
      readMaxDequeueCount(document, { AZUREFUNCTIONSJOBHOST__EXTENSIONS__QUEUES__MAXDEQUEUECOUNT: 'zero' }),
    ).toThrow(/maxDequeueCount/);
  });

  it('counts a failure before the last attempt as retrying and rethrows it', async () => {
    const telemetry = installInMemoryTelemetry();
    const { context: ctx, logs } = context(2);

    await expect(
      runQueueMessage('notifications', ctx, () => Promise.reject(new Error('AccountKey=secret; boom'))),
    ).rejects.toThrow('boom');

    expect(await telemetry.sum(METRIC.messagesProcessed, { [ATTRIBUTE.outcome]: 'retrying' })).toBe(1);
    expect(await telemetry.sum(METRIC.poisonMessages)).toBe(0);
    expect(logs.join('\n')).toContain('Attempt 2 of 5 failed');
    expect(logs.join('\n')).not.toContain('secret');
    await telemetry.uninstall();
  });

  it('counts the last failed attempt as poisoned', async () => {
    const telemetry = installInMemoryTelemetry();

    await expect(
      runQueueMessage('lifecycle', context(maxDequeueCount()).context, () => Promise.reject(new Error('boom'))),
    ).rejects.toThrow();

    expect(await telemetry.sum(METRIC.poisonMessages, { [ATTRIBUTE.queue]: 'lifecycle' })).toBe(1);
    await telemetry.uninstall();
  });

  it('records the outcome the work reports', async () => {
    const telemetry = installInMemoryTelemetry();

    await runQueueMessage('notifications', context(1).context, () => Promise.resolve('deferred'));

    expect(await telemetry.sum(METRIC.messagesProcessed, { [ATTRIBUTE.outcome]: 'deferred' })).toBe(1);
    await telemetry.uninstall();
  });

  it('moves a message that is not an envelope to the poison queue on its first attempt, and completes it', async () => {
    const telemetry = installInMemoryTelemetry();
    const poison = new MemoryMessageQueue();
    const { context: ctx, logs } = context(1);
    const message = { v: 99, clientState: 'secret-client-state' };

    await runQueueMessage(
      'notifications',
      ctx,
      () => Promise.resolve(parseQueueEnvelope(message)).then(() => 'succeeded' as const),
      { message, poisonQueue: () => poison },
    );

    expect(poison.sent.map((sent) => JSON.parse(sent.text) as unknown)).toEqual([message]);
    expect(await telemetry.sum(METRIC.poisonMessages, { [ATTRIBUTE.queue]: 'notifications' })).toBe(1);
    expect(await telemetry.sum(METRIC.messagesProcessed, { [ATTRIBUTE.outcome]: 'poisoned' })).toBe(1);
    expect(logs.join('\n')).toContain('Moved to the poison queue at once');
    expect(logs.join('\n')).not.toContain('secret-client-state');
    await telemetry.uninstall();
  });

  it("keeps a text message as it came, and leaves other failures to the host's retries", async () => {
    const poison = new MemoryMessageQueue();

    await runQueueMessage(
      'lifecycle',
      context(1).context,
      () => Promise.resolve(parseQueueEnvelope('not json')).then(() => 'succeeded' as const),
      { message: 'not json', poisonQueue: () => poison },
    );
    await expect(
      runQueueMessage('lifecycle', context(1).context, () => Promise.reject(new Error('boom')), {
        message: 'x',
        poisonQueue: () => poison,
      }),
    ).rejects.toThrow('boom');

    expect(poison.sent.map((sent) => sent.text)).toEqual(['not json']);
  });

  it('lets the host retry an unreadable message when the poison queue cannot be reached', async () => {
    const poison = new MemoryMessageQueue();
    poison.failWith = new Error('queue service unavailable');

    await expect(
      runQueueMessage(
        'notifications',
        context(1).context,
        () => Promise.resolve(parseQueueEnvelope('not json')).then(() => 'succeeded' as const),
        { message: 'not json', poisonQueue: () => poison },
      ),
    ).rejects.toThrow('queue service unavailable');
  });
});
