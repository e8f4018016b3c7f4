/**
 * One Azurite for the whole test run, in memory on free ports. Its connection string reaches the test
 * workers through the environment (`GRAPH_NOTIFY_TEST_STORAGE`, read by `storage.ts`), which the forked
 * workers inherit; tests isolate themselves with unique queue, table and container names.
 */
import { startAzurite } from '../../dev/azurite';
import { TEST_STORAGE_VARIABLE } from './storage';

export default async function setup(): Promise<() => Promise<void>> {
  const azurite = await startAzurite();
  process.env[TEST_STORAGE_VARIABLE] = azurite.connectionString;
  return async () => {
    await azurite.stop();
  };
}
