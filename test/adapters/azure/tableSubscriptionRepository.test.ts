import { TableClient } from '@azure/data-tables';
import { describe, expect, it } from 'vitest';
import { createTableSubscriptionRepository } from '../../../src/adapters/azure/tableSubscriptionRepository';
import { StorageUnavailable } from '../../../src/lib/shared/errors';

/** What only the table adapter does; the shared behaviour is test/adapters/contracts/subscriptionRepository.contract.ts. */
describe('table subscription repository', () => {
  it('reports an unreachable table as StorageUnavailable', async () => {
    const table = TableClient.fromConnectionString(
      'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:9/devstoreaccount1;',
      'Unreachable',
      { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } },
    );

    await expect(createTableSubscriptionRepository(table).get('x')).rejects.toBeInstanceOf(StorageUnavailable);
  });
});
