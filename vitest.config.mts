import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  resolve: { alias: { '@': fileURLToPath(new URL('./', import.meta.url)) } },
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/lab/**', 'node_modules/**'],
    testTimeout: 30_000,
    // expect.poll waits for what a loaded machine may be slow to show (a page's fetch, a row
    // written by a loop); vitest's own default of 1 s fails such a test at random.
    expect: { poll: { timeout: 15_000 } },
    hookTimeout: 120_000,
    // Two cores: the browser and server tests are heavy, keep files from starving each other.
    maxWorkers: 2,
    globalSetup: ['test/global-setup.ts'],
  },
});
