import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvocationContext } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { parseHostJson } from '../../dev/local-host/hostJson';
import { runQueueMessage } from '../../src/functions/shared/queueDelivery';
import { maxDequeueCount, readMaxDequeueCount } from '../../src/lib/config';
import { findHostJson } from '../../src/lib/config/hostJson';
import { ATTRIBUTE, METRIC } from '../../src/lib/telemetry';
import { installInMemoryTelemetry } from '../support/telemetry';

function context(dequeueCount: number) {
  const logs: string[] = [];
  return { logs, context: new InvocationContext({ triggerMetadata: { dequeueCount }, logHandler: (_level, ...args) => logs.push(args.map(String).join(' ')) }) };
}

describe('runQueueMessage', () => {
  it('reads maxDequeueCount from the app\'s own host.json, the file the host reads', () => {
    const host = JSON.parse(readFileSync('host.json', 'utf8')) as { extensions: { queues: { maxDequeueCount: number } } };

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
    expect(() => readMaxDequeueCount(document, { AZUREFUNCTIONSJOBHOST__EXTENSIONS__QUEUES__MAXDEQUEUECOUNT: 'zero' })).toThrow(/maxDequeueCount/);
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

    await expect(runQueueMessage('lifecycle', context(maxDequeueCount()).context, () => Promise.reject(new Error('boom')))).rejects.toThrow();

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
