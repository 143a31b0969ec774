import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

// The lab suite: canaries through real proxy daemons (nginx, HAProxy, squid, tinyproxy,
// dante) started by the tests themselves. Kept apart from `vitest.config.mts` because it
// needs Debian packages and spends seconds per case waiting for real idle timeouts.
export default defineConfig({
  resolve: { alias: { '@': fileURLToPath(new URL('./', import.meta.url)) } },
  test: {
    include: ['test/lab/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // One file at a time: every file starts daemons on loopback ports, and the timing
    // assertions are the behaviour under test, so the two cores must not be shared.
    maxWorkers: 1,
    fileParallelism: false,
    globalSetup: ['test/global-setup.ts'],
  },
});
