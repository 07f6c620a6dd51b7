import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'example-rewards-only', include: ['test/**/*.test.ts'], testTimeout: 60_000 } });
