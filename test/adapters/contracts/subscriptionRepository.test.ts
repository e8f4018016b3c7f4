import { TableClient } from '@azure/data-tables';
import { createTableSubscriptionRepository } from '../../../src/adapters/azure/tableSubscriptionRepository';
import { MemorySubscriptionRepository } from '../../../src/adapters/memory/memorySubscriptionRepository';
import { azuriteConnectionString, uniqueTableName } from '../../support/storage';
import { subscriptionRepositoryContract } from './subscriptionRepository.contract';

subscriptionRepositoryContract('memory', () => new MemorySubscriptionRepository());
subscriptionRepositoryContract('table (Azurite)', () =>
  createTableSubscriptionRepository(
    TableClient.fromConnectionString(azuriteConnectionString(), uniqueTableName('Subs'), {
      allowInsecureConnection: true,
    }),
  ),
);
