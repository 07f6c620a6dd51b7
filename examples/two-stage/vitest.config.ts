import { defineProject } from 'vitest/config';

export default defineProject({
  test: { name: 'example-two-stage', include: ['test/**/*.test.ts'], testTimeout: 600_000 },
});
