import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'rewards',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  },
});
