import { defineConfig } from 'vitest/config';

// One root config so `pnpm test` runs every package's tests in one vitest process
// and CI reads a single JSON report.
export default defineConfig({
  test: {
    projects: ['packages/*', 'examples/*', 'scripts'],
    globalSetup: ['./scripts/test-temp-dir.ts'],
    testTimeout: 60_000,
    // Trainers default to one thread per core; test files already run in parallel, so a test asks
    // for workers explicitly when it is about them.
    env: { IAD_R1_WORKERS: '1' },
    hookTimeout: 120_000,
  },
});
