import { QueueClient } from '@azure/storage-queue';
import { MemoryMessageQueue } from '../../../src/adapters/memory/memoryMessageQueue';
import { peekAllMessages } from '../../support/queues';
import { azuriteConnectionString, storageQueueSender, uniqueName } from '../../support/storage';
import { messageSenderContract } from './messageSender.contract';

messageSenderContract('memory', () => {
  const queue = new MemoryMessageQueue();
  return { sender: queue, queued: () => Promise.resolve(queue.sent.map((message) => message.text)) };
});
messageSenderContract('storage queue (Azurite)', () => {
  const connectionString = azuriteConnectionString();
  const queueName = uniqueName('contract');
  return {
    sender: storageQueueSender(connectionString, queueName),
    // Delayed messages are invisible for a while; wait for them rather than miss them.
    queued: async () => {
      const queue = new QueueClient(connectionString, queueName);
      if (!(await queue.exists())) return [];
      for (;;) {
        const { approximateMessagesCount = 0 } = await queue.getProperties();
        const visible = (await queue.peekMessages({ numberOfMessages: 32 })).peekedMessageItems.length;
        if (visible >= Math.min(approximateMessagesCount, 32)) return peekAllMessages(connectionString, queueName);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
  };
});
