/**
 * `ReceiptLog` over Table Storage: one entity per resource (PartitionKey = tenant, RowKey = a hash of the
 * canonical path, which may contain characters tables forbid in keys) holding the latest notification
 * receipt and, while a coalescing decision leaves notifications waiting, the oldest of them. Recording is
 * one merge transaction per tenant and message; deciding reads one entity per resource it would read.
 */
import type { TableClient, TransactionAction } from '@azure/data-tables';
import { createHash } from 'node:crypto';
import type { ReceiptLog } from '../../lib/processing';
import { StorageUnavailable } from '../../lib/shared/errors';
import { once, statusOf } from './storageClients';

interface ReceiptEntity {
  partitionKey: string;
  rowKey: string;
  lastReceivedAt?: string;
  pendingSince?: string;
}

/** Table Storage takes at most 100 operations per transaction, all in one partition. */
const TRANSACTION_MAX_ACTIONS = 100;

const rowKeyOf = (resourcePath: string): string => createHash('sha256').update(resourcePath).digest('hex');

export function createTableReceiptLog(table: TableClient): ReceiptLog {
  const ensureTable = once(() => table.createTable());
  const unavailable = (operation: string, error: unknown): StorageUnavailable => new StorageUnavailable(`${operation} on table ${table.tableName}`, { cause: error });
  const ready = (): Promise<void> =>
    ensureTable().catch((error: unknown) => {
      throw unavailable('create table', error);
    });

  return {
    async record(receipts) {
      if (receipts.length === 0) return;
      await ready();
      // Latest receipt per resource, grouped by tenant (a transaction rejects two actions on one entity).
      const byTenant = new Map<string, Map<string, string>>();
      for (const receipt of receipts) {
        const rows = byTenant.get(receipt.tenantId) ?? new Map<string, string>();
        const rowKey = rowKeyOf(receipt.resourcePath);
        const known = rows.get(rowKey);
        if (known === undefined || receipt.receivedAt > known) rows.set(rowKey, receipt.receivedAt);
        byTenant.set(receipt.tenantId, rows);
      }
      const transactions: Promise<unknown>[] = [];
      for (const [tenantId, rows] of byTenant) {
        const actions: TransactionAction[] = [...rows].map(([rowKey, lastReceivedAt]) => ['upsert', { partitionKey: tenantId, rowKey, lastReceivedAt }, 'Merge']);
        for (let start = 0; start < actions.length; start += TRANSACTION_MAX_ACTIONS) transactions.push(table.submitTransaction(actions.slice(start, start + TRANSACTION_MAX_ACTIONS)));
      }
      try {
        await Promise.all(transactions);
      } catch (error) {
        throw unavailable('record receipts', error);
      }
    },

    async read(tenantId, resourcePath) {
      await ready();
      try {
        const entity = await table.getEntity<ReceiptEntity>(tenantId, rowKeyOf(resourcePath));
        if (entity.lastReceivedAt === undefined) return undefined;
        return { lastReceivedAt: entity.lastReceivedAt, pendingSince: entity.pendingSince === '' ? undefined : entity.pendingSince };
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw unavailable('read receipt', error);
      }
    },

    async markPending(tenantId, resourcePath, since) {
      await ready();
      try {
        await table.upsertEntity<ReceiptEntity>({ partitionKey: tenantId, rowKey: rowKeyOf(resourcePath), pendingSince: since }, 'Merge');
      } catch (error) {
        throw unavailable('mark receipt pending', error);
      }
    },
  };
}
