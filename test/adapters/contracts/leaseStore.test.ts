import { TableClient } from '@azure/data-tables';
import { createTableLeaseStore } from '../../../src/adapters/azure/tableLeaseStore';
import { MemoryLeaseStore } from '../../../src/adapters/memory/memoryLeaseStore';
import { azuriteConnectionString, uniqueTableName } from '../../support/storage';
import { leaseStoreContract } from './leaseStore.contract';

leaseStoreContract('memory', () => new MemoryLeaseStore());
leaseStoreContract('table (Azurite)', () =>
  createTableLeaseStore(
    TableClient.fromConnectionString(azuriteConnectionString(), uniqueTableName('Delta'), {
      allowInsecureConnection: true,
    }),
  ),
);
