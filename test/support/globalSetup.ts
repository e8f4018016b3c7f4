/**
 * One Azurite for the whole test run, in memory on free ports. Tests read its connection string with
 * `inject('azuriteConnectionString')` (see `storage.ts`) and isolate themselves by using unique queue,
 * table and container names.
 */
import type { TestProject } from 'vitest/node';
import { startAzurite } from '../../dev/azurite';

declare module 'vitest' {
  export interface ProvidedContext {
    azuriteConnectionString: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const azurite = await startAzurite();
  project.provide('azuriteConnectionString', azurite.connectionString);
  return async () => {
    await azurite.stop();
  };
}
