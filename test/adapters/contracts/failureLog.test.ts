import { TableClient } from '@azure/data-tables';
import { createTableFailureLog } from '../../../src/adapters/azure/tableFailureLog';
import { MemoryFailureLog } from '../../../src/adapters/memory/memoryFailureLog';
import { azuriteConnectionString, uniqueTableName } from '../../support/storage';
import { failureLogContract } from './failureLog.contract';

interface FailureEntity {
  partitionKey: string;
  resourcePath: string;
  reason: string;
  detail: string;
}

failureLogContract('memory', () => {
  const log = new MemoryFailureLog();
  return {
    log,
    entries: () =>
      Promise.resolve(
        [...log.failures.values()].map(({ tenantId, resourcePath, reason, detail }) => ({
          tenantId,
          resourcePath,
          reason,
          detail,
        })),
      ),
  };
});
failureLogContract('table (Azurite)', () => {
  const table = TableClient.fromConnectionString(azuriteConnectionString(), uniqueTableName('Failures'), {
    allowInsecureConnection: true,
  });
  return {
    log: createTableFailureLog(table),
    entries: async () => {
      const rows = [];
      for await (const entity of table.listEntities<FailureEntity>()) {
        rows.push({
          tenantId: entity.partitionKey,
          resourcePath: entity.resourcePath,
          reason: entity.reason,
          detail: entity.detail,
        });
      }
      return rows;
    },
  };
});
