import { defineConfig } from 'vitest/config';

// Chaos suites run apart from `npm test`: `npx vitest run --config test/chaos/vitest.config.ts`.
export default defineConfig({
  test: {
    include: ['test/chaos/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
