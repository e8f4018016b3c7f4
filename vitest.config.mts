import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/globalSetup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: files share one Azurite, so keep the file-level parallelism modest.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
