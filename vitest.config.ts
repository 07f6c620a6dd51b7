import { defineConfig } from 'vitest/config';

// One root config so `pnpm test` runs every package's tests in one vitest process
// and CI reads a single JSON report.
export default defineConfig({
  test: {
    projects: ['packages/*', 'examples/*', 'scripts'],
    globalSetup: ['./scripts/test-temp-dir.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
