/**
 * `FailureLog` over Table Storage: one entity per tenant + resource + reason (a repeat overwrites it), so
 * an operator can list what failed permanently and why (docs/operations.md).
 */
import type { TableClient } from '@azure/data-tables';
import { createHash } from 'node:crypto';
import type { FailureLog } from '../../lib/processing';
import { StorageUnavailable } from '../../lib/shared/errors';
import { once } from './storageClients';

export function createTableFailureLog(table: TableClient): FailureLog {
  const ensureTable = once(() => table.createTable());
  return {
    async record(failure) {
      try {
        await ensureTable();
        await table.upsertEntity(
          {
            partitionKey: failure.tenantId,
            rowKey: createHash('sha256').update(`${failure.resourcePath}|${failure.reason}`).digest('hex'),
            resourcePath: failure.resourcePath,
            subscriptionId: failure.subscriptionId ?? '',
            reason: failure.reason,
            detail: failure.detail.slice(0, 2000),
            at: failure.at,
          },
          'Replace',
        );
      } catch (error) {
        throw new StorageUnavailable(`record failure on table ${table.tableName}`, { cause: error });
      }
    },
  };
}
