import { TableClient } from '@azure/data-tables';
import { createTableDeltaStateStore } from '../../../src/adapters/azure/tableDeltaStateStore';
import { MemoryDeltaStateStore } from '../../../src/adapters/memory/memoryDeltaStateStore';
import { azuriteConnectionString, uniqueTableName } from '../../support/storage';
import { deltaStateStoreContract } from './deltaStateStore.contract';

deltaStateStoreContract('memory', () => new MemoryDeltaStateStore());
deltaStateStoreContract('table (Azurite)', () =>
  createTableDeltaStateStore(TableClient.fromConnectionString(azuriteConnectionString(), uniqueTableName('Delta'), { allowInsecureConnection: true })),
);
