/**
 * `ReceiptLog` over Table Storage: one entity per resource (PartitionKey = tenant, RowKey = a hash of the
 * canonical path, which may contain characters tables forbid in keys) holding the latest notification
 * receipt and, while a coalescing decision leaves notifications waiting, the oldest of them. The receipt
 * only moves forward (ETag-conditional writes); deciding reads one entity per resource it would read.
 */
import type { TableClient } from '@azure/data-tables';
import { createHash } from 'node:crypto';
import type { ReceiptLog, ResourceReceipt } from '../../lib/processing';
import { StorageUnavailable } from '../../lib/shared/errors';
import { once, statusOf } from './storageClients';

interface ReceiptEntity {
  partitionKey: string;
  rowKey: string;
  lastReceivedAt?: string;
  pendingSince?: string;
}

/** Attempts at a conditional write before leaving the entry to the writers that won. */
const MAX_WRITE_ATTEMPTS = 5;

const rowKeyOf = (resourcePath: string): string => createHash('sha256').update(resourcePath).digest('hex');

// An adapter factory: its body is the port's methods over one table client, each short.
export function createTableReceiptLog(table: TableClient): ReceiptLog {
  const ensureTable = once(() => table.createTable());
  const unavailable = (operation: string, error: unknown): StorageUnavailable =>
    new StorageUnavailable(`${operation} on table ${table.tableName}`, { cause: error });
  const ready = (): Promise<void> =>
    ensureTable().catch((error: unknown) => {
      throw unavailable('create table', error);
    });

  async function moveForward(receipt: ResourceReceipt): Promise<void> {
    const rowKey = rowKeyOf(receipt.resourcePath);
    for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt += 1) {
      let current: (ReceiptEntity & { etag: string }) | undefined;
      try {
        current = await table.getEntity<ReceiptEntity>(receipt.tenantId, rowKey);
      } catch (error) {
        if (statusOf(error) !== 404) throw error;
      }
      if (current?.lastReceivedAt !== undefined && current.lastReceivedAt >= receipt.receivedAt) return;
      try {
        if (current === undefined)
          await table.createEntity<ReceiptEntity>({
            partitionKey: receipt.tenantId,
            rowKey,
            lastReceivedAt: receipt.receivedAt,
          });
        else
          await table.updateEntity<ReceiptEntity>(
            { partitionKey: receipt.tenantId, rowKey, lastReceivedAt: receipt.receivedAt },
            'Merge',
            { etag: current.etag },
          );
        return;
      } catch (error) {
        const status = statusOf(error);
        if (status !== 409 && status !== 412) throw error;
      }
    }
    // Lost every race: others moved it forward meanwhile; an older entry only costs an extra read.
  }

  return {
    async record(receipts) {
      if (receipts.length === 0) return;
      await ready();
      // Latest receipt per resource; each entity only ever moves forward (an ETag-conditional write, retried
      // when another message's record got in between), so concurrent messages cannot put an older one back.
      const latest = new Map<string, ResourceReceipt>();
      for (const receipt of receipts) {
        const key = `${receipt.tenantId}|${receipt.resourcePath}`;
        const known = latest.get(key);
        if (known === undefined || receipt.receivedAt > known.receivedAt) latest.set(key, receipt);
      }
      try {
        await Promise.all([...latest.values()].map((receipt) => moveForward(receipt)));
      } catch (error) {
        throw unavailable('record receipts', error);
      }
    },

    async read(tenantId, resourcePath) {
      await ready();
      try {
        const entity = await table.getEntity<ReceiptEntity>(tenantId, rowKeyOf(resourcePath));
        if (entity.lastReceivedAt === undefined) return undefined;
        return {
          lastReceivedAt: entity.lastReceivedAt,
          pendingSince: entity.pendingSince === '' ? undefined : entity.pendingSince,
        };
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw unavailable('read receipt', error);
      }
    },

    async markPending(tenantId, resourcePath, since) {
      await ready();
      try {
        await table.upsertEntity<ReceiptEntity>(
          { partitionKey: tenantId, rowKey: rowKeyOf(resourcePath), pendingSince: since },
          'Merge',
        );
      } catch (error) {
        throw unavailable('mark receipt pending', error);
      }
    },
  };
}
