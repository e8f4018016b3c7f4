import { TableClient } from '@azure/data-tables';
import { createTableReceiptLog } from '../../../src/adapters/azure/tableReceiptLog';
import { MemoryReceiptLog } from '../../../src/adapters/memory/memoryReceiptLog';
import { azuriteConnectionString, uniqueTableName } from '../../support/storage';
import { receiptLogContract } from './receiptLog.contract';

receiptLogContract('memory', () => new MemoryReceiptLog());
receiptLogContract('table (Azurite)', () =>
  createTableReceiptLog(
    TableClient.fromConnectionString(azuriteConnectionString(), uniqueTableName('Receipts'), {
      allowInsecureConnection: true,
    }),
  ),
);
