import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration suites create and drop their own databases; files run in parallel
    // workers, each using names of its own.
    pool: 'forks',
    // Request logs and audit lines would drown the test output; tests that check them pass
    // their own logger or audit log.
    env: { LOG_LEVEL: 'silent', SEMGATE_AUDIT_SINK: 'none' },
    reporters: ['default'],
    // Every gateway response a test receives is checked against the OpenAPI document.
    setupFiles: ['test/helpers/conformance-setup.ts'],
  },
});
