import { defineConfig } from 'tsup';

export default defineConfig({
  // `cli` is the bin (dist/cli.js, ESM; esbuild keeps its shebang). The main entry stays free of node:http.
  entry: { index: 'src/index.ts', 'server/index': 'src/server/index.ts', cli: 'src/cli.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts', 'server/index': 'src/server/index.ts' } },
  sourcemap: true,
  clean: true,
  target: 'node20',
});
