import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration suites create and drop their own databases; files run in parallel
    // workers, each using names of its own.
    pool: 'forks',
    // Request logs would drown the test output; tests that check logging pass their own logger.
    env: { LOG_LEVEL: 'silent' },
    reporters: ['default'],
  },
});
