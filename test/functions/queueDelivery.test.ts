import { readFileSync } from 'node:fs';
import { InvocationContext } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { MAX_DEQUEUE_COUNT, runQueueMessage } from '../../src/functions/shared/queueDelivery';
import { ATTRIBUTE, METRIC } from '../../src/lib/telemetry';
import { installInMemoryTelemetry } from '../support/telemetry';

function context(dequeueCount: number) {
  const logs: string[] = [];
  return { logs, context: new InvocationContext({ triggerMetadata: { dequeueCount }, logHandler: (_level, ...args) => logs.push(args.map(String).join(' ')) }) };
}

describe('runQueueMessage', () => {
  it('agrees with host.json on maxDequeueCount', () => {
    const host = JSON.parse(readFileSync('host.json', 'utf8')) as { extensions: { queues: { maxDequeueCount: number } } };

    expect(MAX_DEQUEUE_COUNT).toBe(host.extensions.queues.maxDequeueCount);
  });

  it('counts a failure before the last attempt as retrying and rethrows it', async () => {
    const telemetry = installInMemoryTelemetry();
    const { context: ctx, logs } = context(2);

    await expect(runQueueMessage('notifications', ctx, () => Promise.reject(new Error('AccountKey=secret; boom')))).rejects.toThrow('boom');

    expect(await telemetry.sum(METRIC.messagesProcessed, { [ATTRIBUTE.outcome]: 'retrying' })).toBe(1);
    expect(await telemetry.sum(METRIC.poisonMessages)).toBe(0);
    expect(logs.join('\n')).toContain('Attempt 2 of 5 failed');
    expect(logs.join('\n')).not.toContain('secret');
    await telemetry.uninstall();
  });

  it('counts the last failed attempt as poisoned', async () => {
    const telemetry = installInMemoryTelemetry();

    await expect(runQueueMessage('lifecycle', context(MAX_DEQUEUE_COUNT).context, () => Promise.reject(new Error('boom')))).rejects.toThrow();

    expect(await telemetry.sum(METRIC.poisonMessages, { [ATTRIBUTE.queue]: 'lifecycle' })).toBe(1);
    await telemetry.uninstall();
  });

  it('records the outcome the work reports', async () => {
    const telemetry = installInMemoryTelemetry();

    await runQueueMessage('notifications', context(1).context, () => Promise.resolve('deferred'));

    expect(await telemetry.sum(METRIC.messagesProcessed, { [ATTRIBUTE.outcome]: 'deferred' })).toBe(1);
    await telemetry.uninstall();
  });
});
