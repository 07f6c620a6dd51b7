import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'example-eval-remote', include: ['test/**/*.test.ts'], testTimeout: 120_000 } });
