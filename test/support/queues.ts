/** Reads what the app wrote to Azurite the way the Functions queue trigger would: base64-decoded envelopes. */
import { BlobServiceClient } from '@azure/storage-blob';
import { QueueClient } from '@azure/storage-queue';
import {
  isClaimCheck,
  parseNotificationEnvelope,
  parseQueueEnvelope,
  type NotificationEnvelope,
  type QueueEnvelope,
} from '../../src/lib/notifications';

/** Receives (and hides for 5 minutes) every message on the queue, base64-decoded. */
export async function peekAllMessages(connectionString: string, queueName: string): Promise<string[]> {
  const queue = new QueueClient(connectionString, queueName);
  if (!(await queue.exists())) return [];
  const texts: string[] = [];
  for (;;) {
    const batch = await queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 300 });
    if (batch.receivedMessageItems.length === 0) return texts;
    for (const message of batch.receivedMessageItems)
      texts.push(Buffer.from(message.messageText, 'base64').toString('utf8'));
  }
}

/** Every envelope on the queue, claim checks resolved from the payload container. */
export async function readEnvelopes(
  connectionString: string,
  queueName: string,
  payloadContainer: string,
): Promise<{ texts: string[]; raw: QueueEnvelope[]; resolved: NotificationEnvelope[] }> {
  const texts = await peekAllMessages(connectionString, queueName);
  const raw = texts.map((text) => parseQueueEnvelope(text));
  const container = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(payloadContainer);
  const resolved = await Promise.all(
    raw.map(async (envelope) =>
      isClaimCheck(envelope)
        ? parseNotificationEnvelope(
            (await container.getBlockBlobClient(envelope.claimCheck.blobName).downloadToBuffer()).toString('utf8'),
          )
        : envelope,
    ),
  );
  return { texts, raw, resolved };
}
