import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/{unit,zk,integration,compat}/**/*.test.ts'],
    // Integration suites start real servers; each takes its own free ports, so files may run side by side.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
