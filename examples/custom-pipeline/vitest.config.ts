import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'example-custom-pipeline', include: ['test/**/*.test.ts'], testTimeout: 300_000 } });
